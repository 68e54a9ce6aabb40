//! `tillit ropa`
use std::process::ExitCode;
#[derive(clap::Args, Debug)]
pub struct Args {}
pub fn run(_policy: &std::path::Path, _args: Args) -> anyhow::Result<ExitCode> { anyhow::bail!("not yet") }
