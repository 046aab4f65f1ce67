//! Manifest, index, config and `manifest.json` readers, and image references.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    hull_image::fuzzing::documents(data);
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(r) = hull_image::Reference::parse(s) {
            // What parses prints as something that parses to the same reference.
            assert_eq!(hull_image::Reference::parse(&r.to_string()).ok(), Some(r));
        }
    }
});
