//! NetworkPolicy coverage: does every namespace deny by default, is every workload selected
//! by some policy, and does any policy open a direction to everything?
//!
//! Semantics follow the NetworkPolicy API: `policyTypes` defaults to `Ingress`, plus `Egress`
//! when the policy has an `egress` section; an empty `podSelector` selects every pod of the
//! namespace; a rule with no peers (`from`/`to` absent or empty) admits every source or
//! destination, inside the cluster and out.

use std::collections::BTreeSet;

use hull_types::Severity;

use super::{selects, selects_all, Object};
use crate::yaml::Node;
use crate::Check;
use hull_types::Misconfiguration;

/// `k8s-netpol-no-default-deny-ingress`: Namespace has no default-deny ingress NetworkPolicy.
pub static NO_DEFAULT_DENY_INGRESS: Check = Check {
    id: "k8s-netpol-no-default-deny-ingress",
    title: "Namespace has no default-deny ingress NetworkPolicy",
    severity: Severity::Medium,
    remediation: "Add a NetworkPolicy with `podSelector: {}`, policyTypes [Ingress] and no ingress rules, then allow what each workload needs.",
};

/// `k8s-netpol-no-default-deny-egress`: Namespace has no default-deny egress NetworkPolicy.
pub static NO_DEFAULT_DENY_EGRESS: Check = Check {
    id: "k8s-netpol-no-default-deny-egress",
    title: "Namespace has no default-deny egress NetworkPolicy",
    severity: Severity::Medium,
    remediation: "Add a NetworkPolicy with `podSelector: {}`, policyTypes [Egress] and no egress rules, then allow what each workload needs (DNS included).",
};

/// `k8s-netpol-workload-not-selected`: Workload not selected by any NetworkPolicy.
pub static UNSELECTED_WORKLOAD: Check = Check {
    id: "k8s-netpol-workload-not-selected",
    title: "Workload not selected by any NetworkPolicy",
    severity: Severity::Medium,
    remediation:
        "Select the workload's pods with a NetworkPolicy (or add a namespace-wide default deny).",
};

/// `k8s-netpol-allow-all-ingress`: NetworkPolicy allows ingress from anywhere.
pub static ALLOW_ALL_INGRESS: Check = Check {
    id: "k8s-netpol-allow-all-ingress",
    title: "NetworkPolicy allows ingress from anywhere",
    severity: Severity::Medium,
    remediation: "Name the sources in `from` (pod, namespace selectors or narrow ipBlocks).",
};

/// `k8s-netpol-allow-all-egress`: NetworkPolicy allows egress to anywhere.
pub static ALLOW_ALL_EGRESS: Check = Check {
    id: "k8s-netpol-allow-all-egress",
    title: "NetworkPolicy allows egress to anywhere",
    severity: Severity::Low,
    remediation: "Name the destinations in `to` (pod, namespace selectors or narrow ipBlocks).",
};

/// Every NetworkPolicy check.
pub static CHECKS: &[&Check] = &[
    &ALLOW_ALL_EGRESS,
    &ALLOW_ALL_INGRESS,
    &NO_DEFAULT_DENY_EGRESS,
    &NO_DEFAULT_DENY_INGRESS,
    &UNSELECTED_WORKLOAD,
];

/// The directions a policy governs.
fn policy_types(spec: &Node) -> (bool, bool) {
    let types = spec.get("policyTypes").items();
    if types.is_empty() {
        return (true, !spec.get("egress").is_null());
    }
    let has = |t: &str| types.iter().any(|n| n.as_str() == Some(t));
    (has("Ingress"), has("Egress"))
}

/// A peer that stands for every address.
fn open_peer(peer: &Node) -> bool {
    let cidr = peer.at("ipBlock.cidr").as_str();
    matches!(cidr, Some("0.0.0.0/0") | Some("::/0")) && peer.at("ipBlock.except").items().is_empty()
}

/// Checks NetworkPolicy coverage across all objects.
pub fn check(objects: &[Object], out: &mut Vec<Misconfiguration>) {
    let policies: Vec<&Object> = objects
        .iter()
        .filter(|o| o.kind == "NetworkPolicy")
        .collect();
    let mut namespaces: BTreeSet<&str> = objects
        .iter()
        .filter(|o| o.pod_template().is_some() || o.kind == "NetworkPolicy")
        .map(Object::ns)
        .collect();
    namespaces.extend(
        objects
            .iter()
            .filter(|o| o.kind == "Namespace")
            .map(|o| o.name.as_str()),
    );

    for ns in &namespaces {
        let in_ns = || policies.iter().filter(|p| p.ns() == *ns);
        let deny = |ingress: bool| {
            in_ns().any(|p| {
                let spec = p.node.get("spec");
                let (i, e) = policy_types(spec);
                let rules = spec.get(if ingress { "ingress" } else { "egress" });
                selects_all(spec.get("podSelector"))
                    && if ingress { i } else { e }
                    && rules.items().is_empty()
            })
        };
        // Findings about a namespace point at its Namespace object when the manifests have
        // one, else at the first file that puts something in it.
        let anchor = objects
            .iter()
            .find(|o| o.kind == "Namespace" && o.name == *ns)
            .or_else(|| objects.iter().find(|o| o.ns() == *ns));
        let Some(anchor) = anchor else { continue };
        for (ingress, check) in [
            (true, &NO_DEFAULT_DENY_INGRESS),
            (false, &NO_DEFAULT_DENY_EGRESS),
        ] {
            if !deny(ingress) {
                out.push(check.finding(
                    &anchor.file,
                    None,
                    Some(hull_types::ResourceRef {
                        kind: "Namespace".into(),
                        namespace: None,
                        name: ns.to_string(),
                    }),
                    format!(
                        "no NetworkPolicy in namespace {ns:?} denies all {} by default",
                        if ingress { "ingress" } else { "egress" }
                    ),
                ));
            }
        }
    }

    for o in objects {
        let Some(t) = o.pod_template() else { continue };
        let labels = t.meta.get("labels");
        let selected = policies
            .iter()
            .filter(|p| p.ns() == o.ns())
            .any(|p| selects(p.node.at("spec.podSelector"), labels));
        if !selected {
            out.push(o.finding(
                &UNSELECTED_WORKLOAD,
                t.meta.line,
                format!(
                    "no NetworkPolicy in namespace {:?} selects these pods",
                    o.ns()
                ),
            ));
        }
    }

    for p in &policies {
        let spec = p.node.get("spec");
        let (ingress, egress) = policy_types(spec);
        for (on, key, peers, check) in [
            (ingress, "ingress", "from", &ALLOW_ALL_INGRESS),
            (egress, "egress", "to", &ALLOW_ALL_EGRESS),
        ] {
            if !on {
                continue;
            }
            for rule in spec.get(key).items() {
                let list = rule.get(peers);
                let open = list.items().is_empty() || list.items().iter().any(open_peer);
                if open {
                    let what = if list.items().is_empty() {
                        format!("a {key} rule without `{peers}` admits every peer")
                    } else {
                        format!("a {key} rule admits 0.0.0.0/0 or ::/0")
                    };
                    out.push(p.finding(check, rule.line, what));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::k8s::{load, Object};
    use crate::yaml::Bounds;

    fn run(y: &str) -> Vec<String> {
        let (objs, _): (Vec<Object>, _) = load("t.yaml", y.as_bytes(), &Bounds::default());
        let mut out = Vec::new();
        super::check(&objs, &mut out);
        let mut ids: Vec<String> = out
            .iter()
            .map(|f| format!("{} {}", f.check, f.resource.as_ref().unwrap().name))
            .collect();
        ids.sort();
        ids
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: web, tier: front}}\n    spec: {containers: [{name: c, image: x}]}\n";

    #[test]
    fn namespace_without_policies() {
        assert_eq!(
            run(DEPLOY),
            [
                "k8s-netpol-no-default-deny-egress shop",
                "k8s-netpol-no-default-deny-ingress shop",
                "k8s-netpol-workload-not-selected web",
            ]
        );
    }

    #[test]
    fn default_deny_both_ways_covers_everything() {
        let y = format!("{DEPLOY}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: deny, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n");
        assert!(run(&y).is_empty(), "{:?}", run(&y));
    }

    #[test]
    fn ingress_only_default_deny_leaves_egress() {
        // policyTypes defaults to Ingress alone when there is no egress section.
        let y = format!("{DEPLOY}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: deny, namespace: shop}}\nspec:\n  podSelector: {{}}\n");
        assert_eq!(run(&y), ["k8s-netpol-no-default-deny-egress shop"]);
    }

    #[test]
    fn policy_in_other_namespace_or_not_matching_does_not_select() {
        let y = format!("{DEPLOY}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector:\n    matchExpressions: [{{key: tier, operator: NotIn, values: [front]}}]\n  ingress: [{{from: [{{podSelector: {{}}}}]}}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: q, namespace: other}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n");
        let r = run(&y);
        assert!(
            r.contains(&"k8s-netpol-workload-not-selected web".to_string()),
            "{r:?}"
        );
        assert!(!r.iter().any(|s| s.ends_with(" other")), "{r:?}");
    }

    #[test]
    fn selecting_policy_covers_workload() {
        let y = format!("{DEPLOY}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector:\n    matchLabels: {{app: web}}\n    matchExpressions: [{{key: tier, operator: In, values: [front]}}]\n  ingress: [{{from: [{{podSelector: {{matchLabels: {{app: lb}}}}}}]}}]\n");
        let r = run(&y);
        assert!(
            !r.iter()
                .any(|s| s.starts_with("k8s-netpol-workload-not-selected")),
            "{r:?}"
        );
        assert!(!r.iter().any(|s| s.contains("allow-all")), "{r:?}");
    }

    #[test]
    fn allow_all_rules() {
        let y = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: open, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress: [{}]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: narrow, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]}]\n";
        let r = run(y);
        assert!(
            r.contains(&"k8s-netpol-allow-all-ingress open".to_string()),
            "{r:?}"
        );
        assert!(
            r.contains(&"k8s-netpol-allow-all-egress open".to_string()),
            "{r:?}"
        );
        assert!(!r.iter().any(|s| s.ends_with(" narrow")), "{r:?}");
    }
}
