//! The OSV advisory parser: any bytes give an advisory or an error, and an advisory that
//! parses survives the database's JSON round trip unchanged. Also package URLs (read from
//! SBOMs): parsing never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = hull_advisory::Advisory::from_json(data) {
        let stored = serde_json::to_vec(&a).unwrap();
        let back: hull_advisory::Advisory = serde_json::from_slice(&stored).unwrap();
        assert_eq!(a, back);
        let _ = a.primary_id();
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = hull_types::Purl::parse(s);
    }
});
