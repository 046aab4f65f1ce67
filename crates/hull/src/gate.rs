//! The gate: builds the policy from a policy file, ignore files, VEX documents and the
//! quick flags, applies it to a finished report (`hull_policy::apply`), and turns the
//! decision into an exit code. Mistakes in those files are shown with their file, line and
//! column, the line itself underlined.

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::Path;

use anyhow::anyhow;
use hull_policy::{Policy, PolicyError};
use hull_types::{ScanReport, Severity};

use crate::args::PolicyArgs;
use crate::{usage, Failure};

/// The policy of a run: the file's (or none), then the flags over it.
pub fn build(
    a: &PolicyArgs,
    severities: Option<&[Severity]>,
    fixable_only: bool,
) -> Result<Policy, Failure> {
    let file = a
        .policy
        .clone()
        .or_else(|| hull_policy::file::find(Path::new(".")));
    let (mut policy, mut vex) = match file {
        Some(p) => {
            let f = hull_policy::file::load(&p).map_err(diagnostic)?;
            (f.policy, f.vex)
        }
        None => (Policy::default(), vec![]),
    };
    if let Some(f) = &a.fail_on {
        hull_policy::file::merge_fail_on(&mut policy, &f.0);
    }
    if let Some(code) = a.exit_code {
        if code == 2 || code == 3 {
            return Err(usage(anyhow!(
                "--exit-code {code} is taken (2: usage error, 3: unreadable input)"
            )));
        }
        policy.exit_code = code;
    }
    if let Some(levels) = severities {
        policy.severities = Some(levels.iter().copied().collect::<BTreeSet<_>>());
    }
    policy.fixable_only |= fixable_only;
    policy.skip_checks.extend(a.skip_checks.iter().cloned());
    for d in &a.skip_dirs {
        hull_policy::check_glob(d).map_err(|e| usage(anyhow!("--skip-dirs: {e}")))?;
        policy.skip_dirs.push(d.clone());
    }
    let ignorefile = a
        .ignorefile
        .clone()
        .or_else(|| Some(Path::new(".hullignore").to_path_buf()).filter(|p| p.is_file()));
    if let Some(p) = ignorefile {
        policy
            .ignores
            .extend(hull_policy::ignorefile::load(&p).map_err(diagnostic)?);
    }
    vex.extend(a.vex.iter().cloned());
    for v in &vex {
        policy
            .vex
            .extend(hull_policy::vex::load(v).map_err(diagnostic)?);
    }
    Ok(policy)
}

/// The exit code the decision on `report` calls for, with the reason.
pub fn verdict(report: &ScanReport) -> Result<(), Failure> {
    let Some(p) = &report.policy else {
        return Ok(());
    };
    if p.passed {
        return Ok(());
    }
    let mut ids: Vec<&str> = p.failures.iter().map(|f| f.id.as_str()).collect();
    ids.dedup();
    let more = ids.len().saturating_sub(5);
    let mut named = ids.into_iter().take(5).collect::<Vec<_>>().join(", ");
    if more > 0 {
        named.push_str(&format!(", and {more} more"));
    }
    Err(Failure {
        code: p.exit_code,
        error: anyhow!("{} ({named})", p.summary),
    })
}

/// Shows a policy, ignore or VEX file error with its place, and makes it a usage error.
pub(crate) fn diagnostic(e: PolicyError) -> Failure {
    use codespan_reporting::diagnostic::{Diagnostic, Label};
    use codespan_reporting::files::SimpleFile;
    use codespan_reporting::term::{self, termcolor};
    if !e.text.is_empty() {
        let file = SimpleFile::new(e.file.as_str(), e.text.as_str());
        let label = Label::primary((), e.span.clone())
            .with_message(e.field.clone().unwrap_or_else(|| "here".into()));
        let d = Diagnostic::error()
            .with_message(&e.message)
            .with_labels(vec![label]);
        let choice = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            termcolor::ColorChoice::Auto
        } else {
            termcolor::ColorChoice::Never
        };
        let stream = termcolor::StandardStream::stderr(choice);
        let _ = term::emit(&mut stream.lock(), &term::Config::default(), &file, &d);
    }
    usage(anyhow!(e))
}
