//! Language packages in a real image built by `scripts/build-lang-image.py`: npm and pip
//! installed old releases into its layers, and hull's inventory must equal what
//! `npm ls --all` and `pip list --path` report; the Cargo project's lock file (read in a
//! directory scan) must equal `cargo metadata`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::*;

type Set = BTreeSet<(String, String)>;

/// PEP 503 normalisation, as the analyzer applies it (pip lists names as written).
fn pep503(n: &str) -> String {
    hull_analyzer::lang::python::normalize(n)
}

fn of_kind(v: &serde_json::Value, kind: &str) -> Set {
    v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == kind)
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn inventory_equals_the_package_managers() {
    let Some(dir) = test_images(&[]) else { return };
    let image = dir.join("lang-test.tar");
    if !image.exists() {
        assert!(
            std::env::var_os("HULL_SKIP_IMAGE_TESTS").is_some(),
            "need {} (python3 scripts/build-lang-image.py)",
            image.display()
        );
        return;
    }
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("lang-test.expected.json")).unwrap())
            .unwrap();
    let list = |k: &str, norm: bool| -> Set {
        expected[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let n = p[0].as_str().unwrap();
                (
                    if norm { pep503(n) } else { n.to_string() },
                    p[1].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };

    let v = scan_json(&["sbom", "--no-cache", "-f", "json", image.to_str().unwrap()]);
    assert_schema_valid("hull", "report-v1.schema.json", &v);
    assert_eq!(of_kind(&v, "npm"), list("npm", false));
    assert_eq!(of_kind(&v, "python"), list("python", true));
    // Lock files are not read from images.
    assert!(of_kind(&v, "cargo").is_empty());
    // Purls and locations.
    let express = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "express")
        .unwrap();
    assert_eq!(express["purl"], "pkg:npm/express@4.17.1");
    assert_eq!(
        express["location"]["path"],
        "/app/node_modules/express/package.json"
    );
    assert!(express["location"]["layer"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    let scoped = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "@babel/code-frame")
        .unwrap();
    assert_eq!(scoped["purl"], "pkg:npm/%40babel/code-frame@7.0.0");

    // The CycloneDX SBOM carries them too, valid against the official schema.
    let cdx = scan_json(&["sbom", "--no-cache", image.to_str().unwrap()]);
    assert_schema_valid("cyclonedx-1.6", "bom-1.6.schema.json", &cdx);
    assert!(cdx.to_string().contains("pkg:pypi/django@2.2"));

    let cargo = scan_json(&[
        "sbom",
        "--no-cache",
        "-f",
        "json",
        dir.join("lang-test.cargo").to_str().unwrap(),
    ]);
    assert_eq!(of_kind(&cargo, "cargo"), list("cargo", false));
}

/// `go.sum` beside `go.mod`, as Trivy reads the pair: a Go 1.17+ `go.mod` lists every module
/// the build needs, so `go.sum` adds nothing; an older one leaves indirect modules out, and
/// `go.sum` supplies them (the highest version listed); a `go.sum` alone is reported whole.
#[test]
fn go_sum_fills_in_only_what_an_old_go_mod_leaves_out() {
    let sum = "github.com/pkg/errors v0.8.1 h1:a=\ngithub.com/pkg/errors v0.8.1/go.mod h1:b=\n\
               golang.org/x/text v0.3.0/go.mod h1:c=\ngolang.org/x/text v0.3.7 h1:d=\n\
               golang.org/x/text v0.3.7/go.mod h1:e=\n";
    let scan = |go_mod: Option<&str>| {
        let dir = tempfile::tempdir().unwrap();
        if let Some(m) = go_mod {
            std::fs::write(dir.path().join("go.mod"), m).unwrap();
        }
        std::fs::write(dir.path().join("go.sum"), sum).unwrap();
        names(&scan_json(&[
            "sbom",
            "-f",
            "json",
            dir.path().to_str().unwrap(),
        ]))
    };
    let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
    let old = "module example.com/app\n\ngo 1.16\n\nrequire github.com/pkg/errors v0.8.1\n";
    assert_eq!(
        scan(Some(old)),
        vec![
            pair("github.com/pkg/errors", "0.8.1"),
            pair("golang.org/x/text", "0.3.7"),
            pair("stdlib", "1.16"),
        ]
    );
    let new = "module example.com/app\n\ngo 1.21\n\nrequire (\n\tgithub.com/pkg/errors v0.8.1\n\tgolang.org/x/text v0.3.7 // indirect\n)\n";
    let tidy = vec![
        pair("github.com/pkg/errors", "0.8.1"),
        pair("golang.org/x/text", "0.3.7"),
        pair("stdlib", "1.21"),
    ];
    assert_eq!(scan(Some(new)), tidy);
    // A 1.21 go.mod that does not list x/text: go.sum's entry is not a build dependency.
    let partial = "module example.com/app\n\ngo 1.21\n\nrequire github.com/pkg/errors v0.8.1\n";
    assert_eq!(
        scan(Some(partial)),
        vec![
            pair("github.com/pkg/errors", "0.8.1"),
            pair("stdlib", "1.21")
        ]
    );
    assert_eq!(
        scan(None),
        vec![
            pair("github.com/pkg/errors", "0.8.1"),
            pair("golang.org/x/text", "0.3.7")
        ]
    );
}

/// `go version -m` of a binary as (name, version) pairs the way hull reports Go modules:
/// the toolchain as `stdlib`, every `dep` (its `=>` replacement when there is one), the main
/// module unless it is `(devel)`; versions without Go's `v`.
fn go_version_m(bin: &Path) -> Set {
    let o = Command::new("go")
        .arg("version")
        .arg("-m")
        .arg(bin)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let strip = |v: &str| v.strip_prefix('v').unwrap_or(v).to_string();
    let mut out = Set::new();
    let mut last_dep: Option<(String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            let go = line.rsplit(' ').next().unwrap();
            out.insert(("stdlib".into(), go.trim_start_matches("go").to_string()));
            continue;
        }
        let f: Vec<&str> = line.trim_start_matches('\t').split('\t').collect();
        match f.as_slice() {
            ["mod", path, version, ..] if *version != "(devel)" => {
                out.insert((path.to_string(), strip(version)));
            }
            ["dep", path, version, ..] => {
                if let Some(d) = last_dep.take() {
                    out.insert(d);
                }
                last_dep = Some((path.to_string(), strip(version)));
            }
            ["=>", path, version, ..] => {
                last_dep = Some((path.to_string(), strip(version)));
            }
            _ => {}
        }
    }
    out.extend(last_dep);
    out
}

/// Go binaries read by hull list exactly what the Go toolchain's `go version -m` lists: one
/// built here with Debian's Go from a module that requires another through a replacement
/// (served by a local file-system module proxy, so no network), and the Go programs Debian
/// ships (built in GOPATH mode: a toolchain version and nothing else).
#[test]
fn go_binaries_equal_go_version_m() {
    let Some(_) = test_images(&["go", "python3"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A module proxy on disk: example.com/greet v1.2.3.
    let v = d.join("proxy/example.com/greet/@v");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(v.join("list"), "v1.2.3\n").unwrap();
    std::fs::write(v.join("v1.2.3.info"), r#"{"Version":"v1.2.3"}"#).unwrap();
    let gomod = "module example.com/greet\n\ngo 1.19\n";
    std::fs::write(v.join("v1.2.3.mod"), gomod).unwrap();
    let zipped = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1], 'w')\n\
             z.writestr('example.com/greet@v1.2.3/go.mod', sys.argv[2])\n\
             z.writestr('example.com/greet@v1.2.3/greet.go', 'package greet\\n\\nfunc Hello() string { return \"hi\" }\\n')\n\
             z.close()",
        ])
        .arg(v.join("v1.2.3.zip"))
        .arg(gomod)
        .status()
        .unwrap();
    assert!(zipped.success());
    let app = d.join("app");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("go.mod"),
        "module example.com/app\n\ngo 1.19\n\nrequire example.com/hello v1.0.0\n\n\
         replace example.com/hello v1.0.0 => example.com/greet v1.2.3\n",
    )
    .unwrap();
    std::fs::write(
        app.join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\tgreet \"example.com/hello\"\n)\n\n\
         func main() { fmt.Println(greet.Hello()) }\n",
    )
    .unwrap();
    let built = Command::new("go")
        .args(["build", "-o", "app", "."])
        .current_dir(&app)
        .env("GOPROXY", format!("file://{}", d.join("proxy").display()))
        .env("GOSUMDB", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOCACHE", d.join("gocache"))
        .env("GOPATH", d.join("gopath"))
        .env("CGO_ENABLED", "0")
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );

    let mut bins: Vec<(String, std::path::PathBuf)> =
        vec![("usr/local/bin/app".into(), app.join("app"))];
    for b in ["docker-registry", "skopeo", "umoci"] {
        bins.push((format!("usr/bin/{b}"), Path::new("/usr/bin").join(b)));
    }
    let contents: Vec<Vec<u8>> = bins
        .iter()
        .map(|(_, p)| std::fs::read(p).unwrap())
        .collect();
    let entries: Vec<E> = bins
        .iter()
        .zip(&contents)
        .map(|((at, _), b)| E::Mode(at, b, 0o755))
        .collect();
    let img = d.join("go.tar");
    docker_archive(&img, &[layer(&entries)], None);
    let v = scan_json(&["sbom", "--no-cache", "-f", "json", img.to_str().unwrap()]);
    for (at, path) in &bins {
        let ours: Set = v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["location"]["path"] == format!("/{at}"))
            .map(|p| {
                (
                    p["name"].as_str().unwrap().to_string(),
                    p["version"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let theirs = go_version_m(path);
        assert_eq!(ours, theirs, "{at}");
    }
    // The built binary's replacement is what was compiled in.
    assert!(go_version_m(&app.join("app")).contains(&("example.com/greet".into(), "1.2.3".into())));
}
