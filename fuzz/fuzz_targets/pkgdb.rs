//! Every text package database and os-release: any bytes give Ok or Err, and every package
//! that comes out has a name and a version (the property the analyzers promise).
#![no_main]
use hull_analyzer::{registry::ANALYZERS, FileInput};
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "/var/lib/dpkg/status",
    "/var/lib/dpkg/status.d/pkg",
    "/lib/apk/db/installed",
    "/etc/os-release",
    "/etc/redhat-release",
    "/etc/alpine-release",
    "/var/lib/rpmmanifest/container-manifest-2",
];

fuzz_target!(|data: &[u8]| {
    for path in PATHS {
        for a in ANALYZERS.iter().filter(|a| a.wants(path)) {
            if let Ok(out) = a.analyze(&FileInput { path, bytes: data }) {
                for p in out.packages {
                    assert!(!p.name.is_empty() && !p.version.is_empty());
                }
            }
        }
    }
});
