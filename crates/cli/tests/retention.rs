//! `tillit retention` as a DPO and a scheduler run it: the plan, the sweep,
//! a sweep killed with SIGKILL and run again, and two sweeps at once, on
//! SQLite and PostgreSQL.

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

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use store_support::TestDb;
use support::{Ledger, stderr, stdout};

const AT: &str = "2026-11-25";

/// `tillit` on the database `db`, with the Winston policy.
fn tillit(l: &Ledger, db: &TestDb, args: &[&str]) -> std::process::Output {
    l.run_on(&db.url(), args)
}

fn ok(l: &Ledger, db: &TestDb, args: &[&str]) -> String {
    l.ok_on(&db.url(), args)
}

/// A generated company of `n` subjects.
fn company(l: &Ledger, db: &TestDb, n: &str) {
    ok(
        l,
        db,
        &["demo", "--subjects", n, "--seed", "5", "--at", "2026-11-01"],
    );
}

/// What `plan --at AT --json` lists: record → action.
fn plan(l: &Ledger, db: &TestDb) -> BTreeMap<i64, String> {
    let out: serde_json::Value =
        serde_json::from_str(&ok(l, db, &["retention", "plan", "--at", AT, "--json"])).unwrap();
    out["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["record"].as_i64().unwrap(),
                r["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Every record the audit chain says retention handled, with the action,
/// as many times as it says so.
fn audited(db: &TestDb) -> Vec<(i64, String)> {
    let details: Vec<(String, String)> = match db {
        TestDb::Sqlite { path, .. } => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let mut stmt = conn
                .prepare("SELECT action, detail FROM audit WHERE action IN ('record-erased', 'record-anonymised')")
                .unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .collect()
        }
        TestDb::Postgres { .. } => {
            let mut client = postgres::Client::connect(&db.url(), postgres::NoTls).unwrap();
            client
                .query(
                    "SELECT action, detail FROM audit WHERE action IN ('record-erased', 'record-anonymised')",
                    &[],
                )
                .unwrap()
                .into_iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect()
        }
    };
    let mut out = Vec::new();
    for (action, detail) in details {
        let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
        assert!(detail["rule"].is_string(), "the entry names the rule");
        let action = match action.as_str() {
            "record-erased" => "erase",
            _ => "anonymise",
        };
        for r in detail["records"].as_array().unwrap() {
            out.push((r.as_i64().unwrap(), action.to_owned()));
        }
    }
    out
}

/// Each planned record handled exactly once, with the planned action.
fn handled_exactly_once(db: &TestDb, planned: &BTreeMap<i64, String>) {
    let audited = audited(db);
    let mut seen = BTreeSet::new();
    for (record, action) in &audited {
        assert!(seen.insert(*record), "record {record} handled twice");
        assert_eq!(planned.get(record), Some(action), "record {record}");
    }
    assert_eq!(seen.len(), planned.len(), "every planned record handled");
}

fn sweep(l: &Ledger, db: &TestDb, batch: &str) -> Child {
    let policy =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/winston/policy.toml");
    Command::new(env!("CARGO_BIN_EXE_tillit"))
        .args(["retention", "sweep", "--at", AT, "--batch", batch, "--json"])
        .env("TILLIT_POLICY", policy)
        .env("TILLIT_DATABASE_URL", db.url())
        .current_dir(l.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn a_killed_sweep_resumes_and_handles_every_record_once(db: &TestDb) {
    let l = Ledger::new();
    company(&l, db, "400");
    let planned = plan(&l, db);
    assert!(planned.len() > 300, "much is due: {}", planned.len());
    let mut rng = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| u64::from(d.subsec_nanos()) | 1);
    let mut kills = 0;
    let mut killed_mid_sweep = 0;
    let finished = loop {
        let before = audited(db).len();
        let mut child = sweep(&l, db, "7");
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        if kills % 2 == 1 {
            // Anywhere from start-up on.
            std::thread::sleep(Duration::from_millis(rng % 150));
        } else {
            // Once it has committed a batch, a little later (first, so that
            // a fast machine still kills one mid-sweep).
            let waited = std::time::Instant::now();
            while audited(db).len() == before
                && child.try_wait().unwrap().is_none()
                && waited.elapsed() < Duration::from_secs(20)
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            std::thread::sleep(Duration::from_millis(rng % 40));
        }
        if kills < 12 && child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            let after = audited(db).len();
            if after > before && after < planned.len() {
                killed_mid_sweep += 1;
            }
            continue;
        }
        break child.wait_with_output().unwrap();
    };
    assert!(
        finished.status.success(),
        "the last sweep finishes: {}",
        stderr(&finished)
    );
    assert!(
        killed_mid_sweep > 0,
        "at least one sweep was killed after some batches and before the last ({kills} kills)"
    );
    handled_exactly_once(db, &planned);
    assert!(ok(&l, db, &["audit", "verify"]).contains("intact"));
    // Nothing is left to do.
    assert!(plan(&l, db).is_empty());
}

fn two_sweeps_at_once_never_handle_a_record_twice(db: &TestDb) {
    let l = Ledger::new();
    company(&l, db, "400");
    let planned = plan(&l, db);
    let first = sweep(&l, db, "5");
    let second = sweep(&l, db, "5");
    let mut handled = 0;
    for child in [first, second] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let summary: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        handled += summary["handled"].as_u64().unwrap();
    }
    assert_eq!(
        handled,
        planned.len() as u64,
        "between them, each record once"
    );
    handled_exactly_once(db, &planned);
    assert!(ok(&l, db, &["audit", "verify"]).contains("intact"));
}

on_both_backends!(
    store_support;
    a_killed_sweep_resumes_and_handles_every_record_once,
    two_sweeps_at_once_never_handle_a_record_twice,
);

#[test]
fn a_dpo_reads_the_plan_and_sweeps() {
    let l = Ledger::new();
    let db = TestDb::sqlite();
    company(&l, &db, "150");
    let text = ok(&l, &db, &["retention", "plan", "--at", AT]);
    for rule in ["customer-data", "website-visits"] {
        assert!(text.contains(rule), "the plan names `{rule}`:\n{text}");
    }
    assert!(text.contains("--all"), "{text}");
    let all = ok(&l, &db, &["retention", "plan", "--at", AT, "--all"]);
    assert!(all.contains("while active-contract"), "{all}");
    assert_eq!(
        all.lines().skip(1).take(5).collect::<Vec<_>>(),
        text.lines().skip(1).take(5).collect::<Vec<_>>(),
        "the same due with and without --all"
    );
    assert!(all.lines().next().unwrap().contains(" records, "), "{all}");
    let json: serde_json::Value =
        serde_json::from_str(&ok(&l, &db, &["retention", "plan", "--at", AT, "--json"])).unwrap();
    let first = &json["records"][0];
    for field in [
        "record", "subject", "category", "kind", "action", "due", "rule",
    ] {
        assert!(!first[field].is_null(), "{field} in {first}");
    }
    assert!(
        first["reason"]["sv"]
            .as_str()
            .unwrap()
            .contains(first["due"].as_str().unwrap())
    );
    assert!(
        first["reason"]["en"]
            .as_str()
            .unwrap()
            .contains(first["rule"].as_str().unwrap())
    );
    let due = json["records"].as_array().unwrap().len();
    let total: u64 = json["due"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["records"].as_u64().unwrap())
        .sum();
    assert_eq!(total, due as u64);
    // Looking further ahead lists more.
    let later: serde_json::Value = serde_json::from_str(&ok(
        &l,
        &db,
        &[
            "retention",
            "plan",
            "--at",
            AT,
            "--until",
            "2028-01-01",
            "--json",
        ],
    ))
    .unwrap();
    assert!(later["records"].as_array().unwrap().len() > due);

    // A dry run changes nothing.
    let head = l_head(&l, &db);
    let dry = ok(&l, &db, &["retention", "sweep", "--at", AT, "--dry-run"]);
    assert!(dry.contains("would handle"), "{dry}");
    assert_eq!(l_head(&l, &db), head);
    let done = ok(&l, &db, &["retention", "sweep", "--at", AT]);
    assert!(
        done.contains(&format!("{due} handled of {due} due")),
        "{done}"
    );
    assert!(done.contains("freed space purged from disk"), "{done}");
    assert!(l_head(&l, &db) > head);
    let again = ok(&l, &db, &["retention", "sweep", "--at", AT]);
    assert!(again.contains("0 handled of 0 due"), "{again}");

    // Mistakes are clear and change nothing.
    let back = tillit(
        &l,
        &db,
        &["retention", "plan", "--at", AT, "--until", "2020-01-01"],
    );
    assert_eq!(back.status.code(), Some(1));
    assert!(stderr(&back).contains("--until"), "{}", stderr(&back));
    let zero = tillit(&l, &db, &["retention", "sweep", "--batch", "0"]);
    assert_eq!(zero.status.code(), Some(2));
    let help = ok(&l, &db, &["retention", "sweep", "--help"]);
    assert!(
        help.contains("tombstone") && help.contains("--dry-run"),
        "{help}"
    );
}

fn l_head(l: &Ledger, db: &TestDb) -> i64 {
    let out: serde_json::Value =
        serde_json::from_str(&ok(l, db, &["audit", "head", "--json"])).unwrap();
    out["seq"].as_i64().unwrap()
}
