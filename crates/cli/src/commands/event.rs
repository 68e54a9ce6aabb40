//! `tillit event add`

use std::process::ExitCode;

use jiff::ZonedDateTime as Zoned;
use serde_json::json;
use tillit_core::identity::SubjectId;
use tillit_core::ledger::NewEvent;

use super::{Context, emit_json, say, subject_id};
use crate::at;

/// Lifecycle events: the facts retention counts from.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    Add(AddArgs),
}

/// Record a lifecycle event: a contract started or ended, an invoice was
/// issued or paid. The kinds are the policy's events.
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    #[arg(long, value_parser = subject_id)]
    subject: SubjectId,
    /// An event of the policy: contract-start, contract-end,
    /// invoice-issued, invoice-paid.
    #[arg(long)]
    kind: String,
    /// The contract or invoice it concerns.
    #[arg(long = "ref", value_name = "REF")]
    reference: String,
    /// When it happened (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cx: &Context, Command::Add(a): Command) -> anyhow::Result<ExitCode> {
    let at = at::or_now(a.at)?;
    let policy = cx.policy()?;
    let event = NewEvent::new(&policy, a.subject, &a.kind, &a.reference, at.timestamp())?;
    let id = cx
        .ledger()?
        .write(at.timestamp(), |w| w.add_event(&event))?;
    if a.json {
        emit_json(&json!({ "event": id, "subject": event.subject, "kind": event.kind }))?;
    } else {
        say(&format!(
            "recorded {} {} for subject {} at {}",
            event.kind,
            event.reference,
            event.subject,
            at::shown(event.at)
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
