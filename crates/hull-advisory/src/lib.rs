//! OSV advisories and the advisory database.
//!
//! [`osv`] turns OSV JSON into validated [`Advisory`] values (raw serde structs at the edge,
//! checked once); [`Database`] stores them in SQLite, keyed by ecosystem and package name.
//! An import builds a new database file beside the old one and renames it into place, so a
//! crash or a kill at any point leaves the previous database usable.

pub mod osv;
mod store;
mod update;

pub use osv::{package_key, Advisory, Affected, Event, Range, RangeKind, Rating, SeveritySource};
pub use store::{Cause, Database, DbError, ImportReport, Status};
pub use update::{
    downloaded, fetch, FetchStatus, Fetched, UpdateOptions, DEFAULT_MIRROR, MATCHED_ECOSYSTEMS,
};
