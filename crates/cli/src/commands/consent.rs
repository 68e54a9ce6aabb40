//! `tillit consent give|withdraw|show`

use std::process::ExitCode;

use jiff::ZonedDateTime as Zoned;
use serde_json::json;
use tillit_core::identity::SubjectId;
use tillit_core::ledger::ConsentChange;
use tillit_core::notice;
use tillit_store::consent_state;

use super::{Context, emit_json, say, subject_id};
use crate::at;

/// Consent: an append-only history per subject and purpose; the current
/// state is derived from it.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    Give(ChangeArgs),
    Withdraw(ChangeArgs),
    Show(ShowArgs),
}

/// Record that a subject gave (or withdrew) consent to a purpose.
///
/// Only purposes that rest on consent for some category take it. The
/// notice version is the current policy's unless given: see `tillit notice
/// --print-version`.
#[derive(clap::Args, Debug)]
pub struct ChangeArgs {
    #[arg(long, value_parser = subject_id)]
    subject: SubjectId,
    /// A purpose of the policy that rests on consent, e.g. marketing.
    #[arg(long)]
    purpose: String,
    /// How: web, email-link, phone, letter…
    #[arg(long, default_value = "cli")]
    channel: String,
    /// The version of the notice the subject saw (default: the current one).
    #[arg(long, value_name = "HASH")]
    notice_version: Option<String>,
    /// When (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

/// Show a subject's consent as it stands, and its history.
#[derive(clap::Args, Debug)]
pub struct ShowArgs {
    #[arg(value_parser = subject_id)]
    subject: SubjectId,
    /// As it stood at this time (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cx: &Context, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Give(a) => change(cx, a, true),
        Command::Withdraw(a) => change(cx, a, false),
        Command::Show(a) => show(cx, a),
    }
}

fn change(cx: &Context, a: ChangeArgs, given: bool) -> anyhow::Result<ExitCode> {
    let at = at::or_now(a.at)?;
    let policy = cx.policy()?;
    let version = a.notice_version.unwrap_or_else(|| notice::version(&policy));
    let change = ConsentChange::new(
        &policy,
        a.subject,
        &a.purpose,
        given,
        &a.channel,
        &version,
        at.timestamp(),
    )?;
    let id = cx
        .ledger()?
        .write(at.timestamp(), |w| w.change_consent(&change))?;
    let verb = if given { "given" } else { "withdrawn" };
    if a.json {
        emit_json(&json!({
            "consent": id,
            "subject": change.subject,
            "purpose": change.purpose,
            "given": given,
            "notice_version": change.notice_version,
        }))?;
    } else {
        say(&format!(
            "consent to {} {verb} by subject {} at {}",
            change.purpose,
            change.subject,
            at::shown(change.at)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn show(cx: &Context, a: ShowArgs) -> anyhow::Result<ExitCode> {
    let at = at::or_now(a.at)?;
    let history = cx.ledger()?.consent_history(&a.subject)?;
    let state = consent_state(&history, at.timestamp());
    if a.json {
        emit_json(&json!({
            "subject": a.subject,
            "at": at.timestamp(),
            "state": state,
            "history": history,
        }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!(
        "consent of subject {} at {}:\n",
        a.subject,
        at::shown(at.timestamp())
    );
    if state.is_empty() {
        out.push_str("  none given\n");
    }
    for s in &state {
        out.push_str(&format!(
            "  {}: {} since {}\n",
            s.purpose,
            if s.given { "given" } else { "withdrawn" },
            at::shown(s.since)
        ));
    }
    out.push_str("history:\n");
    for e in &history {
        out.push_str(&format!(
            "  {} {} {} via {} (notice {})\n",
            at::shown(e.at),
            e.purpose,
            if e.given { "given" } else { "withdrawn" },
            e.channel,
            e.notice_version
        ));
    }
    say(out.trim_end())?;
    Ok(ExitCode::SUCCESS)
}
