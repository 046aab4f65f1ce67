//! An in-process `hull serve` on a free loopback port, with a SQLite store in a temporary
//! directory and a known admin token, and a blocking HTTP client for the tests.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hull_server::{Config, SqlStore, Store};
#[allow(unused_imports)]
pub use hull_testkit::{free_port, http_server, listener, osv_records, osv_zip, wait_for};

pub const ADMIN: &str = "hull_admin_for_tests";

pub struct Server {
    pub base: String,
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start(configure: impl FnOnce(&mut Config)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, configure)
    }

    /// A server on the store and database of `dir` (a restart keeps both).
    pub fn start_in(dir: tempfile::TempDir, configure: impl FnOnce(&mut Config)) -> Server {
        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let db = dir.path().join("advisories.db");
        let mut config = Config::new(addr, db.clone());
        config.admin_token = Some(ADMIN.to_string());
        config.concurrency = 2;
        config.cache_dir = None;
        config.db_poll = Duration::from_secs(1);
        config.version = "test".into();
        configure(&mut config);
        let url = format!("sqlite://{}", dir.path().join("server.db").display());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            hull_server::block_on(async move {
                let store: Arc<dyn Store> = Arc::new(SqlStore::connect(&url).await.unwrap());
                hull_server::serve(config, store, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            })
        });
        let base = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Server {
            base,
            dir,
            db,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// Stops the server and gives its directory back.
    pub fn stop(mut self) -> tempfile::TempDir {
        self.shutdown();
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with an optional bearer token; returns the status and body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let url = self.url(path);
        let auth = token.map(|t| format!("Bearer {t}"));
        let r = match method {
            "GET" => {
                let mut rq = agent.get(&url);
                if let Some(a) = &auth {
                    rq = rq.header("authorization", a);
                }
                rq.call()
            }
            "DELETE" => {
                let mut rq = agent.delete(&url);
                if let Some(a) = &auth {
                    rq = rq.header("authorization", a);
                }
                rq.call()
            }
            _ => {
                let mut rq = agent.post(&url);
                if let Some(a) = &auth {
                    rq = rq.header("authorization", a);
                }
                rq.send(body)
            }
        };
        match r {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(64 << 20)
                    .read_to_string()
                    .unwrap_or_default();
                (status, body)
            }
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }

    pub fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> serde_json::Value {
        let (status, text) = self.call(method, path, token, body);
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {text}"
        );
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// A new token with `role`.
    pub fn token(&self, name: &str, role: &str) -> String {
        let v = self.json(
            "POST",
            "/api/v1/tokens",
            Some(ADMIN),
            format!(r#"{{"name":"{name}","role":"{role}"}}"#).as_bytes(),
        );
        v["token"].as_str().unwrap().to_string()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}
