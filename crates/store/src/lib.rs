//! tillit's ledger: subjects, records, lifecycle events, consents,
//! objections, restrictions, holds and disclosures, with a hash-linked
//! audit chain, on an embedded SQLite file or on PostgreSQL.
//!
//! **Architecture invariant:** this crate is the only place with SQL. The
//! ledger's statements are written once ([`ledger`]) and run on either
//! database through the [`sql::Backend`] seam; the conformance suite runs
//! the same tests on both.
//!
//! **Architecture invariant:** every write that concerns a person goes
//! through [`Ledger::write`], which runs it in one transaction together
//! with its audit entries and the chain's new head. There is no other way
//! to write.

pub mod access;
pub mod answer;
pub mod audit;
pub mod decisions;
pub mod demo;
mod ledger;
mod postgres;
pub mod requests;
pub mod retention;
pub mod sql;
mod sqlite;
pub mod tokens;
pub mod view;
pub mod visits;

use std::path::PathBuf;

use tillit_core::ledger::InputError;

pub use ledger::{
    ConsentEvent, ConsentState, Counts, Disclosure, EventView, Hold, Ledger, Objection, RecordView,
    Restriction, SubjectFile, SubjectView, Writer, consent_state,
};

/// The database tillit uses when none is named.
pub const DEFAULT_URL: &str = "sqlite://tillit.db";

/// Why the ledger could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open {target}: {reason}")]
    Connect { target: String, reason: String },
    /// The database cannot be reached now (it is down, restarting, or the
    /// connection broke); the same call may succeed later.
    #[error("the ledger's database cannot be reached: {0}")]
    Unavailable(String),
    #[error(
        "`{url}` is not a database URL: write sqlite://FILE (e.g. sqlite://tillit.db) or postgres://USER@HOST:PORT/DATABASE"
    )]
    BadUrl { url: String },
    #[error(
        "this database has schema version {found}, written by a newer tillit; this tillit knows versions up to {known}. Upgrade tillit to use it"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("no subject `{0}` in the ledger; add it with `tillit subject add --id {0}`")]
    NoSuchSubject(String),
    #[error("subject `{0}` is already in the ledger")]
    SubjectExists(String),
    #[error(
        "subject `{id}` was erased on {at}; nothing more is kept of them. Someone who comes back is added under a new id"
    )]
    SubjectErased { id: String, at: jiff::Timestamp },
    #[error("that {kind} already belongs to subject `{holder}`")]
    IdentifierTaken { kind: &'static str, holder: String },
    #[error("no {what} {id} for subject `{subject}`")]
    NoSuch {
        what: &'static str,
        id: i64,
        subject: String,
    },
    #[error("no request {0}; `tillit request list` shows them")]
    NoSuchRequest(i64),
    #[error("request {id} cannot be extended: {why}")]
    ExtensionRefused {
        id: i64,
        why: tillit_core::case::ExtensionRefused,
    },
    #[error("no token {0} in force; `tillit token list` shows them")]
    NoSuchToken(i64),
    #[error("request {0} is closed already")]
    RequestClosed(i64),
    #[error(
        "request {0}: the subject's identity is not verified; record how with `tillit request verify {0} --by WHO --method HOW` before any data leaves"
    )]
    Unverified(i64),
    #[error("request {id} is a request for {kind}, not {wanted}")]
    WrongKind {
        id: i64,
        kind: &'static str,
        wanted: &'static str,
    },
    #[error("{0} lies beyond the year 9999")]
    OutOfRange(jiff::Timestamp),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("database error: {0}")]
    Database(String),
    #[error("the ledger holds something unexpected: {0}")]
    Corrupt(String),
}

/// Which database a URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    /// `sqlite://FILE`, `sqlite:FILE`, or `postgres://…` /
    /// `postgresql://…`.
    pub fn parse(url: &str) -> Result<Location, StoreError> {
        let bad = || StoreError::BadUrl { url: redact(url) };
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(bad());
            }
            return Ok(Location::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Location::Postgres(url.to_owned()));
        }
        Err(bad())
    }
}

/// The URL with any password replaced by `***`, for messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Refuses a database whose schema is newer than this build knows.
pub(crate) fn check_schema_version(
    found: i64,
    migrations: &[(i64, &str)],
) -> Result<(), StoreError> {
    let known = migrations.iter().map(|(v, _)| *v).max().unwrap_or(0);
    if found > known {
        Err(StoreError::NewerSchema { found, known })
    } else {
        Ok(())
    }
}
