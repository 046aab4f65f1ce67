//! The server's request parsers on arbitrary bytes: registry notifications (Distribution,
//! Harbor) and AdmissionReviews. Property: no panic, and every reference a notification
//! yields is pinned by a well-formed digest.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let hull_server::webhook::Notification::Pushed(refs) = hull_server::webhook::parse(data) {
        for r in refs {
            let (_, digest) = r.split_once("@sha256:").expect("pinned");
            assert_eq!(digest.len(), 64);
        }
    }
    if let Ok(p) = hull_server::admission::parse(data) {
        let _ = hull_server::admission::images_of(&p);
    }
});
