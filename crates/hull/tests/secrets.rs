//! End-to-end secret scanning: the planted-secrets image from
//! `scripts/build-secrets-image.py` (every planted secret found, no decoy reported, the
//! deleted file named with the layer that deleted it), redaction and `--show-secrets`,
//! stable fingerprints through the layer cache, and gitleaks rule files.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::*;

fn build_image(dir: &Path) -> (String, Vec<(String, String, bool)>) {
    let st = Command::new("python3")
        .arg(repo_root().join("scripts/build-secrets-image.py"))
        .arg(dir)
        .output()
        .expect("python3 runs");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let expected: Vec<(String, String, bool)> =
        serde_json::from_slice(&std::fs::read(dir.join("secrets-test.expected.json")).unwrap())
            .unwrap();
    (
        dir.join("secrets-test.tar").to_str().unwrap().to_string(),
        expected,
    )
}

fn found(v: &serde_json::Value) -> BTreeSet<(String, String, bool)> {
    v["secrets"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    (
                        s["rule"].as_str().unwrap().to_string(),
                        s["target"].as_str().unwrap().to_string(),
                        s.get("deleted_in").is_some(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn planted_secrets_found_decoys_not_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (img, expected) = build_image(dir.path());
    let cache = dir.path().join("cache");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "scan",
            "-f",
            "json",
            "--scanners",
            "secret",
            "--cache-dir",
            cache.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        a.push(&img);
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let o = hull().args(args(&[])).output().unwrap();
    let v = json_of(&o);
    assert_schema_valid("hull", "report-v1.schema.json", &v);
    let want: BTreeSet<_> = expected.into_iter().collect();
    assert_eq!(found(&v), want);

    // The deleted credentials name both layers.
    let aws = v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rule"] == "aws-access-key-id")
        .unwrap();
    assert_eq!(aws["layer"]["index"], 3);
    assert_eq!(aws["deleted_in"]["index"], 4);
    assert_eq!(aws["line"], 2);
    assert_eq!(aws["column"], 21);

    // Redacted everywhere: no secret longer than its first four characters is printed.
    let text = String::from_utf8(o.stdout.clone()).unwrap();
    let tar = std::fs::read(&img).unwrap();
    let tar_text = String::from_utf8_lossy(&tar);
    let gh = tar_text.find("GITHUB_TOKEN = \"").unwrap() + 16;
    let token = &tar_text[gh..gh + 40];
    assert!(token.starts_with("ghp_"));
    assert!(!text.contains(token));
    assert!(text.contains("\"redacted\": \"ghp_***\""));

    // A re-scan from the cache gives the same findings and fingerprints.
    let again = json_of(&hull().args(args(&[])).output().unwrap());
    assert!(again["image"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l["cached"] == true));
    assert_eq!(again["secrets"], v["secrets"]);

    // --show-secrets prints them, and does not put them in the cache.
    let shown = json_of(&hull().args(args(&["--show-secrets"])).output().unwrap());
    assert!(shown.to_string().contains(token));
    let cached: String = walk(&cache)
        .into_iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned())
        .collect();
    assert!(!cached.contains(token), "a secret reached the cache");

    // The table says where the bytes are.
    let mut targs = args(&[]);
    targs[2] = "table".into();
    let table = hull().args(targs).output().unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(table.contains("(layer 3, deleted in layer 4)"), "{table}");
}

fn walk(p: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn gitleaks_rule_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("vendor")).unwrap();
    std::fs::write(
        src.join("app.cfg"),
        "internal_key = ACME-0123456789abcdef0123\n",
    )
    .unwrap();
    std::fs::write(
        src.join("vendor/lib.cfg"),
        "internal_key = ACME-fedcba9876543210fedc\n",
    )
    .unwrap();
    std::fs::write(
        src.join("deploy.sh"),
        "export GITHUB_TOKEN=ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5\n",
    )
    .unwrap();
    // A repository's own .gitleaks.toml is used: a custom rule, the defaults, an allowlist.
    std::fs::write(
        src.join(".gitleaks.toml"),
        "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"acme-internal-key\"\ndescription = \"ACME internal key\"\nregex = '''ACME-[0-9a-f]{20}'''\nkeywords = [\"acme-\"]\ntags = [\"critical\"]\n\n[[allowlists]]\npaths = ['''(^|/)vendor/''']\n",
    )
    .unwrap();
    let v = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--scanners",
        "secret",
        src.to_str().unwrap(),
    ]);
    let got: BTreeSet<(String, String)> = v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["rule"].as_str().unwrap().into(),
                s["target"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        BTreeSet::from([
            ("acme-internal-key".to_string(), "/app.cfg".to_string()),
            ("github-pat".to_string(), "/deploy.sh".to_string()),
        ])
    );
    assert_eq!(v["secrets"][0]["severity"], "critical");

    // --secret-config replaces the defaults; unsupported keys are warned about.
    let cfg = dir.path().join("only.toml");
    std::fs::write(
        &cfg,
        "[[rules]]\nid = \"acme\"\nregex = '''ACME-[0-9a-f]{20}'''\nfrobnicate = true\n",
    )
    .unwrap();
    let o = run(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--scanners",
        "secret",
        "--secret-config",
        cfg.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    let v = json_of(&o);
    let rules: BTreeSet<&str> = v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, BTreeSet::from(["acme"]));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unsupported key `frobnicate`"));

    // A broken rule file is a usage error naming the file and rule.
    std::fs::write(&cfg, "[[rules]]\nid = \"bad\"\nregex = '''(unclosed'''\n").unwrap();
    let o = run(&[
        "scan",
        "--no-cache",
        "--scanners",
        "secret",
        "--secret-config",
        cfg.to_str().unwrap(),
        src.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("only.toml") && err.contains("rule `bad`"),
        "{err}"
    );

    // --secret-allow-path extends the allowlist.
    let v = scan_json(&[
        "scan",
        "--no-cache",
        "-f",
        "json",
        "--scanners",
        "secret",
        "--secret-allow-path",
        "deploy\\.sh$",
        src.to_str().unwrap(),
    ]);
    assert!(!v.to_string().contains("github-pat"));
}
