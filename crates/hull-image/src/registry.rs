//! A client for the OCI distribution API: manifests and blobs, with anonymous access, HTTP
//! basic auth and bearer tokens from the registry's `WWW-Authenticate` challenge, and
//! credentials from the Docker (or podman/skopeo) auth file.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use hull_types::{url_encode, Digest};
use ureq::Agent;

use crate::oci::{MAX_JSON, MT_DOCKER_LIST, MT_DOCKER_MANIFEST, MT_OCI_INDEX, MT_OCI_MANIFEST};
use crate::{ImageError, Reference};

/// How to reach registries.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    /// Use plain HTTP for every registry (loopback registries always use it).
    pub plain_http: bool,
    /// `user:password` given on the command line; takes precedence over auth files.
    pub credentials: Option<(String, String)>,
    /// An auth file to read instead of the Docker/podman defaults.
    pub auth_file: Option<PathBuf>,
    /// The most one request may take, body included (`--timeout`; default
    /// [`DEFAULT_REQUEST_TIMEOUT`]): a registry that stalls mid-body ends the scan with an
    /// error instead of hanging it.
    pub timeout: Option<Duration>,
}

/// One request's time bound when none is given: long enough for a multi-GiB layer blob.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// An authenticated session with one repository of one registry.
pub struct RegistryClient {
    agent: Agent,
    /// `host[:port]` the API is spoken to.
    host: String,
    base: String,
    registry: String,
    repository: String,
    creds: Option<(String, String)>,
    /// The `Authorization` header value that last worked.
    auth: Mutex<Option<String>>,
}

/// The host part of `host[:port]` (IPv6 in brackets kept whole).
fn host_only(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Whether `host[:port]` is this machine: an IP literal that is a loopback address, or a
/// name every address of which is loopback (`localhost`). A name that merely starts with
/// `127.` (`127.evil.example`) is not: plain HTTP goes only where it cannot leave the host.
fn is_loopback(host: &str) -> bool {
    use std::net::{IpAddr, ToSocketAddrs};
    let h = host_only(host);
    if let Ok(ip) = h.parse::<IpAddr>() {
        return ip.is_loopback();
    }
    if h != "localhost" {
        return false;
    }
    match (h, 0u16).to_socket_addrs() {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback())
        }
        Err(_) => false,
    }
}

/// Whether credentials may go to a token `realm`: over TLS, or to the registry's own host
/// (a registry must not be able to send a user's password in the clear to any server it
/// names).
fn may_send_credentials(realm: &str, registry_host: &str) -> bool {
    if realm.starts_with("https://") {
        return true;
    }
    let rest = realm.strip_prefix("http://").unwrap_or(realm);
    let realm_host = rest.split(['/', '?']).next().unwrap_or(rest);
    host_only(realm_host).eq_ignore_ascii_case(host_only(registry_host))
}

impl RegistryClient {
    pub fn new(r: &Reference, opts: &RegistryOptions) -> Self {
        let host = r.api_host().to_string();
        let scheme = if opts.plain_http || is_loopback(&host) {
            "http"
        } else {
            "https"
        };
        let total = opts.timeout.unwrap_or(DEFAULT_REQUEST_TIMEOUT);
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30).min(total)))
            .timeout_recv_response(Some(Duration::from_secs(120).min(total)))
            .timeout_per_call(Some(total))
            .build()
            .into();
        let creds = opts
            .credentials
            .clone()
            .or_else(|| credentials_for(&r.registry, opts.auth_file.as_deref()));
        RegistryClient {
            agent,
            host: host.clone(),
            base: format!("{scheme}://{host}/v2/{}", r.repository),
            registry: r.registry.clone(),
            repository: r.repository.clone(),
            creds,
            auth: Mutex::new(None),
        }
    }

    fn err(&self, reason: impl Into<String>) -> ImageError {
        ImageError::Registry {
            registry: self.registry.clone(),
            reason: reason.into(),
        }
    }

    /// GETs a path below the repository, answering one auth challenge if there is one.
    fn get(
        &self,
        path: &str,
        accept: Option<&str>,
    ) -> Result<ureq::http::Response<ureq::Body>, ImageError> {
        let url = format!("{}/{path}", self.base);
        for attempt in 0..2 {
            let mut req = self.agent.get(&url);
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(h) = self.auth.lock().ok().and_then(|g| g.clone()) {
                req = req.header("Authorization", h);
            }
            let resp = req
                .call()
                .map_err(|e| self.err(format!("GET {url}: {e}")))?;
            let status = resp.status().as_u16();
            if status == 401 && attempt == 0 {
                let challenge = resp
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string();
                let header = self.answer(&challenge)?;
                if let Ok(mut g) = self.auth.lock() {
                    *g = Some(header);
                }
                continue;
            }
            if status == 404 {
                return Err(ImageError::NotFound(format!(
                    "{}/{}: {path} not found",
                    self.registry, self.repository
                )));
            }
            if !(200..300).contains(&status) {
                return Err(self.err(format!("GET {url}: HTTP {status}")));
            }
            return Ok(resp);
        }
        Err(self.err(format!(
            "GET {url}: still unauthorized after authenticating"
        )))
    }

    /// Builds the `Authorization` header for a `WWW-Authenticate` challenge.
    fn answer(&self, challenge: &str) -> Result<String, ImageError> {
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        let params = parse_challenge(params);
        let basic = self.creds.as_ref().map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        });
        match scheme.to_ascii_lowercase().as_str() {
            "basic" => basic.ok_or_else(|| self.err("registry wants basic auth and no credentials were found (docker login, or --username/--password)")),
            "bearer" => {
                let realm = params
                    .get("realm")
                    .ok_or_else(|| self.err("bearer challenge without realm"))?;
                let mut url = format!("{realm}?");
                if let Some(s) = params.get("service") {
                    url.push_str(&format!("service={}&", url_encode(s)));
                }
                let scope = params
                    .get("scope")
                    .cloned()
                    .unwrap_or_else(|| format!("repository:{}:pull", self.repository));
                url.push_str(&format!("scope={}", url_encode(&scope)));
                let mut req = self.agent.get(&url);
                if let Some(b) = basic.as_ref().filter(|_| may_send_credentials(realm, &self.host)) {
                    req = req.header("Authorization", b);
                }
                let resp = req.call().map_err(|e| self.err(format!("token {url}: {e}")))?;
                if resp.status().as_u16() != 200 {
                    return Err(self.err(format!("token {url}: HTTP {}", resp.status().as_u16())));
                }
                let body = resp
                    .into_body()
                    .with_config()
                    .limit(1 << 20)
                    .read_to_vec()
                    .map_err(|e| self.err(format!("token: {e}")))?;
                let v: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| self.err(format!("token response: {e}")))?;
                let token = v
                    .get("token")
                    .or_else(|| v.get("access_token"))
                    .and_then(|t| t.as_str())
                    .ok_or_else(|| self.err("token response has no token"))?;
                Ok(format!("Bearer {token}"))
            }
            _ => Err(self.err(format!("unsupported auth challenge {challenge:?}"))),
        }
    }

    /// Fetches a manifest or index by tag or digest; returns its bytes and media type.
    pub fn manifest(&self, reference: &str) -> Result<(Vec<u8>, String), ImageError> {
        let accept = [
            MT_OCI_INDEX,
            MT_OCI_MANIFEST,
            MT_DOCKER_LIST,
            MT_DOCKER_MANIFEST,
        ]
        .join(", ");
        let resp = self.get(&format!("manifests/{reference}"), Some(&accept))?;
        let mt = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = resp
            .into_body()
            .with_config()
            .limit(MAX_JSON)
            .read_to_vec()
            .map_err(|e| self.err(format!("manifest {reference}: {e}")))?;
        Ok((body, mt))
    }

    /// Fetches a small blob (a config) whole.
    pub fn blob_bytes(&self, digest: &Digest, limit: u64) -> Result<Vec<u8>, ImageError> {
        let resp = self.get(&format!("blobs/{digest}"), None)?;
        resp.into_body()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| self.err(format!("blob {digest}: {e}")))
    }

    /// Streams a blob (a layer); the caller verifies its digest while reading.
    pub fn blob_stream(&self, digest: &Digest) -> Result<Box<dyn Read + Send>, ImageError> {
        let resp = self.get(&format!("blobs/{digest}"), None)?;
        Ok(Box::new(resp.into_body().into_reader()))
    }
}

/// Parses `realm="…",service="…",scope="…"`.
fn parse_challenge(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = s.trim();
    while let Some((k, after)) = rest.split_once('=') {
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        out.insert(k, v.to_string());
        rest = next.trim_start_matches(',').trim();
    }
    out
}

/// Finds credentials for a registry in the auth files Docker, podman and skopeo write:
/// `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
/// `$DOCKER_CONFIG/config.json`, `~/.docker/config.json`. Credential helpers
/// (`credsStore`, `credHelpers`) are not run.
fn credentials_for(registry: &str, explicit: Option<&std::path::Path>) -> Option<(String, String)> {
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(p) = explicit {
        files.push(p.to_path_buf());
    } else {
        if let Some(p) = std::env::var_os("REGISTRY_AUTH_FILE") {
            files.push(p.into());
        }
        if let Some(p) = std::env::var_os("XDG_RUNTIME_DIR") {
            files.push(PathBuf::from(p).join("containers/auth.json"));
        }
        if let Some(p) = std::env::var_os("DOCKER_CONFIG") {
            files.push(PathBuf::from(p).join("config.json"));
        }
        if let Some(h) = dirs::home_dir() {
            files.push(h.join(".docker/config.json"));
        }
    }
    let keys: Vec<String> = if registry == "docker.io" {
        vec![
            "https://index.docker.io/v1/".into(),
            "index.docker.io".into(),
            "docker.io".into(),
            "registry-1.docker.io".into(),
        ]
    } else {
        vec![
            registry.to_string(),
            format!("https://{registry}"),
            format!("http://{registry}"),
        ]
    };
    for f in files {
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        if let Some(c) = credentials_in(&bytes, &keys) {
            return Some(c);
        }
    }
    None
}

fn credentials_in(config: &[u8], keys: &[String]) -> Option<(String, String)> {
    let v: serde_json::Value = serde_json::from_slice(config).ok()?;
    let auths = v.get("auths")?.as_object()?;
    for k in keys {
        let Some(entry) = auths.get(k).or_else(|| auths.get(&format!("{k}/"))) else {
            continue;
        };
        if let Some(a) = entry.get("auth").and_then(|a| a.as_str()) {
            let decoded = base64::engine::general_purpose::STANDARD.decode(a).ok()?;
            let s = String::from_utf8(decoded).ok()?;
            let (u, p) = s.split_once(':')?;
            return Some((u.to_string(), p.to_string()));
        }
        if let (Some(u), Some(p)) = (
            entry.get("username").and_then(|x| x.as_str()),
            entry.get("password").and_then(|x| x.as_str()),
        ) {
            return Some((u.to_string(), p.to_string()));
        }
    }
    None
}

/// The digest a registry reference names: its own digest when it has one, else the
/// SHA-256 of the manifest (or index) the registry serves for the tag, hashed here rather
/// than taken from the registry's `Docker-Content-Digest` header. The admission webhook
/// decides about this digest, never about a tag.
pub fn resolve_digest(reference: &str, opts: &RegistryOptions) -> Result<Digest, ImageError> {
    let r = Reference::parse(reference)?;
    if let Some(d) = &r.digest {
        return Ok(d.clone());
    }
    let tag = r.tag.clone().unwrap_or_else(|| "latest".to_string());
    let (bytes, _) = RegistryClient::new(&r, opts).manifest(&tag)?;
    use sha2::Digest as _;
    let sum: [u8; 32] = sha2::Sha256::digest(&bytes).into();
    Ok(Digest::from_sha256_bytes(&sum))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge() {
        let p = parse_challenge(
            r#"realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        );
        assert_eq!(p["realm"], "https://auth.docker.io/token");
        assert_eq!(p["service"], "registry.docker.io");
        assert_eq!(p["scope"], "repository:library/alpine:pull");
        let p = parse_challenge(r#"realm="Registry Realm""#);
        assert_eq!(p["realm"], "Registry Realm");
    }

    #[test]
    fn docker_config_credentials() {
        let cfg = br#"{"auths":{"127.0.0.1:5000":{"auth":"dXNlcjpwYTpzcw=="},"https://index.docker.io/v1/":{"username":"hub","password":"pw"}}}"#;
        assert_eq!(
            credentials_in(cfg, &["127.0.0.1:5000".into()]),
            Some(("user".into(), "pa:ss".into()))
        );
        assert_eq!(
            credentials_in(cfg, &["https://index.docker.io/v1/".into()]),
            Some(("hub".into(), "pw".into()))
        );
        assert_eq!(credentials_in(cfg, &["other".into()]), None);
        assert_eq!(credentials_in(b"not json", &["x".into()]), None);
    }

    #[test]
    fn loopback() {
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("127.8.9.10"));
        assert!(is_loopback("[::1]:5000"));
        assert!(is_loopback("localhost"));
        assert!(!is_loopback("registry.example:5000"));
        // Issue #23: a name that starts like a loopback address is not one.
        assert!(!is_loopback("127.evil.example:5000"));
        assert!(!is_loopback("127.0.0.1.nip.example"));
    }

    /// Issue #23: basic credentials went to whatever token realm a registry named, even
    /// over plain HTTP.
    #[test]
    fn credentials_go_only_over_tls_or_to_the_registry_itself() {
        assert!(may_send_credentials(
            "https://auth.example/token",
            "registry.example"
        ));
        assert!(may_send_credentials(
            "http://127.0.0.1:5001/token",
            "127.0.0.1:5000"
        ));
        assert!(!may_send_credentials(
            "http://collector.evil/token",
            "registry.example"
        ));
        assert!(!may_send_credentials(
            "http://registry.example.evil/t",
            "registry.example"
        ));
    }
}
