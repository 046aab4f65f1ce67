//! The gitleaks rule-file loader, then the engine with whatever rules loaded over the same
//! bytes. Properties: no panic; every secret found occurs in the scanned text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((rules, _)) = hull_secret::load_str(text, "fuzz.toml") {
        for m in rules.scan("fuzz/.env", data) {
            assert!(text.contains(&m.secret), "secret not in the text");
        }
    }
});
