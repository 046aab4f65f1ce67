//! The advisory database: one SQLite file.
//!
//! `advisories(id, body)` holds each validated advisory in postcard's compact binary form
//! (decoding JSON was most of a scan's matching time); `packages(ecosystem, name,
//! id)` indexes them by affected package, the name as [`package_key`] folds it; `meta` records the schema version, build time,
//! sources and counts. [`Database::import`] writes a new file and renames it over the old one.

use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags};

use crate::osv::{package_key, Advisory};

/// Bump when the tables or the stored JSON change; older databases are refused.
pub const SCHEMA_VERSION: u32 = 3;
/// One OSV document larger than this is skipped as malformed.
const MAX_DOC: u64 = 16 << 20;
/// An OSV zip with more entries than this is refused (the largest ecosystem has ~200,000).
const MAX_ZIP_ENTRIES: usize = 2_000_000;

/// The cause of a [`DbError`]: shared, so the error stays `Clone` (matching hands it across
/// threads) while `source()` still reaches the original error.
pub type Cause = std::sync::Arc<dyn std::error::Error + Send + Sync>;

/// Why the advisory database could not be built or read.
#[derive(Clone, Debug, thiserror::Error)]
pub enum DbError {
    /// The database file itself (SQLite, schema version, a crafted file).
    #[error("advisory database {path}: {source}")]
    Db {
        /// The database file.
        path: String,
        /// What went wrong, kept as the error it was (SQLite, I/O, decoding).
        #[source]
        source: Cause,
    },
    /// An OSV source (a zip, a directory, a document, a mirror URL).
    #[error("{path}: {source}")]
    Source {
        /// The source.
        path: String,
        /// What went wrong, kept as the error it was.
        #[source]
        source: Cause,
    },
    /// No database at this path.
    #[error("no advisory database at {0}: run `hull db import` first")]
    Missing(String),
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Advisories stored.
    pub advisories: u64,
    /// Withdrawn advisories (stored, never matched).
    pub withdrawn: u64,
    /// Malformed documents, skipped (never an aborted import), with the first few reasons.
    pub skipped: u64,
    /// A few of the skipped documents, with the reason.
    pub skipped_examples: Vec<String>,
}

/// What `hull db status` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The database file.
    pub path: PathBuf,
    /// Its schema version.
    pub schema_version: u32,
    /// Seconds since the Unix epoch.
    pub built_at: i64,
    /// The sources it was built from.
    pub sources: Vec<String>,
    /// Advisories stored.
    pub advisories: u64,
    /// Documents skipped as malformed.
    pub skipped: u64,
    /// Advisories per ecosystem, sorted by ecosystem.
    pub ecosystems: Vec<(String, u64)>,
}

/// An open, read-only advisory database.
pub struct Database {
    conn: Connection,
    path: PathBuf,
}

fn db_err(path: &Path, e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> DbError {
    DbError::Db {
        path: path.display().to_string(),
        source: Cause::from(e.into()),
    }
}

impl Database {
    /// Opens an existing database read-only.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        if !path.is_file() {
            return Err(DbError::Missing(path.display().to_string()));
        }
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| db_err(path, e))?;
        // Read pages through a memory map rather than a read and a copy each. The file may
        // come from anywhere (a bundle, a shared cache): functions its schema defines never
        // run, and the three objects hull reads must be plain tables, so a `meta` that is a
        // recursive view (which never returns) is refused before any query touches it.
        conn.execute_batch("PRAGMA mmap_size = 1073741824; PRAGMA trusted_schema = OFF;")
            .map_err(|e| db_err(path, e))?;
        for table in ["meta", "advisories", "packages"] {
            let kind: Option<String> = conn
                .query_row(
                    "SELECT type FROM sqlite_master WHERE name = ?1",
                    [table],
                    |r| r.get(0),
                )
                .ok();
            if kind.as_deref() != Some("table") {
                return Err(db_err(
                    path,
                    format!("`{table}` is not a table: not a hull advisory database"),
                ));
            }
        }
        let triggers: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('view', 'trigger')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| db_err(path, e))?;
        if triggers > 0 {
            return Err(db_err(
                path,
                "holds views or triggers: not a hull advisory database",
            ));
        }
        let db = Database {
            conn,
            path: path.to_path_buf(),
        };
        let v: u32 = db
            .meta("schema_version")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if v != SCHEMA_VERSION {
            return Err(db_err(
                path,
                format!("schema version {v}, this hull reads {SCHEMA_VERSION}: run `hull db import` again"),
            ));
        }
        Ok(db)
    }

    /// The file this database was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn meta(&self, key: &str) -> Result<Option<String>, DbError> {
        let r = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0));
        match r {
            Ok(v) => Ok(Some(v)),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(db_err(&self.path, e)),
        }
    }

    /// Every ecosystem the database holds advisories for, sorted. Recorded at import time:
    /// reading it from the index would walk every row, and each scan asks.
    pub fn ecosystems(&self) -> Result<Vec<String>, DbError> {
        Ok(self
            .meta("ecosystems")?
            .and_then(|v| serde_json::from_str(&v).ok())
            .unwrap_or_default())
    }

    /// Every advisory naming this package in this ecosystem, withdrawn ones excluded. The
    /// name is compared as the ecosystem compares names ([`package_key`]).
    pub fn affecting(&self, ecosystem: &str, name: &str) -> Result<Vec<Advisory>, DbError> {
        let name = package_key(ecosystem, name);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.body FROM packages p JOIN advisories a ON a.n = p.n \
                 WHERE p.ecosystem = ?1 AND p.name = ?2 ORDER BY a.id",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map(params![ecosystem, name], |r| r.get::<_, Vec<u8>>(0))
            .map_err(|e| db_err(&self.path, e))?;
        let mut out = Vec::new();
        for body in rows {
            let body = body.map_err(|e| db_err(&self.path, e))?;
            let a: Advisory = postcard::from_bytes(&body).map_err(|e| db_err(&self.path, e))?;
            if !a.withdrawn {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// The package names in `ecosystem` that end with `suffix` (compared exactly), sorted:
    /// for finding the groups the database knows a Maven artifact under (`:tomcat-catalina`).
    pub fn names_ending(&self, ecosystem: &str, suffix: &str) -> Result<Vec<String>, DbError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT name FROM packages WHERE ecosystem = ?1 \
                 AND length(name) > length(?2) AND substr(name, -length(?2)) = ?2 ORDER BY name",
            )
            .map_err(|e| db_err(&self.path, e))?;
        let rows = stmt
            .query_map(params![ecosystem, suffix], |r| r.get::<_, String>(0))
            .map_err(|e| db_err(&self.path, e))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| db_err(&self.path, e))
    }

    /// When the database was built (seconds since the epoch); cheap, for staleness checks.
    pub fn built_at(&self) -> Result<i64, DbError> {
        Ok(self
            .meta("built_at")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// What is in the database.
    pub fn status(&self) -> Result<Status, DbError> {
        let n = |sql: &str| -> Result<u64, DbError> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|v| v as u64)
                .map_err(|e| db_err(&self.path, e))
        };
        let mut stmt = self
            .conn
            .prepare("SELECT ecosystem, COUNT(DISTINCT n) FROM packages GROUP BY ecosystem ORDER BY ecosystem")
            .map_err(|e| db_err(&self.path, e))?;
        let ecosystems = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(|e| db_err(&self.path, e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| db_err(&self.path, e))?;
        Ok(Status {
            path: self.path.clone(),
            schema_version: SCHEMA_VERSION,
            built_at: self
                .meta("built_at")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            sources: self
                .meta("sources")?
                .and_then(|v| serde_json::from_str(&v).ok())
                .unwrap_or_default(),
            advisories: n("SELECT COUNT(*) FROM advisories")?,
            skipped: self
                .meta("skipped")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            ecosystems,
        })
    }

    /// Builds a database at `path` from OSV sources (zip files as the OSV project publishes
    /// them, directories of OSV JSON, single JSON files). The new file is written beside
    /// `path` and renamed over it only when complete.
    pub fn import(path: &Path, sources: &[PathBuf], now: i64) -> Result<ImportReport, DbError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| db_err(path, e))?;
        }
        let tmp = path.with_file_name(format!(
            ".{}.import-{}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("advisories.db"),
            std::process::id()
        ));
        let _ = std::fs::remove_file(&tmp);
        remove_stale_imports(path);
        let result = build(&tmp, sources, now);
        match result {
            Ok(report) => {
                std::fs::rename(&tmp, path).map_err(|e| db_err(path, e))?;
                Ok(report)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }
}

fn build(tmp: &Path, sources: &[PathBuf], now: i64) -> Result<ImportReport, DbError> {
    let mut conn = Connection::open(tmp).map_err(|e| db_err(tmp, e))?;
    conn.execute_batch(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
         CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE advisories(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
                                 body BLOB NOT NULL);
         CREATE TABLE packages(ecosystem TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL,
                               PRIMARY KEY(ecosystem, name, n)) WITHOUT ROWID;",
    )
    .map_err(|e| db_err(tmp, e))?;
    let mut report = ImportReport::default();
    let tx = conn.transaction().map_err(|e| db_err(tmp, e))?;
    {
        let mut put_adv = tx
            .prepare(
                "INSERT INTO advisories(id, body) VALUES (?1, ?2) \
                 ON CONFLICT(id) DO UPDATE SET body = excluded.body RETURNING n",
            )
            .map_err(|e| db_err(tmp, e))?;
        let mut put_pkg = tx
            .prepare("INSERT OR IGNORE INTO packages(ecosystem, name, n) VALUES (?1, ?2, ?3)")
            .map_err(|e| db_err(tmp, e))?;
        let mut add = |origin: &str, bytes: Result<&[u8], String>| -> Result<(), DbError> {
            match bytes
                .map_err(crate::osv::OsvError)
                .and_then(Advisory::from_json)
            {
                Ok(a) => {
                    let body = postcard::to_stdvec(&a).map_err(|e| db_err(tmp, e))?;
                    // A later source's copy of an id replaces the body, keeping its number.
                    let n: i64 = put_adv
                        .query_row(params![a.id, body], |r| r.get(0))
                        .map_err(|e| db_err(tmp, e))?;
                    for af in &a.affected {
                        put_pkg
                            .execute(params![
                                af.ecosystem,
                                package_key(&af.ecosystem, &af.name),
                                n
                            ])
                            .map_err(|e| db_err(tmp, e))?;
                    }
                    report.advisories += 1;
                    report.withdrawn += u64::from(a.withdrawn);
                }
                Err(e) => {
                    report.skipped += 1;
                    if report.skipped_examples.len() < 5 {
                        report.skipped_examples.push(format!("{origin}: {e}"));
                    }
                }
            }
            Ok(())
        };
        for src in sources {
            read_source(src, &mut add)?;
        }
    }
    let shown: Vec<String> = sources.iter().map(|s| s.display().to_string()).collect();
    let ecosystems: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT DISTINCT ecosystem FROM packages ORDER BY ecosystem")
            .map_err(|e| db_err(tmp, e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| db_err(tmp, e))?;
        rows.collect::<Result<_, _>>().map_err(|e| db_err(tmp, e))?
    };
    for (k, v) in [
        (
            "ecosystems",
            serde_json::to_string(&ecosystems).unwrap_or_default(),
        ),
        ("schema_version", SCHEMA_VERSION.to_string()),
        ("built_at", now.to_string()),
        ("sources", serde_json::to_string(&shown).unwrap_or_default()),
        ("skipped", report.skipped.to_string()),
    ] {
        tx.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)",
            params![k, v],
        )
        .map_err(|e| db_err(tmp, e))?;
    }
    tx.commit().map_err(|e| db_err(tmp, e))?;
    conn.close().map_err(|(_, e)| db_err(tmp, e))?;
    Ok(report)
}

/// Receives each OSV document of a source: where it came from, and its bytes (or why they
/// could not be read, which skips the document rather than the import).
type Sink<'a> = dyn FnMut(&str, Result<&[u8], String>) -> Result<(), DbError> + 'a;

/// Feeds every OSV document of a source to `add`.
fn read_source(src: &Path, add: &mut Sink<'_>) -> Result<(), DbError> {
    let shown = src.display().to_string();
    let serr = |reason: Box<dyn std::error::Error + Send + Sync>| DbError::Source {
        path: shown.clone(),
        source: Cause::from(reason),
    };
    let meta = std::fs::metadata(src).map_err(|e| serr(e.into()))?;
    if meta.is_dir() {
        let mut files = Vec::new();
        let mut stack = vec![src.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).map_err(|e| serr(e.into()))?.flatten() {
                let p = e.path();
                match e.file_type() {
                    Ok(t) if t.is_dir() => stack.push(p),
                    Ok(t) if t.is_file() && p.extension().is_some_and(|x| x == "json") => {
                        files.push(p)
                    }
                    _ => {}
                }
            }
        }
        files.sort();
        for f in files {
            let bytes = read_bounded(std::fs::File::open(&f).map_err(|e| serr(e.into()))?)
                .map_err(|e| serr(format!("{}: {e}", f.display()).into()))?;
            add(&f.display().to_string(), Ok(&bytes))?;
        }
        return Ok(());
    }
    let mut head = [0u8; 4];
    let n = std::fs::File::open(src)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| serr(e.into()))?;
    if head[..n].starts_with(b"PK\x03\x04") {
        let f = std::fs::File::open(src).map_err(|e| serr(e.into()))?;
        let mut zip = zip::ZipArchive::new(f).map_err(|e| serr(Box::new(e)))?;
        if zip.len() > MAX_ZIP_ENTRIES {
            return Err(serr(
                format!("{} entries, more than {MAX_ZIP_ENTRIES}", zip.len()).into(),
            ));
        }
        for i in 0..zip.len() {
            // One entry hull cannot read (bzip2, say, or a broken header) is skipped and
            // counted with its reason, not a reason to drop the whole archive.
            let entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    add(
                        &format!("{shown}: entry {i}"),
                        Err(format!("unreadable: {e}")),
                    )?;
                    continue;
                }
            };
            let name = entry.name().to_string();
            if !entry.is_file() || !name.ends_with(".json") {
                continue;
            }
            let origin = format!("{shown}:{name}");
            match read_bounded(entry) {
                Ok(bytes) => add(&origin, Ok(&bytes))?,
                Err(e) => add(&origin, Err(format!("unreadable: {e}")))?,
            }
        }
        return Ok(());
    }
    let bytes = read_bounded(std::fs::File::open(src).map_err(|e| serr(e.into()))?)
        .map_err(|e| serr(e.into()))?;
    add(&shown, Ok(&bytes))
}

fn read_bounded(r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(MAX_DOC + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_DOC {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_DOC} bytes"
        )));
    }
    Ok(buf)
}

/// Removes the temporary files of imports that were killed (`.NAME.import-PID` beside the
/// database, tens of MB each) whose process is gone. A running import's file is kept: its
/// PID is alive (Linux `/proc`).
fn remove_stale_imports(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str())) else {
        return;
    };
    let prefix = format!(".{name}.import-");
    let Ok(rd) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return;
    };
    for e in rd.flatten() {
        let file = e.file_name();
        let Some(pid) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADV: &str = r#"{"id":"DEBCL-CVE-2024-0727-openssl","modified":"2024-03-03T09:47:43Z","aliases":["CVE-2024-0727"],
        "affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.13-1~deb12u1"}]}]}]}"#;

    /// Issue #23: a crafted database whose `meta` is a recursive view used to hang hull.
    #[test]
    fn a_database_with_a_recursive_view_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crafted.db");
        let c = Connection::open(&db).unwrap();
        c.execute_batch(
            "CREATE TABLE advisories(n INTEGER PRIMARY KEY, id TEXT, body TEXT);
             CREATE TABLE packages(ecosystem TEXT, name TEXT, n INTEGER);
             CREATE VIEW meta(key, value) AS
               WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r)
               SELECT 'schema_version', x FROM r;",
        )
        .unwrap();
        drop(c);
        let e = Database::open(&db).err().expect("refused");
        assert!(e.to_string().contains("not a table"), "{e}");
    }

    /// Issue #23: one bzip2 entry in an OSV zip aborted the whole import.
    #[test]
    fn an_unreadable_zip_entry_is_skipped_and_counted() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        w.start_file("bz.json", stored).unwrap();
        w.write_all(b"{}").unwrap();
        w.start_file("DEBCL-CVE-2024-0727-openssl.json", stored)
            .unwrap();
        w.write_all(ADV.as_bytes()).unwrap();
        let mut bytes = w.finish().unwrap().into_inner();
        // Mark the first entry bzip2 (method 12) in its local header and its central
        // directory record, as an archive made with bzip2 would be.
        bytes[8] = 12;
        let cd = bytes.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        bytes[cd + 10] = 12;
        let src = dir.path().join("all.zip");
        std::fs::write(&src, bytes).unwrap();
        let db = dir.path().join("advisories.db");
        let r = Database::import(&db, &[src], 1_700_000_000).unwrap();
        assert_eq!(
            (r.advisories, r.skipped),
            (1, 1),
            "{:?}",
            r.skipped_examples
        );
    }

    /// Issue #23: killed imports left their temporary files behind forever.
    #[test]
    fn stale_import_files_are_removed_by_the_next_import() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("advisories.db");
        let stale = dir.path().join(".advisories.db.import-4000000000");
        std::fs::write(&stale, b"partial").unwrap();
        let src = dir.path().join("a.json");
        std::fs::write(&src, ADV).unwrap();
        Database::import(&db, &[src], 1_700_000_000).unwrap();
        assert!(!stale.exists());
        assert!(db.exists());
    }

    #[test]
    fn import_query_status_and_atomic_replace() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("osv");
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("sub/a.json"), ADV).unwrap();
        std::fs::write(src.join("bad.json"), "{not json").unwrap();
        std::fs::write(src.join("w.json"), r#"{"id":"W-1","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"}}]}"#).unwrap();
        let db = dir.path().join("db/advisories.db");
        let r = Database::import(&db, std::slice::from_ref(&src), 1_700_000_000).unwrap();
        assert_eq!((r.advisories, r.withdrawn, r.skipped), (2, 1, 1));
        let d = Database::open(&db).unwrap();
        let found = d.affecting("Debian:12", "openssl").unwrap();
        assert_eq!(found.len(), 1, "withdrawn advisories are excluded");
        assert_eq!(found[0].id, "DEBCL-CVE-2024-0727-openssl");
        let s = d.status().unwrap();
        assert_eq!((s.advisories, s.skipped, s.built_at), (2, 1, 1_700_000_000));
        assert_eq!(s.ecosystems, vec![("Debian:12".to_string(), 2)]);
        assert_eq!(d.ecosystems().unwrap(), vec!["Debian:12".to_string()]);
        drop(d);
        // A failing import leaves the old database in place.
        let missing = dir.path().join("nope");
        assert!(Database::import(&db, &[missing], 1).is_err());
        assert_eq!(Database::open(&db).unwrap().status().unwrap().advisories, 2);
        assert!(!std::fs::read_dir(dir.path().join("db")).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("import")));
    }

    #[test]
    fn missing_database_says_what_to_do() {
        let e = Database::open(Path::new("/nonexistent/advisories.db"))
            .err()
            .unwrap();
        assert!(e.to_string().contains("hull db import"));
    }
}
