//! The website side over real HTTP on loopback, on SQLite and
//! PostgreSQL: the banner's consent, the visit collector keeping a view
//! only with consent and never with an unmasked address, Global Privacy
//! Control, withdrawal, and statistics that leave out small cells.

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

/// The visitor's cookie, from a `POST /consent` answer.
fn choose(server: &Server, cookie: Option<&str>, gpc: bool, choices: &str) -> String {
    let mut headers = vec![("Content-Type", "application/json")];
    let c;
    if let Some(cookie) = cookie {
        c = format!("tillit_consent={cookie}");
        headers.push(("Cookie", &c));
    }
    if gpc {
        headers.push(("Sec-GPC", "1"));
    }
    let a = server.request(
        "POST",
        "/consent",
        &headers,
        &format!(r#"{{"choices":{choices}}}"#),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let set = a.header("set-cookie").unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';')
        .next()
        .and_then(|kv| kv.strip_prefix("tillit_consent="))
        .unwrap()
        .to_owned()
}

fn view(server: &Server, cookie: Option<&str>, from: &str, gpc: bool, path: &str) {
    let c = cookie.map(|c| format!("tillit_consent={c}"));
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("X-Forwarded-For", from),
    ];
    if let Some(c) = &c {
        headers.push(("Cookie", c));
    }
    if gpc {
        headers.push(("Sec-GPC", "1"));
    }
    let body = format!(
        r#"{{"path":"{path}?email=anna@example.se","referrer":"https://www.google.se/search?q=winston","screen":"large","lang":"sv-SE"}}"#
    );
    let a = server.request("POST", "/collect", &headers, &body);
    assert_eq!(a.status, 204, "{}", a.body);
}

/// Waits for the collector's writer to have kept `n` views.
fn kept(db: &TestDb, n: i64) {
    for _ in 0..100 {
        if db.scalar("SELECT COUNT(*) FROM page_views") == n {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(db.scalar("SELECT COUNT(*) FROM page_views"), n);
}

const ALL: &str = r#"{"service-development":true,"marketing":true}"#;
const NONE: &str = r#"{"service-development":false,"marketing":false}"#;

fn a_page_view_is_kept_only_with_consent_and_masked(db: &TestDb) {
    let l = Ledger::new();
    let server = Server::start_with(&l, db, &["--trusted-proxy", "127.0.0.1"]);
    let yes = choose(&server, None, false, ALL);
    let no = choose(&server, None, false, NONE);
    assert_ne!(yes, no, "each visitor gets a consent id of their own");
    view(&server, Some(&yes), "203.0.113.77", false, "/");
    view(&server, Some(&no), "203.0.113.78", false, "/");
    view(&server, None, "203.0.113.79", false, "/");
    view(
        &server,
        Some("v-00000000000000000000000000000000"),
        "203.0.113.80",
        false,
        "/",
    );
    kept(db, 1);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM page_views WHERE address = '203.0.113.0' AND path = '/' AND referrer_host = 'www.google.se' AND lang = 'sv'"),
        1
    );
    // The choice is in the ledger as consent events, channel web.
    let state = server
        .get("/consent", &[("Cookie", &format!("tillit_consent={yes}"))])
        .json();
    assert_eq!(state["decided"], true);
    assert_eq!(state["choices"]["service-development"], true);

    // Global Privacy Control: no, though the visitor once said yes...
    view(&server, Some(&yes), "203.0.113.77", true, "/gpc");
    // ...until they choose yes again with the signal on.
    let again = choose(&server, Some(&yes), true, ALL);
    assert_eq!(again, yes, "the same visitor keeps their consent id");
    view(&server, Some(&yes), "203.0.113.77", true, "/gpc-chosen");
    kept(db, 2);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM page_views WHERE path = '/gpc'"),
        0
    );
    // Withdrawal is as easy: one choice, and nothing more is kept.
    choose(
        &server,
        Some(&yes),
        false,
        r#"{"service-development":false}"#,
    );
    view(&server, Some(&yes), "203.0.113.77", false, "/after");
    // A marker view from a consenting visitor shows the writer caught up.
    let other = choose(&server, None, false, ALL);
    view(&server, Some(&other), "198.51.100.9", false, "/marker");
    kept(db, 3);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM page_views WHERE path = '/after'"),
        0
    );
    let channels = db.scalar(
        "SELECT COUNT(*) FROM consents WHERE channel = 'web-gpc' AND purpose = 'service-development'",
    );
    assert_eq!(channels, 1);
    assert!(l.ok_on(&db.url(), &["audit", "verify"]).contains("intact"));
    // The operator sees what became of the views: three kept; five
    // dropped (refused, no cookie, an unknown visitor, GPC, withdrawn).
    let metrics = server.get("/metrics", &[]).body;
    for line in [
        r#"tillit_page_views_total{outcome="kept"} 3"#,
        r#"tillit_page_views_total{outcome="dropped"} 5"#,
        r#"tillit_page_views_total{outcome="turned-away"} 0"#,
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
}

fn statistics_leave_out_cells_with_few_visitors(db: &TestDb) {
    let l = Ledger::new();
    let analyst = serde_json::from_str::<serde_json::Value>(&l.ok_on(
        &db.url(),
        &["token", "create", "--role", "analyst", "--json"],
    ))
    .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let support = serde_json::from_str::<serde_json::Value>(&l.ok_on(
        &db.url(),
        &["token", "create", "--role", "support", "--json"],
    ))
    .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = Server::start(&l, db);
    // Five visitors see the start page, two the contact page.
    for i in 0..5 {
        let v = choose(&server, None, false, ALL);
        view(&server, Some(&v), "127.0.0.1", false, "/");
        if i < 2 {
            view(&server, Some(&v), "127.0.0.1", false, "/kontakt");
        }
        view(&server, Some(&v), "127.0.0.1", false, "/");
    }
    kept(db, 12);
    let auth = format!("Bearer {analyst}");
    let stats = server.get("/stats", &[("Authorization", &auth)]).json();
    assert_eq!(stats["suppress_below"], 5);
    let pages = stats["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 1, "{stats}");
    assert_eq!(pages[0]["path"], "/");
    assert_eq!(pages[0]["views"], 10);
    assert_eq!(pages[0]["visitors"], 5);
    assert_eq!(
        stats["suppressed"], 1,
        "the contact page's 2 visitors are left out"
    );
    let auth = format!("Bearer {support}");
    server
        .get("/stats", &[("Authorization", &auth)])
        .problem(403);
}

on_both_backends!(
    store_support;
    a_page_view_is_kept_only_with_consent_and_masked,
    statistics_leave_out_cells_with_few_visitors,
);

/// Page views from many addresses, then every byte the server wrote (the
/// ledger, its write-ahead log, the server's log) is searched for any of
/// them in full.
#[test]
fn no_full_address_reaches_the_disk_or_the_log() {
    let l = Ledger::new();
    let db = TestDb::sqlite();
    let server = Server::start_with(&l, &db, &["--trusted-proxy", "127.0.0.0/8"]);
    let visitor = choose(&server, None, false, ALL);
    let mut sent = Vec::new();
    for i in 1..=250u32 {
        sent.push(format!("10.{}.{}.{}", i % 7, i % 251, i));
        sent.push(format!(
            "2001:db8:{:x}:{:x}:1234:5678:9abc:{:x}",
            i,
            i * 3,
            i * 7 + 1
        ));
        sent.push(format!("::ffff:192.0.2.{i}"));
    }
    // A malformed forwarded address is ignored: the peer (loopback)
    // counts, masked.
    for from in sent
        .iter()
        .map(String::as_str)
        .chain(["300.1.1.1", "not-an-ip"])
    {
        view(&server, Some(&visitor), from, false, "/");
    }
    kept(&db, i64::try_from(sent.len() + 2).unwrap());
    assert!(server.stop().success());
    let TestDb::Sqlite { path, .. } = &db else {
        unreachable!()
    };
    let mut haystack = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(path.with_extension("db-wal")) {
        haystack.extend(wal);
    }
    haystack.extend(std::fs::read(l.dir.path().join("serve.log")).unwrap());
    let text = String::from_utf8_lossy(&haystack);
    // Masked, the addresses are there: the search can find what it looks for.
    assert!(text.contains("10.1.1.0"), "masked IPv4 kept");
    assert!(text.contains("2001:db8:1::"), "masked IPv6 kept");
    assert!(
        text.contains("192.0.2.0"),
        "mapped IPv4 kept as IPv4, masked"
    );
    for full in &sent {
        let bare = full.trim_start_matches("::ffff:");
        assert!(!text.contains(bare), "{full} is on disk or in the log");
    }
    assert!(
        !text.contains("anna@example.se"),
        "the query string is cut off"
    );
}
