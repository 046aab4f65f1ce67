//! Every language-package analyzer (lock files, manifests, metadata, Java archives, Go
//! binaries) on the same bytes, each at a path it wants. Properties: no panic; every package
//! has a name and a version.
#![no_main]
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "/src/Cargo.lock",
    "/src/composer.lock",
    "/app/vendor/composer/installed.json",
    "/src/Gemfile.lock",
    "/usr/lib/ruby/gems/3.1.0/specifications/x.gemspec",
    "/usr/local/bin/app",
    "/src/go.mod",
    "/src/go.sum",
    "/src/pom.xml",
    "/app/lib/x-1.0.jar",
    "/app/node_modules/x/package.json",
    "/src/package-lock.json",
    "/app/app.deps.json",
    "/src/packages.lock.json",
    "/usr/lib/python3/dist-packages/x.dist-info/METADATA",
    "/src/poetry.lock",
    "/src/Pipfile.lock",
    "/src/uv.lock",
    "/src/requirements.txt",
    "/src/yarn.lock",
    "/src/pnpm-lock.yaml",
    "/src/gradle.lockfile",
    "/src/app.csproj",
    "/var/lib/dpkg/info/x.list",
];

fuzz_target!(|data: &[u8]| {
    for path in PATHS {
        for a in hull_analyzer::registry::wanting(path) {
            let input = hull_analyzer::FileInput { path, bytes: data };
            if let Ok(out) = a.analyze(&input) {
                for p in out.packages {
                    assert!(!p.name.is_empty() && !p.version.is_empty(), "{path}: {p:?}");
                }
            }
        }
    }
});
