//! Announces findings that appeared or were resolved to notification webhooks: hull's JSON
//! body, or a Slack-compatible `{"text": …}`. A receiver that is down costs one bounded
//! request; the events stay in the store (`GET /api/v1/findings`) either way.

use std::time::Duration;

use serde::Serialize;

use crate::store::FindingEvent;
use crate::NotifyTarget;

/// The longest a notification may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Events listed in one Slack message; the rest are counted.
const SLACK_LINES: usize = 20;

/// hull's notification body.
#[derive(Serialize)]
pub struct Body<'a> {
    /// Always `findings.changed`.
    pub event: &'static str,
    /// The image.
    pub digest: &'a str,
    /// Its references.
    pub references: &'a [String],
    /// `scan` or `rematch`.
    pub cause: &'a str,
    /// What changed.
    pub findings: &'a [FindingEvent],
}

fn slack_text(b: &Body<'_>) -> String {
    let name = b.references.first().map_or(b.digest, String::as_str);
    let appeared = b.findings.iter().filter(|e| e.change == "appeared").count();
    let resolved = b.findings.len() - appeared;
    let mut text = format!(
        "hull: {name}: {appeared} new finding(s), {resolved} resolved ({})",
        b.cause
    );
    for e in b.findings.iter().take(SLACK_LINES) {
        text.push_str(&format!(
            "\n• {} {} {} {} ({})",
            e.change, e.severity, e.finding, e.subject, e.scanner
        ));
    }
    if b.findings.len() > SLACK_LINES {
        text.push_str(&format!("\n… and {} more", b.findings.len() - SLACK_LINES));
    }
    text
}

/// Posts `body` to every target; returns how many succeeded and failed. Blocking: call it
/// from a blocking task.
pub fn send(targets: &[NotifyTarget], body: &Body<'_>) -> (u64, u64) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(true)
        .build()
        .into();
    let json = serde_json::to_string(body).unwrap_or_default();
    let slack = serde_json::json!({ "text": slack_text(body) }).to_string();
    let (mut ok, mut failed) = (0, 0);
    for t in targets {
        let payload = if t.slack { &slack } else { &json };
        match agent
            .post(&t.url)
            .header("content-type", "application/json")
            .send(payload.as_bytes())
        {
            Ok(_) => ok += 1,
            Err(_) => failed += 1,
        }
    }
    (ok, failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_text_is_bounded() {
        let e = FindingEvent {
            at: 1,
            digest: "sha256:ab".into(),
            change: "appeared".into(),
            cause: "rematch".into(),
            scanner: "vuln".into(),
            finding: "CVE-2024-1".into(),
            subject: "openssl@3.0.11-1".into(),
            severity: "high".into(),
        };
        let many = vec![e; 25];
        let refs = vec!["r/app@sha256:ab".to_string()];
        let t = slack_text(&Body {
            event: "findings.changed",
            digest: "sha256:ab",
            references: &refs,
            cause: "rematch",
            findings: &many,
        });
        assert!(t.starts_with("hull: r/app@sha256:ab: 25 new finding(s), 0 resolved (rematch)"));
        assert_eq!(t.lines().count(), 1 + SLACK_LINES + 1);
        assert!(t.ends_with("… and 5 more"));
    }
}
