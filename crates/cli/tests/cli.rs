//! `tillit` run as a user runs it: real files, real exit codes, real output.
#![allow(clippy::panic, clippy::indexing_slicing, reason = "tests fail loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const WINSTON: &str = include_str!("../../../examples/winston/policy.toml");

fn winston_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/winston/policy.toml")
}

fn tillit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tillit"))
        .args(args)
        .env_remove("TILLIT_POLICY")
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run tillit: {e}"))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temporary policy file with `text`.
fn policy_file(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

#[test]
fn check_passes_winston_with_one_warning_on_its_contract_basis_for_security() {
    let p = winston_path();
    let out = tillit(&[
        "check",
        "--policy",
        &p.display().to_string(),
        "--at",
        "2026-11-25",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert_eq!(text.matches("⚠").count(), 1, "{text}");
    assert!(
        text.contains("contract-basis-for-security") && text.contains("Guidelines 2/2019"),
        "{text}"
    );
    assert!(text.contains("0 errors, 1 warning"), "{text}");
    // The history: between Schrems II and the Data Privacy Framework the
    // published safeguard was the invalid Privacy Shield.
    let then = tillit(&[
        "check",
        "--policy",
        &p.display().to_string(),
        "--at",
        "2021-11-25",
    ]);
    let text = stdout(&then);
    assert!(
        text.contains("Privacy Shield") && text.contains("Schrems II"),
        "{text}"
    );
    assert!(text.contains("0 errors, 2 warnings"), "{text}");
}

#[test]
fn deny_warnings_fails_on_a_warning() {
    let p = winston_path().display().to_string();
    let out = tillit(&[
        "check",
        "--policy",
        &p,
        "--deny-warnings",
        "--at",
        "2026-11-25",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("denied by --deny-warnings"));
    // With security on legitimate interest there is nothing to deny.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fixed = policy_file(
        &dir,
        &WINSTON.replacen(
            "basis = { customer = \"contract\", traffic = \"legal-obligation\" }",
            "basis = { customer = \"legitimate-interest\", traffic = \"legal-obligation\" }",
            1,
        ),
    );
    let clean = tillit(&[
        "check",
        "--policy",
        &fixed,
        "--deny-warnings",
        "--at",
        "2026-11-25",
    ]);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
}

#[test]
fn check_json_gives_the_same_finding_machine_readably() {
    let p = winston_path().display().to_string();
    let out = tillit(&[
        "check",
        "--policy",
        &p,
        "--json",
        "--at",
        "2021-11-25T12:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    assert_eq!(json["ok"], true);
    assert_eq!(json["errors"], 0);
    assert_eq!(json["warnings"], 2);
    assert_eq!(json["at"], "2021-11-25");
    let d = json["diagnostics"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["code"] == "invalid-transfer-mechanism"))
        .cloned()
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(d["severity"], "warning");
    let line = d["line"].as_u64().unwrap_or(0) as usize;
    assert!(
        WINSTON
            .lines()
            .nth(line - 1)
            .is_some_and(|l| l.contains("privacy-shield")),
        "line {line}"
    );
    assert!(
        d["source_line"]
            .as_str()
            .is_some_and(|l| l.contains("privacy-shield"))
    );
}

/// The Winston policy as its published text had it: the Privacy Shield as
/// the current safeguard for Google Analytics.
fn shield_policy(dir: &tempfile::TempDir) -> String {
    let text = WINSTON
        .replacen(", until = \"2023-07-09\"", "", 1)
        .replacen(
            "  { country = \"US\", mechanism = \"dpf\", since = \"2023-07-10\" },\n",
            "",
            1,
        );
    assert!(!text.contains("\"dpf\""));
    policy_file(dir, &text)
}

#[test]
fn notice_and_serve_refuse_to_state_an_invalid_safeguard_unless_overridden() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = shield_policy(&dir);
    let out = tillit(&[
        "notice",
        "--policy",
        &p,
        "--lang",
        "en",
        "--at",
        "2026-11-25",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).is_empty(), "nothing is published");
    let err = stderr(&out);
    assert!(
        err.contains("invalid-transfer-mechanism")
            && err.contains("Schrems II")
            && err.contains("policy.toml:")
            && err.contains("--allow-invalid-safeguards"),
        "{err}"
    );
    // Every format and language refuses alike.
    for format in ["md", "html", "json"] {
        let out = tillit(&[
            "notice",
            "--policy",
            &p,
            "--format",
            format,
            "--at",
            "2026-11-25",
        ]);
        assert_eq!(out.status.code(), Some(1), "{format}");
    }
    // On a day it was valid, it is published.
    let then = tillit(&[
        "notice",
        "--policy",
        &p,
        "--lang",
        "en",
        "--at",
        "2020-07-15",
    ]);
    assert_eq!(then.status.code(), Some(0), "{}", stderr(&then));
    assert!(stdout(&then).contains("relying on the EU-US Privacy Shield"));
    // The operator's explicit override publishes it, and says so.
    let forced = tillit(&[
        "notice",
        "--policy",
        &p,
        "--lang",
        "en",
        "--at",
        "2026-11-25",
        "--allow-invalid-safeguards",
    ]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(stdout(&forced).contains("Privacy Shield"));
    assert!(stderr(&forced).contains("as --allow-invalid-safeguards asks"));
    // `serve` refuses to start on it, before it opens anything.
    let db = dir.path().join("l.db");
    let served = tillit(&[
        "--db",
        &format!("sqlite://{}", db.display()),
        "serve",
        "--policy",
        &p,
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_eq!(served.status.code(), Some(1), "{}", stdout(&served));
    assert!(stderr(&served).contains("refusing to publish"));
    assert!(!db.exists());
    // The Winston example states the safeguard valid today.
    let winston = tillit(&[
        "notice",
        "--policy",
        &winston_path().display().to_string(),
        "--lang",
        "en",
        "--at",
        "2026-11-25",
    ]);
    assert_eq!(winston.status.code(), Some(0));
    let text = stdout(&winston);
    assert!(
        text.contains("relying on the EU-US Data Privacy Framework") && !text.contains("Shield"),
        "{text}"
    );
}

#[test]
fn an_unknown_category_exits_1_and_names_file_line_col() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let broken = WINSTON.replacen(
        "basis = { customer = \"contract\" }",
        "basis = { kund = \"contract\" }",
        1,
    );
    let path = policy_file(&dir, &broken);
    let line = broken
        .lines()
        .position(|l| l.contains("kund = \"contract\""))
        .unwrap_or(0)
        + 1;
    let column = broken
        .lines()
        .nth(line - 1)
        .and_then(|l| l.find("kund ="))
        .unwrap_or(0)
        + 1;
    let out = tillit(&["check", "--policy", &path]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!("{path}:{line}:{column}")),
        "expected {path}:{line}:{column} in\n{text}"
    );
    assert!(text.contains("unknown category `kund`"), "{text}");
    assert!(text.contains("known: customer, traffic"), "{text}");

    let json = tillit(&["check", "--policy", &path, "--json"]);
    assert_eq!(json.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    assert_eq!(v["diagnostics"][0]["line"], line);
    assert_eq!(v["diagnostics"][0]["column"], column);
}

#[test]
fn a_broken_policy_renders_no_notice() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = policy_file(
        &dir,
        &WINSTON.replacen("[purposes.security]", "[purposes.security", 1),
    );
    let out = tillit(&["notice", "--policy", &path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout when the policy is broken"
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{path}:")) && err.contains("unclosed table"),
        "{err}"
    );
}

#[test]
fn notice_renders_every_language_and_format() {
    let p = winston_path().display().to_string();
    let html = tillit(&["notice", "--policy", &p, "--lang", "sv", "--format", "html"]);
    assert_eq!(html.status.code(), Some(0));
    assert!(stdout(&html).contains("<html lang=\"sv\">"));
    assert!(stdout(&html).contains("Integritetspolicy – Winston AB"));
    let md = tillit(&["notice", "--policy", &p, "--lang", "en", "--format", "md"]);
    assert!(stdout(&md).starts_with("# Privacy policy – Winston AB\n"));
    let json = tillit(&["notice", "--policy", &p, "--lang", "en", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    assert_eq!(v["language"], "en");
    assert_eq!(
        v["purposes"][0]["processing"][0]["dpv:hasLegalBasis"],
        "dpv:Contract"
    );

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out_file = dir.path().join("privacy.html");
    let written = tillit(&[
        "notice",
        "--policy",
        &p,
        "--format",
        "html",
        "--out",
        &out_file.display().to_string(),
    ]);
    assert_eq!(written.status.code(), Some(0));
    assert!(written.stdout.is_empty());
    let page = std::fs::read_to_string(&out_file).unwrap_or_default();
    assert_eq!(page, stdout(&html), "--out writes what stdout would show");
}

#[test]
fn ropa_prints_the_record_of_processing() {
    let p = winston_path().display().to_string();
    let csv = tillit(&["ropa", "--policy", &p, "--format", "csv"]);
    assert_eq!(csv.status.code(), Some(0));
    let text = stdout(&csv);
    assert!(text.starts_with("Purpose,Category,Legal basis,"), "{text}");
    assert_eq!(
        text.lines().count(),
        1 + 10,
        "a row per purpose and category"
    );
    let json = tillit(&["ropa", "--policy", &p, "--format", "json", "--lang", "sv"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_default();
    assert_eq!(v["controller"], "Winston AB");
    assert_eq!(v["activities"].as_array().map(Vec::len), Some(10));
    let md = tillit(&["ropa", "--policy", &p]);
    assert!(stdout(&md).contains("Record of processing activities (GDPR Article 30)"));
}

#[test]
fn init_writes_the_starter_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let target = dir.path().join("winston");
    let t = target.display().to_string();
    let out = tillit(&["init", &t]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("tillit check"),
        "says what to do next"
    );
    let written = std::fs::read_to_string(target.join("policy.toml")).unwrap_or_default();
    assert_eq!(written, WINSTON);
    let again = tillit(&["init", &t]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("--force"));
    assert_eq!(tillit(&["init", &t, "--force"]).status.code(), Some(0));
    let check = tillit(&[
        "check",
        "--policy",
        &target.join("policy.toml").display().to_string(),
    ]);
    assert_eq!(check.status.code(), Some(0));
}

#[test]
fn the_policy_can_come_from_the_environment() {
    let out = Command::new(env!("CARGO_BIN_EXE_tillit"))
        .args(["check", "--json"])
        .env("TILLIT_POLICY", winston_path())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bad_command_lines_and_missing_files_are_clear_errors() {
    let missing = tillit(&["check", "--policy", "/nonexistent/policy.toml"]);
    assert_eq!(missing.status.code(), Some(1));
    let err = stderr(&missing);
    assert!(
        err.contains("cannot read the policy file `/nonexistent/policy.toml`")
            && err.contains("tillit init"),
        "{err}"
    );
    assert!(!err.contains("panicked"));

    let bad_date = tillit(&["check", "--at", "next tuesday"]);
    assert_eq!(bad_date.status.code(), Some(2));
    assert!(
        stderr(&bad_date).contains("is not a date or time"),
        "{}",
        stderr(&bad_date)
    );

    let bad_lang = tillit(&["notice", "--lang", "de"]);
    assert_eq!(bad_lang.status.code(), Some(2));
    assert!(
        stderr(&bad_lang).contains("possible values: sv, en"),
        "{}",
        stderr(&bad_lang)
    );

    let help = tillit(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Exit codes"));
    let check_help = tillit(&["check", "--help"]);
    assert!(stdout(&check_help).contains("--deny-warnings"));
}

fn tillit_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tillit"))
        .args(args)
        .current_dir(dir)
        .env_remove("TILLIT_POLICY")
        .env_remove("COLUMNS")
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run tillit: {e}"))
}

#[test]
fn what_a_dpo_reads_from_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = tillit_in(
        &root,
        &[
            "check",
            "--policy",
            "examples/winston/policy.toml",
            "--at",
            "2026-11-25",
        ],
    );
    insta::assert_snapshot!("check_winston", stdout(&out));

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let broken = WINSTON
        .replacen(
            "basis = { customer = \"contract\" }",
            "basis = { custmer = \"contract\" }",
            1,
        )
        .replacen(
            "erase = \"26 months after collection\"",
            "erase = \"26 months after colection\"",
            1,
        );
    policy_file(&dir, &broken);
    let out = tillit_in(dir.path(), &["check", "--at", "2026-11-25"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("check_two_errors", stdout(&out));
}

#[test]
fn init_reports_as_json() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = tillit_in(dir.path(), &["init", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    assert_eq!(v["written"], "./policy.toml");
    assert!(v["next"].as_array().is_some_and(|n| n.len() == 5));
    assert!(dir.path().join("policy.toml").exists());
}

#[test]
fn a_reader_that_stops_early_gets_the_verdict_not_a_panic() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // An error whose report (the offending line, shown) is far larger than a
    // pipe's buffer, so tillit is still writing when the reader goes away.
    let path = policy_file(
        &dir,
        &format!("format = {}{}\n", "[".repeat(200_000), "]".repeat(200_000)),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_tillit"))
        .args(["check", "--policy", &path])
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut first = [0u8; 16];
    if let Some(mut out) = child.stdout.take() {
        out.read_exact(&mut first).unwrap_or_else(|e| panic!("{e}"));
    }
    let status = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        status.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(!String::from_utf8_lossy(&status.stderr).contains("panicked"));
}
