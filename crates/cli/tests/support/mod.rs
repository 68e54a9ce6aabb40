//! A ledger in a temporary directory, driven through the `tillit` binary
//! as a user drives it.
#![allow(dead_code, reason = "each test file uses a different part")]
#![allow(clippy::unwrap_used, reason = "test support fails loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A ledger in a temporary directory, with the Winston policy.
pub struct Ledger {
    pub dir: tempfile::TempDir,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("ledger.db")
    }

    pub fn url(&self) -> String {
        format!("sqlite://{}", self.db_path().display())
    }

    /// `tillit` with the Winston policy and the ledger at `url`.
    fn command(&self, url: &str) -> Command {
        let policy =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/winston/policy.toml");
        let mut c = Command::new(env!("CARGO_BIN_EXE_tillit"));
        c.env("TILLIT_POLICY", policy)
            .env("TILLIT_DATABASE_URL", url)
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path());
        c
    }

    pub fn run_on(&self, url: &str, args: &[&str]) -> Output {
        self.command(url).args(args).output().unwrap()
    }

    /// Runs on the ledger at `url`; its stdout, after asserting exit 0.
    pub fn ok_on(&self, url: &str, args: &[&str]) -> String {
        let out = self.run_on(url, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "tillit {args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    /// A new API token for `role` on the ledger at `url`: (id, secret).
    pub fn token_on(&self, url: &str, role: &str) -> (i64, String) {
        let v: serde_json::Value =
            serde_json::from_str(&self.ok_on(url, &["token", "create", "--role", role, "--json"]))
                .unwrap();
        (
            v["id"].as_i64().unwrap(),
            v["token"].as_str().unwrap().to_owned(),
        )
    }

    /// Subject `id` on the ledger at `url`: a customer with a contract
    /// (K-1, from 2026-01-01) who consented to marketing on 2026-01-02.
    pub fn customer_on(&self, url: &str, id: &str) {
        self.ok_on(url, &["subject", "add", "--id", id, "--at", "2026-01-01"]);
        self.ok_on(
            url,
            &[
                "event",
                "add",
                "--subject",
                id,
                "--kind",
                "contract-start",
                "--ref",
                "K-1",
                "--at",
                "2026-01-01",
            ],
        );
        self.ok_on(
            url,
            &[
                "consent",
                "give",
                "--subject",
                id,
                "--purpose",
                "marketing",
                "--channel",
                "web",
                "--at",
                "2026-01-02",
            ],
        );
    }

    /// Runs with `input` on standard input.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .command(&self.url())
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_owned();
        let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
        let out = child.wait_with_output().unwrap();
        feeder.join().unwrap().unwrap();
        out
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_on(&self.url(), args)
    }

    /// Runs and expects success; the standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "tillit {args:?} failed: {}{}",
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.ok(&args)).unwrap()
    }

    /// The chain's length, which every write that concerns a person moves.
    pub fn audit_entries(&self) -> i64 {
        self.json(&["audit", "head"])["seq"].as_i64().unwrap()
    }

    pub fn sql(&self, sql: &str) {
        rusqlite::Connection::open(self.db_path())
            .unwrap()
            .execute_batch(sql)
            .unwrap();
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The headless browser for the browser tests: `CHROMIUM`, else the
/// first of chromium, chromium-browser, google-chrome on PATH.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .find(|p| p.is_file())
            })
        })
}
