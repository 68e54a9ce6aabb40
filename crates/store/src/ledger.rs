//! The ledger's operations, in SQL both databases run.
//!
//! Writes happen inside [`Ledger::write`] through a [`Writer`], which checks
//! what the database must confirm (the subject exists, an identifier is not
//! someone else's) before it changes anything, and appends one audit entry
//! per change. Reads return plain views; the current consent is derived
//! from the consent history each time it is asked for.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use serde_json::json;
use tillit_core::identity::{Identifier, SubjectId};
use tillit_core::ledger::{
    ConsentChange, NewDisclosure, NewEvent, NewHold, NewObjection, NewRecord, NewSubject,
    RestrictionGround,
};
use tillit_core::retention::HoldScope;

use std::sync::Arc;

use crate::audit::{self, Cursor, Verification};
use crate::decisions::StateCache;
use crate::sql::{Backend, IN_SLOTS, Row, Sql, Value, padded, slots};

/// The tables whose rows about a subject go when the subject is erased.
pub(crate) const SUBJECT_ROWS: [&str; 7] = [
    "identifiers",
    "consents",
    "lifecycle_events",
    "objections",
    "restrictions",
    "holds",
    "disclosure_subjects",
];
use crate::{Location, StoreError};

/// The ledger on one database connection.
pub struct Ledger {
    backend: Box<dyn Backend>,
    /// Caches of decision states that this ledger's writes keep current.
    caches: Vec<Arc<StateCache>>,
    /// Where it was opened, to open another connection to it.
    url: String,
    /// The clock audit entries are recorded by: the machine's, unless a
    /// test sets another.
    recording_clock: fn() -> Timestamp,
    /// A call found the database unreachable: the connection may be gone.
    broken: bool,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("backend", &self.backend.name())
            .finish()
    }
}

pub(crate) fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn timestamp(m: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(m)
        .map_err(|e| StoreError::Corrupt(format!("time {m} is out of range: {e}")))
}

pub(crate) fn opt_timestamp(m: Option<i64>) -> Result<Option<Timestamp>, StoreError> {
    m.map(timestamp).transpose()
}

/// A fresh random pseudonym: 128 bits in hex.
pub(crate) fn pseudonym() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::Database(format!("no randomness for a pseudonym: {e}")))?;
    Ok(hex::encode(bytes))
}

impl Ledger {
    /// Opens the database a URL names (see [`Location::parse`]), creating
    /// and migrating it as needed.
    pub fn open(url: &str) -> Result<Ledger, StoreError> {
        let backend: Box<dyn Backend> = match Location::parse(url)? {
            Location::Sqlite(path) => Box::new(crate::sqlite::Sqlite::open(&path)?),
            Location::Postgres(url) => {
                Box::new(crate::postgres::Postgres::open(&url, &crate::redact(&url))?)
            }
        };
        let mut ledger = Ledger {
            backend,
            caches: Vec::new(),
            url: url.to_owned(),
            recording_clock: Timestamp::now,
            broken: false,
        };
        ledger.build_decision_facts()?;
        Ok(ledger)
    }

    /// Another connection to the same ledger, for reading while this one
    /// writes; `None` for an in-memory SQLite database, which a second
    /// connection would not share.
    pub(crate) fn reopen(&self) -> Result<Option<Ledger>, StoreError> {
        match Location::parse(&self.url)? {
            Location::Sqlite(path) if path.as_os_str() == ":memory:" => Ok(None),
            _ => Ledger::open(&self.url).map(Some),
        }
    }

    /// Builds the decision facts of a ledger migrated from before they
    /// were kept. A derived copy, not a change to anyone's data: no audit
    /// entry.
    fn build_decision_facts(&mut self) -> Result<(), StoreError> {
        let unbuilt = self.read(|sql| {
            Ok(sql
                .query_opt(
                    "SELECT subject_id FROM decision_facts WHERE facts IS NULL LIMIT 1",
                    &[],
                )?
                .is_some())
        })?;
        if unbuilt {
            self.backend
                .write(&mut |sql| crate::decisions::build_missing(sql).map(drop))?;
        }
        Ok(())
    }

    /// Records audit entries by `clock` instead of the machine's; for tests
    /// of what depends on when a write was made, not when it claims.
    pub fn set_recording_clock(&mut self, clock: fn() -> Timestamp) {
        self.recording_clock = clock;
    }

    /// Asks the database for nothing but an answer.
    pub fn ping(&mut self) -> Result<(), StoreError> {
        self.read(|sql| sql.query_one("SELECT 1", &[]).map(drop))
    }

    /// Whether a call on this connection found the database unreachable
    /// (a pool drops such a connection and opens another).
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Notes a failure that says the connection may be gone.
    fn note<T>(&mut self, outcome: Result<T, StoreError>) -> Result<T, StoreError> {
        if matches!(outcome, Err(StoreError::Unavailable(_))) {
            self.broken = true;
        }
        outcome
    }

    /// `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        self.backend.name()
    }

    /// Runs `work` in one transaction: everything it writes, and the audit
    /// entries for it, commit together or not at all. `at` is the time the
    /// audit entries carry.
    pub fn write<T>(
        &mut self,
        at: Timestamp,
        work: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut work = Some(work);
        let mut out = None;
        let mut changed = Vec::new();
        let recorded = (self.recording_clock)();
        let outcome = self.backend.write(&mut |sql| {
            let work = work
                .take()
                .ok_or_else(|| StoreError::Corrupt("a transaction ran twice".into()))?;
            let cursor = Cursor::lock(sql)?;
            let mut writer = Writer {
                sql,
                cursor,
                at: micros(at),
                recorded_at: micros(recorded),
                changed: Vec::new(),
            };
            out = Some(work(&mut writer)?);
            changed = std::mem::take(&mut writer.changed);
            crate::decisions::refresh(writer.sql, &changed)?;
            crate::decisions::record_changes(writer.sql, writer.cursor.seq(), &changed)?;
            writer.cursor.finish(writer.sql)
        });
        self.note(outcome)?;
        if !changed.is_empty() {
            for cache in &self.caches {
                cache.invalidate(&changed);
            }
        }
        out.ok_or_else(|| StoreError::Corrupt("a transaction returned nothing".into()))
    }

    /// Makes what erasure removed unreadable on disk; see
    /// [`crate::sql::Backend::purge`].
    pub(crate) fn purge(&mut self, tables: &[&'static str]) -> Result<(), StoreError> {
        self.backend.purge(tables)
    }

    /// Keeps this connection's page cache to about `kib` KiB; see
    /// [`crate::sql::Backend::limit_page_cache`].
    pub fn limit_page_cache(&mut self, kib: u32) -> Result<(), StoreError> {
        self.backend.limit_page_cache(kib)
    }

    /// The change feed after `seen`, on one snapshot: the audit chain's
    /// head now, every subject a write committed after `seen` changed, and
    /// whether the feed was pruned past `seen` (then some are missing).
    pub fn changes_since(&mut self, seen: i64) -> Result<FeedRead, StoreError> {
        self.read(|sql| {
            let head = sql.query_one(crate::sql::AUDIT_HEAD_SEQ, &[])?.int(0)?;
            let pruned = sql
                .query_one("SELECT through FROM feed_pruned WHERE id = 1", &[])?
                .int(0)?;
            let mut subjects = Vec::new();
            if head > seen && pruned <= seen {
                sql.for_each(
                    "SELECT DISTINCT subject_id FROM subject_changes WHERE seq > $1 AND seq <= $2",
                    &[seen.into(), head.into()],
                    &mut |r| {
                        subjects.push(
                            SubjectId::parse(r.str(0)?)
                                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        );
                        Ok(())
                    },
                )?;
            }
            Ok(FeedRead {
                head,
                subjects,
                lost: pruned > seen,
            })
        })
    }

    /// Says that `reader` has read the feed through `seen`, at `at`.
    pub fn report_reader(
        &mut self,
        reader: &str,
        seen: i64,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.backend.write(&mut |sql| {
            sql.execute(
                "INSERT INTO feed_readers (reader, seen, seen_at) VALUES ($1, $2, $3)
                 ON CONFLICT (reader) DO UPDATE SET seen = excluded.seen, seen_at = excluded.seen_at",
                &[reader.into(), seen.into(), micros(at).into()],
            )?;
            Ok(())
        })
    }

    /// Prunes the change feed through the least position of the readers
    /// heard from since `live_since` (through the head if none), forgets
    /// the others, and records how far it pruned. How many rows it removed.
    pub fn prune_feed(&mut self, live_since: Timestamp) -> Result<u64, StoreError> {
        let mut removed = 0;
        self.backend.write(&mut |sql| {
            let head = sql.query_one(crate::sql::AUDIT_HEAD_SEQ, &[])?.int(0)?;
            let least = sql
                .query_one(
                    "SELECT MIN(seen) FROM feed_readers WHERE seen_at >= $1",
                    &[micros(live_since).into()],
                )?
                .opt_int(0)?;
            let through = least.unwrap_or(head).min(head);
            removed = sql.execute(
                "DELETE FROM subject_changes WHERE seq <= $1",
                &[through.into()],
            )?;
            sql.execute(
                "UPDATE feed_pruned SET through = $1 WHERE id = 1 AND through < $1",
                &[through.into()],
            )?;
            sql.execute(
                "DELETE FROM feed_readers WHERE seen_at < $1",
                &[micros(live_since).into()],
            )?;
            Ok(())
        })?;
        Ok(removed)
    }

    /// The audit chain's head as committed now, by the cheapest look the
    /// backend has.
    pub fn audit_head_now(&mut self) -> Result<i64, StoreError> {
        let outcome = self.backend.audit_head_now();
        self.note(outcome)
    }

    /// Whether another connection may have committed since the last call;
    /// see [`crate::sql::Backend::maybe_changed_elsewhere`].
    pub fn maybe_changed_elsewhere(&mut self) -> Result<bool, StoreError> {
        self.backend.maybe_changed_elsewhere()
    }

    /// Keeps `cache` current with this ledger's writes: a write that
    /// changes what decisions depend on drops the subject from it on
    /// commit.
    pub fn attach(&mut self, cache: Arc<StateCache>) {
        self.caches.push(cache);
    }

    pub(crate) fn read_with<T>(
        &mut self,
        work: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.read(work)
    }

    fn read<T>(
        &mut self,
        work: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut work = Some(work);
        let mut out = None;
        let outcome = self.backend.read(&mut |sql| {
            let work = work
                .take()
                .ok_or_else(|| StoreError::Corrupt("a read ran twice".into()))?;
            out = Some(work(sql)?);
            Ok(())
        });
        self.note(outcome)?;
        out.ok_or_else(|| StoreError::Corrupt("a read returned nothing".into()))
    }

    /// The subject an identifier belongs to.
    pub fn find(&mut self, identifier: &Identifier) -> Result<Option<SubjectId>, StoreError> {
        self.read(|sql| {
            let row = sql.query_opt(
                "SELECT subject_id FROM identifiers WHERE kind = $1 AND value = $2",
                &[identifier.kind().into(), identifier.value().into()],
            )?;
            row.map(|r| parse_subject(&r.text(0)?)).transpose()
        })
    }

    pub fn subject(&mut self, id: &SubjectId) -> Result<Option<SubjectView>, StoreError> {
        self.read(|sql| subject_view(sql, id))
    }

    /// Everything the ledger holds about a subject, with consent as it
    /// stands at `at`.
    pub fn subject_file(
        &mut self,
        id: &SubjectId,
        at: Timestamp,
    ) -> Result<Option<SubjectFile>, StoreError> {
        self.read(|sql| {
            let Some(subject) = subject_view(sql, id)? else {
                return Ok(None);
            };
            let records = records(sql, id)?;
            let events = sql
                .query(
                    "SELECT id, kind, reference, at FROM lifecycle_events
                     WHERE subject_id = $1 ORDER BY at, id",
                    &[id.as_str().into()],
                )?
                .into_iter()
                .map(|r| {
                    Ok(EventView {
                        id: r.int(0)?,
                        kind: r.text(1)?,
                        reference: r.text(2)?,
                        at: timestamp(r.int(3)?)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            let consents = consent_state(&consent_history(sql, id)?, at);
            let objections = sql
                .query(
                    "SELECT id, purpose, absolute, at FROM objections WHERE subject_id = $1 ORDER BY at, id",
                    &[id.as_str().into()],
                )?
                .into_iter()
                .map(|r| {
                    Ok(Objection {
                        id: r.int(0)?,
                        purpose: r.text(1)?,
                        absolute: r.bool(2)?,
                        at: timestamp(r.int(3)?)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            let restrictions = sql
                .query(
                    "SELECT id, ground, at, lifted_at FROM restrictions WHERE subject_id = $1 ORDER BY at, id",
                    &[id.as_str().into()],
                )?
                .into_iter()
                .map(|r| {
                    Ok(Restriction {
                        id: r.int(0)?,
                        ground: r.text(1)?,
                        at: timestamp(r.int(2)?)?,
                        lifted_at: opt_timestamp(r.opt_int(3)?)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            let holds = sql
                .query(
                    "SELECT id, placed_by, reason, at, released_at, released_by, scope, review_on
                     FROM holds WHERE subject_id = $1 ORDER BY at, id",
                    &[id.as_str().into()],
                )?
                .into_iter()
                .map(|r| {
                    Ok(Hold {
                        id: r.int(0)?,
                        placed_by: r.text(1)?,
                        reason: r.text(2)?,
                        at: timestamp(r.int(3)?)?,
                        released_at: opt_timestamp(r.opt_int(4)?)?,
                        released_by: r.opt_text(5)?,
                        scope: hold_scope(r.opt_str(6)?)?,
                        review_on: r
                            .opt_text(7)?
                            .map(|d| d.parse::<Date>())
                            .transpose()
                            .map_err(|e| StoreError::Corrupt(format!("a hold's review date: {e}")))?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            let disclosures = sql
                .query(
                    "SELECT d.id, d.recipient, d.categories, d.basis, d.reference, d.at
                     FROM disclosures d JOIN disclosure_subjects s ON s.disclosure_id = d.id
                     WHERE s.subject_id = $1 ORDER BY d.at, d.id",
                    &[id.as_str().into()],
                )?
                .into_iter()
                .map(|r| {
                    Ok(Disclosure {
                        id: r.int(0)?,
                        recipient: r.text(1)?,
                        categories: r.text(2)?.split(',').map(str::to_owned).collect(),
                        basis: r.text(3)?,
                        reference: r.opt_text(4)?,
                        at: timestamp(r.int(5)?)?,
                    })
                })
                .collect::<Result<_, StoreError>>()?;
            Ok(Some(SubjectFile {
                subject,
                records,
                events,
                consents,
                objections,
                restrictions,
                holds,
                disclosures,
            }))
        })
    }

    /// Every consent given or withdrawn by a subject, oldest first.
    pub fn consent_history(&mut self, id: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
        self.read(|sql| {
            require_subject(sql, id)?;
            consent_history(sql, id)
        })
    }

    /// Recomputes the audit chain; see [`audit::verify`].
    pub fn verify_audit(
        &mut self,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Verification, StoreError> {
        self.read(|sql| audit::verify(sql, progress))
    }

    /// The chain's recorded head: the last sequence number and its hash.
    pub fn audit_head(&mut self) -> Result<(i64, String), StoreError> {
        self.read(|sql| {
            let r = sql.query_one("SELECT seq, hash FROM audit_head WHERE id = 1", &[])?;
            Ok((r.int(0)?, r.text(1)?))
        })
    }

    /// How many rows each table holds.
    pub fn counts(&mut self) -> Result<Counts, StoreError> {
        self.read(|sql| {
            let mut count = |q: &'static str| -> Result<u64, StoreError> {
                let n = sql.query_one(q, &[])?.int(0)?;
                Ok(u64::try_from(n).unwrap_or(0))
            };
            Ok(Counts {
                subjects: count("SELECT COUNT(*) FROM subjects")?,
                records: count("SELECT COUNT(*) FROM records")?,
                lifecycle_events: count("SELECT COUNT(*) FROM lifecycle_events")?,
                consents: count("SELECT COUNT(*) FROM consents")?,
                objections: count("SELECT COUNT(*) FROM objections")?,
                restrictions: count("SELECT COUNT(*) FROM restrictions")?,
                holds: count("SELECT COUNT(*) FROM holds")?,
                disclosures: count("SELECT COUNT(*) FROM disclosures")?,
                audit_entries: count("SELECT COUNT(*) FROM audit")?,
            })
        })
    }
}

/// Row counts, for summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub subjects: u64,
    pub records: u64,
    pub lifecycle_events: u64,
    pub consents: u64,
    pub objections: u64,
    pub restrictions: u64,
    pub holds: u64,
    pub disclosures: u64,
    pub audit_entries: u64,
}

fn parse_subject(s: &str) -> Result<SubjectId, StoreError> {
    SubjectId::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn subject_view(sql: &mut dyn Sql, id: &SubjectId) -> Result<Option<SubjectView>, StoreError> {
    let Some(row) = sql.query_opt(
        "SELECT pseudonym, created_at, erased_at FROM subjects WHERE id = $1",
        &[id.as_str().into()],
    )?
    else {
        return Ok(None);
    };
    let identifiers = sql
        .query(
            "SELECT kind, value FROM identifiers WHERE subject_id = $1 ORDER BY kind, value",
            &[id.as_str().into()],
        )?
        .into_iter()
        .map(|r| {
            let (kind, value) = (r.text(0)?, r.text(1)?);
            Identifier::from_stored(&kind, &value)
                .ok_or_else(|| StoreError::Corrupt(format!("a stored {kind} does not parse")))
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(SubjectView {
        id: id.clone(),
        pseudonym: row.text(0)?,
        created_at: timestamp(row.int(1)?)?,
        erased_at: opt_timestamp(row.opt_int(2)?)?,
        identifiers,
    }))
}

fn records(sql: &mut dyn Sql, id: &SubjectId) -> Result<Vec<RecordView>, StoreError> {
    sql.query(
        "SELECT id, category, kind, source, register, inform_by, collected_at, payload,
                reference, accounting, state, handled_at, handled_by, dated
         FROM records WHERE subject_id = $1 ORDER BY collected_at, id",
        &[id.as_str().into()],
    )?
    .into_iter()
    .map(|r| record_view(&r))
    .collect()
}

fn record_view(r: &Row) -> Result<RecordView, StoreError> {
    let payload = r
        .opt_text(7)?
        .map(|p| serde_json::from_str(&p))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("a record's payload is not JSON: {e}")))?;
    let inform_by = r
        .opt_text(5)?
        .map(|d| d.parse::<Date>())
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("a record's inform-by date: {e}")))?;
    let dated = r
        .opt_text(13)?
        .map(|d| d.parse::<Date>())
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("a record's date: {e}")))?;
    Ok(RecordView {
        dated,
        id: r.int(0)?,
        category: r.text(1)?,
        kind: r.text(2)?,
        source: r.text(3)?,
        register: r.opt_text(4)?,
        inform_by,
        collected_at: timestamp(r.int(6)?)?,
        payload,
        reference: r.opt_text(8)?,
        accounting: r.bool(9)?,
        state: r.text(10)?,
        handled_at: opt_timestamp(r.opt_int(11)?)?,
        handled_by: r.opt_text(12)?,
    })
}

fn consent_history(sql: &mut dyn Sql, id: &SubjectId) -> Result<Vec<ConsentEvent>, StoreError> {
    sql.query(
        "SELECT id, purpose, given, channel, notice_version, at FROM consents
         WHERE subject_id = $1 ORDER BY at, id",
        &[id.as_str().into()],
    )?
    .into_iter()
    .map(|r| {
        Ok(ConsentEvent {
            id: r.int(0)?,
            purpose: r.text(1)?,
            given: r.bool(2)?,
            channel: r.text(3)?,
            notice_version: r.text(4)?,
            at: timestamp(r.int(5)?)?,
        })
    })
    .collect()
}

/// The consent standing at `at` for each purpose the history names: the
/// latest event at or before `at`.
pub fn consent_state(history: &[ConsentEvent], at: Timestamp) -> Vec<ConsentState> {
    let mut state: Vec<ConsentState> = Vec::new();
    for e in history.iter().filter(|e| e.at <= at) {
        let now = ConsentState {
            purpose: e.purpose.clone(),
            given: e.given,
            since: e.at,
            channel: e.channel.clone(),
            notice_version: e.notice_version.clone(),
        };
        match state.iter_mut().find(|s| s.purpose == e.purpose) {
            Some(s) => *s = now,
            None => state.push(now),
        }
    }
    state
}

/// Where a subject stands for erasure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SubjectStanding {
    /// Their records not erased and still theirs (an anonymised record
    /// is no one's).
    pub(crate) records_left: u64,
    /// Their pseudonym while they are not erased.
    pub(crate) pseudonym: Option<String>,
    /// Under a hold not released.
    pub(crate) held: bool,
}

impl SubjectStanding {
    /// Their pseudonym, if erasing them now is due: not erased yet,
    /// nothing of theirs left, no hold.
    pub(crate) fn erasable(&self) -> Option<&str> {
        (self.records_left == 0 && !self.held)
            .then_some(self.pseudonym.as_deref())
            .flatten()
    }
}

/// Where each of `subjects` stands for erasure, as `sql` sees the ledger;
/// a subject the ledger does not hold is absent.
pub(crate) fn subjects_standing(
    sql: &mut dyn Sql,
    subjects: &[&str],
) -> Result<std::collections::HashMap<String, SubjectStanding>, StoreError> {
    use std::sync::OnceLock;
    static LOOKUPS: OnceLock<[String; 3]> = OnceLock::new();
    let [who, left, held] = LOOKUPS.get_or_init(|| {
        let list = slots(1, IN_SLOTS);
        [
            format!("SELECT id, pseudonym, erased_at IS NULL FROM subjects WHERE id IN ({list})"),
            format!(
                "SELECT subject_id, COUNT(*) FROM records
                 WHERE subject_id IN ({list}) AND state <> 'erased' GROUP BY subject_id"
            ),
            format!(
                "SELECT DISTINCT subject_id FROM holds WHERE subject_id IN ({list}) AND released_at IS NULL"
            ),
        ]
    });
    let mut standing = std::collections::HashMap::with_capacity(subjects.len());
    for chunk in subjects.chunks(IN_SLOTS) {
        let params = padded(chunk.iter().map(|s| Value::from(*s)).collect(), IN_SLOTS);
        sql.for_each(who, &params, &mut |r| {
            let s = SubjectStanding {
                pseudonym: r.bool(2)?.then(|| r.text(1)).transpose()?,
                ..SubjectStanding::default()
            };
            standing.insert(r.text(0)?, s);
            Ok(())
        })?;
        sql.for_each(left, &params, &mut |r| {
            if let Some(s) = standing.get_mut(r.str(0)?) {
                s.records_left = u64::try_from(r.int(1)?).unwrap_or(0);
            }
            Ok(())
        })?;
        sql.for_each(held, &params, &mut |r| {
            if let Some(s) = standing.get_mut(r.str(0)?) {
                s.held = true;
            }
            Ok(())
        })?;
    }
    Ok(standing)
}

/// The pseudonym of a subject that is in the ledger and not erased.
fn require_subject(sql: &mut dyn Sql, id: &SubjectId) -> Result<String, StoreError> {
    let row = sql
        .query_opt(
            "SELECT pseudonym, erased_at FROM subjects WHERE id = $1",
            &[id.as_str().into()],
        )?
        .ok_or_else(|| StoreError::NoSuchSubject(id.to_string()))?;
    if let Some(at) = row.opt_int(1)? {
        return Err(StoreError::SubjectErased {
            id: id.to_string(),
            at: timestamp(at)?,
        });
    }
    row.text(0)
}

/// Writes inside one transaction; see [`Ledger::write`].
///
/// **Invariant:** each method checks everything that can refuse it before
/// its first statement that changes a row, so a refused call leaves the
/// transaction as it was and the caller may go on with the next one.
pub struct Writer<'a> {
    sql: &'a mut dyn Sql,
    cursor: Cursor,
    at: i64,
    /// When the write is made, by the recording clock.
    recorded_at: i64,
    /// Subjects whose decision state this transaction changes.
    changed: Vec<SubjectId>,
}

impl std::fmt::Debug for Writer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("at", &self.at).finish()
    }
}

impl Writer<'_> {
    /// The audit chain's last sequence number as this transaction sees it:
    /// the head it locked, moved by what it appended.
    pub(crate) fn chain_seq(&self) -> i64 {
        self.cursor.seq()
    }

    pub(crate) fn sql(&mut self) -> &mut dyn Sql {
        self.sql
    }

    /// Anonymises (cuts from its subject) or erases (down to a tombstone)
    /// records under `rule`, at most [`IN_SLOTS`] at a time; the
    /// ids it changed (not those handled already). The caller writes the
    /// audit entry ([`Writer::audit_retention`]).
    pub(crate) fn handle_records(
        &mut self,
        records: &[i64],
        action: tillit_core::retention::Action,
        rule: &str,
    ) -> Result<Vec<i64>, StoreError> {
        use std::sync::OnceLock;
        use tillit_core::retention::Action;
        static ERASE: OnceLock<String> = OnceLock::new();
        static ANONYMISE: OnceLock<String> = OnceLock::new();
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let statement = match action {
            Action::Erase => ERASE.get_or_init(|| {
                format!(
                    "UPDATE records SET payload = NULL, reference = NULL, register = NULL,
                            inform_by = NULL, state = 'erased', handled_at = $1, handled_by = $2
                     WHERE id IN ({}) AND state <> 'erased' RETURNING id",
                    slots(3, IN_SLOTS)
                )
            }),
            Action::Anonymise => ANONYMISE.get_or_init(|| {
                format!(
                    "UPDATE records SET subject_id = NULL, reference = NULL, register = NULL,
                            inform_by = NULL, state = 'anonymised', handled_at = $1, handled_by = $2
                     WHERE id IN ({}) AND state = 'active' RETURNING id",
                    slots(3, IN_SLOTS)
                )
            }),
        };
        let mut params = vec![self.at.into(), rule.into()];
        params.extend(padded(
            records.iter().map(|r| Value::Int(*r)).collect(),
            IN_SLOTS,
        ));
        self.sql
            .query(statement, &params)?
            .iter()
            .map(|r| r.int(0))
            .collect()
    }

    /// One audit entry for records handled under one rule.
    pub(crate) fn audit_retention(
        &mut self,
        rule: &str,
        action: tillit_core::retention::Action,
        records: &[i64],
    ) -> Result<(), StoreError> {
        let name = match action {
            tillit_core::retention::Action::Erase => "record-erased",
            tillit_core::retention::Action::Anonymise => "record-anonymised",
        };
        self.audit(name, None, &json!({ "rule": rule, "records": records }))?;
        Ok(())
    }

    /// Erases the subjects among `subjects` none of whose records is left
    /// and who are under no hold (see [`subjects_standing`]). How many it
    /// erased.
    pub(crate) fn erase_subjects_if_empty(&mut self, subjects: &[&str]) -> Result<u64, StoreError> {
        let standing = subjects_standing(self.sql, subjects)?;
        let gone: Vec<(&str, &str)> = subjects
            .iter()
            .filter_map(|s| Some((*s, standing.get(*s)?.erasable()?)))
            .collect();
        self.erase_subjects(&gone)
    }

    /// Erases `subjects` (id, pseudonym): their identifiers, consents,
    /// lifecycle events, objections, restrictions, holds and disclosure
    /// links go; their id and pseudonym stay, marked erased, with the
    /// tombstones of their records. The caller has made sure nothing of
    /// theirs is left. How many it erased.
    pub(crate) fn erase_subjects(&mut self, subjects: &[(&str, &str)]) -> Result<u64, StoreError> {
        use std::sync::OnceLock;
        static DELETES: OnceLock<[String; 7]> = OnceLock::new();
        static MARK: OnceLock<String> = OnceLock::new();
        let deletes = DELETES.get_or_init(|| {
            let list = slots(1, IN_SLOTS);
            SUBJECT_ROWS.map(|table| format!("DELETE FROM {table} WHERE subject_id IN ({list})"))
        });
        static RESPONSES: OnceLock<String> = OnceLock::new();
        // What an access or portability request sent goes with the
        // subject; its digest stays as proof.
        let responses = RESPONSES.get_or_init(|| {
            format!(
                "UPDATE requests SET response = NULL
                 WHERE subject_id IN ({}) AND kind IN ('access', 'portability')",
                slots(1, IN_SLOTS)
            )
        });
        let mark = MARK.get_or_init(|| {
            format!(
                "UPDATE subjects SET erased_at = $1 WHERE id IN ({})",
                slots(2, IN_SLOTS)
            )
        });
        for chunk in subjects.chunks(IN_SLOTS) {
            let params = padded(
                chunk.iter().map(|(id, _)| Value::from(*id)).collect(),
                IN_SLOTS,
            );
            for statement in deletes {
                self.sql.execute(statement, &params)?;
            }
            self.sql.execute(responses, &params)?;
            let mut with_at = vec![self.at.into()];
            with_at.extend(params);
            self.sql.execute(mark, &with_at)?;
            let nothing = json!({});
            let mut entries = Vec::with_capacity(chunk.len());
            for (id, pseudonym) in chunk {
                self.changed.push(parse_subject(id)?);
                entries.push(("subject-erased", Some(*pseudonym), &nothing));
            }
            self.cursor
                .append_all(self.sql, (self.at, self.recorded_at), &entries)?;
        }
        Ok(subjects.len() as u64)
    }

    /// The time this transaction's entries carry, in microseconds.
    pub(crate) fn at_micros(&self) -> i64 {
        self.at
    }

    /// When the write is made (the recording clock), as opposed to the
    /// instant it claims.
    pub(crate) fn recorded_micros(&self) -> i64 {
        self.recorded_at
    }

    /// The subject's pseudonym, refusing one the ledger does not hold or
    /// has erased.
    pub(crate) fn require_subject(&mut self, id: &SubjectId) -> Result<String, StoreError> {
        require_subject(self.sql, id)
    }

    pub(crate) fn audit(
        &mut self,
        action: &str,
        subject: Option<&str>,
        detail: &serde_json::Value,
    ) -> Result<i64, StoreError> {
        self.cursor.append(
            self.sql,
            (self.at, self.recorded_at),
            action,
            subject,
            detail,
        )
    }

    fn check_identifiers(
        &mut self,
        subject: &SubjectId,
        identifiers: &[Identifier],
    ) -> Result<Vec<Identifier>, StoreError> {
        let mut new = Vec::new();
        for identifier in identifiers {
            let holder = self.sql.query_opt(
                "SELECT subject_id FROM identifiers WHERE kind = $1 AND value = $2",
                &[identifier.kind().into(), identifier.value().into()],
            )?;
            match holder {
                Some(r) if r.text(0)? == subject.as_str() => {}
                Some(r) => {
                    return Err(StoreError::IdentifierTaken {
                        kind: identifier.kind(),
                        holder: r.text(0)?,
                    });
                }
                None if !new.contains(identifier) => new.push(identifier.clone()),
                None => {}
            }
        }
        Ok(new)
    }

    fn insert_identifiers(
        &mut self,
        subject: &SubjectId,
        pseudonym: &str,
        identifiers: &[Identifier],
    ) -> Result<(), StoreError> {
        for identifier in identifiers {
            self.sql.execute(
                "INSERT INTO identifiers (kind, value, subject_id) VALUES ($1, $2, $3)",
                &[
                    identifier.kind().into(),
                    identifier.value().into(),
                    subject.as_str().into(),
                ],
            )?;
            self.audit(
                "identifier-added",
                Some(pseudonym),
                &json!({ "kind": identifier.kind() }),
            )?;
        }
        Ok(())
    }

    /// Adds a subject; refused if the id is taken or an identifier is
    /// someone else's. Returns the subject's pseudonym.
    pub fn add_subject(&mut self, s: &NewSubject) -> Result<String, StoreError> {
        if self
            .sql
            .query_opt(
                "SELECT 1 FROM subjects WHERE id = $1",
                &[s.id.as_str().into()],
            )?
            .is_some()
        {
            return Err(StoreError::SubjectExists(s.id.to_string()));
        }
        let identifiers = self.check_identifiers(&s.id, &s.identifiers)?;
        let pseudonym = pseudonym()?;
        self.sql.execute(
            "INSERT INTO subjects (id, pseudonym, created_at) VALUES ($1, $2, $3)",
            &[
                s.id.as_str().into(),
                pseudonym.as_str().into(),
                self.at.into(),
            ],
        )?;
        self.sql.execute(
            "INSERT INTO decision_facts (subject_id, facts) VALUES ($1, '{}')",
            &[s.id.as_str().into()],
        )?;
        self.audit("subject-added", Some(&pseudonym), &json!({}))?;
        self.insert_identifiers(&s.id, &pseudonym, &identifiers)?;
        Ok(pseudonym)
    }

    /// Adds the subject if it is new, else the identifiers it does not
    /// hold yet. Whether the subject was new.
    pub fn ensure_subject(&mut self, s: &NewSubject) -> Result<bool, StoreError> {
        match self.sql.query_opt(
            "SELECT pseudonym FROM subjects WHERE id = $1",
            &[s.id.as_str().into()],
        )? {
            None => self.add_subject(s).map(|_| true),
            Some(_) => {
                let pseudonym = require_subject(self.sql, &s.id)?;
                let identifiers = self.check_identifiers(&s.id, &s.identifiers)?;
                self.insert_identifiers(&s.id, &pseudonym, &identifiers)?;
                Ok(false)
            }
        }
    }

    pub fn add_record(&mut self, r: &NewRecord) -> Result<i64, StoreError> {
        let pseudonym = require_subject(self.sql, &r.subject)?;
        let id = self
            .sql
            .query_one(
                "INSERT INTO records (subject_id, category, kind, source, register, inform_by,
                                      collected_at, payload, reference, accounting, dated)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                &[
                    r.subject.as_str().into(),
                    r.category.as_str().into(),
                    r.kind.as_str().into(),
                    r.source.as_str().into(),
                    r.register.as_deref().into(),
                    r.inform_by.map(|d| d.to_string()).into(),
                    micros(r.collected_at).into(),
                    r.payload.as_ref().map(ToString::to_string).into(),
                    r.reference.as_deref().into(),
                    r.accounting.into(),
                    r.dated.map(|d| d.to_string()).into(),
                ],
            )?
            .int(0)?;
        self.audit(
            "record-added",
            Some(&pseudonym),
            &json!({
                "record": id,
                "category": r.category,
                "kind": r.kind,
                "source": r.source,
                "accounting": r.accounting,
            }),
        )?;
        Ok(id)
    }

    pub fn add_event(&mut self, e: &NewEvent) -> Result<i64, StoreError> {
        let pseudonym = require_subject(self.sql, &e.subject)?;
        self.changed.push(e.subject.clone());
        let id = self
            .sql
            .query_one(
                "INSERT INTO lifecycle_events (subject_id, kind, reference, at)
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[
                    e.subject.as_str().into(),
                    e.kind.as_str().into(),
                    e.reference.as_str().into(),
                    micros(e.at).into(),
                ],
            )?
            .int(0)?;
        self.audit(
            "lifecycle-event",
            Some(&pseudonym),
            &json!({ "event": id, "kind": e.kind, "at": micros(e.at) }),
        )?;
        Ok(id)
    }

    /// Appends a consent given or withdrawn; nothing earlier is changed.
    pub fn change_consent(&mut self, c: &ConsentChange) -> Result<i64, StoreError> {
        let pseudonym = require_subject(self.sql, &c.subject)?;
        self.changed.push(c.subject.clone());
        let id = self
            .sql
            .query_one(
                "INSERT INTO consents (subject_id, purpose, given, channel, notice_version, at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    c.subject.as_str().into(),
                    c.purpose.as_str().into(),
                    c.given.into(),
                    c.channel.as_str().into(),
                    c.notice_version.as_str().into(),
                    micros(c.at).into(),
                ],
            )?
            .int(0)?;
        self.audit(
            if c.given {
                "consent-given"
            } else {
                "consent-withdrawn"
            },
            Some(&pseudonym),
            &json!({
                "consent": id,
                "purpose": c.purpose,
                "notice": c.notice_version,
                "at": micros(c.at),
            }),
        )?;
        Ok(id)
    }

    pub fn object(&mut self, o: &NewObjection) -> Result<i64, StoreError> {
        let pseudonym = require_subject(self.sql, &o.subject)?;
        self.changed.push(o.subject.clone());
        let id = self
            .sql
            .query_one(
                "INSERT INTO objections (subject_id, purpose, absolute, at)
                 VALUES ($1, $2, $3, $4) RETURNING id",
                &[
                    o.subject.as_str().into(),
                    o.purpose.as_str().into(),
                    o.absolute.into(),
                    micros(o.at).into(),
                ],
            )?
            .int(0)?;
        self.audit(
            "objection",
            Some(&pseudonym),
            &json!({ "objection": id, "purpose": o.purpose, "absolute": o.absolute }),
        )?;
        Ok(id)
    }

    pub fn restrict(
        &mut self,
        subject: &SubjectId,
        ground: RestrictionGround,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        let pseudonym = require_subject(self.sql, subject)?;
        self.changed.push(subject.clone());
        let id = self
            .sql
            .query_one(
                "INSERT INTO restrictions (subject_id, ground, at) VALUES ($1, $2, $3) RETURNING id",
                &[subject.as_str().into(), ground.id().into(), micros(at).into()],
            )?
            .int(0)?;
        self.audit(
            "restriction",
            Some(&pseudonym),
            &json!({ "restriction": id, "ground": ground.id() }),
        )?;
        Ok(id)
    }

    /// Lifts a restriction that is in force.
    pub fn lift_restriction(
        &mut self,
        subject: &SubjectId,
        id: i64,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let pseudonym = require_subject(self.sql, subject)?;
        self.changed.push(subject.clone());
        let n = self.sql.execute(
            "UPDATE restrictions SET lifted_at = $1
             WHERE id = $2 AND subject_id = $3 AND lifted_at IS NULL",
            &[micros(at).into(), id.into(), subject.as_str().into()],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuch {
                what: "restriction in force",
                id,
                subject: subject.to_string(),
            });
        }
        self.audit(
            "restriction-lifted",
            Some(&pseudonym),
            &json!({ "restriction": id }),
        )?;
        Ok(())
    }

    /// Places a legal hold: nothing of the subject's that it covers is
    /// erased until it is released. `by` and `reason` stay in the ledger,
    /// not in the chain. It is to be reviewed on `review_on`, after the day
    /// it is placed.
    pub fn place_hold(
        &mut self,
        subject: &SubjectId,
        hold: &NewHold,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        plain_text("who placed it (by)", &hold.by)?;
        plain_text("the reason", &hold.reason)?;
        let pseudonym = require_subject(self.sql, subject)?;
        let scope = match &hold.scope {
            HoldScope::All => None,
            scope => Some(
                serde_json::to_string(scope)
                    .map_err(|e| StoreError::Corrupt(format!("a hold's scope: {e}")))?,
            ),
        };
        let id = self
            .sql
            .query_one(
                "INSERT INTO holds (subject_id, placed_by, reason, at, scope, review_on)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                &[
                    subject.as_str().into(),
                    hold.by.as_str().into(),
                    hold.reason.as_str().into(),
                    micros(at).into(),
                    scope.as_deref().into(),
                    hold.review_on.to_string().into(),
                ],
            )?
            .int(0)?;
        self.audit(
            "hold-placed",
            Some(&pseudonym),
            &json!({ "hold": id, "scope": hold.scope, "review": hold.review_on.to_string() }),
        )?;
        Ok(id)
    }

    pub fn release_hold(
        &mut self,
        subject: &SubjectId,
        id: i64,
        by: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        plain_text("who released it (by)", by)?;
        let pseudonym = require_subject(self.sql, subject)?;
        let n = self.sql.execute(
            "UPDATE holds SET released_at = $1, released_by = $2
             WHERE id = $3 AND subject_id = $4 AND released_at IS NULL",
            &[
                micros(at).into(),
                by.into(),
                id.into(),
                subject.as_str().into(),
            ],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuch {
                what: "hold in force",
                id,
                subject: subject.to_string(),
            });
        }
        self.audit("hold-released", Some(&pseudonym), &json!({ "hold": id }))?;
        Ok(())
    }

    /// Records a disclosure, with one audit entry per subject.
    pub fn disclose(&mut self, d: &NewDisclosure) -> Result<i64, StoreError> {
        let mut pseudonyms = Vec::with_capacity(d.subjects.len());
        for s in &d.subjects {
            pseudonyms.push(require_subject(self.sql, s)?);
        }
        let categories: Vec<&str> = d.categories.iter().map(|c| c.as_str()).collect();
        let id = self
            .sql
            .query_one(
                "INSERT INTO disclosures (recipient, categories, basis, reference, at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[
                    d.recipient.as_str().into(),
                    categories.join(",").into(),
                    d.basis.id().into(),
                    d.reference.as_deref().into(),
                    micros(d.at).into(),
                ],
            )?
            .int(0)?;
        let mut done: Vec<&SubjectId> = Vec::new();
        for (s, pseudonym) in d.subjects.iter().zip(&pseudonyms) {
            if done.contains(&s) {
                continue;
            }
            done.push(s);
            self.sql.execute(
                "INSERT INTO disclosure_subjects (disclosure_id, subject_id) VALUES ($1, $2)",
                &[id.into(), s.as_str().into()],
            )?;
            self.audit(
                "disclosure",
                Some(pseudonym),
                &json!({
                    "disclosure": id,
                    "recipient": d.recipient,
                    "categories": categories,
                    "basis": d.basis.id(),
                }),
            )?;
        }
        Ok(id)
    }
}

/// A subject and the identifiers it can be found by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubjectView {
    pub id: SubjectId,
    pub pseudonym: String,
    pub created_at: Timestamp,
    /// When retention or a request erased the subject: nothing but its id
    /// and pseudonym is kept then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub erased_at: Option<Timestamp>,
    /// Not serialised: whoever shows them decides how much of a
    /// personnummer the reader may see.
    #[serde(skip)]
    pub identifiers: Vec<Identifier>,
}

/// What [`Ledger::changes_since`] read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedRead {
    /// The audit chain's head: everything committed through it is in.
    pub head: i64,
    /// The subjects changed after the position asked about.
    pub subjects: Vec<SubjectId>,
    /// The feed was pruned past that position: some changes are gone, and
    /// whatever was cached from before must be dropped.
    pub lost: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RecordView {
    pub id: i64,
    pub category: String,
    pub kind: String,
    pub source: String,
    pub register: Option<String>,
    pub inform_by: Option<Date>,
    pub collected_at: Timestamp,
    pub payload: Option<serde_json::Value>,
    pub reference: Option<String>,
    pub accounting: bool,
    /// The record's own date (an invoice's), where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dated: Option<Date>,
    /// `active`, `anonymised` or `erased`.
    pub state: String,
    /// When it was anonymised or erased, and under which rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handled_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handled_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventView {
    pub id: i64,
    pub kind: String,
    pub reference: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsentEvent {
    pub id: i64,
    pub purpose: String,
    pub given: bool,
    pub channel: String,
    pub notice_version: String,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsentState {
    pub purpose: String,
    pub given: bool,
    pub since: Timestamp,
    pub channel: String,
    pub notice_version: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Objection {
    pub id: i64,
    pub purpose: String,
    pub absolute: bool,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Restriction {
    pub id: i64,
    pub ground: String,
    pub at: Timestamp,
    pub lifted_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hold {
    pub id: i64,
    pub placed_by: String,
    pub reason: String,
    pub at: Timestamp,
    pub released_at: Option<Timestamp>,
    pub released_by: Option<String>,
    /// What it keeps.
    pub scope: HoldScope,
    /// When it is to be reviewed (none for holds from before schema 11).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_on: Option<Date>,
}

/// A hold's scope as stored: `NULL` holds everything.
pub(crate) fn hold_scope(stored: Option<&str>) -> Result<HoldScope, StoreError> {
    stored.map_or(Ok(HoldScope::All), |s| {
        serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("a hold's scope: {e}")))
    })
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disclosure {
    pub id: i64,
    pub recipient: String,
    pub categories: Vec<String>,
    pub basis: String,
    pub reference: Option<String>,
    pub at: Timestamp,
}

/// Everything the ledger holds about one subject.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubjectFile {
    pub subject: SubjectView,
    pub records: Vec<RecordView>,
    pub events: Vec<EventView>,
    /// As it stands at the time asked for.
    pub consents: Vec<ConsentState>,
    pub objections: Vec<Objection>,
    pub restrictions: Vec<Restriction>,
    pub holds: Vec<Hold>,
    pub disclosures: Vec<Disclosure>,
}

/// Refuses text that is empty or holds control characters: what the
/// audit trail names a person or a reason by is one plain line.
pub(crate) fn plain_text(what: &str, s: &str) -> Result<(), StoreError> {
    if s.trim().is_empty() || s.chars().any(char::is_control) {
        return Err(tillit_core::ledger::InputError::Refused(format!(
            "give {what} as one line of plain text"
        ))
        .into());
    }
    Ok(())
}
