//! Retention on a real ledger, SQLite and PostgreSQL: a table of dates and
//! edge cases, plan equals sweep on a generated company, erased bytes gone
//! from the files, and erased subjects.

#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests"
)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use support::{TestDb, policy};
use tillit_core::decide::Rules;
use tillit_core::identity::{Email, Identifier, Personnummer, SubjectId};
use tillit_core::ledger::{NewEvent, NewRecord, NewSubject, RecordRequest};
use tillit_core::retention::{Action, Schedule};
use tillit_core::{Policy, SourceFile};
use tillit_store::decisions::Decider;
use tillit_store::retention::{self, SweepOptions};
use tillit_store::{Ledger, StoreError, demo};

on_both_backends!(
    scenarios_fall_due_on_the_right_day,
    reading_what_may_be_due_finds_what_judging_everything_finds,
    plan_equals_sweep_on_a_generated_company,
    erased_bytes_are_gone_from_the_files,
    a_subject_with_nothing_left_is_erased_and_stays_erased,
    a_sweep_over_many_groups_of_subjects_does_what_its_plan_says,
    a_sweep_that_erases_many_subjects_at_once_keeps_the_chain_and_the_facts,
    a_write_between_batches_is_seen_by_every_later_batch,
    a_hold_keeps_what_it_names_and_a_record_counts_its_own_date,
);

fn stockholm() -> TimeZone {
    TimeZone::get("Europe/Stockholm").unwrap()
}

/// Noon in Stockholm on a day.
fn t(day: &str) -> Timestamp {
    let d: Date = day.parse().unwrap();
    d.at(12, 0, 0, 0)
        .to_zoned_datetime(stockholm())
        .unwrap()
        .timestamp()
}

/// A generated company of `subjects` with its history up to 2026-11-01.
fn company(db: &TestDb, policy: &Policy, subjects: u64, seed: u64) -> Ledger {
    let mut ledger = db.open();
    demo::generate(
        &mut ledger,
        policy,
        &demo::Spec {
            subjects,
            seed,
            until: "2026-11-01T12:00:00+01:00[Europe/Stockholm]"
                .parse()
                .unwrap(),
        },
        &mut |_| {},
    )
    .unwrap();
    ledger
}

fn sid(s: &str) -> SubjectId {
    SubjectId::parse(s).unwrap()
}

/// Winston's policy with a fiscal year that ends on 30 April.
fn april_policy() -> Policy {
    let text = include_str!("../../../examples/winston/policy.toml")
        .replace("fiscal-year-end = \"12-31\"", "fiscal-year-end = \"04-30\"");
    Policy::parse(&SourceFile::new("policy.toml", text)).unwrap()
}

/// One subject's history, written through the ledger.
struct Subject {
    id: String,
    events: Vec<(&'static str, &'static str, &'static str)>,
    /// (label, kind, collected, reference)
    records: Vec<(
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
    )>,
    /// (placed, released)
    holds: Vec<(&'static str, Option<&'static str>)>,
}

/// Writes the subjects; the record ids by (subject, label).
fn write(
    ledger: &mut Ledger,
    policy: &Policy,
    subjects: &[Subject],
) -> BTreeMap<(String, String), i64> {
    let mut ids = BTreeMap::new();
    for s in subjects {
        let id = sid(&s.id);
        ledger
            .write(t("2020-01-01"), |w| {
                w.add_subject(&NewSubject {
                    id: id.clone(),
                    identifiers: vec![],
                })?;
                for (kind, reference, at) in &s.events {
                    w.add_event(&NewEvent::new(policy, id.clone(), kind, reference, t(at))?)?;
                }
                for (label, kind, collected, reference) in &s.records {
                    let category = policy.kinds.get(*kind).unwrap().category.to_string();
                    let source = if *kind == "page-view" {
                        "cookie"
                    } else if *kind == "contact" {
                        "subject"
                    } else {
                        "service-use"
                    };
                    let r = NewRecord::new(
                        policy,
                        RecordRequest {
                            subject: id.clone(),
                            category: &category,
                            kind,
                            source,
                            register: None,
                            reference: reference.map(str::to_owned),
                            accounting: false,
                            payload: Some(serde_json::json!({ "label": label })),
                            collected_at: t(collected).to_zoned_datetime(stockholm()),
                            dated: None,
                        },
                    )?;
                    let record = w.add_record(&r)?;
                    ids.insert((s.id.clone(), (*label).to_owned()), record);
                }
                Ok(())
            })
            .unwrap();
        for (placed, released) in &s.holds {
            let hold = ledger
                .write(t(placed), |w| {
                    w.place_hold(&id, &support::hold_everything("a dispute"), t(placed))
                })
                .unwrap();
            if let Some(released) = released {
                ledger
                    .write(t(released), |w| {
                        w.release_hold(&id, hold, "legal", t(released))
                    })
                    .unwrap();
            }
        }
    }
    ids
}

fn scenarios() -> Vec<Subject> {
    vec![
        Subject {
            id: "month-end".into(),
            events: vec![
                ("contract-start", "K-1", "2021-01-15"),
                ("contract-end", "K-1", "2023-08-31"),
            ],
            records: vec![("contact", "contact", "2021-01-15", None)],
            holds: vec![],
        },
        Subject {
            id: "leap-day".into(),
            events: vec![
                ("contract-start", "K-1", "2021-01-15"),
                ("contract-end", "K-1", "2024-02-29"),
            ],
            records: vec![("contact", "contact", "2021-01-15", None)],
            holds: vec![],
        },
        Subject {
            id: "re-opened".into(),
            events: vec![
                ("contract-start", "K-1", "2020-03-01"),
                ("contract-end", "K-1", "2023-05-31"),
                ("contract-start", "K-2", "2024-01-10"),
                ("contract-end", "K-2", "2024-06-30"),
            ],
            records: vec![("contact", "contact", "2020-03-01", None)],
            holds: vec![],
        },
        Subject {
            id: "paid-after-end".into(),
            events: vec![
                ("contract-start", "K-1", "2020-03-01"),
                ("invoice-issued", "F-4", "2023-04-01"),
                ("contract-end", "K-1", "2023-05-31"),
                ("invoice-paid", "F-4", "2023-10-02"),
            ],
            records: vec![
                ("contact", "contact", "2020-03-01", None),
                ("invoice", "invoice", "2023-04-01", Some("F-4")),
                ("payment", "payment", "2023-10-02", Some("F-4")),
            ],
            holds: vec![],
        },
        Subject {
            id: "never-paid".into(),
            events: vec![
                ("contract-start", "K-1", "2020-03-01"),
                ("invoice-issued", "F-5", "2021-12-01"),
                ("contract-end", "K-1", "2022-01-31"),
            ],
            records: vec![
                ("contact", "contact", "2020-03-01", None),
                ("invoice", "invoice", "2021-12-01", Some("F-5")),
            ],
            holds: vec![],
        },
        Subject {
            id: "april-voucher".into(),
            events: vec![
                ("contract-start", "K-1", "2020-03-01"),
                ("contract-end", "K-1", "2023-05-31"),
            ],
            records: vec![
                ("contact", "contact", "2020-03-01", None),
                ("voucher", "voucher", "2024-05-15", Some("F-6")),
            ],
            holds: vec![],
        },
        Subject {
            id: "hold".into(),
            events: vec![
                ("contract-start", "K-1", "2020-03-01"),
                ("contract-end", "K-1", "2023-05-31"),
            ],
            records: vec![("contact", "contact", "2020-03-01", None)],
            holds: vec![("2025-05-01", Some("2025-07-01"))],
        },
        Subject {
            id: "visitor".into(),
            events: vec![],
            records: vec![("page-view", "page-view", "2023-12-31", None)],
            holds: vec![],
        },
    ]
}

/// What a plan lists: (subject, label, action).
type Listed = BTreeSet<(String, String, Action)>;

/// What the plan at an instant lists.
fn planned(
    ledger: &mut Ledger,
    schedule: &Schedule<'_>,
    ids: &BTreeMap<(String, String), i64>,
    at: Timestamp,
) -> Listed {
    let labels: BTreeMap<i64, &(String, String)> = ids.iter().map(|(k, v)| (*v, k)).collect();
    let mut out = BTreeSet::new();
    let (_, due) = retention::plan(ledger, schedule, at, at, false).unwrap();
    for s in due {
        let (subject, label) = labels[&s.record];
        out.insert((
            subject.clone(),
            label.clone(),
            s.retention.due_at(at).unwrap().action,
        ));
    }
    out
}

fn scenarios_fall_due_on_the_right_day(db: &TestDb) {
    use Action::{Anonymise, Erase};
    let policy = april_policy();
    let mut ledger = db.open();
    let ids = write(&mut ledger, &policy, &scenarios());
    let schedule = Schedule::new(&policy, stockholm());
    let due = |items: &[(&str, &str, Action)]| -> Listed {
        items
            .iter()
            .map(|(s, l, a)| ((*s).to_owned(), (*l).to_owned(), *a))
            .collect()
    };
    // Each instant is the start of a day in Stockholm, or its last second.
    let day = |d: &str| {
        d.parse::<Date>()
            .unwrap()
            .to_zoned_datetime(stockholm())
            .unwrap()
            .timestamp()
    };
    let eve = |d: &str| day(d) - jiff::SignedDuration::from_secs(1);
    let table: Vec<(Timestamp, Listed)> = vec![
        (eve("2023-12-31"), due(&[])),
        (
            day("2023-12-31"),
            due(&[("visitor", "page-view", Anonymise)]),
        ),
        (
            eve("2024-01-31"),
            due(&[("visitor", "page-view", Anonymise)]),
        ),
        (
            day("2024-01-31"),
            due(&[
                ("never-paid", "contact", Erase),
                ("visitor", "page-view", Anonymise),
            ]),
        ),
        (
            day("2025-05-31"),
            due(&[
                ("never-paid", "contact", Erase),
                ("april-voucher", "contact", Erase),
                ("paid-after-end", "contact", Erase),
                ("visitor", "page-view", Anonymise),
                // held since 2025-05-01
            ]),
        ),
        (
            day("2025-07-02"),
            due(&[
                ("never-paid", "contact", Erase),
                ("april-voucher", "contact", Erase),
                ("paid-after-end", "contact", Erase),
                ("hold", "contact", Erase),
                ("visitor", "page-view", Anonymise),
            ]),
        ),
        (
            eve("2025-08-31"),
            due(&[
                ("never-paid", "contact", Erase),
                ("april-voucher", "contact", Erase),
                ("paid-after-end", "contact", Erase),
                ("hold", "contact", Erase),
                ("visitor", "page-view", Anonymise),
            ]),
        ),
        (
            day("2025-10-02"),
            due(&[
                ("never-paid", "contact", Erase),
                ("april-voucher", "contact", Erase),
                ("paid-after-end", "contact", Erase),
                ("hold", "contact", Erase),
                ("month-end", "contact", Erase),
                ("visitor", "page-view", Anonymise),
            ]),
        ),
        (
            day("2026-02-28"),
            due(&[
                ("never-paid", "contact", Erase),
                ("april-voucher", "contact", Erase),
                ("paid-after-end", "contact", Erase),
                ("hold", "contact", Erase),
                ("month-end", "contact", Erase),
                ("leap-day", "contact", Erase),
                ("visitor", "page-view", Erase),
            ]),
        ),
        (
            eve("2026-06-30"),
            due(&[
                ("never-paid", "contact", Erase),
                ("april-voucher", "contact", Erase),
                ("paid-after-end", "contact", Erase),
                ("hold", "contact", Erase),
                ("month-end", "contact", Erase),
                ("leap-day", "contact", Erase),
                ("visitor", "page-view", Erase),
            ]),
        ),
        (
            eve("2033-01-01"),
            due(&[
                ("never-paid", "contact", Erase),
                ("april-voucher", "contact", Erase),
                ("paid-after-end", "contact", Erase),
                ("paid-after-end", "invoice", Erase),
                ("paid-after-end", "payment", Erase),
                // time-barred 2031-12-01 (ten years), kept by the
                // Bookkeeping Act until then
                ("never-paid", "invoice", Erase),
                ("hold", "contact", Erase),
                ("month-end", "contact", Erase),
                ("leap-day", "contact", Erase),
                ("re-opened", "contact", Erase),
                ("visitor", "page-view", Erase),
            ]),
        ),
        (
            day("2033-01-01"),
            due(&[
                ("never-paid", "contact", Erase),
                ("april-voucher", "contact", Erase),
                // fiscal year ended 2025-04-30: kept through 2032-12-31
                ("april-voucher", "voucher", Erase),
                ("paid-after-end", "contact", Erase),
                ("paid-after-end", "invoice", Erase),
                ("paid-after-end", "payment", Erase),
                // time-barred 2031-12-01 (ten years), kept by the
                // Bookkeeping Act until then
                ("never-paid", "invoice", Erase),
                ("hold", "contact", Erase),
                ("month-end", "contact", Erase),
                ("leap-day", "contact", Erase),
                ("re-opened", "contact", Erase),
                ("visitor", "page-view", Erase),
            ]),
        ),
    ];
    for (at, expected) in &table {
        let got = planned(&mut ledger, &schedule, &ids, *at);
        assert_eq!(&got, expected, "plan at {at}");
    }
    // The re-opened contract counts from its last end.
    let re_opened = planned(&mut ledger, &schedule, &ids, day("2026-06-30"));
    assert!(re_opened.contains(&("re-opened".into(), "contact".into(), Erase)));

    // Swept day by day, each sweep handles what its plan listed, once.
    let mut handled = BTreeSet::new();
    for (at, expected) in &table {
        let plan = planned(&mut ledger, &schedule, &ids, *at);
        let summary = retention::sweep(
            &mut ledger,
            &schedule,
            SweepOptions {
                at: *at,
                batch: 3,
                dry_run: false,
                purge: true,
            },
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(summary.total_handled(), plan.len() as u64, "sweep at {at}");
        for item in plan {
            assert!(expected.contains(&item));
            assert!(handled.insert(item.clone()), "{item:?} handled twice");
        }
    }
    // The page view was anonymised first, then erased.
    assert!(handled.contains(&("visitor".into(), "page-view".into(), Anonymise)));
    assert!(handled.contains(&("visitor".into(), "page-view".into(), Erase)));
    // The unpaid invoice went once its claim was time-barred and the
    // Bookkeeping Act no longer kept it; its subject with it. Everyone had
    // nothing left and was erased.
    for s in [
        "never-paid",
        "month-end",
        "leap-day",
        "re-opened",
        "paid-after-end",
        "april-voucher",
        "hold",
    ] {
        let file = ledger.subject(&sid(s)).unwrap().unwrap();
        assert!(file.erased_at.is_some(), "{s} should be erased");
    }
    let v = ledger.verify_audit(&mut |_| {}).unwrap();
    assert_eq!(v.broken, None);
}

/// The plan that reads only what may be due lists exactly what the plan
/// that judges every record lists, at instants all through a company's
/// history and looking ahead from them.
fn reading_what_may_be_due_finds_what_judging_everything_finds(db: &TestDb) {
    let policy = policy();
    let mut ledger = company(db, &policy, 250, 11);
    let schedule = Schedule::new(&policy, stockholm());
    let listed = |ledger: &mut Ledger, at: Timestamp, until: Timestamp, all: bool| {
        let (plan, due) = retention::plan(ledger, &schedule, at, until, all).unwrap();
        let out: Vec<_> = due.into_iter().map(|s| (s.record, s.retention)).collect();
        (plan.due, out)
    };
    let mut compared = 0;
    for (at, until) in [
        ("2023-01-01", "2023-01-01"),
        ("2024-02-29", "2024-02-29"),
        ("2025-05-31", "2025-05-31"),
        ("2025-05-31", "2026-05-31"),
        ("2026-11-25", "2026-11-25"),
        ("2026-11-25", "2031-01-02"),
        ("2031-01-01", "2031-01-01"),
        ("2040-01-01", "2040-01-01"),
    ] {
        let (at, until) = (t(at), t(until));
        let fast = listed(&mut ledger, at, until, false);
        let full = listed(&mut ledger, at, until, true);
        assert_eq!(fast, full, "plans at {at} until {until}");
        compared += fast.1.len();
    }
    assert!(compared > 1000, "the plans list much: {compared}");
    // The same after a sweep has anonymised and erased some.
    retention::sweep(
        &mut ledger,
        &schedule,
        SweepOptions {
            at: t("2026-11-25"),
            batch: 100,
            dry_run: false,
            purge: false,
        },
        &mut |_, _| {},
    )
    .unwrap();
    let later = t("2027-06-01");
    assert_eq!(
        listed(&mut ledger, later, later, false),
        listed(&mut ledger, later, later, true)
    );
}

/// (record, state) of every record, straight from the table.
fn states(db: &TestDb) -> BTreeMap<i64, String> {
    let mut out = BTreeMap::new();
    match db {
        TestDb::Sqlite { path, .. } => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let mut stmt = conn.prepare("SELECT id, state FROM records").unwrap();
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
                .unwrap();
            for row in rows {
                let (id, state) = row.unwrap();
                out.insert(id, state);
            }
        }
        TestDb::Postgres { .. } => {
            let mut client = ::postgres::Client::connect(&db.url(), ::postgres::NoTls).unwrap();
            for row in client.query("SELECT id, state FROM records", &[]).unwrap() {
                out.insert(row.get(0), row.get(1));
            }
        }
    }
    out
}

fn plan_equals_sweep_on_a_generated_company(db: &TestDb) {
    let policy = policy();
    let mut ledger = company(db, &policy, 300, 7);
    let schedule = Schedule::new(&policy, stockholm());
    let mut total = 0;
    for day in [
        "2024-06-01",
        "2025-06-01",
        "2026-11-25",
        "2027-03-01",
        "2031-01-01",
    ] {
        total += sweep_does_what_its_plan_says(db, &mut ledger, &schedule, t(day), 50);
    }
    assert!(
        total > 300,
        "the company's history should bring much due, got {total}"
    );
    let v = ledger.verify_audit(&mut |_| {}).unwrap();
    assert_eq!(v.broken, None);
}

/// Sweeps at `at` and asserts that the records whose state changed are
/// exactly those the plan at `at` named, with its actions, and that a
/// second sweep finds nothing; how many the plan named.
fn sweep_does_what_its_plan_says(
    db: &TestDb,
    ledger: &mut tillit_store::Ledger,
    schedule: &Schedule<'_>,
    at: Timestamp,
    batch: usize,
) -> usize {
    let (summary_plan, due) = retention::plan(ledger, schedule, at, at, false).unwrap();
    let plan: BTreeMap<i64, Action> = due
        .iter()
        .map(|s| (s.record, s.retention.due_at(at).unwrap().action))
        .collect();
    assert_eq!(summary_plan.total_due(), plan.len() as u64);
    let options = SweepOptions {
        at,
        batch,
        dry_run: false,
        purge: false,
    };
    let before = states(db);
    let summary = retention::sweep(ledger, schedule, options, &mut |_, _| {}).unwrap();
    let after = states(db);
    let changed: BTreeMap<i64, Action> = after
        .iter()
        .filter(|(id, state)| before.get(id) != Some(state))
        .map(|(id, state)| {
            let action = match state.as_str() {
                "erased" => Action::Erase,
                "anonymised" => Action::Anonymise,
                other => panic!("record {id} became {other}"),
            };
            (*id, action)
        })
        .collect();
    assert_eq!(
        changed, plan,
        "what the sweep at {at} did is what its plan said"
    );
    assert_eq!(summary.total_handled(), plan.len() as u64);
    assert_eq!(summary.skipped, 0);
    // Run again: nothing left.
    let again = retention::sweep(ledger, schedule, options, &mut |_, _| {}).unwrap();
    assert_eq!(again.due, 0, "a second sweep at {at} finds nothing");
    plan.len()
}

/// The sweep writes while its plan is judged, a group of 1,024 subjects
/// handed over at a time; over many groups it still does exactly what
/// the plan says.
fn a_sweep_over_many_groups_of_subjects_does_what_its_plan_says(db: &TestDb) {
    let policy = policy();
    let mut ledger = company(db, &policy, 1500, 11);
    let schedule = Schedule::new(&policy, stockholm());
    let at = t("2031-01-01");
    let (_, due) = retention::plan(&mut ledger, &schedule, at, at, false).unwrap();
    let subjects: std::collections::BTreeSet<&str> =
        due.iter().filter_map(|s| s.subject.as_deref()).collect();
    assert!(
        subjects.len() > 1024,
        "more subjects due than one group holds, got {}",
        subjects.len()
    );
    sweep_does_what_its_plan_says(db, &mut ledger, &schedule, at, 700);
    let v = ledger.verify_audit(&mut |_| {}).unwrap();
    assert_eq!(v.broken, None);
}

/// One batch that erases more subjects than one multi-row statement
/// writes (64 audit entries, 64 facts rows): the chain still verifies,
/// every erased subject has its entry, and every facts row says what its
/// tables say.
fn a_sweep_that_erases_many_subjects_at_once_keeps_the_chain_and_the_facts(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    let n = 150;
    let former: Vec<Subject> = (0..n)
        .map(|i| Subject {
            id: format!("former-{i}"),
            events: vec![
                ("contract-start", "K-1", "2021-01-01"),
                ("contract-end", "K-1", "2022-01-01"),
            ],
            records: vec![("contact", "contact", "2021-01-01", None)],
            holds: vec![],
        })
        .collect();
    write(&mut ledger, &policy, &former);
    let schedule = Schedule::new(&policy, stockholm());
    let before = ledger.verify_audit(&mut |_| {}).unwrap().entries;
    let summary = retention::sweep(
        &mut ledger,
        &schedule,
        SweepOptions {
            at: t("2026-11-25"),
            batch: 10_000,
            dry_run: false,
            purge: false,
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(summary.total_handled(), n);
    assert_eq!(summary.subjects_erased, n);
    let v = ledger.verify_audit(&mut |_| {}).unwrap();
    assert_eq!(v.broken, None);
    assert_eq!(
        v.entries,
        before + 1 + n,
        "one entry naming the records, one per erased subject"
    );
    assert_eq!(
        tillit_store::decisions::stale_facts(&mut ledger).unwrap(),
        Vec::<String>::new()
    );
}

/// Someone else writes while a sweep runs, between its first and second
/// batch: a hold on a subject whose record comes three batches later.
/// Every later batch judges on what the ledger holds, not only the next:
/// the held subject keeps their record and is not erased; the others
/// are handled as planned.
fn a_write_between_batches_is_seen_by_every_later_batch(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    let former: Vec<Subject> = (0..5)
        .map(|i| Subject {
            id: format!("former-{i}"),
            events: vec![
                ("contract-start", "K-1", "2021-01-01"),
                ("contract-end", "K-1", "2022-01-01"),
            ],
            records: vec![("contact", "contact", "2021-01-01", None)],
            holds: vec![],
        })
        .collect();
    let ids = write(&mut ledger, &policy, &former);
    let schedule = Schedule::new(&policy, stockholm());
    let mut placed = false;
    let summary = retention::sweep(
        &mut ledger,
        &schedule,
        SweepOptions {
            at: t("2026-11-25"),
            batch: 1,
            dry_run: false,
            purge: false,
        },
        &mut |done, _| {
            if done == 1 {
                let mut other = db.open();
                other
                    .write(t("2026-11-24"), |w| {
                        w.place_hold(
                            &sid("former-4"),
                            &support::hold_everything("a dispute"),
                            t("2026-11-24"),
                        )
                    })
                    .unwrap();
                placed = true;
            }
        },
    )
    .unwrap();
    assert!(placed);
    assert_eq!(summary.due, 5);
    assert_eq!(summary.total_handled(), 4);
    assert_eq!(summary.skipped, 1);
    assert_eq!(summary.subjects_erased, 4);
    let held = ledger
        .subject_file(&sid("former-4"), t("2026-11-25"))
        .unwrap()
        .unwrap();
    assert_eq!(held.subject.erased_at, None);
    assert_eq!(
        held.records[0].id,
        ids[&("former-4".to_owned(), "contact".to_owned())]
    );
    assert_eq!(held.records[0].state, "active");
    for i in 0..4 {
        let file = ledger
            .subject(&sid(&format!("former-{i}")))
            .unwrap()
            .unwrap();
        assert!(file.erased_at.is_some(), "former-{i} should be erased");
    }
    let v = ledger.verify_audit(&mut |_| {}).unwrap();
    assert_eq!(v.broken, None);
}

/// Every byte of the database's files (SQLite: the file and its log), or
/// of the ledger's tables and their indexes (PostgreSQL), after a
/// checkpoint.
fn raw_bytes(db: &TestDb) -> Vec<u8> {
    match db {
        TestDb::Sqlite { path, .. } => {
            let mut bytes = std::fs::read(path).unwrap();
            for suffix in ["-wal", "-journal"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                if let Ok(more) = std::fs::read(&p) {
                    bytes.extend(more);
                }
            }
            bytes
        }
        TestDb::Postgres { .. } => {
            let mut client = ::postgres::Client::connect(&db.url(), ::postgres::NoTls).unwrap();
            client.batch_execute("CHECKPOINT").unwrap();
            let mut bytes = Vec::new();
            let rows = client
                .query(
                    "SELECT pg_relation_filepath(c.oid) FROM pg_class c
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 't')
                     UNION
                     SELECT pg_relation_filepath(c.reltoastrelid) FROM pg_class c
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.reltoastrelid <> 0",
                    &[],
                )
                .unwrap();
            for row in rows {
                let Some(file): Option<String> = row.get(0) else {
                    continue;
                };
                // A relation larger than a segment continues in FILE.1, …
                for segment in 0.. {
                    let name = if segment == 0 {
                        file.clone()
                    } else {
                        format!("{file}.{segment}")
                    };
                    let found = client
                        .query_one(
                            "SELECT pg_read_binary_file($1, 0, (pg_stat_file($1, true)).size, true)",
                            &[&name],
                        )
                        .unwrap()
                        .get::<_, Option<Vec<u8>>>(0);
                    match found {
                        Some(b) => bytes.extend(b),
                        None => break,
                    }
                }
            }
            assert!(bytes.len() > 8192, "the tables' files were read");
            bytes
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn erased_bytes_are_gone_from_the_files(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    // Forty former customers, each with secrets in every place a person
    // shows: identifiers, payloads, references.
    let secret = |i: usize| format!("HEMLIG-{i:03}-XYZZY");
    for i in 0..40 {
        let id = sid(&format!("gone-{i}"));
        ledger
            .write(t("2021-01-01"), |w| {
                let pnr = Personnummer::from_birth(Date::constant(1981, 12, 18), 100 + i as u16);
                let identifiers = vec![
                    Identifier::Email(
                        Email::parse(&format!("{}@example.se", secret(i).to_lowercase())).unwrap(),
                    ),
                    Identifier::Personnummer(pnr),
                ];
                w.add_subject(&NewSubject {
                    id: id.clone(),
                    identifiers,
                })?;
                w.add_event(&NewEvent::new(
                    &policy,
                    id.clone(),
                    "contract-start",
                    &format!("K-{}", secret(i)),
                    t("2021-01-01"),
                )?)?;
                w.add_event(&NewEvent::new(
                    &policy,
                    id.clone(),
                    "contract-end",
                    &format!("K-{}", secret(i)),
                    t("2022-01-01"),
                )?)?;
                for kind in ["contact", "complaint", "email"] {
                    let category = policy.kinds.get(kind).unwrap().category.to_string();
                    let source = policy.kinds.get(kind).unwrap().sources[0].to_string();
                    let r = NewRecord::new(
                        &policy,
                        RecordRequest {
                            subject: id.clone(),
                            category: &category,
                            kind,
                            source: &source,
                            register: None,
                            reference: Some(format!("R-{}", secret(i))),
                            accounting: false,
                            payload: Some(serde_json::json!({
                                "text": format!("{} {}", secret(i), "x".repeat(200)),
                            })),
                            collected_at: t("2021-06-01").to_zoned_datetime(stockholm()),
                            dated: None,
                        },
                    )?;
                    w.add_record(&r)?;
                }
                Ok(())
            })
            .unwrap();
    }
    // One who stays: their data must still be there, as a control.
    let stays = sid("stays");
    ledger
        .write(t("2021-01-01"), |w| {
            w.add_subject(&NewSubject {
                id: stays.clone(),
                identifiers: vec![],
            })?;
            w.add_event(&NewEvent::new(
                &policy,
                stays.clone(),
                "contract-start",
                "K-S",
                t("2021-01-01"),
            )?)?;
            let r = NewRecord::new(
                &policy,
                RecordRequest {
                    subject: stays.clone(),
                    category: "customer",
                    kind: "contact",
                    source: "subject",
                    register: None,
                    reference: None,
                    accounting: false,
                    payload: Some(serde_json::json!({ "text": "BEHALLS-KVAR" })),
                    collected_at: t("2021-06-01").to_zoned_datetime(stockholm()),
                    dated: None,
                },
            )?;
            w.add_record(&r)?;
            Ok(())
        })
        .unwrap();
    let before = raw_bytes(db);
    assert!(
        contains(&before, &secret(7)),
        "the secret is on disk before"
    );
    let schedule = Schedule::new(&policy, stockholm());
    let summary = retention::sweep(
        &mut ledger,
        &schedule,
        SweepOptions {
            at: t("2024-02-01"),
            batch: 25,
            dry_run: false,
            purge: true,
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(summary.total_handled(), 120);
    assert_eq!(summary.subjects_erased, 40);
    assert!(summary.purged);
    drop(ledger);
    let after = raw_bytes(db);
    for i in 0..40 {
        assert!(
            !contains(&after, &secret(i)),
            "`{}` is still on disk after erasure",
            secret(i)
        );
        assert!(
            !contains(&after, &secret(i).to_lowercase()),
            "the e-mail address of subject {i} is still on disk"
        );
    }
    assert!(
        contains(&before, "19811218107"),
        "a personnummer is on disk before"
    );
    assert!(
        !contains(&after, "19811218"),
        "a personnummer is still on disk"
    );
    assert!(
        contains(&after, "BEHALLS-KVAR"),
        "what is kept is still there"
    );
}

fn a_subject_with_nothing_left_is_erased_and_stays_erased(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    let ids = write(
        &mut ledger,
        &policy,
        &[Subject {
            id: "former".into(),
            events: vec![
                ("contract-start", "K-1", "2021-01-15"),
                ("contract-end", "K-1", "2022-01-31"),
            ],
            records: vec![("contact", "contact", "2021-01-15", None)],
            holds: vec![],
        }],
    );
    let rules = Rules::new(&policy);
    let decider = Decider::new(rules.clone(), 100, &mut ledger);
    let ask = rules.request("support", "service-provision", "customer", t("2024-03-01"));
    let before = decider.decide(&mut ledger, &sid("former"), &ask).unwrap();
    assert_eq!(before.rule.id(), "contract-ended");
    let schedule = Schedule::new(&policy, stockholm());
    let summary = retention::sweep(
        &mut ledger,
        &schedule,
        SweepOptions {
            at: t("2024-03-01"),
            batch: 10,
            dry_run: false,
            purge: false,
        },
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(summary.subjects_erased, 1);
    // The record is a tombstone naming its rule.
    let file = ledger
        .subject_file(&sid("former"), t("2024-03-01"))
        .unwrap()
        .unwrap();
    assert!(file.subject.erased_at.is_some());
    assert!(file.subject.identifiers.is_empty() && file.events.is_empty());
    let record = &file.records[0];
    assert_eq!(record.id, ids[&("former".to_owned(), "contact".to_owned())]);
    assert_eq!(record.state, "erased");
    assert_eq!(record.payload, None);
    assert_eq!(record.handled_by.as_deref(), Some("customer-data"));
    // The next decision sees the erasure.
    let after = decider.decide(&mut ledger, &sid("former"), &ask).unwrap();
    assert_eq!(after.rule.id(), "erased");
    assert!(!after.allowed);
    // Nothing more is written about them.
    let err = ledger
        .write(t("2024-03-02"), |w| {
            w.add_event(&NewEvent::new(
                &policy,
                sid("former"),
                "contract-start",
                "K-2",
                t("2024-03-02"),
            )?)
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::SubjectErased { .. }), "{err}");
    assert!(err.to_string().contains("was erased"), "{err}");
}

/// Findings 7 and 12 on a real ledger: a hold on a customer's invoices
/// does not keep their page views; an invoice's fiscal year is that of
/// its own date, not of the day it was added.
fn a_hold_keeps_what_it_names_and_a_record_counts_its_own_date(db: &TestDb) {
    let policy = policy();
    let schedule = Schedule::new(&policy, stockholm());
    let mut ledger = db.open();
    let s = sid("c-7");
    let add = |ledger: &mut Ledger, kind: &str, source: &str, at: &str, dated: Option<&str>| {
        let record = NewRecord::new(
            &policy,
            RecordRequest {
                subject: s.clone(),
                category: policy.kinds[kind].category.as_str(),
                kind,
                source,
                register: None,
                reference: None,
                accounting: false,
                payload: Some(serde_json::json!({ "n": 1 })),
                collected_at: t(at).to_zoned_datetime(stockholm()),
                dated: dated.map(|d| d.parse().unwrap()),
            },
        )
        .unwrap();
        ledger.write(t(at), |w| w.add_record(&record)).unwrap()
    };
    ledger
        .write(t("2023-12-01"), |w| {
            w.add_subject(&NewSubject {
                id: s.clone(),
                identifiers: vec![],
            })
        })
        .unwrap();
    let view = add(&mut ledger, "page-view", "cookie", "2023-12-31", None);
    // Dated 2025-12-20, added on 2026-01-05: fiscal year 2025.
    let invoice = add(
        &mut ledger,
        "invoice",
        "service-use",
        "2026-01-05",
        Some("2025-12-20"),
    );
    let hold = tillit_core::ledger::NewHold::new(
        "legal",
        "a disputed invoice",
        tillit_core::retention::HoldScope::new(&policy, false, &[], &["invoice".into()]).unwrap(),
        "2027-06-01".parse().unwrap(),
        "2026-06-01".parse().unwrap(),
    )
    .unwrap();
    let h = ledger
        .write(t("2026-06-01"), |w| {
            w.place_hold(&s, &hold, t("2026-06-01"))
        })
        .unwrap();
    let due = |ledger: &mut Ledger, at: &str| -> Vec<i64> {
        let (_, due) = retention::plan(ledger, &schedule, t(at), t(at), false).unwrap();
        due.iter().map(|d| d.record).collect()
    };
    // The page view is due under its own rule; the invoice is held.
    assert_eq!(due(&mut ledger, "2026-11-25"), vec![view]);
    let file = ledger.subject_file(&s, t("2026-11-25")).unwrap().unwrap();
    assert_eq!(file.holds[0].review_on, Some("2027-06-01".parse().unwrap()));
    assert_eq!(file.holds[0].scope, hold.scope);
    assert!(due(&mut ledger, "2033-06-01").iter().all(|r| *r != invoice));
    ledger
        .write(t("2033-02-01"), |w| {
            w.release_hold(&s, h, "legal", t("2033-02-01"))
        })
        .unwrap();
    // Kept through 2032-12-31 by the fiscal year of its date: due in
    // 2033, a year before the day it was added would have made it.
    assert!(due(&mut ledger, "2033-06-01").contains(&invoice));
    assert_eq!(ledger.verify_audit(&mut |_| {}).unwrap().broken, None);
}
