//! Data subjects' requests as a DPO handles them, through the CLI, on
//! SQLite and PostgreSQL: the legal clock, access and its letters, erasure
//! that keeps exactly what the law or a claim keeps, and rights that take
//! effect for decisions at once.

#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly"
)]

#[path = "../../store/tests/support/mod.rs"]
mod store_support;
mod support;

use std::collections::BTreeSet;

use store_support::TestDb;
use support::{Ledger, stderr, stdout};

fn run(l: &Ledger, db: &TestDb, args: &[&str]) -> std::process::Output {
    l.run_on(&db.url(), args)
}

fn ok(l: &Ledger, db: &TestDb, args: &[&str]) -> String {
    l.ok_on(&db.url(), args)
}

fn json(l: &Ledger, db: &TestDb, args: &[&str]) -> serde_json::Value {
    let text = ok(l, db, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

/// Adds a record; its id.
fn record(l: &Ledger, db: &TestDb, args: &[&str]) -> i64 {
    let mut all = vec!["record", "add", "--json"];
    all.extend_from_slice(args);
    json(l, db, &all)["record"].as_i64().unwrap()
}

fn event(l: &Ledger, db: &TestDb, subject: &str, kind: &str, reference: &str, at: &str) {
    ok(
        l,
        db,
        &[
            "event",
            "add",
            "--subject",
            subject,
            "--kind",
            kind,
            "--ref",
            reference,
            "--at",
            at,
        ],
    );
}

/// Two customers with records, events, consents and disclosures: Anna
/// (c-1), whom the requests are about, and Bo (c-2), who must never show.
/// Anna's record ids: contact, address, paid invoice, unpaid invoice,
/// voucher.
fn two_customers(l: &Ledger, db: &TestDb) -> [i64; 5] {
    ok(
        l,
        db,
        &[
            "subject",
            "add",
            "--id",
            "c-1",
            "--email",
            "anna@example.se",
            "--at",
            "2023-01-10",
        ],
    );
    ok(
        l,
        db,
        &[
            "subject",
            "add",
            "--id",
            "c-2",
            "--email",
            "bo@example.se",
            "--at",
            "2023-01-10",
        ],
    );
    let contact = record(
        l,
        db,
        &[
            "--subject",
            "c-1",
            "--category",
            "customer",
            "--kind",
            "contact",
            "--source",
            "subject",
            "--payload",
            r#"{"name":"Anna Andersson"}"#,
            "--at",
            "2023-01-10",
        ],
    );
    let address = record(
        l,
        db,
        &[
            "--subject",
            "c-1",
            "--category",
            "customer",
            "--kind",
            "address",
            "--source",
            "public-register",
            "--payload",
            r#"{"street":"Storgatan 1"}"#,
            "--at",
            "2023-01-11",
        ],
    );
    let paid = record(
        l,
        db,
        &[
            "--subject",
            "c-1",
            "--category",
            "customer",
            "--kind",
            "invoice",
            "--source",
            "service-use",
            "--ref",
            "F-1",
            "--payload",
            r#"{"amount_sek":100}"#,
            "--at",
            "2025-05-01",
        ],
    );
    let unpaid = record(
        l,
        db,
        &[
            "--subject",
            "c-1",
            "--category",
            "customer",
            "--kind",
            "invoice",
            "--source",
            "service-use",
            "--ref",
            "F-2",
            "--payload",
            r#"{"amount_sek":200}"#,
            "--at",
            "2025-06-01",
        ],
    );
    let voucher = record(
        l,
        db,
        &[
            "--subject",
            "c-1",
            "--category",
            "customer",
            "--kind",
            "voucher",
            "--source",
            "service-use",
            "--payload",
            r#"{"verification":"V1"}"#,
            "--at",
            "2025-05-20",
        ],
    );
    event(l, db, "c-1", "contract-start", "K-1", "2023-01-10");
    event(l, db, "c-1", "invoice-issued", "F-1", "2025-05-01");
    event(l, db, "c-1", "invoice-paid", "F-1", "2025-05-20");
    event(l, db, "c-1", "invoice-issued", "F-2", "2025-06-01");
    event(l, db, "c-1", "contract-end", "K-1", "2025-06-30");
    for (verb, at) in [("give", "2024-02-01"), ("withdraw", "2024-03-01")] {
        ok(
            l,
            db,
            &[
                "consent",
                verb,
                "--subject",
                "c-1",
                "--purpose",
                "marketing",
                "--channel",
                "web",
                "--at",
                at,
            ],
        );
    }
    ok(
        l,
        db,
        &[
            "disclose",
            "--recipient",
            "google-analytics",
            "--subject",
            "c-1",
            "--category",
            "traffic",
            "--basis",
            "consent",
            "--at",
            "2024-02-15",
        ],
    );
    ok(
        l,
        db,
        &[
            "disclose",
            "--recipient",
            "authorities",
            "--subject",
            "c-1",
            "--subject",
            "c-2",
            "--category",
            "customer",
            "--basis",
            "legal-obligation",
            "--ref",
            "5000-K1",
            "--at",
            "2025-01-15",
        ],
    );
    // Bo's own data, which no answer about Anna may show.
    record(
        l,
        db,
        &[
            "--subject",
            "c-2",
            "--category",
            "customer",
            "--kind",
            "contact",
            "--source",
            "subject",
            "--payload",
            r#"{"name":"Bo Bengtsson"}"#,
            "--at",
            "2023-01-10",
        ],
    );
    event(l, db, "c-2", "contract-start", "K-2", "2023-01-10");
    ok(
        l,
        db,
        &[
            "consent",
            "give",
            "--subject",
            "c-2",
            "--purpose",
            "marketing",
            "--channel",
            "web",
            "--at",
            "2024-02-01",
        ],
    );
    ok(
        l,
        db,
        &[
            "disclose",
            "--recipient",
            "suppliers",
            "--subject",
            "c-2",
            "--category",
            "customer",
            "--basis",
            "contract",
            "--at",
            "2024-04-01",
        ],
    );
    [contact, address, paid, unpaid, voucher]
}

/// Opens a request and verifies the subject; its id.
fn opened(l: &Ledger, db: &TestDb, subject: &str, kind: &str, received: &str) -> String {
    let case = json(
        l,
        db,
        &[
            "request",
            "open",
            "--subject",
            subject,
            "--kind",
            kind,
            "--received",
            received,
            "--json",
        ],
    );
    let id = case["id"].to_string();
    ok(
        l,
        db,
        &[
            "request", "verify", &id, "--by", "dpo", "--method", "BankID", "--at", received,
        ],
    );
    id
}

on_both_backends!(
    store_support;
    an_access_report_lists_everything_of_the_subject_and_nothing_of_anyone_else,
    erasure_keeps_exactly_the_unpaid_invoice_and_the_accounting_material,
    the_clock_counts_calendar_months_and_refuses_a_late_extension,
    rights_take_effect_for_decisions_at_once_or_are_refused_with_the_reason,
);

fn an_access_report_lists_everything_of_the_subject_and_nothing_of_anyone_else(db: &TestDb) {
    let l = Ledger::new();
    let anna = two_customers(&l, db);
    let case = json(
        &l,
        db,
        &[
            "request",
            "open",
            "--subject",
            "c-1",
            "--kind",
            "access",
            "--received",
            "2026-11-02",
            "--json",
        ],
    );
    let id = case["id"].to_string();
    assert_eq!(case["due_on"], "2026-12-02");
    assert_eq!(case["status"], "open");

    // No data leaves before the subject's identity is verified.
    let out = run(&l, db, &["request", "answer", &id, "--at", "2026-11-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("identity is not verified"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty(), "nothing was shown");
    ok(
        &l,
        db,
        &[
            "request",
            "verify",
            &id,
            "--by",
            "dpo",
            "--method",
            "BankID",
            "--at",
            "2026-11-03",
        ],
    );

    // A letter never states a safeguard that is not valid on the day it is
    // answered (here: the Privacy Shield, as Winston's published text had
    // it), unless the operator overrides it; the case stays open.
    let shield = l.dir.path().join("shield.toml");
    let winston = include_str!("../../../examples/winston/policy.toml");
    std::fs::write(
        &shield,
        winston
            .replacen(", until = \"2023-07-09\"", "", 1)
            .replacen(
                "  { country = \"US\", mechanism = \"dpf\", since = \"2023-07-10\" },\n",
                "",
                1,
            ),
    )
    .unwrap();
    let shield = shield.display().to_string();
    let refused = run(
        &l,
        db,
        &[
            "--policy",
            &shield,
            "request",
            "answer",
            &id,
            "--at",
            "2026-11-04",
        ],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stdout(&refused));
    assert!(
        stderr(&refused).contains("not valid on 2026-11-04")
            && stderr(&refused).contains("privacy-shield"),
        "{}",
        stderr(&refused)
    );
    assert!(stdout(&refused).is_empty(), "nothing was sent");
    assert_eq!(
        json(&l, db, &["request", "show", &id, "--json"])["status"],
        "verified",
        "still waiting for its answer"
    );

    let text = ok(
        &l,
        db,
        &[
            "request",
            "answer",
            &id,
            "--format",
            "json",
            "--at",
            "2026-11-04",
        ],
    );
    assert!(
        !text.contains("Bo Bengtsson") && !text.contains("bo@example.se") && !text.contains("c-2"),
        "nothing of anyone else: {text}"
    );
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let records: BTreeSet<i64> = report["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record"].as_i64().unwrap())
        .collect();
    assert_eq!(
        records,
        anna.into_iter().collect(),
        "every record of Anna's"
    );
    let address = report["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "address")
        .unwrap();
    assert_eq!(address["register"], "Postens Adressregister", "{address}");
    assert_eq!(address["content"]["street"], "Storgatan 1");
    assert!(
        address["purposes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["purpose"] == "service-provision" && p["basis"] == "contract"),
        "{address}"
    );
    assert_eq!(
        address["retention"]["due"], "2027-06-30",
        "24 months after the contract ended: {address}"
    );
    assert_eq!(address["retention"]["rule"], "customer-data");
    let consents = report["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 2, "the whole history: {consents:?}");
    assert_eq!(
        (consents[0]["given"].clone(), consents[1]["given"].clone()),
        (true.into(), false.into())
    );
    let disclosures = report["disclosures"].as_array().unwrap();
    let recipients: Vec<&str> = disclosures
        .iter()
        .map(|d| d["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(recipients, ["google-analytics", "authorities"]);
    assert_eq!(disclosures[0]["transfers"][0]["country"], "US");
    assert!(
        disclosures[0]["transfers"][0]["safeguard"]["en"]
            .as_str()
            .unwrap()
            .contains("Data Privacy Framework"),
        "{}",
        disclosures[0]
    );
    assert_eq!(disclosures[1]["transfers"].as_array().unwrap().len(), 0);
    let portability = report["rights"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["right"] == "portability")
        .unwrap();
    assert_eq!(portability["given"], true);

    // The case is closed, its response kept with its digest.
    let shown = json(&l, db, &["request", "show", &id, "--json"]);
    assert_eq!(shown["status"], "closed");
    assert_eq!(shown["closed"]["outcome"], "answered");
    assert_eq!(
        shown["closed"]["response_sha256"].as_str().unwrap().len(),
        64
    );
    let again = run(&l, db, &["request", "answer", &id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("closed already"),
        "{}",
        stderr(&again)
    );
    // Portability carries only what she provided (Art. 20(1)): not the
    // address from Postens Adressregister, which is left out with why.
    let moving = opened(&l, db, "c-1", "portability", "2026-11-05");
    let carried: serde_json::Value = serde_json::from_str(&ok(
        &l,
        db,
        &[
            "request",
            "answer",
            &moving,
            "--format",
            "json",
            "--at",
            "2026-11-06",
        ],
    ))
    .unwrap();
    let kinds: BTreeSet<&str> = carried["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert!(
        !kinds.contains("address") && kinds.contains("contact"),
        "{carried}"
    );
    assert!(
        carried["left_out"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["record"] == anna[1]
                && l["reason"]["en"].as_str().unwrap().contains("not from you")),
        "{carried}"
    );
    assert!(ok(&l, db, &["audit", "verify"]).contains("intact"));
}

fn erasure_keeps_exactly_the_unpaid_invoice_and_the_accounting_material(db: &TestDb) {
    let l = Ledger::new();
    let [contact, address, paid, unpaid, voucher] = two_customers(&l, db);
    let id = opened(&l, db, "c-1", "erasure", "2026-11-20");
    let answer = json(
        &l,
        db,
        &[
            "request",
            "answer",
            &id,
            "--format",
            "json",
            "--at",
            "2026-11-21",
        ],
    );
    let erased: BTreeSet<i64> = answer["erased"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["record"].as_i64().unwrap())
        .collect();
    assert_eq!(erased, BTreeSet::from([contact, address]));
    let kept = answer["kept"].as_array().unwrap();
    let kept_ids: BTreeSet<i64> = kept.iter().map(|k| k["record"].as_i64().unwrap()).collect();
    assert_eq!(
        kept_ids,
        BTreeSet::from([paid, unpaid, voucher]),
        "a paid invoice is a verifikation too: {answer}"
    );
    let why =
        |record: i64| kept.iter().find(|k| k["record"] == record).unwrap()["exceptions"][0].clone();
    let claim = why(unpaid);
    assert_eq!(claim["exception"]["kind"], "legal-claim");
    assert_eq!(claim["article"], "GDPR Art. 17(3)(e)");
    assert!(claim["until"].is_null(), "until the claim is settled");
    assert!(
        claim["reason"]["en"]
            .as_str()
            .unwrap()
            .contains("until the claim is settled"),
        "{claim}"
    );
    let invoice = why(paid);
    assert_eq!(invoice["exception"]["kind"], "statutory", "{invoice}");
    assert_eq!(
        invoice["until"], "2032-12-31",
        "FY 2025 + 7 years: {invoice}"
    );
    let books = why(voucher);
    assert_eq!(books["exception"]["kind"], "statutory");
    assert_eq!(books["until"], "2032-12-31", "FY 2025 + 7 years: {books}");
    assert_eq!(books["article"], "GDPR Art. 17(3)(b)");
    assert_eq!(answer["subject_erased"], false);
    assert!(answer["restriction"].is_i64(), "{answer}");

    // The content is gone from the database, not only from queries.
    for record in [contact, address] {
        assert_eq!(
            db.scalar(&format!(
                "SELECT count(*) FROM records WHERE id = {record} AND payload IS NULL AND state = 'erased'"
            )),
            1,
            "record {record}"
        );
    }
    assert_eq!(
        db.scalar(&format!(
            "SELECT count(*) FROM records WHERE id IN ({paid}, {unpaid}, {voucher}) AND payload IS NOT NULL"
        )),
        3
    );
    // What is kept is restricted to what keeps it.
    let out = run(
        &l,
        db,
        &[
            "decide",
            "--subject",
            "c-1",
            "--role",
            "marketing",
            "--purpose",
            "marketing",
            "--category",
            "customer",
            "--at",
            "2026-11-22",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).contains("\"rule\": \"restricted\""),
        "{}",
        stdout(&out)
    );
    // …while billing still keeps the books with it (a legal obligation).
    let books = run(
        &l,
        db,
        &[
            "decide",
            "--subject",
            "c-1",
            "--role",
            "billing",
            "--purpose",
            "legal-compliance",
            "--category",
            "customer",
            "--at",
            "2026-11-22",
        ],
    );
    assert_eq!(books.status.code(), Some(0), "{}", stdout(&books));
    let shown = json(&l, db, &["request", "show", &id, "--json"]);
    assert_eq!(shown["closed"]["outcome"], "partly-erased");

    // Bo's contract still runs: no ground of Art. 17(1) applies to what
    // it needs, so his contact details are kept, not restricted, and the
    // contract's processing goes on.
    let bo = opened(&l, db, "c-2", "erasure", "2026-11-20");
    let answer = json(
        &l,
        db,
        &[
            "request",
            "answer",
            &bo,
            "--format",
            "json",
            "--at",
            "2026-11-21",
        ],
    );
    assert_eq!(answer["erased"].as_array().unwrap().len(), 0, "{answer}");
    let kept = answer["kept"].as_array().unwrap();
    assert_eq!(kept.len(), 1, "{answer}");
    assert_eq!(kept[0]["exceptions"][0]["exception"]["kind"], "contract");
    assert_eq!(kept[0]["exceptions"][0]["article"], "GDPR Art. 17(1)(a)");
    assert!(answer["restriction"].is_null(), "{answer}");
    assert_eq!(answer["subject_erased"], false);
    let serving = run(
        &l,
        db,
        &[
            "decide",
            "--subject",
            "c-2",
            "--role",
            "support",
            "--purpose",
            "service-provision",
            "--category",
            "customer",
            "--at",
            "2026-11-22",
        ],
    );
    assert_eq!(serving.status.code(), Some(0), "{}", stdout(&serving));

    // Once the contract has ended, nothing the law keeps is left: he is
    // erased, records and all.
    event(&l, db, "c-2", "contract-end", "K-2", "2026-11-25");
    let bo = opened(&l, db, "c-2", "erasure", "2026-11-26");
    let answer = json(
        &l,
        db,
        &[
            "request",
            "answer",
            &bo,
            "--format",
            "json",
            "--at",
            "2026-11-27",
        ],
    );
    assert_eq!(answer["kept"].as_array().unwrap().len(), 0, "{answer}");
    assert_eq!(answer["subject_erased"], true);
    assert_eq!(
        db.scalar("SELECT count(*) FROM identifiers WHERE subject_id = 'c-2'"),
        0
    );
    assert!(ok(&l, db, &["audit", "verify"]).contains("intact"));
}

fn the_clock_counts_calendar_months_and_refuses_a_late_extension(db: &TestDb) {
    let l = Ledger::new();
    two_customers(&l, db);
    let open = |received: &str| {
        json(
            &l,
            db,
            &[
                "request",
                "open",
                "--subject",
                "c-1",
                "--kind",
                "access",
                "--received",
                received,
                "--json",
            ],
        )
    };
    for (received, due) in [
        ("2094-01-31T10:00", "2094-02-28"),
        ("2096-01-31T10:00", "2096-02-29"),
        ("2094-03-31T10:00", "2094-04-30"),
        ("2094-12-31T10:00", "2095-01-31"),
        // 23:30 UTC on 31 January is 1 February in Stockholm.
        ("2094-01-31T23:30:00Z", "2094-03-01"),
    ] {
        assert_eq!(open(received)["due_on"], due, "received {received}");
    }
    // Case 1, received 31 January: extended by two months within the
    // first month. Of the two readings (31 January + 3 months = 30 April,
    // 28 February + 2 months = 28 April) the earlier is kept.
    let extended = json(
        &l,
        db,
        &[
            "request",
            "extend",
            "1",
            "--months",
            "2",
            "--reason",
            "many requests at once",
            "--at",
            "2094-02-20",
            "--json",
        ],
    );
    assert_eq!(extended["due_on"], "2094-04-28");
    // Case 3, received 31 March: on 1 May the first month is over.
    let out = run(
        &l,
        db,
        &[
            "request",
            "extend",
            "3",
            "--months",
            "1",
            "--reason",
            "complex",
            "--at",
            "2094-05-01",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the first month ended on 2094-04-30"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        json(&l, db, &["request", "show", "3", "--json"])["due_on"],
        "2094-04-30",
        "a refused extension changes nothing"
    );
    let out = run(
        &l,
        db,
        &[
            "request",
            "extend",
            "1",
            "--months",
            "1",
            "--reason",
            "more",
            "--at",
            "2094-02-21",
        ],
    );
    assert!(
        stderr(&out).contains("two months in all"),
        "{}",
        stderr(&out)
    );

    // On 2 May 2026: case 3 (due 30 April) and case 5 (due 1 March) are
    // overdue; case 1, extended to 30 April, too.
    let overdue = json(
        &l,
        db,
        &[
            "request",
            "list",
            "--overdue",
            "--at",
            "2094-05-02",
            "--json",
        ],
    );
    let ids: Vec<i64> = overdue
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [5, 1, 3], "earliest deadline first");
    let text = ok(&l, db, &["request", "list", "--at", "2094-05-02"]);
    assert!(text.contains("3 OVERDUE"), "{text}");
    assert!(text.contains("OVERDUE by 2 day(s)"), "{text}");
    let before = json(
        &l,
        db,
        &["request", "list", "--due-before", "2095-01-31", "--json"],
    );
    assert_eq!(
        before.as_array().unwrap().len(),
        4,
        "due on or before: all but the 2096 case"
    );

    // A request entered late (received in the past) shows the days it
    // really has left, counted from now, not a fresh month.
    let late = open("2026-11-20T10:00");
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Stockholm").unwrap())
        .date();
    let due: jiff::civil::Date = late["due_on"].as_str().unwrap().parse().unwrap();
    assert_eq!(due.to_string(), "2026-12-20");
    assert_eq!(
        late["days_left"].as_i64().unwrap(),
        i64::from(today.until(due).unwrap().get_days()),
        "{late}"
    );
    // An extension backdated into the first month but entered after it is
    // refused by the time it is recorded.
    let old = open("2026-01-10T10:00");
    let out = run(
        &l,
        db,
        &[
            "request",
            "extend",
            &old["id"].to_string(),
            "--months",
            "1",
            "--reason",
            "complex",
            "--at",
            "2026-01-15",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("the first month ended on 2026-02-10"),
        "{}",
        stderr(&out)
    );
}

fn rights_take_effect_for_decisions_at_once_or_are_refused_with_the_reason(db: &TestDb) {
    let l = Ledger::new();
    two_customers(&l, db);
    let decide = |purpose: &str, category: &str, role: &str| {
        run(
            &l,
            db,
            &[
                "decide",
                "--subject",
                "c-2",
                "--role",
                role,
                "--purpose",
                purpose,
                "--category",
                category,
                "--at",
                "2026-11-22",
            ],
        )
        .status
        .code()
    };
    // Bo consented to marketing of traffic data; he withdraws by request.
    assert_eq!(decide("marketing", "traffic", "marketing"), Some(0));
    let id = opened(&l, db, "c-2", "withdrawal", "2026-11-20");
    ok(&l, db, &["request", "answer", &id, "--at", "2026-11-21"]);
    assert_eq!(decide("marketing", "traffic", "marketing"), Some(3));

    // An objection to direct marketing needs no reasons and stops it.
    assert_eq!(decide("marketing", "customer", "marketing"), Some(0));
    let id = opened(&l, db, "c-2", "objection", "2026-11-20");
    ok(
        &l,
        db,
        &[
            "request",
            "answer",
            &id,
            "--purpose",
            "marketing",
            "--at",
            "2026-11-21",
        ],
    );
    assert_eq!(decide("marketing", "customer", "marketing"), Some(3));

    // An objection to legitimate-interest processing other than direct
    // marketing is recorded with the outcome of the assessment.
    let id = opened(&l, db, "c-2", "objection", "2026-11-20");
    let out = run(
        &l,
        db,
        &[
            "request",
            "answer",
            &id,
            "--purpose",
            "service-communication",
            "--at",
            "2026-11-21",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("assessment"), "{}", stderr(&out));
    let done = json(
        &l,
        db,
        &[
            "request",
            "answer",
            &id,
            "--purpose",
            "service-communication",
            "--assessment",
            "no compelling grounds: objection upheld",
            "--format",
            "json",
            "--at",
            "2026-11-21",
        ],
    );
    assert_eq!(done["outcome"], "done");
    assert_eq!(
        done["response"]["assessment"],
        "no compelling grounds: objection upheld"
    );

    // Legal compliance rests on a legal obligation: Art. 21 gives no
    // right to object to it, and the answer says so.
    let id = opened(&l, db, "c-2", "objection", "2026-11-20");
    let refused = json(
        &l,
        db,
        &[
            "request",
            "answer",
            &id,
            "--purpose",
            "legal-compliance",
            "--format",
            "json",
            "--at",
            "2026-11-21",
        ],
    );
    assert_eq!(refused["outcome"], "refused");
    assert!(
        refused["response"]["refused"]
            .as_str()
            .unwrap()
            .contains("neither legitimate interest nor a public task"),
        "{refused}"
    );

    // Rectification: the corrected content, at once.
    let id = opened(&l, db, "c-2", "rectification", "2026-11-20");
    let bo_contact = db.scalar("SELECT id FROM records WHERE subject_id = 'c-2'");
    ok(
        &l,
        db,
        &[
            "request",
            "answer",
            &id,
            "--record",
            &bo_contact.to_string(),
            "--content",
            r#"{"name":"Bo Bengtsson-Ek"}"#,
            "--at",
            "2026-11-21",
        ],
    );
    let shown = ok(&l, db, &["subject", "show", "c-2", "--json"]);
    assert!(shown.contains("Bo Bengtsson-Ek"), "{shown}");

    // Restriction: only storage and legal claims from now on.
    assert_eq!(decide("service-provision", "customer", "support"), Some(0));
    let id = opened(&l, db, "c-2", "restriction", "2026-11-20");
    ok(
        &l,
        db,
        &[
            "request",
            "answer",
            &id,
            "--ground",
            "accuracy-contested",
            "--at",
            "2026-11-21",
        ],
    );
    assert_eq!(decide("service-provision", "customer", "support"), Some(3));
    assert!(ok(&l, db, &["audit", "verify"]).contains("intact"));
}

#[test]
fn the_access_letters_in_swedish_and_english() {
    let l = Ledger::new();
    let db = TestDb::sqlite();
    two_customers(&l, &db);
    for (kind, lang, format, snapshot) in [
        ("access", "sv", "markdown", "access_letter_sv"),
        ("access", "en", "markdown", "access_letter_en"),
        ("portability", "sv", "html", "portability_letter_sv_html"),
    ] {
        let id = opened(&l, &db, "c-1", kind, "2026-11-02");
        let letter = ok(
            &l,
            &db,
            &[
                "request",
                "answer",
                &id,
                "--lang",
                lang,
                "--format",
                format,
                "--at",
                "2026-11-04",
            ],
        );
        insta::assert_snapshot!(snapshot, letter);
    }
    // What the legal review found machine-made in the letters.
    let access = ok(
        &l,
        &db,
        &[
            "request",
            "answer",
            &opened(&l, &db, "c-1", "access", "2026-11-02"),
            "--lang",
            "en",
            "--at",
            "2026-11-04",
        ],
    );
    for id in [
        "`contract-end`",
        "`customer-data`",
        "`invoice-unpaid`",
        "`c-1`",
    ] {
        assert!(!access.contains(id), "`{id}` in the letter:\n{access}");
    }
    // The processors that routinely receive her data are named (C-154/21).
    assert!(
        access.contains("These suppliers routinely process data about you")
            && access.contains("Sub-suppliers and other companies"),
        "{access}"
    );
    // Portability: only what she provided, not the address from the register.
    let portability: serde_json::Value = serde_json::from_str(&ok(
        &l,
        &db,
        &[
            "request",
            "answer",
            &opened(&l, &db, "c-1", "portability", "2026-11-02"),
            "--format",
            "json",
            "--at",
            "2026-11-04",
        ],
    ))
    .unwrap();
    let left_out = portability["left_out"].as_array().unwrap();
    assert!(
        left_out.iter().any(|l| l["kind"] == "address"
            && l["reason"]["en"]
                .as_str()
                .unwrap()
                .contains("Article 20(1)")),
        "{portability}"
    );
    assert!(
        !portability["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "address"),
        "{portability}"
    );
    // The erasure answer is a letter too: what was erased, what is kept
    // and why in words, who is told (Art. 19), where to complain (12(4)).
    for (lang, snapshot) in [("sv", "erasure_letter_sv"), ("en", "erasure_letter_en")] {
        let id = opened(&l, &db, "c-1", "erasure", "2026-11-02");
        let letter = ok(
            &l,
            &db,
            &[
                "request",
                "answer",
                &id,
                "--lang",
                lang,
                "--at",
                "2026-11-04",
            ],
        );
        insta::assert_snapshot!(snapshot, letter);
    }
}
