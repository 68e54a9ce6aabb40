//! The audit chain: one entry per write that concerns a person, each hash
//! covering the previous entry's hash and the entry itself.
//!
//! Entries name subjects by pseudonym and carry only policy names and row
//! ids, never personal data, so erasing a person never has to touch the
//! chain. The head (last sequence number and hash) is stored beside it in
//! the same transaction, so that an entry removed from the end shows too.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::sql::{Sql, Value, insert_rows, insert_statements};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub seq: i64,
    /// Microseconds since the Unix epoch: the instant the write claims.
    pub at: i64,
    /// When it was written, by the writer's clock (none before schema 10).
    pub recorded_at: Option<i64>,
    pub action: String,
    /// The subject's pseudonym, where the entry concerns one.
    pub subject: Option<String>,
    /// A JSON object of ids and policy names.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash an entry must carry. The recording time is hashed where the
/// entry has one, so entries written before it was kept verify as they did.
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    recorded_at: Option<i64>,
    action: &str,
    subject: Option<&str>,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    let recorded = recorded_at.map(|r| r.to_string());
    for part in [
        prev_hash,
        &seq.to_string(),
        &at.to_string(),
        action,
        subject.unwrap_or(""),
        detail,
    ]
    .into_iter()
    .chain(recorded.as_deref())
    {
        h.update(part.len().to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Where a write is in the chain; held for the length of one transaction.
#[derive(Debug)]
pub(crate) struct Cursor {
    seq: i64,
    hash: String,
    /// Whether entries were appended since the head was read.
    moved: bool,
}

impl Cursor {
    /// Reads the head and locks it: on PostgreSQL the `UPDATE` holds the
    /// row lock until commit, which orders concurrent writers.
    pub fn lock(sql: &mut dyn Sql) -> Result<Cursor, StoreError> {
        let row = sql.query_one(
            "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash",
            &[],
        )?;
        Ok(Cursor {
            seq: row.int(0)?,
            hash: row.text(1)?,
            moved: false,
        })
    }

    /// The last sequence number: the head locked, moved by what was
    /// appended since.
    pub fn seq(&self) -> i64 {
        self.seq
    }

    pub fn append(
        &mut self,
        sql: &mut dyn Sql,
        (at, recorded_at): (i64, i64),
        action: &str,
        subject: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        self.append_all(sql, (at, recorded_at), &[(action, subject, detail)])?;
        Ok(self.seq)
    }

    /// Appends `entries` (action, subject, detail) in order, each hashed
    /// on the one before, [`crate::sql::VALUES_ROWS`] to a statement.
    pub(crate) fn append_all(
        &mut self,
        sql: &mut dyn Sql,
        (at, recorded_at): (i64, i64),
        entries: &[(&str, Option<&str>, &serde_json::Value)],
    ) -> Result<(), StoreError> {
        static INSERT: std::sync::OnceLock<[String; 2]> = std::sync::OnceLock::new();
        let insert = INSERT.get_or_init(|| {
            insert_statements(
                "INSERT INTO audit (seq, at, recorded_at, action, subject, detail, prev_hash, hash)",
                8,
                "",
            )
        });
        let (mut seq, mut hash) = (self.seq, self.hash.clone());
        let mut values = Vec::with_capacity(8 * entries.len());
        for (action, subject, detail) in entries {
            seq += 1;
            let detail = detail.to_string();
            let next = entry_hash(&hash, seq, at, Some(recorded_at), action, *subject, &detail);
            values.extend([
                seq.into(),
                at.into(),
                recorded_at.into(),
                (*action).into(),
                (*subject).into(),
                detail.into(),
                Value::Text(std::mem::replace(&mut hash, next.clone())),
                next.into(),
            ]);
        }
        insert_rows(sql, insert, 8, &values)?;
        // Moved only once the rows are in: a refused statement leaves
        // the cursor where it was.
        self.seq = seq;
        self.hash = hash;
        self.moved |= !entries.is_empty();
        Ok(())
    }

    /// Writes the new head; call last in the transaction.
    pub fn finish(self, sql: &mut dyn Sql) -> Result<(), StoreError> {
        if self.moved {
            sql.execute(
                "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
                &[self.seq.into(), self.hash.into()],
            )?;
        }
        Ok(())
    }
}

/// What is wrong with the chain, at the first place it goes wrong.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "kebab-case")]
pub enum Break {
    /// The entry's content no longer matches its hash.
    Changed { seq: i64 },
    /// Entries are missing: the sequence jumps from `after` to `next`.
    Removed { after: i64, next: i64 },
    /// The entry does not link to the one before it: moved, swapped or
    /// replaced.
    Reordered { seq: i64 },
    /// The chain ends before its recorded head.
    Truncated { last: i64, head: i64 },
    /// The recorded head does not match the last entry.
    HeadChanged { seq: i64 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Changed { seq } => write!(
                f,
                "entry {seq} was changed: its content no longer matches its hash"
            ),
            Break::Removed { after, next } if next - after == 2 => write!(
                f,
                "entry {} was removed: the chain goes from {after} to {next}",
                after + 1
            ),
            Break::Removed { after, next } => write!(
                f,
                "entries {} to {} were removed: the chain goes from {after} to {next}",
                after + 1,
                next - 1
            ),
            Break::Reordered { seq } => write!(
                f,
                "entry {seq} does not follow entry {}: entries were reordered, swapped or replaced",
                seq - 1
            ),
            Break::Truncated { last, head } if head - last == 1 => write!(
                f,
                "entry {head} was removed from the end: the chain stops at {last}"
            ),
            Break::Truncated { last, head } => write!(
                f,
                "entries {} to {head} were removed from the end: the chain stops at {last}",
                last + 1
            ),
            Break::HeadChanged { seq } => write!(
                f,
                "the recorded head does not match entry {seq}: the head or the last entry was changed"
            ),
        }
    }
}

/// The outcome of `audit verify`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries read.
    pub entries: u64,
    /// The last entry's hash, to anchor elsewhere.
    pub head: String,
    #[serde(rename = "break")]
    pub broken: Option<Break>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

const PAGE: i64 = 10_000;

/// Recomputes the chain from the first entry, a page at a time; stops at
/// the first break. `progress` is told how many entries have been read.
pub fn verify(
    sql: &mut dyn Sql,
    progress: &mut dyn FnMut(u64),
) -> Result<Verification, StoreError> {
    let head = sql.query_one("SELECT seq, hash FROM audit_head WHERE id = 1", &[])?;
    let (head_seq, head_hash) = (head.int(0)?, head.text(1)?);
    let mut last_seq = 0;
    let mut prev = GENESIS.to_owned();
    let mut entries = 0u64;
    let done = |entries, prev: String, broken| {
        Ok(Verification {
            entries,
            head: prev,
            broken,
        })
    };
    loop {
        let rows = sql.query(
            "SELECT seq, at, action, subject, detail, prev_hash, hash, recorded_at FROM audit
             WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[last_seq.into(), PAGE.into()],
        )?;
        let n = rows.len();
        for row in rows {
            let seq = row.int(0)?;
            if seq != last_seq + 1 {
                return done(
                    entries,
                    prev,
                    Some(Break::Removed {
                        after: last_seq,
                        next: seq,
                    }),
                );
            }
            let stored_prev = row.text(5)?;
            if stored_prev != prev {
                return done(entries, prev, Some(Break::Reordered { seq }));
            }
            let subject = row.opt_text(3)?;
            let hash = row.text(6)?;
            let expected = entry_hash(
                &stored_prev,
                seq,
                row.int(1)?,
                row.opt_int(7)?,
                &row.text(2)?,
                subject.as_deref(),
                &row.text(4)?,
            );
            if hash != expected {
                return done(entries, prev, Some(Break::Changed { seq }));
            }
            prev = hash;
            last_seq = seq;
            entries += 1;
        }
        progress(entries);
        if i64::try_from(n).unwrap_or(i64::MAX) < PAGE {
            break;
        }
    }
    let broken = if last_seq < head_seq {
        Some(Break::Truncated {
            last: last_seq,
            head: head_seq,
        })
    } else if last_seq > head_seq || head_hash != prev {
        Some(Break::HeadChanged { seq: last_seq })
    } else {
        None
    };
    done(entries, prev, broken)
}
