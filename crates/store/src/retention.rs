//! Retention against the ledger: where every record stands (core's
//! [`Schedule`] over the ledger's lifecycle events and holds), the plan of
//! what falls due, and the sweep that carries it out.
//!
//! A plan reads only the records that may be due: core's
//! [`Schedule::candidates`] gives a necessary condition per rule (an
//! anchor before a cutoff), which indexed reads turn into rows, and each
//! is judged in full. `plan --all` judges every record instead, to count
//! what is kept and why; a test holds the two to the same answer.
//!
//! **Invariant:** the sweep does exactly what the plan at the same instant
//! says, each record once. It plans with one read on a second connection
//! and, as the plan judges a group of subjects, handles their due records
//! a batch per transaction, each batch with its audit entries. While the
//! chain's head is where the sweep left it, no one else has written: the
//! plan's snapshot, and what the sweep did since, say what is due and
//! which subjects are left with nothing. From the first batch that finds
//! the head moved, every batch re-reads what it handles: a record handled
//! by another sweep, or no longer due because a contract re-opened or a
//! hold was placed, is left alone. Killed at any point, a sweep run again
//! finds only what is still due.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use tillit_core::retention::{
    Action, Candidate, CandidateBy, History, HoldSpan, LifecycleEvent, RecordFacts, RecordState,
    Retention, Schedule,
};

use crate::ledger::{SubjectStanding, subjects_standing};
use crate::sql::{Row, Sql, Value, padded, slots};
use crate::{Ledger, StoreError, Writer};

/// Records or subjects per bulk statement.
const CHUNK: usize = crate::sql::IN_SLOTS;

/// Records per read of their rows by id ([`record_rows`]): larger than
/// [`CHUNK`], since a plan reads every candidate's row this way and on
/// PostgreSQL each statement is a round trip (a plan over 1M candidates
/// took 5.5–6.4 s 128 at a time, 5.0–5.5 s 1,024 at a time).
const RECORD_ROWS: usize = 8 * CHUNK;

/// One record and where it stands; names borrowed from the policy where
/// it knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Standing<'p> {
    pub record: i64,
    /// `None` once the record is anonymised.
    pub subject: Option<String>,
    pub category: Cow<'p, str>,
    pub kind: Cow<'p, str>,
    pub retention: Retention<'p>,
}

struct RecordRow<'r> {
    id: i64,
    subject: Option<&'r str>,
    category: &'r str,
    kind: &'r str,
    collected_at: Timestamp,
    reference: Option<&'r str>,
    accounting: bool,
    state: RecordState,
    dated: Option<Date>,
}

fn record_row(r: &Row) -> Result<RecordRow<'_>, StoreError> {
    let state = r.str(7)?;
    Ok(RecordRow {
        id: r.int(0)?,
        subject: r.opt_str(1)?,
        category: r.str(2)?,
        kind: r.str(3)?,
        collected_at: time(r.int(4)?)?,
        reference: r.opt_str(5)?,
        accounting: r.bool(6)?,
        state: RecordState::parse(state)
            .ok_or_else(|| StoreError::Corrupt(format!("a record's state is `{state}`")))?,
        dated: r
            .opt_str(8)?
            .map(str::parse::<Date>)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("a record's date: {e}")))?,
    })
}

/// A record row of a kind the policy knows, kept for judging after the
/// read.
#[derive(Clone, Debug)]
struct Owned<'p> {
    id: i64,
    subject: Option<String>,
    category: &'p str,
    kind: &'p str,
    collected_at: Timestamp,
    reference: Option<String>,
    accounting: bool,
    state: RecordState,
    dated: Option<Date>,
}

impl<'p> Owned<'p> {
    fn row(&self) -> RecordRow<'_> {
        RecordRow {
            id: self.id,
            subject: self.subject.as_deref(),
            category: self.category,
            kind: self.kind,
            collected_at: self.collected_at,
            reference: self.reference.as_deref(),
            accounting: self.accounting,
            state: self.state,
            dated: self.dated,
        }
    }

    /// Judged, its names moved rather than copied.
    fn standing(self, schedule: &Schedule<'p>, history: &History, at: Timestamp) -> Standing<'p> {
        let retention = schedule.due(&self.row().facts(), history, at);
        Standing {
            record: self.id,
            subject: self.subject,
            category: Cow::Borrowed(self.category),
            kind: Cow::Borrowed(self.kind),
            retention,
        }
    }
}

/// The records that may fall due by `until`, judged at `at`, read by
/// core's candidate conditions, each judged in full; those due, in record
/// order.
fn due_in<'p>(
    sql: &mut dyn Sql,
    schedule: &Schedule<'p>,
    at: Timestamp,
    until: Timestamp,
) -> Result<Vec<Standing<'p>>, StoreError> {
    // The groups come in record order.
    let mut due = Vec::new();
    due_by_group(sql, schedule, at, until, &mut |_, group| {
        due.extend(group);
        Ok(())
    })?;
    Ok(due)
}

/// Takes the due records of a group of subjects, with the connection
/// they were read on.
type EachGroup<'a, 'p> = dyn FnMut(&mut dyn Sql, Vec<Standing<'p>>) -> Result<(), StoreError> + 'a;

/// Subjects judged together: their histories are read a chunk at a time
/// and their due records handed on as one group.
const GROUP_SUBJECTS: usize = 8 * CHUNK;

/// What [`due_in`] finds, handed to `each` (with the connection it was
/// read on) a group of subjects at a time in record order, so that a
/// sweep can write one group while the next is judged.
///
/// The records are found in two steps: first the ids every candidate
/// condition names, from indexes alone, then the rows, a chunk of ids at
/// a time in record order, each judged as it comes. The first group is
/// handed on after reading one chunk's rows, not every candidate's.
fn due_by_group<'p>(
    sql: &mut dyn Sql,
    schedule: &Schedule<'p>,
    at: Timestamp,
    until: Timestamp,
    each: &mut EachGroup<'_, 'p>,
) -> Result<(), StoreError> {
    let conditions = schedule.candidates(at, until);
    let named = named_by(sql, &conditions)?;
    // In the table's order: a sweep that writes in this order changes
    // neighbouring pages of the table and of its indexes, batch after
    // batch; in any other order every batch touches pages all over the
    // table (4× slower on 10M records). A subject's records are
    // neighbours when it has few or they came together; one whose records
    // are far apart is judged in each group that holds some, on its
    // history read again.
    let mut group: Vec<Owned<'p>> = Vec::new();
    let mut subjects = 0;
    let mut rest = &named[..];
    while !rest.is_empty() {
        let (chunk, after) = rest.split_at(chunk_end(rest, RECORD_ROWS));
        rest = after;
        for r in rows_named(sql, schedule, &conditions, chunk)? {
            // A record without a subject counts as a subject of its own.
            let another =
                r.subject.is_none() || group.last().is_none_or(|l| l.subject != r.subject);
            if another {
                if subjects == GROUP_SUBJECTS {
                    judge(sql, schedule, at, until, std::mem::take(&mut group), each)?;
                    subjects = 0;
                }
                subjects += 1;
            }
            group.push(r);
        }
    }
    judge(sql, schedule, at, until, group, each)
}

/// A record a candidate condition names: (record, the condition's place
/// in the list).
type Named = (i64, usize);

/// Every (record, condition) the candidate conditions name, in record
/// order, each pair once. Read from indexes alone: a record's state and
/// kind are checked when its row is read ([`rows_named`]).
fn named_by(sql: &mut dyn Sql, conditions: &[Candidate<'_>]) -> Result<Vec<Named>, StoreError> {
    let mut named: Vec<Named> = Vec::new();
    for (i, c) in conditions.iter().enumerate() {
        let before = c.before.as_microsecond();
        let (statement, key): (&'static str, &str) = match c.by {
            CandidateBy::Collection { kind } => (
                "SELECT id FROM records WHERE kind = $1 AND collected_at < $2",
                kind,
            ),
            CandidateBy::SubjectEvent { event } => (
                "SELECT r.id FROM lifecycle_events e JOIN records r ON r.subject_id = e.subject_id
                 WHERE e.kind = $1 AND e.at < $2",
                event,
            ),
            CandidateBy::ReferenceEvent { event } => (
                "SELECT r.id FROM lifecycle_events e JOIN records r ON r.reference = e.reference
                 WHERE e.kind = $1 AND e.at < $2",
                event,
            ),
        };
        sql.for_each(statement, &[key.into(), before.into()], &mut |r| {
            named.push((r.int(0)?, i));
            Ok(())
        })?;
    }
    named.sort_unstable();
    named.dedup();
    Ok(named)
}

/// How many of `named`'s first entries name its first `n` records.
fn chunk_end(named: &[Named], n: usize) -> usize {
    let mut records = 0;
    let mut last = None;
    for (i, (id, _)) in named.iter().enumerate() {
        if last != Some(*id) {
            if records == n {
                return i;
            }
            records += 1;
            last = Some(*id);
        }
    }
    named.len()
}

/// The rows of the records `named` names (at most [`RECORD_ROWS`]), in record
/// order: those of a kind the policy knows whose rule and state match a
/// condition that names them.
fn rows_named<'p>(
    sql: &mut dyn Sql,
    schedule: &Schedule<'p>,
    conditions: &[Candidate<'p>],
    named: &[Named],
) -> Result<Vec<Owned<'p>>, StoreError> {
    let mut ids: Vec<Value> = Vec::with_capacity(RECORD_ROWS);
    for (id, _) in named {
        if ids.last() != Some(&Value::Int(*id)) {
            ids.push(Value::Int(*id));
        }
    }
    let mut rows = Vec::with_capacity(ids.len());
    record_rows(sql, ids, &mut |r| {
        let row = record_row(r)?;
        let rule = schedule.rule_for(row.kind);
        let from = named.partition_point(|(id, _)| *id < row.id);
        let matches = named
            .iter()
            .skip(from)
            .take_while(|(id, _)| *id == row.id)
            .filter_map(|(_, c)| conditions.get(*c))
            .any(|c| rule == Some(c.rule) && c.states.contains(&row.state));
        if !matches {
            return Ok(());
        }
        if let Some((kind, category)) = schedule.kind(row.kind) {
            rows.push(Owned {
                id: row.id,
                subject: row.subject.map(str::to_owned),
                category,
                kind,
                collected_at: row.collected_at,
                reference: row.reference.map(str::to_owned),
                accounting: row.accounting,
                state: row.state,
                dated: row.dated,
            });
        }
        Ok(())
    })?;
    // A database may return an `IN` list's rows in any order.
    rows.sort_unstable_by_key(|r| r.id);
    Ok(rows)
}

/// Judges a group of records on their subjects' histories and hands on
/// those due by `until`, in the group's order.
fn judge<'p>(
    sql: &mut dyn Sql,
    schedule: &Schedule<'p>,
    at: Timestamp,
    until: Timestamp,
    group: Vec<Owned<'p>>,
    each: &mut EachGroup<'_, 'p>,
) -> Result<(), StoreError> {
    let histories = histories_of(
        sql,
        schedule,
        &distinct(group.iter().filter_map(|r| r.subject.as_deref())),
    )?;
    let none = History::default();
    let due: Vec<Standing<'p>> = group
        .into_iter()
        .filter_map(|r| {
            let history = r
                .subject
                .as_deref()
                .and_then(|s| histories.get(s))
                .unwrap_or(&none);
            let standing = r.standing(schedule, history, at);
            standing
                .retention
                .due_at(until)
                .is_some()
                .then_some(standing)
        })
        .collect();
    if due.is_empty() {
        Ok(())
    } else {
        each(sql, due)
    }
}

/// The retention histories of some subjects, a chunk at a time.
fn histories_of(
    sql: &mut dyn Sql,
    schedule: &Schedule<'_>,
    subjects: &[&str],
) -> Result<HashMap<String, History>, StoreError> {
    let relevant = schedule.relevant_events();
    let mut histories = HashMap::with_capacity(subjects.len());
    for chunk in subjects.chunks(CHUNK) {
        let params = padded(chunk.iter().map(|s| Value::from(*s)).collect(), CHUNK);
        let [events, holds, _] = statements();
        sql.for_each(events, &params, &mut |r| {
            add_event(&mut histories, &relevant, r)
        })?;
        sql.for_each(holds, &params, &mut |r| add_hold(&mut histories, r))?;
    }
    Ok(histories)
}

fn time(m: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(m)
        .map_err(|e| StoreError::Corrupt(format!("time {m} is out of range: {e}")))
}

impl RecordRow<'_> {
    fn facts(&self) -> RecordFacts<'_> {
        RecordFacts {
            category: self.category,
            kind: self.kind,
            collected_at: self.collected_at,
            reference: self.reference,
            accounting: self.accounting,
            dated: self.dated,
            state: self.state,
        }
    }

    fn standing<'p>(
        &self,
        schedule: &Schedule<'p>,
        history: &History,
        at: Timestamp,
    ) -> Standing<'p> {
        let (kind, category) = match schedule.kind(self.kind) {
            Some((k, c)) => (Cow::Borrowed(k), Cow::Borrowed(c)),
            None => (
                Cow::Owned(self.kind.to_owned()),
                Cow::Owned(self.category.to_owned()),
            ),
        };
        Standing {
            record: self.id,
            subject: self.subject.map(str::to_owned),
            category,
            kind,
            retention: schedule.due(&self.facts(), history, at),
        }
    }
}

/// Adds the lifecycle events retention turns on and the holds to
/// `histories`, by subject.
fn add_event(
    histories: &mut HashMap<String, History>,
    relevant: &[&str],
    r: &Row,
) -> Result<(), StoreError> {
    let kind = r.str(1)?;
    if !relevant.contains(&kind) {
        return Ok(());
    }
    histories
        .entry(r.text(0)?)
        .or_default()
        .events
        .push(LifecycleEvent {
            kind: kind.to_owned(),
            reference: r.text(2)?,
            at: time(r.int(3)?)?,
        });
    Ok(())
}

fn add_hold(histories: &mut HashMap<String, History>, r: &Row) -> Result<(), StoreError> {
    histories
        .entry(r.text(1)?)
        .or_default()
        .holds
        .push(HoldSpan {
            id: r.int(0)?,
            placed: time(r.int(2)?)?,
            released: r.opt_int(3)?.map(time).transpose()?,
            scope: crate::ledger::hold_scope(r.opt_str(4)?)?,
        });
    Ok(())
}

/// Every subject's retention history, by full scans.
fn all_histories(
    sql: &mut dyn Sql,
    relevant: &[&str],
) -> Result<HashMap<String, History>, StoreError> {
    let mut histories = HashMap::new();
    sql.for_each(
        "SELECT subject_id, kind, reference, at FROM lifecycle_events",
        &[],
        &mut |r| add_event(&mut histories, relevant, r),
    )?;
    sql.for_each(
        "SELECT id, subject_id, at, released_at, scope FROM holds",
        &[],
        &mut |r| add_hold(&mut histories, r),
    )?;
    Ok(histories)
}

/// Hands `each` the standing at `at` of every record not erased yet, in
/// the order the table holds them. One read: one snapshot.
pub fn scan<'p>(
    ledger: &mut Ledger,
    schedule: &Schedule<'p>,
    at: Timestamp,
    each: &mut dyn FnMut(Standing<'p>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    ledger.read_with(|sql| {
        let histories = all_histories(sql, &schedule.relevant_events())?;
        let none = History::default();
        sql.for_each(
            "SELECT id, subject_id, category, kind, collected_at, reference, accounting, state, dated
             FROM records WHERE state <> 'erased'",
            &[],
            &mut |r| {
                let row = record_row(r)?;
                let history = row.subject.and_then(|s| histories.get(s)).unwrap_or(&none);
                each(row.standing(schedule, history, at))
            },
        )
    })
}

/// What falls due by a day, grouped for a DPO.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The instant the ledger was judged at.
    pub at: Timestamp,
    /// Everything due at or before this instant is listed.
    pub until: Timestamp,
    /// Records not erased yet; counted only when every record was judged
    /// (`all`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    /// Due by `until`: (rule, action, day) → records.
    pub due: Vec<PlanGroup>,
    /// Kept with no day, or with a day after `until`, by why; only when
    /// every record was judged (`all`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<BTreeMap<String, u64>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanGroup {
    pub rule: String,
    pub action: Action,
    pub due: Date,
    pub records: u64,
}

impl Plan {
    pub fn total_due(&self) -> u64 {
        self.due.iter().map(|g| g.records).sum()
    }
}

/// Why a record is not due by `until`, as the plan counts it.
fn kept_key(r: &Retention) -> String {
    use tillit_core::retention::KeptWhy;
    match r {
        Retention::Due(_) => "due-later".into(),
        Retention::Kept(k) => match &k.why {
            KeptWhy::InState { state, .. } => format!("while {state}"),
            KeptWhy::AwaitingEvent { event, .. } => format!("awaiting {event}"),
            KeptWhy::Hold { .. } => "legal hold".into(),
            KeptWhy::NoRule => "no rule".into(),
        },
        Retention::Done => "erased".into(),
    }
}

/// Plans retention at `at`: the plan's groups, and every record due by
/// `until` with its standing, in record order. With `all`, every record is
/// judged, and the plan counts what is kept and why; without, only the
/// records that may be due are read.
pub fn plan<'p>(
    ledger: &mut Ledger,
    schedule: &Schedule<'p>,
    at: Timestamp,
    until: Timestamp,
    all: bool,
) -> Result<(Plan, Vec<Standing<'p>>), StoreError> {
    let mut plan = Plan {
        at,
        until,
        ..Plan::default()
    };
    let due = if all {
        let mut kept = BTreeMap::new();
        let mut due = Vec::new();
        let mut records = 0;
        scan(ledger, schedule, at, &mut |s| {
            records += 1;
            if s.retention.due_at(until).is_some() {
                due.push(s);
            } else {
                *kept.entry(kept_key(&s.retention)).or_default() += 1;
            }
            Ok(())
        })?;
        due.sort_by_key(|s| s.record);
        plan.kept = Some(kept);
        plan.records = Some(records);
        due
    } else {
        ledger.read_with(|sql| due_in(sql, schedule, at, until))?
    };
    let mut groups: BTreeMap<(Date, &'p str, Action), u64> = BTreeMap::new();
    for d in due.iter().filter_map(|s| s.retention.due_at(until)) {
        *groups.entry((d.on, d.rule, d.action)).or_default() += 1;
    }
    plan.due = groups
        .into_iter()
        .map(|((due, rule, action), records)| PlanGroup {
            rule: rule.to_owned(),
            action,
            due,
            records,
        })
        .collect();
    Ok((plan, due))
}

/// One record the sweep is to handle.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Task<'p> {
    record: i64,
    subject: Option<String>,
    action: Action,
    rule: &'p str,
}

impl<'p> Task<'p> {
    fn of(s: Standing<'p>, at: Timestamp) -> Option<Task<'p>> {
        let due = s.retention.due_at(at)?;
        Some(Task {
            record: s.record,
            action: due.action,
            rule: due.rule,
            subject: s.subject,
        })
    }
}

/// What a sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepSummary {
    pub at: Timestamp,
    /// Due when the sweep planned.
    pub due: u64,
    /// Handled by this sweep, by rule and action.
    pub handled: BTreeMap<String, BTreeMap<Action, u64>>,
    /// Due at planning, but handled by someone else or no longer due by
    /// the time its batch ran.
    pub skipped: u64,
    /// Subjects erased because nothing of theirs was left.
    pub subjects_erased: u64,
    pub batches: u64,
    /// Whether the freed space was purged from disk afterwards.
    pub purged: bool,
}

impl SweepSummary {
    pub fn total_handled(&self) -> u64 {
        self.handled.values().flat_map(|m| m.values()).sum()
    }

    /// `n` page views due under `rule`, erased (or to be).
    fn page_views(&mut self, rule: &str, n: u64) {
        self.due += n;
        if n > 0 {
            self.count(rule, Action::Erase, n);
        }
    }

    fn count(&mut self, rule: &str, action: Action, n: u64) {
        *self
            .handled
            .entry(rule.to_owned())
            .or_default()
            .entry(action)
            .or_default() += n;
    }
}

/// The tables erasure removes rows or content from.
fn erased_from() -> Vec<&'static str> {
    let mut tables = vec!["records", "decision_facts", "page_views"];
    tables.extend(crate::ledger::SUBJECT_ROWS);
    tables
}

/// How a sweep runs.
#[derive(Clone, Copy, Debug)]
pub struct SweepOptions {
    pub at: Timestamp,
    /// Records per transaction.
    pub batch: usize,
    /// Plan only; change nothing.
    pub dry_run: bool,
    /// Purge freed space from disk afterwards (see
    /// [`crate::sql::Backend::purge`]).
    pub purge: bool,
}

/// What the sweep's plan hands its writer: first the chain's head as the
/// plan saw it, then the due records a group of subjects at a time, with
/// where their subjects stood for erasure in the plan's snapshot.
enum Planned<'p> {
    Head(i64),
    Due(Vec<Standing<'p>>, HashMap<String, SubjectStanding>),
}

/// Erases and anonymises everything due at `options.at`, a batch per
/// transaction; `progress` is told (handled so far, due so far).
///
/// The plan is read on a second connection while this one writes: a
/// group of subjects is judged while the batches before it are written,
/// so the sweep costs little more than its writes.
pub fn sweep<'p>(
    ledger: &mut Ledger,
    schedule: &Schedule<'p>,
    options: SweepOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SweepSummary, StoreError> {
    let at = options.at;
    if options.dry_run {
        return dry_run(ledger, schedule, at);
    }
    let mut summary = SweepSummary {
        at,
        ..SweepSummary::default()
    };
    match ledger.reopen()? {
        Some(mut planner) => std::thread::scope(|scope| {
            // Unbounded: the plan never waits for the writer while it
            // holds its snapshot. A reader held up that way would hold
            // up another sweep's purge (SQLite's checkpoint waits for
            // every reader), which holds up this writer: a deadlock.
            // What waits is at most the plan, as when it was read whole.
            let (hand, planned) = std::sync::mpsc::channel();
            let planning = scope.spawn(move || {
                plan_for_sweep(&mut planner, schedule, at, &mut |p| {
                    // The writer stopped (it failed): so does the plan.
                    hand.send(p)
                        .map_err(|_| StoreError::Database("the sweep stopped".into()))
                })
            });
            let written = write_planned(
                ledger,
                schedule,
                options,
                planned.iter(),
                &mut summary,
                progress,
            );
            drop(planned);
            let plan = planning
                .join()
                .unwrap_or_else(|_| Err(StoreError::Database("the sweep's plan failed".into())));
            written.and(plan)
        })?,
        None => {
            let mut all = Vec::new();
            plan_for_sweep(ledger, schedule, at, &mut |p| {
                all.push(p);
                Ok(())
            })?;
            write_planned(
                ledger,
                schedule,
                options,
                all.into_iter(),
                &mut summary,
                progress,
            )?;
        }
    }
    // Page views live apart from records: due by day, erased (on
    // PostgreSQL, whole months dropped) in one transaction.
    if let Some((rule, through)) = schedule.page_views_due(at) {
        let n = ledger.write(at, |w| w.erase_page_views(through, rule))?;
        summary.page_views(rule, n);
    }
    summary.skipped = summary.due.saturating_sub(summary.total_handled());
    if options.purge && summary.total_handled() > 0 {
        ledger.purge(&erased_from())?;
        summary.purged = true;
    }
    Ok(summary)
}

/// What a sweep at `at` would do, changing nothing.
fn dry_run(
    ledger: &mut Ledger,
    schedule: &Schedule<'_>,
    at: Timestamp,
) -> Result<SweepSummary, StoreError> {
    let due = ledger.read_with(|sql| due_in(sql, schedule, at, at))?;
    let mut summary = SweepSummary {
        at,
        ..SweepSummary::default()
    };
    for t in due.into_iter().filter_map(|s| Task::of(s, at)) {
        summary.due += 1;
        summary.count(t.rule, t.action, 1);
    }
    if let Some((rule, through)) = schedule.page_views_due(at) {
        let n = ledger.read_with(|sql| {
            sql.query_one(
                "SELECT COUNT(*) FROM page_views WHERE day <= $1",
                &[through.to_string().into()],
            )?
            .int(0)
        })?;
        summary.page_views(rule, u64::try_from(n).unwrap_or(0));
    }
    Ok(summary)
}

/// The sweep's plan, in one read (one snapshot): the chain's head, then
/// the due records a group at a time.
fn plan_for_sweep<'p>(
    ledger: &mut Ledger,
    schedule: &Schedule<'p>,
    at: Timestamp,
    hand: &mut dyn FnMut(Planned<'p>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    ledger.read_with(|sql| {
        // The first read: the snapshot the plan judges is the one whose
        // head this is.
        let head = sql.query_one(crate::sql::AUDIT_HEAD_SEQ, &[])?.int(0)?;
        hand(Planned::Head(head))?;
        due_by_group(sql, schedule, at, at, &mut |sql, group| {
            let subjects = distinct(group.iter().filter_map(|s| s.subject.as_deref()));
            let standing = subjects_standing(sql, &subjects)?;
            hand(Planned::Due(group, standing))
        })
    })
}

/// Handles what the plan hands on, `options.batch` records per
/// transaction, as it comes.
///
/// While the chain's head is where this sweep left it, no one else has
/// written since the plan: the plan's records are still due, and whether
/// a subject is left with nothing follows from the plan's snapshot and
/// what this sweep has handled since. Once anyone else has written, every
/// later batch is judged again on what the ledger holds then.
fn write_planned<'p>(
    ledger: &mut Ledger,
    schedule: &Schedule<'p>,
    options: SweepOptions,
    mut planned: impl Iterator<Item = Planned<'p>>,
    summary: &mut SweepSummary,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), StoreError> {
    // Without a head the plan failed before it read anything; its error
    // is the sweep's.
    let Some(Planned::Head(mut head)) = planned.next() else {
        return Ok(());
    };
    let at = options.at;
    let batch = options.batch.max(1);
    let mut done = 0;
    let mut pending: Vec<Task<'p>> = Vec::new();
    // Where the subjects of the planned records stand, kept current with
    // this sweep's own writes; `None` once someone else has written.
    let mut known: Option<HashMap<String, SubjectStanding>> = Some(HashMap::new());
    let mut write = |tasks: &[Task<'p>],
                     known: &mut Option<HashMap<String, SubjectStanding>>,
                     summary: &mut SweepSummary| {
        let (outcome, new_head) = ledger.write(at, |w| {
            if w.chain_seq() != head {
                *known = None;
            }
            let outcome = match known {
                Some(known) => handle(w, tasks, Some(known))?,
                None => {
                    let still = recheck(w.sql(), schedule, tasks, at)?;
                    handle(w, &still, None)?
                }
            };
            Ok((outcome, w.chain_seq()))
        })?;
        head = new_head;
        if let Some(known) = known {
            outcome.apply(known);
        }
        summary.batches += 1;
        for ((rule, action), n) in outcome.handled {
            summary.count(rule, action, n);
        }
        summary.subjects_erased += outcome.subjects_erased.len() as u64;
        done += tasks.len() as u64;
        progress(done, summary.due);
        Ok::<(), StoreError>(())
    };
    for message in planned {
        if let Planned::Due(group, standing) = message {
            if let Some(known) = &mut known {
                // A subject in several groups: the first word on them,
                // since kept current, stands.
                for (subject, s) in standing {
                    known.entry(subject).or_insert(s);
                }
            }
            let before = pending.len();
            pending.extend(group.into_iter().filter_map(|s| Task::of(s, at)));
            summary.due += (pending.len() - before) as u64;
            while pending.len() >= batch {
                let rest = pending.split_off(batch);
                write(&pending, &mut known, summary)?;
                pending = rest;
            }
        }
    }
    if !pending.is_empty() {
        write(&pending, &mut known, summary)?;
    }
    Ok(())
}

/// The batch's tasks that are still due, judged on what the ledger holds
/// now, inside the batch's transaction.
fn recheck<'p>(
    sql: &mut dyn Sql,
    schedule: &Schedule<'p>,
    batch: &[Task<'p>],
    at: Timestamp,
) -> Result<Vec<Task<'p>>, StoreError> {
    let histories = histories_of(
        sql,
        schedule,
        &distinct(batch.iter().filter_map(|t| t.subject.as_deref())),
    )?;
    let none = History::default();
    let mut still = Vec::with_capacity(batch.len());
    let mut seen = HashSet::new();
    for chunk in batch.chunks(RECORD_ROWS) {
        let ids = chunk.iter().map(|t| Value::Int(t.record)).collect();
        record_rows(sql, ids, &mut |r| {
            let row = record_row(r)?;
            if !seen.insert(row.id) {
                return Ok(());
            }
            let history = row.subject.and_then(|s| histories.get(s)).unwrap_or(&none);
            if let Some(task) = Task::of(row.standing(schedule, history, at), at) {
                still.push(task);
            }
            Ok(())
        })?;
    }
    // In record order, as the plan handed them on.
    still.sort_by_key(|t| t.record);
    Ok(still)
}

/// The rows of the records `ids` names (at most [`RECORD_ROWS`]) that are
/// not erased, in one statement, in any order.
fn record_rows(
    sql: &mut dyn Sql,
    ids: Vec<Value>,
    each: &mut dyn FnMut(&Row) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    debug_assert!(ids.len() <= RECORD_ROWS);
    let [_, _, records] = statements();
    sql.for_each(records, &padded(ids, RECORD_ROWS), each)
}

/// Bulk reads: events and holds by subject, `CHUNK` ids each; records not
/// erased, `RECORD_ROWS` ids each ([`record_rows`]).
fn statements() -> &'static [String; 3] {
    static TEXT: std::sync::OnceLock<[String; 3]> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let list = slots(1, CHUNK);
        [
            format!(
                "SELECT subject_id, kind, reference, at FROM lifecycle_events WHERE subject_id IN ({list})"
            ),
            format!(
                "SELECT id, subject_id, at, released_at, scope FROM holds WHERE subject_id IN ({list})"
            ),
            format!(
                "SELECT id, subject_id, category, kind, collected_at, reference, accounting, state, dated
                 FROM records WHERE id IN ({}) AND state <> 'erased'",
                slots(1, RECORD_ROWS)
            ),
        ]
    })
}

/// Each subject once, in first-seen order.
fn distinct<'a>(subjects: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::new();
    subjects.filter(|s| seen.insert(*s)).collect()
}

/// What one batch did.
struct Outcome<'p> {
    handled: BTreeMap<(&'p str, Action), u64>,
    /// The subject of each record it handled that had one.
    handled_of: Vec<String>,
    /// The subjects it erased.
    subjects_erased: Vec<String>,
}

impl Outcome<'_> {
    /// Brings `known` up to date with what the batch did.
    fn apply(&self, known: &mut HashMap<String, SubjectStanding>) {
        for subject in &self.handled_of {
            if let Some(s) = known.get_mut(subject) {
                s.records_left = s.records_left.saturating_sub(1);
            }
        }
        for subject in &self.subjects_erased {
            if let Some(s) = known.get_mut(subject) {
                s.pseudonym = None;
            }
        }
    }
}

/// Handles a batch of due records inside a write: the records a chunk of
/// ids per statement, one audit entry per rule and action naming them,
/// then the subjects left with nothing.
/// Anonymises or erases `records` under `rule`, `CHUNK` per statement,
/// with one audit entry naming those it changed (none if it changed
/// none); those, in order.
fn handle_under(
    w: &mut Writer<'_>,
    records: &[i64],
    action: Action,
    rule: &str,
) -> Result<Vec<i64>, StoreError> {
    let mut done = Vec::with_capacity(records.len());
    for chunk in records.chunks(CHUNK) {
        done.extend(w.handle_records(chunk, action, rule)?);
    }
    if !done.is_empty() {
        done.sort_unstable();
        w.audit_retention(rule, action, &done)?;
    }
    Ok(done)
}

/// Handles `batch` inside a write, then erases the subjects some of
/// whose records it erased and who are left with nothing: told where they
/// stand by `known` (the plan's snapshot, current with this sweep's
/// writes) or, without it, by asking the ledger.
fn handle<'p>(
    w: &mut Writer<'_>,
    batch: &[Task<'p>],
    known: Option<&HashMap<String, SubjectStanding>>,
) -> Result<Outcome<'p>, StoreError> {
    let mut by_rule: BTreeMap<(&'p str, Action), Vec<i64>> = BTreeMap::new();
    for t in batch {
        by_rule
            .entry((t.rule, t.action))
            .or_default()
            .push(t.record);
    }
    let mut handled = BTreeMap::new();
    let mut done_any: HashSet<i64> = HashSet::new();
    let mut erased_any: HashSet<i64> = HashSet::new();
    for ((rule, action), records) in &by_rule {
        let done = handle_under(w, records, *action, rule)?;
        if done.is_empty() {
            continue;
        }
        handled.insert((*rule, *action), done.len() as u64);
        if *action == Action::Erase {
            erased_any.extend(done.iter().copied());
        }
        done_any.extend(done);
    }
    let handled_of: Vec<String> = batch
        .iter()
        .filter(|t| done_any.contains(&t.record))
        .filter_map(|t| t.subject.clone())
        .collect();
    // The subjects some of whose records this batch erased.
    let subjects = distinct(
        batch
            .iter()
            .filter(|t| erased_any.contains(&t.record))
            .filter_map(|t| t.subject.as_deref()),
    );
    let subjects_erased = match known {
        None => {
            let standing = subjects_standing(w.sql(), &subjects)?;
            erasable(&subjects, &standing, &HashMap::new())
        }
        Some(known) => {
            let mut now: HashMap<&str, u64> = HashMap::new();
            for s in &handled_of {
                *now.entry(s.as_str()).or_default() += 1;
            }
            let (told, untold): (Vec<&str>, Vec<&str>) =
                subjects.iter().partition(|s| known.contains_key(**s));
            let mut gone = erasable(&told, known, &now);
            if !untold.is_empty() {
                // The ledger's count already leaves out this batch's.
                let standing = subjects_standing(w.sql(), &untold)?;
                gone.extend(erasable(&untold, &standing, &HashMap::new()));
            }
            gone
        }
    };
    let gone: Vec<(&str, &str)> = subjects_erased
        .iter()
        .map(|(s, p)| (s.as_str(), p.as_str()))
        .collect();
    w.erase_subjects(&gone)?;
    Ok(Outcome {
        handled,
        handled_of,
        subjects_erased: subjects_erased.into_iter().map(|(s, _)| s).collect(),
    })
}

/// The (subject, pseudonym) of those among `subjects` whom erasing is
/// due once `handled` more of their records are handled than `standing`
/// counts.
fn erasable(
    subjects: &[&str],
    standing: &HashMap<String, SubjectStanding>,
    handled: &HashMap<&str, u64>,
) -> Vec<(String, String)> {
    subjects
        .iter()
        .filter_map(|s| {
            let mut now = standing.get(*s)?.clone();
            now.records_left = now
                .records_left
                .saturating_sub(handled.get(s).copied().unwrap_or(0));
            Some(((*s).to_owned(), now.erasable()?.to_owned()))
        })
        .collect()
}

/// What an erasure request did: the records erased and those kept, each
/// with every exception of Art. 17(3) that keeps it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Erasure<'p> {
    pub erased: Vec<ErasedRecord<'p>>,
    pub kept: Vec<KeptRecord<'p>>,
    /// Whether the subject is erased too (nothing of theirs is left).
    pub subject_erased: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErasedRecord<'p> {
    pub record: i64,
    pub category: Cow<'p, str>,
    pub kind: Cow<'p, str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeptRecord<'p> {
    pub record: i64,
    pub category: Cow<'p, str>,
    pub kind: Cow<'p, str>,
    pub exceptions: Vec<tillit_core::retention::Exception<'p>>,
}

/// Carries out an erasure request for `subject` inside `w`'s transaction,
/// by the sweep's own statements: erases every record no exception keeps
/// (audited as handled by `handled_by`), and erases the subject too when
/// nothing of theirs is left and no hold stands.
pub fn erase_on_request<'p>(
    w: &mut Writer<'_>,
    schedule: &Schedule<'p>,
    subject: &str,
    handled_by: &str,
    at: Timestamp,
) -> Result<Erasure<'p>, StoreError> {
    use tillit_core::retention::OnErasure;
    let histories = histories_of(w.sql(), schedule, &[subject])?;
    let none = History::default();
    let history = histories.get(subject).unwrap_or(&none);
    let mut erased = Vec::new();
    let mut kept = Vec::new();
    w.sql().for_each(
        "SELECT id, subject_id, category, kind, collected_at, reference, accounting, state, dated
         FROM records WHERE subject_id = $1 AND state <> 'erased' ORDER BY id",
        &[subject.into()],
        &mut |r| {
            let row = record_row(r)?;
            let (kind, category) = match schedule.kind(row.kind) {
                Some((k, c)) => (Cow::Borrowed(k), Cow::Borrowed(c)),
                None => (
                    Cow::Owned(row.kind.to_owned()),
                    Cow::Owned(row.category.to_owned()),
                ),
            };
            match schedule.on_erasure(&row.facts(), history, at) {
                OnErasure::Erase => erased.push(ErasedRecord {
                    record: row.id,
                    category,
                    kind,
                }),
                OnErasure::Keep(exceptions) => kept.push(KeptRecord {
                    record: row.id,
                    category,
                    kind,
                    exceptions,
                }),
                OnErasure::Done => {}
            }
            Ok(())
        },
    )?;
    let ids: Vec<i64> = erased.iter().map(|e| e.record).collect();
    handle_under(w, &ids, Action::Erase, handled_by)?;
    let subject_erased = w.erase_subjects_if_empty(&[subject])? > 0;
    Ok(Erasure {
        erased,
        kept,
        subject_erased,
    })
}
