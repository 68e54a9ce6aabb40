//! The access report (GDPR Art. 15) of one subject in a large ledger:
//! milliseconds per report, for subjects drawn at random, with the ledger's
//! raw reads of the same subject timed in the same run as the peer.
//!
//!   scripts/bench-access.sh            # builds the ledger, then runs this
//!
//! `TILLIT_BENCH_LEDGER` names the ledger (a database URL) and
//! `TILLIT_BENCH_SUBJECTS` how many subjects it holds, ids `c-000001` on.
//! Each subject is asked for once per pass, in a random order; the page
//! cache is warmed by one pass first. Printed: median, p90 and p99 of
//!   reads   `Ledger::subject_file` + `consent_history` (the rows alone)
//!   report  `access::report` (the same reads, every record's purposes,
//!           bases and retention, recipients and transfers, rights)
//!   letter  the report, its JSON and the Swedish Markdown letter
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark fails loudly"
)]

use std::time::Instant;

use tillit_core::identity::SubjectId;
use tillit_core::retention::Schedule;
use tillit_core::rights::Right;
use tillit_core::{Lang, Policy, SourceFile};
use tillit_store::Ledger;

const SAMPLE: usize = 2_000;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let url = std::env::var("TILLIT_BENCH_LEDGER")
        .expect("set TILLIT_BENCH_LEDGER to a ledger's URL; scripts/bench-access.sh does");
    let subjects: u64 = std::env::var("TILLIT_BENCH_SUBJECTS")
        .map_or(1_000_000, |s| s.parse().expect("TILLIT_BENCH_SUBJECTS"));
    let text = include_str!("../../../examples/winston/policy.toml");
    let policy = Policy::parse(&SourceFile::new("policy.toml", text)).expect("policy");
    let tz = jiff::tz::TimeZone::get("Europe/Stockholm").unwrap();
    let schedule = Schedule::new(&policy, tz.clone());
    let at: jiff::Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
    let mut ledger = Ledger::open(&url).expect("ledger");
    let counts = ledger.counts().expect("counts");
    println!("ledger {url}: {counts:?}");

    // A fixed pseudo-random sample of subjects (xorshift).
    let mut x: u64 = 2026;
    let ids: Vec<SubjectId> = (0..SAMPLE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            SubjectId::parse(&format!("c-{:06}", x % subjects + 1)).unwrap()
        })
        .collect();

    let mut records = 0usize;
    let mut pass = |name: &str, ledger: &mut Ledger, report: bool| {
        let mut ms = Vec::with_capacity(SAMPLE);
        for id in &ids {
            let start = Instant::now();
            if report {
                let r = tillit_store::access::report(
                    ledger,
                    &policy,
                    &schedule,
                    id,
                    at,
                    Right::Access,
                    None,
                )
                .unwrap()
                .expect("the subject is in the ledger");
                if name == "letter" {
                    let json = serde_json::to_string(&r).unwrap();
                    let letter = r.letter(Lang::Sv, &tz).to_markdown();
                    std::hint::black_box((json, letter));
                }
                records += r.records.len();
                std::hint::black_box(r);
            } else {
                let file = ledger.subject_file(id, at).unwrap().expect("subject");
                let history = ledger.consent_history(id).unwrap();
                std::hint::black_box((file, history));
            }
            ms.push(start.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        (
            percentile(&ms, 0.5),
            percentile(&ms, 0.9),
            percentile(&ms, 0.99),
        )
    };
    pass("warm", &mut ledger, true);
    for name in ["reads", "report", "letter"] {
        let (p50, p90, p99) = pass(name, &mut ledger, name != "reads");
        println!(
            "{name:>6}: median {p50:.3} ms, p90 {p90:.3} ms, p99 {p99:.3} ms over {SAMPLE} subjects"
        );
    }
    println!(
        "records per report: {:.1} on average",
        records as f64 / (3 * SAMPLE) as f64
    );
}
