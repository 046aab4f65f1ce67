//! The storage contract every `Store` implementation must keep, run on both engines: SQLite
//! (a file in a temporary directory) and PostgreSQL (a throwaway cluster of Debian's
//! `postgresql`, started by the test): the queue's de-duplication, leases, retries and
//! recovery; images written once per digest with their references and events; paging;
//! tokens by hash with revocation; the audit log; settings. And the stored report itself: a
//! `ScanReport` survives its JSON round trip whole.

use hull_server::auth::Role;
use hull_server::store::{Dialect, FindingEvent, ImageRow, ImageWrite, JobEnd, JobState};
use hull_server::{SqlStore, Store, StoreError};

/// Runs `f` on a fresh SQLite store, then on a fresh PostgreSQL one.
fn with_store(f: impl AsyncFn(SqlStore, Dialect)) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("s.db").display());
    let pg = hull_testkit::Postgres::start();
    let mut urls = vec![(sqlite, Dialect::Sqlite)];
    if let Some(pg) = &pg {
        urls.push((pg.url.clone(), Dialect::Postgres));
    }
    hull_server::block_on(async move {
        for (url, dialect) in urls {
            let s = SqlStore::connect(&url).await.unwrap();
            assert_eq!(s.dialect(), dialect);
            f(s, dialect).await;
        }
    });
}

fn row(digest: &str, repo: &str, refs: &[&str]) -> ImageRow {
    ImageRow {
        digest: digest.into(),
        repository: repo.into(),
        source: "registry".into(),
        passed: true,
        verdict: "passed".into(),
        counts: serde_json::json!({}),
        scanned_at: 10,
        matched_at: 10,
        judged_at: 10,
        references: refs.iter().map(|r| r.to_string()).collect(),
        failures: vec![],
    }
}

#[test]
fn queue_deduplicates_leases_retries_and_recovers() {
    with_store(async |s, dialect| {
        let (a, new_a) = s.enqueue("r/app:1", 100).await.unwrap();
        let (a2, new_a2) = s.enqueue("r/app:1", 101).await.unwrap();
        assert!(new_a && !new_a2);
        assert_eq!(a, a2, "one live job per reference");
        let (b, _) = s.enqueue("r/app:2", 102).await.unwrap();
        assert_eq!(s.queue_depth().await.unwrap(), (2, 0));

        // Oldest first; a claimed job is not claimed again.
        let j = s.claim(200, 300).await.unwrap().unwrap();
        assert_eq!(
            (j.id.as_str(), j.state, j.attempts),
            (a.as_str(), JobState::Running, 1)
        );
        let k = s.claim(200, 300).await.unwrap().unwrap();
        assert_eq!(k.id, b);
        assert!(s.claim(200, 300).await.unwrap().is_none());
        // While running, the same reference still maps to its job.
        assert_eq!(s.enqueue("r/app:1", 201).await.unwrap(), (a.clone(), false));

        // A retry waits for its time.
        s.finish(
            &a,
            JobEnd::Retry {
                error: "registry 503".into(),
                retry_at: 500,
            },
            210,
        )
        .await
        .unwrap();
        assert!(s.claim(499, 600).await.unwrap().is_none());
        let again = s.claim(500, 600).await.unwrap().unwrap();
        assert_eq!((again.id.as_str(), again.attempts), (a.as_str(), 2));
        assert_eq!(again.error.as_deref(), Some("registry 503"));
        s.finish(&a, JobEnd::Done("sha256:aa".into()), 510)
            .await
            .unwrap();
        let done = s.job(&a).await.unwrap().unwrap();
        assert_eq!(
            (done.state, done.digest.as_deref()),
            (JobState::Done, Some("sha256:aa"))
        );
        // A finished reference can be queued anew.
        let (c, new_c) = s.enqueue("r/app:1", 520).await.unwrap();
        assert!(new_c && c != a);

        // b's worker died: its lease (300) runs out; renewing keeps it.
        s.renew(&b, 700).await.unwrap();
        assert_eq!(s.requeue_expired(650).await.unwrap(), 0);
        assert_eq!(s.requeue_expired(701).await.unwrap(), 1);
        assert_eq!(s.job(&b).await.unwrap().unwrap().state, JobState::Queued);
        // A finish from a worker that lost its lease changes nothing.
        s.finish(&b, JobEnd::Failed("late".into()), 702)
            .await
            .unwrap();
        assert_eq!(s.job(&b).await.unwrap().unwrap().state, JobState::Queued);

        // After a restart every running job of the single SQLite server is queued again; on
        // PostgreSQL other replicas may hold theirs, so only expired leases are.
        let x = s.claim(800, 900).await.unwrap().unwrap();
        let expected = match dialect {
            Dialect::Sqlite => 1,
            Dialect::Postgres => 0,
        };
        assert_eq!(s.recover(801).await.unwrap(), expected);
        assert_eq!(s.recover(901).await.unwrap(), 1 - expected);
        assert_eq!(s.job(&x.id).await.unwrap().unwrap().state, JobState::Queued);
        assert!(s.job("nope").await.unwrap().is_none());
    });
}

#[test]
fn images_are_one_row_per_digest_with_references_events_and_pages() {
    with_store(async |s, _| {
        let ev = |finding: &str| FindingEvent {
            at: 10,
            digest: "sha256:b".into(),
            change: "appeared".into(),
            cause: "scan".into(),
            scanner: "vuln".into(),
            finding: finding.into(),
            subject: "openssl@3".into(),
            severity: "high".into(),
        };
        for (d, repo, r) in [
            ("sha256:b", "h/team/app", "h/team/app:1"),
            ("sha256:a", "h/team/lib", "h/team/lib:1"),
            ("sha256:c", "h/team/app", "h/team/app:2"),
        ] {
            s.put_image(ImageWrite {
                row: row(d, repo, &[r]),
                report: "{}".into(),
                advisory_db: "1".into(),
                events: if d == "sha256:b" {
                    vec![ev("CVE-1"), ev("CVE-2")]
                } else {
                    vec![]
                },
            })
            .await
            .unwrap();
        }
        // The same digest again under another tag: one row, two references, newer verdict.
        let mut again = row("sha256:b", "h/team/app", &["h/team/app:latest"]);
        again.passed = false;
        again.verdict = "failed".into();
        s.put_image(ImageWrite {
            row: again,
            report: "{\"x\":1}".into(),
            advisory_db: "2".into(),
            events: vec![],
        })
        .await
        .unwrap();
        let b = s.image("sha256:b").await.unwrap().unwrap();
        let report = s.report("sha256:b").await.unwrap().unwrap();
        assert_eq!(b.references, vec!["h/team/app:1", "h/team/app:latest"]);
        assert!(!b.passed);
        assert_eq!(report, "{\"x\":1}");
        assert_eq!(
            s.digests().await.unwrap(),
            vec!["sha256:a", "sha256:b", "sha256:c"]
        );

        let page1 = s.images(None, None, 2).await.unwrap();
        assert_eq!(
            page1.iter().map(|r| r.digest.as_str()).collect::<Vec<_>>(),
            ["sha256:a", "sha256:b"]
        );
        let page2 = s.images(None, Some("sha256:b"), 2).await.unwrap();
        assert_eq!(
            page2.iter().map(|r| r.digest.as_str()).collect::<Vec<_>>(),
            ["sha256:c"]
        );
        let app = s.images(Some("h/team/app"), None, 10).await.unwrap();
        assert_eq!(
            app.iter().map(|r| r.digest.as_str()).collect::<Vec<_>>(),
            ["sha256:b", "sha256:c"]
        );

        let events = s.findings_since(10, 100).await.unwrap();
        assert_eq!(
            events
                .iter()
                .map(|e| e.finding.as_str())
                .collect::<Vec<_>>(),
            ["CVE-1", "CVE-2"]
        );
        assert!(s.findings_since(11, 100).await.unwrap().is_empty());
        assert!(s.image("sha256:zz").await.unwrap().is_none());
    });
}

#[test]
fn tokens_are_found_by_hash_until_revoked() {
    with_store(async |s, _| {
        let t = s.create_token("ci", Role::Scanner, "h1", 5).await.unwrap();
        assert_eq!(t.role, Role::Scanner);
        assert!(matches!(
            s.create_token("ci", Role::Admin, "h2", 6).await,
            Err(StoreError::Exists(_))
        ));
        assert_eq!(s.token_by_hash("h1").await.unwrap().unwrap().name, "ci");
        assert!(s.token_by_hash("h2").await.unwrap().is_none());
        assert!(s.revoke_token("ci", 7).await.unwrap());
        assert!(!s.revoke_token("ci", 8).await.unwrap());
        assert!(s.token_by_hash("h1").await.unwrap().is_none());
        assert_eq!(s.tokens().await.unwrap()[0].revoked_at, Some(7));

        // The first admin token from the environment is made once.
        hull_server::ensure_admin(&s, "secret").await.unwrap();
        hull_server::ensure_admin(&s, "secret").await.unwrap();
        let admins: Vec<_> = s
            .tokens()
            .await
            .unwrap()
            .into_iter()
            .filter(|t| t.role == Role::Admin)
            .collect();
        assert_eq!(admins.len(), 1);
        assert_eq!(admins[0].name, "admin");

        s.set_meta("k", "1").await.unwrap();
        s.set_meta("k", "2").await.unwrap();
        assert_eq!(s.meta("k").await.unwrap().as_deref(), Some("2"));
        assert_eq!(s.meta("none").await.unwrap(), None);
    });
}

#[test]
fn migrations_run_once_and_the_store_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    hull_server::block_on(async {
        let s = SqlStore::connect(&url).await.unwrap();
        s.enqueue("r/a:1", 1).await.unwrap();
        drop(s);
        let s = SqlStore::connect(&url).await.unwrap();
        assert_eq!(s.queue_depth().await.unwrap(), (1, 0));
        assert!(matches!(
            SqlStore::connect("mysql://x").await,
            Err(StoreError::Url(_))
        ));
    });
}

#[test]
fn a_stored_report_round_trips_whole() {
    let report = hull_testkit::fixture_report();
    let json = serde_json::to_string(&report).unwrap();
    let back: hull_types::ScanReport = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn admission_lookups_and_decisions() {
    with_store(async |s, _| {
        s.put_image(ImageWrite {
            row: ImageRow {
                failures: vec!["CVE-1".into()],
                passed: false,
                ..row(
                    "sha256:platform",
                    "h/team/app",
                    &["h/team/app@sha256:index"],
                )
            },
            report: "{}".into(),
            advisory_db: "1".into(),
            events: vec![],
        })
        .await
        .unwrap();
        // By its own digest, or by the reference (an index digest) it was scanned under.
        let by_digest = s.image_for("sha256:platform", "x").await.unwrap().unwrap();
        assert_eq!(by_digest.failures, vec!["CVE-1"]);
        let by_ref = s
            .image_for("sha256:index", "h/team/app@sha256:index")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_ref.digest, "sha256:platform");
        assert!(s
            .image_for("sha256:none", "h/team/app@sha256:none")
            .await
            .unwrap()
            .is_none());

        let d = |uid: &str, at: i64| hull_server::store::Decision {
            at,
            uid: uid.into(),
            namespace: "shop".into(),
            kind: "Pod".into(),
            name: "p".into(),
            operation: "CREATE".into(),
            allowed: false,
            mode: "enforce".into(),
            images: serde_json::json!([{"image": "a", "digest": "sha256:platform"}]),
            reasons: vec!["verdict".into()],
            warnings: vec![],
        };
        s.record_decision(d("one", 5)).await.unwrap();
        s.record_decision(d("two", 6)).await.unwrap();
        let all = s.decisions(0, 10).await.unwrap();
        assert_eq!(all, vec![d("one", 5), d("two", 6)]);
        assert_eq!(s.decisions(6, 10).await.unwrap(), vec![d("two", 6)]);
        s.audit(hull_server::store::AuditEntry {
            at: 7,
            actor: "a".into(),
            action: "x".into(),
            target: "t".into(),
            client: "127.0.0.1".into(),
            status: 201,
        })
        .await
        .unwrap();
        assert_eq!(s.audit_log(7, 10).await.unwrap().len(), 1);
    });
}
