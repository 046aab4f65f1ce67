//! Throughput of the secret engine alone: reads every regular file under the given
//! directories into memory (links not followed, files over 10 MiB skipped, as in a scan),
//! then scans them all on one thread with the built-in rules, several times, and prints the
//! median MB/s with the number of findings.
//!
//! `cargo run --release -p hull-secret --example throughput -- DIR… [--runs N]`

use std::path::{Path, PathBuf};
use std::time::Instant;

fn collect(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        if ft.is_dir() {
            collect(&p, out);
        } else if ft.is_file() {
            if let Ok(m) = e.metadata() {
                if m.len() <= hull_secret::DEFAULT_MAX_FILE {
                    if let Ok(b) = std::fs::read(&p) {
                        out.push((p.display().to_string(), b));
                    }
                }
            }
        }
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut runs = 5;
    if let Some(i) = args.iter().position(|a| a == "--runs") {
        runs = args[i + 1].parse().expect("--runs N");
        args.drain(i..=i + 1);
    }
    let mut files = Vec::new();
    for d in &args {
        collect(&PathBuf::from(d), &mut files);
    }
    let (rules, _) = hull_secret::load(&hull_secret::Source::Builtin).expect("built-in rules");
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let text = files
        .iter()
        .filter(|(_, b)| !hull_secret::is_binary(b))
        .map(|(_, b)| b.len())
        .sum::<usize>();
    if std::env::var_os("HULL_AC").is_some() {
        let mut kws: Vec<String> = rules
            .rules()
            .iter()
            .filter(|r| r.path.is_none())
            .flat_map(|r| r.keywords.clone())
            .collect();
        kws.sort();
        kws.dedup();
        {
            let ac = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&kws)
                .unwrap();
            let mut counts = vec![0usize; kws.len()];
            for (_, f) in files.iter().filter(|(_, f)| !hull_secret::is_binary(f)) {
                for m in ac.find_overlapping_iter(f) {
                    counts[m.pattern().as_usize()] += 1;
                }
            }
            let mut c: Vec<(usize, &String)> = counts.into_iter().zip(&kws).collect();
            c.sort_by_key(|x| std::cmp::Reverse(x.0));
            for (n, k) in c.iter().take(15) {
                println!("{n:>8} {k}");
            }
        }
        for kind in [
            "overlapping-standard",
            "overlapping-standard-dfa",
            "leftmost-first",
            "leftmost-first-dfa",
        ] {
            let mut b = aho_corasick::AhoCorasick::builder();
            b.ascii_case_insensitive(true);
            if !kind.starts_with("overlapping-standard") {
                b.match_kind(aho_corasick::MatchKind::LeftmostFirst);
            }
            if kind.ends_with("dfa") {
                b.kind(Some(aho_corasick::AhoCorasickKind::DFA));
            }
            let ac = b.build(&kws).unwrap();
            let t = Instant::now();
            let mut n = 0usize;
            for (_, f) in files.iter().filter(|(_, f)| !hull_secret::is_binary(f)) {
                n += if kind.starts_with("overlapping-standard") {
                    ac.find_overlapping_iter(f).count()
                } else {
                    ac.find_iter(f).count()
                };
            }
            println!("{kind}: {:.3} s, {n} matches", t.elapsed().as_secs_f64());
        }
        return;
    }
    if std::env::var_os("HULL_PER_RULE").is_some() {
        per_rule(&rules, &files);
        return;
    }
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..runs {
        let t = Instant::now();
        found = files
            .iter()
            .map(|(p, b)| rules.scan(p, b).len())
            .sum::<usize>();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let med = times[times.len() / 2];
    println!(
        "{} files, {:.0} MB ({:.0} MB text); median of {runs}: {:.3} s = {:.0} MB/s per core ({:.0} MB/s of text); {found} findings",
        files.len(),
        bytes as f64 / 1e6,
        text as f64 / 1e6,
        med,
        bytes as f64 / 1e6 / med,
        text as f64 / 1e6 / med
    );
}

/// With `HULL_PER_RULE=1`: each rule's regex alone over the text files holding one of its
/// keywords (the prefilter's choice), slowest first.
fn per_rule(rules: &hull_secret::RuleSet, files: &[(String, Vec<u8>)]) {
    let mut t: Vec<(f64, String)> = rules
        .rules()
        .iter()
        .filter_map(|r| {
            let re = r.regex.as_ref()?;
            let kw_files: Vec<&Vec<u8>> = files
                .iter()
                .filter(|(_, b)| {
                    !hull_secret::is_binary(b)
                        && (r.keywords.is_empty()
                            || r.keywords.iter().any(|k| memfind(b, k.as_bytes())))
                })
                .map(|(_, b)| b)
                .collect();
            let s = Instant::now();
            let n: usize = kw_files.iter().map(|b| re.find_iter(b).count()).sum();
            let _ = n;
            let mb: usize = kw_files.iter().map(|b| b.len()).sum();
            Some((
                s.elapsed().as_secs_f64(),
                format!("{} ({} files, {} MB)", r.id, kw_files.len(), mb / 1_000_000),
            ))
        })
        .collect();
    t.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (s, id) in t.iter().take(25) {
        println!("{s:8.3} s  {id}");
    }
}

fn memfind(hay: &[u8], needle: &[u8]) -> bool {
    let lower = hay.to_ascii_lowercase();
    lower.windows(needle.len()).any(|w| w == needle)
}
