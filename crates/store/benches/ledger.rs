//! The ledger's two hot paths, on each backend:
//!
//! - `consent_events`: durable consent events (each with its audit entry,
//!   committed and synced) one per transaction, against batches of 500 per
//!   transaction, in the same run;
//! - `lookup_by_identifier`: the subject an e-mail address belongs to,
//!   among the demo company's subjects (1,000,000 on SQLite by default,
//!   `TILLIT_BENCH_SUBJECTS`; 20,000 on PostgreSQL,
//!   `TILLIT_BENCH_PG_SUBJECTS`).
//!
//! The lookup databases are built once with `tillit_store::demo` and kept
//! (SQLite under `target/bench-data/`, PostgreSQL as
//! `tillit_bench_demo_N`). PostgreSQL is found at `TILLIT_BENCH_POSTGRES`
//! or postgres://postgres@127.0.0.1:5432/postgres and skipped if absent.
//!
//! Run: `cargo bench -p tillit-store --bench ledger`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    reason = "a benchmark fails loudly"
)]

use std::path::PathBuf;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use tillit_core::identity::{Email, Identifier, SubjectId};
use tillit_core::ledger::{ConsentChange, NewSubject};
use tillit_core::{Policy, SourceFile};
use tillit_store::{Ledger, demo};

const BATCH: usize = 500;

fn policy() -> Policy {
    let text = include_str!("../../../examples/winston/policy.toml");
    Policy::parse(&SourceFile::new("policy.toml", text)).unwrap()
}

fn admin_url() -> String {
    std::env::var("TILLIT_BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A PostgreSQL database of this name, created if missing; `fresh` drops
/// it first. `None` when no PostgreSQL answers.
fn postgres_db(name: &str, fresh: bool) -> Option<String> {
    let admin = admin_url();
    let Ok(mut client) = postgres::Client::connect(&admin, postgres::NoTls) else {
        eprintln!("no PostgreSQL at {admin}: PostgreSQL benchmarks skipped");
        return None;
    };
    if fresh {
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .unwrap();
    }
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .unwrap()
        .is_some();
    if !exists {
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
    }
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}

fn bench_data() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn consent_ledger(url: &str, policy: &Policy) -> (Ledger, Vec<ConsentChange>) {
    let mut ledger = Ledger::open(url).unwrap();
    let at: Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
    let subjects: Vec<SubjectId> = (0..100)
        .map(|i| SubjectId::parse(&format!("b-{i}")).unwrap())
        .collect();
    ledger
        .write(at, |w| {
            for s in &subjects {
                w.ensure_subject(&NewSubject {
                    id: s.clone(),
                    identifiers: vec![],
                })?;
            }
            Ok(())
        })
        .unwrap();
    let changes = (0..BATCH)
        .map(|i| {
            ConsentChange::new(
                policy,
                subjects[i % subjects.len()].clone(),
                if i % 2 == 0 {
                    "marketing"
                } else {
                    "service-development"
                },
                i % 5 != 0,
                "web",
                "bench",
                at,
            )
            .unwrap()
        })
        .collect();
    (ledger, changes)
}

fn consent_events(c: &mut Criterion) {
    let policy = policy();
    let dir = tempfile::tempdir().unwrap();
    let mut backends = vec![(
        "sqlite",
        format!("sqlite://{}", dir.path().join("consents.db").display()),
    )];
    if let Some(url) = postgres_db("tillit_bench_consents", true) {
        backends.push(("postgres", url));
    }
    let mut group = c.benchmark_group("consent_events");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    for (backend, url) in &backends {
        let (mut ledger, changes) = consent_ledger(url, &policy);
        let at = changes[0].at;
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new(*backend, "one-per-transaction"), |b| {
            let mut i = 0;
            b.iter(|| {
                let c = &changes[i % changes.len()];
                i += 1;
                ledger.write(at, |w| w.change_consent(c)).unwrap()
            });
        });
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function(
            BenchmarkId::new(*backend, format!("batch-of-{BATCH}")),
            |b| {
                b.iter(|| {
                    ledger
                        .write(at, |w| {
                            for c in &changes {
                                w.change_consent(c)?;
                            }
                            Ok(())
                        })
                        .unwrap()
                });
            },
        );
        assert!(ledger.verify_audit(&mut |_| {}).unwrap().is_intact());
    }
    group.finish();
}

fn subjects_from_env(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Opens a demo ledger of `n` subjects, building it if it is not complete.
fn demo_ledger(url: &str, n: u64, policy: &Policy) -> Ledger {
    let mut ledger = Ledger::open(url).unwrap();
    let have = ledger.counts().unwrap().subjects;
    if have != n {
        assert_eq!(have, 0, "{url} holds {have} subjects, not {n}: remove it");
        eprintln!("building {n} demo subjects in {url} (once)…");
        let started = std::time::Instant::now();
        let spec = demo::Spec {
            subjects: n,
            seed: 1,
            until: "2026-11-25T12:00:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .to_zoned_datetime(TimeZone::UTC),
        };
        demo::generate(&mut ledger, policy, &spec, &mut |done| {
            if done % 100_000 == 0 {
                eprintln!("  {done}");
            }
        })
        .unwrap();
        eprintln!("built in {:.0} s", started.elapsed().as_secs_f64());
    }
    ledger
}

fn lookup_by_identifier(c: &mut Criterion) {
    let policy = policy();
    let n_sqlite = subjects_from_env("TILLIT_BENCH_SUBJECTS", 1_000_000);
    let n_pg = subjects_from_env("TILLIT_BENCH_PG_SUBJECTS", 20_000);
    let mut backends = vec![(
        "sqlite",
        n_sqlite,
        format!(
            "sqlite://{}",
            bench_data().join(format!("demo-{n_sqlite}.db")).display()
        ),
    )];
    if let Some(url) = postgres_db(&format!("tillit_bench_demo_{n_pg}"), false) {
        backends.push(("postgres", n_pg, url));
    }
    let mut group = c.benchmark_group("lookup_by_identifier");
    for (backend, n, url) in &backends {
        let mut ledger = demo_ledger(url, *n, &policy);
        // Spread over the whole table, so the cache is not one page.
        let probes: Vec<Identifier> = (0..4096u64)
            .map(|k| {
                let i = k.wrapping_mul(2_654_435_761) % n;
                Identifier::Email(Email::parse(&demo::email(i)).unwrap())
            })
            .collect();
        group.throughput(Throughput::Elements(1));
        group.bench_function(BenchmarkId::new(*backend, format!("{n}-subjects")), |b| {
            let mut k = 0;
            b.iter(|| {
                let p = &probes[k % probes.len()];
                k += 1;
                let found = ledger.find(p).unwrap();
                assert!(found.is_some());
                found
            });
        });
    }
    group.finish();
}

criterion_group!(benches, consent_events, lookup_by_identifier);
criterion_main!(benches);
