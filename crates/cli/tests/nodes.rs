//! One ledger, many processes: two `tillit serve` nodes and the CLI on one
//! SQLite file or PostgreSQL database, over real HTTP. A write made through
//! any one of them is honoured by the very next decision on every other
//! (a decision asked after the write was acknowledged).

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

on_both_backends!(
    store_support;
    a_write_through_any_process_reaches_the_next_decision_on_every_node,
    interleaved_writes_and_decisions_over_three_processes_match_a_model,
);

fn ok(l: &Ledger, db: &TestDb, args: &[&str]) -> String {
    l.ok_on(&db.url(), args)
}

fn token(l: &Ledger, db: &TestDb, role: &str) -> String {
    l.token_on(&db.url(), role).1
}

/// A customer with a contract, who consented to marketing of traffic data.
fn customer(l: &Ledger, db: &TestDb, id: &str) {
    l.customer_on(&db.url(), id);
}

/// The rule a node decides by, now, for `subject`.
fn rule(node: &Server, token: &str, subject: &str, purpose: &str, category: &str) -> String {
    let a = node.post_json(
        "/v1/decisions",
        Some(token),
        &format!(r#"{{"subject":"{subject}","purpose":"{purpose}","category":"{category}"}}"#),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()["rule"].as_str().unwrap().to_owned()
}

fn a_write_through_any_process_reaches_the_next_decision_on_every_node(db: &TestDb) {
    let l = Ledger::new();
    customer(&l, db, "c-1");
    let marketing = token(&l, db, "marketing");
    let support = token(&l, db, "support");
    let a = Server::start(&l, db);
    let b = Server::start(&l, db);
    let both = [&a, &b];
    // Both nodes hold the subject in their caches.
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-1", "marketing", "traffic"),
            "consent-given"
        );
    }
    // A withdrawal through node a reaches node b's very next decision.
    let w = a.post_json(
        "/v1/subjects/c-1/consents",
        Some(&marketing),
        r#"{"purpose":"marketing","given":false,"channel":"web"}"#,
    );
    assert_eq!(w.status, 201, "{}", w.body);
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-1", "marketing", "traffic"),
            "consent-withdrawn"
        );
    }
    // Consent given again through the CLI reaches both.
    ok(
        &l,
        db,
        &[
            "consent",
            "give",
            "--subject",
            "c-1",
            "--purpose",
            "marketing",
            "--channel",
            "email",
        ],
    );
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-1", "marketing", "traffic"),
            "consent-given"
        );
    }
    // An objection to direct marketing through node b.
    let o = b.post_json(
        "/v1/subjects/c-1/objections",
        Some(&marketing),
        r#"{"purpose":"marketing"}"#,
    );
    assert_eq!(o.status, 201, "{}", o.body);
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-1", "marketing", "traffic"),
            "direct-marketing-objection"
        );
    }
    // A contract's end through the CLI: the contract basis goes at once.
    for n in both {
        assert_eq!(
            rule(n, &support, "c-1", "service-provision", "customer"),
            "contract-active"
        );
    }
    ok(
        &l,
        db,
        &[
            "event",
            "add",
            "--subject",
            "c-1",
            "--kind",
            "contract-end",
            "--ref",
            "K-1",
        ],
    );
    for n in both {
        assert_eq!(
            rule(n, &support, "c-1", "service-provision", "customer"),
            "contract-ended"
        );
    }
    // A restriction through the CLI.
    customer(&l, db, "c-2");
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-2", "marketing", "traffic"),
            "consent-given"
        );
    }
    ok(
        &l,
        db,
        &[
            "restrict",
            "start",
            "--subject",
            "c-2",
            "--ground",
            "accuracy-contested",
        ],
    );
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-2", "marketing", "traffic"),
            "restricted"
        );
    }
    // An erasure through the CLI: a subject with nothing kept.
    ok(
        &l,
        db,
        &["subject", "add", "--id", "v-1", "--at", "2026-01-01"],
    );
    ok(
        &l,
        db,
        &[
            "consent",
            "give",
            "--subject",
            "v-1",
            "--purpose",
            "marketing",
            "--channel",
            "web",
        ],
    );
    for n in both {
        assert_eq!(
            rule(n, &marketing, "v-1", "marketing", "traffic"),
            "consent-given"
        );
    }
    let case: serde_json::Value = serde_json::from_str(&ok(
        &l,
        db,
        &[
            "request",
            "open",
            "--subject",
            "v-1",
            "--kind",
            "erasure",
            "--json",
        ],
    ))
    .unwrap();
    let id = case["id"].to_string();
    ok(
        &l,
        db,
        &[
            "request", "verify", &id, "--by", "dpo", "--method", "BankID",
        ],
    );
    ok(&l, db, &["request", "answer", &id, "--format", "json"]);
    for n in both {
        assert_eq!(rule(n, &marketing, "v-1", "marketing", "traffic"), "erased");
    }
    // A node started after all this answers correctly at once.
    let c = Server::start(&l, db);
    assert_eq!(
        rule(&c, &marketing, "c-1", "marketing", "traffic"),
        "direct-marketing-objection"
    );
    // A node killed (SIGKILL) in the middle of writes leaves the others
    // answering as the ledger stands, whatever it had committed.
    customer(&l, db, "c-3");
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-3", "marketing", "traffic"),
            "consent-given"
        );
    }
    let writes = {
        let (addr, token) = (c.addr.clone(), marketing.clone());
        std::thread::spawn(move || {
            let c = http::Server::at(&addr);
            for i in 0..10_000 {
                let given = i % 2 == 0;
                let r = std::panic::catch_unwind(|| {
                    c.post_json(
                        "/v1/subjects/c-3/consents",
                        Some(&token),
                        &format!(r#"{{"purpose":"marketing","given":{given},"channel":"web"}}"#),
                    )
                });
                if r.is_err() {
                    return i;
                }
            }
            10_000
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(c);
    let sent = writes.join().unwrap();
    // A commit the killed node had sent may still be finishing in the
    // database; let it land before the ledger is read as the truth.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        sent < 10_000,
        "the node was killed mid-way ({sent} writes sent)"
    );
    let truth: serde_json::Value = serde_json::from_str(
        &l.run_on(
            &db.url(),
            &[
                "decide",
                "--subject",
                "c-1",
                "--role",
                "marketing",
                "--purpose",
                "marketing",
                "--category",
                "traffic",
                "--json",
            ],
        )
        .stdout
        .iter()
        .map(|b| char::from(*b))
        .collect::<String>(),
    )
    .unwrap();
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-1", "marketing", "traffic"),
            truth["rule"]
        );
    }
    ok(
        &l,
        db,
        &[
            "consent",
            "withdraw",
            "--subject",
            "c-2",
            "--purpose",
            "marketing",
            "--channel",
            "web",
        ],
    );
    ok(
        &l,
        db,
        &["restrict", "lift", "--subject", "c-2", "--id", "1"],
    );
    for n in both {
        assert_eq!(
            rule(n, &marketing, "c-2", "marketing", "traffic"),
            "consent-withdrawn"
        );
    }
}

/// What a subject's decisions depend on, as the model keeps it.
#[derive(Clone, Copy, Debug, Default)]
struct Model {
    given: bool,
    /// The open restriction's number.
    restricted: Option<i64>,
    objected: bool,
    contract: bool,
    /// The next contract's number.
    contracts: u32,
}

impl Model {
    fn marketing(&self) -> &'static str {
        match (self.restricted, self.objected, self.given) {
            (Some(_), _, _) => "restricted",
            (None, true, _) => "direct-marketing-objection",
            (None, false, true) => "consent-given",
            (None, false, false) => "consent-withdrawn",
        }
    }

    fn provision(&self) -> &'static str {
        match (self.restricted, self.contract) {
            (Some(_), _) => "restricted",
            (None, true) => "contract-active",
            (None, false) => "contract-ended",
        }
    }
}

/// Writes of every kind through node a, node b and the CLI (consents,
/// objections, restrictions placed and lifted, contracts ended and begun),
/// decisions on both nodes, in a random order: every decision equals what
/// a model of the subject says.
fn interleaved_writes_and_decisions_over_three_processes_match_a_model(db: &TestDb) {
    let l = Ledger::new();
    let subjects = ["c-1", "c-2", "c-3"];
    for s in subjects {
        customer(&l, db, s);
    }
    let marketing = token(&l, db, "marketing");
    let support = token(&l, db, "support");
    let dpo = token(&l, db, "dpo");
    let a = Server::start(&l, db);
    let b = Server::start(&l, db);
    let mut model = [Model {
        given: true,
        contract: true,
        contracts: 2,
        ..Model::default()
    }; 3];
    let mut rng = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(11, |d| u64::from(d.subsec_nanos()) | 1);
    let mut next = |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let seed = next(u64::MAX);
    for step in 0..80 {
        let i = usize::try_from(next(3)).unwrap();
        let s = subjects[i];
        let m = &mut model[i];
        // Through which process: node a, node b or the CLI.
        let via = next(3);
        let node = if via == 0 { &a } else { &b };
        let posted = |path: &str, token: &str, body: &str| -> serde_json::Value {
            let r = node.post_json(&format!("/v1/subjects/{s}/{path}"), Some(token), body);
            assert_eq!(r.status, 201, "{path}: {}", r.body);
            r.json()
        };
        match next(10) {
            0..=2 => {
                let give = next(2) == 0;
                if via == 2 {
                    let verb = if give { "give" } else { "withdraw" };
                    ok(
                        &l,
                        db,
                        &[
                            "consent",
                            verb,
                            "--subject",
                            s,
                            "--purpose",
                            "marketing",
                            "--channel",
                            "web",
                        ],
                    );
                } else {
                    posted(
                        "consents",
                        &marketing,
                        &format!(r#"{{"purpose":"marketing","given":{give},"channel":"web"}}"#),
                    );
                }
                m.given = give;
            }
            3 => match m.restricted {
                None => {
                    let id = if via == 2 {
                        let v: serde_json::Value = serde_json::from_str(&ok(
                            &l,
                            db,
                            &[
                                "restrict",
                                "start",
                                "--subject",
                                s,
                                "--ground",
                                "accuracy-contested",
                                "--json",
                            ],
                        ))
                        .unwrap();
                        v["restriction"].as_i64().unwrap()
                    } else {
                        posted("restrictions", &dpo, r#"{"ground":"accuracy-contested"}"#)["restriction"]
                            .as_i64()
                            .unwrap()
                    };
                    m.restricted = Some(id);
                }
                Some(id) => {
                    if via == 2 {
                        ok(
                            &l,
                            db,
                            &["restrict", "lift", "--subject", s, "--id", &id.to_string()],
                        );
                    } else {
                        let r = node.post_json(
                            &format!("/v1/subjects/{s}/restrictions/{id}/lift"),
                            Some(&dpo),
                            "{}",
                        );
                        assert!(r.status < 300, "lift: {}", r.body);
                    }
                    m.restricted = None;
                }
            },
            4 => {
                // Contracts end and begin again, by the CLI.
                let (kind, reference) = if m.contract {
                    ("contract-end", format!("K-{}", m.contracts - 1))
                } else {
                    m.contracts += 1;
                    ("contract-start", format!("K-{}", m.contracts - 1))
                };
                ok(
                    &l,
                    db,
                    &[
                        "event",
                        "add",
                        "--subject",
                        s,
                        "--kind",
                        kind,
                        "--ref",
                        &reference,
                    ],
                );
                m.contract = !m.contract;
            }
            5 if step > 60 && !m.objected => {
                // An objection to direct marketing, late: it lasts.
                if via == 2 {
                    ok(
                        &l,
                        db,
                        &["object", "--subject", s, "--purpose", "marketing"],
                    );
                } else {
                    posted("objections", &marketing, r#"{"purpose":"marketing"}"#);
                }
                m.objected = true;
            }
            _ => {
                let (node, name) = if next(2) == 0 { (&a, "a") } else { (&b, "b") };
                let context = format!("step {step} (seed {seed}): {s} on node {name}, model {m:?}");
                assert_eq!(
                    rule(node, &marketing, s, "marketing", "traffic"),
                    m.marketing(),
                    "{context}"
                );
                assert_eq!(
                    rule(node, &support, s, "service-provision", "customer"),
                    m.provision(),
                    "{context}"
                );
            }
        }
    }
}

/// A PostgreSQL cluster of the test's own on a free port (never the
/// machine's shared one), run as the `postgres` user.
struct Cluster {
    dir: std::path::PathBuf,
    bin: std::path::PathBuf,
    port: u16,
}

impl Cluster {
    fn start() -> Option<Cluster> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let dir = std::env::temp_dir().join(format!("tillit-pg-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let as_postgres = |args: &[&str]| {
            std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .args(args)
                .output()
        };
        std::process::Command::new("chown")
            .args(["postgres:postgres", &dir.display().to_string()])
            .status()
            .ok()?;
        let data = dir.join("data").display().to_string();
        let out = as_postgres(&[
            &bin.join("initdb").display().to_string(),
            "-D",
            &data,
            "-A",
            "trust",
            "-U",
            "postgres",
        ])
        .ok()?;
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let c = Cluster { dir, bin, port };
        c.ctl("start");
        Some(c)
    }

    fn ctl(&self, what: &str) {
        let out = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args([
                "-D",
                &self.dir.join("data").display().to_string(),
                "-w",
                "-m",
                "fast",
            ])
            .args([
                "-o",
                &format!(
                    "-p {} -k {} -c listen_addresses=127.0.0.1",
                    self.port,
                    self.dir.display()
                ),
                "-l",
                &self.dir.join("log").display().to_string(),
                what,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl {what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args([
                "-D",
                &self.dir.join("data").display().to_string(),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The database restarts under a running node: 503 with `Retry-After`
/// and `/readyz` failing while it is down, then every route answering
/// again without a restart of tillit, nothing acknowledged lost, and
/// decisions that reflect what others wrote meanwhile.
#[test]
fn a_node_rides_out_a_restart_of_its_database() {
    let Some(cluster) = Cluster::start() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs this test: PostgreSQL's initdb and pg_ctl are needed"
        );
        eprintln!("skipped: no PostgreSQL binaries to start a cluster of our own");
        return;
    };
    let db = TestDb::Postgres {
        admin: cluster.url(),
        name: "postgres".into(),
    };
    let l = Ledger::new();
    customer(&l, &db, "c-1");
    let marketing = token(&l, &db, "marketing");
    let node = Server::start(&l, &db);
    assert_eq!(
        rule(&node, &marketing, "c-1", "marketing", "traffic"),
        "consent-given"
    );
    assert_eq!(node.get("/readyz", &[]).status, 200);

    // Load throughout: decisions from another thread, which may meet 200
    // or 503, never anything else.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let (addr, token, stop) = (
            node.addr.clone(),
            marketing.clone(),
            std::sync::Arc::clone(&stop),
        );
        std::thread::spawn(move || {
            let node = http::Server::at(&addr);
            let mut seen = std::collections::BTreeMap::<u16, u32>::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let a = node.post_json(
                    "/v1/decisions",
                    Some(&token),
                    r#"{"subject":"c-1","purpose":"marketing","category":"traffic"}"#,
                );
                *seen.entry(a.status).or_default() += 1;
            }
            seen
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    cluster.ctl("stop");
    let down = node.post_json(
        "/v1/decisions",
        Some(&marketing),
        r#"{"subject":"c-1","purpose":"marketing","category":"traffic"}"#,
    );
    assert_eq!(down.status, 503, "{}", down.body);
    assert_eq!(down.header("retry-after"), Some("1"));
    assert_eq!(
        down.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(node.get("/readyz", &[]).status, 503);
    assert_eq!(node.get("/healthz", &[]).status, 200, "still alive");
    let write = node.post_json(
        "/v1/subjects/c-1/consents",
        Some(&marketing),
        r#"{"purpose":"marketing","given":false,"channel":"web"}"#,
    );
    assert_eq!(write.status, 503, "{}", write.body);

    cluster.ctl("start");
    // Another process writes before this node asks again.
    ok(
        &l,
        &db,
        &[
            "consent",
            "withdraw",
            "--subject",
            "c-1",
            "--purpose",
            "marketing",
            "--channel",
            "email",
        ],
    );
    let back = std::time::Instant::now();
    let mut ready = node.get("/readyz", &[]).status;
    while ready != 200 && back.elapsed() < std::time::Duration::from_secs(10) {
        std::thread::sleep(std::time::Duration::from_millis(100));
        ready = node.get("/readyz", &[]).status;
    }
    assert_eq!(ready, 200, "ready again within seconds");
    assert_eq!(
        rule(&node, &marketing, "c-1", "marketing", "traffic"),
        "consent-withdrawn"
    );
    let given = node.post_json(
        "/v1/subjects/c-1/consents",
        Some(&marketing),
        r#"{"purpose":"marketing","given":true,"channel":"web"}"#,
    );
    assert_eq!(given.status, 201, "{}", given.body);
    assert_eq!(
        rule(&node, &marketing, "c-1", "marketing", "traffic"),
        "consent-given"
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = load.join().unwrap();
    assert!(
        seen.keys().all(|s| [200, 503].contains(s)),
        "only answers or 503s under load: {seen:?}"
    );
    assert!(seen.get(&200).is_some_and(|n| *n > 0), "{seen:?}");
    // Nothing acknowledged was lost: the three consents and the chain.
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&l, &db, &["consent", "show", "c-1", "--json"])).unwrap();
    assert!(shown.to_string().contains("marketing"), "{shown}");
    assert!(ok(&l, &db, &["audit", "verify"]).contains("intact"));
}
