//! `tillit serve` as a test starts it, and raw HTTP/1.1 on loopback.

#![allow(dead_code, reason = "each test file uses a different part")]
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test support fails loudly"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use crate::store_support::TestDb;
use crate::support::Ledger;

/// A running `tillit serve` on a free port.
pub struct Server {
    child: Option<Child>,
    pub addr: String,
}

impl Server {
    pub fn start(l: &Ledger, db: &TestDb) -> Server {
        Server::start_with(l, db, &[])
    }

    /// With more arguments to `tillit serve`.
    pub fn start_with(l: &Ledger, db: &TestDb, more: &[&str]) -> Server {
        let policy = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/winston/policy.toml");
        let mut child = Command::new(env!("CARGO_BIN_EXE_tillit"))
            .args(["--db", &db.url(), "serve", "--listen", "127.0.0.1:0"])
            .args(more)
            .env("TILLIT_POLICY", policy)
            .current_dir(l.dir.path())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(l.dir.path().join("serve.log")).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("not listening: {line}"))
            .to_owned();
        Server {
            child: Some(child),
            addr,
        }
    }

    /// A server another `Server` started, to call from another thread.
    pub fn at(addr: &str) -> Server {
        Server {
            child: None,
            addr: addr.to_owned(),
        }
    }

    /// One request, as raw bytes are sent; the status, headers
    /// (lower-cased names) and body.
    pub fn raw(&self, request: &[u8]) -> Answer {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream.write_all(request).unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {head}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Answer {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        self.raw(req.as_bytes())
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.request("GET", path, headers, "")
    }

    pub fn post_json(&self, path: &str, token: Option<&str>, body: &str) -> Answer {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        self.request("POST", path, &headers, body)
    }

    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// A problem document with this status.
    pub fn problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(p["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(p["detail"].as_str().is_some_and(|t| !t.is_empty()));
        p
    }
}
