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
    /// Report what was written as JSON.
    #[arg(long)]
    json: bool,
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
    let shown = path.display().to_string();
    let next = [
        "Edit [controller]: your name, organisation number, contacts, DPO and fiscal-year end.".to_owned(),
        "Edit categories, kinds, sources and purposes to what you really process; give every purpose a legal basis per category.".to_owned(),
        "Set retention rules for every category, and recipients with their agreements and transfers.".to_owned(),
        format!(
            "Run `tillit check --policy {shown}`: fix every error and read every warning (the example keeps one on purpose: security resting on the contract, as its published text says)."
        ),
        format!("Publish: `tillit notice --policy {shown} --lang sv --format html --out privacy.html`."),
    ];
    let report = if args.json {
        format!(
            "{}\n",
            serde_json::json!({ "written": shown, "next": next })
        )
    } else {
        let mut text =
            format!("Wrote {shown}: the Winston example policy, to edit into your own.\n\nNext:\n");
        for (i, step) in next.iter().enumerate() {
            text.push_str(&format!("{}. {step}\n", i + 1));
        }
        text
    };
    super::emit(None, &report)?;
    Ok(ExitCode::SUCCESS)
}
