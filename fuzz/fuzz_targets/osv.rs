//! The OSV advisory parser: any bytes give an advisory or an error, an advisory that parses
//! survives the database's postcard round trip unchanged, and its severity and every range
//! evaluate without a panic under every package kind. Also package URLs (read from SBOMs):
//! parsing never panics.
#![no_main]
use hull_types::PackageKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = hull_advisory::Advisory::from_json(data) {
        let stored = postcard::to_stdvec(&a).unwrap();
        let back: hull_advisory::Advisory = postcard::from_bytes(&stored).unwrap();
        assert_eq!(a, back);
        let _ = a.primary_id();
        let _ = a.rating();
        for af in &a.affected {
            for kind in PackageKind::ALL {
                let _ = hull_match::is_affected(kind, "1.0.0", af, &mut vec![]);
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = hull_types::Purl::parse(s);
    }
});
