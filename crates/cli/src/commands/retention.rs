//! `tillit retention plan|sweep`

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use jiff::ZonedDateTime as Zoned;
use serde_json::json;
use tillit_core::Lang;
use tillit_core::retention::{Action, Schedule};
use tillit_store::retention::{self, Plan, Standing, SweepOptions, SweepSummary};

use super::{Context, emit_json, say};
use crate::{at, progress};

/// Retention: when each record falls due (from the policy's rules, the
/// lifecycle events and legal holds), and the sweep that erases or
/// anonymises what is due.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    Plan(PlanArgs),
    Sweep(SweepArgs),
}

/// Show what falls due, by rule and day; with `--all`, also what is kept and why.
///
/// Nothing is changed. `--json` lists every record due (record, subject,
/// category, kind, action, due, rule, reason in Swedish and English). A
/// `sweep --at T` does exactly what `plan --at T` lists.
#[derive(clap::Args, Debug)]
pub struct PlanArgs {
    /// Judge the ledger as it stands at this time (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// List what falls due up to this time, judged on what the ledger
    /// holds at `--at` (default: the same as `--at`).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    until: Option<Zoned>,
    /// Judge every record, not only those that may be due, and count what
    /// is kept and why (an active customer, an unpaid invoice, a legal
    /// hold, …). Reads the whole ledger.
    #[arg(long)]
    all: bool,
    /// Report as JSON, with every record due.
    #[arg(long)]
    json: bool,
}

/// Erase or anonymise everything due, a batch per transaction.
///
/// Erasure removes a record's payload, reference and register from the
/// database and leaves a tombstone (id, category, kind, when, the rule);
/// anonymisation cuts a record from its subject. Each batch writes one
/// audit entry per rule naming its records. A subject with nothing left is
/// erased too, down to its id and pseudonym. Afterwards the freed space is
/// purged from disk (SQLite: the write-ahead log is checkpointed and
/// truncated; PostgreSQL: `VACUUM FULL` of the tables erasure touched,
/// which locks each while it runs).
///
/// Safe to stop and run again: each batch commits whole, and a new run
/// finds only what is still due. Two sweeps at once never handle a record
/// twice.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Handle what is due at this time (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Say what would be handled; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Records per transaction.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000), value_name = "N")]
    batch: u64,
    /// Leave freed space on disk as it is (purge later with another sweep).
    #[arg(long)]
    no_purge: bool,
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cx: &Context, command: Command) -> anyhow::Result<ExitCode> {
    let policy = cx.policy()?;
    let schedule = Schedule::new(&policy, at::zone()?);
    let mut ledger = cx.ledger()?;
    match command {
        Command::Plan(a) => {
            let at = at::or_now(a.at)?;
            let until = a.until.unwrap_or_else(|| at.clone());
            anyhow::ensure!(
                until.timestamp() >= at.timestamp(),
                "--until ({}) is before --at ({}): a plan looks ahead",
                at::shown(until.timestamp()),
                at::shown(at.timestamp())
            );
            let (plan, due) = retention::plan(
                &mut ledger,
                &schedule,
                at.timestamp(),
                until.timestamp(),
                a.all,
            )?;
            if a.json {
                plan_json(&plan, &due)?;
            } else {
                say(&plan_text(&plan))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sweep(a) => {
            let at = at::or_now(a.at)?;
            let bar = progress::bar(0, if a.dry_run { "planning" } else { "sweeping" });
            let summary = retention::sweep(
                &mut ledger,
                &schedule,
                SweepOptions {
                    at: at.timestamp(),
                    batch: usize::try_from(a.batch).unwrap_or(usize::MAX),
                    dry_run: a.dry_run,
                    purge: !a.no_purge,
                },
                &mut |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                },
            )?;
            bar.finish_and_clear();
            if a.json {
                emit_json(&json!({
                    "dry_run": a.dry_run,
                    "summary": summary,
                    "handled": summary.total_handled(),
                }))?;
            } else {
                say(&sweep_text(&summary, a.dry_run))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn plan_text(plan: &Plan) -> String {
    let records = plan
        .records
        .map(|n| format!("{n} records, "))
        .unwrap_or_default();
    let mut out = format!(
        "Retention at {}: {records}{} due by {}.\n",
        at::shown(plan.at),
        plan.total_due(),
        at::shown(plan.until)
    );
    // By rule and action: how many, and between which days.
    let mut rows: std::collections::BTreeMap<
        (&str, Action),
        (u64, jiff::civil::Date, jiff::civil::Date),
    > = std::collections::BTreeMap::new();
    for g in &plan.due {
        let row = rows
            .entry((g.rule.as_str(), g.action))
            .or_insert((0, g.due, g.due));
        row.0 += g.records;
        row.1 = row.1.min(g.due);
        row.2 = row.2.max(g.due);
    }
    if !rows.is_empty() {
        out.push_str(&format!(
            "\n  {:<16}  {:<10}  {:>9}  {:<10}  {:<10}\n",
            "rule", "action", "records", "first due", "last due"
        ));
        for ((rule, action), (n, first, last)) in rows {
            out.push_str(&format!(
                "  {rule:<16}  {:<10}  {n:>9}  {first}  {last}\n",
                action.id(),
            ));
        }
    }
    if let Some(kept) = &plan.kept {
        out.push_str("\nNot due:\n");
        for (why, n) in kept {
            out.push_str(&format!("  {why:<28} {n:>9}\n"));
        }
    }
    out.push_str(
        "\n`tillit retention sweep --at TIME` handles what is due then; `--json` lists every record and day",
    );
    out.push_str(if plan.kept.is_some() {
        "."
    } else {
        "; `--all` counts what is kept and why."
    });
    out
}

fn sweep_text(s: &SweepSummary, dry_run: bool) -> String {
    let verb = if dry_run { "would handle" } else { "handled" };
    let mut out = format!(
        "Retention sweep at {}: {} {verb} of {} due",
        at::shown(s.at),
        if dry_run { s.due } else { s.total_handled() },
        s.due
    );
    if !dry_run {
        out.push_str(&format!(
            " in {} batch{}",
            s.batches,
            if s.batches == 1 { "" } else { "es" }
        ));
    }
    out.push_str(".\n");
    for (rule, actions) in &s.handled {
        for (action, n) in actions {
            let what = match action {
                Action::Erase => "erased",
                Action::Anonymise => "anonymised",
            };
            out.push_str(&format!("  {rule:<16} {what:<10} {n:>9}\n"));
        }
    }
    if s.skipped > 0 {
        out.push_str(&format!(
            "  {} no longer due or handled by another sweep when their batch ran\n",
            s.skipped
        ));
    }
    if s.subjects_erased > 0 {
        out.push_str(&format!(
            "  {} subject{} erased: nothing of theirs was left\n",
            s.subjects_erased,
            if s.subjects_erased == 1 { "" } else { "s" }
        ));
    }
    if s.purged {
        out.push_str("  freed space purged from disk\n");
    }
    out.trim_end().to_owned()
}

/// The plan as one JSON document, a record due per line, streamed. A
/// reader that stops early is not an error.
fn plan_json(plan: &Plan, due: &[Standing<'_>]) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut write = || -> std::io::Result<()> {
        out.write_all(b"{\"records\": [\n")?;
        let records = due
            .iter()
            .filter_map(|s| Some((s, s.retention.due_at(plan.until)?)));
        for (i, (s, due)) in records.enumerate() {
            if i > 0 {
                out.write_all(b",\n")?;
            }
            let item = json!({
                "record": s.record,
                "subject": s.subject,
                "category": s.category,
                "kind": s.kind,
                "action": due.action,
                "due": due.on,
                "rule": due.rule,
                "reason": {
                    "sv": due.reason(Lang::Sv),
                    "en": due.reason(Lang::En),
                },
            });
            serde_json::to_writer(&mut out, &item)?;
        }
        // The rest of the document after the records.
        let tail = json!({
            "at": plan.at,
            "until": plan.until,
            "judged": plan.records,
            "due": plan.due,
            "kept": plan.kept,
        })
        .to_string();
        let rest = tail.strip_prefix('{').unwrap_or(&tail);
        writeln!(out, "\n], {rest}")?;
        out.flush()
    };
    match write() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}
