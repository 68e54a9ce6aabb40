//! The `tillit` command line.
//!
//! Exit codes, for scripts: 0 success; 1 the work failed (the policy has
//! errors, or warnings under `--deny-warnings`, a file could not be read or
//! written, the ledger refused the request or could not be reached, the
//! audit chain is broken, an import had bad rows); 2 the command line
//! itself is wrong; 3 `tillit decide` denied the processing.

mod at;
mod commands;
mod diagnostics;
mod progress;

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
`tillit notice --lang sv --format html`. Try the ledger with `tillit demo`, then \
`tillit subject show c-000001` and `tillit audit verify`.\n\nExit codes: 0 success, 1 failure \
(policy errors, denied warnings, unreadable files, a refused request, an unreachable database, a \
broken audit chain), 2 bad command line, 3 `tillit decide` denied."
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

    /// The ledger: sqlite://FILE (one file, the default) or
    /// postgres://USER@HOST:PORT/DATABASE.
    #[arg(
        long,
        global = true,
        env = "TILLIT_DATABASE_URL",
        default_value = tillit_store::DEFAULT_URL,
        value_name = "URL"
    )]
    db: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Check(commands::check::Args),
    Notice(commands::notice::Args),
    Ropa(commands::ropa::Args),
    Init(commands::init::Args),
    #[command(subcommand)]
    Subject(commands::subject::Command),
    #[command(subcommand)]
    Record(commands::record::Command),
    #[command(subcommand)]
    Event(commands::event::Command),
    #[command(subcommand)]
    Consent(commands::consent::Command),
    Object(commands::rights::ObjectArgs),
    #[command(subcommand)]
    Restrict(commands::rights::RestrictCommand),
    #[command(subcommand)]
    Hold(commands::rights::HoldCommand),
    Disclose(commands::disclose::Args),
    Decide(commands::decide::Args),
    Import(commands::import::Args),
    Demo(commands::demo::Args),
    #[command(subcommand)]
    Retention(commands::retention::Command),
    #[command(subcommand)]
    Request(commands::request::Command),
    Serve(commands::serve::Args),
    #[command(subcommand)]
    Token(commands::serve::TokenCommand),
    #[command(subcommand)]
    Audit(commands::audit::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cx = commands::Context {
        policy: cli.policy.clone(),
        db: cli.db.clone(),
    };
    let result = match cli.command {
        Command::Check(args) => commands::check::run(&cli.policy, args),
        Command::Notice(args) => commands::notice::run(&cli.policy, args),
        Command::Ropa(args) => commands::ropa::run(&cli.policy, args),
        Command::Init(args) => commands::init::run(args),
        Command::Subject(c) => commands::subject::run(&cx, c),
        Command::Record(c) => commands::record::run(&cx, c),
        Command::Event(c) => commands::event::run(&cx, c),
        Command::Consent(c) => commands::consent::run(&cx, c),
        Command::Object(a) => commands::rights::object(&cx, a),
        Command::Restrict(c) => commands::rights::restrict(&cx, c),
        Command::Hold(c) => commands::rights::hold(&cx, c),
        Command::Disclose(a) => commands::disclose::run(&cx, a),
        Command::Decide(a) => commands::decide::run(&cx, a),
        Command::Import(a) => commands::import::run(&cx, a),
        Command::Demo(a) => commands::demo::run(&cx, a),
        Command::Retention(c) => commands::retention::run(&cx, c),
        Command::Request(c) => commands::request::run(&cx, c),
        Command::Serve(a) => commands::serve::run(&cx, a),
        Command::Token(c) => commands::serve::token(&cx, c),
        Command::Audit(c) => commands::audit::run(&cx, c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
