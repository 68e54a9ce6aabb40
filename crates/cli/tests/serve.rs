//! `tillit serve` over real HTTP on loopback, on SQLite and PostgreSQL:
//! the public routes, decisions for the token's role, tokens that are
//! missing or revoked, malformed bodies (never a 500), the OpenAPI
//! document, and a graceful stop.

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

fn ok(l: &Ledger, db: &TestDb, args: &[&str]) -> String {
    l.ok_on(&db.url(), args)
}

fn token(l: &Ledger, db: &TestDb, role: &str) -> (i64, String) {
    l.token_on(&db.url(), role)
}

/// A customer with a contract who consented to marketing of traffic data.
fn customer(l: &Ledger, db: &TestDb) {
    l.customer_on(&db.url(), "c-1");
}

const MARKETING: &str =
    r#"{"subject":"c-1","purpose":"marketing","category":"traffic","at":"2026-06-01T00:00:00Z"}"#;

fn decisions_for_the_tokens_role_and_no_one_without_a_token(db: &TestDb) {
    let l = Ledger::new();
    customer(&l, db);
    let (_, marketing) = token(&l, db, "marketing");
    let (support_id, support) = token(&l, db, "support");
    let server = Server::start(&l, db);

    let a = server.post_json("/v1/decisions", Some(&marketing), MARKETING);
    assert_eq!(a.status, 200, "{}", a.body);
    let d = a.json();
    assert_eq!(d["allowed"], true, "{d}");
    assert_eq!(d["role"], "marketing");
    assert_eq!(d["rule"], "consent-given");
    assert!(
        d["reason"]["sv"].as_str().unwrap().contains("samtyck"),
        "{d}"
    );

    // The same question from support: its role has no need to know.
    let d = server
        .post_json("/v1/decisions", Some(&support), MARKETING)
        .json();
    assert_eq!(d["allowed"], false);
    assert_eq!(d["role"], "support", "asked for the token's role");
    assert_eq!(d["rule"], "no-need-to-know");

    // A batch answers in order.
    let batch = format!(
        r#"{{"requests":[{MARKETING},{{"subject":"c-9","purpose":"marketing","category":"traffic"}}]}}"#
    );
    let d = server
        .post_json("/v1/decisions/batch", Some(&marketing), &batch)
        .json();
    let rules: Vec<&str> = d["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["consent-given", "unknown-subject"]);
    assert!(
        d["decisions"][0].get("reason").is_none(),
        "verdicts only: {d}"
    );
    let explained = batch.replacen('{', r#"{"explain":true,"#, 1);
    let d = server
        .post_json("/v1/decisions/batch", Some(&marketing), &explained)
        .json();
    assert_eq!(d["decisions"][0]["role"], "marketing");
    assert!(d["decisions"][0]["reason"]["en"].is_string(), "{d}");

    // A withdrawal through the CLI reaches the server's next decision
    // only through the ledger: the server is another process, so its
    // cache may hold the old state. What it must never do is let in a
    // revoked or unknown token.
    server
        .post_json("/v1/decisions", None, MARKETING)
        .problem(401);
    server
        .post_json("/v1/decisions", Some("tillit_0000"), MARKETING)
        .problem(401);
    ok(&l, db, &["token", "revoke", &support_id.to_string()]);
    // A token found in force is trusted for up to a second.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let p = server
        .post_json("/v1/decisions", Some(&support), MARKETING)
        .problem(401);
    assert!(p["detail"].as_str().unwrap().contains("revoked"), "{p}");
    server
        .post_json("/v1/decisions/batch", None, &batch)
        .problem(401);
    // Many callers at once, more than the server has connections: each
    // is answered (a fresh token is looked up in the ledger every time).
    let (_, fresh) = token(&l, db, "marketing");
    std::thread::scope(|s| {
        for _ in 0..16 {
            s.spawn(|| {
                for _ in 0..20 {
                    let a = server.post_json("/v1/decisions", Some(&fresh), MARKETING);
                    assert_eq!(a.status, 200, "{}", a.body);
                }
            });
        }
    });
    // Consents written at once share commits; each answered one is in
    // the ledger, and a refused one (an unknown subject) writes nothing.
    let before = consent_events(&l, db);
    std::thread::scope(|s| {
        for t in 0..8 {
            let fresh = &fresh;
            let server = &server;
            s.spawn(move || {
                for i in 0..10 {
                    let body = format!(
                        r#"{{"purpose":"marketing","given":{},"channel":"web"}}"#,
                        (t + i) % 2 == 0
                    );
                    let a = server.post_json("/v1/subjects/c-1/consents", Some(fresh), &body);
                    assert_eq!(a.status, 201, "{}", a.body);
                    if i == 5 {
                        server
                            .post_json("/v1/subjects/c-404/consents", Some(fresh), &body)
                            .problem(404);
                    }
                }
            });
        }
    });
    assert_eq!(consent_events(&l, db), before + 80);
    assert!(ok(&l, db, &["audit", "verify"]).contains("intact"));
    assert!(server.stop().success(), "a graceful stop exits 0");
}

fn consent_events(l: &Ledger, db: &TestDb) -> usize {
    let v: serde_json::Value =
        serde_json::from_str(&ok(l, db, &["consent", "show", "c-1", "--json"])).unwrap();
    v["history"].as_array().unwrap().len()
}

fn malformed_requests_get_problem_documents_never_a_500(db: &TestDb) {
    let l = Ledger::new();
    customer(&l, db);
    let (_, marketing) = token(&l, db, "marketing");
    let server = Server::start(&l, db);
    let too_large = format!(r#"{{"subject":"{}"}}"#, "x".repeat(2 << 20));
    let too_many = format!(r#"{{"requests":[{}]}}"#, vec![MARKETING; 10_001].join(","));
    for path in ["/v1/decisions", "/v1/decisions/batch"] {
        for (body, status) in [
            ("{", 400),
            ("[]", 422),
            ("null", 422),
            (
                r#"{"subject":"c-1","purpose":"marketing","category":"traffic","colour":"red"}"#,
                422,
            ),
            (r#"{"requests":"all"}"#, 422),
            (
                r#"{"subject":"c-1","purpose":"marketing","category":"traffic","at":"yesterday"}"#,
                422,
            ),
            (too_large.as_str(), 413),
        ] {
            let a = server.post_json(path, Some(&marketing), body);
            assert_ne!(a.status, 500, "{path} {body:.60}: {}", a.body);
            a.problem(status);
        }
        // Not JSON at all.
        let auth = format!("Bearer {marketing}");
        server
            .request("POST", path, &[("Authorization", &auth)], "subject=c-1")
            .problem(415);
    }
    // Every route, as the DPO (whom no route refuses for its role):
    // malformed bodies, unknown query parameters, ids that are not ids.
    // Each is a 4xx problem document.
    let (_, dpo) = token(&l, db, "dpo");
    let auth = format!("Bearer {dpo}");
    let json_headers = [
        ("Content-Type", "application/json"),
        ("Authorization", auth.as_str()),
    ];
    for route in routes().iter().filter(|r| !r.public || r.method == "POST") {
        let mut tried: Vec<(String, String, Option<u16>)> = Vec::new();
        if route.method == "POST" {
            for (body, status) in [
                ("{", Some(400)),
                ("", Some(400)),
                ("[]", None),
                ("null", None),
                ("42", None),
                (r#"{"colour":"red"}"#, Some(422)),
                (r#"{"at":"yesterday","colour":"red"}"#, Some(422)),
                (too_large.as_str(), Some(413)),
            ] {
                tried.push((route.path.to_owned(), body.to_owned(), status));
            }
            let a = server.request("POST", route.path, &[("Authorization", &auth)], "x=1");
            a.problem(415);
        } else if !route.template.starts_with("/v1/audit") {
            // The audit routes take no query; the others refuse what
            // they do not know.
            let sep = if route.path.contains('?') { '&' } else { '?' };
            for query in ["colour=red", "at=yesterday"] {
                tried.push((
                    format!("{}{sep}{query}", route.path),
                    String::new(),
                    Some(400),
                ));
            }
        }
        // Ids that are not ids, where the route takes one.
        if route.template.contains("{id}") {
            let bad = if route.template.starts_with("/v1/requests") {
                route.path.replacen("/1", "/one", 1)
            } else {
                route.path.replacen("c-1", "%20", 1)
            };
            tried.push((bad, (route.body)("dpo"), Some(400)));
        }
        for id in ["restriction", "hold"] {
            if route.template.contains(&format!("{{{id}}}")) {
                tried.push((
                    route.path.replacen("/1/", "/-x/", 1),
                    (route.body)("dpo"),
                    Some(400),
                ));
            }
        }
        for (path, body, status) in tried {
            let a = server.request(route.method, &path, &json_headers, &body);
            assert!(
                (400..500).contains(&a.status),
                "{} {path} {body:.60}: {} {}",
                route.method,
                a.status,
                a.body
            );
            a.problem(status.unwrap_or(a.status));
        }
    }
    // A bad subject id is the caller's mistake, named.
    let p = server
        .post_json(
            "/v1/decisions",
            Some(&marketing),
            r#"{"subject":"","purpose":"marketing","category":"traffic"}"#,
        )
        .problem(400);
    assert!(p["detail"].as_str().unwrap().contains("subject"), "{p}");
    let p = server
        .post_json("/v1/decisions/batch", Some(&marketing), &too_many)
        .problem(413);
    assert!(p["detail"].as_str().unwrap().contains("10000"), "{p}");
    server.get("/no/such/route", &[]).problem(404);
    server.get("/privacy?lang=fi", &[]).problem(400);
    // Garbage instead of HTTP is dropped or refused, not a crash.
    let a = server.raw(b"\x00\x01 not http\r\n\r\n");
    assert_ne!(a.status, 500);
    assert_eq!(server.get("/healthz", &[]).body, "ok", "still serving");
}

#[test]
fn the_public_routes_and_the_openapi_document() {
    let l = Ledger::new();
    let db = TestDb::sqlite();
    let server = Server::start(&l, &db);
    assert_eq!(server.get("/healthz", &[]).body, "ok");
    let sv = server.get("/privacy", &[]);
    assert_eq!(sv.status, 200);
    assert_eq!(sv.header("content-language"), Some("sv"));
    assert!(sv.body.contains("<html lang=\"sv\""), "{:.200}", sv.body);
    let en = server.get(
        "/privacy",
        &[("Accept-Language", "en-GB,en;q=0.8,sv;q=0.5")],
    );
    assert!(en.body.contains("<html lang=\"en\""));
    let en = server.get("/privacy?lang=en", &[("Accept-Language", "sv")]);
    assert!(en.body.contains("<html lang=\"en\""), "?lang= wins");
    let json = server.get("/privacy.json?lang=en", &[]).json();
    assert_eq!(json["language"], "en");

    let api = server.get("/openapi.json", &[]).json();
    assert!(api["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths: Vec<&str> = api["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let documented: std::collections::BTreeSet<(String, String)> = api["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(|m| (m.to_uppercase(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let tested: std::collections::BTreeSet<(String, String)> = routes()
        .iter()
        .map(|r| (r.method.to_owned(), r.template.to_owned()))
        .collect();
    assert_eq!(
        documented, tested,
        "the route × role matrix covers exactly the documented routes"
    );
    assert!(paths.contains(&"/v1/decisions"));
    // Every documented operation is served: none falls through to the
    // router's "no such route".
    for (path, item) in api["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let a = server.request(&method.to_uppercase(), path, &[], "");
            assert_ne!(
                a.status, 404,
                "{method} {path} is documented but not routed"
            );
        }
    }
    assert!(
        api["components"]["securitySchemes"]["token"].is_object(),
        "{api}"
    );
}

/// A route as the matrix calls it.
struct Route {
    method: &'static str,
    /// As the OpenAPI document names it.
    template: &'static str,
    path: &'static str,
    /// The body a caller of this role sends.
    body: fn(&str) -> String,
    /// The status for a valid token of this role (policy facts: who
    /// administers, who serves marketing, who needs to know traffic
    /// data, who handles contracts).
    expect: fn(&str) -> u16,
    public: bool,
}

fn routes() -> Vec<Route> {
    fn any(_: &str) -> u16 {
        200
    }
    fn created(_: &str) -> u16 {
        201
    }
    fn serves_marketing(role: &str) -> u16 {
        if ["account-manager", "marketing", "dpo"].contains(&role) {
            201
        } else {
            403
        }
    }
    fn sees_traffic(role: &str) -> u16 {
        if ["marketing", "security", "analyst", "dpo"].contains(&role) {
            201
        } else {
            403
        }
    }
    fn keeps_contracts(role: &str) -> u16 {
        if ["marketing", "analyst"].contains(&role) {
            403
        } else {
            201
        }
    }
    fn no_content(_: &str) -> u16 {
        204
    }
    fn analyst(role: &str) -> u16 {
        if ["analyst", "dpo"].contains(&role) {
            200
        } else {
            403
        }
    }
    fn dpo(role: &str) -> u16 {
        if role == "dpo" { 200 } else { 403 }
    }
    fn dpo_creates(role: &str) -> u16 {
        if role == "dpo" { 201 } else { 403 }
    }
    fn none(_: &str) -> String {
        String::new()
    }
    let public = |template, path| Route {
        method: "GET",
        template,
        path,
        body: none,
        expect: any,
        public: true,
    };
    let get = |template, path, expect| Route {
        method: "GET",
        template,
        path,
        body: none,
        expect,
        public: false,
    };
    let public_post = |template, path, body, expect| Route {
        method: "POST",
        template,
        path,
        body,
        expect,
        public: true,
    };
    let post = |template, path, body, expect| Route {
        method: "POST",
        template,
        path,
        body,
        expect,
        public: false,
    };
    vec![
        public("/healthz", "/healthz"),
        public("/readyz", "/readyz"),
        public("/privacy", "/privacy"),
        public("/privacy.json", "/privacy.json"),
        public("/openapi.json", "/openapi.json"),
        public("/metrics", "/metrics"),
        public("/consent.js", "/consent.js"),
        public("/consent", "/consent?lang=en"),
        public_post(
            "/consent",
            "/consent",
            |_| r#"{"choices":{"service-development":true,"marketing":false}}"#.to_owned(),
            any,
        ),
        public_post(
            "/collect",
            "/collect",
            |_| r#"{"path":"/"}"#.to_owned(),
            no_content,
        ),
        post(
            "/v1/decisions",
            "/v1/decisions",
            |_| MARKETING.to_owned(),
            any,
        ),
        post(
            "/v1/decisions/batch",
            "/v1/decisions/batch",
            |_| format!(r#"{{"requests":[{MARKETING}]}}"#),
            any,
        ),
        post(
            "/v1/subjects",
            "/v1/subjects",
            |role| format!(r#"{{"id":"new-{role}","email":"{role}@example.se"}}"#),
            created,
        ),
        get("/v1/subjects", "/v1/subjects?email=c2@example.se", any),
        get("/v1/subjects/{id}", "/v1/subjects/c-1", any),
        post(
            "/v1/subjects/{id}/records",
            "/v1/subjects/c-1/records",
            |_| {
                r#"{"category":"traffic","kind":"page-view","source":"cookie","payload":{"path":"/x"},"at":"2026-01-04T00:00:00Z"}"#.to_owned()
            },
            sees_traffic,
        ),
        post(
            "/v1/subjects/{id}/events",
            "/v1/subjects/c-1/events",
            |role| {
                format!(
                    r#"{{"kind":"invoice-issued","ref":"F-{role}","at":"2026-02-01T00:00:00Z"}}"#
                )
            },
            keeps_contracts,
        ),
        post(
            "/v1/subjects/{id}/consents",
            "/v1/subjects/c-1/consents",
            |_| {
                r#"{"purpose":"marketing","given":true,"channel":"web","at":"2026-03-01T00:00:00Z"}"#.to_owned()
            },
            serves_marketing,
        ),
        post(
            "/v1/subjects/{id}/objections",
            "/v1/subjects/c-1/objections",
            |_| r#"{"purpose":"marketing","at":"2026-03-02T00:00:00Z"}"#.to_owned(),
            serves_marketing,
        ),
        post(
            "/v1/subjects/{id}/restrictions",
            "/v1/subjects/c-1/restrictions",
            |_| r#"{"ground":"accuracy-contested"}"#.to_owned(),
            dpo_creates,
        ),
        post(
            "/v1/subjects/{id}/restrictions/{restriction}/lift",
            "/v1/subjects/c-1/restrictions/1/lift",
            |_| "{}".to_owned(),
            dpo,
        ),
        post(
            "/v1/subjects/{id}/holds",
            "/v1/subjects/c-1/holds",
            |_| r#"{"by":"Legal","reason":"a disputed invoice","kinds":["invoice"]}"#.to_owned(),
            dpo_creates,
        ),
        post(
            "/v1/subjects/{id}/holds/{hold}/release",
            "/v1/subjects/c-1/holds/1/release",
            |_| r#"{"by":"Legal"}"#.to_owned(),
            dpo,
        ),
        post(
            "/v1/disclosures",
            "/v1/disclosures",
            |_| {
                r#"{"recipient":"authorities","subjects":["c-1"],"categories":["traffic"],"basis":"legal-obligation","ref":"AM-1"}"#.to_owned()
            },
            sees_traffic,
        ),
        get(
            "/v1/retention/plan",
            "/v1/retention/plan?at=2026-12-01T00:00:00Z&all=true",
            dpo,
        ),
        post(
            "/v1/retention/sweep",
            "/v1/retention/sweep",
            |_| r#"{"dry_run":true,"at":"2026-12-01T00:00:00Z"}"#.to_owned(),
            dpo,
        ),
        post(
            "/v1/requests",
            "/v1/requests",
            |_| {
                r#"{"subject":"c-2","kind":"erasure","received":"2026-11-20T10:00:00Z"}"#.to_owned()
            },
            dpo_creates,
        ),
        get("/v1/requests", "/v1/requests", dpo),
        get(
            "/v1/requests/{id}",
            "/v1/requests/1?at=2026-11-21T00:00:00Z",
            dpo,
        ),
        post(
            "/v1/requests/{id}/verify",
            "/v1/requests/1/verify",
            |_| r#"{"by":"DPO","method":"BankID","at":"2026-11-21T00:00:00Z"}"#.to_owned(),
            dpo,
        ),
        post(
            "/v1/requests/{id}/extend",
            "/v1/requests/1/extend",
            |_| {
                r#"{"months":1,"reason":"many requests at once","at":"2026-11-21T00:00:00Z"}"#
                    .to_owned()
            },
            dpo,
        ),
        post(
            "/v1/requests/{id}/answer",
            "/v1/requests/1/answer",
            |_| r#"{"at":"2026-11-22T00:00:00Z"}"#.to_owned(),
            dpo,
        ),
        get("/v1/audit/verify", "/v1/audit/verify", dpo),
        get("/v1/audit/head", "/v1/audit/head", dpo),
        get("/stats", "/stats?from=2026-01-01&to=2026-01-31", analyst),
    ]
}

const ROLES: [&str; 7] = [
    "support",
    "account-manager",
    "billing",
    "marketing",
    "security",
    "analyst",
    "dpo",
];

fn every_route_by_every_role_and_no_one_without_a_token(db: &TestDb) {
    let l = Ledger::new();
    customer(&l, db);
    ok(
        &l,
        db,
        &[
            "record",
            "add",
            "--subject",
            "c-1",
            "--category",
            "traffic",
            "--kind",
            "page-view",
            "--source",
            "cookie",
            "--payload",
            r#"{"path":"/"}"#,
            "--at",
            "2026-01-03",
        ],
    );
    // What the routes that change one thing act on: restriction 1, hold
    // 1, and request 1 (access, received 2026-11-20) of subject c-2.
    ok(
        &l,
        db,
        &[
            "subject",
            "add",
            "--id",
            "c-2",
            "--email",
            "c2@example.se",
            "--at",
            "2026-01-01",
        ],
    );
    ok(
        &l,
        db,
        &[
            "restrict",
            "start",
            "--subject",
            "c-1",
            "--ground",
            "accuracy-contested",
            "--at",
            "2026-01-05",
        ],
    );
    ok(
        &l,
        db,
        &[
            "hold",
            "place",
            "--subject",
            "c-1",
            "--by",
            "Legal",
            "--reason",
            "a claim",
            "--all",
            "--at",
            "2026-01-05",
        ],
    );
    ok(
        &l,
        db,
        &[
            "request",
            "open",
            "--subject",
            "c-2",
            "--kind",
            "access",
            "--received",
            "2026-11-20",
        ],
    );
    let tokens: Vec<(&str, String)> = ROLES.iter().map(|r| (*r, token(&l, db, r).1)).collect();
    let (revoked_id, revoked) = token(&l, db, "dpo");
    ok(&l, db, &["token", "revoke", &revoked_id.to_string()]);
    let server = Server::start(&l, db);
    let call = |r: &Route, role: &str, token: Option<&str>| {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        server.request(r.method, r.path, &headers, &(r.body)(role))
    };
    for route in routes() {
        for (role, token) in &tokens {
            let a = call(&route, role, Some(token));
            assert_eq!(
                a.status,
                (route.expect)(role),
                "{} {} as {role}: {}",
                route.method,
                route.path,
                a.body
            );
            if a.status >= 400 {
                a.problem(a.status);
            }
        }
        for (who, token) in [
            ("no token", None),
            ("a revoked token", Some(revoked.as_str())),
        ] {
            let a = call(&route, "dpo", token);
            if route.public {
                assert_eq!(a.status, (route.expect)("dpo"), "{} with {who}", route.path);
            } else {
                a.problem(401);
            }
        }
    }
    // What the DPO's calls did is in the ledger: the access request was
    // verified, extended and answered, the erasure request opened.
    let case: serde_json::Value =
        serde_json::from_str(&ok(&l, db, &["request", "show", "1", "--json"])).unwrap();
    assert_eq!(case["status"], "closed", "{case}");
    assert_eq!(case["extended_months"], 1, "{case}");
    let queue: serde_json::Value =
        serde_json::from_str(&ok(&l, db, &["request", "list", "--json"])).unwrap();
    assert_eq!(queue[0]["kind"], "erasure", "{queue}");
    // Need to know: support sees the customer record, not the page view.
    let view = |role: &str| {
        let (_, t) = tokens.iter().find(|(r, _)| *r == role).unwrap();
        server
            .get(
                "/v1/subjects/c-1",
                &[("Authorization", &format!("Bearer {t}"))],
            )
            .json()
    };
    let support = view("support");
    let marketing = view("marketing");
    let kinds: Vec<&str> = marketing["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    // The page view added before, and one by each role that needs to
    // know traffic data.
    assert_eq!(kinds, ["page-view"; 5]);
    assert_eq!(support["records"].as_array().unwrap().len(), 0, "{support}");
    assert_eq!(support["withheld"]["records"], 5);
    let dpo = view("dpo");
    assert_eq!(dpo["records"].as_array().unwrap().len(), 5);
    assert!(dpo.get("withheld").is_none(), "{dpo}");
    // The log names each request by its route, never by its path: no
    // subject id, no token.
    let log = std::fs::read_to_string(l.dir.path().join("serve.log")).unwrap();
    assert!(
        log.contains(r#""route":"/v1/subjects/{id}""#) && log.contains(r#""status":403"#),
        "{log:.2000}"
    );
    assert!(
        !log.contains("c-1") && tokens.iter().all(|(_, t)| !log.contains(t.as_str())),
        "{log:.2000}"
    );
    // The consents written through the API are in the ledger, audited.
    let metrics = server.get("/metrics", &[]).body;
    assert!(
        metrics.contains("tillit_consent_changes_total 3"),
        "{metrics}"
    );
    assert!(ok(&l, db, &["audit", "verify"]).contains("intact"));
}

on_both_backends!(
    store_support;
    every_route_by_every_role_and_no_one_without_a_token,
    decisions_for_the_tokens_role_and_no_one_without_a_token,
    malformed_requests_get_problem_documents_never_a_500,
);
