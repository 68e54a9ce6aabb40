//! `tillit notice`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use jiff::ZonedDateTime as Zoned;
use tillit_core::{Lang, notice};

use super::{ALLOW_INVALID_SAFEGUARDS, emit, load_policy, refuse_invalid_safeguards};
use crate::at;

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// Markdown, for a CMS or a repository.
    Md,
    /// A standalone, accessible HTML page that needs no JavaScript.
    Html,
    /// Machine-readable JSON with W3C DPV terms.
    Json,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum LangArg {
    /// Swedish.
    Sv,
    /// English.
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Sv => Lang::Sv,
            LangArg::En => Lang::En,
        }
    }
}

/// Render the published privacy notice from the policy.
///
/// Every sentence comes from the policy file, so the published notice and
/// what tillit enforces never drift. A policy with errors renders nothing,
/// and neither does one whose notice would state a transfer safeguard that
/// is not valid on the day rendered (exit 1, naming file:line:col), unless
/// --allow-invalid-safeguards.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The language of the notice.
    #[arg(long, value_enum, default_value = "sv")]
    lang: LangArg,
    /// The output format.
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print only the notice's version: the hash that consents record as
    /// the notice the subject saw. It changes whenever the published text
    /// does, in either language.
    #[arg(long, conflicts_with_all = ["lang", "format"])]
    print_version: bool,
    /// The day the notice is published (default: today): the transfer
    /// safeguards it states must be valid then.
    #[arg(long, value_parser = at::parse, value_name = "DATE")]
    at: Option<Zoned>,
    #[arg(long, help = ALLOW_INVALID_SAFEGUARDS)]
    allow_invalid_safeguards: bool,
}

pub fn run(policy: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let path = policy;
    let policy = load_policy(path)?;
    if args.print_version {
        emit(
            args.out.as_deref(),
            &format!("{}\n", notice::version(&policy)),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let day = at::or_now(args.at)?.date();
    refuse_invalid_safeguards(path, &policy, day, args.allow_invalid_safeguards)?;
    let lang = args.lang.into();
    let rendered = match args.format {
        Format::Md => notice::markdown(&policy, lang),
        Format::Html => notice::html(&policy, lang),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&notice::json(&policy, lang))?
        ),
    };
    emit(args.out.as_deref(), &rendered)?;
    Ok(ExitCode::SUCCESS)
}
