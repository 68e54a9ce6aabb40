//! `tillit request`: data subjects' requests as cases with a legal clock.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use jiff::ZonedDateTime as Zoned;
use jiff::civil::Date;
use serde_json::json;
use tillit_core::Lang;
use tillit_core::case::{KIND_NAMES, kind_name, kind_named};
use tillit_core::identity::SubjectId;
use tillit_core::retention::Schedule;
use tillit_core::rights::Right;
use tillit_store::answer::{Answered, Particulars};
use tillit_store::requests::{Case, Filter};

use super::{Context, emit, emit_json, say, subject_id};
use crate::at;

/// Data subjects' requests (GDPR Art. 15-21), each a case with its
/// deadline: one calendar month from receipt (Art. 12(3)), extendable by
/// up to two months if the subject is told within the first month.
///
/// A case is opened, the subject's identity verified (required before any
/// data leaves), and answered: `request answer` carries out the right and
/// stores the response. `request list` is the queue, the earliest
/// deadline first; overdue cases are marked.
#[derive(clap::Subcommand, Debug)]
#[command(
    after_help = "Examples:\n  tillit request open --subject c-000001 --kind access --received 2026-11-02\n  tillit request verify 1 --by dpo@winston.se --method \"BankID\"\n  tillit request answer 1 --lang sv --format html --out svar.html\n  tillit request extend 2 --months 2 --reason \"many requests at once\"\n  tillit request list --overdue"
)]
pub enum Command {
    /// Open a case for a request received from a subject.
    Open {
        #[arg(long, value_parser = subject_id)]
        subject: SubjectId,
        /// access, rectification, erasure, restriction, objection,
        /// portability or withdrawal.
        #[arg(long, value_parser = kind)]
        kind: Right,
        /// When the request was received (default: now); the deadline
        /// counts from its day in Stockholm.
        #[arg(long, value_parser = at::parse, value_name = "TIME")]
        received: Option<Zoned>,
        #[arg(long)]
        json: bool,
    },
    /// The queue: open cases by deadline, or every case with --all.
    List {
        /// Only cases past their deadline.
        #[arg(long)]
        overdue: bool,
        /// Only cases due on or before this day.
        #[arg(long, value_name = "DATE")]
        due_before: Option<Date>,
        /// Closed cases too.
        #[arg(long)]
        all: bool,
        /// As of this time (default: now).
        #[arg(long, value_parser = at::parse, value_name = "TIME")]
        at: Option<Zoned>,
        #[arg(long)]
        json: bool,
    },
    /// One case, with its clock, verification and outcome.
    Show {
        id: i64,
        #[arg(long, value_parser = at::parse, value_name = "TIME")]
        at: Option<Zoned>,
        #[arg(long)]
        json: bool,
    },
    /// Record how the subject's identity was verified.
    Verify {
        id: i64,
        /// Who verified it.
        #[arg(long)]
        by: String,
        /// How, e.g. "BankID", "reply from the registered e-mail address".
        #[arg(long)]
        method: String,
        #[arg(long, value_parser = at::parse, value_name = "TIME")]
        at: Option<Zoned>,
        #[arg(long)]
        json: bool,
    },
    /// Extend the deadline by one or two months (Art. 12(3)): only within
    /// the first month, and the subject is told the reasons.
    Extend {
        id: i64,
        /// Why: the complexity or number of requests.
        #[arg(long)]
        reason: String,
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
        months: u8,
        #[arg(long, value_parser = at::parse, value_name = "TIME")]
        at: Option<Zoned>,
        #[arg(long)]
        json: bool,
    },
    /// Carry out the right and close the case with its response.
    ///
    /// access, portability: the report of everything held (portability:
    /// what rests on consent or contract), as a letter or JSON.
    /// erasure: erases everything no statutory minimum, open claim or
    /// legal hold keeps, and restricts what is kept to that purpose.
    /// withdrawal: withdraws consent (--purpose, or every purpose).
    /// objection: records the objection to --purpose with --assessment.
    /// restriction: restricts processing on --ground.
    /// rectification: replaces --record's content with --content.
    /// A right the legal basis does not give is answered with the reason.
    Answer(AnswerArgs),
}

#[derive(clap::Args, Debug)]
pub struct AnswerArgs {
    id: i64,
    /// The letter's language.
    #[arg(long, default_value = "sv")]
    lang: Lang,
    /// markdown or html (the letter: access, portability, erasure), or
    /// json (the structured report).
    #[arg(long, default_value = "markdown", value_parser = ["markdown", "html", "json"])]
    format: String,
    /// Write the letter or report here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// withdrawal, objection: the purpose.
    #[arg(long)]
    purpose: Option<String>,
    /// objection to legitimate-interest processing: the outcome of the
    /// balancing of interests, as recorded.
    #[arg(long)]
    assessment: Option<String>,
    /// restriction: Art. 18(1) ground.
    #[arg(long)]
    ground: Option<String>,
    /// rectification: the record.
    #[arg(long)]
    record: Option<i64>,
    /// rectification: its corrected content, as JSON.
    #[arg(long)]
    content: Option<String>,
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    #[arg(long, help = super::ALLOW_INVALID_SAFEGUARDS)]
    allow_invalid_safeguards: bool,
}

fn kind(s: &str) -> Result<Right, String> {
    kind_named(s).ok_or_else(|| {
        format!(
            "`{s}` is not a kind of request; use one of {}",
            KIND_NAMES.join(", ")
        )
    })
}

/// "12 day(s) left", "OVERDUE by 3 day(s)" or "answered", at `at`.
fn days_left(c: &Case, at: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
    if c.closed.is_some() {
        "answered".to_owned()
    } else if c.overdue(at, tz) {
        format!("OVERDUE by {} day(s)", -c.clock.days_left(at, tz))
    } else {
        format!("{} day(s) left", c.clock.days_left(at, tz))
    }
}

fn case_line(c: &Case, at: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
    let clock = days_left(c, at, tz);
    let extended = if c.clock.extended_months > 0 {
        format!(", extended {} month(s)", c.clock.extended_months)
    } else {
        String::new()
    };
    format!(
        "{:>5}  {:<14} {:<10} received {}  due {}{extended}  {:<9} {clock}",
        c.id,
        kind_name(c.kind),
        c.subject,
        c.clock.received_on,
        c.clock.due_on,
        c.status().id(),
    )
}

pub fn run(cx: &Context, command: Command) -> anyhow::Result<ExitCode> {
    let tz = at::zone()?;
    match command {
        Command::Open {
            subject,
            kind,
            received,
            json,
        } => {
            let received = at::or_now(received)?.timestamp();
            let mut ledger = cx.ledger()?;
            let id = ledger.write(received, |w| w.open_request(&subject, kind, received, &tz))?;
            let case = ledger
                .request(id)?
                .ok_or_else(|| anyhow::anyhow!("request {id} vanished"))?;
            // A request entered late (received in the past) has less time
            // left than a month: count from now, when it is entered.
            let entered = at::or_now(None)?.timestamp().max(received);
            if json {
                emit_json(&case.report(entered, &tz))?;
            } else {
                say(&format!(
                    "request {id} ({}) of subject {subject} opened; due {} (one month from receipt on {}): {}. Verify the subject's identity with `tillit request verify {id} --by WHO --method HOW`",
                    kind_name(kind),
                    case.clock.due_on,
                    case.clock.received_on,
                    days_left(&case, entered, &tz)
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::List {
            overdue,
            due_before,
            all,
            at,
            json,
        } => {
            let at = at::or_now(at)?.timestamp();
            let cases = cx.ledger()?.requests(
                Filter {
                    closed: all,
                    overdue_at: overdue.then_some(at),
                    due_by: due_before,
                },
                &tz,
            )?;
            if json {
                emit_json(&cases.iter().map(|c| c.report(at, &tz)).collect::<Vec<_>>())?;
            } else if cases.is_empty() {
                say("no requests")?;
            } else {
                let late = cases.iter().filter(|c| c.overdue(at, &tz)).count();
                let mut text = String::new();
                for c in &cases {
                    text.push_str(&case_line(c, at, &tz));
                    text.push('\n');
                }
                text.push_str(&format!(
                    "{} request(s){}",
                    cases.len(),
                    if late > 0 {
                        format!(", {late} OVERDUE")
                    } else {
                        String::new()
                    }
                ));
                say(&text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, at, json } => {
            let at = at::or_now(at)?.timestamp();
            let case = cx
                .ledger()?
                .request(id)?
                .ok_or(tillit_store::StoreError::NoSuchRequest(id))?;
            if json {
                emit_json(&case.report(at, &tz))?;
            } else {
                let mut text = case_line(&case, at, &tz);
                if let Some(e) = &case.extension {
                    text.push_str(&format!(
                        "\n  extended on {}: {}",
                        at::shown(e.at),
                        e.reason
                    ));
                }
                if let Some(v) = &case.verification {
                    text.push_str(&format!(
                        "\n  identity verified {} by {} ({})",
                        at::shown(v.at),
                        v.by,
                        v.method
                    ));
                }
                if let Some(c) = &case.closed {
                    text.push_str(&format!(
                        "\n  closed {}: {}{}",
                        at::shown(c.at),
                        c.outcome,
                        c.response_sha256
                            .as_deref()
                            .map(|d| format!(" (response sha256 {d})"))
                            .unwrap_or_default()
                    ));
                }
                say(&text)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            id,
            by,
            method,
            at,
            json,
        } => {
            let at = at::or_now(at)?.timestamp();
            cx.ledger()?
                .write(at, |w| w.verify_request(id, &by, &method))?;
            if json {
                emit_json(&json!({ "request": id, "verified": true }))?;
            } else {
                say(&format!(
                    "request {id}: identity verified by {by} ({method})"
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Extend {
            id,
            reason,
            months,
            at,
            json,
        } => {
            let at = at::or_now(at)?.timestamp();
            let clock = cx
                .ledger()?
                .write(at, |w| w.extend_request(id, months, &reason, &tz))?;
            if json {
                emit_json(
                    &json!({ "request": id, "due_on": clock.due_on, "extended_months": clock.extended_months }),
                )?;
            } else {
                say(&format!(
                    "request {id} extended by {months} month(s): now due {}. Tell the subject, with the reasons, before {} ends",
                    clock.due_on, clock.first_month_ends
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Answer(a) => answer(cx, a),
    }
}

fn answer(cx: &Context, a: AnswerArgs) -> anyhow::Result<ExitCode> {
    let tz = at::zone()?;
    let at = at::or_now(a.at.clone())?.timestamp();
    let policy = cx.policy()?;
    let content = a
        .content
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .context("--content is not JSON; write e.g. '{\"address\": \"Storgatan 1\"}'")?;
    let particulars = Particulars {
        purpose: a.purpose.clone(),
        assessment: a.assessment.clone(),
        ground: a.ground.clone(),
        record: a.record,
        content,
        allow_invalid_safeguards: a.allow_invalid_safeguards,
    };
    let schedule = Schedule::new(&policy, tz.clone());
    let answered =
        tillit_store::answer::answer(&mut cx.ledger()?, &schedule, a.id, &particulars, at)?;
    let id = answered.request;
    let out = a.out.as_deref();
    let text = if a.format == "json" && answered.kind == Right::Erasure {
        pretty(&answered.response)?
    } else if let Some(erasure) = &answered.erasure {
        match a.format.as_str() {
            "html" => erasure.letter(a.lang).to_html(),
            _ => erasure.letter(a.lang).to_markdown(),
        }
    } else if let Some(report) = &answered.report {
        match a.format.as_str() {
            "json" => pretty(&answered.response)?,
            "html" => report.letter(a.lang, &tz).to_html(),
            _ => report.letter(a.lang, &tz).to_markdown(),
        }
    } else if a.format == "json" {
        pretty(&json!({
            "request": id,
            "outcome": answered.outcome,
            "response": answered.response,
        }))?
    } else {
        format!("{}\n", summary(&answered, a.lang))
    };
    emit(out, &text)?;
    if let (Some(_), Some(_)) = (&answered.erasure, out) {
        say(&format!(
            "{}; response sha256 {}",
            summary(&answered, a.lang),
            answered.digest
        ))?;
    }
    if let (Some(report), Some(_)) = (&answered.report, out) {
        say(&format!(
            "request {id} answered: {} record(s), {} consent event(s), {} disclosure(s); response sha256 {}",
            report.records.len(),
            report.consents.len(),
            report.disclosures.len(),
            answered.digest
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn pretty(v: &serde_json::Value) -> anyhow::Result<String> {
    let mut t = serde_json::to_string_pretty(v)?;
    t.push('\n');
    Ok(t)
}

/// One line (an erasure: one per record kept, with why) saying what
/// answering did.
fn summary(a: &Answered, lang: Lang) -> String {
    let id = a.request;
    let r = &a.response;
    if a.outcome == "refused" {
        return format!(
            "request {id} answered as refused: {}",
            r["refused"].as_str().unwrap_or_default()
        );
    }
    if a.kind != Right::Erasure {
        return format!("request {id} done: {r}");
    }
    let mut text = format!(
        "request {id}: {} record(s) of the subject erased",
        r["erased"].as_array().map_or(0, Vec::len)
    );
    if r["subject_erased"] == true {
        text.push_str("; nothing of theirs is left, and the subject is erased too");
    }
    let kept = r["kept"].as_array().map(Vec::as_slice).unwrap_or_default();
    if !kept.is_empty() {
        text.push_str(&format!(
            "; {} kept, restricted to what keeps them",
            kept.len()
        ));
        if let Some(n) = r["restriction"].as_i64() {
            text.push_str(&format!(" (restriction {n})"));
        }
        text.push(':');
        for k in kept {
            for e in k["exceptions"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                text.push_str(&format!(
                    "\n  record {} ({}): {}",
                    k["record"],
                    k["kind"].as_str().unwrap_or_default(),
                    e["reason"]
                        .get(lang.tag())
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or_default()
                ));
            }
        }
    }
    text
}
