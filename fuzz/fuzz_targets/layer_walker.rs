//! The layer walker on arbitrary blobs (plain tar, gzip, zstd by magic): never a panic, never
//! a file larger than the visitor's bound, every path absolute and free of `..`.
#![no_main]
use hull_image::{walk_layer, Entry, Limits, Visit};
use libfuzzer_sys::fuzz_target;

struct V;
impl Visit for V {
    fn wants(&self, _path: &str, _size: u64) -> Option<u64> {
        Some(4096)
    }
    fn entry(&mut self, e: Entry<'_>) {
        assert!(e.path.starts_with('/'));
        assert!(!e.path.split('/').any(|c| c == ".." || c == "."));
        assert!(e.bytes.len() <= 4096);
    }
    fn warning(&mut self, _path: &str, _message: String) {}
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_layer_bytes: 16 << 20, max_entries: 10_000, max_ratio: 200 };
    let _ = walk_layer(data, "fuzz", None, None, &limits, &mut V);
});
