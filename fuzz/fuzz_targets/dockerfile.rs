//! The Dockerfile parser and checks. Properties: no panic; every instruction's line is
//! within the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(df) = hull_config::dockerfile::parse(data) {
        let lines = data.split(|&b| b == b'\n').count() as u32;
        assert!(df.instructions.iter().all(|i| i.line >= 1 && i.line <= lines.max(1)));
        let _ = hull_config::dockerfile::check("Dockerfile", &df);
    }
});
