//! dpkg, rpm and apk version parsing and ordering: never a panic, and the order is
//! antisymmetric for any two inputs.
#![no_main]
use libfuzzer_sys::fuzz_target;

fn check<V: std::str::FromStr + Ord>(a: &str, b: &str) {
    if let (Ok(x), Ok(y)) = (a.parse::<V>(), b.parse::<V>()) {
        assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let (a, b) = s.split_once('\n').unwrap_or((s, "1.0"));
    check::<hull_version::DpkgVersion>(a, b);
    check::<hull_version::RpmVersion>(a, b);
    check::<hull_version::ApkVersion>(a, b);
});
