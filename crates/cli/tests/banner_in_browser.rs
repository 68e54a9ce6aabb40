//! The consent banner and the visit collector in a real headless
//! Chromium, driven over the DevTools protocol, against `tillit serve
//! --site examples/winston/site` on a SQLite ledger: the banner appears in
//! the page's language; reject keeps nothing; accept keeps a page view
//! with a masked address; Global Privacy Control keeps nothing and shows
//! no banner; "Cookie settings" withdraws as easily; the keyboard alone
//! is enough. Screenshots of the banner in both languages land in
//! `target/screenshots/`.
//!
//! Needs `chromium` on PATH (or `CHROMIUM=/path`); `.ci/run` installs it.
//! Outside CI a missing browser skips the test with a message; in CI
//! (`CI=true`) it fails.

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

use std::sync::Arc;
use std::time::Duration;

use headless_chrome::protocol::cdp::Page;
use headless_chrome::{Browser, LaunchOptions, Tab};
use http::Server;
use store_support::TestDb;
use support::{Ledger, chromium};

fn views(db: &TestDb) -> i64 {
    db.scalar("SELECT COUNT(*) FROM page_views")
}

/// Waits until `what` holds, for up to five seconds.
fn eventually(what: &str, mut holds: impl FnMut() -> bool) {
    for _ in 0..250 {
        if holds() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("never: {what}");
}

/// Evaluates `js` (awaiting a promise) to a JSON value.
fn eval(tab: &Tab, js: &str) -> serde_json::Value {
    tab.evaluate(js, true)
        .unwrap_or_else(|e| panic!("{js}: {e}"))
        .value
        .unwrap_or(serde_json::Value::Null)
}

/// A page loaded and the banner's script done asking for the state.
fn open(tab: &Tab, url: &str) {
    tab.navigate_to(url)
        .unwrap()
        .wait_until_navigated()
        .unwrap();
    eventually("consent.js has loaded the visitor's state", || {
        eval(
            tab,
            "window.tillit ? window.tillit.ready.then(() => true) : false",
        ) == true
    });
}

fn banner_shown(tab: &Tab) -> bool {
    eval(tab, "!!document.getElementById('tillit-banner')") == true
}

fn screenshot(tab: &Tab, name: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&root).unwrap();
    let png = tab
        .capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)
        .unwrap();
    assert!(png.len() > 1_000, "an empty screenshot");
    std::fs::write(root.join(name), png).unwrap();
}

/// A tab in a fresh browser context: no cookies from the others.
fn fresh(browser: &Browser) -> Arc<Tab> {
    let tab = browser.new_context().unwrap().new_tab().unwrap();
    tab.set_default_timeout(Duration::from_secs(10));
    tab
}

#[test]
fn the_banner_in_a_real_browser() {
    let Some(path) = chromium() else {
        assert!(
            std::env::var("CI").is_err(),
            "CI needs chromium for the browser tests; .ci/run installs it"
        );
        eprintln!("skipped: no chromium on PATH (apt-get install chromium, or set CHROMIUM)");
        return;
    };
    let l = Ledger::new();
    let db = TestDb::sqlite();
    let site = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/winston/site");
    let server = Server::start_with(&l, &db, &["--site", site.to_str().unwrap()]);
    let base = format!("http://{}", server.addr);
    let browser = Browser::new(
        LaunchOptions::default_builder()
            .path(Some(path))
            .headless(true)
            .sandbox(false)
            .window_size(Some((1200, 800)))
            .idle_browser_timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
    )
    .unwrap();

    // The banner appears, in the page's language, accept and reject side
    // by side and alike.
    let tab = fresh(&browser);
    open(&tab, &format!("{base}/site/index.html"));
    assert!(banner_shown(&tab), "a first visit shows the banner");
    let text = eval(&tab, "document.getElementById('tillit-banner').innerText");
    let text = text.as_str().unwrap();
    assert!(
        text.contains("Godkänn alla") && text.contains("Neka alla"),
        "{text}"
    );
    let looks = eval(
        &tab,
        "(() => { const s = b => { const c = getComputedStyle(document.querySelector(b)); const r = document.querySelector(b).getBoundingClientRect(); return [c.backgroundColor, c.color, c.fontSize, c.fontWeight, Math.round(r.height)].join(); }; return s('.tillit-accept') === s('.tillit-reject'); })()",
    );
    assert_eq!(looks, true, "accept and reject are equally prominent");
    screenshot(&tab, "banner.sv.png");
    let en = fresh(&browser);
    open(&en, &format!("{base}/site/en.html"));
    let text = eval(&en, "document.getElementById('tillit-banner').innerText");
    assert!(text.as_str().unwrap().contains("Accept all"), "{text}");
    screenshot(&en, "banner.en.png");

    // Reject: nothing is kept, on this page or the next.
    tab.wait_for_element(".tillit-reject")
        .unwrap()
        .click()
        .unwrap();
    eventually("the banner closes", || !banner_shown(&tab));
    open(&tab, &format!("{base}/site/kontakt.html"));
    assert!(!banner_shown(&tab), "a choice made is not asked again");
    // A consenting visitor's view shows when the collector has caught up.
    let marker = fresh(&browser);
    open(&marker, &format!("{base}/site/en.html"));
    marker
        .wait_for_element(".tillit-accept")
        .unwrap()
        .click()
        .unwrap();
    eventually("the consenting visitor's view is kept", || views(&db) == 1);
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM page_views WHERE path = '/site/en.html' AND address = '127.0.0.0'"
        ),
        1,
        "kept with the address masked"
    );
    let cookies = marker.get_cookies().unwrap();
    let consent = cookies.iter().find(|c| c.name == "tillit_consent").unwrap();
    assert!(
        consent.http_only && consent.value.starts_with("v-"),
        "an opaque id, nothing else"
    );

    // Cookie settings: withdrawal is as easy as giving.
    marker
        .wait_for_element("[data-tillit-settings]")
        .unwrap()
        .click()
        .unwrap();
    eventually("the settings open", || banner_shown(&marker));
    let checked = eval(
        &marker,
        "document.querySelector('input[data-purpose=service-development]').checked",
    );
    assert_eq!(checked, true, "the settings show the choice made");
    marker
        .wait_for_element(".tillit-reject")
        .unwrap()
        .click()
        .unwrap();
    eventually("the settings close", || !banner_shown(&marker));
    open(&marker, &format!("{base}/site/index.html"));
    open(&marker, &format!("{base}/site/kontakt.html"));

    // Global Privacy Control: no banner, no view, until the visitor
    // chooses otherwise.
    let gpc = fresh(&browser);
    gpc.call_method(Page::AddScriptToEvaluateOnNewDocument {
        source: "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true });".into(),
        world_name: None,
        include_command_line_api: None,
        run_immediately: None,
    })
    .unwrap();
    gpc.set_extra_http_headers([("Sec-GPC", "1")].into_iter().collect())
        .unwrap();
    open(&gpc, &format!("{base}/site/index.html"));
    assert!(!banner_shown(&gpc), "GPC answers the banner");

    // The keyboard alone: the banner takes focus; Tab reaches "accept
    // all"; Enter chooses it.
    let keys = fresh(&browser);
    open(&keys, &format!("{base}/site/kontakt.html"));
    assert_eq!(eval(&keys, "document.activeElement.id"), "tillit-banner");
    let mut tabs = 0;
    while eval(&keys, "document.activeElement.className") != "tillit-accept" {
        keys.press_key("Tab").unwrap();
        tabs += 1;
        assert!(tabs < 12, "accept all is not reachable by Tab");
    }
    keys.press_key("Enter").unwrap();
    eventually("the keyboard visitor's view is kept", || {
        views(&db) == 2
            && db.scalar("SELECT COUNT(*) FROM page_views WHERE path = '/site/kontakt.html'") == 1
    });
    // Everything before the keyboard visitor's view was answered: the
    // rejecting, withdrawn and GPC visitors' pages kept nothing.
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM page_views WHERE path = '/site/index.html'"),
        0
    );
    assert_eq!(views(&db), 2);
    assert!(l.ok_on(&db.url(), &["audit", "verify"]).contains("intact"));
}
