//! rpm ≥ 4.16's SQLite database, `rpmdb.sqlite`: table `Packages(hnum, blob)`, one header
//! blob per row.
//!
//! The bytes are handed to SQLite in memory (`sqlite3_deserialize`), read-only, so nothing is
//! written to disk. SQLite is built to survive corrupt files (it reports `SQLITE_CORRUPT`);
//! a progress handler bounds the work a hostile schema (a recursive view named `Packages`)
//! could demand, and `trusted_schema=OFF` keeps schema-defined functions from running.
//! A `-wal` file beside the database is not applied: rpm checkpoints it on close, so it is
//! empty in images built by package managers.

use rusqlite::{Connection, OpenFlags, MAIN_DB};

use super::header::{parse_blob, RpmHeader};
use crate::AnalyzeError;

/// SQLite virtual-machine steps allowed (checked every 1000 instructions).
const MAX_PROGRESS_CALLS: u64 = 200_000;

/// Reads every package header blob from an `rpmdb.sqlite` file.
pub fn parse(bytes: &[u8]) -> Result<Vec<RpmHeader>, AnalyzeError> {
    parse_with(bytes, parse_blob)
}

/// Every header blob of the database, each decoded by `decode` (the package fields, or the
/// file digests).
pub fn parse_with<T>(
    bytes: &[u8],
    decode: impl Fn(&[u8]) -> Result<T, AnalyzeError>,
) -> Result<Vec<T>, AnalyzeError> {
    let err = |e: rusqlite::Error| AnalyzeError::malformed("rpm SQLite", e.to_string());
    if !bytes.starts_with(b"SQLite format 3\0") || bytes.len() < 100 {
        return Err(AnalyzeError::malformed("rpm SQLite", "no SQLite header"));
    }
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    // rpm opens its database in WAL mode (header bytes 18 and 19 are 2); SQLite cannot open
    // an in-memory image in WAL mode, so the copy handed to it says "rollback journal" (1).
    let patched = std::io::Read::chain(
        std::io::Read::chain(&bytes[..18], &[1u8, 1][..]),
        &bytes[20..],
    );
    conn.deserialize_read_exact(MAIN_DB, patched, bytes.len(), true)
        .map_err(err)?;
    conn.execute_batch("PRAGMA trusted_schema=OFF; PRAGMA cell_size_check=ON;")
        .map_err(err)?;
    let calls = std::cell::Cell::new(0u64);
    conn.progress_handler(
        1000,
        Some(move || {
            calls.set(calls.get() + 1);
            calls.get() > MAX_PROGRESS_CALLS
        }),
    );
    // rpm's `Packages` is a table; a view (cross-joining one real header a million times)
    // would make a small file yield unbounded rows.
    let kind: Option<String> = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = 'Packages'",
            [],
            |r| r.get(0),
        )
        .ok();
    if kind.as_deref() != Some("table") {
        return Err(AnalyzeError::malformed(
            "rpm SQLite",
            "`Packages` is not a table",
        ));
    }
    let mut stmt = conn.prepare("SELECT blob FROM Packages").map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    let mut budget = super::Budget::new("rpm SQLite", bytes.len());
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(err)? {
        let blob = row
            .get_ref(0)
            .map_err(err)?
            .as_blob()
            .map_err(|e| err(e.into()))?;
        budget.take(blob.len())?;
        out.push(decode(blob)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue #23: a `Packages` view cross-joining one header used to amplify without bound.
    #[test]
    fn a_packages_view_is_refused() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE real(hnum INTEGER PRIMARY KEY, blob BLOB);
             INSERT INTO real(blob) VALUES (zeroblob(64));
             CREATE VIEW Packages AS SELECT a.blob AS blob FROM real a, real b, real c;",
        )
        .unwrap();
        let bytes = c.serialize(MAIN_DB).unwrap().to_vec();
        let e = parse(&bytes).unwrap_err();
        assert!(e.to_string().contains("not a table"), "{e}");
    }

    #[test]
    fn rejects_non_sqlite_and_corrupt() {
        assert!(parse(b"hello").is_err());
        let mut b = b"SQLite format 3\0".to_vec();
        b.extend_from_slice(&[0xff; 200]);
        assert!(parse(&b).is_err());
    }
}
