//! `hull db`: import, update and show the advisory database.

use std::path::PathBuf;

use clap::Subcommand;
use hull_scan::db::{self as advisory, Database, FetchStatus, UpdateOptions};

use crate::args::DbArgs;
use crate::{input, now, usage, write_out, Failure};

#[derive(Subcommand)]
pub enum DbCommand {
    /// Build the advisory database from OSV data: `all.zip` files as the OSV project
    /// publishes them, directories of OSV JSON, single JSON files. Replaces the database
    /// atomically.
    Import {
        #[arg(required = true)]
        sources: Vec<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Download each ecosystem's OSV `all.zip` (only those changed since the last update,
    /// by conditional request) and rebuild the database from them.
    Update {
        /// Mirror laid out as the OSV bucket: `<mirror>/<ecosystem>/all.zip`.
        #[arg(long, env = "HULL_OSV_MIRROR", default_value = advisory::DEFAULT_MIRROR)]
        mirror: String,
        /// Ecosystems to fetch (repeatable); default: every one hull can match.
        #[arg(long = "ecosystem")]
        ecosystems: Vec<String>,
        /// The most one download may take, in seconds (default 1800): a mirror that stalls
        /// fails instead of hanging the update.
        #[arg(long, value_name = "SECONDS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..))]
        timeout: u64,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Show what the advisory database holds.
    Status {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub fn run(c: DbCommand) -> Result<(), Failure> {
    match c {
        DbCommand::Import { sources, db } => {
            let path = db.path()?;
            let start = std::time::Instant::now();
            let r = Database::import(&path, &sources, now()).map_err(input)?;
            eprintln!(
                "imported {} advisories ({} withdrawn, {} malformed skipped) into {} in {:.1} s",
                r.advisories,
                r.withdrawn,
                r.skipped,
                path.display(),
                start.elapsed().as_secs_f64()
            );
            for e in &r.skipped_examples {
                eprintln!("  skipped {e}");
            }
            Ok(())
        }
        DbCommand::Update {
            mirror,
            ecosystems,
            timeout,
            db,
        } => {
            let path = db.path()?;
            let ecosystems = if ecosystems.is_empty() {
                advisory::MATCHED_ECOSYSTEMS
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            } else {
                ecosystems
            };
            let download_dir = path.with_file_name("osv");
            let fetched = advisory::fetch(&UpdateOptions {
                mirror,
                ecosystems,
                download_dir: download_dir.clone(),
                max_bytes: 4 << 30,
                timeout: std::time::Duration::from_secs(timeout),
            })
            .map_err(input)?;
            for f in &fetched {
                match &f.status {
                    FetchStatus::Downloaded { bytes } => {
                        eprintln!("{}: downloaded {bytes} bytes", f.ecosystem)
                    }
                    FetchStatus::NotModified => eprintln!("{}: not modified", f.ecosystem),
                }
            }
            let sources = advisory::downloaded(&download_dir);
            let r = Database::import(&path, &sources, now()).map_err(input)?;
            eprintln!(
                "imported {} advisories ({} malformed skipped) from {} ecosystems into {}",
                r.advisories,
                r.skipped,
                sources.len(),
                path.display()
            );
            Ok(())
        }
        DbCommand::Status { db } => {
            let path = db.path()?;
            let s = Database::open(&path)
                .map_err(input)?
                .status()
                .map_err(input)?;
            let mut out = format!(
                "database       {}\nschema version {}\nbuilt          {}\nadvisories     {}\nskipped        {} malformed\nsources:\n",
                s.path.display(),
                s.schema_version,
                hull_types::time::rfc3339(s.built_at),
                s.advisories,
                s.skipped
            );
            for src in &s.sources {
                out.push_str(&format!("  {src}\n"));
            }
            out.push_str("ecosystems:\n");
            for (e, n) in &s.ecosystems {
                out.push_str(&format!("  {e:<24} {n}\n"));
            }
            write_out(None, &out).map_err(usage)
        }
    }
}
