//! `tillit decide`: may this role process this category of this subject's
//! data for this purpose now, and why.

use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use jiff::ZonedDateTime as Zoned;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use tillit_core::decide::{Decision, Explanation, Operation, Request, Rules};
use tillit_core::identity::SubjectId;
use tillit_store::decisions::Decider;

use super::{Context, emit_json, say, subject_id};
use crate::at;

/// Exit code of a denied decision.
pub const DENIED: u8 = 3;

/// Decide whether processing is lawful, and say why.
///
/// One decision: exit 0 if allowed, 3 if denied (1 if the ledger or policy
/// could not be read, 2 if the command line is wrong). The reason is given
/// in Swedish and English; `--json` adds the basis, the rule that decided
/// and the rights the basis gives.
///
/// A name the policy does not know (a purpose, category or role) is a
/// denial, not an error, so that a typo fails closed.
///
/// Batch mode (`--batch`) reads JSON lines from stdin, one request each:
///
///   {"subject": "c-000001", "role": "marketing", "purpose": "marketing",
///    "category": "traffic", "at": "2026-02-01T09:00:00Z"}
///
/// (`at` defaults to `--at` or now; `anonymised` and `operation` are
/// optional) and writes one JSON decision per line, in the same order. A
/// line that is not a request gets {"line": N, "error": "…"} in its place;
/// the batch then exits 1, else 0 whatever was allowed.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  tillit decide --subject c-000001 --role marketing --purpose marketing --category traffic\n  tillit decide --subject c-000001 --role analyst --purpose service-development --category customer --anonymised --json\n  tillit decide --batch < requests.jsonl > decisions.jsonl"
)]
pub struct Args {
    /// The subject whose data would be processed.
    #[arg(long, value_parser = subject_id, required_unless_present = "batch")]
    subject: Option<SubjectId>,
    /// The role asking, e.g. support, marketing, analyst.
    #[arg(long, required_unless_present = "batch")]
    role: Option<String>,
    /// The purpose, e.g. marketing, service-provision.
    #[arg(long, required_unless_present = "batch")]
    purpose: Option<String>,
    /// The category of data, e.g. customer, traffic.
    #[arg(long, required_unless_present = "batch")]
    category: Option<String>,
    /// Only anonymised records or aggregates are processed (what an
    /// anonymised-only purpose needs).
    #[arg(long)]
    anonymised: bool,
    /// What is done: `use` (any processing) or `store` (only keeping it,
    /// which a restriction allows).
    #[arg(long, value_enum, default_value = "use")]
    operation: OperationArg,
    /// Decide as of this time (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Read requests as JSON lines from stdin; write decisions as JSON
    /// lines to stdout.
    #[arg(long, conflicts_with_all = ["subject", "role", "purpose", "category", "json"])]
    batch: bool,
    /// With --batch: load every subject's state first, by full scans.
    /// Faster when the batch touches much of the ledger; holds it all in
    /// memory.
    #[arg(long, requires = "batch")]
    preload: bool,
    /// Subjects' states kept in memory while deciding.
    #[arg(long, default_value_t = 250_000, value_name = "N")]
    cache_subjects: usize,
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum OperationArg {
    Use,
    Store,
}

impl From<OperationArg> for Operation {
    fn from(o: OperationArg) -> Operation {
        match o {
            OperationArg::Use => Operation::Use,
            OperationArg::Store => Operation::Store,
        }
    }
}

/// One decision as reported.
#[derive(Serialize)]
struct Report<'a> {
    subject: &'a str,
    role: &'a str,
    purpose: &'a str,
    category: &'a str,
    at: jiff::Timestamp,
    #[serde(flatten)]
    decision: Explanation,
}

pub fn run(cx: &Context, a: Args) -> anyhow::Result<ExitCode> {
    let at = at::or_now(a.at.clone())?.timestamp();
    let policy = cx.policy()?;
    let tz = at::zone()?;
    let mut ledger = cx.ledger()?;
    let decider = Decider::new(Rules::new(&policy), a.cache_subjects, &mut ledger);
    if a.batch {
        if a.preload {
            decider.preload(&mut ledger)?;
        }
        return batch(&decider, &mut ledger, at, &tz);
    }
    let (Some(subject), Some(role), Some(purpose), Some(category)) =
        (&a.subject, &a.role, &a.purpose, &a.category)
    else {
        anyhow::bail!("give --subject, --role, --purpose and --category, or --batch");
    };
    let rules = decider.rules();
    let mut request = rules.request(role, purpose, category, at);
    request.anonymised = a.anonymised;
    request.operation = a.operation.into();
    let d = decider.decide(&mut ledger, subject, &request)?;
    let explained = rules.explain(&d, &request, &tz);
    if a.json {
        emit_json(&Report {
            subject: subject.as_str(),
            role,
            purpose,
            category,
            at,
            decision: explained,
        })?;
    } else {
        let verdict = if d.allowed { "allowed" } else { "denied" };
        let basis = explained
            .basis
            .map_or(String::new(), |b| format!(", basis {b}"));
        say(&format!(
            "{verdict} ({}{basis})\n  sv: {}\n  en: {}",
            explained.rule, explained.reason.sv, explained.reason.en
        ))?;
    }
    Ok(if d.allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(DENIED)
    })
}

/// A request line.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    #[serde(borrow)]
    subject: Cow<'a, str>,
    #[serde(borrow)]
    role: Cow<'a, str>,
    #[serde(borrow)]
    purpose: Cow<'a, str>,
    #[serde(borrow)]
    category: Cow<'a, str>,
    #[serde(default)]
    at: Option<jiff::Timestamp>,
    #[serde(default)]
    anonymised: bool,
    #[serde(default)]
    operation: Operation,
}

#[derive(Serialize)]
struct LineError<'a> {
    line: u64,
    error: &'a str,
}

/// Lines decided together: their states load in one go.
const BATCH: usize = 4096;

/// A chunk of lines, decided: each line's request and decision, or why it
/// is not a request.
type Decided = Vec<Result<(SubjectId, Request, Decision), String>>;

/// Decides on this thread and reports on a second: while one chunk's
/// states load and its decisions are made, the chunk before is explained
/// and written, in order.
fn batch(
    decider: &Decider,
    ledger: &mut tillit_store::Ledger,
    at: jiff::Timestamp,
    tz: &TimeZone,
) -> anyhow::Result<ExitCode> {
    let (chunks, decided) = std::sync::mpsc::sync_channel::<Decided>(2);
    std::thread::scope(|scope| {
        let rules = decider.rules();
        let reporter = scope.spawn(move || report(rules, tz, decided));
        let deciding = decide_lines(decider, ledger, at, &chunks);
        // The reporter stops at the end of input, or early when stdout is
        // closed; either way it says what it wrote.
        drop(chunks);
        let reported = reporter
            .join()
            .map_err(|_| anyhow::anyhow!("the thread writing decisions failed"))?;
        let reported = reported?;
        deciding?;
        match reported {
            Reported::Closed => Ok(ExitCode::SUCCESS),
            Reported::All { bad: 0 } => Ok(ExitCode::SUCCESS),
            Reported::All { bad } => {
                eprintln!(
                    "error: {bad} line(s) were not requests; see the \"error\" lines in the output"
                );
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

/// Reads stdin a chunk at a time, decides it, and hands it on; stops
/// early if the reporter has gone.
fn decide_lines(
    decider: &Decider,
    ledger: &mut tillit_store::Ledger,
    at: jiff::Timestamp,
    chunks: &std::sync::mpsc::SyncSender<Decided>,
) -> anyhow::Result<()> {
    let mut lines = std::io::stdin().lock().lines();
    let mut texts: Vec<String> = Vec::with_capacity(BATCH);
    loop {
        texts.clear();
        for line in lines.by_ref().take(BATCH) {
            texts.push(line.context("cannot read standard input")?);
        }
        if texts.is_empty() {
            return Ok(());
        }
        // Parse every line first; what is malformed keeps its place.
        let parsed: Vec<Result<(SubjectId, Request), String>> = texts
            .iter()
            .map(|text| parse_line(decider.rules(), text, at))
            .collect();
        let requests: Vec<(SubjectId, Request)> = parsed
            .iter()
            .filter_map(|p| p.as_ref().ok().cloned())
            .collect();
        let mut decisions = decider.decide_all(ledger, &requests)?.into_iter();
        let mut chunk = Vec::with_capacity(parsed.len());
        for p in parsed {
            chunk.push(match p {
                Ok((subject, request)) => {
                    let d = decisions
                        .next()
                        .ok_or_else(|| anyhow::anyhow!("a decision went missing in the batch"))?;
                    Ok((subject, request, d))
                }
                Err(e) => Err(e),
            });
        }
        if chunks.send(chunk).is_err() {
            // The reporter stopped: stdout is closed.
            return Ok(());
        }
    }
}

/// Explains and writes each decision as a JSON line.
fn report(
    rules: &Rules,
    tz: &TimeZone,
    decided: std::sync::mpsc::Receiver<Decided>,
) -> anyhow::Result<Reported> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut number = 0u64;
    let mut bad = 0u64;
    for chunk in decided {
        for line in &chunk {
            number += 1;
            let written = match line {
                Ok((subject, request, d)) => {
                    let (role, purpose, category) = rules.names(request);
                    let report = Report {
                        subject: subject.as_str(),
                        role,
                        purpose,
                        category,
                        at: request.at,
                        decision: rules.explain(d, request, tz),
                    };
                    serde_json::to_writer(&mut out, &report)
                }
                Err(e) => {
                    bad += 1;
                    serde_json::to_writer(
                        &mut out,
                        &LineError {
                            line: number,
                            error: e,
                        },
                    )
                }
            };
            let written = written
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"));
            match written {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    return Ok(Reported::Closed);
                }
                other => other.context("cannot write to standard output")?,
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Reported::Closed),
        other => other
            .context("cannot write to standard output")
            .map(|()| Reported::All { bad }),
    }
}

/// How the reporting ended.
enum Reported {
    /// Every line was written; this many were not requests.
    All { bad: u64 },
    /// Whoever read stdout stopped reading (`| head`): not an error.
    Closed,
}

fn parse_line(
    rules: &Rules,
    text: &str,
    at: jiff::Timestamp,
) -> Result<(SubjectId, Request), String> {
    let line: Line<'_> = serde_json::from_str(text).map_err(|e| {
        format!("not a request: {e}; write {{\"subject\": \"c-000001\", \"role\": \"…\", \"purpose\": \"…\", \"category\": \"…\"}}")
    })?;
    let subject = SubjectId::parse(&line.subject).map_err(|e| e.to_string())?;
    let mut request = rules.request(
        &line.role,
        &line.purpose,
        &line.category,
        line.at.unwrap_or(at),
    );
    request.anonymised = line.anonymised;
    request.operation = line.operation;
    Ok((subject, request))
}
