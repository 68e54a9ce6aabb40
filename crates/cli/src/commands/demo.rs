//! `tillit demo`

use std::process::ExitCode;

use jiff::ZonedDateTime as Zoned;
use serde_json::json;
use tillit_store::demo;

use super::{Context, emit_json, say};
use crate::{at, progress};

/// Fill the ledger with a synthetic company, to try tillit on.
///
/// Customers c-000001, c-000002, … with contracts that start and end,
/// invoices paid on time, late or never, vouchers, newsletter consents
/// given and withdrawn, page views, a few disclosures to processors and one
/// authority request. The same --seed, --subjects and --at give the same
/// data. Needs a policy with the Winston example's ids (`tillit init`).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// How many subjects.
    #[arg(long, default_value_t = 1000)]
    subjects: u64,
    /// The seed of the random choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The company's history ends here (default: now) and spans the four
    /// years before.
    #[arg(long, value_parser = at::parse, value_name = "TIME")]
    at: Option<Zoned>,
    /// Report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cx: &Context, a: Args) -> anyhow::Result<ExitCode> {
    let until = at::or_now(a.at)?;
    let policy = cx.policy()?;
    let mut ledger = cx.ledger()?;
    let held = ledger.counts()?.subjects;
    if held > 0 {
        anyhow::bail!(
            "the ledger at {} already holds {held} subjects; the demo fills an empty one (give another --db)",
            tillit_store::redact(&cx.db)
        );
    }
    let bar = progress::bar(a.subjects, "subjects");
    let spec = demo::Spec {
        subjects: a.subjects,
        seed: a.seed,
        until,
    };
    let started = std::time::Instant::now();
    let summary = demo::generate(&mut ledger, &policy, &spec, &mut |n| bar.set_position(n))?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    if a.json {
        emit_json(&json!({ "db": ledger.backend(), "generated": summary, "seconds": seconds }))?;
    } else {
        say(&format!(
            "generated {} subjects, {} records, {} lifecycle events, {} consent events and {} disclosures in {seconds:.1} s\ntry: tillit subject show c-000001",
            summary.subjects,
            summary.records,
            summary.lifecycle_events,
            summary.consents,
            summary.disclosures
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}
