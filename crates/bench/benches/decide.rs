//! Decisions per engine on the same 10,000 pre-built requests, cycled in
//! order, with every subject's state already in the engine's own store.
//!
//!   cargo bench -p tillit-bench --bench decide
//!
//! 1. Checks that every engine agrees with tillit on all requests (and
//!    stops if not: a fast wrong answer is no answer).
//! 2. criterion: ns per decision, per engine.
//! 3. A pass of its own: each engine's median ns/decision over runs of
//!    the whole request set, the ratio to tillit, and p50/p99/p99.9 of
//!    single decisions in an HDR histogram (each timed with `Instant`;
//!    the timer's own cost is printed beside them).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a benchmark fails loudly"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use hdrhistogram::Histogram;
use tillit_bench::{Cedar, Engine, Fixture, RegoInterpreter, RegoVm, Tillit};

const SUBJECTS: usize = 1_000;
const REQUESTS: usize = 10_000;
const SEED: u64 = 2026;

fn engines(f: &Fixture) -> Vec<Box<dyn Engine>> {
    vec![
        Box::new(Tillit::new(f)),
        Box::new(Cedar::new(f).expect("cedar")),
        Box::new(RegoInterpreter::new(f).expect("regorus")),
        Box::new(RegoVm::new(f).expect("rvm")),
    ]
}

fn agree(engines: &mut [Box<dyn Engine>]) {
    let (first, rest) = engines.split_first_mut().expect("engines");
    for i in 0..REQUESTS {
        let ours = first.decide(i);
        for e in rest.iter_mut() {
            assert_eq!(e.decide(i), ours, "{} disagrees on request {i}", e.name());
        }
    }
    println!(
        "all {} engines agree on all {REQUESTS} requests",
        rest.len() + 1
    );
}

/// Median ns per decision over `runs` passes through all requests.
fn median_ns(e: &mut dyn Engine, runs: usize) -> f64 {
    let mut per = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        for i in 0..REQUESTS {
            black_box(e.decide(black_box(i)));
        }
        per.push(start.elapsed().as_nanos() as f64 / REQUESTS as f64);
    }
    per.sort_by(f64::total_cmp);
    per[per.len() / 2]
}

fn latencies(e: &mut dyn Engine, n: usize) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
    for i in 0..n {
        let start = Instant::now();
        black_box(e.decide(black_box(i)));
        h.saturating_record(start.elapsed().as_nanos() as u64);
    }
    h
}

fn timer_cost(n: usize) -> Histogram<u64> {
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
    for i in 0..n {
        let start = Instant::now();
        black_box(i);
        h.saturating_record(start.elapsed().as_nanos() as u64);
    }
    h
}

fn main() {
    let f = Fixture::winston(SUBJECTS, REQUESTS, SEED).expect("fixture");
    let mut engines = engines(&f);
    agree(&mut engines);

    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    {
        let mut group = c.benchmark_group("decide");
        for e in &mut engines {
            let name = e.name();
            group.bench_function(name, |b| {
                let mut i = 0usize;
                b.iter(|| {
                    i = i.wrapping_add(1);
                    black_box(e.decide(black_box(i)))
                });
            });
        }
        group.finish();
    }
    c.final_summary();

    println!(
        "\nmedian of whole passes over the {REQUESTS} requests, and single-decision latency (HDR):"
    );
    println!(
        "{:<22} {:>12} {:>10} {:>10} {:>10} {:>10}",
        "engine", "ns/decision", "vs tillit", "p50 ns", "p99 ns", "p99.9 ns"
    );
    let mut base = None;
    for e in &mut engines {
        // Fewer passes for slow engines, so the whole run stays in minutes.
        let probe = median_ns(e.as_mut(), 1);
        let runs = if probe < 1_000.0 { 51 } else { 11 };
        let ns = median_ns(e.as_mut(), runs);
        let ratio = ns / *base.get_or_insert(ns);
        let n = if probe < 1_000.0 { 1_000_000 } else { 100_000 };
        let h = latencies(e.as_mut(), n);
        println!(
            "{:<22} {:>12.1} {:>9.1}× {:>10} {:>10} {:>10}",
            e.name(),
            ns,
            ratio,
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.99),
            h.value_at_quantile(0.999)
        );
    }
    let t = timer_cost(1_000_000);
    println!(
        "{:<22} {:>12} {:>10} {:>10} {:>10} {:>10}",
        "(the timer alone)",
        "",
        "",
        t.value_at_quantile(0.5),
        t.value_at_quantile(0.99),
        t.value_at_quantile(0.999)
    );
}
