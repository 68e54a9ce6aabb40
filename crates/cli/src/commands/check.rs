//! `tillit check`

use std::path::Path;
use std::process::ExitCode;

use jiff::ZonedDateTime as Zoned;
use serde::Serialize;
use tillit_core::check::check;
use tillit_core::{LocatedDiagnostic, Severity};

use super::{emit, read_policy_file};
use crate::{at, diagnostics};

/// Check the policy: errors that make it unusable, and warnings where it
/// falls short of the law as it stood on the date checked.
///
/// Errors (a syntax error, an unknown reference, a purpose without a legal
/// basis for a category it uses, …) exit 1 and name file:line:col. Warnings
/// are measured against dated legal facts (transfer mechanisms, adequacy
/// decisions, the Bookkeeping Act) and exit 0 unless --deny-warnings.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Judge the policy by the law as it stood at this date (default: now).
    #[arg(long, value_parser = at::parse, value_name = "DATE")]
    at: Option<Zoned>,
    /// Exit 1 on warnings too, e.g. in CI.
    #[arg(long)]
    deny_warnings: bool,
    /// Print the findings as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    file: &'a str,
    at: String,
    ok: bool,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<LocatedDiagnostic>,
}

pub fn run(policy: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let file = read_policy_file(policy)?;
    let at = at::or_now(args.at)?;
    let report = check(&file, at.date());
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let ok = errors == 0 && (warnings == 0 || !args.deny_warnings);
    if args.json {
        let json = JsonReport {
            file: file.name(),
            at: at.date().to_string(),
            ok,
            errors,
            warnings,
            diagnostics: report.diagnostics.iter().map(|d| d.locate(&file)).collect(),
        };
        emit(None, &format!("{}\n", serde_json::to_string_pretty(&json)?))?;
    } else {
        let mut text = diagnostics::render(
            &file,
            &report.diagnostics,
            diagnostics::stdout_is_terminal(),
        );
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let verdict = if errors > 0 {
            "has errors"
        } else if !ok {
            "has warnings, denied by --deny-warnings"
        } else {
            "is usable"
        };
        text.push_str(&format!(
            "{}: {}, {} (law as of {}); the policy {verdict}\n",
            file.name(),
            plural(errors, "error"),
            plural(warnings, "warning"),
            at.date()
        ));
        emit(None, &text)?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
