//! Downloading OSV data: each ecosystem's `all.zip` from a mirror laid out as the OSV
//! project's public bucket (`<mirror>/<ecosystem>/all.zip`), with conditional requests
//! (`If-None-Match`, `If-Modified-Since`) so an unchanged ecosystem is not downloaded again.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use hull_types::url_encode;

use crate::DbError;

/// The OSV project's public bucket.
pub const DEFAULT_MIRROR: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The ecosystems hull can match (OS and language), as `hull db update` fetches them: the
/// names of [`hull_types::OsvEcosystem::ALL`].
pub const MATCHED_ECOSYSTEMS: [&str; 18] = {
    let all = hull_types::OsvEcosystem::ALL;
    let mut names = [""; 18];
    let mut i = 0;
    while i < all.len() {
        names[i] = all[i].name();
        i += 1;
    }
    names
};

/// What to fetch, from where, to where.
#[derive(Clone, Debug)]
pub struct UpdateOptions {
    /// Base URL laid out as the OSV bucket: `<mirror>/<ecosystem>/all.zip`.
    pub mirror: String,
    /// Ecosystems to fetch.
    pub ecosystems: Vec<String>,
    /// Where the zips and their validators are kept between runs.
    pub download_dir: PathBuf,
    /// Largest `all.zip` accepted.
    pub max_bytes: u64,
    /// The most one download may take, body included (`--timeout`): a mirror that stalls
    /// mid-body fails that ecosystem instead of hanging the update.
    pub timeout: Duration,
}

/// The outcome for one ecosystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchStatus {
    /// The zip was downloaded, this many bytes.
    Downloaded {
        /// Bytes received.
        bytes: u64,
    },
    /// The mirror said the kept zip is current.
    NotModified,
}

#[derive(Clone, Debug, PartialEq, Eq)]
/// What `fetch` did for one ecosystem.
pub struct Fetched {
    /// The ecosystem.
    pub ecosystem: String,
    /// Where its zip is kept.
    pub path: PathBuf,
    /// What happened.
    pub status: FetchStatus,
}

#[derive(Default, Serialize, Deserialize)]
struct Validators {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
}

fn file_stem(ecosystem: &str) -> String {
    ecosystem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Fetches every ecosystem's `all.zip` that changed since the last fetch.
pub fn fetch(opts: &UpdateOptions) -> Result<Vec<Fetched>, DbError> {
    let dir = &opts.download_dir;
    let err = |what: &str, reason: Box<dyn std::error::Error + Send + Sync>| DbError::Source {
        path: what.to_string(),
        source: crate::store::Cause::from(reason),
    };
    std::fs::create_dir_all(dir).map_err(|e| err(&dir.display().to_string(), e.into()))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30).min(opts.timeout)))
        .timeout_recv_response(Some(Duration::from_secs(120).min(opts.timeout)))
        .timeout_per_call(Some(opts.timeout))
        .build()
        .into();
    let mut out = Vec::new();
    for eco in &opts.ecosystems {
        let url = format!(
            "{}/{}/all.zip",
            opts.mirror.trim_end_matches('/'),
            url_encode(eco)
        );
        let zip_path = dir.join(format!("{}.zip", file_stem(eco)));
        let meta_path = dir.join(format!("{}.json", file_stem(eco)));
        let old: Validators = std::fs::read(&meta_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(|v: &Validators| v.url == url && zip_path.is_file())
            .unwrap_or_default();
        let mut req = agent.get(&url);
        if let Some(e) = &old.etag {
            req = req.header("If-None-Match", e);
        }
        if let Some(m) = &old.last_modified {
            req = req.header("If-Modified-Since", m);
        }
        let resp = req.call().map_err(|e| err(&url, Box::new(e)))?;
        match resp.status().as_u16() {
            304 => {
                out.push(Fetched {
                    ecosystem: eco.clone(),
                    path: zip_path,
                    status: FetchStatus::NotModified,
                });
                continue;
            }
            200 => {}
            s => return Err(err(&url, format!("HTTP {s}").into())),
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            url: url.clone(),
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        // Written beside the old zip and renamed over it only when complete.
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| err(&url, e.into()))?;
        let mut body = resp.into_body().into_reader().take(opts.max_bytes + 1);
        let mut buf = vec![0u8; 1 << 16];
        let mut total = 0u64;
        loop {
            let n = body.read(&mut buf).map_err(|e| err(&url, e.into()))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            if total > opts.max_bytes {
                return Err(err(
                    &url,
                    format!("larger than {} bytes", opts.max_bytes).into(),
                ));
            }
            tmp.write_all(&buf[..n]).map_err(|e| err(&url, e.into()))?;
        }
        tmp.persist(&zip_path)
            .map_err(|e| err(&url, e.error.into()))?;
        std::fs::write(
            &meta_path,
            serde_json::to_vec(&validators).unwrap_or_default(),
        )
        .map_err(|e| err(&meta_path.display().to_string(), e.into()))?;
        out.push(Fetched {
            ecosystem: eco.clone(),
            path: zip_path,
            status: FetchStatus::Downloaded { bytes: total },
        });
    }
    Ok(out)
}

/// The zips of a download directory, for re-importing without the network.
pub fn downloaded(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_file_names() {
        assert_eq!(file_stem("Rocky Linux"), "Rocky_Linux");
        assert_eq!(file_stem("../x"), ".._x");
    }
}
