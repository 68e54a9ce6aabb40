//! The embedded default: one SQLite file in WAL mode, every commit synced
//! (`synchronous = FULL`), so that what a write acknowledged survives a
//! crash or a power cut.

use std::path::Path;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::StoreError;
use crate::sql::{Backend, Row, Sql, Value, Work};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_ledger.sql")),
    (
        2,
        include_str!("../migrations/sqlite/0002_decision_facts.sql"),
    ),
    (3, include_str!("../migrations/sqlite/0003_retention.sql")),
    (4, include_str!("../migrations/sqlite/0004_requests.sql")),
    (5, include_str!("../migrations/sqlite/0005_tokens.sql")),
    (6, include_str!("../migrations/sqlite/0006_page_views.sql")),
    (
        7,
        include_str!("../migrations/sqlite/0007_records_by_kind_collected.sql"),
    ),
    (
        8,
        include_str!("../migrations/sqlite/0008_records_fillfactor.sql"),
    ),
    (
        9,
        include_str!("../migrations/sqlite/0009_records_dated.sql"),
    ),
    (
        10,
        include_str!("../migrations/sqlite/0010_audit_recorded_at.sql"),
    ),
    (11, include_str!("../migrations/sqlite/0011_hold_scope.sql")),
    (
        12,
        include_str!("../migrations/sqlite/0012_subject_changes.sql"),
    ),
];

#[derive(Debug)]
pub struct Sqlite {
    conn: Connection,
    /// `PRAGMA data_version` at the last look, if any.
    data_version: Option<i64>,
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

impl Sqlite {
    /// Opens (creating if need be) the file and brings its schema up to
    /// date.
    pub fn open(path: &Path) -> Result<Sqlite, StoreError> {
        let cannot = |e: rusqlite::Error| StoreError::Connect {
            target: format!("the SQLite database `{}`", path.display()),
            reason: e.to_string(),
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(cannot)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(cannot)?;
        // Temporary data in memory: a statement that changes many rows
        // keeps the pages it may have to undo in a statement journal, which
        // otherwise goes to a temporary file (a sweep wrote every page it
        // changed twice more that way).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;",
        )
        .map_err(cannot)?;
        conn.set_prepared_statement_cache_capacity(64);
        let mut db = Sqlite {
            conn,
            data_version: None,
        };
        db.migrate()?;
        Ok(db)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS tillit_schema (version INTEGER NOT NULL)")
            .map_err(err)?;
        let found: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM tillit_schema",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        crate::check_schema_version(found, MIGRATIONS)?;
        for (version, script) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
            tx.execute_batch(script).map_err(err)?;
            tx.execute("INSERT INTO tillit_schema (version) VALUES (?1)", [version])
                .map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

/// The shared dialect's `$1` is SQLite's `?1`.
fn dialect(sql: &str) -> String {
    sql.replace('$', "?")
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::Bool(v) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*v))),
        })
    }
}

struct Conn<'a>(&'a Connection);

impl Sql for Conn<'_> {
    fn dialect(&self) -> &'static str {
        "sqlite"
    }

    fn execute_schema(&mut self, sql: &str) -> Result<(), StoreError> {
        self.0.execute_batch(sql).map_err(err)
    }

    fn execute(&mut self, sql: &'static str, params: &[Value]) -> Result<u64, StoreError> {
        let mut stmt = self.0.prepare_cached(&dialect(sql)).map_err(err)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params))
            .map_err(err)?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &'static str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut out = Vec::new();
        self.for_each(sql, params, &mut |row| {
            out.push(row.clone());
            Ok(())
        })?;
        Ok(out)
    }

    fn for_each(
        &mut self,
        sql: &'static str,
        params: &[Value],
        each: &mut dyn FnMut(&Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut stmt = self.0.prepare_cached(&dialect(sql)).map_err(err)?;
        let width = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(err)?;
        // One row's buffer, reused for every row, text columns included.
        let mut row = Row(vec![Value::Null; width]);
        while let Some(r) = rows.next().map_err(err)? {
            for (i, slot) in row.0.iter_mut().enumerate() {
                match r.get_ref(i).map_err(err)? {
                    ValueRef::Null => *slot = Value::Null,
                    ValueRef::Integer(v) => *slot = Value::Int(v),
                    ValueRef::Text(t) => {
                        let text = String::from_utf8_lossy(t);
                        match slot {
                            Value::Text(s) => {
                                s.clear();
                                s.push_str(&text);
                            }
                            other => *other = Value::Text(text.into_owned()),
                        }
                    }
                    other => {
                        return Err(StoreError::Corrupt(format!(
                            "unexpected {:?} value in `{sql}`",
                            other.data_type()
                        )));
                    }
                }
            }
            each(&row)?;
        }
        Ok(())
    }
}

impl Backend for Sqlite {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn write(&mut self, work: Work<'_>) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        work(&mut Conn(&tx))?;
        tx.commit().map_err(err)
    }

    /// Reads in one deferred transaction: one snapshot for all of `work`,
    /// and one lock round trip instead of one per statement.
    fn read(&mut self, work: Work<'_>) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(err)?;
        work(&mut Conn(&tx))?;
        tx.commit().map_err(err)
    }

    fn limit_page_cache(&mut self, kib: u32) -> Result<(), StoreError> {
        self.conn
            .execute_batch(&format!("PRAGMA cache_size = -{kib}"))
            .map_err(err)
    }

    fn maybe_changed_elsewhere(&mut self) -> Result<bool, StoreError> {
        let now: i64 = self
            .conn
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(err)?;
        Ok(self.data_version.replace(now) != Some(now))
    }

    fn purge(&mut self, _tables: &[&'static str]) -> Result<(), StoreError> {
        // Every reader must let go of the log for it to be truncated;
        // `busy_timeout` waits for them.
        let (busy, _, _): (i64, i64, i64) = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(err)?;
        if busy != 0 {
            return Err(StoreError::Database(
                "the write-ahead log could not be truncated while another connection reads; run the sweep again when it is done".into(),
            ));
        }
        Ok(())
    }
}
