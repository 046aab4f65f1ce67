//! The bounded YAML loader and every Kubernetes check over whatever it yields. Properties:
//! no panic, and the node budget holds (a finding list is produced in bounded time).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bounds = hull_config::yaml::Bounds {
        max_nodes: 100_000,
        ..Default::default()
    };
    let (objects, _) = hull_config::k8s::load("fuzz.yaml", data, &bounds);
    let findings = hull_config::k8s::check(&objects, &Default::default());
    // Findings are sorted and deduplicated.
    assert!(findings.windows(2).all(|w| w[0] < w[1]));
});
