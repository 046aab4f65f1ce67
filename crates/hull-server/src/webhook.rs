//! Registry push notifications, turned into the image references to scan: the CNCF
//! Distribution registry's notification envelope (`events[]`, media type
//! `application/vnd.docker.distribution.events.v1+json`) and Harbor's `PUSH_ARTIFACT`
//! webhook. Only manifest pushes count: a Distribution registry also reports every blob
//! push and pull, which say nothing about a new image. Every reference is pinned by digest
//! (`host/repository@sha256:…`), so a tag moved between the push and the scan cannot make
//! hull scan something else.

use serde::Deserialize;

/// Manifest media types (single images and indexes); blob pushes carry others.
const MANIFEST_TYPES: [&str; 4] = [
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
];

#[derive(Deserialize)]
struct Envelope {
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: Target,
    #[serde(default)]
    request: Request,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    #[serde(default)]
    media_type: String,
    #[serde(default)]
    digest: String,
    #[serde(default)]
    repository: String,
    #[serde(default)]
    url: String,
}

#[derive(Default, Deserialize)]
struct Request {
    #[serde(default)]
    host: String,
}

#[derive(Deserialize)]
struct Harbor {
    #[serde(rename = "type")]
    kind: String,
    event_data: HarborData,
}

#[derive(Deserialize)]
struct HarborData {
    #[serde(default)]
    resources: Vec<HarborResource>,
    repository: HarborRepository,
}

#[derive(Deserialize)]
struct HarborResource {
    #[serde(default)]
    digest: String,
    #[serde(default)]
    resource_url: String,
}

#[derive(Deserialize)]
struct HarborRepository {
    repo_full_name: String,
}

/// What a notification asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Notification {
    /// Manifests were pushed: scan these references (sorted, unique; may be empty when
    /// the envelope held only blob events).
    Pushed(Vec<String>),
    /// Not a notification hull acts on.
    Unknown,
}

/// Reads a notification body.
pub fn parse(body: &[u8]) -> Notification {
    if let Ok(e) = serde_json::from_slice::<Envelope>(body) {
        let mut refs: Vec<String> = e.events.iter().filter_map(distribution).collect();
        refs.sort();
        refs.dedup();
        return Notification::Pushed(refs);
    }
    if let Ok(h) = serde_json::from_slice::<Harbor>(body) {
        if h.kind != "PUSH_ARTIFACT" {
            return Notification::Unknown;
        }
        let mut refs: Vec<String> = h
            .event_data
            .resources
            .iter()
            .filter_map(|r| {
                let host = r.resource_url.split('/').next()?;
                reference(host, &h.event_data.repository.repo_full_name, &r.digest)
            })
            .collect();
        refs.sort();
        refs.dedup();
        return Notification::Pushed(refs);
    }
    Notification::Unknown
}

fn distribution(e: &Event) -> Option<String> {
    if e.action != "push" || !MANIFEST_TYPES.contains(&e.target.media_type.as_str()) {
        return None;
    }
    // The URL the registry gives names the host clients pushed to; the request's Host
    // header is the fallback.
    let host = e
        .target
        .url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .filter(|h| !h.is_empty())
        .unwrap_or(&e.request.host);
    reference(host, &e.target.repository, &e.target.digest)
}

/// `host/repository@digest`, when each part is well formed.
fn reference(host: &str, repository: &str, digest: &str) -> Option<String> {
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    let repo_ok = !repository.is_empty()
        && repository
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b))
        && !repository.starts_with('/')
        && !repository.contains("//");
    let hex = digest.strip_prefix("sha256:")?;
    let digest_ok = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    (host_ok && repo_ok && digest_ok).then(|| format!("{host}/{repository}@{digest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn distribution_manifest_pushes_only() {
        let body = format!(
            r#"{{"events":[
              {{"action":"push","target":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{D}","repository":"team/app","url":"http://127.0.0.1:5000/v2/team/app/manifests/{D}","tag":"1.0"}},"request":{{"host":"127.0.0.1:5000"}}}},
              {{"action":"push","target":{{"mediaType":"application/octet-stream","digest":"{D}","repository":"team/app"}},"request":{{"host":"127.0.0.1:5000"}}}},
              {{"action":"pull","target":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{D}","repository":"team/app"}},"request":{{"host":"127.0.0.1:5000"}}}}
            ]}}"#
        );
        assert_eq!(
            parse(body.as_bytes()),
            Notification::Pushed(vec![format!("127.0.0.1:5000/team/app@{D}")])
        );
    }

    #[test]
    fn harbor_push_artifact() {
        let body = format!(
            r#"{{"type":"PUSH_ARTIFACT","occur_at":1,"operator":"admin","event_data":{{"resources":[{{"digest":"{D}","tag":"latest","resource_url":"harbor.example.com/library/nginx:latest"}}],"repository":{{"name":"nginx","namespace":"library","repo_full_name":"library/nginx","repo_type":"private"}}}}}}"#
        );
        assert_eq!(
            parse(body.as_bytes()),
            Notification::Pushed(vec![format!("harbor.example.com/library/nginx@{D}")])
        );
        let pull = body.replace("PUSH_ARTIFACT", "PULL_ARTIFACT");
        assert_eq!(parse(pull.as_bytes()), Notification::Unknown);
    }

    #[test]
    fn hostile_fields_are_dropped() {
        for (host, repo, digest) in [
            ("h", "team/app", "sha256:12"),
            ("h", "Team/App", D),
            ("h", "/etc", D),
            ("h a", "team/app", D),
            ("", "team/app", D),
            ("h", "team//app", D),
        ] {
            assert_eq!(
                reference(host, repo, digest),
                None,
                "{host} {repo} {digest}"
            );
        }
        assert_eq!(parse(b"not json"), Notification::Unknown);
        assert_eq!(parse(br#"{"hello":1}"#), Notification::Unknown);
    }
}
