//! VEX in: OpenVEX (0.2, and the 0.0.x spellings) and CycloneDX VEX documents, read into
//! statements about (vulnerability, product). A product is the image itself (its manifest
//! digest or image id, bare or as a `pkg:oci/…@sha256:…` purl), optionally narrowed to
//! subcomponents by purl, or a package purl. `not_affected` and `fixed` suppress a finding;
//! `under_investigation` and `affected` annotate it.

use std::collections::BTreeMap;
use std::fmt;

use hull_types::{Purl, PurlParts};
use serde_json::Value;

use crate::error::offset_of;
use crate::ignores::purl_covers;
use crate::{PolicyError, View};

/// VEX documents larger than this are refused.
const MAX_VEX: u64 = 64 << 20;

/// A statement's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum VexStatus {
    /// The product is not affected (CycloneDX `not_affected`, `false_positive`).
    NotAffected,
    /// The product is affected (CycloneDX `exploitable`).
    Affected,
    /// The product contains a fix (CycloneDX `resolved`, `resolved_with_pedigree`).
    Fixed,
    /// Not known yet (CycloneDX `in_triage`).
    UnderInvestigation,
}

impl VexStatus {
    /// Whether a finding this statement covers is taken out of the report.
    pub fn suppresses(self) -> bool {
        matches!(self, VexStatus::NotAffected | VexStatus::Fixed)
    }

    fn openvex(s: &str) -> Option<Self> {
        Some(match s {
            "not_affected" => Self::NotAffected,
            "affected" => Self::Affected,
            "fixed" => Self::Fixed,
            "under_investigation" => Self::UnderInvestigation,
            _ => return None,
        })
    }

    fn cyclonedx(s: &str) -> Option<Self> {
        Some(match s {
            "not_affected" | "false_positive" => Self::NotAffected,
            "exploitable" => Self::Affected,
            "resolved" | "resolved_with_pedigree" => Self::Fixed,
            "in_triage" => Self::UnderInvestigation,
            _ => return None,
        })
    }
}

impl fmt::Display for VexStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotAffected => "not_affected",
            Self::Affected => "affected",
            Self::Fixed => "fixed",
            Self::UnderInvestigation => "under_investigation",
        })
    }
}

/// A product a statement is about.
#[derive(Clone, Debug)]
pub struct Product {
    /// Its id: a digest, an OCI purl, or a package purl.
    pub id: String,
    /// Package purls inside it the statement is limited to (empty: all of it).
    pub subcomponents: Vec<String>,
}

/// One statement.
#[derive(Clone, Debug)]
pub struct VexStatement {
    /// The document it came from.
    pub source: String,
    /// The statement's `@id`, or its position (`statement 3`).
    pub id: String,
    /// The vulnerability's name and aliases.
    pub vulnerability: Vec<String>,
    /// The products.
    pub products: Vec<Product>,
    /// The status.
    pub status: VexStatus,
    /// The justification, impact statement or detail.
    pub justification: Option<String>,
}

impl VexStatement {
    /// Whether the statement is about this finding of an image whose digests are
    /// `image` (`sha256:…`: manifest digest, image id).
    pub(crate) fn matches(&self, v: &View<'_>, image: &[String]) -> bool {
        let named = self
            .vulnerability
            .iter()
            .any(|n| v.ids.iter().any(|i| i.eq_ignore_ascii_case(n)));
        if !named {
            return false;
        }
        let covers = |purl: &str| {
            Purl::parse(purl)
                .zip(v.purl.as_ref())
                .is_some_and(|(want, have)| purl_covers(&want, have))
        };
        self.products.iter().any(|p| {
            if is_image(&p.id, image) {
                p.subcomponents.is_empty() || p.subcomponents.iter().any(|s| covers(s))
            } else {
                covers(&p.id)
            }
        })
    }
}

/// Whether a product id names the image: one of its digests, bare or as an OCI purl's
/// version.
fn is_image(id: &str, image: &[String]) -> bool {
    if image.iter().any(|d| d == id) {
        return true;
    }
    match Purl::parse(id) {
        Some(PurlParts {
            ty,
            version: Some(v),
            ..
        }) if ty == "oci" => image.contains(&v),
        _ => false,
    }
}

/// Reads a VEX document (OpenVEX or CycloneDX, told apart by their fields).
pub fn load(path: &std::path::Path) -> Result<Vec<VexStatement>, PolicyError> {
    let (shown, text) = crate::error::read_text(path, MAX_VEX)?;
    parse(&shown, &text)
}

/// Parses a VEX document's text.
pub fn parse(file: &str, text: &str) -> Result<Vec<VexStatement>, PolicyError> {
    let doc: Value = serde_json::from_str(text).map_err(|e| {
        let at = offset_of(text, e.line(), e.column());
        PolicyError::at(file, text, at..at + 1, None, format!("not JSON: {e}"))
    })?;
    let whole = 0..text.len().min(1);
    let err = |field: &str, msg: String| {
        // Point at the field's first mention, or the start of the document.
        let at = text.find(&format!(
            "\"{}\"",
            field.rsplit('.').next().unwrap_or(field)
        ));
        let span = at.map_or(whole.clone(), |a| a..a + field.len() + 2);
        PolicyError::at(file, text, span, Some(field), msg)
    };
    if doc.get("statements").is_some() {
        openvex(file, &doc, &err)
    } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        cyclonedx(file, &doc, &err)
    } else {
        Err(err(
            "statements",
            "neither OpenVEX (`statements`) nor CycloneDX (`bomFormat`)".into(),
        ))
    }
}

type ErrAt<'a> = dyn Fn(&str, String) -> PolicyError + 'a;

fn openvex(file: &str, doc: &Value, err: &ErrAt<'_>) -> Result<Vec<VexStatement>, PolicyError> {
    let statements = doc["statements"]
        .as_array()
        .ok_or_else(|| err("statements", "must be an array".into()))?;
    let mut out = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let id = s
            .get("@id")
            .and_then(Value::as_str)
            .map_or_else(|| format!("statement {}", i + 1), str::to_string);
        let mut vulnerability = Vec::new();
        match s.get("vulnerability") {
            Some(Value::String(n)) => vulnerability.push(n.clone()),
            Some(v @ Value::Object(_)) => {
                vulnerability.extend(v.get("name").and_then(Value::as_str).map(str::to_string));
                vulnerability.extend(
                    v.get("aliases")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_string),
                );
            }
            _ => {}
        }
        if vulnerability.is_empty() {
            return Err(err(
                "vulnerability",
                format!("{id}: names no vulnerability"),
            ));
        }
        let status_text = s.get("status").and_then(Value::as_str).unwrap_or_default();
        let status = VexStatus::openvex(status_text).ok_or_else(|| {
            err(
                "status",
                format!("{id}: status {status_text:?} is not not_affected, affected, fixed or under_investigation"),
            )
        })?;
        let id_of = |v: &Value| -> Option<String> {
            match v {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o
                    .get("@id")
                    .and_then(Value::as_str)
                    .or_else(|| o.get("identifiers")?.get("purl")?.as_str())
                    .map(str::to_string),
                _ => None,
            }
        };
        let products: Vec<Product> = s
            .get("products")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                Some(Product {
                    id: id_of(p)?,
                    subcomponents: p
                        .get("subcomponents")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(id_of)
                        .collect(),
                })
            })
            .collect();
        if products.is_empty() {
            return Err(err("products", format!("{id}: names no product")));
        }
        let justification = ["justification", "impact_statement", "status_notes"]
            .iter()
            .filter_map(|k| s.get(*k).and_then(Value::as_str))
            .map(str::to_string)
            .collect::<Vec<_>>();
        out.push(VexStatement {
            source: file.to_string(),
            id,
            vulnerability,
            products,
            status,
            justification: (!justification.is_empty()).then(|| justification.join("; ")),
        });
    }
    Ok(out)
}

fn cyclonedx(file: &str, doc: &Value, err: &ErrAt<'_>) -> Result<Vec<VexStatement>, PolicyError> {
    // bom-ref -> purl (the image itself included, as metadata.component).
    let mut refs: BTreeMap<String, String> = BTreeMap::new();
    let mut stack: Vec<&Value> = vec![&doc["metadata"]["component"]];
    stack.extend(doc["components"].as_array().into_iter().flatten());
    while let Some(c) = stack.pop() {
        if let (Some(r), Some(p)) = (
            c.get("bom-ref").and_then(Value::as_str),
            c.get("purl").and_then(Value::as_str),
        ) {
            refs.insert(r.to_string(), p.to_string());
        }
        stack.extend(c["components"].as_array().into_iter().flatten());
    }
    let mut out = Vec::new();
    for (i, v) in doc["vulnerabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(name) = v.get("id").and_then(Value::as_str) else {
            return Err(err("id", format!("vulnerability {} has no id", i + 1)));
        };
        let analysis = &v["analysis"];
        let Some(state) = analysis.get("state").and_then(Value::as_str) else {
            continue; // no analysis: not a VEX statement
        };
        let status = VexStatus::cyclonedx(state).ok_or_else(|| {
            err(
                "state",
                format!("{name}: analysis state {state:?} is not a CycloneDX state"),
            )
        })?;
        let mut vulnerability = vec![name.to_string()];
        vulnerability.extend(
            v["references"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.get("id").and_then(Value::as_str))
                .map(str::to_string),
        );
        let products: Vec<Product> = v["affects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.get("ref").and_then(Value::as_str))
            .map(|r| {
                // `urn:cdx:serial/version#bom-ref` points into another BOM.
                let local = r.rsplit_once('#').map_or(r, |(_, b)| b);
                let id = refs
                    .get(r)
                    .or_else(|| refs.get(local))
                    .cloned()
                    .unwrap_or_else(|| local.to_string());
                Product {
                    id,
                    subcomponents: vec![],
                }
            })
            .collect();
        if products.is_empty() {
            return Err(err("affects", format!("{name}: affects nothing")));
        }
        let justification = ["justification", "detail"]
            .iter()
            .filter_map(|k| analysis.get(*k).and_then(Value::as_str))
            .map(str::to_string)
            .collect::<Vec<_>>();
        out.push(VexStatement {
            source: file.to_string(),
            id: v
                .get("bom-ref")
                .and_then(Value::as_str)
                .map_or_else(|| format!("{name} ({})", i + 1), str::to_string),
            vulnerability,
            products,
            status,
            justification: (!justification.is_empty()).then(|| justification.join("; ")),
        });
    }
    Ok(out)
}
