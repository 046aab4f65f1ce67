//! TLS: the server answers over rustls with the certificate in its files, serves a renewed
//! certificate without a restart, keeps the old one while the new files do not load, and
//! refuses plain HTTP on an address others can reach. `openssl` (installed by `.ci/run`)
//! makes the certificates and is the client that reports which one was served.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;

fn have_openssl() -> bool {
    hull_testkit::have_tool("openssl")
}

/// A self-signed certificate for 127.0.0.1 with `cn`, into `dir/cert.pem` and `dir/key.pem`.
fn certificate(dir: &Path, cn: &str) {
    let o = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
        ])
        .arg("-keyout")
        .arg(dir.join("key.new"))
        .arg("-out")
        .arg(dir.join("cert.new"))
        .args([
            "-subj",
            &format!("/CN={cn}"),
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Renamed into place, as certificate managers do.
    std::fs::rename(dir.join("key.new"), dir.join("key.pem")).unwrap();
    std::fs::rename(dir.join("cert.new"), dir.join("cert.pem")).unwrap();
}

/// The subject of the certificate the server presents, as openssl's client sees it.
fn served_subject(port: u16) -> String {
    let s = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl s_client -connect 127.0.0.1:{port} </dev/null 2>/dev/null | openssl x509 -noout -subject"
        ))
        .output()
        .unwrap();
    String::from_utf8_lossy(&s.stdout).trim().to_string()
}

#[test]
fn serves_tls_and_reloads_a_renewed_certificate() {
    if !have_openssl() {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    certificate(certs.path(), "hull-one");
    let cert = certs.path().join("cert.pem");
    let key = certs.path().join("key.pem");
    let s = Server::start(|c| {
        c.tls = Some(hull_server::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        });
    });
    let port: u16 = s.base.rsplit(':').next().unwrap().parse().unwrap();
    assert!(served_subject(port).contains("hull-one"));
    // The API answers over TLS.
    let o = Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-connect",
            &format!("127.0.0.1:{port}"),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");

    // A broken renewal keeps the old certificate.
    std::fs::write(&cert, "-----BEGIN CERTIFICATE-----\nnot base64\n").unwrap();
    std::thread::sleep(Duration::from_secs(3));
    assert!(served_subject(port).contains("hull-one"));
    // A real one is served within a few seconds, without a restart.
    certificate(certs.path(), "hull-two");
    wait_for(20, "the renewed certificate", || {
        served_subject(port).contains("hull-two").then_some(())
    });
}

#[test]
fn plain_http_needs_loopback_or_an_explicit_flag() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let err = hull_server::block_on(async {
        let store = std::sync::Arc::new(hull_server::SqlStore::connect(&url).await.unwrap());
        let c = hull_server::Config::new("0.0.0.0:0".parse().unwrap(), dir.path().join("a.db"));
        hull_server::serve(c, store, async {}).await
    });
    let message = err.unwrap_err().to_string();
    assert!(
        message.contains("refusing plain HTTP on 0.0.0.0:0"),
        "{message}"
    );
}
