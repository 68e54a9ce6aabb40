//! `tillit record add`

use std::process::ExitCode;

use jiff::ZonedDateTime as Zoned;
use serde_json::json;
use tillit_core::identity::SubjectId;
use tillit_core::ledger::{NewRecord, RecordRequest};

use super::{Context, emit_json, say, subject_id};
use crate::at;

/// Records: the personal data itself, each of a category and kind the
/// policy declares.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    Add(AddArgs),
}

/// Add a record of personal data about a subject.
///
/// Category, kind and source are checked against the policy: the kind must
/// belong to the category and be collected from that source. Data from a
/// public register records the register and the date by which the subject
/// must be told (GDPR Art. 14(3)). Kinds the policy marks as accounting
/// material are kept as the Bookkeeping Act says.
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    #[arg(long, value_parser = subject_id)]
    subject: SubjectId,
    /// A category of the policy, e.g. customer.
    #[arg(long)]
    category: String,
    /// A kind of that category, e.g. invoice.
    #[arg(long)]
    kind: String,
    /// Where the data came from, e.g. subject or public-register.
    #[arg(long)]
    source: String,
    /// The register, for data from others (default: the policy's).
    #[arg(long, value_name = "NAME")]
    register: Option<String>,
    /// A contract or invoice number the record belongs to.
    #[arg(long = "ref", value_name = "REF")]
    reference: Option<String>,
    /// Accounting material (räkenskapsinformation) even if its kind is not.
    #[arg(long)]
    accounting: bool,
    /// The data, as a JSON value.
    #[arg(long, value_name = "JSON", value_parser = parse_payload)]
    payload: Option<serde_json::Value>,
    /// When the data was collected (default: now).
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// The record's own date where it differs from collection, e.g. an
    /// invoice's date: the Bookkeeping Act keeps accounting material by
    /// the fiscal year of the transaction, not of the day it was added.
    #[arg(long, value_name = "DATE")]
    dated: Option<jiff::civil::Date>,
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

fn parse_payload(s: &str) -> Result<serde_json::Value, String> {
    serde_json::from_str(s).map_err(|e| format!("not JSON: {e}"))
}

pub fn run(cx: &Context, Command::Add(a): Command) -> anyhow::Result<ExitCode> {
    let at = at::or_now(a.at)?;
    let policy = cx.policy()?;
    let record = NewRecord::new(
        &policy,
        RecordRequest {
            subject: a.subject,
            category: &a.category,
            kind: &a.kind,
            source: &a.source,
            register: a.register.as_deref(),
            reference: a.reference,
            accounting: a.accounting,
            payload: a.payload,
            collected_at: at.clone(),
            dated: a.dated,
        },
    )?;
    let id = cx
        .ledger()?
        .write(at.timestamp(), |w| w.add_record(&record))?;
    if a.json {
        emit_json(&json!({
            "record": id,
            "subject": record.subject,
            "accounting": record.accounting,
            "register": record.register,
            "inform_by": record.inform_by,
        }))?;
    } else {
        let mut line = format!(
            "added record {id} ({}/{}) for subject {}",
            record.category, record.kind, record.subject
        );
        if record.accounting {
            line.push_str("; accounting material");
        }
        if let Some(by) = record.inform_by {
            line.push_str(&format!(
                "; the subject must be informed by {by} (GDPR Art. 14(3))"
            ));
        }
        say(&line)?;
    }
    Ok(ExitCode::SUCCESS)
}
