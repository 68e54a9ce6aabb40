//! Retention on the Winston policy: a table of dates and edge cases, each
//! with the action, the day, the rule and the reason a DPO reads.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly"
)]

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use tillit_core::retention::{
    Action, DueWhy, History, HoldScope, HoldSpan, KeptWhy, LifecycleEvent, RecordFacts,
    RecordState, Retention, Schedule,
};
use tillit_core::{Lang, Policy, SourceFile};

const WINSTON: &str = include_str!("../../../examples/winston/policy.toml");

fn policy_from(text: &str) -> Policy {
    Policy::parse(&SourceFile::new("policy.toml", text)).expect("the policy resolves")
}

fn stockholm() -> TimeZone {
    TimeZone::get("Europe/Stockholm").unwrap()
}

/// Noon in Stockholm on a date, or an RFC 3339 instant.
fn t(s: &str) -> Timestamp {
    if s.len() == 10 {
        let d: Date = s.parse().unwrap();
        d.at(12, 0, 0, 0)
            .to_zoned_datetime(stockholm())
            .unwrap()
            .timestamp()
    } else {
        s.parse().unwrap()
    }
}

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn ev(kind: &str, reference: &str, at: &str) -> LifecycleEvent {
    LifecycleEvent {
        kind: kind.into(),
        reference: reference.into(),
        at: t(at),
    }
}

struct Rec {
    kind: &'static str,
    collected: &'static str,
    reference: Option<&'static str>,
    state: RecordState,
    dated: Option<&'static str>,
}

fn rec(kind: &'static str, collected: &'static str, reference: Option<&'static str>) -> Rec {
    Rec {
        kind,
        collected,
        reference,
        state: RecordState::Active,
        dated: None,
    }
}

/// What retention knows of a record of a Winston kind.
fn facts<'a>(policy: &'a Policy, r: &'a Rec) -> RecordFacts<'a> {
    let kind = policy.kinds.get(r.kind).expect("a Winston kind");
    RecordFacts {
        category: kind.category.as_str(),
        kind: r.kind,
        collected_at: t(r.collected),
        reference: r.reference,
        accounting: kind.accounting_material,
        dated: r.dated.map(d),
        state: r.state,
    }
}

fn judge<'p>(policy: &'p Policy, r: &Rec, history: &History, at: &str) -> Retention<'p> {
    Schedule::new(policy, stockholm()).due(&facts(policy, r), history, t(at))
}

/// What a case expects.
enum Expect {
    Due {
        action: Action,
        on: &'static str,
        rule: &'static str,
    },
    Kept {
        rule: Option<&'static str>,
        why: &'static str,
    },
    Done,
}

fn due(action: Action, on: &'static str, rule: &'static str) -> Expect {
    Expect::Due { action, on, rule }
}

fn kept(rule: &'static str, why: &'static str) -> Expect {
    Expect::Kept {
        rule: Some(rule),
        why,
    }
}

struct Case {
    name: &'static str,
    record: Rec,
    events: Vec<LifecycleEvent>,
    holds: Vec<HoldSpan>,
    at: &'static str,
    expect: Expect,
}

fn check(policy: &Policy, c: &Case) {
    let history = History {
        events: c.events.clone(),
        holds: c.holds.clone(),
    };
    let got = judge(policy, &c.record, &history, c.at);
    let sv = got.reason(policy, Lang::Sv);
    let en = got.reason(policy, Lang::En);
    assert!(!sv.is_empty() && !en.is_empty(), "{}: reasons", c.name);
    assert_ne!(sv, en, "{}: a reason in each language", c.name);
    match (&c.expect, &got) {
        (Expect::Due { action, on, rule }, Retention::Due(due)) => {
            assert_eq!(due.action, *action, "{}: action", c.name);
            assert_eq!(due.on, d(on), "{}: day", c.name);
            assert_eq!(due.rule, *rule, "{}: rule", c.name);
            // The day falls due at its start in Stockholm, not before.
            let start = d(on).to_zoned_datetime(stockholm()).unwrap().timestamp();
            assert_eq!(due.at, start, "{}: instant", c.name);
            assert!(got.due_at(start).is_some(), "{}", c.name);
            assert!(
                got.due_at(start - jiff::SignedDuration::from_secs(1))
                    .is_none(),
                "{}",
                c.name
            );
            for reason in [&sv, &en] {
                assert!(reason.contains(on), "{}: `{reason}` names the day", c.name);
                assert!(
                    reason.contains(rule),
                    "{}: `{reason}` names the rule",
                    c.name
                );
            }
        }
        (Expect::Kept { rule, why }, Retention::Kept(kept)) => {
            assert_eq!(kept.rule, *rule, "{}: rule", c.name);
            let kind = match &kept.why {
                KeptWhy::InState { .. } => "in-state",
                KeptWhy::AwaitingEvent { .. } => "awaiting-event",
                KeptWhy::Hold { .. } => "hold",
                KeptWhy::NoRule => "no-rule",
            };
            assert_eq!(kind, *why, "{}: why ({en})", c.name);
            assert!(got.due_at(Timestamp::MAX).is_none(), "{}", c.name);
        }
        (Expect::Done, Retention::Done) => {}
        (_, got) => panic!("{}: got {got:?}", c.name),
    }
}

fn cases() -> Vec<Case> {
    use Action::{Anonymise, Erase};
    let contact = || rec("contact", "2020-03-01", None);
    vec![
        // P12: customer data, 24 months after the last contract ends.
        Case {
            name: "SYSTEM.md: contract ended 2023-05-31, contact due 2025-05-31",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
            ],
            holds: vec![],
            at: "2025-06-01",
            expect: due(Erase, "2025-05-31", "customer-data"),
        },
        Case {
            name: "the day is known before it comes",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
            ],
            holds: vec![],
            at: "2024-01-01",
            expect: due(Erase, "2025-05-31", "customer-data"),
        },
        Case {
            name: "an active customer is kept",
            record: contact(),
            events: vec![ev("contract-start", "K-1", "2020-03-01")],
            holds: vec![],
            at: "2030-01-01",
            expect: kept("customer-data", "in-state"),
        },
        Case {
            name: "leap day: 2024-02-29 + 24 months = 2026-02-28",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2024-02-29"),
            ],
            holds: vec![],
            at: "2026-03-01",
            expect: due(Erase, "2026-02-28", "customer-data"),
        },
        Case {
            name: "month end stays the month end: 2023-08-31 + 24 months",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-08-31"),
            ],
            holds: vec![],
            at: "2026-03-01",
            expect: due(Erase, "2025-08-31", "customer-data"),
        },
        Case {
            name: "the anchor's day is Stockholm's: 23:30 on 31 May is still 31 May",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31T21:30:00Z"),
            ],
            holds: vec![],
            at: "2026-01-01",
            expect: due(Erase, "2025-05-31", "customer-data"),
        },
        Case {
            name: "…and 00:30 on 1 June is 1 June",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31T22:30:00Z"),
            ],
            holds: vec![],
            at: "2026-01-01",
            expect: due(Erase, "2025-06-01", "customer-data"),
        },
        Case {
            name: "a new contract before the deadline cancels it",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
                ev("contract-start", "K-2", "2024-01-10"),
            ],
            holds: vec![],
            at: "2025-06-01",
            expect: kept("customer-data", "in-state"),
        },
        Case {
            name: "re-opened and ended again: 24 months after the last end",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
                ev("contract-start", "K-2", "2024-01-10"),
                ev("contract-end", "K-2", "2024-06-30"),
            ],
            holds: vec![],
            at: "2026-07-01",
            expect: due(Erase, "2026-06-30", "customer-data"),
        },
        Case {
            name: "a contract after the deadline is not known at the deadline",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
                ev("contract-start", "K-2", "2025-07-01"),
            ],
            holds: vec![],
            at: "2025-06-01",
            expect: due(Erase, "2025-05-31", "customer-data"),
        },
        Case {
            name: "two contracts, one still open, keep the customer",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-start", "K-2", "2021-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
            ],
            holds: vec![],
            at: "2026-01-01",
            expect: kept("customer-data", "in-state"),
        },
        Case {
            name: "never a customer: no contract-end, so 24 months after collection",
            record: contact(),
            events: vec![],
            holds: vec![],
            at: "2030-01-01",
            expect: due(Erase, "2022-03-01", "customer-data"),
        },
        // P13: invoices, 24 months after payment, whatever the contract.
        Case {
            name: "an invoice paid 2023-10-02 is a verifikation: kept through 2030-12-31, not erased 2025-10-02",
            record: rec("invoice", "2023-04-01", Some("F-1")),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("invoice-issued", "F-1", "2023-04-01"),
                ev("contract-end", "K-1", "2023-05-31"),
                ev("invoice-paid", "F-1", "2023-10-02"),
            ],
            holds: vec![],
            at: "2025-10-02",
            expect: due(Erase, "2031-01-01", "bookkeeping"),
        },
        Case {
            name: "an unpaid invoice is kept until the claim is time-barred",
            record: rec("invoice", "2023-04-01", Some("F-1")),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("invoice-issued", "F-1", "2023-04-01"),
                ev("contract-end", "K-1", "2023-05-31"),
            ],
            holds: vec![],
            at: "2033-03-31",
            expect: kept("invoices", "in-state"),
        },
        Case {
            name: "a time-barred unpaid invoice is due, after the statutory minimum",
            record: rec("invoice", "2023-04-01", Some("F-1")),
            events: vec![ev("invoice-issued", "F-1", "2023-04-01")],
            holds: vec![],
            at: "2040-01-01",
            expect: due(Erase, "2031-01-01", "bookkeeping"),
        },
        Case {
            name: "another invoice's payment does not count",
            record: rec("invoice", "2023-04-01", Some("F-1")),
            events: vec![
                ev("invoice-issued", "F-1", "2023-04-01"),
                ev("invoice-issued", "F-2", "2023-05-01"),
                ev("invoice-paid", "F-2", "2023-05-20"),
            ],
            holds: vec![],
            at: "2033-01-01",
            expect: kept("invoices", "in-state"),
        },
        Case {
            name: "an active contract does not keep a paid invoice",
            record: rec("payment", "2023-10-02", Some("F-1")),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("invoice-issued", "F-1", "2023-04-01"),
                ev("invoice-paid", "F-1", "2023-10-02"),
            ],
            holds: vec![],
            at: "2025-10-02",
            expect: due(Erase, "2031-01-01", "bookkeeping"),
        },
        // P14: accounting material, seven years after the fiscal year.
        Case {
            name: "SYSTEM.md: a voucher of fiscal year 2023 is kept through 2030-12-31",
            record: rec("voucher", "2023-10-02", Some("F-1")),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
            ],
            holds: vec![],
            at: "2025-06-01",
            expect: due(Erase, "2031-01-01", "bookkeeping"),
        },
        Case {
            name: "a voucher of an active customer is kept while the contract lasts",
            record: rec("voucher", "2023-10-02", Some("F-1")),
            events: vec![ev("contract-start", "K-1", "2020-03-01")],
            holds: vec![],
            at: "2035-01-01",
            expect: kept("customer-data", "in-state"),
        },
        Case {
            name: "a voucher whose customer left long after the statutory end follows the rule",
            record: rec("voucher", "2015-10-02", Some("F-1")),
            events: vec![
                ev("contract-start", "K-1", "2014-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
            ],
            holds: vec![],
            at: "2025-06-01",
            expect: due(Erase, "2025-05-31", "customer-data"),
        },
        // P15: page views, anonymised at collection, erased after 26 months.
        Case {
            name: "a page view is anonymised on the day it is collected",
            record: rec("page-view", "2023-12-31", None),
            events: vec![],
            holds: vec![],
            at: "2023-12-31",
            expect: due(Anonymise, "2023-12-31", "website-visits"),
        },
        Case {
            name: "a page view never anonymised and past 26 months is erased, not anonymised",
            record: rec("page-view", "2023-12-31", None),
            events: vec![],
            holds: vec![],
            at: "2026-03-01",
            expect: due(Erase, "2026-02-28", "website-visits"),
        },
        Case {
            name: "…but before then, anonymising comes first",
            record: rec("page-view", "2023-12-31", None),
            events: vec![],
            holds: vec![],
            at: "2026-02-27",
            expect: due(Anonymise, "2023-12-31", "website-visits"),
        },
        Case {
            name: "SYSTEM.md: an anonymised page view of 2023-12-31 is due 2026-02-28",
            record: Rec {
                state: RecordState::Anonymised,
                ..rec("page-view", "2023-12-31", None)
            },
            events: vec![],
            holds: vec![],
            at: "2026-02-28",
            expect: due(Erase, "2026-02-28", "website-visits"),
        },
        // Legal holds.
        Case {
            name: "a hold in force keeps what is due",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
            ],
            holds: vec![HoldSpan {
                id: 1,
                placed: t("2025-05-01"),
                released: None,
                scope: HoldScope::All,
            }],
            at: "2025-06-01",
            expect: kept("customer-data", "hold"),
        },
        Case {
            name: "a released hold keeps nothing",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
            ],
            holds: vec![HoldSpan {
                id: 1,
                placed: t("2025-05-01"),
                released: Some(t("2025-07-01")),
                scope: HoldScope::All,
            }],
            at: "2025-07-02",
            expect: due(Erase, "2025-05-31", "customer-data"),
        },
        Case {
            name: "a hold placed after the instant does not count yet",
            record: contact(),
            events: vec![
                ev("contract-start", "K-1", "2020-03-01"),
                ev("contract-end", "K-1", "2023-05-31"),
            ],
            holds: vec![HoldSpan {
                id: 1,
                placed: t("2025-08-01"),
                released: None,
                scope: HoldScope::All,
            }],
            at: "2025-06-01",
            expect: due(Erase, "2025-05-31", "customer-data"),
        },
        Case {
            name: "an erased record needs nothing",
            record: Rec {
                state: RecordState::Erased,
                ..contact()
            },
            events: vec![],
            holds: vec![],
            at: "2030-01-01",
            expect: Expect::Done,
        },
    ]
}

#[test]
fn winston_retention_table() {
    let policy = policy_from(WINSTON);
    for c in cases() {
        check(&policy, &c);
    }
}

#[test]
fn statutory_minimum_names_the_law_and_what_the_rule_alone_gave() {
    let policy = policy_from(WINSTON);
    let history = History {
        events: vec![
            ev("contract-start", "K-1", "2020-03-01"),
            ev("contract-end", "K-1", "2023-05-31"),
        ],
        holds: vec![],
    };
    let got = judge(
        &policy,
        &rec("voucher", "2023-10-02", Some("F-1")),
        &history,
        "2025-06-01",
    );
    let Retention::Due(due) = &got else {
        panic!("{got:?}")
    };
    let DueWhy::Statutory {
        fiscal_year_end,
        kept_through,
        instead_of,
        rule,
        ..
    } = &due.why
    else {
        panic!("{due:?}")
    };
    assert_eq!(*fiscal_year_end, d("2023-12-31"));
    assert_eq!(*kept_through, d("2030-12-31"));
    assert_eq!(*instead_of, d("2025-05-31"));
    assert_eq!(*rule, "customer-data");
    let en = got.reason(&policy, Lang::En);
    assert!(
        en.contains("7 kap. 2 § bokföringslagen (1999:1078)"),
        "{en}"
    );
    assert!(
        en.contains("2030-12-31") && en.contains("2025-05-31"),
        "{en}"
    );
    let sv = got.reason(&policy, Lang::Sv);
    assert!(sv.contains("räkenskapsinformation"), "{sv}");
}

#[test]
fn a_fiscal_year_ending_30_april_counts_from_the_year_it_ended() {
    let policy =
        policy_from(&WINSTON.replace("fiscal-year-end = \"12-31\"", "fiscal-year-end = \"04-30\""));
    let history = History {
        events: vec![
            ev("contract-start", "K-1", "2020-03-01"),
            ev("contract-end", "K-1", "2023-05-31"),
        ],
        holds: vec![],
    };
    // LEGAL.md: the fiscal year ending 2025-04-30 is kept through 2032-12-31.
    for (collected, due_on) in [
        ("2024-05-01", "2033-01-01"),
        ("2025-04-30", "2033-01-01"),
        ("2025-05-01", "2034-01-01"),
        ("2024-04-30", "2032-01-01"),
    ] {
        let got = judge(
            &policy,
            &rec("voucher", collected, Some("F-1")),
            &history,
            "2025-06-01",
        );
        match got {
            Retention::Due(due) => {
                assert_eq!(due.on, d(due_on), "voucher of {collected}");
                assert_eq!(due.rule, "bookkeeping");
            }
            other => panic!("voucher of {collected}: {other:?}"),
        }
    }
}

#[test]
fn a_hold_says_what_would_otherwise_be_due() {
    let policy = policy_from(WINSTON);
    let history = History {
        events: vec![
            ev("contract-start", "K-1", "2020-03-01"),
            ev("contract-end", "K-1", "2023-05-31"),
        ],
        holds: vec![HoldSpan {
            id: 7,
            placed: t("2025-05-01"),
            released: None,
            scope: HoldScope::All,
        }],
    };
    let got = judge(
        &policy,
        &rec("contact", "2020-03-01", None),
        &history,
        "2025-06-01",
    );
    let en = got.reason(&policy, Lang::En);
    assert!(en.contains("#7") && en.contains("2025-05-01"), "{en}");
    assert!(en.contains("otherwise erased 2025-05-31"), "{en}");
    let sv = got.reason(&policy, Lang::Sv);
    assert!(sv.contains("bevarandeorder"), "{sv}");
}

/// The Winston policy with invoices and payments not marked as accounting
/// material, so that the invoices rule shows alone.
fn without_bookkeeping() -> Policy {
    policy_from(&WINSTON.replace(
        "accounting-material = true                      # a verifikation (bokföringslagen 5 kap. 6–7 §)\n",
        "",
    ))
}

/// Findings 5 and 6: nothing is kept for ever. A claim ends by payment,
/// by being written off, or by limitation (preskriptionslagen 2 §), which
/// a reminder restarts; a deadline whose event never comes falls back.
#[test]
fn claims_end_by_payment_write_off_or_limitation() {
    let policy = without_bookkeeping();
    let invoice = rec("invoice", "2023-04-01", Some("F-1"));
    let judged = |events: Vec<LifecycleEvent>, at: &str| {
        let history = History {
            events,
            holds: vec![],
        };
        let r = judge(&policy, &invoice, &history, at);
        (r.clone(), r.reason(&policy, Lang::En))
    };
    let issued = || ev("invoice-issued", "F-1", "2023-04-01");
    // P13: paid, then 24 months.
    let (paid, _) = judged(
        vec![issued(), ev("invoice-paid", "F-1", "2023-10-02")],
        "2024-01-01",
    );
    assert!(
        matches!(&paid, Retention::Due(x) if x.on == d("2025-10-02") && x.rule == "invoices"),
        "{paid:?}"
    );
    // Written off: the claim is given up; the fallback counts from collection.
    let (off, why) = judged(
        vec![issued(), ev("invoice-written-off", "F-1", "2024-01-15")],
        "2024-02-01",
    );
    assert!(
        matches!(&off, Retention::Due(x) if x.on == d("2025-04-01")),
        "{off:?}"
    );
    assert!(why.contains("`invoice-paid` has not happened"), "{why}");
    // Unpaid: kept until the claim is time-barred, ten years after issue…
    let (open, _) = judged(vec![issued()], "2033-03-31");
    assert!(
        matches!(&open, Retention::Kept(k) if matches!(k.why, KeptWhy::InState { .. })),
        "{open:?}"
    );
    let (barred, _) = judged(vec![issued()], "2033-04-01");
    assert!(
        matches!(&barred, Retention::Due(x) if x.on == d("2025-04-01")),
        "{barred:?}"
    );
    // …or after the last reminder, which interrupts it.
    let reminded = || vec![issued(), ev("invoice-reminder", "F-1", "2030-02-01")];
    let (renewed, _) = judged(reminded(), "2035-01-01");
    assert!(
        matches!(&renewed, Retention::Kept(k) if matches!(k.why, KeptWhy::InState { .. })),
        "{renewed:?}"
    );
    let (later, _) = judged(reminded(), "2040-02-01");
    assert!(matches!(&later, Retention::Due(_)), "{later:?}");
    // An invoice recorded without a reference has no payment to wait for.
    let loose = rec("invoice", "2023-04-01", None);
    let r = judge(&policy, &loose, &History::default(), "2026-01-01");
    assert!(
        matches!(&r, Retention::Due(x) if x.on == d("2025-04-01")),
        "{r:?}"
    );
    // A time-barred claim is no claim against an erasure request either.
    let history = History {
        events: vec![issued()],
        holds: vec![],
    };
    assert_eq!(
        on_erasure(&policy, &invoice, &history, "2033-04-01"),
        tillit_core::retention::OnErasure::Erase
    );
}

/// Finding 7: a verifikation's fiscal year is that of its own date, and a
/// fiscal year may end on the last day of February.
#[test]
fn the_fiscal_year_is_the_transactions_and_may_end_in_february() {
    let policy = policy_from(WINSTON);
    // Dated 2025-12-20, added to the ledger on 2026-01-05: fiscal year 2025.
    let mut invoice = rec("invoice", "2026-01-05", None);
    invoice.dated = Some("2025-12-20");
    let r = judge(&policy, &invoice, &History::default(), "2026-02-01");
    let Retention::Due(due) = &r else {
        panic!("{r:?}")
    };
    assert_eq!((due.on, due.rule), (d("2033-01-01"), "bookkeeping"));
    invoice.dated = None;
    let r = judge(&policy, &invoice, &History::default(), "2026-02-01");
    let Retention::Due(due) = &r else {
        panic!("{r:?}")
    };
    assert_eq!(due.on, d("2034-01-01"), "by the day it was added instead");
    // A fiscal year ending 28/29 February: 02-29 is accepted, and ends on
    // the 28th in a common year.
    for end in ["02-28", "02-29"] {
        let feb = policy_from(&WINSTON.replace(
            "fiscal-year-end = \"12-31\"",
            &format!("fiscal-year-end = \"{end}\""),
        ));
        let voucher = rec("voucher", "2025-02-28", None);
        let r = Schedule::new(&feb, stockholm()).on_erasure(
            &facts(&feb, &voucher),
            &History::default(),
            t("2026-01-01"),
        );
        let tillit_core::retention::OnErasure::Keep(k) = &r else {
            panic!("{end}: {r:?}")
        };
        assert!(
            matches!(k[0], tillit_core::retention::Exception::Statutory { fiscal_year_end, kept_through, .. }
                if fiscal_year_end == d("2025-02-28") && kept_through == d("2032-12-31")),
            "{end}: {k:?}"
        );
        // In a leap year the fiscal year ends on the 29th.
        let leap = rec("voucher", "2024-02-29", None);
        let r = Schedule::new(&feb, stockholm()).on_erasure(
            &facts(&feb, &leap),
            &History::default(),
            t("2026-01-01"),
        );
        let tillit_core::retention::OnErasure::Keep(k) = &r else {
            panic!("{end}: {r:?}")
        };
        assert!(
            matches!(k[0], tillit_core::retention::Exception::Statutory { fiscal_year_end, .. }
                if fiscal_year_end == d("2024-02-29")),
            "{end}: {k:?}"
        );
    }
}

/// Finding 12: a hold keeps what it names. Page views overdue under their
/// own rule are not kept by a hold on the customer's invoices.
#[test]
fn a_hold_keeps_only_what_it_names() {
    let policy = policy_from(WINSTON);
    let on_invoices = History {
        events: vec![],
        holds: vec![HoldSpan {
            id: 9,
            placed: t("2026-01-01"),
            released: None,
            scope: HoldScope::new(&policy, false, &[], &["invoice".into()]).unwrap(),
        }],
    };
    let view = rec("page-view", "2023-12-31", None);
    let r = judge(&policy, &view, &on_invoices, "2026-11-25");
    assert!(
        matches!(&r, Retention::Due(d) if d.action == Action::Erase),
        "{r:?}"
    );
    let invoice = rec("invoice", "2017-04-01", None);
    let r = judge(&policy, &invoice, &on_invoices, "2026-11-25");
    assert!(
        matches!(&r, Retention::Kept(k) if matches!(k.why, KeptWhy::Hold { hold: 9, .. })),
        "{r:?}"
    );
    // By category, every kind of it.
    let on_customer = History {
        events: vec![],
        holds: vec![HoldSpan {
            scope: HoldScope::new(&policy, false, &["customer".into()], &[]).unwrap(),
            ..on_invoices.holds[0].clone()
        }],
    };
    assert!(matches!(
        judge(&policy, &invoice, &on_customer, "2026-11-25"),
        Retention::Kept(_)
    ));
    assert!(matches!(
        judge(&policy, &view, &on_customer, "2026-11-25"),
        Retention::Due(_)
    ));
    // A scope names what the policy knows, and says something.
    assert!(HoldScope::new(&policy, false, &[], &["invoices".into()]).is_err());
    assert!(HoldScope::new(&policy, false, &[], &[]).is_err());
    assert!(HoldScope::new(&policy, true, &[], &["invoice".into()]).is_err());
    assert_eq!(
        HoldScope::new(&policy, true, &[], &[]).unwrap(),
        HoldScope::All
    );
    // And it is reviewed: a review date on or before the day placed is refused.
    let today = d("2026-11-25");
    assert!(tillit_core::ledger::NewHold::new("legal", "x", HoldScope::All, today, today).is_err());
    assert!(
        tillit_core::ledger::NewHold::new("legal", "x", HoldScope::All, d("2027-11-25"), today)
            .is_ok()
    );
}

/// What an erasure request does: erase, or keep for each exception of
/// Art. 17(3), with its reason and until when.
fn on_erasure<'p>(
    policy: &'p Policy,
    r: &Rec,
    history: &History,
    at: &str,
) -> tillit_core::retention::OnErasure<'p> {
    Schedule::new(policy, stockholm()).on_erasure(&facts(policy, r), history, t(at))
}

#[test]
fn an_erasure_request_keeps_only_what_the_law_or_a_claim_or_a_hold_keeps() {
    use tillit_core::retention::{Exception, OnErasure};
    let policy = policy_from(WINSTON);
    // An active customer, with a paid and an unpaid invoice.
    let history = History {
        events: vec![
            ev("contract-start", "k-1", "2024-01-10"),
            ev("invoice-issued", "f-1", "2025-03-01"),
            ev("invoice-paid", "f-1", "2025-03-20"),
            ev("invoice-issued", "f-2", "2026-10-01"),
        ],
        holds: vec![],
    };
    let at = "2026-11-25";
    // Finding 9: while the contract runs, what it needs is kept (no
    // ground of Art. 17(1) applies yet); once it has ended, it goes.
    let running = on_erasure(&policy, &rec("contact", "2024-01-10", None), &history, at);
    assert_eq!(
        running,
        OnErasure::Keep(vec![Exception::Contract {
            state: "active-contract",
            since: d("2024-01-10")
        }])
    );
    let OnErasure::Keep(k) = &running else {
        unreachable!()
    };
    assert_eq!(k[0].article(), "GDPR Art. 17(1)(a)");
    assert!(
        k[0].in_words(&policy, Lang::Sv).contains("avtalet löper"),
        "{}",
        k[0].in_words(&policy, Lang::Sv)
    );
    let mut ended = history.clone();
    ended.events.push(ev("contract-end", "k-1", "2026-11-01"));
    assert_eq!(
        on_erasure(&policy, &rec("contact", "2024-01-10", None), &ended, at),
        OnErasure::Erase
    );
    assert_eq!(
        on_erasure(
            &policy,
            &rec("invoice", "2025-03-01", Some("f-1")),
            &history,
            at
        ),
        OnErasure::Keep(vec![Exception::Statutory {
            law: "7 kap. 2 § bokföringslagen (1999:1078)",
            fiscal_year_end: d("2025-12-31"),
            kept_through: d("2032-12-31"),
        }]),
        "a paid invoice is no claim, but a verifikation the law keeps"
    );
    let OnErasure::Keep(unpaid) = on_erasure(
        &policy,
        &rec("invoice", "2026-10-01", Some("f-2")),
        &history,
        at,
    ) else {
        panic!("an unpaid invoice is kept");
    };
    assert_eq!(
        unpaid,
        [
            Exception::LegalClaim {
                state: "invoice-unpaid",
                since: d("2026-10-01")
            },
            Exception::Statutory {
                law: "7 kap. 2 § bokföringslagen (1999:1078)",
                fiscal_year_end: d("2026-12-31"),
                kept_through: d("2033-12-31"),
            }
        ]
    );
    assert_eq!(unpaid[0].until(), None);
    assert!(
        unpaid[0]
            .reason(&policy, Lang::En)
            .contains("until the claim is settled"),
        "{}",
        unpaid[0].reason(&policy, Lang::En)
    );
    // Once the contract has ended:
    // A voucher of fiscal year 2025 is kept through 2032-12-31.
    let OnErasure::Keep(voucher) =
        on_erasure(&policy, &rec("voucher", "2025-03-20", None), &ended, at)
    else {
        panic!("accounting material is kept");
    };
    assert_eq!(voucher[0].until(), Some(d("2032-12-31")));
    assert_eq!(voucher[0].article(), "GDPR Art. 17(3)(b)");
    assert!(
        voucher[0]
            .reason(&policy, Lang::Sv)
            .contains("till och med 2032-12-31"),
        "{}",
        voucher[0].reason(&policy, Lang::Sv)
    );
    // Past its statutory minimum, accounting material goes too.
    assert_eq!(
        on_erasure(&policy, &rec("voucher", "2017-06-01", None), &ended, at),
        OnErasure::Erase
    );
    // A hold keeps everything while in force, and nothing once released.
    let mut held = ended.clone();
    held.holds.push(HoldSpan {
        id: 4,
        placed: t("2026-11-01"),
        released: Some(t("2026-12-01")),
        scope: HoldScope::All,
    });
    assert!(matches!(
        on_erasure(&policy, &rec("contact", "2024-01-10", None), &held, at),
        OnErasure::Keep(k) if k == [Exception::Hold { hold: 4, since: d("2026-11-01") }]
    ));
    assert_eq!(
        on_erasure(
            &policy,
            &rec("contact", "2024-01-10", None),
            &held,
            "2026-12-02"
        ),
        OnErasure::Erase
    );
    let mut erased = rec("contact", "2024-01-10", None);
    erased.state = RecordState::Erased;
    assert_eq!(on_erasure(&policy, &erased, &history, at), OnErasure::Done);
}
