//! The server's storage layer: one [`Store`] trait the rest of the server speaks, and
//! [`SqlStore`], its implementation on `sqlx`'s `Any` driver. The same SQL runs on SQLite
//! (`sqlite://PATH`, the embedded default, in WAL mode) and on PostgreSQL
//! (`postgres://…`): the schema is portable (TEXT and BIGINT, ids made here, no
//! AUTOINCREMENT), migrations are versioned (`migrations/`), and the few places the engines
//! differ (taking a queued job without blocking another replica) ask [`Dialect`]. Nothing
//! outside this module writes SQL.

use std::borrow::Cow;
use std::str::FromStr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, AssertSqlSafe, Row, SqlSafeStr};

use crate::auth::Role;

/// What went wrong in the store. The message names the operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no engine hull speaks.
    #[error("store URL {0:?}: use sqlite://PATH or postgres://…")]
    Url(String),
    /// The engine refused or failed.
    #[error("store: {op}: {source}")]
    Db {
        /// What the store was doing.
        op: &'static str,
        /// What the engine said.
        #[source]
        source: sqlx::Error,
    },
    /// The schema could not be brought to this version.
    #[error("store: migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value that does not parse (a report written by another version).
    #[error("store: {op}: stored value unreadable: {message}")]
    Corrupt {
        /// What the store was reading.
        op: &'static str,
        /// Why it does not parse.
        message: String,
    },
    /// A name that must be unique is taken.
    #[error("{0} already exists")]
    Exists(String),
}

fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |source| StoreError::Db { op, source }
}

/// Which SQL engine a store speaks, for the statements that differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: one process writes; a job claim is one statement under its write lock.
    Sqlite,
    /// PostgreSQL: replicas claim jobs with `FOR UPDATE SKIP LOCKED`.
    Postgres,
}

/// A job's life: queued → running → done, or failed (for good) after its last attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    /// Waiting for a worker (or for its retry time).
    Queued,
    /// A worker holds its lease.
    Running,
    /// The image was scanned and stored.
    Done,
    /// The image could not be scanned; `error` says why.
    Failed,
}

impl FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            _ => return Err(format!("unknown job state {s:?}")),
        })
    }
}

/// A scan job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Job {
    /// The job id.
    pub id: String,
    /// The image reference to scan.
    pub image: String,
    /// Where it is.
    pub state: JobState,
    /// Attempts started so far.
    pub attempts: i64,
    /// Why the last attempt failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The image's manifest digest, once scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Seconds since the epoch.
    pub created_at: i64,
    /// Seconds since the epoch.
    pub updated_at: i64,
}

/// An image as listed: its latest verdict, without the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImageRow {
    /// The manifest digest (`sbom:sha256:…` for an uploaded SBOM).
    pub digest: String,
    /// The repository last seen (`host/path`).
    pub repository: String,
    /// What it was read from (`registry`, `sbom`, …).
    pub source: String,
    /// Whether it passes the server's policy.
    pub passed: bool,
    /// The verdict's one line.
    pub verdict: String,
    /// Findings per scanner and severity.
    #[schema(value_type = Object)]
    pub counts: serde_json::Value,
    /// When the image was read.
    pub scanned_at: i64,
    /// When its packages were last matched.
    pub matched_at: i64,
    /// When the verdict was computed.
    pub judged_at: i64,
    /// The references it was seen under, sorted.
    pub references: Vec<String>,
    /// The ids of the findings that failed the policy, sorted.
    pub failures: Vec<String>,
}

/// What a scan or a re-match writes for one image, in one transaction.
#[derive(Clone, Debug)]
pub struct ImageWrite {
    /// The row itself (`references` are the new ones to record).
    pub row: ImageRow,
    /// The report JSON, without the policy's decision.
    pub report: String,
    /// The advisory database matched against.
    pub advisory_db: String,
    /// What changed since the stored version.
    pub events: Vec<FindingEvent>,
}

/// A finding appearing or disappearing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FindingEvent {
    /// Seconds since the epoch.
    pub at: i64,
    /// The image.
    pub digest: String,
    /// `appeared` or `resolved`.
    pub change: String,
    /// `scan` (the image was read) or `rematch` (the advisory database changed).
    pub cause: String,
    /// `vuln`, `secret`, `misconfig`, `malware`, `ioc`, `license`.
    pub scanner: String,
    /// The advisory, rule or check id.
    pub finding: String,
    /// `package@version`, or the file.
    pub subject: String,
    /// The level.
    pub severity: String,
}

/// A token as stored: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenRow {
    /// The token id.
    pub id: String,
    /// Its unique name, shown in the audit log.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// Seconds since the epoch.
    pub created_at: i64,
    /// When it was revoked, if it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

/// One audit log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Seconds since the epoch.
    pub at: i64,
    /// The token's name, `registry-webhook` or `system`.
    pub actor: String,
    /// What was done (`scan.submit`, `token.create`, …).
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// The client's address.
    pub client: String,
    /// The HTTP status answered.
    pub status: i64,
}

/// One admission decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Decision {
    /// Seconds since the epoch.
    pub at: i64,
    /// The AdmissionReview request's uid.
    pub uid: String,
    /// The object's namespace.
    pub namespace: String,
    /// The object's kind.
    pub kind: String,
    /// The object's name.
    pub name: String,
    /// CREATE, UPDATE, …
    pub operation: String,
    /// The answer.
    pub allowed: bool,
    /// `enforce`, `audit` or `exempt`.
    pub mode: String,
    /// Each image and the digest judged (empty when it could not be resolved).
    #[schema(value_type = Object)]
    pub images: serde_json::Value,
    /// What denied it (in audit mode: what would have).
    pub reasons: Vec<String>,
    /// Warnings returned.
    pub warnings: Vec<String>,
}

/// Everything the server keeps. One implementation per engine family; every one passes the
/// same tests (`tests/store.rs`).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The engine answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Queues a scan of `image` unless one is queued or running; returns the job id and
    /// whether it is new.
    async fn enqueue(&self, image: &str, now: i64) -> Result<(String, bool), StoreError>;
    /// A job by id.
    async fn job(&self, id: &str) -> Result<Option<Job>, StoreError>;
    /// Takes the oldest ready job, leasing it until `lease_until`.
    async fn claim(&self, now: i64, lease_until: i64) -> Result<Option<Job>, StoreError>;
    /// Extends a running job's lease (the worker's heartbeat).
    async fn renew(&self, id: &str, lease_until: i64) -> Result<(), StoreError>;
    /// Ends a job: done with the digest, failed with the error, or queued again for a
    /// retry at `retry_at`.
    async fn finish(&self, id: &str, end: JobEnd, now: i64) -> Result<(), StoreError>;
    /// After a start: queues again the jobs no live worker holds. A SQLite store has one
    /// server process, so every running job is an orphan; on PostgreSQL other replicas
    /// hold theirs, so only expired leases are.
    async fn recover(&self, now: i64) -> Result<u64, StoreError>;
    /// Queues again every running job whose lease ran out (its worker died); returns how many.
    async fn requeue_expired(&self, now: i64) -> Result<u64, StoreError>;
    /// Jobs queued and running.
    async fn queue_depth(&self) -> Result<(i64, i64), StoreError>;

    /// Writes a scanned or re-matched image with its events.
    async fn put_image(&self, w: ImageWrite) -> Result<(), StoreError>;
    /// One image's row.
    async fn image(&self, digest: &str) -> Result<Option<ImageRow>, StoreError>;
    /// The image a pod names: stored under `digest`, or seen under `reference`
    /// (`host/repo@digest`; an index digest whose platform manifest was scanned). The most
    /// recently judged one wins.
    async fn image_for(
        &self,
        digest: &str,
        reference: &str,
    ) -> Result<Option<ImageRow>, StoreError>;
    /// One image's report JSON (without the policy's decision).
    async fn report(&self, digest: &str) -> Result<Option<String>, StoreError>;
    /// Images by digest, after `after`, at most `limit`, optionally of one repository.
    async fn images(
        &self,
        repository: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ImageRow>, StoreError>;
    /// Every stored digest, sorted.
    async fn digests(&self) -> Result<Vec<String>, StoreError>;
    /// Finding events at or after `since`, oldest first, at most `limit`.
    async fn findings_since(&self, since: i64, limit: i64)
        -> Result<Vec<FindingEvent>, StoreError>;

    /// Stores a token by its hash; the name must be new.
    async fn create_token(
        &self,
        name: &str,
        role: Role,
        hash: &str,
        now: i64,
    ) -> Result<TokenRow, StoreError>;
    /// The live (unrevoked) token with this hash.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRow>, StoreError>;
    /// Revokes a token by name; false when there is no live one.
    async fn revoke_token(&self, name: &str, now: i64) -> Result<bool, StoreError>;
    /// Every token, by name.
    async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError>;

    /// Appends to the audit log.
    async fn audit(&self, e: AuditEntry) -> Result<(), StoreError>;
    /// The audit log from `since`, oldest first, at most `limit`.
    async fn audit_log(&self, since: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError>;

    /// Records an admission decision.
    async fn record_decision(&self, d: Decision) -> Result<(), StoreError>;
    /// Admission decisions from `since`, oldest first, at most `limit`.
    async fn decisions(&self, since: i64, limit: i64) -> Result<Vec<Decision>, StoreError>;

    /// A server setting that outlives restarts.
    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Sets one.
    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError>;
}

/// How a job ended.
#[derive(Clone, Debug)]
pub enum JobEnd {
    /// Scanned; the image's digest.
    Done(String),
    /// Will not be retried.
    Failed(String),
    /// Queued again until `retry_at`.
    Retry {
        /// Why this attempt failed.
        error: String,
        /// Seconds since the epoch.
        retry_at: i64,
    },
}

/// The schema, version by version; `sqlx` records which ran (`_sqlx_migrations`).
fn migrator() -> Migrator {
    let m = |version, name, sql: &'static str| {
        Migration::new(
            version,
            Cow::Borrowed(name),
            MigrationType::Simple,
            sql.into_sql_str(),
            false,
        )
    };
    Migrator::with_migrations(vec![
        m(1, "init", include_str!("../migrations/0001_init.sql")),
        m(
            2,
            "admission",
            include_str!("../migrations/0002_admission.sql"),
        ),
    ])
}

/// A new id: the time in nanoseconds, then 8 random bytes, in hex. Ids sort in the order
/// they were made (the audit log and finding events are listed by `(at, id)`), and two
/// replicas never make the same one.
pub fn new_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut b = [0u8; 8];
    // The OS's generator fails only where nothing could run at all.
    getrandom::fill(&mut b).expect("the OS random generator");
    format!("{nanos:016x}{}", hex::encode(b))
}

/// The store on SQLite or PostgreSQL through `sqlx`'s `Any` driver.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
}

const IMAGE_COLUMNS: &str =
    "digest, repository, source, passed, verdict, counts, scanned_at, matched_at, judged_at, failures";
const JOB_COLUMNS: &str = "id, image, state, attempts, error, digest, created_at, updated_at";

impl SqlStore {
    /// Opens (creating a SQLite file if needed) and migrates the store at `url`.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let (dialect, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            // Create the file unless the URL says otherwise.
            let url = if rest.contains("mode=") {
                url.to_string()
            } else if rest.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            };
            (Dialect::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Dialect::Postgres, url.to_string())
        } else {
            return Err(StoreError::Url(url.to_string()));
        };
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(&url)
            .await
            .map_err(db("connect"))?;
        if dialect == Dialect::Sqlite {
            // Readers never wait for the writer; persistent in the file.
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await
                .map_err(db("WAL mode"))?;
        }
        migrator().run(&pool).await?;
        Ok(SqlStore { pool, dialect })
    }

    /// The engine in use.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }
}

fn get<T>(row: &AnyRow, col: &str, op: &'static str) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(col).map_err(db(op))
}

fn job_row(row: &AnyRow) -> Result<Job, StoreError> {
    const OP: &str = "read job";
    let state: String = get(row, "state", OP)?;
    Ok(Job {
        id: get(row, "id", OP)?,
        image: get(row, "image", OP)?,
        state: state
            .parse()
            .map_err(|message| StoreError::Corrupt { op: OP, message })?,
        attempts: get(row, "attempts", OP)?,
        error: get(row, "error", OP)?,
        digest: get(row, "digest", OP)?,
        created_at: get(row, "created_at", OP)?,
        updated_at: get(row, "updated_at", OP)?,
    })
}

fn image_row(row: &AnyRow, references: Vec<String>) -> Result<ImageRow, StoreError> {
    const OP: &str = "read image";
    let counts: String = get(row, "counts", OP)?;
    let failures: String = get(row, "failures", OP)?;
    Ok(ImageRow {
        digest: get(row, "digest", OP)?,
        repository: get(row, "repository", OP)?,
        source: get(row, "source", OP)?,
        passed: get::<i64>(row, "passed", OP)? != 0,
        verdict: get(row, "verdict", OP)?,
        counts: serde_json::from_str(&counts).map_err(|e| StoreError::Corrupt {
            op: OP,
            message: e.to_string(),
        })?,
        scanned_at: get(row, "scanned_at", OP)?,
        matched_at: get(row, "matched_at", OP)?,
        judged_at: get(row, "judged_at", OP)?,
        references,
        failures: serde_json::from_str(&failures).map_err(|e| StoreError::Corrupt {
            op: OP,
            message: e.to_string(),
        })?,
    })
}

fn token_row(row: &AnyRow) -> Result<TokenRow, StoreError> {
    const OP: &str = "read token";
    let role: String = get(row, "role", OP)?;
    Ok(TokenRow {
        id: get(row, "id", OP)?,
        name: get(row, "name", OP)?,
        role: role
            .parse()
            .map_err(|message| StoreError::Corrupt { op: OP, message })?,
        created_at: get(row, "created_at", OP)?,
        revoked_at: get(row, "revoked_at", OP)?,
    })
}

fn event_row(row: &AnyRow) -> Result<FindingEvent, StoreError> {
    const OP: &str = "read finding event";
    Ok(FindingEvent {
        at: get(row, "at", OP)?,
        digest: get(row, "digest", OP)?,
        change: get(row, "change", OP)?,
        cause: get(row, "cause", OP)?,
        scanner: get(row, "scanner", OP)?,
        finding: get(row, "finding", OP)?,
        subject: get(row, "subject", OP)?,
        severity: get(row, "severity", OP)?,
    })
}

impl SqlStore {
    async fn references(&self, digest: &str) -> Result<Vec<String>, StoreError> {
        sqlx::query("SELECT reference FROM image_refs WHERE digest = $1 ORDER BY reference")
            .bind(digest)
            .fetch_all(&self.pool)
            .await
            .map_err(db("read references"))?
            .iter()
            .map(|r| get::<String>(r, "reference", "read references"))
            .collect()
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db("ping"))?;
        Ok(())
    }

    async fn enqueue(&self, image: &str, now: i64) -> Result<(String, bool), StoreError> {
        let id = new_id();
        // The partial unique index `jobs_active` keeps one live job per reference.
        let inserted = sqlx::query(
            "INSERT INTO jobs (id, image, state, attempts, not_before, lease_until, created_at, updated_at)
             VALUES ($1, $2, 'queued', 0, $3, 0, $3, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id.as_str())
        .bind(image)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db("enqueue"))?
        .rows_affected();
        if inserted == 1 {
            return Ok((id, true));
        }
        let row =
            sqlx::query("SELECT id FROM jobs WHERE image = $1 AND state IN ('queued', 'running')")
                .bind(image)
                .fetch_optional(&self.pool)
                .await
                .map_err(db("enqueue"))?;
        match row {
            Some(r) => Ok((get(&r, "id", "enqueue")?, false)),
            // The live job finished between the two statements: queue a new one.
            None => Box::pin(self.enqueue(image, now)).await,
        }
    }

    async fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
        let q = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        sqlx::query(AssertSqlSafe(q))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("read job"))?
            .as_ref()
            .map(job_row)
            .transpose()
    }

    async fn claim(&self, now: i64, lease_until: i64) -> Result<Option<Job>, StoreError> {
        let lock = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        };
        // The outer `state = 'queued'` makes a job taken by a concurrent claim match nothing.
        let q = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1, updated_at = $2
             WHERE state = 'queued' AND id = (
                 SELECT id FROM jobs WHERE state = 'queued' AND not_before <= $2
                 ORDER BY created_at, id LIMIT 1{lock})
             RETURNING {JOB_COLUMNS}"
        );
        sqlx::query(AssertSqlSafe(q))
            .bind(lease_until)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("claim job"))?
            .as_ref()
            .map(job_row)
            .transpose()
    }

    async fn renew(&self, id: &str, lease_until: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = $2 AND state = 'running'")
            .bind(lease_until)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db("renew lease"))?;
        Ok(())
    }

    async fn finish(&self, id: &str, end: JobEnd, now: i64) -> Result<(), StoreError> {
        let (state, error, digest, not_before) = match end {
            JobEnd::Done(d) => ("done", None, Some(d), now),
            JobEnd::Failed(e) => ("failed", Some(e), None, now),
            JobEnd::Retry { error, retry_at } => ("queued", Some(error), None, retry_at),
        };
        sqlx::query(
            "UPDATE jobs SET state = $1, error = $2, digest = $3, not_before = $4, lease_until = 0,
             updated_at = $5 WHERE id = $6 AND state = 'running'",
        )
        .bind(state)
        .bind(error)
        .bind(digest)
        .bind(not_before)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db("finish job"))?;
        Ok(())
    }

    async fn recover(&self, now: i64) -> Result<u64, StoreError> {
        match self.dialect {
            Dialect::Sqlite => Ok(sqlx::query(
                "UPDATE jobs SET state = 'queued', lease_until = 0, updated_at = $1
                 WHERE state = 'running'",
            )
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db("recover jobs"))?
            .rows_affected()),
            Dialect::Postgres => self.requeue_expired(now).await,
        }
    }

    async fn requeue_expired(&self, now: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE jobs SET state = 'queued', lease_until = 0, updated_at = $1
             WHERE state = 'running' AND lease_until < $1",
        )
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db("requeue expired jobs"))?
        .rows_affected())
    }

    async fn queue_depth(&self) -> Result<(i64, i64), StoreError> {
        let row = sqlx::query(
            "SELECT
               COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0) AS queued,
               COALESCE(SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END), 0) AS running
             FROM jobs WHERE state IN ('queued', 'running')",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db("queue depth"))?;
        Ok((
            get(&row, "queued", "queue depth")?,
            get(&row, "running", "queue depth")?,
        ))
    }

    async fn put_image(&self, w: ImageWrite) -> Result<(), StoreError> {
        const OP: &str = "write image";
        let r = &w.row;
        let mut tx = self.pool.begin().await.map_err(db(OP))?;
        // Writes first: a SQLite transaction that starts by writing waits for the lock
        // instead of failing to upgrade a read lock.
        sqlx::query(
            "INSERT INTO images (digest, repository, source, report, passed, verdict, counts,
                                 scanned_at, matched_at, judged_at, advisory_db, failures)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (digest) DO UPDATE SET
               repository = excluded.repository, source = excluded.source,
               report = excluded.report, passed = excluded.passed, verdict = excluded.verdict,
               counts = excluded.counts, scanned_at = excluded.scanned_at,
               matched_at = excluded.matched_at, judged_at = excluded.judged_at,
               advisory_db = excluded.advisory_db, failures = excluded.failures",
        )
        .bind(r.digest.as_str())
        .bind(r.repository.as_str())
        .bind(r.source.as_str())
        .bind(w.report.as_str())
        .bind(i64::from(r.passed))
        .bind(r.verdict.as_str())
        .bind(to_json(&r.counts))
        .bind(r.scanned_at)
        .bind(r.matched_at)
        .bind(r.judged_at)
        .bind(w.advisory_db.as_str())
        .bind(to_json(&r.failures))
        .execute(&mut *tx)
        .await
        .map_err(db(OP))?;
        for reference in &r.references {
            sqlx::query(
                "INSERT INTO image_refs (digest, reference, first_seen, last_seen)
                 VALUES ($1, $2, $3, $3)
                 ON CONFLICT (digest, reference) DO UPDATE SET last_seen = excluded.last_seen",
            )
            .bind(r.digest.as_str())
            .bind(reference.as_str())
            .bind(r.scanned_at.max(r.matched_at))
            .execute(&mut *tx)
            .await
            .map_err(db(OP))?;
        }
        for e in &w.events {
            sqlx::query(
                "INSERT INTO finding_events (id, at, digest, change, cause, scanner, finding, subject, severity)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(new_id())
            .bind(e.at)
            .bind(e.digest.as_str())
            .bind(e.change.as_str())
            .bind(e.cause.as_str())
            .bind(e.scanner.as_str())
            .bind(e.finding.as_str())
            .bind(e.subject.as_str())
            .bind(e.severity.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db(OP))?;
        }
        tx.commit().await.map_err(db(OP))
    }

    async fn image(&self, digest: &str) -> Result<Option<ImageRow>, StoreError> {
        let q = format!("SELECT {IMAGE_COLUMNS} FROM images WHERE digest = $1");
        let Some(row) = sqlx::query(AssertSqlSafe(q))
            .bind(digest)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("read image"))?
        else {
            return Ok(None);
        };
        Ok(Some(image_row(&row, self.references(digest).await?)?))
    }

    async fn report(&self, digest: &str) -> Result<Option<String>, StoreError> {
        sqlx::query("SELECT report FROM images WHERE digest = $1")
            .bind(digest)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("read report"))?
            .map(|r| get(&r, "report", "read report"))
            .transpose()
    }

    async fn images(
        &self,
        repository: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ImageRow>, StoreError> {
        // One query for the page and its references (a page is not 1 + N queries).
        let q = format!(
            "SELECT i.*, r.reference FROM (
                 SELECT {IMAGE_COLUMNS} FROM images
                 WHERE ($1 = '' OR repository = $1) AND digest > $2
                 ORDER BY digest LIMIT $3) AS i
             LEFT JOIN image_refs r ON r.digest = i.digest
             ORDER BY i.digest, r.reference"
        );
        let rows = sqlx::query(AssertSqlSafe(q))
            .bind(repository.unwrap_or(""))
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(db("list images"))?;
        let mut out: Vec<ImageRow> = Vec::new();
        for r in &rows {
            let digest: String = get(r, "digest", "list images")?;
            let reference: Option<String> = get(r, "reference", "list images")?;
            if out.last().is_none_or(|last| last.digest != digest) {
                out.push(image_row(r, vec![])?);
            }
            if let (Some(last), Some(reference)) = (out.last_mut(), reference) {
                last.references.push(reference);
            }
        }
        Ok(out)
    }

    async fn digests(&self) -> Result<Vec<String>, StoreError> {
        sqlx::query("SELECT digest FROM images ORDER BY digest")
            .fetch_all(&self.pool)
            .await
            .map_err(db("list digests"))?
            .iter()
            .map(|r| get(r, "digest", "list digests"))
            .collect()
    }

    async fn findings_since(
        &self,
        since: i64,
        limit: i64,
    ) -> Result<Vec<FindingEvent>, StoreError> {
        sqlx::query(
            "SELECT at, digest, change, cause, scanner, finding, subject, severity
             FROM finding_events WHERE at >= $1
             ORDER BY at, digest, scanner, finding, subject, change LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db("list findings"))?
        .iter()
        .map(event_row)
        .collect()
    }

    async fn create_token(
        &self,
        name: &str,
        role: Role,
        hash: &str,
        now: i64,
    ) -> Result<TokenRow, StoreError> {
        let id = new_id();
        let inserted = sqlx::query(
            "INSERT INTO tokens (id, name, role, hash, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT DO NOTHING",
        )
        .bind(id.as_str())
        .bind(name)
        .bind(role.as_str())
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db("create token"))?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::Exists(format!("a token named {name:?}")));
        }
        Ok(TokenRow {
            id,
            name: name.to_string(),
            role,
            created_at: now,
            revoked_at: None,
        })
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
        sqlx::query(
            "SELECT id, name, role, created_at, revoked_at FROM tokens
             WHERE hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db("read token"))?
        .as_ref()
        .map(token_row)
        .transpose()
    }

    async fn revoke_token(&self, name: &str, now: i64) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(name)
                .execute(&self.pool)
                .await
                .map_err(db("revoke token"))?
                .rows_affected()
                == 1,
        )
    }

    async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        sqlx::query("SELECT id, name, role, created_at, revoked_at FROM tokens ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(db("list tokens"))?
            .iter()
            .map(token_row)
            .collect()
    }

    async fn audit(&self, e: AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit (id, at, actor, action, target, client, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(new_id())
        .bind(e.at)
        .bind(e.actor)
        .bind(e.action)
        .bind(e.target)
        .bind(e.client)
        .bind(e.status)
        .execute(&self.pool)
        .await
        .map_err(db("write audit log"))?;
        Ok(())
    }

    async fn audit_log(&self, since: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        const OP: &str = "read audit log";
        sqlx::query(
            "SELECT at, actor, action, target, client, status FROM audit WHERE at >= $1
             ORDER BY at, id LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db(OP))?
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                at: get(r, "at", OP)?,
                actor: get(r, "actor", OP)?,
                action: get(r, "action", OP)?,
                target: get(r, "target", OP)?,
                client: get(r, "client", OP)?,
                status: get(r, "status", OP)?,
            })
        })
        .collect()
    }

    async fn image_for(
        &self,
        digest: &str,
        reference: &str,
    ) -> Result<Option<ImageRow>, StoreError> {
        let q = format!(
            "SELECT {IMAGE_COLUMNS} FROM images
             WHERE digest = $1 OR digest IN (SELECT digest FROM image_refs WHERE reference = $2)
             ORDER BY judged_at DESC, digest LIMIT 1"
        );
        let Some(row) = sqlx::query(AssertSqlSafe(q))
            .bind(digest)
            .bind(reference)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("read image"))?
        else {
            return Ok(None);
        };
        // The references are not needed to decide; they are left out.
        Ok(Some(image_row(&row, vec![])?))
    }

    async fn record_decision(&self, d: Decision) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO admission_decisions
               (id, at, uid, namespace, kind, name, operation, allowed, mode, images, reasons, warnings)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(new_id())
        .bind(d.at)
        .bind(d.uid.as_str())
        .bind(d.namespace.as_str())
        .bind(d.kind.as_str())
        .bind(d.name.as_str())
        .bind(d.operation.as_str())
        .bind(i64::from(d.allowed))
        .bind(d.mode.as_str())
        .bind(to_json(&d.images))
        .bind(to_json(&d.reasons))
        .bind(to_json(&d.warnings))
        .execute(&self.pool)
        .await
        .map_err(db("record decision"))?;
        Ok(())
    }

    async fn decisions(&self, since: i64, limit: i64) -> Result<Vec<Decision>, StoreError> {
        const OP: &str = "read decisions";
        fn parse<T: serde::de::DeserializeOwned>(s: String) -> Result<T, StoreError> {
            serde_json::from_str(&s).map_err(|e| StoreError::Corrupt {
                op: OP,
                message: e.to_string(),
            })
        }
        sqlx::query(
            "SELECT at, uid, namespace, kind, name, operation, allowed, mode, images, reasons, warnings
             FROM admission_decisions WHERE at >= $1 ORDER BY at, id LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(db(OP))?
        .iter()
        .map(|r| {
            Ok(Decision {
                at: get(r, "at", OP)?,
                uid: get(r, "uid", OP)?,
                namespace: get(r, "namespace", OP)?,
                kind: get(r, "kind", OP)?,
                name: get(r, "name", OP)?,
                operation: get(r, "operation", OP)?,
                allowed: get::<i64>(r, "allowed", OP)? != 0,
                mode: get(r, "mode", OP)?,
                images: parse(get(r, "images", OP)?)?,
                reasons: parse(get(r, "reasons", OP)?)?,
                warnings: parse(get(r, "warnings", OP)?)?,
            })
        })
        .collect()
    }

    async fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db("read setting"))?
            .map(|r| get(&r, "value", "read setting"))
            .transpose()
    }

    async fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(db("write setting"))?;
        Ok(())
    }
}

/// A list or object column's text.
fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}
