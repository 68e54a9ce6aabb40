//! One module per subcommand; each has `Args` (its `--help`) and `run`.

pub mod check;
pub mod init;
pub mod notice;
pub mod ropa;

use std::path::Path;

use anyhow::Context;
use tillit_core::{Policy, SourceFile};

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
