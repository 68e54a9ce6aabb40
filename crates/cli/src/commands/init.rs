//! `tillit init`

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// The Winston example: a complete, commented policy to start from.
const STARTER: &str = include_str!("../../../../examples/winston/policy.toml");

/// Write a starter policy (the commented Winston example) to DIR/policy.toml.
///
/// Refuses to overwrite an existing policy unless --force.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The directory to write policy.toml into; created if missing.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Overwrite an existing policy.toml.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create `{}`", args.dir.display()))?;
    let path = args.dir.join("policy.toml");
    if path.exists() && !args.force {
        anyhow::bail!(
            "`{}` exists already; pass --force to overwrite it",
            path.display()
        );
    }
    std::fs::write(&path, STARTER).with_context(|| format!("cannot write `{}`", path.display()))?;
    let shown = path.display();
    println!(
        "Wrote {shown}: the Winston example policy, to edit into your own.\n\n\
         Next:\n\
         1. Edit [controller]: your name, organisation number, contacts, DPO and fiscal-year end.\n\
         2. Edit categories, kinds, sources and purposes to what you really process; give every\n\
            purpose a legal basis per category.\n\
         3. Set retention rules for every category, and recipients with their agreements and transfers.\n\
         4. Run `tillit check --policy {shown}`: fix every error; read every warning\n\
            (the example keeps one on purpose: a transfer resting on the invalid Privacy Shield).\n\
         5. Publish: `tillit notice --policy {shown} --lang sv --format html --out privacy.html`."
    );
    Ok(ExitCode::SUCCESS)
}
