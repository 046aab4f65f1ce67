//! IoC set and malware hash-list parsers (plain lists, Loki, STIX 2.1, MISP, ClamAV, MalwareBazaar
//! CSV): any bytes load or give an error, never a panic, and matching what loaded against
//! the same bytes does not panic either.
#![no_main]
use hull_malware::hashes::{load_hash_file, FileHashes, HashTable};
use hull_malware::ioc::IocSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut set = IocSet::default();
    if set.load("fuzz", &text).is_ok() {
        set.prepare();
        let hashes = FileHashes::compute(data, &set.hash_kinds());
        let _ = set.scan_bytes(data);
        let _ = set.match_file("/a/b!c", &hashes);
    }
    let mut table = HashTable::default();
    let _ = load_hash_file(&mut table, "fuzz", &text);
    let _ = table.lookup(&FileHashes::compute(data, &table.kinds()), data.len() as u64);
});
