//! SPDX 2.3 JSON. The image is a package the document DESCRIBES; it CONTAINS every OS
//! package. Package licences are recorded as declared text in `licenseComments` (dpkg, apk
//! and rpm licence fields are not always SPDX expressions), with `licenseDeclared`
//! NOASSERTION.

use serde_json::{json, Value};

use crate::{content_uuid, rfc3339, with_purls, RenderOptions};
use hull_types::ScanReport;

/// SPDX identifiers allow letters, digits, `.` and `-`.
fn spdx_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let img = &report.image;
    let image_id = "SPDXRef-Image".to_string();
    let mut packages = vec![{
        let mut p = json!({
            "name": img.name,
            "SPDXID": image_id,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "CONTAINER",
        });
        if let Some(d) = &img.image_id {
            p["versionInfo"] = Value::String(d.to_string());
            p["checksums"] = json!([{"algorithm": "SHA256", "checksumValue": d.hex()}]);
        }
        p
    }];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": image_id,
    })];
    if let Some(os) = &img.os {
        let id = "SPDXRef-OperatingSystem".to_string();
        packages.push(json!({
            "name": os.id,
            "SPDXID": id,
            "versionInfo": os.version_id.clone().unwrap_or_default(),
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "OPERATING_SYSTEM",
        }));
        relationships.push(json!({"spdxElementId": image_id, "relationshipType": "CONTAINS", "relatedSpdxElement": id}));
    }
    for (i, (p, purl)) in with_purls(report).into_iter().enumerate() {
        let id = format!("SPDXRef-Package-{}-{}-{i}", p.kind, spdx_id(&p.name));
        let mut v = json!({
            "name": p.name,
            "SPDXID": id,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "primaryPackagePurpose": "LIBRARY",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}],
        });
        if let Some(s) = &p.source {
            v["sourceInfo"] = Value::String(format!(
                "built from source package {} {}",
                s.name, s.version
            ));
        }
        match hull_types::license::package_expression(&p.licenses) {
            Some(expr) => v["licenseDeclared"] = Value::String(expr),
            None if !p.licenses.is_empty() => {
                // Not SPDX: said as written, the declaration itself left NOASSERTION.
                v["licenseComments"] =
                    Value::String(format!("declared: {}", p.licenses.join(" AND ")));
            }
            None => {}
        }
        let mut where_ = format!("found in {}", p.location.path);
        if let Some(l) = &p.location.layer {
            where_.push_str(&format!(" (layer {l})"));
        }
        v["comment"] = Value::String(where_);
        packages.push(v);
        relationships.push(json!({"spdxElementId": image_id, "relationshipType": "CONTAINS", "relatedSpdxElement": id}));
    }
    let doc = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": img.name,
        "documentNamespace": format!("https://hull.dev/spdx/{}-{}", spdx_id(&img.name), content_uuid(report)),
        "creationInfo": {
            "created": rfc3339(opts.now),
            "creators": [format!("Tool: hull-{}", opts.tool_version)],
        },
        "packages": packages,
        "relationships": relationships,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
