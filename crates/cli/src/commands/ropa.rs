//! `tillit ropa`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tillit_core::ropa;

use super::notice::LangArg;
use super::{emit, load_policy};

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// A Markdown table.
    Md,
    /// JSON, one object per processing activity.
    Json,
    /// CSV for a spreadsheet, one row per processing activity.
    Csv,
}

/// Print the record of processing activities (GDPR Art. 30) derived from
/// the policy: one row per purpose and category, with legal basis, data
/// subjects, data, sources, recipients, transfers, erasure limits and
/// security measures.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// The language of names and texts.
    #[arg(long, value_enum, default_value = "en")]
    lang: LangArg,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(policy: &Path, args: Args) -> anyhow::Result<ExitCode> {
    let policy = load_policy(policy)?;
    let lang = args.lang.into();
    let record = ropa::record(&policy, lang);
    let rendered = match args.format {
        Format::Md => record.to_markdown(lang),
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&record)?),
        Format::Csv => record.to_csv(lang)?,
    };
    emit(args.out.as_deref(), &rendered)?;
    Ok(ExitCode::SUCCESS)
}
