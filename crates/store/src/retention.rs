//! Retention against the ledger: where every record stands (core's
//! [`Schedule`] over the ledger's lifecycle events and holds), the plan of
//! what falls due, and the sweep that carries it out.
//!
//! **Invariant:** the sweep does exactly what the plan at the same instant
//! says, each record once. It plans with one read, then handles the due
//! records a batch per transaction, each batch with its audit entries. A
//! batch re-reads what it handles when anyone else wrote since the plan
//! (the chain's head moved): a record handled by another sweep, or no
//! longer due because a contract re-opened or a hold was placed, is left
//! alone. Killed at any point, a sweep run again finds only what is still
//! due.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use tillit_core::retention::{
    Action, History, HoldSpan, LifecycleEvent, RecordFacts, RecordState, Retention, Schedule,
};

use crate::sql::{Row, Sql, Value};
use crate::{Ledger, StoreError, Writer};

/// Records per bulk re-read: the statements have this many `IN` slots.
const CHUNK: usize = 128;

/// One record and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub record: i64,
    /// `None` once the record is anonymised.
    pub subject: Option<String>,
    pub category: String,
    pub kind: String,
    pub retention: Retention,
}

/// The columns a record's standing needs, in this order.
const RECORD_COLUMNS: &str =
    "id, subject_id, category, kind, collected_at, reference, accounting, state";

struct RecordRow<'r> {
    id: i64,
    subject: Option<&'r str>,
    category: &'r str,
    kind: &'r str,
    collected_at: Timestamp,
    reference: Option<&'r str>,
    accounting: bool,
    state: RecordState,
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
    })
}

fn time(m: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(m)
        .map_err(|e| StoreError::Corrupt(format!("time {m} is out of range: {e}")))
}

impl RecordRow<'_> {
    fn standing(&self, schedule: &Schedule<'_>, history: &History, at: Timestamp) -> Standing {
        let facts = RecordFacts {
            category: self.category,
            kind: self.kind,
            collected_at: self.collected_at,
            reference: self.reference,
            accounting: self.accounting,
            state: self.state,
        };
        Standing {
            record: self.id,
            subject: self.subject.map(str::to_owned),
            category: self.category.to_owned(),
            kind: self.kind.to_owned(),
            retention: schedule.due(&facts, history, at),
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
        "SELECT id, subject_id, at, released_at FROM holds",
        &[],
        &mut |r| add_hold(&mut histories, r),
    )?;
    Ok(histories)
}

/// Hands `each` the standing at `at` of every record not erased yet, in
/// the order the table holds them. One read: one snapshot.
pub fn scan(
    ledger: &mut Ledger,
    schedule: &Schedule<'_>,
    at: Timestamp,
    each: &mut dyn FnMut(Standing) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    ledger.read_with(|sql| scan_in(sql, schedule, at, each).map(drop))
}

/// The scan, inside a read; the chain's head it saw.
fn scan_in(
    sql: &mut dyn Sql,
    schedule: &Schedule<'_>,
    at: Timestamp,
    each: &mut dyn FnMut(Standing) -> Result<(), StoreError>,
) -> Result<i64, StoreError> {
    let head = sql
        .query_one("SELECT seq FROM audit_head WHERE id = 1", &[])?
        .int(0)?;
    let relevant = schedule.relevant_events();
    let histories = all_histories(sql, &relevant)?;
    let none = History::default();
    sql.for_each(
        "SELECT id, subject_id, category, kind, collected_at, reference, accounting, state
         FROM records WHERE state <> 'erased'",
        &[],
        &mut |r| {
            let row = record_row(r)?;
            let history = row.subject.and_then(|s| histories.get(s)).unwrap_or(&none);
            each(row.standing(schedule, history, at))
        },
    )?;
    Ok(head)
}

/// What falls due by a day, grouped for a DPO.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The instant the ledger was judged at.
    pub at: Timestamp,
    /// Everything due at or before this instant is listed.
    pub until: Timestamp,
    /// Records not erased yet.
    pub records: u64,
    /// Due by `until`: (rule, action, day) → records.
    pub due: Vec<PlanGroup>,
    /// Kept with no day, or with a day after `until`, by why.
    pub kept: BTreeMap<String, u64>,
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

/// Plans retention at `at`: every record due by `until` goes to `each`
/// (with its standing) and into the plan's groups.
pub fn plan(
    ledger: &mut Ledger,
    schedule: &Schedule<'_>,
    at: Timestamp,
    until: Timestamp,
    each: &mut dyn FnMut(&Standing) -> Result<(), StoreError>,
) -> Result<Plan, StoreError> {
    let mut groups: BTreeMap<(Date, String, Action), u64> = BTreeMap::new();
    let mut plan = Plan {
        at,
        until,
        ..Plan::default()
    };
    scan(ledger, schedule, at, &mut |s| {
        plan.records += 1;
        match s.retention.due_at(until) {
            Some(due) => {
                *groups
                    .entry((due.on, due.rule.clone(), due.action))
                    .or_default() += 1;
                each(&s)
            }
            None => {
                *plan.kept.entry(kept_key(&s.retention)).or_default() += 1;
                Ok(())
            }
        }
    })?;
    plan.due = groups
        .into_iter()
        .map(|((due, rule, action), records)| PlanGroup {
            rule,
            action,
            due,
            records,
        })
        .collect();
    Ok(plan)
}

/// One record the sweep is to handle.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Task {
    record: i64,
    subject: Option<String>,
    action: Action,
    rule: String,
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
}

/// The tables erasure removes rows or content from.
const ERASED_FROM: &[&str] = &[
    "records",
    "identifiers",
    "consents",
    "lifecycle_events",
    "objections",
    "restrictions",
    "holds",
    "disclosure_subjects",
    "decision_facts",
];

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

/// Erases and anonymises everything due at `options.at`, a batch per
/// transaction; `progress` is told (handled so far, due).
pub fn sweep(
    ledger: &mut Ledger,
    schedule: &Schedule<'_>,
    options: SweepOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SweepSummary, StoreError> {
    let at = options.at;
    let mut tasks = Vec::new();
    let mut head = 0;
    ledger.read_with(|sql| {
        head = scan_in(sql, schedule, at, &mut |s| {
            if let Some(due) = s.retention.due_at(at) {
                tasks.push(Task {
                    record: s.record,
                    subject: s.subject,
                    action: due.action,
                    rule: due.rule.clone(),
                });
            }
            Ok(())
        })?;
        Ok(())
    })?;
    // A subject's records together, so that it is erased in the batch
    // that handles its last one.
    tasks.sort_by(|a, b| (&a.subject, a.record).cmp(&(&b.subject, b.record)));
    let mut summary = SweepSummary {
        at,
        due: tasks.len() as u64,
        ..SweepSummary::default()
    };
    if options.dry_run {
        for t in &tasks {
            *summary
                .handled
                .entry(t.rule.clone())
                .or_default()
                .entry(t.action)
                .or_default() += 1;
        }
        return Ok(summary);
    }
    let total = summary.due;
    let mut done = 0;
    for batch in tasks.chunks(options.batch.max(1)) {
        let outcome = ledger.write(at, |w| {
            let fresh = w.chain_seq() == head;
            let batch = if fresh {
                batch.to_vec()
            } else {
                recheck(w.sql(), schedule, batch, at)?
            };
            let outcome = handle(w, &batch)?;
            Ok((outcome, w.chain_seq()))
        })?;
        let (outcome, new_head) = outcome;
        head = new_head;
        summary.batches += 1;
        for (rule, actions) in outcome.handled {
            for (action, n) in actions {
                *summary
                    .handled
                    .entry(rule.clone())
                    .or_default()
                    .entry(action)
                    .or_default() += n;
            }
        }
        summary.subjects_erased += outcome.subjects_erased;
        done += batch.len() as u64;
        progress(done, total);
    }
    summary.skipped = summary.due.saturating_sub(summary.total_handled());
    if options.purge && summary.total_handled() > 0 {
        ledger.purge(ERASED_FROM)?;
        summary.purged = true;
    }
    Ok(summary)
}

/// The batch's tasks that are still due, judged on what the ledger holds
/// now, inside the batch's transaction.
fn recheck(
    sql: &mut dyn Sql,
    schedule: &Schedule<'_>,
    batch: &[Task],
    at: Timestamp,
) -> Result<Vec<Task>, StoreError> {
    let relevant = schedule.relevant_events();
    let subjects: Vec<&str> = {
        let mut seen = HashSet::new();
        batch
            .iter()
            .filter_map(|t| t.subject.as_deref())
            .filter(|s| seen.insert(*s))
            .collect()
    };
    let mut histories = HashMap::new();
    for chunk in subjects.chunks(CHUNK) {
        let params = padded(chunk.iter().map(|s| Value::from(*s)));
        sql.for_each(statements().events, &params, &mut |r| {
            add_event(&mut histories, &relevant, r)
        })?;
        sql.for_each(statements().holds, &params, &mut |r| {
            add_hold(&mut histories, r)
        })?;
    }
    let none = History::default();
    let mut still = Vec::with_capacity(batch.len());
    for chunk in batch.chunks(CHUNK) {
        let params = padded(chunk.iter().map(|t| Value::Int(t.record)));
        let mut seen = HashSet::new();
        sql.for_each(statements().records, &params, &mut |r| {
            let row = record_row(r)?;
            if !seen.insert(row.id) {
                return Ok(());
            }
            let history = row.subject.and_then(|s| histories.get(s)).unwrap_or(&none);
            if let Some(due) = row.standing(schedule, history, at).retention.due_at(at) {
                still.push(Task {
                    record: row.id,
                    subject: row.subject.map(str::to_owned),
                    action: due.action,
                    rule: due.rule.clone(),
                });
            }
            Ok(())
        })?;
    }
    still.sort_by(|a, b| (&a.subject, a.record).cmp(&(&b.subject, b.record)));
    Ok(still)
}

/// `CHUNK` parameters, padded with the last.
fn padded(values: impl Iterator<Item = Value>) -> Vec<Value> {
    let mut params: Vec<Value> = values.collect();
    if let Some(last) = params.last().cloned() {
        params.resize(CHUNK, last);
    }
    params
}

struct Statements {
    events: &'static str,
    holds: &'static str,
    records: &'static str,
}

fn statements() -> &'static Statements {
    static TEXT: std::sync::OnceLock<Statements> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        let slots: Vec<String> = (1..=CHUNK).map(|i| format!("${i}")).collect();
        let list = slots.join(", ");
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        Statements {
            events: leak(format!(
                "SELECT subject_id, kind, reference, at FROM lifecycle_events WHERE subject_id IN ({list})"
            )),
            holds: leak(format!(
                "SELECT id, subject_id, at, released_at FROM holds WHERE subject_id IN ({list})"
            )),
            records: leak(format!(
                "SELECT {RECORD_COLUMNS} FROM records WHERE id IN ({list}) AND state <> 'erased'"
            )),
        }
    })
}

/// What one batch did.
struct Outcome {
    handled: BTreeMap<String, BTreeMap<Action, u64>>,
    subjects_erased: u64,
}

/// Handles a batch of due records inside a write: one audit entry per rule
/// and action naming the records, then the subjects left with nothing.
fn handle(w: &mut Writer<'_>, batch: &[Task]) -> Result<Outcome, StoreError> {
    let mut by_rule: BTreeMap<(&str, Action), Vec<i64>> = BTreeMap::new();
    let mut erased_from: Vec<&str> = Vec::new();
    for t in batch {
        if w.handle_record(t.record, t.action, &t.rule)? {
            by_rule
                .entry((&t.rule, t.action))
                .or_default()
                .push(t.record);
            if let (Action::Erase, Some(s)) = (t.action, &t.subject)
                && erased_from.last() != Some(&s.as_str())
            {
                erased_from.push(s);
            }
        }
    }
    let mut handled: BTreeMap<String, BTreeMap<Action, u64>> = BTreeMap::new();
    for ((rule, action), records) in &by_rule {
        w.audit_retention(rule, *action, records)?;
        handled
            .entry((*rule).to_owned())
            .or_default()
            .insert(*action, records.len() as u64);
    }
    let mut subjects_erased = 0;
    for s in erased_from {
        if w.erase_subject_if_empty(s)? {
            subjects_erased += 1;
        }
    }
    Ok(Outcome {
        handled,
        subjects_erased,
    })
}
