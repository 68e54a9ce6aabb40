//! The seam between the ledger and its two databases.
//!
//! The ledger's SQL is written once, in the dialect SQLite and PostgreSQL
//! share, with `$1`-style parameters, and runs through [`Sql`]; each
//! backend implements it over its own driver. Values cross the seam as
//! [`Value`], which both drivers bind and read, so the ledger never sees a
//! driver type.

use crate::StoreError;

/// A parameter or a column value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// Values per bulk statement: its `IN` list has this many slots, padded
/// with repeats ([`padded`]), so one prepared statement serves every chunk.
pub(crate) const IN_SLOTS: usize = 128;

/// `$from, $from+1, …`: `n` parameter slots, for `IN` lists.
pub(crate) fn slots(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows one multi-row `INSERT` writes: a batch of single-row inserts is
/// one round trip a [`VALUES_ROWS`] rows instead of one a row.
pub(crate) const VALUES_ROWS: usize = 64;

/// `($1, $2), ($3, $4), …`: `rows` rows of `columns` parameter slots, for
/// a multi-row `VALUES` list.
pub(crate) fn values_rows(columns: usize, rows: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", slots(1 + r * columns, columns)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts rows of `columns` values each (`values` holds them one after
/// another): [`VALUES_ROWS`] rows a statement with `full`, the rest one
/// by one with `one`. `full` and `one` are the same `INSERT` with
/// [`values_rows`] of `VALUES_ROWS` rows and of one.
pub(crate) fn insert_rows(
    sql: &mut dyn Sql,
    [one, full]: &'static [String; 2],
    columns: usize,
    values: &[Value],
) -> Result<(), StoreError> {
    for chunk in values.chunks(columns * VALUES_ROWS) {
        if chunk.len() == columns * VALUES_ROWS {
            sql.execute(full, chunk)?;
        } else {
            for row in chunk.chunks_exact(columns) {
                sql.execute(one, row)?;
            }
        }
    }
    Ok(())
}

/// `INSERT`s of one row and of [`VALUES_ROWS`] rows, for
/// [`insert_rows`]: `head` is the statement up to `VALUES`, `tail` what
/// follows the list.
pub(crate) fn insert_statements(head: &str, columns: usize, tail: &str) -> [String; 2] {
    [1, VALUES_ROWS].map(|rows| format!("{head} VALUES {} {tail}", values_rows(columns, rows)))
}

/// `values` padded to `n` with the last, for a statement with a fixed
/// number of `IN` slots (a repeated value changes nothing in an `IN`).
pub(crate) fn padded(mut values: Vec<Value>, n: usize) -> Vec<Value> {
    if let Some(last) = values.last().cloned() {
        values.resize(n, last);
    }
    values
}

/// One result row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> Result<&Value, StoreError> {
        self.0
            .get(i)
            .ok_or_else(|| StoreError::Corrupt(format!("a row has no column {i}")))
    }

    pub fn int(&self, i: usize) -> Result<i64, StoreError> {
        match self.at(i)? {
            Value::Int(v) => Ok(*v),
            other => Err(StoreError::Corrupt(format!(
                "column {i} holds {other:?}, not an integer"
            ))),
        }
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, StoreError> {
        self.str(i).map(str::to_owned)
    }

    /// Text, borrowed.
    pub fn str(&self, i: usize) -> Result<&str, StoreError> {
        match self.at(i)? {
            Value::Text(v) => Ok(v),
            other => Err(StoreError::Corrupt(format!(
                "column {i} holds {other:?}, not text"
            ))),
        }
    }

    pub fn opt_str(&self, i: usize) -> Result<Option<&str>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.str(i).map(Some),
        }
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        match self.at(i)? {
            Value::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    /// A boolean: PostgreSQL's own, or SQLite's 0/1.
    pub fn bool(&self, i: usize) -> Result<bool, StoreError> {
        match self.at(i)? {
            Value::Bool(v) => Ok(*v),
            Value::Int(0) => Ok(false),
            Value::Int(1) => Ok(true),
            other => Err(StoreError::Corrupt(format!(
                "column {i} holds {other:?}, not a boolean"
            ))),
        }
    }
}

/// Statements on one connection, inside or outside a transaction.
///
/// **Invariant:** `sql` is a `'static` string in the shared dialect; the
/// backends cache prepared statements by it.
pub trait Sql {
    /// `sqlite` or `postgres`, for the few statements the two write
    /// differently.
    fn dialect(&self) -> &'static str;

    /// Runs schema statements built at run time (a month's partition),
    /// unprepared. Never with values from outside.
    fn execute_schema(&mut self, sql: &str) -> Result<(), StoreError>;

    /// Runs a statement; the number of rows it changed.
    fn execute(&mut self, sql: &'static str, params: &[Value]) -> Result<u64, StoreError>;

    /// Runs a query; all its rows.
    fn query(&mut self, sql: &'static str, params: &[Value]) -> Result<Vec<Row>, StoreError>;

    /// Runs a query and hands each row to `each` as it comes, without
    /// collecting them.
    fn for_each(
        &mut self,
        sql: &'static str,
        params: &[Value],
        each: &mut dyn FnMut(&Row) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for row in self.query(sql, params)? {
            each(&row)?;
        }
        Ok(())
    }

    /// The first row of a query, if any.
    fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[Value],
    ) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Exactly one row.
    fn query_one(&mut self, sql: &'static str, params: &[Value]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Corrupt(format!("no row from `{sql}`")))
    }
}

/// Work handed to a backend; it returns its result through what it
/// captures.
pub type Work<'a> = &'a mut dyn FnMut(&mut dyn Sql) -> Result<(), StoreError>;

/// A database the ledger runs on.
/// The audit chain's head: every write moves it, in commit order.
pub(crate) const AUDIT_HEAD_SEQ: &str = "SELECT seq FROM audit_head WHERE id = 1";

pub trait Backend: Send {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;

    /// Runs `work` in one transaction that takes the write lock at once,
    /// and commits it durably; rolls back if `work` fails.
    fn write(&mut self, work: Work<'_>) -> Result<(), StoreError>;

    /// Runs `work` for reading, on one snapshot.
    fn read(&mut self, work: Work<'_>) -> Result<(), StoreError>;

    /// Makes what erasure removed unreadable on disk, not only in queries.
    /// SQLite zeroes freed space as it goes (`secure_delete`); this
    /// checkpoints the write-ahead log into the file and truncates it, so
    /// no old page survives there. PostgreSQL keeps dead row versions in
    /// the table's pages until they are rewritten: this rewrites `tables`
    /// (`VACUUM FULL`, which locks each while it runs).
    fn purge(&mut self, tables: &[&'static str]) -> Result<(), StoreError>;

    /// Holds at most about `kib` KiB of database pages in this
    /// connection's own cache (SQLite keeps one per connection; a server
    /// with many connections wants them small). PostgreSQL's cache is the
    /// server's: nothing to do.
    fn limit_page_cache(&mut self, _kib: u32) -> Result<(), StoreError> {
        Ok(())
    }

    /// Whether another connection may have committed since the last call
    /// on this one: SQLite knows for sure (`PRAGMA data_version`, read from
    /// shared memory, no I/O); PostgreSQL cannot say without asking.
    fn maybe_changed_elsewhere(&mut self) -> Result<bool, StoreError> {
        Ok(true)
    }

    /// The audit chain's head as committed now, by one statement of its
    /// own (no transaction around it): the cheapest look at whether
    /// anything was written.
    fn audit_head_now(&mut self) -> Result<i64, StoreError> {
        let mut head = 0;
        self.read(&mut |sql| {
            head = sql.query_one(AUDIT_HEAD_SEQ, &[])?.int(0)?;
            Ok(())
        })?;
        Ok(head)
    }
}
