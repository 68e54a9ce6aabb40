//! `tillit disclose`

use std::process::ExitCode;

use jiff::ZonedDateTime as Zoned;
use serde_json::json;
use tillit_core::identity::SubjectId;
use tillit_core::ledger::NewDisclosure;

use super::{Context, emit_json, say, subject_id};
use crate::at;

/// Record a disclosure of subjects' data to a recipient of the policy.
///
/// The recipient must be one the policy names and must receive the
/// categories disclosed. Subjects can later see to whom their data went.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A recipient of the policy, e.g. authorities.
    #[arg(long)]
    recipient: String,
    /// A subject whose data is disclosed; repeat for several.
    #[arg(long = "subject", value_parser = subject_id, required = true)]
    subjects: Vec<SubjectId>,
    /// A category disclosed; repeat for several.
    #[arg(long = "category", required = true)]
    categories: Vec<String>,
    /// The legal basis: legal-obligation, contract, consent,
    /// legitimate-interest, vital-interest, public-task.
    #[arg(long)]
    basis: String,
    /// E.g. the authority's decision number.
    #[arg(long = "ref", value_name = "REF")]
    reference: Option<String>,
    /// When (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cx: &Context, a: Args) -> anyhow::Result<ExitCode> {
    let at = at::or_now(a.at)?;
    let policy = cx.policy()?;
    let disclosure = NewDisclosure::new(
        &policy,
        &a.recipient,
        a.subjects,
        &a.categories,
        &a.basis,
        a.reference,
        at.timestamp(),
    )?;
    let id = cx
        .ledger()?
        .write(at.timestamp(), |w| w.disclose(&disclosure))?;
    if a.json {
        emit_json(&json!({
            "disclosure": id,
            "recipient": disclosure.recipient,
            "subjects": disclosure.subjects,
            "categories": disclosure.categories,
            "basis": disclosure.basis.id(),
        }))?;
    } else {
        say(&format!(
            "disclosure {id} to {} recorded for {} subject{}",
            disclosure.recipient,
            disclosure.subjects.len(),
            if disclosure.subjects.len() == 1 {
                ""
            } else {
                "s"
            }
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
