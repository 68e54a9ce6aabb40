//! The `tillit` command line.
//!
//! Exit codes, for scripts: 0 success; 1 the work failed (the policy has
//! errors, or warnings under `--deny-warnings`, or a file could not be read
//! or written); 2 the command line itself is wrong.

mod at;
mod commands;
mod diagnostics;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// tillit keeps a company's privacy promises: one policy file, checked
/// against the law, rendered as the published notice, and enforced.
#[derive(Parser, Debug)]
#[command(
    name = "tillit",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Start with `tillit init` for a policy to edit, then `tillit check` and \
`tillit notice --lang sv --format html`.\n\nExit codes: 0 success, 1 failure (policy errors, \
denied warnings, unreadable files), 2 bad command line."
)]
struct Cli {
    /// The policy file.
    #[arg(
        long,
        global = true,
        env = "TILLIT_POLICY",
        default_value = "policy.toml",
        value_name = "FILE"
    )]
    policy: PathBuf,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Check(commands::check::Args),
    Notice(commands::notice::Args),
    Ropa(commands::ropa::Args),
    Init(commands::init::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(&cli.policy, args),
        Command::Notice(args) => commands::notice::run(&cli.policy, args),
        Command::Ropa(args) => commands::ropa::run(&cli.policy, args),
        Command::Init(args) => commands::init::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
