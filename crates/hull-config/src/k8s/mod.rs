//! Kubernetes manifests: objects read from YAML or JSON (multi-document streams, `List`
//! kinds), the pod template of every workload kind, and the checks over them: Pod Security
//! Standards, NetworkPolicy coverage, RBAC and workload hygiene.

pub mod hygiene;
pub mod netpol;
pub mod pss;
pub mod rbac;

use hull_types::{Misconfiguration, ResourceRef};

use crate::yaml::{self, Bounds, Node};
use crate::Check;

/// One Kubernetes object from a manifest.
#[derive(Clone, Debug)]
pub struct Object {
    /// The file it came from.
    pub file: String,
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `metadata.name` (or `generateName`).
    pub name: String,
    /// As the manifest says; `None` when it does not (`kubectl apply` then uses the
    /// context's namespace, `default` unless configured).
    pub namespace: Option<String>,
    /// The whole object.
    pub node: Node,
}

impl Object {
    /// The object as a finding names it.
    pub fn resource(&self) -> ResourceRef {
        ResourceRef {
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
        }
    }

    /// The namespace used to group objects: the manifest's, or `default`.
    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }

    pub(crate) fn finding(&self, check: &Check, line: u32, message: String) -> Misconfiguration {
        check.finding(
            &self.file,
            (line > 0).then_some(line),
            Some(self.resource()),
            message,
        )
    }
}

/// A workload's pod template: the metadata and spec every pod it creates gets.
pub struct PodTemplate<'a> {
    /// The workload.
    pub object: &'a Object,
    /// The template's metadata.
    pub meta: &'a Node,
    /// The template's pod spec.
    pub spec: &'a Node,
}

impl Object {
    /// The pod template of a workload kind (`None` for other kinds).
    pub fn pod_template(&self) -> Option<PodTemplate<'_>> {
        let n = &self.node;
        let t = match self.kind.as_str() {
            "Pod" => n,
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "ReplicationController" => n.at("spec.template"),
            "CronJob" => n.at("spec.jobTemplate.spec.template"),
            "PodTemplate" => n.get("template"),
            _ => return None,
        };
        let spec = t.get("spec");
        if spec.is_null() {
            return None;
        }
        Some(PodTemplate {
            object: self,
            meta: t.get("metadata"),
            spec,
        })
    }

    /// Whether pods of this workload are expected to keep running (probes make sense).
    pub fn long_running(&self) -> bool {
        !matches!(
            self.kind.as_str(),
            "Job" | "CronJob" | "Pod" | "PodTemplate"
        )
    }
}

/// A manifest document that could not be checked: it fails the gate like any other high
/// finding (and the admission webhook denies on it), since whatever it holds (a privileged
/// Pod, say) was never looked at.
pub static UNREADABLE: Check = Check {
    id: "k8s-unreadable-document",
    title: "Manifest document that could not be checked",
    severity: hull_types::Severity::Critical,
    remediation: "Fix the YAML (syntax, anchors and aliases, nesting, size) so every document can be read; hull never passes what it did not read.",
};

/// The documents of a stream by their `---` / `...` markers, each with the 0-based line it
/// starts on. YAML forbids those markers at the start of a line inside any content, so the
/// split is exact, and a document that breaks (a syntax error, an alias bomb) cannot take
/// the documents after it with it.
fn documents(text: &str) -> Vec<(u32, &str)> {
    let is_marker = |l: &str| {
        (l.starts_with("---") || l.starts_with("..."))
            && l[3..].chars().next().is_none_or(|c| c.is_whitespace())
    };
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut start_line = 0u32;
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if is_marker(line) && offset > start {
            out.push((start_line, &text[start..offset]));
            start = offset;
            start_line = i as u32;
        }
        offset += line.len();
    }
    if offset > start {
        out.push((start_line, &text[start..]));
    }
    out
}

/// Adds `by` to every line number of a tree parsed from a slice of the file.
fn shift(node: &mut Node, by: u32) {
    node.line = node.line.saturating_add(by);
    match &mut node.value {
        yaml::Value::Seq(items) => items.iter_mut().for_each(|n| shift(n, by)),
        yaml::Value::Map(entries) => entries.iter_mut().for_each(|(_, n)| shift(n, by)),
        _ => {}
    }
}

fn count(node: &Node) -> usize {
    1 + match &node.value {
        yaml::Value::Seq(items) => items.iter().map(count).sum(),
        yaml::Value::Map(entries) => entries.iter().map(|(_, n)| count(n)).sum(),
        _ => 0,
    }
}

/// Documents of one file together may expand to this many times one document's node budget;
/// past it the rest of the file is reported unchecked (a file of a thousand alias bombs
/// would otherwise cost a thousand budgets).
const FILE_BUDGETS: usize = 8;

/// Reads the Kubernetes objects in one file. Documents without `apiVersion` and `kind` are
/// not Kubernetes objects and are skipped silently (a source tree holds many other YAML
/// files); a document that cannot be parsed is a `k8s-unreadable-document` finding naming
/// the file and line, and the documents after it are still read.
pub fn load(path: &str, bytes: &[u8], bounds: &Bounds) -> (Vec<Object>, Vec<Misconfiguration>) {
    let mut objects = Vec::new();
    let mut unreadable = Vec::new();
    let mut fail = |line: u32, message: String| {
        unreadable.push(UNREADABLE.finding(path, (line > 0).then_some(line), None, message));
    };
    if bytes.len() > bounds.max_bytes {
        fail(
            0,
            format!("larger than {} bytes; not checked", bounds.max_bytes),
        );
        return (objects, unreadable);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        fail(0, "not UTF-8; not checked".into());
        return (objects, unreadable);
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut spent = 0usize;
    for (first_line, doc) in documents(text) {
        if spent > FILE_BUDGETS * bounds.max_nodes {
            fail(
                first_line + 1,
                "not checked: the file's documents exceed the node budget (alias bombs?)".into(),
            );
            break;
        }
        let (docs, err) = yaml::parse_stream(doc.as_bytes(), bounds);
        for mut d in docs {
            spent += count(&d.root);
            shift(&mut d.root, first_line);
            collect(path, d.root, &mut objects, 0);
        }
        if let Some(e) = err {
            spent += bounds.max_nodes;
            let line = match &e {
                yaml::YamlError::Syntax { line, .. }
                | yaml::YamlError::TooManyNodes(line)
                | yaml::YamlError::TooDeep(line)
                | yaml::YamlError::UnknownAnchor(line) => first_line + *line,
                _ => first_line + 1,
            };
            // The error's own line is relative to the document; the finding has the file's.
            let what = e.to_string();
            let what = what
                .split_once(": ")
                .filter(|(l, _)| l.starts_with("line "))
                .map_or(what.as_str(), |(_, rest)| rest);
            fail(line, format!("document not checked: {what}"));
        }
    }
    (objects, unreadable)
}

fn collect(path: &str, node: Node, out: &mut Vec<Object>, depth: u8) {
    let (Some(api_version), Some(kind)) = (
        node.get("apiVersion").as_str().map(str::to_string),
        node.get("kind").as_str().map(str::to_string),
    ) else {
        return;
    };
    if kind.ends_with("List") && depth == 0 {
        if let yaml::Value::Map(entries) = node.value {
            for (k, v) in entries {
                if k == "items" {
                    if let yaml::Value::Seq(items) = v.value {
                        for item in items {
                            collect(path, item, out, depth + 1);
                        }
                    }
                }
            }
        }
        return;
    }
    let name = node
        .at("metadata.name")
        .text()
        .or_else(|| node.at("metadata.generateName").text())
        .map(|s| s.into_owned())
        .unwrap_or_default();
    let namespace = node.at("metadata.namespace").text().map(|s| s.into_owned());
    out.push(Object {
        file: path.to_string(),
        api_version,
        kind,
        name,
        namespace,
        node,
    });
}

/// Label selector semantics (`matchLabels` and `matchExpressions`, ANDed). An empty or
/// absent selector selects everything, as for a NetworkPolicy's `podSelector`.
pub fn selects(selector: &Node, labels: &Node) -> bool {
    let label = |k: &str| labels.get(k).text();
    for (k, want) in selector.get("matchLabels").entries() {
        if label(k).as_deref() != want.text().as_deref() {
            return false;
        }
    }
    for e in selector.get("matchExpressions").items() {
        let key = e.get("key").text().unwrap_or_default();
        let have = label(&key);
        let values: Vec<_> = e
            .get("values")
            .items()
            .iter()
            .filter_map(Node::text)
            .collect();
        let ok = match e.get("operator").as_str() {
            Some("In") => have.as_ref().is_some_and(|h| values.contains(h)),
            Some("NotIn") => have.as_ref().is_none_or(|h| !values.contains(h)),
            Some("Exists") => have.is_some(),
            Some("DoesNotExist") => have.is_none(),
            // An invalid operator is rejected by the API server; it selects nothing.
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// Whether a selector is empty (`{}` or absent): it selects every pod.
pub fn selects_all(selector: &Node) -> bool {
    selector.get("matchLabels").entries().is_empty()
        && selector.get("matchExpressions").items().is_empty()
}

/// How to check manifests.
#[derive(Clone, Debug)]
pub struct Options {
    /// The Pod Security Standards level to hold workloads to.
    pub level: pss::Level,
    /// Registries (host, or host/path prefix) images may come from; empty: any.
    pub allowed_registries: Vec<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            level: pss::Level::Restricted,
            allowed_registries: Vec::new(),
        }
    }
}

/// Runs every Kubernetes check over a set of objects (all of them together: NetworkPolicy
/// coverage and service-account settings depend on other objects).
pub fn check(objects: &[Object], opts: &Options) -> Vec<Misconfiguration> {
    let mut out = Vec::new();
    for o in objects {
        if let Some(t) = o.pod_template() {
            for (control, v) in pss::findings(opts.level, t.meta, t.spec) {
                out.push(o.finding(&control.check, v.line, v.detail));
            }
            hygiene::check(&t, opts, &mut out);
        }
    }
    netpol::check(objects, &mut out);
    rbac::check(objects, &mut out);
    out.sort();
    out.dedup();
    out
}

/// Every check this module can report, for the registry.
pub fn checks() -> Vec<&'static Check> {
    let mut v: Vec<&'static Check> = pss::CONTROLS.iter().map(|c| &c.check).collect();
    v.push(&UNREADABLE);
    v.extend(hygiene::CHECKS);
    v.extend(netpol::CHECKS);
    v.extend(rbac::CHECKS);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(s: &str) -> Node {
        yaml::parse_stream(s.as_bytes(), &Bounds::default()).0[0]
            .root
            .clone()
    }

    #[test]
    fn selector_semantics() {
        let labels = node("app: web\ntier: front\n");
        assert!(selects(&node("{}"), &labels));
        assert!(selects(&node("matchLabels: {app: web}"), &labels));
        assert!(!selects(&node("matchLabels: {app: db}"), &labels));
        assert!(selects(
            &node("matchExpressions: [{key: tier, operator: In, values: [front, back]}]"),
            &labels
        ));
        assert!(!selects(
            &node("matchExpressions: [{key: tier, operator: NotIn, values: [front]}]"),
            &labels
        ));
        assert!(selects(
            &node("matchExpressions: [{key: env, operator: DoesNotExist}]"),
            &labels
        ));
        assert!(!selects(
            &node("matchExpressions: [{key: env, operator: Exists}]"),
            &labels
        ));
        assert!(!selects(
            &node("matchLabels: {app: web}\nmatchExpressions: [{key: env, operator: Exists}]"),
            &labels
        ));
    }

    #[test]
    fn lists_and_workload_templates() {
        let y = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: a, namespace: x}\n  spec:\n    template:\n      spec:\n        containers: [{name: c, image: nginx}]\n- apiVersion: batch/v1\n  kind: CronJob\n  metadata: {name: b}\n  spec:\n    jobTemplate:\n      spec:\n        template:\n          spec:\n            containers: [{name: c, image: busybox}]\n";
        let (objs, w) = load("m.yaml", y.as_bytes(), &Bounds::default());
        assert!(w.is_empty());
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].ns(), "x");
        assert_eq!(objs[1].ns(), "default");
        assert!(objs.iter().all(|o| o.pod_template().is_some()));
    }
}
