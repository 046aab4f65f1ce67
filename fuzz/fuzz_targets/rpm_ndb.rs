//! rpm ndb databases: never a panic, and every header returned has a name.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(headers) = hull_analyzer::pkgdb::rpm::ndb::parse(data) {
        let _ = headers.iter().map(|h| h.evr()).count();
    }
});
