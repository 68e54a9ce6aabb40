//! PostgreSQL, for more than one machine: many tillit processes share one
//! database. Writers serialise on the audit chain's head row, so the chain
//! stays one line however many write at once.

use std::collections::HashMap;
use std::error::Error as _;
use std::time::Duration;

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Config, GenericClient, NoTls, Statement};

use crate::StoreError;
use crate::sql::{Backend, Row, Sql, Value, Work};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_ledger.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_decision_facts.sql"),
    ),
    (3, include_str!("../migrations/postgres/0003_retention.sql")),
    (4, include_str!("../migrations/postgres/0004_requests.sql")),
    (5, include_str!("../migrations/postgres/0005_tokens.sql")),
    (
        6,
        include_str!("../migrations/postgres/0006_page_views.sql"),
    ),
    (
        7,
        include_str!("../migrations/postgres/0007_records_by_kind_collected.sql"),
    ),
    (
        8,
        include_str!("../migrations/postgres/0008_records_fillfactor.sql"),
    ),
    (
        9,
        include_str!("../migrations/postgres/0009_records_dated.sql"),
    ),
    (
        10,
        include_str!("../migrations/postgres/0010_audit_recorded_at.sql"),
    ),
    (
        11,
        include_str!("../migrations/postgres/0011_hold_scope.sql"),
    ),
    (
        12,
        include_str!("../migrations/postgres/0012_subject_changes.sql"),
    ),
];

/// How long a purge waits for older transactions to end.
const PURGE_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Serialises migrations between processes that open the same database.
const MIGRATION_LOCK: i64 = 0x7469_6c6c_6974; // "tillit"

pub struct Postgres {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres").finish_non_exhaustive()
    }
}

/// The driver's message with its cause (the server's own words, or the
/// socket's), which its `Display` leaves out.
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_owned();
    }
    match e.source() {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

fn err(e: postgres::Error) -> StoreError {
    // A closed connection, or one that failed below SQL (the server went
    // away, a socket error): the database is unreachable, not wrong.
    let unreachable = e.is_closed()
        || (e.as_db_error().is_none()
            && e.source()
                .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some()))
        || e.as_db_error().is_some_and(|db| {
            matches!(
                db.code().code(),
                // admin_shutdown, crash_shutdown, cannot_connect_now
                "57P01" | "57P02" | "57P03"
            )
        });
    if unreachable {
        StoreError::Unavailable(describe(&e))
    } else {
        StoreError::Database(describe(&e))
    }
}

impl Postgres {
    /// Connects and brings the schema up to date. `url` is a libpq-style
    /// URL; `shown` is how errors name it (without a password).
    pub fn open(url: &str, shown: &str) -> Result<Postgres, StoreError> {
        let cannot = |reason: String| StoreError::Connect {
            target: format!("PostgreSQL at {shown}"),
            reason,
        };
        let mut config: Config = url
            .parse()
            .map_err(|e: postgres::Error| cannot(describe(&e)))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        let client = config.connect(NoTls).map_err(|e| cannot(describe(&e)))?;
        let mut db = Postgres {
            client,
            statements: HashMap::new(),
        };
        db.migrate()?;
        Ok(db)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut tx = self.client.transaction().map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(err)?;
        tx.batch_execute(
            "SET LOCAL client_min_messages = warning;
             CREATE TABLE IF NOT EXISTS tillit_schema (version BIGINT NOT NULL)",
        )
        .map_err(err)?;
        let found: i64 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM tillit_schema", &[])
            .map_err(err)?
            .get(0);
        crate::check_schema_version(found, MIGRATIONS)?;
        for (version, script) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
            tx.batch_execute(script).map_err(err)?;
            tx.execute(
                "INSERT INTO tillit_schema (version) VALUES ($1)",
                &[version],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
            Value::Bool(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        <i64 as ToSql>::accepts(ty)
            || <String as ToSql>::accepts(ty)
            || <bool as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

struct Conn<'a, C> {
    client: &'a mut C,
    statements: &'a mut HashMap<&'static str, Statement>,
}

impl<C: GenericClient> Conn<'_, C> {
    fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql).map_err(err)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }
}

fn params(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl<C: GenericClient> Sql for Conn<'_, C> {
    fn dialect(&self) -> &'static str {
        "postgres"
    }

    fn execute_schema(&mut self, sql: &str) -> Result<(), StoreError> {
        self.client.batch_execute(sql).map_err(err)
    }

    fn execute(&mut self, sql: &'static str, values: &[Value]) -> Result<u64, StoreError> {
        let stmt = self.statement(sql)?;
        self.client.execute(&stmt, &params(values)).map_err(err)
    }

    fn query(&mut self, sql: &'static str, values: &[Value]) -> Result<Vec<Row>, StoreError> {
        let stmt = self.statement(sql)?;
        let rows = self.client.query(&stmt, &params(values)).map_err(err)?;
        rows.iter().map(row_values).collect()
    }

    /// Streams the rows as the server sends them, without collecting them.
    fn for_each(
        &mut self,
        sql: &'static str,
        values: &[Value],
        each: &mut dyn FnMut(&Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let stmt = self.statement(sql)?;
        let mut rows = self.client.query_raw(&stmt, params(values)).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            each(&row_values(&row)?)?;
        }
        Ok(())
    }
}

fn row_values(row: &postgres::Row) -> Result<Row, StoreError> {
    (0..row.len())
        .map(|i| {
            let ty = row.columns().get(i).map(|c| c.type_().clone());
            let v = match ty {
                Some(Type::INT8) => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int)),
                Some(Type::INT4) => row
                    .try_get::<_, Option<i32>>(i)
                    .map(|v| v.map(|v| Value::Int(i64::from(v)))),
                Some(Type::BOOL) => row
                    .try_get::<_, Option<bool>>(i)
                    .map(|v| v.map(Value::Bool)),
                _ => row
                    .try_get::<_, Option<String>>(i)
                    .map(|v| v.map(Value::Text)),
            };
            v.map(|v| v.unwrap_or(Value::Null)).map_err(err)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Row)
}

impl Backend for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn write(&mut self, work: Work<'_>) -> Result<(), StoreError> {
        let mut tx = self.client.transaction().map_err(err)?;
        let mut conn = Conn {
            client: &mut tx,
            statements: &mut self.statements,
        };
        work(&mut conn)?;
        tx.commit().map_err(err)
    }

    fn audit_head_now(&mut self) -> Result<i64, StoreError> {
        // One round trip, outside a transaction: a statement run on its
        // own commits nothing and waits for nothing.
        Conn {
            client: &mut self.client,
            statements: &mut self.statements,
        }
        .query_one(crate::sql::AUDIT_HEAD_SEQ, &[])?
        .int(0)
    }

    /// Reads in one read-only, repeatable-read transaction: one snapshot
    /// for all of `work`.
    fn read(&mut self, work: Work<'_>) -> Result<(), StoreError> {
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(err)?;
        let mut conn = Conn {
            client: &mut tx,
            statements: &mut self.statements,
        };
        work(&mut conn)?;
        tx.commit().map_err(err)
    }

    fn purge(&mut self, tables: &[&'static str]) -> Result<(), StoreError> {
        if tables.is_empty() {
            return Ok(());
        }
        // A row version stays while a transaction that began before its
        // erasure is running (another client's, autovacuum's ANALYZE; in
        // any database of the cluster, as the server computes it), and
        // VACUUM FULL copies it then. Wait until every transaction running
        // now has ended.
        let mark: i64 = self
            .client
            .query_one("SELECT txid_current()", &[])
            .map_err(err)?
            .get(0);
        let waited = std::time::Instant::now();
        loop {
            let oldest: i64 = self
                .client
                .query_one("SELECT txid_snapshot_xmin(txid_current_snapshot())", &[])
                .map_err(err)?
                .get(0);
            if oldest > mark {
                break;
            }
            if waited.elapsed() > PURGE_WAIT {
                return Err(StoreError::Database(format!(
                    "everything due is erased, but a transaction older than the sweep is still running after {} s, so the erased rows cannot be purged from disk yet; run `tillit retention sweep` again when it has ended",
                    PURGE_WAIT.as_secs()
                )));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        self.client
            .batch_execute(&format!("VACUUM (FULL) {}", tables.join(", ")))
            .map_err(err)
    }
}
