//! CycloneDX 1.6 JSON. The image is the BOM's subject (`metadata.component`, type
//! `container`); the OS is an `operating-system` component; each package is a `library`
//! with its purl, licences and where it was found as `hull:` properties.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::{content_uuid, rfc3339, with_purls, RenderOptions};
use hull_types::ScanReport;

pub(crate) fn render(report: &ScanReport, opts: &RenderOptions) -> String {
    let img = &report.image;
    let subject_ref = format!(
        "image:{}",
        img.image_id
            .as_ref()
            .map_or(img.name.clone(), |d| d.to_string())
    );
    let mut components = Vec::new();
    let mut refs: BTreeMap<String, usize> = BTreeMap::new();
    let mut os_ref = None;
    if let Some(os) = &img.os {
        let r = format!("os:{}@{}", os.id, os.version_id.as_deref().unwrap_or(""));
        components.push(json!({
            "type": "operating-system",
            "bom-ref": r,
            "name": os.id,
            "version": os.version_id.clone().unwrap_or_default(),
            "description": os.pretty_name.clone().unwrap_or_default(),
        }));
        os_ref = Some(r);
    }
    let mut pkg_refs = Vec::new();
    // bom-ref of each package, to point vulnerabilities at.
    let mut ref_of: BTreeMap<(String, String), String> = BTreeMap::new();
    for (p, purl) in with_purls(report) {
        // bom-refs must be unique; two identical purls (same package in two databases) get
        // a suffix.
        let n = refs.entry(purl.clone()).or_insert(0);
        *n += 1;
        let bom_ref = if *n == 1 {
            purl.clone()
        } else {
            format!("{purl}#{n}")
        };
        let mut props = vec![
            json!({"name": "hull:package:type", "value": p.kind.to_string()}),
            json!({"name": "hull:location:path", "value": p.location.path}),
        ];
        if let Some(l) = &p.location.layer {
            props.push(json!({"name": "hull:location:layer", "value": l.to_string()}));
        }
        if let Some(s) = &p.source {
            props.push(json!({"name": "hull:source:name", "value": s.name}));
            props.push(json!({"name": "hull:source:version", "value": s.version}));
        }
        if p.group_inferred {
            props.push(json!({"name": "hull:maven:group_inferred", "value": "true"}));
        }
        let mut c = json!({
            "type": "library",
            "bom-ref": bom_ref,
            "name": p.name,
            "version": p.version,
            "purl": purl,
            "properties": props,
        });
        if !p.licenses.is_empty() {
            // CycloneDX takes either licence objects or one expression, not both.
            c["licenses"] = match hull_types::license::package_expression(&p.licenses) {
                Some(e) if !hull_types::is_known_spdx_id(&e) => json!([{"expression": e}]),
                _ => Value::Array(
                    p.licenses
                        .iter()
                        .map(|l| match hull_types::license::spdx_expression(l) {
                            Some(id) if hull_types::is_known_spdx_id(&id) => {
                                json!({"license": {"id": id}})
                            }
                            _ => json!({"license": {"name": l}}),
                        })
                        .collect(),
                ),
            };
        }
        ref_of
            .entry((p.name.clone(), p.version.clone()))
            .or_insert_with(|| bom_ref.clone());
        pkg_refs.push(Value::String(bom_ref));
        components.push(c);
    }
    let mut subject_deps: Vec<Value> = pkg_refs.clone();
    if let Some(r) = &os_ref {
        subject_deps.insert(0, Value::String(r.clone()));
    }
    let mut subject = json!({
        "type": "container",
        "bom-ref": subject_ref,
        "name": img.name,
    });
    if let Some(id) = &img.image_id {
        subject["version"] = Value::String(id.to_string());
    }
    let vulnerabilities: Vec<Value> = report
        .vulnerabilities
        .iter()
        .map(|v| {
            // CycloneDX's severity words are hull's levels.
            let severity = v.level().to_string();
            let mut rating = json!({"severity": severity});
            if let Some(score) = v.score {
                rating["score"] = json!(score.value());
            }
            if let Some(vector) = &v.cvss {
                rating["vector"] = Value::String(vector.clone());
                rating["method"] = Value::String(
                    match vector.split('/').next().unwrap_or("") {
                        "CVSS:3.1" => "CVSSv31",
                        "CVSS:3.0" => "CVSSv3",
                        "CVSS:4.0" => "CVSSv4",
                        _ if !vector.starts_with("CVSS:") => "CVSSv2",
                        _ => "other",
                    }
                    .into(),
                );
            }
            let mut x = json!({
                "id": v.id,
                "source": {"name": "OSV"},
                "ratings": [rating],
                "affects": ref_of.get(&(v.package.clone(), v.version.clone())).map(|r| vec![json!({"ref": r})]).unwrap_or_default(),
                "properties": [{"name": "hull:match:reason", "value": v.reason}],
            });
            if !v.aliases.is_empty() {
                x["references"] = Value::Array(v.aliases.iter().map(|a| json!({"id": a, "source": {"name": "OSV"}})).collect());
            }
            if let Some(f) = &v.fixed {
                x["recommendation"] = Value::String(format!("Upgrade {} to {f} or later", v.package));
            }
            if let Some(s) = &v.summary {
                x["description"] = Value::String(s.clone());
            }
            x
        })
        .collect();
    let mut vulnerabilities = vulnerabilities;
    vulnerabilities.extend(analysed(report, &ref_of));
    let doc = json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", content_uuid(report)),
        "version": 1,
        "metadata": {
            "timestamp": rfc3339(opts.now),
            "tools": {"components": [{"type": "application", "name": "hull", "version": opts.tool_version}]},
            "component": subject,
        },
        "components": components,
        "dependencies": [{"ref": subject_ref, "dependsOn": subject_deps}],
    });
    let mut doc = doc;
    if !vulnerabilities.is_empty() {
        doc["vulnerabilities"] = Value::Array(vulnerabilities);
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Vulnerabilities the policy took out of the report, as VEX: one entry per id with the
/// packages it was accepted for, and an `analysis` saying why. A VEX statement keeps its
/// status (`not_affected`, `fixed` → `resolved`) and justification; an ignore is an accepted
/// risk (`exploitable`, response `will_not_fix`) with its reason and expiry.
fn analysed(report: &ScanReport, ref_of: &BTreeMap<(String, String), String>) -> Vec<Value> {
    use hull_types::SuppressedBy;
    let Some(p) = &report.policy else {
        return vec![];
    };
    // (id, analysis as JSON text) -> affected refs, so identical analyses merge.
    let mut groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for sup in &p.suppressed {
        if sup.finding.scanner != hull_types::Scanner::Vuln {
            continue;
        }
        let analysis = match &sup.by {
            SuppressedBy::Vex {
                source,
                statement,
                status,
                justification,
            } => {
                let state = if status == "fixed" {
                    "resolved"
                } else {
                    "not_affected"
                };
                let mut a = json!({"state": state, "detail": format!("VEX {source}, {statement}")});
                if let Some(j) = justification {
                    a["detail"] = json!(format!("VEX {source}, {statement}: {j}"));
                }
                a
            }
            SuppressedBy::Ignore {
                source,
                reason,
                expires,
            } => json!({
                "state": "exploitable",
                "response": ["will_not_fix"],
                "detail": format!(
                    "accepted ({source}): {reason}{}",
                    expires.as_ref().map_or(String::new(), |e| format!("; until {e}"))
                ),
            }),
            SuppressedBy::Filter { .. } => continue,
        };
        let Some((name, version)) = sup.finding.target.split_once(' ') else {
            continue;
        };
        let Some(r) = ref_of.get(&(name.to_string(), version.to_string())) else {
            continue;
        };
        let refs = groups
            .entry((sup.finding.id.clone(), analysis.to_string()))
            .or_default();
        if !refs.contains(r) {
            refs.push(r.clone());
        }
    }
    groups
        .into_iter()
        .map(|((id, analysis), refs)| {
            json!({
                "id": id,
                "source": {"name": "OSV"},
                "analysis": serde_json::from_str::<Value>(&analysis).unwrap_or(Value::Null),
                "affects": refs.into_iter().map(|r| json!({"ref": r})).collect::<Vec<_>>(),
            })
        })
        .collect()
}
