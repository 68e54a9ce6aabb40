//! Real databases for the store's tests: a fresh SQLite file, or a fresh
//! PostgreSQL database, per test; both removed afterwards.
//!
//! PostgreSQL is found at `TILLIT_TEST_POSTGRES` (an admin URL), else at
//! postgres://postgres@127.0.0.1:5432/postgres. Where none answers, the
//! PostgreSQL half of a test says it was skipped, unless `CI=true` or
//! `TILLIT_TEST_POSTGRES` is set: then a missing PostgreSQL fails it.

#![allow(dead_code, reason = "each test file uses a different part")]
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test support fails loudly"
)]

use std::sync::atomic::{AtomicU32, Ordering};

use tillit_core::{Policy, SourceFile};
use tillit_store::Ledger;

pub fn policy() -> Policy {
    let text = include_str!("../../../../examples/winston/policy.toml");
    match Policy::parse(&SourceFile::new("policy.toml".to_owned(), text.to_owned())) {
        Ok(p) => p,
        Err(e) => panic!("the Winston policy does not parse: {e:?}"),
    }
}

pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
    },
    Postgres {
        admin: String,
        name: String,
    },
}

fn admin_url() -> (String, bool) {
    match std::env::var("TILLIT_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => (url, true),
        _ => (
            "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
            std::env::var("CI").is_ok_and(|v| v == "true"),
        ),
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.db");
        TestDb::Sqlite { _dir: dir, path }
    }

    /// A fresh database, or `None` (with a note) where PostgreSQL is not
    /// running and not required.
    pub fn postgres(test: &str) -> Option<TestDb> {
        let (admin, required) = admin_url();
        let mut client = match postgres::Client::connect(&admin, postgres::NoTls) {
            Ok(c) => c,
            Err(e) if !required => {
                eprintln!("{test}: PostgreSQL half skipped: no PostgreSQL at {admin} ({e})");
                return None;
            }
            Err(e) => panic!(
                "PostgreSQL is required (CI or TILLIT_TEST_POSTGRES) but {admin} does not answer: {e}"
            ),
        };
        let name = format!(
            "tillit_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            jiff_free_nanos()
        );
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        Some(TestDb::Postgres { admin, name })
    }

    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite { path, .. } => format!("sqlite://{}", path.display()),
            TestDb::Postgres { admin, name } => {
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                format!("{base}/{name}")
            }
        }
    }

    pub fn open(&self) -> Ledger {
        match Ledger::open(&self.url()) {
            Ok(l) => l,
            Err(e) => panic!("cannot open {}: {e}", self.url()),
        }
    }

    /// Runs raw SQL on the database, behind the ledger's back.
    pub fn tamper(&self, sql: &str) {
        match self {
            TestDb::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.execute_batch(sql).unwrap();
            }
            TestDb::Postgres { .. } => {
                let mut client = postgres::Client::connect(&self.url(), postgres::NoTls).unwrap();
                client.batch_execute(sql).unwrap();
            }
        }
    }

    /// One integer from raw SQL.
    pub fn scalar(&self, sql: &str) -> i64 {
        match self {
            TestDb::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.query_row(sql, [], |r| r.get(0)).unwrap()
            }
            TestDb::Postgres { .. } => {
                let mut client = postgres::Client::connect(&self.url(), postgres::NoTls).unwrap();
                client.query_one(sql, &[]).unwrap().get(0)
            }
        }
    }
}

fn jiff_free_nanos() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin, name } = self
            && let Ok(mut client) = postgres::Client::connect(admin, postgres::NoTls)
        {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Defines each test once per backend: `sqlite::NAME` and
/// `postgres::NAME`, each on a fresh database.
#[macro_export]
macro_rules! on_both_backends {
    // Tests whose support module (holding `TestDb`) is mounted under
    // another name, as the CLI's tests mount this one.
    ($support:ident; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let db = $crate::$support::TestDb::sqlite();
                    super::$name(&db);
                }
            )*
        }
        mod postgres_backend {
            $(
                #[test]
                fn $name() {
                    let Some(db) = $crate::$support::TestDb::postgres(stringify!($name)) else {
                        return;
                    };
                    super::$name(&db);
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        $crate::on_both_backends!(support; $($name),*);
    };
}

/// A legal hold on everything of a subject's, placed by `legal`, reviewed
/// far ahead.
pub fn hold_everything(reason: &str) -> tillit_core::ledger::NewHold {
    tillit_core::ledger::NewHold {
        by: "legal".into(),
        reason: reason.into(),
        scope: tillit_core::retention::HoldScope::All,
        review_on: jiff::civil::date(2099, 1, 1),
    }
}
