//! OpenVEX 0.2 out: one statement per vulnerability hull reports, `under_investigation`, with
//! the image as the product and the affected package as its subcomponent. A team edits a
//! statement to `not_affected` (with a justification) or `fixed` and feeds the document back
//! with `--vex`; hull's reader matches the same product and purls it writes here.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::{content_uuid, rfc3339, RenderOptions};
use hull_types::ScanReport;

/// The image as an OpenVEX product id: an OCI purl whose version is the manifest digest
/// (else the image id), or the image's name when it has neither (an SBOM, a directory).
pub(crate) fn product_id(report: &ScanReport) -> String {
    let img = &report.image;
    let digest = img.manifest_digest.as_ref().or(img.image_id.as_ref());
    match digest {
        Some(d) => {
            // The repository name without registry, path or tag: `pkg:oci/debian@sha256:…`.
            let name = img
                .repo_tags
                .first()
                .map(String::as_str)
                .unwrap_or("image")
                .rsplit('/')
                .next()
                .unwrap_or("image");
            let name = name.split(':').next().unwrap_or("image");
            let name = if name.is_empty() { "image" } else { name };
            format!(
                "pkg:oci/{}@{}",
                hull_types::purl_encode(&name.to_ascii_lowercase()),
                d
            )
        }
        None => img.name.clone(),
    }
}

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let product = product_id(report);
    // Purl of each package, to name the subcomponent a vulnerability is in.
    let purls: BTreeMap<(&str, &str, &str), String> = report
        .packages
        .iter()
        .map(|p| {
            (
                (p.kind.purl_type(), p.name.as_str(), p.version.as_str()),
                p.purl(report.image.os.as_ref()).0,
            )
        })
        .collect();
    // One statement per (vulnerability, status), listing every package it was found in.
    let mut by_id: BTreeMap<&str, (Vec<&String>, Vec<String>)> = BTreeMap::new();
    for v in &report.vulnerabilities {
        let e = by_id.entry(v.id.as_str()).or_default();
        for a in &v.aliases {
            if !e.0.contains(&a) {
                e.0.push(a);
            }
        }
        if let Some(p) = purls.get(&(v.kind.purl_type(), v.package.as_str(), v.version.as_str())) {
            if !e.1.contains(p) {
                e.1.push(p.clone());
            }
        }
    }
    let statements: Vec<Value> = by_id
        .into_iter()
        .map(|(id, (aliases, mut subs))| {
            subs.sort();
            let mut vulnerability = json!({ "name": id });
            if !aliases.is_empty() {
                let mut a: Vec<&String> = aliases;
                a.sort();
                vulnerability["aliases"] = json!(a);
            }
            let mut product = json!({ "@id": product });
            if !subs.is_empty() {
                product["subcomponents"] =
                    Value::Array(subs.iter().map(|s| json!({ "@id": s })).collect());
            }
            json!({
                "vulnerability": vulnerability,
                "products": [product],
                "status": "under_investigation",
            })
        })
        .collect();
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://openvex.dev/docs/hull/{}", content_uuid(report)),
        "author": "hull",
        "role": "scanner",
        "timestamp": rfc3339(opts.now),
        "version": 1,
        "tooling": format!("hull {}", opts.tool_version),
        "statements": statements,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
