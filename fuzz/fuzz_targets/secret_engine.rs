//! The built-in rules over arbitrary bytes. Properties: no panic; lines and columns are
//! 1-based and within the input; secrets occur in the input.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static RULES: OnceLock<hull_secret::RuleSet> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let rules = RULES.get_or_init(|| hull_secret::load(&hull_secret::Source::Builtin).unwrap().0);
    let lines = data.split(|&b| b == b'\n').count() as u32;
    for m in rules.scan("app/.env", data) {
        assert!(m.line >= 1 && m.line <= lines);
        assert!(m.column >= 1);
        let lossy = String::from_utf8_lossy(data);
        assert!(lossy.contains(&m.secret));
    }
});
