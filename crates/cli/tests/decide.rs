//! `tillit decide` as an engineer calls it: exit codes, reasons in both
//! languages, JSON, and the batch mode's order and error lines.
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "tests fail loudly"
)]

mod support;

use support::{Ledger, stderr, stdout};

fn customer_with_consent() -> Ledger {
    let l = Ledger::new();
    l.ok(&[
        "subject",
        "add",
        "--id",
        "c-1",
        "--email",
        "anna@example.se",
        "--at",
        "2026-01-01",
    ]);
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
        "2026-01-10T09:00",
    ]);
    l
}

const MARKETING: &[&str] = &[
    "decide",
    "--subject",
    "c-1",
    "--role",
    "marketing",
    "--purpose",
    "marketing",
    "--category",
    "traffic",
];

fn with<'a>(base: &[&'a str], more: &[&'a str]) -> Vec<&'a str> {
    base.iter().chain(more).copied().collect()
}

#[test]
fn allowed_exits_0_denied_exits_3_with_reasons_in_both_languages() {
    let l = customer_with_consent();
    let out = l.run(&with(MARKETING, &["--at", "2026-02-01"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        text.starts_with("allowed (consent-given, basis consent)"),
        "{text}"
    );
    assert!(
        text.contains("sv: `marketing` bygger på samtycke"),
        "{text}"
    );
    assert!(text.contains("en: `marketing` rests on consent"), "{text}");
    assert!(
        text.contains("2026-01-10 09:00"),
        "the instant in Stockholm time: {text}"
    );

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
        "2026-02-01T10:00",
    ]);
    let out = l.run(&with(MARKETING, &["--at", "2026-02-01T10:00"]));
    assert_eq!(
        out.status.code(),
        Some(3),
        "denied from the withdrawal's instant"
    );
    let text = stdout(&out);
    assert!(
        text.starts_with("denied (consent-withdrawn, basis consent)"),
        "{text}"
    );
    assert!(text.contains("återkallades 2026-02-01 10:00"), "{text}");
    // Decisions about the past still see the past.
    let out = l.run(&with(MARKETING, &["--at", "2026-02-01T09:59"]));
    assert_eq!(out.status.code(), Some(0));

    let out = l.run(&with(MARKETING, &["--at", "2026-03-01", "--json"]));
    assert_eq!(out.status.code(), Some(3));
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(j["allowed"], false);
    assert_eq!(j["basis"], "consent");
    assert_eq!(j["basis_dpv"], "dpv:Consent");
    assert_eq!(j["rule"], "consent-withdrawn");
    assert_eq!(j["since"], "2026-02-01T09:00:00Z");
    assert!(j["reason"]["sv"].as_str().unwrap().contains("återkallades"));
    assert!(j["reason"]["en"].as_str().unwrap().contains("withdrawn"));
    assert!(
        j["rights"]
            .as_array()
            .unwrap()
            .contains(&"withdraw-consent".into())
    );
}

#[test]
fn each_rule_reaches_the_command_line() {
    let l = customer_with_consent();
    l.ok(&[
        "object",
        "--subject",
        "c-1",
        "--purpose",
        "marketing",
        "--at",
        "2026-03-01",
    ]);
    l.ok(&[
        "restrict",
        "start",
        "--subject",
        "c-1",
        "--ground",
        "accuracy-contested",
        "--at",
        "2026-04-01",
    ]);
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &[
                "--role",
                "support",
                "--purpose",
                "service-provision",
                "--category",
                "customer",
                "--at",
                "2026-02-01",
            ],
            0,
            "contract-active",
        ),
        (
            &[
                "--role",
                "support",
                "--purpose",
                "service-provision",
                "--category",
                "customer",
                "--at",
                "2026-04-02",
            ],
            3,
            "restricted",
        ),
        (
            &[
                "--role",
                "support",
                "--purpose",
                "service-provision",
                "--category",
                "customer",
                "--at",
                "2026-04-02",
                "--operation",
                "store",
            ],
            0,
            "contract-active",
        ),
        (
            &[
                "--role",
                "account-manager",
                "--purpose",
                "marketing",
                "--category",
                "customer",
                "--at",
                "2026-03-02",
            ],
            3,
            "direct-marketing-objection",
        ),
        (
            &[
                "--role",
                "marketing",
                "--purpose",
                "service-provision",
                "--category",
                "customer",
                "--at",
                "2026-02-01",
            ],
            3,
            "no-need-to-know",
        ),
        (
            &[
                "--role",
                "support",
                "--purpose",
                "service-provision",
                "--category",
                "traffic",
                "--at",
                "2026-02-01",
            ],
            3,
            "no-basis-for-category",
        ),
        (
            &[
                "--role",
                "analyst",
                "--purpose",
                "service-development",
                "--category",
                "customer",
                "--at",
                "2026-02-01",
            ],
            3,
            "anonymised-only",
        ),
        (
            &[
                "--role",
                "analyst",
                "--purpose",
                "service-development",
                "--category",
                "customer",
                "--at",
                "2026-02-01",
                "--anonymised",
            ],
            0,
            "legitimate-interest",
        ),
        (
            &[
                "--role",
                "dpo",
                "--purpose",
                "legal-compliance",
                "--category",
                "traffic",
                "--at",
                "2026-02-01",
            ],
            0,
            "legal-obligation",
        ),
        (
            &[
                "--role",
                "support",
                "--purpose",
                "markting",
                "--category",
                "customer",
                "--at",
                "2026-02-01",
            ],
            3,
            "undeclared-purpose",
        ),
    ];
    for (args, code, rule) in cases {
        let mut all = vec!["decide", "--subject", "c-1", "--json"];
        all.extend_from_slice(args);
        let out = l.run(&all);
        assert_eq!(
            out.status.code(),
            Some(*code),
            "{args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(j["rule"], *rule, "{args:?}");
    }
    let out = l.run(&[
        "decide",
        "--subject",
        "c-2",
        "--role",
        "support",
        "--purpose",
        "service-provision",
        "--category",
        "customer",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stdout(&out).contains("unknown-subject"), "{}", stdout(&out));
    let out = l.run(&[
        "decide",
        "--subject",
        "c-1",
        "--role",
        "support",
        "--purpose",
        "markting",
        "--category",
        "customer",
    ]);
    assert!(
        stdout(&out).contains("did you mean `marketing`?"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn batch_answers_every_line_in_order() {
    let l = customer_with_consent();
    let input = [
        r#"{"subject":"c-1","role":"marketing","purpose":"marketing","category":"traffic","at":"2026-02-01T00:00:00Z"}"#,
        r#"{"subject":"c-1","role":"support","purpose":"service-provision","category":"customer"}"#,
        r#"{"subject":"c-1","role":"analyst","purpose":"service-development","category":"customer","anonymised":true}"#,
        "this is not json",
        r#"{"subject":"c-1","role":"support","purpose":"service-provision","category":"customer","colour":"red"}"#,
        r#"{"subject":"c-9","role":"support","purpose":"service-provision","category":"customer"}"#,
        r#"{"subject":"c-1","role":"support","purpose":"service-provision","category":"customer","operation":"store","at":"2025-12-31T22:59:59Z"}"#,
    ]
    .join("\n");
    let out = l.run_with_input(&["decide", "--batch", "--at", "2026-06-01"], &input);
    assert_eq!(
        out.status.code(),
        Some(1),
        "bad lines make the batch fail: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("2 line(s) were not requests"),
        "{}",
        stderr(&out)
    );
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect();
    assert_eq!(lines.len(), 7, "one line out per line in");
    let rules: Vec<String> = lines
        .iter()
        .map(|j| {
            j["rule"]
                .as_str()
                .map_or_else(|| format!("error@{}", j["line"]), str::to_owned)
        })
        .collect();
    assert_eq!(
        rules,
        [
            "consent-given",
            "contract-active",
            "legitimate-interest",
            "error@4",
            "error@5",
            "unknown-subject",
            "no-contract",
        ]
    );
    assert_eq!(
        lines[1]["at"], "2026-05-31T22:00:00Z",
        "`at` defaults to --at"
    );
    assert!(
        lines[4]["error"].as_str().unwrap().contains("colour"),
        "{}",
        lines[4]
    );

    let preloaded = l.run_with_input(
        &["decide", "--batch", "--preload", "--at", "2026-06-01"],
        &input,
    );
    assert_eq!(
        stdout(&preloaded),
        stdout(&out),
        "--preload changes nothing but speed"
    );

    let good = input.lines().take(3).collect::<Vec<_>>().join("\n");
    let out = l.run_with_input(&["decide", "--batch"], &good);
    assert_eq!(
        out.status.code(),
        Some(0),
        "denials are answers, not failures"
    );
}

#[test]
fn batch_keeps_order_across_chunks_and_stops_quietly_when_the_reader_does() {
    let l = customer_with_consent();
    // 10,000 lines: more than two chunks, so several are decided while
    // earlier ones are written. Every 997th line is not a request.
    let lines: Vec<String> = (1..=10_000)
        .map(|n| {
            if n % 997 == 0 {
                format!("not a request {n}")
            } else {
                let (role, purpose, category) = if n % 2 == 0 {
                    ("marketing", "marketing", "traffic")
                } else {
                    ("support", "service-provision", "customer")
                };
                format!(
                    r#"{{"subject":"c-{}","role":"{role}","purpose":"{purpose}","category":"{category}"}}"#,
                    if n % 3 == 0 { 9 } else { 1 }
                )
            }
        })
        .collect();
    let input = lines.join("\n");
    let out = l.run_with_input(&["decide", "--batch", "--at", "2026-06-01"], &input);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let got: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|s| serde_json::from_str(s).unwrap())
        .collect();
    assert_eq!(got.len(), 10_000);
    for (i, j) in got.iter().enumerate() {
        let n = i + 1;
        let want = if n % 997 == 0 {
            assert_eq!(j["line"], n, "{j}");
            continue;
        } else if n % 3 == 0 {
            "unknown-subject"
        } else if n % 2 == 0 {
            "consent-given"
        } else {
            "contract-active"
        };
        assert_eq!(j["rule"], want, "line {n}: {j}");
    }

    // A reader that takes one line and closes the pipe (`| head -1`) is
    // not an error.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tillit"))
        .args(["--db", &l.url(), "decide", "--batch", "--at", "2026-06-01"])
        .env(
            "TILLIT_POLICY",
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/winston/policy.toml"),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        // It may stop reading before the end; that is its right.
        let _ = stdin.write_all(input.repeat(20).as_bytes());
    });
    let mut first = String::new();
    {
        use std::io::BufRead;
        let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
        reader.read_line(&mut first).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(first.contains("contract-active"), "{first}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "a closed pipe is not reported");
}

#[test]
fn a_batch_decided_by_one_pass_over_the_ledger_answers_as_keyed_loads_do() {
    let l = Ledger::new();
    l.ok(&["demo", "--subjects", "300", "--at", "2026-11-01"]);
    // 6,000 requests over 320 ids (20 of them not in the ledger), every
    // role, purpose and category, at many times: one chunk that names
    // the whole ledger, so it is decided by a scan.
    let roles = [
        "support",
        "marketing",
        "billing",
        "analyst",
        "dpo",
        "nobody",
    ];
    let asks = [
        ("service-provision", "customer"),
        ("marketing", "traffic"),
        ("marketing", "customer"),
        ("legal-compliance", "customer"),
        ("service-development", "traffic"),
        ("security", "traffic"),
    ];
    let lines: Vec<String> = (0..6_000)
        .map(|n: usize| {
            if n % 1_001 == 500 {
                return "{\"subject\": 1}".to_owned();
            }
            let (purpose, category) = asks[n / 7 % asks.len()];
            format!(
                r#"{{"subject":"c-{:06}","role":"{}","purpose":"{purpose}","category":"{category}","at":"{}-{:02}-15T12:00:00Z"}}"#,
                n * 7_919 % 320 + 1,
                roles[n % roles.len()],
                2022 + n % 5,
                1 + n % 12,
            )
        })
        .collect();
    let scanned = l.run_with_input(&["decide", "--batch"], &lines.join("\n"));
    assert_eq!(scanned.status.code(), Some(1), "{}", stderr(&scanned));
    // The same lines in batches too small to scan for: keyed loads.
    let mut keyed = String::new();
    for part in lines.chunks(1_000) {
        let out = l.run_with_input(&["decide", "--batch"], &part.join("\n"));
        keyed.push_str(&stdout(&out));
    }
    let scanned = stdout(&scanned);
    let (scanned_lines, keyed_lines): (Vec<&str>, Vec<&str>) =
        (scanned.lines().collect(), keyed.lines().collect());
    assert_eq!(scanned_lines.len(), 6_000);
    for (n, (a, b)) in scanned_lines.iter().zip(&keyed_lines).enumerate() {
        if n % 1_001 == 500 {
            // Error lines count from the start of their own input.
            assert!(a.contains(&format!("\"line\":{}", n + 1)), "{a}");
            continue;
        }
        assert_eq!(a, b, "line {}", n + 1);
    }
    let rules: std::collections::BTreeSet<&str> = scanned_lines
        .iter()
        .filter_map(|l| l.split("\"rule\":\"").nth(1)?.split('"').next())
        .collect();
    for rule in [
        "unknown-subject",
        "unknown-role",
        "no-need-to-know",
        "contract-active",
        "no-consent",
        "legal-obligation",
    ] {
        assert!(rules.contains(rule), "{rule} not among {rules:?}");
    }
}

#[test]
fn help_teaches_the_exit_codes_and_the_batch_format() {
    let l = Ledger::new();
    let help = l.ok(&["decide", "--help"]);
    assert!(help.contains("exit 0 if allowed, 3 if denied"), "{help}");
    assert!(help.contains("--batch"), "{help}");
    assert!(help.contains(r#"{"subject": "c-000001""#), "{help}");
    let out = l.run(&["decide", "--subject", "c-1"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "missing arguments are a bad command line"
    );
}
