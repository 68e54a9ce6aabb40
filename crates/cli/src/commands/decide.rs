//! `tillit decide`: may this role process this category of this subject's
//! data for this purpose now, and why.

use std::borrow::Cow;
use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context as _;
use jiff::ZonedDateTime as Zoned;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use tillit_core::decide::{
    CategoryIx, Decision, Explanation, Named, Operation, PurposeIx, Request, RoleIx, Rules,
};
use tillit_core::identity::SubjectId;
use tillit_store::decisions::{Decider, Follower};

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
///
/// Input is read and decided in chunks of up to 1,048,576 lines, each
/// written once it is decided. A chunk that names many subjects (an
/// eighth of the ledger or more) is decided by one pass over every
/// subject's facts; a smaller one by loading the states it names.
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
        // Writes by other processes while the batch runs reach each chunk.
        let follower = Follower::new(&cx.db, std::sync::Arc::clone(decider.cache()))?;
        if a.preload {
            decider.preload(&mut ledger)?;
        }
        return batch(&decider, &follower, &mut ledger, at, &tz);
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

/// Lines read and decided together, at most: a batch that names much of
/// the ledger is decided by one pass over it per chunk.
const CHUNK: usize = 1 << 20;

/// Lines decided together by keyed loads: their states load in one go.
const KEYED: usize = 4096;

/// A chunk of requests decides by one pass over every subject's facts
/// once it names at least this many: a scan costs about what keyed loads
/// of an eighth of the ledger do.
const SCAN_SHARE: u64 = 8;

/// Lines of input, parsed.
struct Chunk {
    /// The number of its first line, counted from 1.
    first: u64,
    requests: Vec<(SubjectId, Request)>,
    /// The lines that are not requests: their place in the chunk, and
    /// why; in order.
    bad: Vec<(usize, String)>,
}

impl Chunk {
    fn lines(&self) -> usize {
        self.requests.len() + self.bad.len()
    }
}

/// What the writer is handed, in input order.
enum Output {
    /// Lines decided, to explain and write: each line's request and
    /// decision, or why it is not a request.
    Decided(Vec<Result<(SubjectId, Request, Decision), String>>),
    /// Lines already written as JSON, in order: this many, `bad` of which
    /// were not requests.
    Written { text: Vec<u8>, lines: u64, bad: u64 },
}

/// Writes decisions as JSON lines. What follows the request's own fields
/// (verdict, basis, rule, reasons, rights) depends only on the decision
/// and the names asked about, so it is written once per such pair and
/// copied after: most of a batch repeats a few thousand of them.
struct Explainer<'r> {
    rules: &'r Rules,
    tz: &'r TimeZone,
    tails: HashMap<TailKey, Box<[u8]>, foldhash::fast::RandomState>,
}

type TailKey = (Decision, Named<RoleIx>, Named<PurposeIx>, Named<CategoryIx>);

/// Distinct explanations kept; beyond, each is written afresh.
const TAILS: usize = 16_384;

impl<'r> Explainer<'r> {
    fn new(rules: &'r Rules, tz: &'r TimeZone) -> Self {
        Explainer {
            rules,
            tz,
            tails: HashMap::default(),
        }
    }

    /// One decision as a JSON line, as [`Report`] serialises it.
    fn write(
        &mut self,
        out: &mut impl Write,
        subject: &SubjectId,
        request: &Request,
        d: &Decision,
    ) -> std::io::Result<()> {
        let (role, purpose, category) = self.rules.names(request);
        for (key, value) in [
            ("{\"subject\":", subject.as_str()),
            (",\"role\":", role),
            (",\"purpose\":", purpose),
            (",\"category\":", category),
        ] {
            out.write_all(key.as_bytes())?;
            serde_json::to_writer(&mut *out, value)?;
        }
        out.write_all(b",\"at\":")?;
        serde_json::to_writer(&mut *out, &request.at)?;
        out.write_all(b",")?;
        let key = (
            *d,
            request.role.clone(),
            request.purpose.clone(),
            request.category.clone(),
        );
        if let Some(tail) = self.tails.get(&key) {
            out.write_all(tail)?;
        } else {
            let tail = self.tail(request, d)?;
            out.write_all(&tail)?;
            if self.tails.len() < TAILS {
                self.tails.insert(key, tail);
            }
        }
        out.write_all(b"\n")
    }

    /// The explanation's fields and the closing brace.
    fn tail(&self, request: &Request, d: &Decision) -> std::io::Result<Box<[u8]>> {
        let mut json = serde_json::to_vec(&self.rules.explain(d, request, self.tz))?;
        // `{"allowed":…}` without its opening brace.
        json.remove(0);
        Ok(json.into_boxed_slice())
    }
}

/// Decides on this thread and writes on a second: while one chunk's
/// states load and its decisions are made, the chunk before is explained
/// and written, in order.
fn batch(
    decider: &Decider,
    follower: &Follower,
    ledger: &mut tillit_store::Ledger,
    at: jiff::Timestamp,
    tz: &TimeZone,
) -> anyhow::Result<ExitCode> {
    let (outputs, received) = std::sync::mpsc::sync_channel::<Output>(2);
    std::thread::scope(|scope| {
        let rules = decider.rules();
        let writer = scope.spawn(move || write_out(rules, tz, received));
        let deciding = decide_lines(decider, follower, ledger, at, tz, &outputs);
        // The writer stops at the end of input, or early when stdout is
        // closed; either way it says what it wrote.
        drop(outputs);
        let written = writer
            .join()
            .map_err(|_| anyhow::anyhow!("the thread writing decisions failed"))?;
        let written = written?;
        deciding?;
        match written {
            Written::Closed => Ok(ExitCode::SUCCESS),
            Written::All { bad: 0 } => Ok(ExitCode::SUCCESS),
            Written::All { bad } => {
                eprintln!(
                    "error: {bad} line(s) were not requests; see the \"error\" lines in the output"
                );
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

/// Reads stdin a chunk at a time, decides it, and hands it on; stops
/// early if the writer has gone.
fn decide_lines(
    decider: &Decider,
    follower: &Follower,
    ledger: &mut tillit_store::Ledger,
    at: jiff::Timestamp,
    tz: &TimeZone,
    outputs: &std::sync::mpsc::SyncSender<Output>,
) -> anyhow::Result<()> {
    let mut lines = std::io::stdin().lock().lines();
    let mut first = 1;
    let mut ledger_subjects = None;
    loop {
        let mut texts = Vec::new();
        for line in lines.by_ref().take(CHUNK) {
            texts.push(line.context("cannot read standard input")?);
        }
        if texts.is_empty() {
            return Ok(());
        }
        let chunk = parse_chunk(decider.rules(), &texts, first, at);
        drop(texts);
        follower.fresh()?;
        first += chunk.lines() as u64;
        let scan = chunk.requests.len() >= KEYED && {
            let n = match ledger_subjects {
                Some(n) => n,
                None => *ledger_subjects.insert(decider.subjects(ledger)?),
            };
            chunk.requests.len() as u64 * SCAN_SHARE >= n
        };
        let sent = if scan {
            decide_by_scan(decider, ledger, tz, &chunk, outputs)?
        } else {
            decide_keyed(decider, ledger, chunk, outputs)?
        };
        if !sent {
            // The writer stopped: stdout is closed.
            return Ok(());
        }
    }
}

/// Parses a chunk's lines, on both cores; what is malformed keeps its
/// place.
fn parse_chunk(rules: &Rules, texts: &[String], first: u64, at: jiff::Timestamp) -> Chunk {
    let parse = |texts: &[String], offset: usize| {
        let mut requests = Vec::with_capacity(texts.len());
        let mut bad = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            match parse_line(rules, text, at) {
                Ok(r) => requests.push(r),
                Err(e) => bad.push((offset + i, e)),
            }
        }
        (requests, bad)
    };
    let (head, tail) = texts.split_at(texts.len() / 2);
    let ((mut requests, mut bad), (more, more_bad)) = if head.len() < KEYED {
        (parse(texts, 0), (Vec::new(), Vec::new()))
    } else {
        std::thread::scope(|s| {
            let tail = s.spawn(|| parse(tail, head.len()));
            let head = parse(head, 0);
            // Parsing cannot panic; if it did, the panic goes on.
            (
                head,
                tail.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            )
        })
    };
    requests.extend(more);
    bad.extend(more_bad);
    Chunk {
        first,
        requests,
        bad,
    }
}

/// Decides a chunk by keyed loads, `KEYED` lines at a time, handing each
/// on as it is decided. False if the writer has gone.
fn decide_keyed(
    decider: &Decider,
    ledger: &mut tillit_store::Ledger,
    chunk: Chunk,
    outputs: &std::sync::mpsc::SyncSender<Output>,
) -> anyhow::Result<bool> {
    let mut bad = chunk.bad.into_iter().peekable();
    let mut requests = chunk.requests.into_iter().peekable();
    let mut line = 0;
    while requests.peek().is_some() || bad.peek().is_some() {
        let some: Vec<(SubjectId, Request)> = requests.by_ref().take(KEYED).collect();
        let mut decisions = decider.decide_all(ledger, &some)?.into_iter();
        let mut decided = Vec::with_capacity(some.len());
        for (subject, request) in some {
            while let Some((_, why)) = bad.next_if(|(at, _)| *at == line) {
                decided.push(Err(why));
                line += 1;
            }
            let d = decisions
                .next()
                .ok_or_else(|| anyhow::anyhow!("a decision went missing in the batch"))?;
            decided.push(Ok((subject, request, d)));
            line += 1;
        }
        if requests.peek().is_none() {
            decided.extend(bad.by_ref().map(|(_, why)| Err(why)));
        }
        if outputs.send(Output::Decided(decided)).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Decides a chunk by one pass over the ledger, then explains the
/// decisions in input order, `KEYED` lines at a time, while the writer
/// writes the lines before. False if the writer has gone.
fn decide_by_scan(
    decider: &Decider,
    ledger: &mut tillit_store::Ledger,
    tz: &TimeZone,
    chunk: &Chunk,
    outputs: &std::sync::mpsc::SyncSender<Output>,
) -> anyhow::Result<bool> {
    let mut decisions: Vec<Option<Decision>> = vec![None; chunk.requests.len()];
    decider.decide_by_scan(ledger, &chunk.requests, |i, d| {
        if let Some(slot) = decisions.get_mut(i) {
            *slot = Some(d);
        }
    })?;
    let mut explainer = Explainer::new(decider.rules(), tz);
    let mut requests = chunk.requests.iter().zip(decisions);
    let mut bad = chunk.bad.iter().peekable();
    let mut line = 0;
    while line < chunk.lines() {
        let mut text = Vec::with_capacity(KEYED * 512);
        let (mut lines, mut bad_lines) = (0, 0);
        while lines < KEYED as u64 && line < chunk.lines() {
            if let Some((_, why)) = bad.next_if(|(at, _)| *at == line) {
                write_error(&mut text, chunk.first + line as u64, why)?;
                bad_lines += 1;
            } else if let Some(((subject, request), d)) = requests.next() {
                let d = d.ok_or_else(|| anyhow::anyhow!("a decision went missing in the batch"))?;
                explainer.write(&mut text, subject, request, &d)?;
            }
            lines += 1;
            line += 1;
        }
        let written = Output::Written {
            text,
            lines,
            bad: bad_lines,
        };
        if outputs.send(written).is_err() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Explains and writes each decision as a JSON line.
fn write_out(
    rules: &Rules,
    tz: &TimeZone,
    received: std::sync::mpsc::Receiver<Output>,
) -> anyhow::Result<Written> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut explainer = Explainer::new(rules, tz);
    let mut number = 0u64;
    let mut bad = 0u64;
    for output in received {
        let written = match output {
            Output::Decided(lines) => lines.iter().try_for_each(|line| {
                number += 1;
                match line {
                    Ok((subject, request, d)) => explainer.write(&mut out, subject, request, d),
                    Err(why) => {
                        bad += 1;
                        write_error(&mut out, number, why)
                    }
                }
            }),
            Output::Written {
                text,
                lines,
                bad: more,
            } => {
                number += lines;
                bad += more;
                out.write_all(&text)
            }
        };
        match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(Written::Closed),
            other => other.context("cannot write to standard output")?,
        }
    }
    match out.flush() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Written::Closed),
        other => other
            .context("cannot write to standard output")
            .map(|()| Written::All { bad }),
    }
}

/// Line `number`, which is not a request, as a JSON line.
fn write_error(out: &mut impl Write, number: u64, why: &str) -> std::io::Result<()> {
    serde_json::to_writer(
        &mut *out,
        &LineError {
            line: number,
            error: why,
        },
    )?;
    out.write_all(b"\n")
}

/// How the writing ended.
enum Written {
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
