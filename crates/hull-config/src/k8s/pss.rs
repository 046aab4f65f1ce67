//! The Pod Security Standards, `baseline` and `restricted`, as the Pod Security admission
//! controller enforces them at its newest policy version (v1.37): the same fields, the same
//! allowed values, the same exemptions (Windows pods for the Linux-only restricted
//! controls; user-namespaced pods, `hostUsers: false`, for the root and `/proc` controls).
//! Verdicts are tested against the admission controller's own fixtures.
//!
//! Each control reads the pod spec as YAML nodes rather than typed structs so a finding can
//! name the line of the offending field.

use hull_types::Severity;

use super::Check;
use crate::yaml::Node;

/// A Pod Security Standards level. `Restricted` includes every `Baseline` control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// The baseline profile.
    Baseline,
    /// The restricted profile (baseline included).
    Restricted,
}

impl Level {
    /// Parses `baseline` or `restricted`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "baseline" => Some(Self::Baseline),
            "restricted" => Some(Self::Restricted),
            _ => None,
        }
    }
}

/// One way a pod breaks a control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Where.
    pub line: u32,
    /// What.
    pub detail: String,
}

/// A control: the check it reports as, its level, and its test.
#[derive(Debug)]
pub struct Control {
    /// The check it reports as.
    pub check: Check,
    /// The profile it belongs to.
    pub level: Level,
    /// The admission controller's check id, for reference and for the fixture tests.
    pub upstream_id: &'static str,
    /// Baseline controls this one replaces at its level (the admission controller's
    /// `OverrideCheckIDs`): a restricted control re-checks the same fields more strictly,
    /// so the baseline one is not run beside it.
    overrides: Option<&'static str>,
    eval: fn(&Node, &Node) -> Vec<Violation>,
}

const fn baseline(id: &'static str, title: &'static str, remediation: &'static str) -> Check {
    Check {
        id,
        title,
        severity: Severity::High,
        remediation,
    }
}

const fn restricted(id: &'static str, title: &'static str, remediation: &'static str) -> Check {
    Check {
        id,
        title,
        severity: Severity::Medium,
        remediation,
    }
}

/// Every control, baseline first, each list sorted by check id.
pub static CONTROLS: &[Control] = &[
    Control {
        check: baseline(
            "pss-baseline-apparmor",
            "AppArmor profile overridden or disabled",
            "Leave the AppArmor profile unset or use RuntimeDefault or a Localhost profile.",
        ),
        level: Level::Baseline,
        upstream_id: "appArmorProfile",
        overrides: None,
        eval: apparmor,
    },
    Control {
        check: baseline(
            "pss-baseline-capabilities",
            "Capabilities added beyond the default set",
            "Add only capabilities from the container runtime's default set (and drop the rest).",
        ),
        level: Level::Baseline,
        upstream_id: "capabilities_baseline",
        overrides: None,
        eval: capabilities_baseline,
    },
    Control {
        check: baseline(
            "pss-baseline-host-namespaces",
            "Host network, PID or IPC namespace shared",
            "Remove hostNetwork, hostPID and hostIPC (or set them to false).",
        ),
        level: Level::Baseline,
        upstream_id: "hostNamespaces",
        overrides: None,
        eval: host_namespaces,
    },
    Control {
        check: baseline(
            "pss-baseline-host-path",
            "hostPath volume",
            "Use a volume type that does not expose the node's filesystem.",
        ),
        level: Level::Baseline,
        upstream_id: "hostPathVolumes",
        overrides: None,
        eval: host_path,
    },
    Control {
        check: baseline(
            "pss-baseline-host-ports",
            "Host port opened",
            "Remove hostPort; expose the port through a Service.",
        ),
        level: Level::Baseline,
        upstream_id: "hostPorts",
        overrides: None,
        eval: host_ports,
    },
    Control {
        check: baseline(
            "pss-baseline-host-probes",
            "Probe or lifecycle handler targets another host",
            "Remove the host field from probes and lifecycle handlers.",
        ),
        level: Level::Baseline,
        upstream_id: "hostProbesAndHostLifecycle",
        overrides: None,
        eval: host_probes,
    },
    Control {
        check: baseline(
            "pss-baseline-privileged",
            "Privileged container",
            "Remove securityContext.privileged or set it to false.",
        ),
        level: Level::Baseline,
        upstream_id: "privileged",
        overrides: None,
        eval: privileged,
    },
    Control {
        check: baseline(
            "pss-baseline-proc-mount",
            "Unmasked /proc mount",
            "Leave securityContext.procMount unset or Default (or run the pod in a user namespace).",
        ),
        level: Level::Baseline,
        upstream_id: "procMount",
        overrides: None,
        eval: proc_mount_baseline,
    },
    Control {
        check: baseline(
            "pss-baseline-seccomp",
            "Seccomp profile set to Unconfined",
            "Use the RuntimeDefault or a Localhost seccomp profile.",
        ),
        level: Level::Baseline,
        upstream_id: "seccompProfile_baseline",
        overrides: None,
        eval: seccomp_baseline,
    },
    Control {
        check: baseline(
            "pss-baseline-selinux",
            "Custom SELinux type, user or role",
            "Leave seLinuxOptions.user and role unset and the type unset or a container_* type.",
        ),
        level: Level::Baseline,
        upstream_id: "seLinuxOptions",
        overrides: None,
        eval: selinux,
    },
    Control {
        check: baseline(
            "pss-baseline-sysctls",
            "Unsafe sysctl",
            "Set only the namespaced, safe sysctls the Pod Security Standards list.",
        ),
        level: Level::Baseline,
        upstream_id: "sysctls",
        overrides: None,
        eval: sysctls,
    },
    Control {
        check: baseline(
            "pss-baseline-windows-host-process",
            "Windows HostProcess container",
            "Remove windowsOptions.hostProcess or set it to false.",
        ),
        level: Level::Baseline,
        upstream_id: "windowsHostProcess",
        overrides: None,
        eval: windows_host_process,
    },
    Control {
        check: restricted(
            "pss-restricted-capabilities",
            "Capabilities not dropped",
            "Set securityContext.capabilities.drop to [\"ALL\"] and add back at most NET_BIND_SERVICE.",
        ),
        level: Level::Restricted,
        upstream_id: "capabilities_restricted",
        overrides: Some("capabilities_baseline"),
        eval: capabilities_restricted,
    },
    Control {
        check: restricted(
            "pss-restricted-privilege-escalation",
            "Privilege escalation allowed",
            "Set securityContext.allowPrivilegeEscalation to false in every container.",
        ),
        level: Level::Restricted,
        upstream_id: "allowPrivilegeEscalation",
        overrides: None,
        eval: privilege_escalation,
    },
    Control {
        check: restricted(
            "pss-restricted-proc-mount",
            "Unmasked /proc mount",
            "Leave securityContext.procMount unset or Default.",
        ),
        level: Level::Restricted,
        upstream_id: "procMount_restricted",
        overrides: Some("procMount"),
        eval: proc_mount_restricted,
    },
    Control {
        check: restricted(
            "pss-restricted-run-as-non-root",
            "May run as root",
            "Set securityContext.runAsNonRoot to true on the pod (or every container).",
        ),
        level: Level::Restricted,
        upstream_id: "runAsNonRoot",
        overrides: None,
        eval: run_as_non_root,
    },
    Control {
        check: restricted(
            "pss-restricted-run-as-user",
            "Runs as UID 0",
            "Set runAsUser to a non-zero UID, or leave it unset with runAsNonRoot: true.",
        ),
        level: Level::Restricted,
        upstream_id: "runAsUser",
        overrides: None,
        eval: run_as_user,
    },
    Control {
        check: restricted(
            "pss-restricted-seccomp",
            "Seccomp profile not set",
            "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost) on the pod.",
        ),
        level: Level::Restricted,
        upstream_id: "seccompProfile_restricted",
        overrides: Some("seccompProfile_baseline"),
        eval: seccomp_restricted,
    },
    Control {
        check: restricted(
            "pss-restricted-volume-types",
            "Volume type not allowed",
            "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes.",
        ),
        level: Level::Restricted,
        upstream_id: "restrictedVolumes",
        overrides: Some("hostPathVolumes"),
        eval: restricted_volumes,
    },
];

/// Violations of every control at or below `level` by a pod (its metadata and spec).
pub fn evaluate(level: Level, meta: &Node, spec: &Node) -> Vec<(&'static Control, Vec<Violation>)> {
    let active: Vec<&'static Control> = CONTROLS.iter().filter(|c| c.level <= level).collect();
    active
        .iter()
        .filter(|c| !active.iter().any(|o| o.overrides == Some(c.upstream_id)))
        .filter_map(|c| {
            let v = (c.eval)(meta, spec);
            (!v.is_empty()).then_some((*c, v))
        })
        .collect()
}

/// Violations to report as findings. [`evaluate`] gives the admission verdict, where a
/// restricted control replaces the baseline control it tightens; a report is more useful
/// when a pod that breaks the baseline says so at baseline severity, so here every control
/// up to `level` runs, a restricted violation that repeats a baseline one (same line, same
/// words) is dropped, and one control's violations on one line are joined.
pub fn findings(level: Level, meta: &Node, spec: &Node) -> Vec<(&'static Control, Violation)> {
    let active: Vec<(&'static Control, Vec<Violation>)> = CONTROLS
        .iter()
        .filter(|c| c.level <= level)
        .map(|c| (c, (c.eval)(meta, spec)))
        .collect();
    let mut out = Vec::new();
    for (c, violations) in &active {
        let replaced: Vec<&Violation> = c
            .overrides
            .and_then(|b| active.iter().find(|(o, _)| o.upstream_id == b))
            .map(|(_, v)| v.iter().collect())
            .unwrap_or_default();
        let mut by_line: Vec<Violation> = Vec::new();
        for v in violations.iter().filter(|v| !replaced.contains(v)) {
            match by_line.iter_mut().find(|x| x.line == v.line) {
                Some(x) => {
                    x.detail.push_str("; ");
                    x.detail.push_str(&v.detail);
                }
                None => by_line.push(v.clone()),
            }
        }
        out.extend(by_line.into_iter().map(|v| (*c, v)));
    }
    out
}

/// Init, regular and ephemeral containers, the set every control visits.
fn containers(spec: &Node) -> impl Iterator<Item = &Node> {
    spec.get("initContainers")
        .items()
        .iter()
        .chain(spec.get("containers").items())
        .chain(spec.get("ephemeralContainers").items())
}

fn name(c: &Node) -> String {
    c.get("name")
        .text()
        .map(|s| s.into_owned())
        .unwrap_or_default()
}

fn is_windows(spec: &Node) -> bool {
    spec.at("os.name").as_str() == Some("windows")
}

/// `hostUsers: false`: the pod runs in a user namespace, where root and `/proc` are
/// unprivileged on the node.
fn user_namespaced(spec: &Node) -> bool {
    spec.get("hostUsers").as_bool() == Some(false)
}

fn is_true(n: &Node) -> bool {
    n.as_bool() == Some(true)
}

fn v(line: u32, detail: String) -> Violation {
    Violation { line, detail }
}

/// Line of `n`, or of `fallback` when `n` is absent.
fn line_of(n: &Node, fallback: &Node) -> u32 {
    if n.line > 0 {
        n.line
    } else {
        fallback.line
    }
}

fn apparmor(meta: &Node, spec: &Node) -> Vec<Violation> {
    let allowed_type =
        |n: &Node| n.is_null() || matches!(n.as_str(), Some("RuntimeDefault") | Some("Localhost"));
    let mut out = Vec::new();
    let pod = spec.at("securityContext.appArmorProfile");
    if !pod.is_null() && !allowed_type(pod.get("type")) {
        out.push(v(
            line_of(pod.get("type"), pod),
            format!("pod sets AppArmor profile type {}", show(pod.get("type"))),
        ));
    }
    for c in containers(spec) {
        let p = c.at("securityContext.appArmorProfile");
        if !p.is_null() && !allowed_type(p.get("type")) {
            out.push(v(
                line_of(p.get("type"), p),
                format!(
                    "container {:?} sets AppArmor profile type {}",
                    name(c),
                    show(p.get("type"))
                ),
            ));
        }
    }
    for (k, val) in meta.get("annotations").entries() {
        if k.starts_with("container.apparmor.security.beta.kubernetes.io/") {
            let s = val.text().unwrap_or_default();
            if !(s.is_empty() || s == "runtime/default" || s.starts_with("localhost/")) {
                out.push(v(val.line, format!("annotation {k}={s:?}")));
            }
        }
    }
    out
}

fn show(n: &Node) -> String {
    match n.text() {
        Some(t) => format!("{t:?}"),
        None => "(unset)".into(),
    }
}

const DEFAULT_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn capabilities_baseline(_: &Node, spec: &Node) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in containers(spec) {
        for cap in c.at("securityContext.capabilities.add").items() {
            let s = cap.text().unwrap_or_default();
            if !DEFAULT_CAPABILITIES.contains(&s.as_ref()) {
                out.push(v(
                    cap.line,
                    format!("container {:?} adds capability {s}", name(c)),
                ));
            }
        }
    }
    out
}

fn capabilities_restricted(_: &Node, spec: &Node) -> Vec<Violation> {
    if is_windows(spec) {
        return vec![];
    }
    let mut out = Vec::new();
    for c in containers(spec) {
        let caps = c.at("securityContext.capabilities");
        let drops_all = caps
            .get("drop")
            .items()
            .iter()
            .any(|d| d.as_str() == Some("ALL"));
        if !drops_all {
            out.push(v(
                line_of(caps, c),
                format!(
                    "container {:?} does not set capabilities.drop=[\"ALL\"]",
                    name(c)
                ),
            ));
        }
        for cap in caps.get("add").items() {
            let s = cap.text().unwrap_or_default();
            if s != "NET_BIND_SERVICE" {
                out.push(v(
                    cap.line,
                    format!("container {:?} adds capability {s}", name(c)),
                ));
            }
        }
    }
    out
}

fn host_namespaces(_: &Node, spec: &Node) -> Vec<Violation> {
    ["hostNetwork", "hostPID", "hostIPC"]
        .into_iter()
        .filter(|k| is_true(spec.get(k)))
        .map(|k| v(spec.get(k).line, format!("{k}=true")))
        .collect()
}

fn host_path(_: &Node, spec: &Node) -> Vec<Violation> {
    spec.get("volumes")
        .items()
        .iter()
        .filter(|vol| !vol.get("hostPath").is_null())
        .map(|vol| {
            v(
                vol.get("hostPath").line,
                format!("volume {:?} uses hostPath", name(vol)),
            )
        })
        .collect()
}

fn host_ports(_: &Node, spec: &Node) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in containers(spec) {
        for p in c.get("ports").items() {
            let hp = p.get("hostPort");
            if !hp.is_null() && hp.as_int() != Some(0) {
                out.push(v(
                    hp.line,
                    format!(
                        "container {:?} uses hostPort {}",
                        name(c),
                        hp.text().unwrap_or_default()
                    ),
                ));
            }
        }
    }
    out
}

fn host_probes(_: &Node, spec: &Node) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in containers(spec) {
        let handlers = [
            c.get("livenessProbe"),
            c.get("readinessProbe"),
            c.get("startupProbe"),
            c.at("lifecycle.postStart"),
            c.at("lifecycle.preStop"),
        ];
        for h in handlers {
            for kind in ["httpGet", "tcpSocket"] {
                let host = h.get(kind).get("host");
                if let Some(t) = host.text() {
                    if !t.is_empty() {
                        out.push(v(
                            host.line,
                            format!("container {:?} probes host {t:?}", name(c)),
                        ));
                    }
                }
            }
        }
    }
    out
}

fn privileged(_: &Node, spec: &Node) -> Vec<Violation> {
    containers(spec)
        .filter(|c| is_true(c.at("securityContext.privileged")))
        .map(|c| {
            v(
                c.at("securityContext.privileged").line,
                format!("container {:?} is privileged", name(c)),
            )
        })
        .collect()
}

fn proc_mount(spec: &Node) -> Vec<Violation> {
    containers(spec)
        .filter_map(|c| {
            let p = c.at("securityContext.procMount");
            (!p.is_null() && p.as_str() != Some("Default")).then(|| {
                v(
                    p.line,
                    format!("container {:?} sets procMount {}", name(c), show(p)),
                )
            })
        })
        .collect()
}

fn proc_mount_baseline(_: &Node, spec: &Node) -> Vec<Violation> {
    if user_namespaced(spec) {
        return vec![];
    }
    proc_mount(spec)
}

fn proc_mount_restricted(_: &Node, spec: &Node) -> Vec<Violation> {
    proc_mount(spec)
}

fn valid_seccomp(t: &Node) -> bool {
    matches!(t.as_str(), Some("RuntimeDefault") | Some("Localhost"))
}

fn seccomp_baseline(_: &Node, spec: &Node) -> Vec<Violation> {
    let mut out = Vec::new();
    let pod = spec.at("securityContext.seccompProfile");
    if !pod.is_null() && !valid_seccomp(pod.get("type")) {
        out.push(v(
            line_of(pod.get("type"), pod),
            format!("pod sets seccompProfile.type {}", show(pod.get("type"))),
        ));
    }
    for c in containers(spec) {
        let p = c.at("securityContext.seccompProfile");
        if !p.is_null() && !valid_seccomp(p.get("type")) {
            out.push(v(
                line_of(p.get("type"), p),
                format!(
                    "container {:?} sets seccompProfile.type {}",
                    name(c),
                    show(p.get("type"))
                ),
            ));
        }
    }
    out
}

fn seccomp_restricted(meta: &Node, spec: &Node) -> Vec<Violation> {
    if is_windows(spec) {
        return vec![];
    }
    let mut out = seccomp_baseline(meta, spec);
    let pod = spec.at("securityContext.seccompProfile");
    let pod_set = !pod.is_null() && valid_seccomp(pod.get("type"));
    if !pod_set {
        for c in containers(spec) {
            if c.at("securityContext.seccompProfile").is_null() {
                out.push(v(
                    c.line,
                    format!(
                        "neither the pod nor container {:?} sets seccompProfile.type to RuntimeDefault or Localhost",
                        name(c)
                    ),
                ));
            }
        }
    }
    out
}

fn selinux(_: &Node, spec: &Node) -> Vec<Violation> {
    const TYPES: &[&str] = &[
        "",
        "container_t",
        "container_init_t",
        "container_kvm_t",
        "container_engine_t",
    ];
    let check = |who: String, o: &Node, out: &mut Vec<Violation>| {
        if o.is_null() {
            return;
        }
        let t = o.get("type").text().unwrap_or_default();
        if !TYPES.contains(&t.as_ref()) {
            out.push(v(
                line_of(o.get("type"), o),
                format!("{who} sets seLinuxOptions.type {t:?}"),
            ));
        }
        for k in ["user", "role"] {
            if o.get(k).text().is_some_and(|s| !s.is_empty()) {
                out.push(v(o.get(k).line, format!("{who} sets seLinuxOptions.{k}")));
            }
        }
    };
    let mut out = Vec::new();
    check(
        "pod".into(),
        spec.at("securityContext.seLinuxOptions"),
        &mut out,
    );
    for c in containers(spec) {
        check(
            format!("container {:?}", name(c)),
            c.at("securityContext.seLinuxOptions"),
            &mut out,
        );
    }
    out
}

/// The sysctls the v1.37 policy allows: namespaced and isolated from other pods.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ping_group_range",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_notsent_lowat",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_wmem",
];

fn sysctls(_: &Node, spec: &Node) -> Vec<Violation> {
    spec.at("securityContext.sysctls")
        .items()
        .iter()
        .filter_map(|s| {
            let n = s.get("name").text().unwrap_or_default();
            (!SAFE_SYSCTLS.contains(&n.as_ref()))
                .then(|| v(line_of(s.get("name"), s), format!("sysctl {n}")))
        })
        .collect()
}

fn windows_host_process(_: &Node, spec: &Node) -> Vec<Violation> {
    let mut out = Vec::new();
    let pod = spec.at("securityContext.windowsOptions.hostProcess");
    if is_true(pod) {
        out.push(v(
            pod.line,
            "pod sets windowsOptions.hostProcess=true".into(),
        ));
    }
    for c in containers(spec) {
        let h = c.at("securityContext.windowsOptions.hostProcess");
        if is_true(h) {
            out.push(v(
                h.line,
                format!(
                    "container {:?} sets windowsOptions.hostProcess=true",
                    name(c)
                ),
            ));
        }
    }
    out
}

fn privilege_escalation(_: &Node, spec: &Node) -> Vec<Violation> {
    if is_windows(spec) {
        return vec![];
    }
    containers(spec)
        .filter_map(|c| {
            let a = c.at("securityContext.allowPrivilegeEscalation");
            (a.as_bool() != Some(false)).then(|| {
                v(
                    line_of(a, c),
                    format!(
                        "container {:?} does not set allowPrivilegeEscalation=false",
                        name(c)
                    ),
                )
            })
        })
        .collect()
}

fn run_as_non_root(_: &Node, spec: &Node) -> Vec<Violation> {
    if user_namespaced(spec) {
        return vec![];
    }
    let mut out = Vec::new();
    let pod = spec.at("securityContext.runAsNonRoot");
    let pod_true = pod.as_bool() == Some(true);
    if pod.as_bool() == Some(false) {
        out.push(v(pod.line, "pod sets runAsNonRoot=false".into()));
    }
    for c in containers(spec) {
        let r = c.at("securityContext.runAsNonRoot");
        match r.as_bool() {
            Some(false) => out.push(v(
                r.line,
                format!("container {:?} sets runAsNonRoot=false", name(c)),
            )),
            Some(true) => {}
            None if pod_true => {}
            None => out.push(v(
                c.line,
                format!(
                    "neither the pod nor container {:?} sets runAsNonRoot=true",
                    name(c)
                ),
            )),
        }
    }
    out
}

fn run_as_user(_: &Node, spec: &Node) -> Vec<Violation> {
    if user_namespaced(spec) {
        return vec![];
    }
    let mut out = Vec::new();
    let pod = spec.at("securityContext.runAsUser");
    if pod.as_int() == Some(0) {
        out.push(v(pod.line, "pod sets runAsUser=0".into()));
    }
    for c in containers(spec) {
        let r = c.at("securityContext.runAsUser");
        if r.as_int() == Some(0) {
            out.push(v(
                r.line,
                format!("container {:?} sets runAsUser=0", name(c)),
            ));
        }
    }
    out
}

/// Inline volume sources the restricted profile allows.
const ALLOWED_VOLUMES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

fn restricted_volumes(_: &Node, spec: &Node) -> Vec<Violation> {
    let mut out = Vec::new();
    for vol in spec.get("volumes").items() {
        // A volume names its source by the one key besides `name` that is set.
        let sources: Vec<&(String, Node)> = vol
            .entries()
            .iter()
            .filter(|(k, n)| k != "name" && !n.is_null())
            .collect();
        // No source at all is defaulted to emptyDir by the API server before admission.
        if sources.is_empty()
            || sources
                .iter()
                .any(|(k, _)| ALLOWED_VOLUMES.contains(&k.as_str()))
        {
            continue;
        }
        let kind = sources.first().map(|(k, _)| k.as_str()).unwrap_or("");
        let line = sources.first().map(|(_, n)| n.line).unwrap_or(vol.line);
        out.push(v(line, format!("volume {:?} uses {kind}", name(vol))));
    }
    out
}
