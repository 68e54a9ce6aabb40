//! `tillit audit verify|head`

use std::process::ExitCode;

use serde_json::json;

use super::{Context, emit_json, say};
use crate::progress;

/// The audit chain: every write that concerns a person, hash-linked.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    Verify(VerifyArgs),
    Head(HeadArgs),
}

/// Recompute the audit chain and name the first entry that was changed,
/// removed or reordered. Exits 1 if the chain is broken.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

/// Print the chain's head (last entry and its hash), to keep elsewhere:
/// a later `audit verify` that ends at the same hash proves nothing before
/// it was rewritten.
#[derive(clap::Args, Debug)]
pub struct HeadArgs {
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cx: &Context, command: Command) -> anyhow::Result<ExitCode> {
    let mut ledger = cx.ledger()?;
    match command {
        Command::Verify(a) => {
            let (total, _) = ledger.audit_head()?;
            let bar = progress::bar(u64::try_from(total).unwrap_or(0), "verifying");
            let v = ledger.verify_audit(&mut |n| bar.set_position(n))?;
            bar.finish_and_clear();
            if a.json {
                emit_json(&json!({
                    "intact": v.is_intact(),
                    "entries": v.entries,
                    "head": v.head,
                    "break": v.broken,
                    "message": v.broken.as_ref().map(ToString::to_string),
                }))?;
            } else if let Some(b) = &v.broken {
                eprintln!("audit chain broken: {b}");
            } else {
                say(&format!(
                    "audit chain intact: {} entries, head {}",
                    v.entries, v.head
                ))?;
            }
            Ok(if v.is_intact() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Head(a) => {
            let (seq, hash) = ledger.audit_head()?;
            if a.json {
                emit_json(&json!({ "seq": seq, "hash": hash }))?;
            } else {
                say(&format!("{seq} {hash}"))?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
