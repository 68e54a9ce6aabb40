//! One ledger, many processes: two `tillit serve` nodes and the CLI on one
//! SQLite file or PostgreSQL database, over real HTTP. A write made through
//! any one of them is honoured by the very next decision on every other
//! (a decision asked after the write was acknowledged).

#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly"
)]

mod http;
#[path = "../../store/tests/support/mod.rs"]
mod store_support;
mod support;

use http::Server;
use store_support::TestDb;
use support::Ledger;

on_both_backends!(
    store_support;
    a_write_through_any_process_reaches_the_next_decision_on_every_node,
    interleaved_writes_and_decisions_over_three_processes_match_a_model,
);

fn ok(l: &Ledger, db: &TestDb, args: &[&str]) -> String {
    l.ok_on(&db.url(), args)
}

fn token(l: &Ledger, db: &TestDb, role: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&ok(l, db, &["token", "create", "--role", role, "--json"])).unwrap();
    v["token"].as_str().unwrap().to_owned()
}

/// A customer with a contract, who consented to marketing of traffic data.
fn customer(l: &Ledger, db: &TestDb, id: &str) {
    ok(l, db, &["subject", "add", "--id", id, "--at", "2026-01-01"]);
    ok(
        l,
        db,
        &[
            "event",
            "add",
            "--subject",
            id,
            "--kind",
            "contract-start",
            "--ref",
            "K-1",
            "--at",
            "2026-01-01",
        ],
    );
    ok(
        l,
        db,
        &[
            "consent",
            "give",
            "--subject",
            id,
            "--purpose",
            "marketing",
            "--channel",
            "web",
            "--at",
            "2026-01-02",
        ],
    );
}

/// The rule a node decides by, now, for `subject`.
fn rule(node: &Server, token: &str, subject: &str, purpose: &str, category: &str) -> String {
    let a = node.post_json(
        "/v1/decisions",
        Some(token),
        &format!(r#"{{"subject":"{subject}","purpose":"{purpose}","category":"{category}"}}"#),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()["rule"].as_str().unwrap().to_owned()
}

fn a_write_through_any_process_reaches_the_next_decision_on_every_node(db: &TestDb) {
    let l = Ledger::new();
    customer(&l, db, "c-1");
    let marketing = token(&l, db, "marketing");
    let support = token(&l, db, "support");
    let a = Server::start(&l, db);
    let b = Server::start(&l, db);
    let both = [&a, &b];
    // Both nodes hold the subject in their caches.
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-1", "marketing", "traffic"),
            "consent-given"
        );
    }
    // A withdrawal through node a reaches node b's very next decision.
    let w = a.post_json(
        "/v1/subjects/c-1/consents",
        Some(&marketing),
        r#"{"purpose":"marketing","given":false,"channel":"web"}"#,
    );
    assert_eq!(w.status, 201, "{}", w.body);
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-1", "marketing", "traffic"),
            "consent-withdrawn"
        );
    }
    // Consent given again through the CLI reaches both.
    ok(
        &l,
        db,
        &[
            "consent",
            "give",
            "--subject",
            "c-1",
            "--purpose",
            "marketing",
            "--channel",
            "email",
        ],
    );
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-1", "marketing", "traffic"),
            "consent-given"
        );
    }
    // An objection to direct marketing through node b.
    let o = b.post_json(
        "/v1/subjects/c-1/objections",
        Some(&marketing),
        r#"{"purpose":"marketing"}"#,
    );
    assert_eq!(o.status, 201, "{}", o.body);
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-1", "marketing", "traffic"),
            "direct-marketing-objection"
        );
    }
    // A contract's end through the CLI: the contract basis goes at once.
    for n in both {
        assert_eq!(
            rule(n, &support, "c-1", "service-provision", "customer"),
            "contract-active"
        );
    }
    ok(
        &l,
        db,
        &[
            "event",
            "add",
            "--subject",
            "c-1",
            "--kind",
            "contract-end",
            "--ref",
            "K-1",
        ],
    );
    for n in both {
        assert_eq!(
            rule(n, &support, "c-1", "service-provision", "customer"),
            "contract-ended"
        );
    }
    // A restriction through the CLI.
    customer(&l, db, "c-2");
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-2", "marketing", "traffic"),
            "consent-given"
        );
    }
    ok(
        &l,
        db,
        &[
            "restrict",
            "start",
            "--subject",
            "c-2",
            "--ground",
            "accuracy-contested",
        ],
    );
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-2", "marketing", "traffic"),
            "restricted"
        );
    }
    // An erasure through the CLI: a subject with nothing kept.
    ok(
        &l,
        db,
        &["subject", "add", "--id", "v-1", "--at", "2026-01-01"],
    );
    ok(
        &l,
        db,
        &[
            "consent",
            "give",
            "--subject",
            "v-1",
            "--purpose",
            "marketing",
            "--channel",
            "web",
        ],
    );
    for n in both {
        assert_eq!(
            rule(n, &marketing, "v-1", "marketing", "traffic"),
            "consent-given"
        );
    }
    let case: serde_json::Value = serde_json::from_str(&ok(
        &l,
        db,
        &[
            "request",
            "open",
            "--subject",
            "v-1",
            "--kind",
            "erasure",
            "--json",
        ],
    ))
    .unwrap();
    let id = case["id"].to_string();
    ok(
        &l,
        db,
        &[
            "request", "verify", &id, "--by", "dpo", "--method", "BankID",
        ],
    );
    ok(&l, db, &["request", "answer", &id, "--format", "json"]);
    for n in both {
        assert_eq!(rule(n, &marketing, "v-1", "marketing", "traffic"), "erased");
    }
    // A node started after all this answers correctly at once.
    let c = Server::start(&l, db);
    assert_eq!(
        rule(&c, &marketing, "c-1", "marketing", "traffic"),
        "direct-marketing-objection"
    );
    // A node killed mid-work leaves the others answering correctly.
    drop(c);
    ok(
        &l,
        db,
        &[
            "consent",
            "withdraw",
            "--subject",
            "c-2",
            "--purpose",
            "marketing",
            "--channel",
            "web",
        ],
    );
    ok(
        &l,
        db,
        &["restrict", "lift", "--subject", "c-2", "--id", "1"],
    );
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-2", "marketing", "traffic"),
            "consent-withdrawn"
        );
    }
}

/// Writes through node a, node b and the CLI, decisions on both nodes,
/// in a random order: every decision equals what a model of the consent
/// history says.
fn interleaved_writes_and_decisions_over_three_processes_match_a_model(db: &TestDb) {
    let l = Ledger::new();
    let subjects = ["c-1", "c-2", "c-3"];
    for s in subjects {
        customer(&l, db, s);
    }
    let marketing = token(&l, db, "marketing");
    let a = Server::start(&l, db);
    let b = Server::start(&l, db);
    let mut given = [true; 3];
    let mut rng = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(11, |d| u64::from(d.subsec_nanos()) | 1);
    let mut next = |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let seed = next(u64::MAX);
    for step in 0..60 {
        let i = usize::try_from(next(3)).unwrap();
        let s = subjects[i];
        match next(5) {
            // A write through one of the three processes.
            w @ 0..=2 => {
                let give = next(2) == 0;
                if w == 2 {
                    let verb = if give { "give" } else { "withdraw" };
                    ok(
                        &l,
                        db,
                        &[
                            "consent",
                            verb,
                            "--subject",
                            s,
                            "--purpose",
                            "marketing",
                            "--channel",
                            "web",
                        ],
                    );
                } else {
                    let node = if w == 0 { &a } else { &b };
                    let r = node.post_json(
                        &format!("/v1/subjects/{s}/consents"),
                        Some(&marketing),
                        &format!(r#"{{"purpose":"marketing","given":{give},"channel":"web"}}"#),
                    );
                    assert_eq!(r.status, 201, "{}", r.body);
                }
                given[i] = give;
            }
            // A decision on one of the nodes.
            d => {
                let node = if d == 3 { &a } else { &b };
                let expected = if given[i] {
                    "consent-given"
                } else {
                    "consent-withdrawn"
                };
                assert_eq!(
                    rule(node, &marketing, s, "marketing", "traffic"),
                    expected,
                    "step {step} (seed {seed}): {s} on node {}",
                    if d == 3 { "a" } else { "b" }
                );
            }
        }
    }
}
