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
use tillit_core::ledger::{ConsentChange, NewObjection, RestrictionGround};
use tillit_core::retention::Schedule;
use tillit_core::rights::Right;
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
    /// markdown or html (the letter), or json (the structured report).
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
}

fn kind(s: &str) -> Result<Right, String> {
    kind_named(s).ok_or_else(|| {
        format!(
            "`{s}` is not a kind of request; use one of {}",
            KIND_NAMES.join(", ")
        )
    })
}

fn case_json(c: &Case, at: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> serde_json::Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("kind".into(), kind_name(c.kind).into());
        o.insert("status".into(), c.status().id().into());
        o.insert("overdue".into(), c.overdue(at, tz).into());
        o.insert("days_left".into(), c.clock.days_left(at, tz).into());
    }
    v
}

fn case_line(c: &Case, at: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
    let clock = if c.closed.is_some() {
        "answered".to_owned()
    } else if c.overdue(at, tz) {
        format!("OVERDUE by {} day(s)", -c.clock.days_left(at, tz))
    } else {
        format!("{} day(s) left", c.clock.days_left(at, tz))
    };
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
            if json {
                emit_json(&case_json(&case, received, &tz))?;
            } else {
                say(&format!(
                    "request {id} ({}) of subject {subject} opened; due {} (one month from receipt on {}). Verify the subject's identity with `tillit request verify {id} --by WHO --method HOW`",
                    kind_name(kind),
                    case.clock.due_on,
                    case.clock.received_on
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
                emit_json(
                    &cases
                        .iter()
                        .map(|c| case_json(c, at, &tz))
                        .collect::<Vec<_>>(),
                )?;
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
                emit_json(&case_json(&case, at, &tz))?;
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
            plain("--by", &by)?;
            plain("--method", &method)?;
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

fn plain(what: &str, s: &str) -> anyhow::Result<()> {
    if s.trim().is_empty() || s.chars().any(char::is_control) {
        anyhow::bail!("give {what} as plain text");
    }
    Ok(())
}

fn answer(cx: &Context, a: AnswerArgs) -> anyhow::Result<ExitCode> {
    let tz = at::zone()?;
    let at = at::or_now(a.at.clone())?.timestamp();
    let policy = cx.policy()?;
    let mut ledger = cx.ledger()?;
    let case = ledger
        .request(a.id)?
        .ok_or(tillit_store::StoreError::NoSuchRequest(a.id))?;
    let subject = SubjectId::parse(&case.subject)?;
    let schedule = Schedule::new(&policy, tz.clone());
    let id = a.id;
    match case.kind {
        Right::Access | Right::Portability => {
            // Refuse before reading anything if the case may not be
            // answered yet.
            case.answerable(case.kind)?;
            let report = tillit_store::access::report(
                &mut ledger,
                &policy,
                &schedule,
                &subject,
                at,
                case.kind,
                Some(id),
            )?
            .ok_or_else(|| tillit_store::StoreError::NoSuchSubject(subject.to_string()))?;
            let response = serde_json::to_value(&report).context("cannot encode the report")?;
            let digest = ledger.write(at, |w| {
                w.case_to_answer(id, case.kind)?;
                w.close_request(id, "answered", &response)
            })?;
            let text = match a.format.as_str() {
                "json" => {
                    let mut t = serde_json::to_string_pretty(&response)?;
                    t.push('\n');
                    t
                }
                "html" => report.letter(a.lang, &tz).to_html(),
                _ => report.letter(a.lang, &tz).to_markdown(),
            };
            emit(a.out.as_deref(), &text)?;
            if a.out.is_some() {
                say(&format!(
                    "request {id} answered: {} record(s), {} consent event(s), {} disclosure(s); response sha256 {digest}",
                    report.records.len(),
                    report.consents.len(),
                    report.disclosures.len()
                ))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Right::Erasure => {
            let handled_by = format!("request-{id}");
            let lang = a.lang;
            let (response, summary) = ledger.write(at, |w| {
                w.case_to_answer(id, Right::Erasure)?;
                let erasure = tillit_store::retention::erase_on_request(
                    w,
                    &schedule,
                    subject.as_str(),
                    &handled_by,
                    at,
                )?;
                let restriction = if erasure.kept.is_empty() || erasure.subject_erased {
                    None
                } else {
                    Some(w.restrict(&subject, RestrictionGround::ErasureException, at)?)
                };
                let outcome = if erasure.kept.is_empty() {
                    "erased"
                } else {
                    "partly-erased"
                };
                let response = erasure_response(&erasure, restriction, &policy);
                w.close_request(id, outcome, &response)?;
                let mut text = format!(
                    "request {id}: {} record(s) of subject {subject} erased",
                    erasure.erased.len()
                );
                if erasure.subject_erased {
                    text.push_str("; nothing of theirs is left, and the subject is erased too");
                }
                if !erasure.kept.is_empty() {
                    text.push_str(&format!(
                        "; {} kept, restricted to what keeps them",
                        erasure.kept.len()
                    ));
                    if let Some(r) = restriction {
                        text.push_str(&format!(" (restriction {r})"));
                    }
                    text.push(':');
                    for k in &erasure.kept {
                        for e in &k.exceptions {
                            text.push_str(&format!(
                                "\n  record {} ({}): {}",
                                k.record,
                                k.kind,
                                e.reason(&policy, lang)
                            ));
                        }
                    }
                }
                Ok((response, text))
            })?;
            if a.format == "json" {
                emit(
                    a.out.as_deref(),
                    &format!("{}\n", serde_json::to_string_pretty(&response)?),
                )?;
            } else {
                emit(a.out.as_deref(), &format!("{summary}\n"))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Right::WithdrawConsent => {
            let file = ledger
                .subject_file(&subject, at)?
                .ok_or_else(|| tillit_store::StoreError::NoSuchSubject(subject.to_string()))?;
            let purposes: Vec<String> = match &a.purpose {
                Some(p) => vec![p.clone()],
                None => file
                    .consents
                    .iter()
                    .filter(|c| c.given)
                    .map(|c| c.purpose.clone())
                    .collect(),
            };
            let version = tillit_core::notice::version(&policy);
            let changes: Result<Vec<ConsentChange>, _> = purposes
                .iter()
                .map(|p| {
                    ConsentChange::new(&policy, subject.clone(), p, false, "request", &version, at)
                })
                .collect();
            close_with(
                &mut ledger,
                at,
                id,
                case.kind,
                changes,
                |w, changes| {
                    for c in &changes {
                        w.change_consent(c)?;
                    }
                    Ok(json!({ "withdrawn": purposes }))
                },
                &a,
            )
        }
        Right::Objection => {
            let purpose = a
                .purpose
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("give --purpose: the purpose objected to"))?;
            let objection = NewObjection::new(&policy, subject.clone(), purpose, at);
            if let Ok(o) = &objection
                && !o.absolute
                && a.assessment.as_deref().is_none_or(|s| s.trim().is_empty())
            {
                anyhow::bail!(
                    "an objection to legitimate-interest processing is recorded with the outcome of the balancing of interests: give --assessment (Art. 21(1)); one to direct marketing needs none"
                );
            }
            let assessment = a.assessment.clone();
            close_with(
                &mut ledger,
                at,
                id,
                case.kind,
                objection,
                |w, o| {
                    let n = w.object(&o)?;
                    Ok(json!({
                        "objection": n,
                        "purpose": o.purpose,
                        "absolute": o.absolute,
                        "assessment": assessment,
                    }))
                },
                &a,
            )
        }
        Right::Restriction => {
            let ground = a
                .ground
                .as_deref()
                .ok_or_else(|| anyhow::anyhow!("give --ground: accuracy-contested, unlawful, legal-claims or objection-pending (Art. 18(1))"))?;
            let ground = RestrictionGround::parse(ground);
            close_with(
                &mut ledger,
                at,
                id,
                case.kind,
                ground,
                |w, g| {
                    let n = w.restrict(&subject, g, at)?;
                    Ok(json!({ "restriction": n, "ground": g.id() }))
                },
                &a,
            )
        }
        Right::Rectification => {
            let (Some(record), Some(content)) = (a.record, a.content.as_deref()) else {
                anyhow::bail!("give --record N and --content JSON: the corrected content");
            };
            let content: serde_json::Value = serde_json::from_str(content)
                .context("--content is not JSON; write e.g. '{\"address\": \"Storgatan 1\"}'")?;
            close_with(
                &mut ledger,
                at,
                id,
                case.kind,
                Ok::<_, tillit_core::ledger::InputError>(content),
                |w, c| {
                    w.rectify_record(&subject, record, &c)?;
                    Ok(json!({ "record": record, "rectified": true }))
                },
                &a,
            )
        }
    }
}

/// Carries out `effect` and closes the case in one transaction, or, when
/// the right does not apply (`refused`), closes it as refused with the
/// reason, which is the answer the subject gets.
fn close_with<T>(
    ledger: &mut tillit_store::Ledger,
    at: jiff::Timestamp,
    id: i64,
    kind: Right,
    input: Result<T, tillit_core::ledger::InputError>,
    effect: impl FnOnce(
        &mut tillit_store::Writer<'_>,
        T,
    ) -> Result<serde_json::Value, tillit_store::StoreError>,
    a: &AnswerArgs,
) -> anyhow::Result<ExitCode> {
    let (outcome, response) = ledger.write(at, |w| {
        w.case_to_answer(id, kind)?;
        let (outcome, response) = match input {
            Ok(input) => ("done", effect(w, input)?),
            Err(why) => ("refused", json!({ "refused": why.to_string() })),
        };
        w.close_request(id, outcome, &response)?;
        Ok((outcome, response))
    })?;
    if a.format == "json" {
        emit(
            a.out.as_deref(),
            &format!(
                "{}\n",
                serde_json::to_string_pretty(
                    &json!({ "request": id, "outcome": outcome, "response": response })
                )?
            ),
        )?;
    } else if outcome == "refused" {
        emit(
            a.out.as_deref(),
            &format!(
                "request {id} answered as refused: {}\n",
                response
                    .get("refused")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
            ),
        )?;
    } else {
        emit(
            a.out.as_deref(),
            &format!("request {id} done: {response}\n"),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn erasure_response(
    erasure: &tillit_store::retention::Erasure<'_>,
    restriction: Option<i64>,
    policy: &tillit_core::Policy,
) -> serde_json::Value {
    json!({
        "erased": erasure.erased,
        "kept": erasure.kept.iter().map(|k| json!({
            "record": k.record,
            "category": k.category,
            "kind": k.kind,
            "exceptions": k.exceptions.iter().map(|e| json!({
                "exception": e,
                "article": e.article(),
                "until": e.until(),
                "reason": { "sv": e.reason(policy, Lang::Sv), "en": e.reason(policy, Lang::En) },
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "restriction": restriction,
        "subject_erased": erasure.subject_erased,
    })
}
