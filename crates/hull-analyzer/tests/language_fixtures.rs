//! Every language-package fixture from other scanners' test suites, checked against the
//! upstream expected results beside it (`<fixture>.expected.json`), on (name, version).
//!
//! Upstream rules hull does not follow are listed in `DIFFERENCES`, each with its reason;
//! a fixture case not listed there must match exactly.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hull_analyzer::{registry, FileInput};
use serde_json::Value;

type Set = BTreeSet<(String, String)>;

/// (fixture, case) pairs where hull knowingly differs from upstream, and why.
const DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "scalibr-indirect-packages.mod",
        "exclude indirect",
        "an osv-scalibr option that drops indirect requirements; hull reports them with `direct: false`",
    ),
    (
        "trivy-normal_go.mod",
        "normal",
        "an older trivy option without the `stdlib` package; the same file's case with it matches",
    ),
    (
        "scalibr-per_req_options.txt",
        "per_requirement_options",
        "upstream keeps text after the version (`1.0 unexpected_text…`) in the version",
    ),
    (
        "scalibr-with_versions.txt",
        "with_version",
        "osv-scalibr reports the bound of `>=`/`<=` requirements as the version; only `==` says what is installed",
    ),
    (
        "trivy-requirements_compatible.txt",
        "compatible versions",
        "trivy reports the bound of `~=` requirements as the version; `~=` is a range, not a pin",
    ),
    (
        "trivy-uv_normal.lock",
        "normal",
        "the project itself (uv's editable root) is not reported as its own dependency",
    ),
    (
        "scalibr-exclude-root.v2.lock",
        "exclude root",
        "the workspace's own package is not reported as its dependency",
    ),
    (
        "scalibr-complex.jar",
        "Ignore inner pom.properties because max opened bytes reached",
        "an osv-scalibr option with a tiny byte budget; hull's bound (512 MiB) reads the inner archive",
    ),
    (
        "trivy-heuristic-1.0.0-SNAPSHOT.jar",
        "artifactId search",
        "trivy asks its Maven index for the group of an artifact id; hull has no index (offline) and uses the file name",
    ),
    (
        "trivy-test.jar",
        "sha1 search",
        "trivy looks the archive's SHA-1 up in its Maven index; hull has no index (offline)",
    ),
    (
        "trivy-test.jar",
        "offline",
        "trivy takes `Implementation-Title: Spring Framework` as the artifact id; hull uses `Bundle-SymbolicName` (`core`), an id without spaces",
    ),
    (
        "trivy-pnpm-lock_many.yaml",
        "many",
        "a trivy option that drops development dependencies; hull reports them with `dev: true`",
    ),
    (
        "trivy-pnpm-lock_with_dev.yaml",
        "with dev deps",
        "a trivy option that drops development dependencies; hull reports them with `dev: true`",
    ),
    (
        "trivy-pnpm-lock_v6_with_dev.yaml",
        "v6 with dev deps",
        "a trivy option that drops development dependencies; hull reports them with `dev: true`",
    ),
    (
        "trivy-yarn_with_local.lock",
        "yarn with local dependency",
        "trivy drops `file:` dependencies, osv-scalibr's fixtures keep them with their version; hull keeps them",
    ),
];

/// Two rules applied to every upstream expectation:
/// - upstream lists dependencies it has no version for (git or `file:` sources, a manifest
///   without `version`) with an empty version; hull leaves them out, since a package without
///   a version can be neither matched nor pinned;
/// - Python names are compared after PEP 503 normalisation, which hull reports (upstream
///   keeps the spelling of the `Name` header).
fn expected_entry(format: &str, name: &str, version: &str) -> Option<(String, String)> {
    if version.is_empty() {
        return None;
    }
    // Go versions without the `v` (OSV's Go ecosystem writes them so; trivy keeps it).
    let version = if matches!(format, "go-mod" | "go-sum" | "go-binary") {
        version.strip_prefix('v').unwrap_or(version)
    } else {
        version
    };
    // Go's `(devel)`: the main module's version is unknown; nothing to match (as above).
    if version == "(devel)" {
        return None;
    }
    // osv-scalibr names the toolchain `go`; OSV (and trivy, and hull) name it `stdlib`.
    let name = if format == "go-binary" && name == "go" {
        "stdlib"
    } else {
        name
    };
    let name = if matches!(
        format,
        "python-metadata" | "poetry-lock" | "pipfile-lock" | "uv-lock" | "python-requirements"
    ) {
        hull_analyzer::lang::python::normalize(name)
    } else {
        name.to_string()
    };
    Some((name, version.to_string()))
}

/// The path the fixture would have in an image, so the registry picks its analyzer.
fn image_path(format: &str, fixture: &Path) -> String {
    let name = fixture.file_name().unwrap().to_str().unwrap();
    match format {
        "cargo-lock" => "/src/Cargo.lock".into(),
        "npm-package-lock" if name.contains("npm-shrinkwrap") => "/src/npm-shrinkwrap.json".into(),
        "npm-package-lock" => "/src/package-lock.json".into(),
        "npm-package-json" => "/app/node_modules/pkg/package.json".into(),
        "composer-lock" => "/src/composer.lock".into(),
        "gemfile-lock" => "/src/Gemfile.lock".into(),
        "gemspec" => "/usr/local/bundle/specifications/x.gemspec".into(),
        "python-metadata" if name.ends_with(".whl") || name.ends_with(".egg") => {
            format!("/usr/lib/python3/site-packages/{name}")
        }
        "python-metadata" => "/usr/lib/python3/site-packages/x.dist-info/METADATA".into(),
        "poetry-lock" => "/src/poetry.lock".into(),
        "pipfile-lock" => "/src/Pipfile.lock".into(),
        "uv-lock" => "/src/uv.lock".into(),
        "python-requirements" => "/src/requirements.txt".into(),
        "yarn-lock" => "/src/yarn.lock".into(),
        "go-mod" => "/src/go.mod".into(),
        "go-sum" => "/src/go.sum".into(),
        "dotnet-deps-json" => "/app/app.deps.json".into(),
        "nuget-packages-lock" => "/src/packages.lock.json".into(),
        "go-binary" => "/usr/local/bin/app".into(),
        "rust-binary" => "/usr/local/bin/tool".into(),
        "pnpm-lock" => "/src/pnpm-lock.yaml".into(),
        "jar" => format!(
            "/app/lib/{}",
            name.trim_start_matches("scalibr-")
                .trim_start_matches("trivy-")
        ),
        _ => unreachable!(),
    }
}

/// The metadata file inside a directory fixture (scalibr's python fixtures are trees); Go
/// binaries are stored gzipped to keep the repository small.
fn bytes_of(fixture: &Path) -> Vec<u8> {
    if fixture.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(std::fs::File::open(fixture).unwrap()),
            &mut out,
        )
        .unwrap();
        return out;
    }
    if fixture.is_dir() {
        for inner in ["METADATA", "PKG-INFO"] {
            if let Ok(b) = std::fs::read(fixture.join(inner)) {
                return b;
            }
        }
        let mut entries: Vec<_> = std::fs::read_dir(fixture)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        std::fs::read(&entries[0]).unwrap()
    } else {
        std::fs::read(fixture).unwrap()
    }
}

fn run(format: &str) -> (usize, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format);
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
        .collect();
    fixtures.sort();
    let mut failures = Vec::new();
    let mut compared = 0;
    for f in &fixtures {
        let stem = f.display().to_string();
        let stem = stem.strip_suffix(".gz").unwrap_or(&stem);
        let exp: Value =
            serde_json::from_slice(&std::fs::read(format!("{stem}.expected.json")).unwrap())
                .unwrap();
        let path = image_path(format, f);
        let bytes = bytes_of(f);
        let input = FileInput {
            path: &path,
            bytes: &bytes,
        };
        // Every analyzer that wants the path (executables are offered to the Go and the
        // Rust analyzer); their packages together, or the error if none could read it.
        let analyzers: Vec<_> = registry::wanting(&path).collect();
        assert!(!analyzers.is_empty(), "{path}");
        let results: Vec<_> = analyzers.iter().map(|a| a.analyze(&input)).collect();
        let got: Result<Set, String> = if results.iter().any(|r| r.is_ok()) {
            Ok(results
                .into_iter()
                .filter_map(Result::ok)
                .flat_map(|o| o.packages)
                .map(|p| (p.name, p.version))
                .collect())
        } else {
            Err(results
                .into_iter()
                .filter_map(|r| r.err())
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "))
        };
        let fname = f.file_name().unwrap().to_str().unwrap();
        for case in exp["cases"].as_array().unwrap() {
            let cname = case["case"].as_str().unwrap_or("");
            if DIFFERENCES
                .iter()
                .any(|(fx, c, _)| *fx == fname && *c == cname)
            {
                continue;
            }
            let want: Set = case["packages"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|p| {
                    expected_entry(
                        format,
                        p["name"].as_str().unwrap(),
                        p["version"].as_str().unwrap_or(""),
                    )
                })
                .collect();
            compared += 1;
            let ok = match &got {
                Ok(g) => *g == want,
                // An upstream case that expects nothing from a malformed file is met by an
                // error (reported as a warning, never a crash).
                Err(_) => want.is_empty(),
            };
            if !ok {
                failures.push(format!(
                    "{format}/{fname} [{cname}]\n  want {want:?}\n  got  {got:?}"
                ));
            }
        }
    }
    (compared, failures)
}

macro_rules! fixture_test {
    ($name:ident, $format:literal) => {
        #[test]
        fn $name() {
            let (n, failures) = run($format);
            assert!(n > 0);
            assert!(
                failures.is_empty(),
                "{} of {n} cases differ:\n{}",
                failures.len(),
                failures.join("\n")
            );
        }
    };
}

fixture_test!(cargo_lock, "cargo-lock");
fixture_test!(npm_package_lock, "npm-package-lock");
fixture_test!(npm_package_json, "npm-package-json");
fixture_test!(composer_lock, "composer-lock");
fixture_test!(gemfile_lock, "gemfile-lock");
fixture_test!(gemspec, "gemspec");
fixture_test!(python_metadata, "python-metadata");
fixture_test!(poetry_lock, "poetry-lock");
fixture_test!(pipfile_lock, "pipfile-lock");
fixture_test!(uv_lock, "uv-lock");
fixture_test!(python_requirements, "python-requirements");
fixture_test!(yarn_lock, "yarn-lock");
fixture_test!(go_mod, "go-mod");
fixture_test!(go_sum, "go-sum");
fixture_test!(dotnet_deps_json, "dotnet-deps-json");
fixture_test!(nuget_packages_lock, "nuget-packages-lock");
fixture_test!(go_binary, "go-binary");
fixture_test!(java_archives, "jar");
fixture_test!(rust_binary, "rust-binary");
fixture_test!(pnpm_lock, "pnpm-lock");
