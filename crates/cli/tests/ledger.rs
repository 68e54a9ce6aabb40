//! The ledger commands run as a user runs them, on a real SQLite file.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "tests fail loudly"
)]

mod support;

use support::{Ledger, stderr, stdout};

#[test]
fn a_customer_s_life_in_the_ledger() {
    let l = Ledger::new();
    l.ok(&[
        "subject",
        "add",
        "--id",
        "c-1",
        "--email",
        "Anna@Example.se",
        "--personnummer",
        "811218-9876",
        "--at",
        "2026-01-01",
    ]);
    let out = l.ok(&[
        "record",
        "add",
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
        "2026-01-31",
    ]);
    assert!(out.contains("must be informed by 2026-02-28"), "{out}");
    l.ok(&[
        "event",
        "add",
        "--subject",
        "c-1",
        "--kind",
        "contract-start",
        "--ref",
        "K-1",
        "--at",
        "2026-01-01",
    ]);
    l.ok(&[
        "consent",
        "give",
        "--subject",
        "c-1",
        "--purpose",
        "marketing",
        "--channel",
        "web",
        "--at",
        "2026-02-01",
    ]);
    l.ok(&[
        "consent",
        "withdraw",
        "--subject",
        "c-1",
        "--purpose",
        "marketing",
        "--channel",
        "email-link",
        "--at",
        "2026-03-01",
    ]);

    let consent = l.json(&["consent", "show", "c-1", "--at", "2026-02-15"]);
    assert_eq!(consent["state"][0]["purpose"], "marketing");
    assert_eq!(consent["state"][0]["given"], true);
    assert_eq!(consent["history"].as_array().unwrap().len(), 2);
    let consent = l.json(&["consent", "show", "c-1", "--at", "2026-03-15"]);
    assert_eq!(consent["state"][0]["given"], false);
    assert_eq!(consent["state"][0]["channel"], "email-link");
    // The notice version the subject saw is the policy's current one.
    let version = l.ok(&["notice", "--print-version"]);
    assert_eq!(consent["history"][0]["notice_version"], version.trim());

    // Support sees the personnummer masked; billing, which needs it, in full.
    let masked = l.ok(&["subject", "show", "c-1", "--as", "support"]);
    assert!(masked.contains("19811218-****"), "{masked}");
    assert!(!masked.contains("198112189876"), "{masked}");
    let full = l.json(&["subject", "show", "c-1", "--as", "billing"]);
    assert_eq!(
        full["subject"]["identifiers"]["personnummer"],
        "198112189876"
    );
    assert_eq!(full["subject"]["identifiers"]["email"], "anna@example.se");
    assert_eq!(full["records"][0]["register"], "Postens Adressregister");
    assert_eq!(full["events"][0]["kind"], "contract-start");

    assert_eq!(
        l.ok(&["subject", "find", "--personnummer", "19811218-9876"])
            .trim(),
        "c-1"
    );
    let out = l.run(&["subject", "find", "--email", "nobody@example.se"]);
    assert_eq!(out.status.code(), Some(1));

    l.ok(&["object", "--subject", "c-1", "--purpose", "marketing"]);
    l.ok(&[
        "restrict",
        "start",
        "--subject",
        "c-1",
        "--ground",
        "accuracy-contested",
    ]);
    l.ok(&["restrict", "lift", "--subject", "c-1", "--id", "1"]);
    l.ok(&[
        "hold",
        "place",
        "--subject",
        "c-1",
        "--by",
        "legal",
        "--reason",
        "dispute",
        "--kind",
        "invoice",
    ]);
    // A hold names what it keeps, and is reviewed after the day it is placed.
    for extra in [
        &[][..],
        &["--kind", "invoices"][..],
        &["--all", "--review", "2020-01-01"][..],
    ] {
        let mut args = vec![
            "hold",
            "place",
            "--subject",
            "c-1",
            "--by",
            "legal",
            "--reason",
            "x",
        ];
        args.extend_from_slice(extra);
        let out = l.run(&args);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {}", stdout(&out));
    }
    assert!(
        stderr(&l.run(&[
            "hold",
            "place",
            "--subject",
            "c-1",
            "--by",
            "legal",
            "--reason",
            "x"
        ]))
        .contains("say what the hold keeps")
    );
    l.ok(&[
        "hold",
        "release",
        "--subject",
        "c-1",
        "--id",
        "1",
        "--by",
        "legal",
    ]);
    l.ok(&[
        "disclose",
        "--recipient",
        "authorities",
        "--subject",
        "c-1",
        "--category",
        "customer",
        "--basis",
        "legal-obligation",
        "--ref",
        "5000-K1",
    ]);
    let v = l.json(&["audit", "verify"]);
    assert_eq!(v["intact"], true);
    // subject, 2 identifiers, record, event, 2 consents, objection,
    // restriction and its lifting, hold and its release, disclosure.
    assert_eq!(v["entries"], 13);
}

#[test]
fn a_tampered_chain_fails_verify_naming_the_entry() {
    let l = Ledger::new();
    l.ok(&["demo", "--subjects", "20", "--at", "2026-11-25"]);
    assert_eq!(l.run(&["audit", "verify"]).status.code(), Some(0));
    l.sql("UPDATE audit SET at = at + 1 WHERE seq = 42");
    let out = l.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out).trim(),
        "audit chain broken: entry 42 was changed: its content no longer matches its hash"
    );
}

/// Each bad request: the command, and what its first line of error must
/// say. None may panic or write anything.
#[test]
fn bad_input_gets_one_clear_line_and_writes_nothing() {
    let l = Ledger::new();
    l.ok(&["subject", "add", "--id", "c-1"]);
    let before = l.audit_entries();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "consent",
                "give",
                "--subject",
                "c-1",
                "--purpose",
                "newsletters",
            ],
            "error: unknown purpose `newsletters`; the policy knows: service-provision, service-communication, service-development, marketing, security, legal-compliance",
        ),
        (
            &[
                "consent",
                "give",
                "--subject",
                "c-1",
                "--purpose",
                "security",
            ],
            "error: purpose `security` does not rest on consent",
        ),
        (
            &[
                "subject",
                "add",
                "--id",
                "c-2",
                "--personnummer",
                "19811218-9875",
            ],
            "error: not a personnummer: `19811218-****`: the check digit is wrong",
        ),
        (
            &[
                "subject",
                "add",
                "--id",
                "c-2",
                "--personnummer",
                "19811318-9876",
            ],
            "error: not a personnummer: `19811318-****`: no such date of birth",
        ),
        (
            &[
                "consent",
                "give",
                "--subject",
                "c-1",
                "--purpose",
                "marketing",
                "--at",
                "2026-13-01",
            ],
            "error: invalid value '2026-13-01' for '--at <TIME>'",
        ),
        (
            &[
                "record",
                "add",
                "--subject",
                "c-1",
                "--category",
                "customer",
                "--kind",
                "page-view",
                "--source",
                "cookie",
            ],
            "error: kind `page-view` is traffic data, not customer",
        ),
        (
            &[
                "record",
                "add",
                "--subject",
                "c-1",
                "--category",
                "customer",
                "--kind",
                "contact",
                "--source",
                "subject",
                "--payload",
                "{oops",
            ],
            "error: invalid value '{oops' for '--payload <JSON>': not JSON",
        ),
        (
            &[
                "consent",
                "give",
                "--subject",
                "c-9",
                "--purpose",
                "marketing",
            ],
            "error: no subject `c-9` in the ledger; add it with `tillit subject add --id c-9`",
        ),
        (
            &[
                "disclose",
                "--recipient",
                "google-analytics",
                "--subject",
                "c-1",
                "--category",
                "customer",
                "--basis",
                "consent",
            ],
            "error: the policy does not disclose customer data to `google-analytics`",
        ),
        (
            &[
                "disclose",
                "--recipient",
                "police",
                "--subject",
                "c-1",
                "--category",
                "customer",
                "--basis",
                "legal-obligation",
            ],
            "error: unknown recipient `police`; the policy knows: suppliers, google-analytics, authorities, others",
        ),
        (
            &["restrict", "start", "--subject", "c-1", "--ground", "bored"],
            "error: unknown restriction ground `bored`",
        ),
    ];
    for (args, first_line) in cases {
        let out = l.run(args);
        let err = stderr(&out);
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "{args:?} should fail with 1 or 2: {out:?}"
        );
        assert!(
            err.lines().next().unwrap_or("").starts_with(first_line),
            "{args:?}: expected a first line starting with\n  {first_line}\ngot\n  {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(
            !err.contains("198112189875") && !err.contains("9875"),
            "{err}"
        );
    }
    assert_eq!(l.audit_entries(), before, "nothing may be written");

    // An unreachable database: one line, quickly, and no file appears.
    let out = l.run_on(
        "postgres://postgres@127.0.0.1:1/tillit",
        &["subject", "show", "c-1"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with(
            "error: cannot open PostgreSQL at postgres://postgres@127.0.0.1:1/tillit:"
        ),
        "{}",
        stderr(&out)
    );
    let out = l.run_on(
        "sqlite:///nonexistent-dir/x.db",
        &["subject", "show", "c-1"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: cannot open the SQLite database `/nonexistent-dir/x.db`"),
        "{}",
        stderr(&out)
    );
    let out = l.run_on("mysql://x", &["subject", "show", "c-1"]);
    assert!(
        stderr(&out).contains("is not a database URL"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn import_keeps_good_rows_and_names_bad_lines() {
    let l = Ledger::new();
    l.ok(&[
        "subject",
        "add",
        "--id",
        "c-9",
        "--personnummer",
        "121212-1212",
    ]);
    let csv = "subject,personnummer,street,city\n\
               c-1,811218-9876,Storgatan 1,Umeå\n\
               c-2,19811218-9875,Kungsgatan 2,Luleå\n\
               c-3,,Sveavägen 3\n\
               c-4,121212-1212,Drottninggatan 4,Malmö\n\
               c-5,,Järnvägsgatan 5,Uppsala\n\
               ,,Ingen gata,Ingenstans\n";
    let file = l.dir.path().join("spar.csv");
    std::fs::write(&file, csv).unwrap();
    let out = l.run(&[
        "import",
        "--source",
        "public-register",
        "--register",
        "SPAR",
        file.to_str().unwrap(),
        "--at",
        "2026-03-01",
    ]);
    assert_eq!(out.status.code(), Some(1), "bad rows make the import fail");
    let err = stderr(&out);
    let name = file.display().to_string();
    assert!(
        err.contains(&format!("{name}:3: not a personnummer")),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{name}:4: has 3 fields where the first line names 4"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{name}:5: that personnummer already belongs to subject `c-9`"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{name}:7: the `subject` cell is empty")),
        "{err}"
    );
    assert!(stdout(&out).contains("imported 2 rows"), "{}", stdout(&out));

    // The good rows are there, with their register and Art. 14 deadline.
    let anna = l.json(&["subject", "show", "c-1"]);
    assert_eq!(anna["records"][0]["register"], "SPAR");
    assert_eq!(anna["records"][0]["inform_by"], "2026-04-01");
    assert_eq!(anna["records"][0]["payload"]["city"], "Umeå");
    assert_eq!(
        anna["subject"]["identifiers"]["personnummer"],
        "19811218-****"
    );
    l.ok(&["subject", "show", "c-5"]);
    // Bad rows left nothing, not even their subject.
    for bad in ["c-2", "c-3", "c-4"] {
        assert_eq!(
            l.run(&["subject", "show", bad]).status.code(),
            Some(1),
            "{bad}"
        );
    }
    assert_eq!(l.json(&["audit", "verify"])["intact"], true);
}

#[test]
fn demo_builds_a_company_to_explore() {
    let l = Ledger::new();
    let out = l.json(&[
        "demo",
        "--subjects",
        "200",
        "--seed",
        "3",
        "--at",
        "2026-11-25",
    ]);
    assert_eq!(out["generated"]["subjects"], 200);
    let c1 = l.json(&["subject", "show", "c-000001"]);
    assert!(!c1["records"].as_array().unwrap().is_empty());
    assert_eq!(
        c1["disclosures"].as_array().unwrap().last().unwrap()["recipient"],
        "authorities"
    );
    assert_eq!(l.json(&["audit", "verify"])["intact"], true);
}
