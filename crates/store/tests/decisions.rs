//! Decisions against a real ledger, on SQLite and PostgreSQL: states load
//! from what the ledger holds, and a write reaches the very next decision.

#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests"
)]

mod support;

use jiff::Timestamp;
use support::{TestDb, policy};
use tillit_core::Policy;
use tillit_core::decide::{Request, Rules};
use tillit_core::identity::SubjectId;
use tillit_core::ledger::{ConsentChange, NewEvent, NewObjection, NewSubject, RestrictionGround};
use tillit_store::Ledger;
use tillit_store::decisions::{Decider, Follower, load_all_states, load_states, stale_facts};
use tillit_store::demo;

on_both_backends!(
    the_next_decision_after_a_withdrawal_denies,
    objections_restrictions_and_contracts_reach_decisions_at_once,
    a_write_through_another_connection_reaches_a_shared_cache,
    many_decisions_load_states_in_chunks_and_agree_with_one_by_one,
    decision_facts_are_a_copy_of_their_tables,
    a_ledger_from_before_decision_facts_gets_them_on_open,
    a_follower_sees_other_processes_writes_and_a_pruned_feed,
);

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn sid(s: &str) -> SubjectId {
    SubjectId::parse(s).unwrap()
}

const SEEN: &str = "0123456789abcdef0123456789abcdef";

fn customer(ledger: &mut Ledger, policy: &Policy, id: &str, consent: bool) {
    let id = sid(id);
    ledger
        .write(t("2026-01-01T09:00:00Z"), |w| {
            w.add_subject(&NewSubject {
                id: id.clone(),
                identifiers: vec![],
            })?;
            w.add_event(&NewEvent::new(
                policy,
                id.clone(),
                "contract-start",
                "K-1",
                t("2026-01-01T09:00:00Z"),
            )?)?;
            if consent {
                w.change_consent(&ConsentChange::new(
                    policy,
                    id.clone(),
                    "marketing",
                    true,
                    "web",
                    SEEN,
                    t("2026-01-02T09:00:00Z"),
                )?)?;
            }
            Ok(())
        })
        .unwrap();
}

fn ask(rules: &Rules, role: &str, purpose: &str, category: &str, at: &str) -> Request {
    rules.request(role, purpose, category, t(at))
}

fn the_next_decision_after_a_withdrawal_denies(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    customer(&mut ledger, &policy, "c-1", true);
    let decider = Decider::new(Rules::new(&policy), 1000, &mut ledger);
    let anna = sid("c-1");
    let marketing = ask(
        decider.rules(),
        "marketing",
        "marketing",
        "traffic",
        "2026-02-01T09:00:00Z",
    );
    let d = decider.decide(&mut ledger, &anna, &marketing).unwrap();
    assert!(d.allowed, "consent given: {d:?}");
    assert_eq!(decider.cache().len(), 1, "the state is now cached");

    ledger
        .write(t("2026-02-01T08:59:00Z"), |w| {
            w.change_consent(&ConsentChange::new(
                &policy,
                anna.clone(),
                "marketing",
                false,
                "email-link",
                SEEN,
                t("2026-02-01T08:59:00Z"),
            )?)
        })
        .unwrap();
    let d = decider.decide(&mut ledger, &anna, &marketing).unwrap();
    assert!(!d.allowed, "the very next decision denies: {d:?}");
    assert_eq!(d.rule.id(), "consent-withdrawn");
    // And the past is still the past.
    let before = ask(
        decider.rules(),
        "marketing",
        "marketing",
        "traffic",
        "2026-02-01T08:58:59Z",
    );
    assert!(decider.decide(&mut ledger, &anna, &before).unwrap().allowed);
}

fn objections_restrictions_and_contracts_reach_decisions_at_once(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    customer(&mut ledger, &policy, "c-1", true);
    let decider = Decider::new(Rules::new(&policy), 1000, &mut ledger);
    let anna = sid("c-1");
    let rules = decider.rules();
    let at = "2026-03-01T12:00:00Z";
    let provision = ask(rules, "support", "service-provision", "customer", at);
    let direct = ask(rules, "account-manager", "marketing", "customer", at);
    let rule =
        |ledger: &mut Ledger, r: &Request| decider.decide(ledger, &anna, r).unwrap().rule.id();

    assert_eq!(rule(&mut ledger, &provision), "contract-active");
    assert_eq!(rule(&mut ledger, &direct), "legitimate-interest");

    ledger
        .write(t("2026-02-01T00:00:00Z"), |w| {
            w.object(&NewObjection::new(
                &policy,
                anna.clone(),
                "marketing",
                t("2026-02-01T00:00:00Z"),
            )?)
        })
        .unwrap();
    assert_eq!(rule(&mut ledger, &direct), "direct-marketing-objection");
    assert_eq!(rule(&mut ledger, &provision), "contract-active");

    let restriction = ledger
        .write(t("2026-02-02T00:00:00Z"), |w| {
            w.restrict(
                &anna,
                RestrictionGround::AccuracyContested,
                t("2026-02-02T00:00:00Z"),
            )
        })
        .unwrap();
    assert_eq!(rule(&mut ledger, &provision), "restricted");
    ledger
        .write(t("2026-02-03T00:00:00Z"), |w| {
            w.lift_restriction(&anna, restriction, t("2026-02-03T00:00:00Z"))
        })
        .unwrap();
    assert_eq!(rule(&mut ledger, &provision), "contract-active");

    ledger
        .write(t("2026-02-04T00:00:00Z"), |w| {
            w.add_event(&NewEvent::new(
                &policy,
                anna.clone(),
                "contract-end",
                "K-1",
                t("2026-02-04T00:00:00Z"),
            )?)
        })
        .unwrap();
    assert_eq!(rule(&mut ledger, &provision), "contract-ended");

    let nobody = decider
        .decide(&mut ledger, &sid("c-404"), &provision)
        .unwrap();
    assert_eq!(
        (nobody.allowed, nobody.rule.id()),
        (false, "unknown-subject")
    );
}

fn a_write_through_another_connection_reaches_a_shared_cache(db: &TestDb) {
    let policy = policy();
    let mut reader = db.open();
    let mut writer = db.open();
    customer(&mut writer, &policy, "c-1", true);
    let decider = Decider::new(Rules::new(&policy), 1000, &mut reader);
    writer.attach(decider.cache().clone());
    let anna = sid("c-1");
    let r = ask(
        decider.rules(),
        "marketing",
        "marketing",
        "traffic",
        "2026-06-01T00:00:00Z",
    );
    assert!(decider.decide(&mut reader, &anna, &r).unwrap().allowed);
    writer
        .write(t("2026-05-01T00:00:00Z"), |w| {
            w.change_consent(&ConsentChange::new(
                &policy,
                anna.clone(),
                "marketing",
                false,
                "phone",
                SEEN,
                t("2026-05-01T00:00:00Z"),
            )?)
        })
        .unwrap();
    assert!(!decider.decide(&mut reader, &anna, &r).unwrap().allowed);
}

fn many_decisions_load_states_in_chunks_and_agree_with_one_by_one(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    // More subjects than one chunk holds, half with consent.
    for i in 0..300 {
        customer(&mut ledger, &policy, &format!("c-{i}"), i % 2 == 0);
    }
    let rules = Rules::new(&policy);
    let mut requests = Vec::new();
    for i in (0..320).rev() {
        let id = sid(&format!("c-{i}"));
        requests.push((
            id.clone(),
            ask(
                &rules,
                "marketing",
                "marketing",
                "traffic",
                "2026-02-01T00:00:00Z",
            ),
        ));
        requests.push((
            id,
            ask(
                &rules,
                "support",
                "service-provision",
                "customer",
                "2026-02-01T00:00:00Z",
            ),
        ));
    }
    let batch = Decider::new(rules.clone(), 100, &mut ledger);
    let all_decisions = batch.decide_all(&mut ledger, &requests).unwrap();
    let all = &all_decisions;
    assert!(
        batch.cache().len() <= 100,
        "the cache stays within its bound"
    );
    let single = Decider::new(rules.clone(), 10, &mut ledger);
    for ((id, r), d) in requests.iter().zip(all) {
        assert_eq!(*d, single.decide(&mut ledger, id, r).unwrap(), "{id}");
    }
    let allowed = all.iter().filter(|d| d.allowed).count();
    assert_eq!(allowed, 150 + 300, "150 consents and 300 contracts");
    let unknown = all
        .iter()
        .filter(|d| d.rule.id() == "unknown-subject")
        .count();
    assert_eq!(unknown, 40, "c-300 … c-319 are not in the ledger");
    // The loader returns exactly the subjects the ledger holds.
    let ids: Vec<SubjectId> = (250..310).map(|i| sid(&format!("c-{i}"))).collect();
    assert_eq!(load_states(&mut ledger, &rules, &ids).unwrap().len(), 50);
    // Full scans give the same states as loading by id.
    let all = load_all_states(&mut ledger, &rules).unwrap();
    let ids: Vec<SubjectId> = (0..300).map(|i| sid(&format!("c-{i}"))).collect();
    assert_eq!(all, load_states(&mut ledger, &rules, &ids).unwrap());
    let preloaded = Decider::new(rules.clone(), 10, &mut ledger);
    assert_eq!(preloaded.preload(&mut ledger).unwrap(), 300);
    assert_eq!(
        preloaded.decide_all(&mut ledger, &requests).unwrap(),
        all_decisions
    );
    // One pass over every subject's facts decides each request once, the
    // same way. The ledger holds 300 subjects, which it estimates from
    // above.
    assert!(batch.subjects(&mut ledger).unwrap() >= 300);
    let mut scanned = vec![None; requests.len()];
    batch
        .decide_by_scan(&mut ledger, &requests, |i, d| {
            assert!(scanned[i].replace(d).is_none(), "request {i} decided twice");
        })
        .unwrap();
    let scanned: Vec<_> = scanned
        .into_iter()
        .map(|d| d.expect("every request decided"))
        .collect();
    assert_eq!(scanned, all_decisions);
}

fn demo_company(ledger: &mut Ledger, policy: &Policy, subjects: u64) {
    let spec = demo::Spec {
        subjects,
        seed: 11,
        until: "2026-11-25T12:00:00+01:00[Europe/Stockholm]"
            .parse()
            .unwrap(),
    };
    demo::generate(ledger, policy, &spec, &mut |_| {}).unwrap();
}

fn decision_facts_are_a_copy_of_their_tables(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    demo_company(&mut ledger, &policy, 200);
    assert_eq!(db.scalar("SELECT COUNT(*) FROM decision_facts"), 200);
    assert_eq!(stale_facts(&mut ledger).unwrap(), Vec::<String>::new());
    // Every kind of write keeps them, one transaction at a time.
    let anna = sid("c-000007");
    let restriction = ledger
        .write(t("2026-11-26T00:00:00Z"), |w| {
            w.change_consent(&ConsentChange::new(
                &policy,
                anna.clone(),
                "marketing",
                true,
                "web",
                SEEN,
                t("2026-11-26T00:00:00Z"),
            )?)?;
            w.add_event(&NewEvent::new(
                &policy,
                anna.clone(),
                "contract-start",
                "K-new",
                t("2026-11-26T00:00:00Z"),
            )?)?;
            w.object(&NewObjection::new(
                &policy,
                anna.clone(),
                "service-development",
                t("2026-11-26T00:00:00Z"),
            )?)?;
            w.restrict(
                &anna,
                RestrictionGround::AccuracyContested,
                t("2026-11-26T00:00:00Z"),
            )
        })
        .unwrap();
    ledger
        .write(t("2026-11-27T00:00:00Z"), |w| {
            w.lift_restriction(&anna, restriction, t("2026-11-27T00:00:00Z"))
        })
        .unwrap();
    assert_eq!(stale_facts(&mut ledger).unwrap(), Vec::<String>::new());
    // A row written past the ledger is caught.
    db.tamper(
        "INSERT INTO consents (subject_id, purpose, given, channel, notice_version, at)
         VALUES ('c-000042', 'marketing', false, 'web', 'x', 0)",
    );
    assert_eq!(
        stale_facts(&mut ledger).unwrap(),
        vec!["c-000042".to_owned()]
    );
}

fn a_ledger_from_before_decision_facts_gets_them_on_open(db: &TestDb) {
    let policy = policy();
    let rules = Rules::new(&policy);
    let ids: Vec<SubjectId> = (1..=150).map(|i| sid(&format!("c-{i:06}"))).collect();
    let before = {
        let mut ledger = db.open();
        demo_company(&mut ledger, &policy, 150);
        load_states(&mut ledger, &rules, &ids).unwrap()
    };
    assert_eq!(before.len(), 150);
    // As a ledger written before schema version 2 was.
    db.tamper("DROP TABLE requests");
    db.tamper("DROP TABLE tokens");
    db.tamper("DROP TABLE page_views");
    db.tamper("DROP TABLE visitor_salts");
    db.tamper("DROP TABLE decision_facts");
    db.tamper("DROP TABLE subject_changes");
    db.tamper("DROP TABLE feed_readers");
    db.tamper("DROP TABLE feed_pruned");
    db.tamper("ALTER TABLE subjects DROP COLUMN erased_at");
    db.tamper("ALTER TABLE records DROP COLUMN handled_at");
    db.tamper("ALTER TABLE records DROP COLUMN handled_by");
    db.tamper("ALTER TABLE records DROP COLUMN dated");
    db.tamper("ALTER TABLE audit DROP COLUMN recorded_at");
    db.tamper("ALTER TABLE holds DROP COLUMN scope");
    db.tamper("ALTER TABLE holds DROP COLUMN review_on");
    db.tamper("DROP INDEX records_by_kind_collected");
    db.tamper("DROP INDEX records_by_reference");
    db.tamper("DROP INDEX lifecycle_events_by_kind");
    db.tamper("DELETE FROM tillit_schema WHERE version >= 2");
    let mut ledger = db.open();
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM decision_facts WHERE facts IS NOT NULL"),
        150
    );
    assert_eq!(stale_facts(&mut ledger).unwrap(), Vec::<String>::new());
    assert_eq!(load_states(&mut ledger, &rules, &ids).unwrap(), before);
    assert_eq!(load_all_states(&mut ledger, &rules).unwrap(), before);
}

fn withdraw(ledger: &mut Ledger, policy: &Policy, id: &str, at: &str) {
    ledger
        .write(t(at), |w| {
            w.change_consent(&ConsentChange::new(
                policy,
                sid(id),
                "marketing",
                false,
                "web",
                SEEN,
                t(at),
            )?)
        })
        .unwrap();
}

/// The change feed: a decider in "another process" (its own connections,
/// not attached to the writer) follows writes; a follower that fell behind
/// a pruned feed drops what it holds rather than serve it.
fn a_follower_sees_other_processes_writes_and_a_pruned_feed(db: &TestDb) {
    let policy = policy();
    let mut writer = db.open();
    for id in ["c-1", "c-2"] {
        customer(&mut writer, &policy, id, true);
    }
    let open_node = || {
        let mut ledger = db.open();
        let decider = Decider::new(Rules::new(&policy), 1000, &mut ledger);
        let follower = Follower::new(&db.url(), std::sync::Arc::clone(decider.cache())).unwrap();
        (ledger, decider, follower)
    };
    let (mut l1, d1, f1) = open_node();
    let (mut l2, d2, f2) = open_node();
    let at = "2026-03-01T12:00:00Z";
    let marketing = ask(d1.rules(), "marketing", "marketing", "traffic", at);
    let rule = |l: &mut Ledger, d: &Decider, f: &Follower, id: &str| {
        f.fresh().unwrap();
        d.decide(l, &sid(id), &marketing).unwrap().rule.id()
    };
    for id in ["c-1", "c-2"] {
        assert_eq!(rule(&mut l1, &d1, &f1, id), "consent-given");
        assert_eq!(rule(&mut l2, &d2, &f2, id), "consent-given");
    }
    withdraw(&mut writer, &policy, "c-1", "2026-02-01T00:00:00Z");
    assert_eq!(rule(&mut l1, &d1, &f1, "c-1"), "consent-withdrawn");
    assert_eq!(d1.cache().len(), 2, "c-2 stayed cached: only c-1 changed");
    // Node 2 has not checked since. The feed is pruned through the head
    // (no reader counts as live): node 2's next check finds its position
    // gone and drops everything, so it still decides right.
    let removed = writer
        .prune_feed(
            jiff::Timestamp::MAX
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap(),
        )
        .unwrap();
    assert!(removed >= 1, "{removed}");
    assert_eq!(db.scalar("SELECT COUNT(*) FROM subject_changes"), 0);
    withdraw(&mut writer, &policy, "c-2", "2026-02-01T00:00:00Z");
    assert_eq!(rule(&mut l2, &d2, &f2, "c-1"), "consent-withdrawn");
    assert_eq!(rule(&mut l2, &d2, &f2, "c-2"), "consent-withdrawn");
    // Node 1 had read through the pruned part: it only drops c-2.
    assert_eq!(rule(&mut l1, &d1, &f1, "c-2"), "consent-withdrawn");
    // Readers heard from lately hold the feed back to where they are.
    writer
        .report_reader("a-reader", 0, jiff::Timestamp::now())
        .unwrap();
    withdraw(&mut writer, &policy, "c-1", "2026-02-02T00:00:00Z");
    writer
        .prune_feed(jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60))
        .unwrap();
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM subject_changes"),
        2,
        "both changes since the last prune are kept for the readers behind them"
    );
}
