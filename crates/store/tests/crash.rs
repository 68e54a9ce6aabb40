//! Durability under SIGKILL: a child process adds consents, printing each
//! batch's numbers once its write has returned; the parent kills it at a
//! random moment, many times over. Every consent the child acknowledged
//! must be in the ledger afterwards, and the audit chain must verify.
//!
//! The child is this test binary, run again on the ignored `crash_child`
//! test with the database and the first number in its environment.

#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests"
)]

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{TestDb, policy};
use tillit_core::identity::SubjectId;
use tillit_core::ledger::{ConsentChange, NewSubject};

on_both_backends!(acknowledged_consents_survive_sigkill);

const ROUNDS: u64 = 30;

fn acknowledged_consents_survive_sigkill(db: &TestDb) {
    let subject = SubjectId::parse("c-1").unwrap();
    let at: jiff::Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
    db.open()
        .write(at, |w| {
            w.add_subject(&NewSubject {
                id: subject.clone(),
                identifiers: vec![],
            })
        })
        .unwrap();
    let mut acknowledged = BTreeSet::new();
    let mut rng = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| u64::from(d.subsec_nanos()) | 1);
    let mut next = 0u64;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "crash_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("TILLIT_CRASH_DB", db.url())
            .env("TILLIT_CRASH_FROM", next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut acks = Vec::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(range) = line.strip_prefix("ack ")
                    && let Some((a, b)) = range.split_once('-')
                    && let (Ok(a), Ok(b)) = (a.parse::<u64>(), b.parse::<u64>())
                {
                    acks.extend(a..=b);
                }
            }
            acks
        });
        // xorshift: a kill anywhere from start-up to well into the writing.
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(20 + rng % 250));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let acks = reader.join().unwrap();
        next = acks.last().map_or(next, |n| n + 1) + 1000 * (round + 1);
        acknowledged.extend(acks);
    }
    assert!(
        acknowledged.len() > 100,
        "the child should have acknowledged many consents, got {}",
        acknowledged.len()
    );

    let mut ledger = db.open();
    let stored: BTreeSet<u64> = ledger
        .consent_history(&subject)
        .unwrap()
        .into_iter()
        .filter_map(|c| {
            c.notice_version
                .strip_prefix('n')
                .and_then(|n| n.parse().ok())
        })
        .collect();
    let lost: Vec<_> = acknowledged.difference(&stored).take(10).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    let v = ledger.verify_audit(&mut |_| {}).unwrap();
    assert_eq!(v.broken, None, "the chain must verify after {ROUNDS} kills");
    eprintln!(
        "{} acknowledged, {} stored, {} audit entries, {ROUNDS} kills",
        acknowledged.len(),
        stored.len(),
        v.entries
    );
}

/// The child: adds consents in batches of 1 to 8 until it is killed.
#[test]
#[ignore = "run by acknowledged_consents_survive_sigkill as its child process"]
fn crash_child() {
    let (Ok(url), Ok(from)) = (
        std::env::var("TILLIT_CRASH_DB"),
        std::env::var("TILLIT_CRASH_FROM"),
    ) else {
        panic!("crash_child is run by acknowledged_consents_survive_sigkill");
    };
    let policy = policy();
    let subject = SubjectId::parse("c-1").unwrap();
    let at: jiff::Timestamp = "2026-02-01T00:00:00Z".parse().unwrap();
    let mut ledger = tillit_store::Ledger::open(&url).unwrap();
    let mut n: u64 = from.parse().unwrap();
    let mut stdout = std::io::stdout();
    loop {
        let size = 1 + n % 8;
        let batch: Vec<ConsentChange> = (n..n + size)
            .map(|i| {
                ConsentChange::new(
                    &policy,
                    subject.clone(),
                    "marketing",
                    i % 3 != 0,
                    "web",
                    &format!("n{i}"),
                    at,
                )
                .unwrap()
            })
            .collect();
        ledger
            .write(at, |w| {
                for c in &batch {
                    w.change_consent(c)?;
                }
                Ok(())
            })
            .unwrap();
        writeln!(stdout, "ack {n}-{}", n + size - 1).unwrap();
        stdout.flush().unwrap();
        n += size;
    }
}
