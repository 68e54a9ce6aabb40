//! One module per subcommand; each has `Args` (its `--help`) and `run`.

pub mod audit;
pub mod check;
pub mod consent;
pub mod decide;
pub mod demo;
pub mod disclose;
pub mod event;
pub mod import;
pub mod init;
pub mod notice;
pub mod record;
pub mod request;
pub mod retention;
pub mod rights;
pub mod ropa;
pub mod serve;
pub mod subject;

use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use tillit_core::identity::SubjectId;
use tillit_core::{Policy, SourceFile};
use tillit_store::Ledger;

use crate::diagnostics;

/// Reads the policy file, naming it in any error.
pub fn read_policy_file(path: &Path) -> anyhow::Result<SourceFile> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the policy file `{}` (give another with --policy FILE, or write a starter with `tillit init`)",
            path.display()
        )
    })?;
    Ok(SourceFile::new(path.display().to_string(), text))
}

/// Reads and resolves the policy; on errors, shows them on stderr and
/// fails.
pub fn load_policy(path: &Path) -> anyhow::Result<Policy> {
    let file = read_policy_file(path)?;
    Policy::parse(&file).map_err(|errors| {
        eprint!(
            "{}",
            diagnostics::render(&file, &errors, diagnostics::stderr_is_terminal())
        );
        let n = errors.len();
        anyhow::anyhow!(
            "`{}` has {n} error{}; run `tillit check` for details",
            file.name(),
            if n == 1 { "" } else { "s" }
        )
    })
}

/// What `--allow-invalid-safeguards` says, on every command that publishes.
pub const ALLOW_INVALID_SAFEGUARDS: &str = "State transfer safeguards that are not valid on the day \
    rendered (e.g. the EU-US Privacy Shield after 2020-07-16), instead of refusing. Publishing an \
    invalid safeguard breaches GDPR Art. 13(1)(f), 5(1)(a) and 44: correct the policy instead \
    whenever you can.";

/// Refuses, naming each finding with its file:line:col, a policy whose
/// published text would state a transfer safeguard that is not valid on
/// `day`, unless `allow` (the operator's explicit override), in which case
/// the findings are shown as warnings and the caller goes on.
pub fn refuse_invalid_safeguards(
    path: &Path,
    policy: &Policy,
    day: jiff::civil::Date,
    allow: bool,
) -> anyhow::Result<()> {
    let findings = tillit_core::check::unpublishable(policy, day);
    if findings.is_empty() {
        return Ok(());
    }
    let file = read_policy_file(path)?;
    let n = findings.len();
    // Overridden, the same findings are shown as warnings.
    let shown: Vec<_> = findings
        .into_iter()
        .map(|mut d| {
            if allow {
                d.severity = tillit_core::Severity::Warning;
            }
            d
        })
        .collect();
    eprint!(
        "{}",
        diagnostics::render(&file, &shown, diagnostics::stderr_is_terminal())
    );
    if allow {
        eprintln!(
            "warning: stating {n} transfer safeguard{} not valid on {day}, as --allow-invalid-safeguards asks",
            if n == 1 { "" } else { "s" }
        );
        return Ok(());
    }
    anyhow::bail!(
        "refusing to publish: the text would state {n} transfer safeguard{} not valid on {day}; correct `{}` (`tillit check` says how), or pass --allow-invalid-safeguards to state {} anyway",
        if n == 1 { "" } else { "s" },
        file.name(),
        if n == 1 { "it" } else { "them" }
    )
}

/// Writes `content` to `out`, or to stdout when `out` is `None`. A reader
/// that stops early (`tillit check | head`) is not an error: the command
/// still exits with its own verdict.
pub fn emit(out: Option<&Path>, content: &str) -> anyhow::Result<()> {
    match out {
        Some(path) => std::fs::write(path, content)
            .with_context(|| format!("cannot write `{}`", path.display())),
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(content.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to standard output"),
            }
        }
    }
}

/// Where the ledger and the policy are: the global `--db` and `--policy`.
#[derive(Debug)]
pub struct Context {
    pub policy: std::path::PathBuf,
    pub db: String,
}

impl Context {
    pub fn policy(&self) -> anyhow::Result<Policy> {
        load_policy(&self.policy)
    }

    /// Opens the ledger `--db` names, creating and migrating it if need be.
    pub fn ledger(&self) -> anyhow::Result<Ledger> {
        Ok(Ledger::open(&self.db)?)
    }
}

/// Parses a subject id given on the command line.
pub fn subject_id(s: &str) -> Result<SubjectId, String> {
    SubjectId::parse(s).map_err(|e| e.to_string())
}

/// Prints a value as pretty JSON on stdout.
pub fn emit_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value).context("cannot write JSON")?;
    text.push('\n');
    emit(None, &text)
}

/// Prints `text` and a newline on stdout.
pub fn say(text: &str) -> anyhow::Result<()> {
    emit(None, &format!("{text}\n"))
}
