//! The rpm header blob decoder on its own, where most of the offset arithmetic lives.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hull_analyzer::pkgdb::rpm::header::parse_blob(data);
});
