//! The store's conformance suite: every test runs on SQLite (a temp file)
//! and on PostgreSQL (a fresh database), and must behave the same on both.

#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests"
)]

mod support;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use support::{TestDb, policy};
use tillit_core::identity::{Email, Identifier, Personnummer, Phone, SubjectId};
use tillit_core::ledger::{
    ConsentChange, NewDisclosure, NewEvent, NewObjection, NewRecord, NewSubject, RecordRequest,
    RestrictionGround,
};
use tillit_store::audit::Break;
use tillit_store::{Ledger, StoreError};

on_both_backends!(
    subjects_are_found_by_any_spelling_of_their_identifiers,
    a_refused_write_changes_nothing,
    a_failed_transaction_leaves_no_trace,
    records_carry_what_the_policy_says,
    consent_is_an_append_only_history,
    rights_and_holds_open_and_close,
    disclosures_reach_every_subject_named,
    the_chain_verifies_and_counts_every_change,
    a_changed_audit_entry_is_named,
    a_deleted_audit_entry_is_named,
    a_deleted_last_entry_is_named,
    swapped_audit_entries_are_named,
    a_newer_schema_is_refused,
    concurrent_writers_keep_one_chain,
    the_demo_company_is_reproducible,
    every_entry_records_when_it_was_written_beside_the_instant_it_claims,
);

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn z(s: &str) -> ZonedDateTime {
    t(s).to_zoned_datetime(TimeZone::UTC)
}

fn sid(s: &str) -> SubjectId {
    SubjectId::parse(s).unwrap()
}

fn today() -> Date {
    Date::constant(2026, 11, 25)
}

fn anna() -> NewSubject {
    NewSubject {
        id: sid("c-1"),
        identifiers: vec![
            Identifier::Email(Email::parse("Anna@Example.se").unwrap()),
            Identifier::Phone(Phone::parse("070-123 45 67").unwrap()),
            Identifier::Personnummer(Personnummer::parse("19811218-9876", today()).unwrap()),
        ],
    }
}

fn add(ledger: &mut Ledger, s: &NewSubject) {
    ledger
        .write(t("2026-01-01T09:00:00Z"), |w| w.add_subject(s))
        .unwrap();
}

fn intact(ledger: &mut Ledger) -> u64 {
    let v = ledger.verify_audit(&mut |_| {}).unwrap();
    assert_eq!(v.broken, None, "the chain should verify");
    v.entries
}

fn subjects_are_found_by_any_spelling_of_their_identifiers(db: &TestDb) {
    let mut ledger = db.open();
    add(&mut ledger, &anna());
    for identifier in [
        Identifier::Email(Email::parse("anna@EXAMPLE.se").unwrap()),
        Identifier::Phone(Phone::parse("+46 70 123 45 67").unwrap()),
        Identifier::Personnummer(Personnummer::parse("811218-9876", today()).unwrap()),
    ] {
        assert_eq!(ledger.find(&identifier).unwrap(), Some(sid("c-1")));
    }
    let unknown = Identifier::Email(Email::parse("bo@example.se").unwrap());
    assert_eq!(ledger.find(&unknown).unwrap(), None);

    let view = ledger.subject(&sid("c-1")).unwrap().unwrap();
    assert_eq!(view.identifiers.len(), 3);
    assert_eq!(view.pseudonym.len(), 32);
    assert_eq!(view.created_at, t("2026-01-01T09:00:00Z"));
    assert!(ledger.subject(&sid("c-2")).unwrap().is_none());
}

fn a_refused_write_changes_nothing(db: &TestDb) {
    let mut ledger = db.open();
    add(&mut ledger, &anna());
    let before = ledger.counts().unwrap();
    let head = ledger.audit_head().unwrap();

    // The id is taken.
    let err = ledger
        .write(t("2026-01-02T00:00:00Z"), |w| w.add_subject(&anna()))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::SubjectExists(ref id) if id == "c-1"),
        "{err}"
    );

    // The personnummer is someone else's.
    let bo = NewSubject {
        id: sid("c-2"),
        identifiers: vec![
            Identifier::Email(Email::parse("bo@example.se").unwrap()),
            Identifier::Personnummer(Personnummer::parse("811218-9876", today()).unwrap()),
        ],
    };
    let err = ledger
        .write(t("2026-01-02T00:00:00Z"), |w| w.add_subject(&bo))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "that personnummer already belongs to subject `c-1`"
    );

    // A record for nobody.
    let record = contact("c-9", "2026-01-02T00:00:00Z");
    let err = ledger
        .write(t("2026-01-02T00:00:00Z"), |w| w.add_record(&record))
        .unwrap_err();
    assert!(matches!(err, StoreError::NoSuchSubject(_)), "{err}");

    assert_eq!(ledger.counts().unwrap(), before);
    assert_eq!(ledger.audit_head().unwrap(), head);
    let bo_mail = Identifier::Email(Email::parse("bo@example.se").unwrap());
    assert_eq!(ledger.find(&bo_mail).unwrap(), None);
    intact(&mut ledger);
}

fn contact(subject: &str, at: &str) -> NewRecord {
    NewRecord::new(
        &policy(),
        RecordRequest {
            subject: sid(subject),
            category: "customer",
            kind: "contact",
            source: "subject",
            register: None,
            reference: None,
            accounting: false,
            payload: Some(serde_json::json!({ "name": "Anna Andersson" })),
            collected_at: z(at),
            dated: None,
        },
    )
    .unwrap()
}

fn a_failed_transaction_leaves_no_trace(db: &TestDb) {
    let mut ledger = db.open();
    let before = ledger.counts().unwrap();
    let result = ledger.write(t("2026-01-01T00:00:00Z"), |w| {
        w.add_subject(&anna())?;
        w.add_record(&contact("c-1", "2026-01-01T00:00:00Z"))?;
        // The third write fails: the two before it must go too.
        w.add_record(&contact("c-404", "2026-01-01T00:00:00Z"))
    });
    assert!(matches!(result, Err(StoreError::NoSuchSubject(_))));
    assert_eq!(ledger.counts().unwrap(), before);
    assert_eq!(ledger.audit_head().unwrap().0, 0);
    assert!(ledger.subject(&sid("c-1")).unwrap().is_none());
    intact(&mut ledger);
}

fn records_carry_what_the_policy_says(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    add(&mut ledger, &anna());
    let address = NewRecord::new(
        &policy,
        RecordRequest {
            subject: sid("c-1"),
            category: "customer",
            kind: "address",
            source: "public-register",
            register: Some("SPAR"),
            reference: None,
            accounting: false,
            payload: Some(serde_json::json!({ "street": "Storgatan 1", "city": "Umeå" })),
            collected_at: z("2026-01-31T12:00:00Z"),
            dated: None,
        },
    )
    .unwrap();
    let voucher = NewRecord::new(
        &policy,
        RecordRequest {
            subject: sid("c-1"),
            category: "customer",
            kind: "voucher",
            source: "service-use",
            register: None,
            reference: Some("F-1".into()),
            accounting: false,
            payload: None,
            collected_at: z("2026-02-01T12:00:00Z"),
            dated: None,
        },
    )
    .unwrap();
    ledger
        .write(t("2026-02-01T12:00:00Z"), |w| {
            w.add_record(&address)?;
            w.add_record(&voucher)
        })
        .unwrap();
    let file = ledger
        .subject_file(&sid("c-1"), t("2026-02-02T00:00:00Z"))
        .unwrap()
        .unwrap();
    let [a, v] = file.records.as_slice() else {
        panic!("two records expected, got {:?}", file.records);
    };
    assert_eq!(a.register.as_deref(), Some("SPAR"));
    // One month, clamped to February's end (Art. 14(3)).
    assert_eq!(a.inform_by, Some(Date::constant(2026, 2, 28)));
    assert_eq!(a.payload.as_ref().unwrap()["city"], "Umeå");
    assert_eq!(a.collected_at, t("2026-01-31T12:00:00Z"));
    assert!(!a.accounting);
    assert_eq!(a.state, "active");
    assert!(v.accounting, "vouchers are accounting material by kind");
    assert_eq!(v.reference.as_deref(), Some("F-1"));
    assert_eq!(v.payload, None);
}

fn consent(policy: &tillit_core::Policy, given: bool, purpose: &str, at: &str) -> ConsentChange {
    ConsentChange::new(policy, sid("c-1"), purpose, given, "web", "v1", t(at)).unwrap()
}

fn consent_is_an_append_only_history(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    add(&mut ledger, &anna());
    for c in [
        consent(&policy, true, "marketing", "2026-02-01T00:00:00Z"),
        consent(&policy, true, "service-development", "2026-02-01T00:00:00Z"),
        consent(&policy, false, "marketing", "2026-03-01T00:00:00Z"),
        consent(&policy, true, "marketing", "2026-04-01T00:00:00Z"),
    ] {
        ledger.write(c.at, |w| w.change_consent(&c)).unwrap();
    }
    let history = ledger.consent_history(&sid("c-1")).unwrap();
    assert_eq!(history.len(), 4);
    let state_at = |ledger: &mut Ledger, at: &str| {
        let file = ledger.subject_file(&sid("c-1"), t(at)).unwrap().unwrap();
        file.consents
            .iter()
            .map(|c| (c.purpose.clone(), c.given))
            .collect::<Vec<_>>()
    };
    assert_eq!(state_at(&mut ledger, "2026-01-15T00:00:00Z"), vec![]);
    assert_eq!(
        state_at(&mut ledger, "2026-02-15T00:00:00Z"),
        vec![
            ("marketing".into(), true),
            ("service-development".into(), true)
        ]
    );
    assert_eq!(
        state_at(&mut ledger, "2026-03-15T00:00:00Z"),
        vec![
            ("marketing".into(), false),
            ("service-development".into(), true)
        ]
    );
    assert_eq!(
        state_at(&mut ledger, "2026-05-01T00:00:00Z")[0],
        ("marketing".into(), true)
    );
    // Nothing was overwritten: four rows, four audit entries after the
    // subject's own.
    assert_eq!(db.scalar("SELECT COUNT(*) FROM consents"), 4);
    assert_eq!(intact(&mut ledger), 1 + 3 + 4);
}

fn rights_and_holds_open_and_close(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    add(&mut ledger, &anna());
    let at = t("2026-03-01T00:00:00Z");
    let objection = NewObjection::new(&policy, sid("c-1"), "marketing", at).unwrap();
    let event = NewEvent::new(&policy, sid("c-1"), "contract-end", "K-1", at).unwrap();
    let (restriction, hold) = ledger
        .write(at, |w| {
            w.object(&objection)?;
            w.add_event(&event)?;
            let r = w.restrict(&sid("c-1"), RestrictionGround::AccuracyContested, at)?;
            let h = w.place_hold(
                &sid("c-1"),
                &support::hold_everything("disputed invoice F-1"),
                at,
            )?;
            Ok((r, h))
        })
        .unwrap();
    let later = t("2026-04-01T00:00:00Z");
    ledger
        .write(later, |w| {
            w.lift_restriction(&sid("c-1"), restriction, later)?;
            w.release_hold(&sid("c-1"), hold, "legal", later)
        })
        .unwrap();
    // Lifting twice is refused, and so is someone else's hold.
    let err = ledger
        .write(later, |w| {
            w.lift_restriction(&sid("c-1"), restriction, later)
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::NoSuch { .. }), "{err}");
    let err = ledger
        .write(later, |w| w.release_hold(&sid("c-2"), hold, "legal", later))
        .unwrap_err();
    assert!(matches!(err, StoreError::NoSuchSubject(_)), "{err}");

    let file = ledger.subject_file(&sid("c-1"), later).unwrap().unwrap();
    assert!(file.objections[0].absolute, "marketing is direct marketing");
    assert_eq!(file.events[0].kind, "contract-end");
    assert_eq!(file.events[0].reference, "K-1");
    assert_eq!(file.restrictions[0].ground, "accuracy-contested");
    assert_eq!(file.restrictions[0].lifted_at, Some(later));
    assert_eq!(file.holds[0].reason, "disputed invoice F-1");
    assert_eq!(file.holds[0].released_by.as_deref(), Some("legal"));
    intact(&mut ledger);
}

fn disclosures_reach_every_subject_named(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    add(&mut ledger, &anna());
    add(
        &mut ledger,
        &NewSubject {
            id: sid("c-2"),
            identifiers: vec![],
        },
    );
    let d = NewDisclosure::new(
        &policy,
        "authorities",
        vec![sid("c-1"), sid("c-2"), sid("c-1")],
        &["customer".into(), "traffic".into()],
        "legal-obligation",
        Some("5000-K123-26".into()),
        t("2026-05-05T10:00:00Z"),
    )
    .unwrap();
    let id = ledger.write(d.at, |w| w.disclose(&d)).unwrap();
    for s in ["c-1", "c-2"] {
        let file = ledger.subject_file(&sid(s), d.at).unwrap().unwrap();
        let [seen] = file.disclosures.as_slice() else {
            panic!("{s} should see one disclosure");
        };
        assert_eq!(seen.id, id);
        assert_eq!(seen.recipient, "authorities");
        assert_eq!(seen.categories, ["customer", "traffic"]);
        assert_eq!(seen.basis, "legal-obligation");
        assert_eq!(seen.reference.as_deref(), Some("5000-K123-26"));
    }
    // A subject named twice is disclosed once.
    assert_eq!(db.scalar("SELECT COUNT(*) FROM disclosure_subjects"), 2);
}

fn the_chain_verifies_and_counts_every_change(db: &TestDb) {
    let mut ledger = db.open();
    assert_eq!(intact(&mut ledger), 0);
    add(&mut ledger, &anna());
    // subject + three identifiers
    assert_eq!(intact(&mut ledger), 4);
    let (seq, hash) = ledger.audit_head().unwrap();
    assert_eq!(seq, 4);
    assert_eq!(ledger.verify_audit(&mut |_| {}).unwrap().head, hash);
    // No personal data in the chain.
    let leaked = db.scalar(
        "SELECT COUNT(*) FROM audit WHERE detail LIKE '%anna%' OR detail LIKE '%1981%'
         OR subject = 'c-1' OR detail LIKE '%c-1%'",
    );
    assert_eq!(leaked, 0);
}

/// Finding 8: an entry records when it was written as well as the instant
/// it claims; the recording time is hashed; an extension claimed within
/// the first month but recorded after it is refused.
fn every_entry_records_when_it_was_written_beside_the_instant_it_claims(db: &TestDb) {
    let mut ledger = db.open();
    ledger.set_recording_clock(|| "2026-03-01T09:00:00Z".parse().unwrap());
    add(&mut ledger, &anna());
    let at = db.scalar("SELECT MIN(at) FROM audit");
    let recorded = db.scalar("SELECT MIN(recorded_at) FROM audit");
    assert_eq!(recorded, t("2026-03-01T09:00:00Z").as_microsecond());
    assert_ne!(
        at, recorded,
        "the claimed instant stays what the caller said"
    );
    // Backdating the record of when it was written breaks the chain.
    db.tamper("UPDATE audit SET recorded_at = recorded_at - 86400000000 WHERE seq = 2");
    assert_eq!(broken(db), Break::Changed { seq: 2 });
    db.tamper("UPDATE audit SET recorded_at = recorded_at + 86400000000 WHERE seq = 2");
    assert_eq!(intact(&mut ledger), 4);

    let tz = TimeZone::get("Europe/Stockholm").unwrap();
    let received = t("2026-01-10T10:00:00Z");
    let id = ledger
        .write(received, |w| {
            w.open_request(
                &sid("c-1"),
                tillit_core::rights::Right::Access,
                received,
                &tz,
            )
        })
        .unwrap();
    // Claimed on 15 January, recorded on 1 March: after the first month.
    let refused = ledger.write(t("2026-01-15T10:00:00Z"), |w| {
        w.extend_request(id, 1, "complex", &tz)
    });
    assert!(
        matches!(&refused, Err(StoreError::ExtensionRefused { .. })),
        "{refused:?}"
    );
    // Recorded within the first month, the same extension is allowed.
    ledger.set_recording_clock(|| "2026-01-20T09:00:00Z".parse().unwrap());
    let clock = ledger
        .write(t("2026-01-15T10:00:00Z"), |w| {
            w.extend_request(id, 1, "complex", &tz)
        })
        .unwrap();
    assert_eq!(clock.due_on.to_string(), "2026-03-10");
}

/// A ledger with eight audit entries: two subjects of four each.
fn eight_entries(db: &TestDb) -> Ledger {
    let mut ledger = db.open();
    add(&mut ledger, &anna());
    add(
        &mut ledger,
        &NewSubject {
            id: sid("c-2"),
            identifiers: vec![
                Identifier::Email(Email::parse("bo@example.se").unwrap()),
                Identifier::Phone(Phone::parse("070-765 43 21").unwrap()),
                Identifier::Personnummer(Personnummer::parse("121212-1212", today()).unwrap()),
            ],
        },
    );
    assert_eq!(intact(&mut ledger), 8);
    ledger
}

fn broken(db: &TestDb) -> Break {
    // A fresh connection, as `tillit audit verify` would open.
    let v = db.open().verify_audit(&mut |_| {}).unwrap();
    v.broken.expect("the chain should be broken")
}

fn a_changed_audit_entry_is_named(db: &TestDb) {
    drop(eight_entries(db));
    db.tamper(r#"UPDATE audit SET detail = '{"kind":"email"}' WHERE seq = 3"#);
    assert_eq!(broken(db), Break::Changed { seq: 3 });
    assert_eq!(
        broken(db).to_string(),
        "entry 3 was changed: its content no longer matches its hash"
    );
}

fn a_deleted_audit_entry_is_named(db: &TestDb) {
    drop(eight_entries(db));
    db.tamper("DELETE FROM audit WHERE seq = 5");
    assert_eq!(broken(db), Break::Removed { after: 4, next: 6 });
    assert!(broken(db).to_string().starts_with("entry 5 was removed"));
}

fn a_deleted_last_entry_is_named(db: &TestDb) {
    drop(eight_entries(db));
    db.tamper("DELETE FROM audit WHERE seq = 8");
    assert_eq!(broken(db), Break::Truncated { last: 7, head: 8 });
    assert!(
        broken(db)
            .to_string()
            .starts_with("entry 8 was removed from the end")
    );
}

fn swapped_audit_entries_are_named(db: &TestDb) {
    drop(eight_entries(db));
    // Entries 2 and 6 trade places, each keeping its own hash.
    db.tamper(
        "UPDATE audit SET seq = -1 WHERE seq = 2;
         UPDATE audit SET seq = 2 WHERE seq = 6;
         UPDATE audit SET seq = 6 WHERE seq = -1;",
    );
    assert_eq!(broken(db), Break::Reordered { seq: 2 });
    assert!(broken(db).to_string().contains("reordered"));
}

fn a_newer_schema_is_refused(db: &TestDb) {
    drop(db.open());
    db.tamper("INSERT INTO tillit_schema (version) VALUES (999)");
    let err = Ledger::open(&db.url()).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer tillit"), "{err}");
}

fn concurrent_writers_keep_one_chain(db: &TestDb) {
    let policy = policy();
    let mut ledger = db.open();
    add(&mut ledger, &anna());
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let policy = &policy;
            scope.spawn(move || {
                let mut ledger = db.open();
                for i in 0..25 {
                    let c = consent(
                        policy,
                        (thread + i) % 2 == 0,
                        "marketing",
                        "2026-02-01T00:00:00Z",
                    );
                    ledger.write(c.at, |w| w.change_consent(&c)).unwrap();
                }
            });
        }
    });
    assert_eq!(ledger.consent_history(&sid("c-1")).unwrap().len(), 100);
    assert_eq!(intact(&mut ledger), 4 + 100);
}

fn the_demo_company_is_reproducible(db: &TestDb) {
    use tillit_store::demo;
    let policy = policy();
    let spec = demo::Spec {
        subjects: 300,
        seed: 7,
        until: z("2026-11-25T12:00:00Z"),
    };
    let mut ledger = db.open();
    let summary = demo::generate(&mut ledger, &policy, &spec, &mut |_| {}).unwrap();
    assert_eq!(summary.subjects, 300);
    let counts = ledger.counts().unwrap();
    assert_eq!(counts.subjects, 300);
    assert_eq!(counts.records, summary.records);
    assert_eq!(counts.consents, summary.consents);
    // A realistic mix: contracts that ended, unpaid invoices, withdrawn
    // consents, vouchers, an authority request.
    assert!(db.scalar("SELECT COUNT(*) FROM lifecycle_events WHERE kind = 'contract-end'") > 20);
    assert!(
        db.scalar(
            "SELECT COUNT(*) FROM lifecycle_events i WHERE kind = 'invoice-issued' AND NOT EXISTS
             (SELECT 1 FROM lifecycle_events p WHERE p.kind = 'invoice-paid' AND p.reference = i.reference)"
        ) > 0
    );
    assert!(db.scalar("SELECT COUNT(*) FROM consents WHERE given = false") > 0);
    assert!(
        db.scalar("SELECT COUNT(*) FROM records WHERE kind = 'voucher' AND accounting = true")
            > 100
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM disclosures WHERE recipient = 'authorities'"),
        1
    );
    intact(&mut ledger);

    // Same seed, same company.
    let again = TestDb::sqlite();
    let summary_again = demo::generate(&mut again.open(), &policy, &spec, &mut |_| {}).unwrap();
    assert_eq!(summary_again, summary);
    let first_invoices = |db: &TestDb| {
        db.scalar(
            "SELECT COUNT(*) FROM records WHERE kind = 'invoice' AND subject_id <= 'c-000100'",
        )
    };
    assert_eq!(first_invoices(&again), first_invoices(db));
    let demo_email = Identifier::Email(Email::parse(&demo::email(41)).unwrap());
    assert_eq!(
        ledger.find(&demo_email).unwrap(),
        Some(demo::subject_id(41).unwrap())
    );
}
