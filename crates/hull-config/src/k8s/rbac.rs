//! RBAC: roles that grant too much, bindings of `cluster-admin`, and workloads that mount
//! the default service account's token.

use hull_types::{Misconfiguration, Severity};

use super::Object;
use crate::yaml::Node;
use crate::Check;

/// `k8s-rbac-wildcard`: Role grants wildcard access.
pub static WILDCARD: Check = Check {
    id: "k8s-rbac-wildcard",
    title: "Role grants wildcard access",
    severity: Severity::High,
    remediation: "List the verbs, resources and API groups the subject needs instead of `*`.",
};

/// `k8s-rbac-escalation-verbs`: Role can escalate privileges (escalate, bind or impersonate).
pub static ESCALATION_VERBS: Check = Check {
    id: "k8s-rbac-escalation-verbs",
    title: "Role can escalate privileges (escalate, bind or impersonate)",
    severity: Severity::High,
    remediation:
        "Remove the escalate, bind and impersonate verbs unless the subject administers RBAC.",
};

/// `k8s-rbac-secrets-cluster-wide`: ClusterRole reads Secrets in every namespace.
pub static SECRETS_CLUSTER_WIDE: Check = Check {
    id: "k8s-rbac-secrets-cluster-wide",
    title: "ClusterRole reads Secrets in every namespace",
    severity: Severity::High,
    remediation:
        "Grant get/list/watch on secrets with a namespaced Role, for the named secrets only.",
};

/// `k8s-rbac-pods-exec`: Role allows exec into pods.
pub static PODS_EXEC: Check = Check {
    id: "k8s-rbac-pods-exec",
    title: "Role allows exec into pods",
    severity: Severity::High,
    remediation:
        "Remove pods/exec (and pods/attach) unless the subject is an operator that needs it.",
};

/// `k8s-rbac-cluster-admin-binding`: cluster-admin bound to a non-system subject.
pub static CLUSTER_ADMIN_BINDING: Check = Check {
    id: "k8s-rbac-cluster-admin-binding",
    title: "cluster-admin bound to a non-system subject",
    severity: Severity::Critical,
    remediation:
        "Bind a narrower role; keep cluster-admin for system groups and break-glass access.",
};

/// `k8s-default-service-account-token`: Workload mounts the default service account token.
pub static DEFAULT_SA_TOKEN: Check = Check {
    id: "k8s-default-service-account-token",
    title: "Workload mounts the default service account token",
    severity: Severity::Medium,
    remediation: "Use a dedicated service account, or set automountServiceAccountToken: false.",
};

/// Every RBAC check.
pub static CHECKS: &[&Check] = &[
    &DEFAULT_SA_TOKEN,
    &CLUSTER_ADMIN_BINDING,
    &ESCALATION_VERBS,
    &PODS_EXEC,
    &SECRETS_CLUSTER_WIDE,
    &WILDCARD,
];

fn strings(n: &Node) -> Vec<String> {
    n.items()
        .iter()
        .filter_map(|i| i.text().map(|s| s.into_owned()))
        .collect()
}

/// Checks RBAC objects.
pub fn check(objects: &[Object], out: &mut Vec<Misconfiguration>) {
    for o in objects {
        match o.kind.as_str() {
            "Role" | "ClusterRole" => role(o, out),
            "RoleBinding" | "ClusterRoleBinding" => binding(o, out),
            _ => {}
        }
        if let Some(t) = o.pod_template() {
            service_account(o, t.spec, objects, out);
        }
    }
}

fn role(o: &Object, out: &mut Vec<Misconfiguration>) {
    let cluster = o.kind == "ClusterRole";
    for rule in o.node.get("rules").items() {
        let verbs = strings(rule.get("verbs"));
        let resources = strings(rule.get("resources"));
        let groups = strings(rule.get("apiGroups"));
        let has = |v: &[String], s: &str| v.iter().any(|x| x == s);
        let any_verb = |want: &[&str]| verbs.iter().any(|v| v == "*" || want.contains(&v.as_str()));

        let wild: Vec<&str> = [
            ("verbs", &verbs),
            ("resources", &resources),
            ("apiGroups", &groups),
        ]
        .into_iter()
        .filter(|(_, v)| has(v, "*"))
        .map(|(k, _)| k)
        .collect();
        if !wild.is_empty() {
            out.push(o.finding(&WILDCARD, rule.line, format!("`*` in {}", wild.join(", "))));
        }
        let esc: Vec<&str> = ["bind", "escalate", "impersonate"]
            .into_iter()
            .filter(|v| has(&verbs, v))
            .collect();
        if !esc.is_empty() {
            out.push(o.finding(
                &ESCALATION_VERBS,
                rule.line,
                format!("verbs {}", esc.join(", ")),
            ));
        }
        let core = groups.is_empty() || has(&groups, "") || has(&groups, "*");
        if cluster
            && core
            && (has(&resources, "secrets") || has(&resources, "*"))
            && any_verb(&["get", "list", "watch"])
        {
            out.push(o.finding(
                &SECRETS_CLUSTER_WIDE,
                rule.line,
                "get/list/watch on secrets in a ClusterRole".into(),
            ));
        }
        if core && has(&resources, "pods/exec") && any_verb(&["create", "get"]) {
            out.push(o.finding(&PODS_EXEC, rule.line, "create/get on pods/exec".into()));
        }
    }
}

fn binding(o: &Object, out: &mut Vec<Misconfiguration>) {
    let role = o.node.get("roleRef");
    if role.get("kind").as_str() != Some("ClusterRole")
        || role.get("name").as_str() != Some("cluster-admin")
    {
        return;
    }
    for s in o.node.get("subjects").items() {
        let kind = s.get("kind").text().unwrap_or_default();
        let name = s.get("name").text().unwrap_or_default();
        if kind == "Group" && name.starts_with("system:") {
            continue;
        }
        out.push(o.finding(
            &CLUSTER_ADMIN_BINDING,
            s.line,
            format!("cluster-admin bound to {kind} {name:?}"),
        ));
    }
}

/// A pod mounts the default service account's token unless it names another account or
/// opts out, on the pod or on the `default` ServiceAccount object itself.
fn service_account(o: &Object, spec: &Node, objects: &[Object], out: &mut Vec<Misconfiguration>) {
    let sa = spec
        .get("serviceAccountName")
        .as_str()
        .or_else(|| spec.get("serviceAccount").as_str())
        .unwrap_or("default");
    if sa != "default" {
        return;
    }
    match spec.get("automountServiceAccountToken").as_bool() {
        Some(false) => return,
        Some(true) => {}
        None => {
            let opted_out = objects.iter().any(|a| {
                a.kind == "ServiceAccount"
                    && a.name == "default"
                    && a.ns() == o.ns()
                    && a.node.get("automountServiceAccountToken").as_bool() == Some(false)
            });
            if opted_out {
                return;
            }
        }
    }
    out.push(o.finding(
        &DEFAULT_SA_TOKEN,
        spec.line,
        "pods run as the `default` service account with its token mounted".into(),
    ));
}

#[cfg(test)]
mod tests {
    use crate::k8s::load;
    use crate::yaml::Bounds;

    fn run(y: &str) -> Vec<String> {
        let (objs, _) = load("t.yaml", y.as_bytes(), &Bounds::default());
        let mut out = Vec::new();
        super::check(&objs, &mut out);
        let mut ids: Vec<String> = out.iter().map(|f| f.check.clone()).collect();
        ids.sort();
        ids
    }

    fn role(kind: &str, rule: &str) -> String {
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: r, namespace: n}}\nrules:\n- {rule}\n")
    }

    #[test]
    fn wildcards() {
        assert_eq!(
            run(&role(
                "Role",
                "{apiGroups: [apps], resources: [deployments], verbs: ['*']}"
            )),
            ["k8s-rbac-wildcard"]
        );
        assert!(run(&role(
            "Role",
            "{apiGroups: [apps], resources: [deployments], verbs: [get, list]}"
        ))
        .is_empty());
    }

    #[test]
    fn escalation_verbs() {
        assert_eq!(
            run(&role("ClusterRole", "{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind, escalate]}")),
            ["k8s-rbac-escalation-verbs"]
        );
        assert_eq!(
            run(&role(
                "Role",
                "{apiGroups: [''], resources: [users], verbs: [impersonate]}"
            )),
            ["k8s-rbac-escalation-verbs"]
        );
    }

    #[test]
    fn secrets_read_cluster_wide_but_not_namespaced() {
        assert_eq!(
            run(&role(
                "ClusterRole",
                "{apiGroups: [''], resources: [secrets], verbs: [list]}"
            )),
            ["k8s-rbac-secrets-cluster-wide"]
        );
        assert!(run(&role(
            "Role",
            "{apiGroups: [''], resources: [secrets], verbs: [list]}"
        ))
        .is_empty());
        assert!(run(&role(
            "ClusterRole",
            "{apiGroups: [''], resources: [secrets], verbs: [create]}"
        ))
        .is_empty());
        assert!(run(&role(
            "ClusterRole",
            "{apiGroups: [''], resources: [configmaps], verbs: [get]}"
        ))
        .is_empty());
    }

    #[test]
    fn pods_exec() {
        assert_eq!(
            run(&role(
                "Role",
                "{apiGroups: [''], resources: [pods/exec], verbs: [create]}"
            )),
            ["k8s-rbac-pods-exec"]
        );
        assert!(run(&role(
            "Role",
            "{apiGroups: [''], resources: [pods/log], verbs: [get]}"
        ))
        .is_empty());
    }

    #[test]
    fn cluster_admin_bindings() {
        let b = |kind: &str, subject: &str| {
            format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: b}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: {kind}, name: cluster-admin}}\nsubjects: [{subject}]\n")
        };
        assert_eq!(
            run(&b(
                "ClusterRole",
                "{kind: ServiceAccount, name: ci, namespace: tools}"
            )),
            ["k8s-rbac-cluster-admin-binding"]
        );
        assert_eq!(
            run(&b("ClusterRole", "{kind: Group, name: developers}")),
            ["k8s-rbac-cluster-admin-binding"]
        );
        assert!(run(&b("ClusterRole", "{kind: Group, name: 'system:masters'}")).is_empty());
        // A namespaced Role that happens to be called cluster-admin is not the cluster role.
        assert!(run(&b("Role", "{kind: User, name: alice}")).is_empty());
    }

    #[test]
    fn default_service_account_token() {
        let pod = |extra: &str| {
            format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: n}}\nspec:\n  containers: [{{name: c, image: x}}]\n{extra}")
        };
        assert_eq!(run(&pod("")), ["k8s-default-service-account-token"]);
        assert!(run(&pod("  automountServiceAccountToken: false\n")).is_empty());
        assert!(run(&pod("  serviceAccountName: app\n")).is_empty());
        assert_eq!(
            run(&pod("  serviceAccountName: default\n")),
            ["k8s-default-service-account-token"]
        );
        let sa = "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: n}\nautomountServiceAccountToken: false\n";
        assert!(run(&format!("{}{sa}", pod(""))).is_empty());
        // The pod's own setting wins over the account's.
        assert_eq!(
            run(&format!(
                "{}{sa}",
                pod("  automountServiceAccountToken: true\n")
            )),
            ["k8s-default-service-account-token"]
        );
    }
}
