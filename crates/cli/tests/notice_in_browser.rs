//! The rendered notice in a real browser: Debian's headless Chromium parses
//! and renders the page as a visitor's browser would. Needs `chromium` on
//! PATH (or `CHROMIUM=/path`); `.ci/run` installs it. Outside CI a missing
//! browser skips the test with a message; in CI (`CI=true`) it fails.
#![allow(clippy::panic, clippy::indexing_slicing, reason = "tests fail loudly")]

mod support;

use std::path::Path;
use std::process::Command;

use support::chromium;

fn headless(browser: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", browser.display()))
}

#[test]
fn the_notice_renders_in_a_real_browser() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var("CI").is_err(),
            "CI needs chromium for the browser tests; .ci/run installs it"
        );
        eprintln!("skipped: no chromium on PATH (apt-get install chromium, or set CHROMIUM)");
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let artifacts = root.join("target/screenshots");
    std::fs::create_dir_all(&artifacts).unwrap_or_else(|e| panic!("{e}"));
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));

    for (lang, title, first_section) in [
        (
            "sv",
            "Integritetspolicy – Winston AB",
            "Personuppgiftsansvarig",
        ),
        ("en", "Privacy policy – Winston AB", "Controller"),
    ] {
        let page = work.path().join(format!("notice.{lang}.html"));
        let rendered = Command::new(env!("CARGO_BIN_EXE_tillit"))
            .args([
                "notice",
                "--policy",
                "examples/winston/policy.toml",
                "--lang",
                lang,
                "--format",
                "html",
                "--out",
            ])
            .arg(&page)
            .current_dir(&root)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            rendered.status.success(),
            "{}",
            String::from_utf8_lossy(&rendered.stderr)
        );
        let url = format!("file://{}", page.display());

        // The DOM as the browser built it: same language, same sections in
        // the same order as the page's table of contents.
        let dom = headless(
            &browser,
            &work.path().join(format!("profile-dom-{lang}")),
            &["--dump-dom", &url],
        );
        let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
        assert!(
            dom.contains(&format!("<html lang=\"{lang}\">")),
            "{lang}: {}",
            &dom[..dom.len().min(300)]
        );
        assert!(
            dom.contains(&format!("<h1>{title}</h1>")),
            "{lang}: no h1 {title}"
        );
        let sections: Vec<&str> = dom
            .match_indices("<h2 id=\"")
            .map(|(i, _)| &dom[i + 8..])
            .map(|s| &s[..s.find('"').unwrap_or(0)])
            .collect();
        let toc: Vec<&str> = dom
            .match_indices("<li><a href=\"#")
            .map(|(i, _)| &dom[i + 14..])
            .map(|s| &s[..s.find('"').unwrap_or(0)])
            .collect();
        assert_eq!(
            sections, toc,
            "{lang}: every section is in the contents, in order"
        );
        assert!(sections.len() >= 8, "{lang}: {sections:?}");
        assert!(dom.contains(&format!(">{first_section}</h2>")));

        // What a visitor sees: a screenshot, kept as an artifact.
        let shot = artifacts.join(format!("notice.{lang}.png"));
        let _ = std::fs::remove_file(&shot);
        let out = headless(
            &browser,
            &work.path().join(format!("profile-shot-{lang}")),
            &[
                "--window-size=1000,1600",
                &format!("--screenshot={}", shot.display()),
                &url,
            ],
        );
        let png = std::fs::read(&shot).unwrap_or_else(|e| {
            panic!(
                "{lang}: no screenshot ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{lang}: not a PNG");
        // The page is drawn, not blank: a blank 1000x1600 page compresses to a few kB.
        assert!(
            png.len() > 40_000,
            "{lang}: screenshot of {} bytes looks blank",
            png.len()
        );
        let (width, height) = (
            u32::from_be_bytes(png[16..20].try_into().unwrap_or_default()),
            u32::from_be_bytes(png[20..24].try_into().unwrap_or_default()),
        );
        assert_eq!((width, height), (1000, 1600));
    }
}
