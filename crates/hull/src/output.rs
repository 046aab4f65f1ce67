//! Where reports go: each `--output` paired with the `--format` before it, and the writing
//! itself (a closed pipe is not an error).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, Context};
use hull_report::Format;

use crate::{usage, Failure};

/// Positions of the `--format` and `--output` arguments on the command line.
pub(crate) type Order = (Vec<usize>, Vec<usize>);

/// Pairs each `--output` with the `--format` before it; the format left without one (at
/// most one) goes to standard output. No `--format`: the default, to the one output given.
pub(crate) fn outputs(
    formats: &[Format],
    files: &[PathBuf],
    order: &Order,
    default: Format,
) -> Result<Vec<(Format, Option<PathBuf>)>, Failure> {
    if formats.is_empty() {
        if files.len() > 1 {
            return Err(usage(anyhow!("several --output need a --format each")));
        }
        return Ok(vec![(default, files.first().cloned())]);
    }
    let (fi, oi) = order;
    let mut out: Vec<(Format, Option<PathBuf>)> = formats.iter().map(|f| (*f, None)).collect();
    for (k, file) in files.iter().enumerate() {
        let at = oi.get(k).copied().unwrap_or(usize::MAX);
        let slot = (0..formats.len())
            .rev()
            .find(|&j| fi.get(j).copied().unwrap_or(0) < at && out[j].1.is_none());
        match slot {
            Some(j) => out[j].1 = Some(file.clone()),
            None => {
                return Err(usage(anyhow!(
                    "--output {} has no --format before it",
                    file.display()
                )))
            }
        }
    }
    if out.iter().filter(|(_, o)| o.is_none()).count() > 1 {
        return Err(usage(anyhow!(
            "only one --format can go to standard output; give the others an --output"
        )));
    }
    Ok(out)
}

pub(crate) fn write_out(path: Option<&PathBuf>, s: &str) -> anyhow::Result<()> {
    match path {
        Some(p) => std::fs::write(p, s).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`hull scan … | head`) is not an error worth a message.
            match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                r => r.context("writing to standard output"),
            }
        }
    }
}
