//! The routes, each declared once with its OpenAPI description.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header, request::Parts};
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tillit_core::Lang;
use tillit_core::decide::{Decision, Operation, Request as DecisionAsked};
use tillit_core::identity::SubjectId;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{App, BATCH_LIMIT, BODY_LIMIT, Problem, admin_api, ledger_api, website};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tillit",
        description = "Privacy engineering: the published notice, lawfulness decisions and the ledger. Every route but the public ones takes `Authorization: Bearer TOKEN`; a token (`tillit token create --role ROLE`) is bound to a role of the policy, and every decision is asked for that role."
    ),
    components(schemas(Problem)),
    modifiers(&Bearer)
)]
struct ApiDoc;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router(app: Arc<App>) -> (axum::Router, utoipa::openapi::OpenApi) {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(privacy))
        .routes(routes!(privacy_json))
        .routes(routes!(openapi_json))
        .routes(routes!(decide_one))
        .routes(routes!(decide_batch))
        .routes(routes!(ledger_api::add_subject, ledger_api::find_subject))
        .routes(routes!(subject))
        .routes(routes!(ledger_api::add_record))
        .routes(routes!(ledger_api::add_event))
        .routes(routes!(consent))
        .routes(routes!(ledger_api::object))
        .routes(routes!(ledger_api::restrict))
        .routes(routes!(ledger_api::lift_restriction))
        .routes(routes!(ledger_api::place_hold))
        .routes(routes!(ledger_api::release_hold))
        .routes(routes!(ledger_api::disclose))
        .routes(routes!(admin_api::retention_plan))
        .routes(routes!(admin_api::retention_sweep))
        .routes(routes!(admin_api::open_request, admin_api::list_requests))
        .routes(routes!(admin_api::show_request))
        .routes(routes!(admin_api::verify_request))
        .routes(routes!(admin_api::extend_request))
        .routes(routes!(admin_api::answer_request))
        .routes(routes!(audit_verify))
        .routes(routes!(admin_api::audit_head))
        .routes(routes!(website::script))
        .routes(routes!(website::state, website::choose))
        .routes(routes!(website::collect))
        .routes(routes!(website::stats))
        .routes(routes!(metrics))
        .with_state(Arc::clone(&app))
        .split_for_parts();
    let _ = app
        .openapi
        .set(serde_json::to_string(&api).unwrap_or_default());
    let router = match &app.site_dir {
        Some(dir) => router.nest_service("/site", tower_http::services::ServeDir::new(dir)),
        None => router,
    };
    let router = router
        .fallback(not_found)
        .layer(axum::middleware::from_fn(bounded_and_logged))
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    (router, api)
}

/// Every request is answered within [`crate::REQUEST_TIMEOUT`] (else a
/// problem document) and logged by its route's template, never its path:
/// a path names a subject, and the log holds no personal data.
async fn bounded_and_logged(request: Request, next: axum::middleware::Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |p| p.as_str().to_owned());
    let started = std::time::Instant::now();
    let response = match tokio::time::timeout(crate::REQUEST_TIMEOUT, next.run(request)).await {
        Ok(r) => r,
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "The request took too long",
            format!(
                "no answer within {} s; try again, or ask for less at once",
                crate::REQUEST_TIMEOUT.as_secs()
            ),
        )
        .into_response(),
    };
    let status = response.status().as_u16();
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    // Page views are the one firehose: one taken is logged only at debug
    // level; one refused, like every other request, at info.
    if route == "/collect" && status < 400 {
        tracing::debug!(method = %method, route = %route, status, micros, "request");
    } else {
        tracing::info!(method = %method, route = %route, status, micros, "request");
    }
    response
}

async fn not_found() -> Problem {
    Problem::not_found("no such route; GET /openapi.json lists every one")
}

impl App {
    /// Waits until the decision cache reflects every write committed
    /// before now, by this process or another: on SQLite a look at
    /// `data_version` here, on PostgreSQL a read of the change feed on a
    /// blocking thread, shared by the requests that arrive meanwhile.
    pub(crate) async fn fresh(self: &Arc<App>) -> Result<(), Problem> {
        if self.follower.is_cheap() {
            return Ok(self.follower.fresh()?);
        }
        // A check that starts after this call is needed: the next one to
        // start. Callers wait for it without holding a thread, and share
        // it; one check runs at a time, on a blocking thread.
        let need = self.feed.lock().started + 1;
        let mut done = self.feed_done.subscribe();
        loop {
            let (finished, succeeded) = *done.borrow_and_update();
            if finished >= need {
                return if succeeded >= need {
                    Ok(())
                } else {
                    Err(Problem::unavailable(
                        "the ledger's change feed cannot be read just now; try again shortly",
                    ))
                };
            }
            let start = {
                let mut feed = self.feed.lock();
                let start = !feed.running && feed.started < need;
                if start {
                    feed.started = need;
                    feed.running = true;
                }
                start
            };
            if start {
                // If this call is dropped mid-check (the client went away),
                // the guard frees the gate so that a waiter starts another.
                let guard = CheckGuard {
                    app: self,
                    ended: false,
                };
                let app = Arc::clone(self);
                let outcome = blocking(move || Ok(app.follower.fresh()?)).await;
                guard.end(need, outcome.is_ok());
                return outcome;
            }
            if done.changed().await.is_err() {
                return Err(Problem::internal("the change feed's gate is gone"));
            }
        }
    }
}

/// Frees the change feed's gate when the check it started ends, or when
/// the call that started it is dropped first.
struct CheckGuard<'a> {
    app: &'a Arc<App>,
    ended: bool,
}

impl CheckGuard<'_> {
    fn end(mut self, number: u64, ok: bool) {
        self.ended = true;
        self.app.feed.lock().running = false;
        self.app.feed_done.send_modify(|(finished, succeeded)| {
            *finished = (*finished).max(number);
            if ok {
                *succeeded = (*succeeded).max(number);
            }
        });
    }
}

impl Drop for CheckGuard<'_> {
    fn drop(&mut self) {
        if !self.ended {
            let mut feed = self.app.feed.lock();
            feed.running = false;
            // Not counted as done: the waiters look again and one of them
            // starts the check anew.
            feed.started = feed.started.saturating_sub(1);
            drop(feed);
            self.app.feed_done.send_modify(|_| {});
        }
    }
}

/// Runs blocking ledger work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Problem::internal("a worker failed"))?
}

/// The caller, by its token: a role of the policy.
#[derive(Clone, Debug)]
pub struct Caller {
    pub role: String,
}

impl Caller {
    /// The caller's role as the policy declares it now.
    pub(crate) fn role<'a>(&self, app: &'a App) -> Result<&'a tillit_core::policy::Role, Problem> {
        app.policy.roles.get(self.role.as_str()).ok_or_else(|| {
            Problem::forbidden(format!(
                "this token's role `{}` is no longer in the policy",
                self.role
            ))
        })
    }

    /// Refuses a caller whose role does not administer tillit.
    pub(crate) fn administers(&self, app: &App) -> Result<(), Problem> {
        if self.role(app)?.administers {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "only a role that administers tillit (the DPO) may do this; this token is for `{}`",
                self.role
            )))
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    allowed: std::sync::atomic::AtomicU64,
    denied: std::sync::atomic::AtomicU64,
    consents: std::sync::atomic::AtomicU64,
    /// Page views by outcome: queued to be kept; dropped (no consent, or
    /// the decision denied); turned away (the queue was full).
    pub(crate) views_kept: std::sync::atomic::AtomicU64,
    pub(crate) views_dropped: std::sync::atomic::AtomicU64,
    pub(crate) views_turned_away: std::sync::atomic::AtomicU64,
}

impl Metrics {
    fn decided(&self, d: &Decision) {
        self.decided_all(std::slice::from_ref(d));
    }

    fn decided_all(&self, ds: &[Decision]) {
        use std::sync::atomic::Ordering::Relaxed;
        let allowed = ds.iter().filter(|d| d.allowed).count() as u64;
        self.allowed.fetch_add(allowed, Relaxed);
        self.denied.fetch_add(ds.len() as u64 - allowed, Relaxed);
    }
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Problem> {
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                Problem::unauthorized(
                    "send `Authorization: Bearer TOKEN`; a DPO creates one with `tillit token create --role ROLE`",
                )
            })?
            .to_owned();
        let digest = tillit_store::tokens::digest(&secret);
        if let Some(role) = app.trusted_token(&digest) {
            return Ok(Caller { role });
        }
        let held = Arc::clone(app);
        let token = blocking(move || Ok(held.ledgers.with(|l| l.token(&secret))?)).await?;
        match token {
            Some(t) if t.revoked_at.is_none() => {
                app.trust_token(digest, &t.role);
                Ok(Caller { role: t.role })
            }
            Some(t) => Err(Problem::unauthorized(format!(
                "token {} was revoked; ask for a new one",
                t.id
            ))),
            None => Err(Problem::unauthorized("no such token")),
        }
    }
}

/// A JSON body; what does not parse is a problem document.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        parse_json(&bytes).map(Body)
    }
}

/// A JSON body's bytes, to be parsed by [`parse_json`] into a value that
/// borrows from them (a batch's names are not copied).
pub struct JsonBytes(pub axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .is_some_and(|m| {
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not-json",
                "The body is not JSON",
                "send `Content-Type: application/json`",
            ));
        }
        axum::body::Bytes::from_request(req, state)
            .await
            .map(JsonBytes)
            .map_err(|r| {
                if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "too-large",
                        "The body is too large",
                        format!("at most {BODY_LIMIT} bytes"),
                    )
                } else {
                    Problem::bad_request(r.body_text())
                }
            })
    }
}

/// Parses a JSON body: bad JSON is a 400, JSON of the wrong shape a 422,
/// each naming where (`requests[3].at: …`).
pub fn parse_json<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let parsed = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| {
            let path = e.path().to_string();
            (path, e.into_inner())
        })
        .and_then(|v| de.end().map(|()| v).map_err(|e| (".".to_owned(), e)));
    parsed.map_err(|(path, inner)| {
        let detail = if path == "." {
            inner.to_string()
        } else {
            format!("{path}: {inner}")
        };
        if inner.classify() == serde_json::error::Category::Data {
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unexpected-body",
                "The body is not what this route takes",
                detail,
            )
        } else {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "bad-json",
                "The body is not valid JSON",
                detail,
            )
        }
    })
}

/// A query string; what does not parse is a problem document.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Params(v))
            .map_err(|r| Problem::bad_request(r.body_text()))
    }
}

/// The path's parameters (a subject's id, a request's number); what does
/// not parse is a problem document.
pub struct Ids<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Ids<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Ids(v))
            .map_err(|r| Problem::bad_request(r.body_text()))
    }
}

/// Whether the service is up (liveness): it answers as long as the
/// process runs, whatever the database does. A load balancer restarts a
/// node on this.
#[utoipa::path(get, path = "/healthz", tag = "public",
    responses((status = 200, description = "Up", body = String)))]
async fn healthz() -> &'static str {
    "ok"
}

/// Whether the service can answer now (readiness): its database answers
/// and the decision cache has caught up with other processes' writes. A
/// load balancer sends traffic only to nodes that are ready.
#[utoipa::path(get, path = "/readyz", tag = "public",
    responses(
        (status = 200, description = "Ready", body = String),
        (status = 503, description = "The database cannot be reached", content_type = "application/problem+json", body = Problem)))]
async fn readyz(State(app): State<Arc<App>>) -> Result<&'static str, Problem> {
    let held = Arc::clone(&app);
    blocking(move || Ok(held.ledgers.ready()?)).await?;
    app.fresh().await?;
    Ok("ready")
}

#[derive(Deserialize, utoipa::IntoParams)]
struct LangQuery {
    /// `sv` (the default) or `en`; else the first of Accept-Language.
    lang: Option<String>,
}

fn language(query: &LangQuery, headers: &HeaderMap) -> Result<Lang, Problem> {
    if let Some(l) = &query.lang {
        return l.parse().map_err(|_| {
            Problem::bad_request(format!(
                "`{l}` is not a language of the notice; use sv or en"
            ))
        });
    }
    let accepted = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    for tag in accepted.split(',') {
        let tag = tag.split(';').next().unwrap_or_default().trim();
        let primary = tag.split('-').next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("sv") {
            return Ok(Lang::Sv);
        }
        if primary.eq_ignore_ascii_case("en") {
            return Ok(Lang::En);
        }
    }
    Ok(Lang::Sv)
}

/// The rendered notice (HTML, JSON) in the language asked for.
fn notice<'a>(
    app: &'a App,
    query: &LangQuery,
    headers: &HeaderMap,
) -> Result<(Lang, &'a (String, String)), Problem> {
    let lang = language(query, headers)?;
    let index = match lang {
        Lang::Sv => 0,
        Lang::En => 1,
    };
    let rendered = app
        .notice
        .get(index)
        .ok_or_else(|| Problem::internal("no notice"))?;
    Ok((lang, rendered))
}

/// The published privacy notice, as HTML.
#[utoipa::path(get, path = "/privacy", tag = "public", params(LangQuery),
    responses(
        (status = 200, description = "The notice", content_type = "text/html", body = String),
        (status = 400, description = "Unknown language", content_type = "application/problem+json", body = Problem)))]
async fn privacy(
    State(app): State<Arc<App>>,
    Params(query): Params<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (lang, (html, _)) = notice(&app, &query, &headers)?;
    Ok(([(header::CONTENT_LANGUAGE, lang.tag())], Html(html.clone())).into_response())
}

/// The notice as machine-readable JSON (W3C DPV terms).
#[utoipa::path(get, path = "/privacy.json", tag = "public", params(LangQuery),
    responses(
        (status = 200, description = "The notice", content_type = "application/json", body = Object),
        (status = 400, description = "Unknown language", content_type = "application/problem+json", body = Problem)))]
async fn privacy_json(
    State(app): State<Arc<App>>,
    Params(query): Params<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (lang, (_, json)) = notice(&app, &query, &headers)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_LANGUAGE, lang.tag()),
        ],
        json.clone(),
    )
        .into_response())
}

/// This document: every route, as OpenAPI 3.1.
#[utoipa::path(get, path = "/openapi.json", tag = "public",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object)))]
async fn openapi_json(State(app): State<Arc<App>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        app.openapi.get().cloned().unwrap_or_default(),
    )
        .into_response()
}

/// A decision asked: may the caller's role process this category of this
/// subject's data for this purpose, at this time (default: now)?
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionQuestion<'a> {
    #[serde(borrow)]
    #[schema(value_type = String)]
    subject: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    #[schema(value_type = String)]
    purpose: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    #[schema(value_type = String)]
    category: std::borrow::Cow<'a, str>,
    /// RFC 3339; default: now.
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
    /// Only anonymised records or aggregates are processed.
    #[serde(default)]
    anonymised: bool,
    /// `use` (the default) or `store`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    operation: Operation,
}

/// The answer: allowed or not, the basis, the rule that decided and why,
/// in Swedish and English.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionAnswer {
    subject: String,
    role: String,
    purpose: String,
    category: String,
    #[schema(value_type = String, format = DateTime)]
    at: jiff::Timestamp,
    allowed: bool,
    basis: Option<&'static str>,
    basis_dpv: Option<&'static str>,
    rule: &'static str,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<jiff::Timestamp>,
    reason: Reasons,
    /// The rights processing on this basis gives the subject.
    rights: Vec<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reasons {
    sv: String,
    en: String,
}

impl App {
    /// The role of a token checked in force within [`crate::TOKEN_RECHECK`].
    fn trusted_token(&self, digest: &str) -> Option<String> {
        let tokens = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tokens
            .get(digest)
            .filter(|(_, at)| at.elapsed() < crate::TOKEN_RECHECK)
            .map(|(role, _)| role.clone())
    }

    fn trust_token(&self, digest: String, role: &str) {
        let mut tokens = self
            .tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if tokens.len() > 10_000 {
            tokens.retain(|_, (_, at)| at.elapsed() < crate::TOKEN_RECHECK);
        }
        tokens.insert(digest, (role.to_owned(), std::time::Instant::now()));
    }

    fn question(
        &self,
        role: &str,
        q: &DecisionQuestion<'_>,
        now: jiff::Timestamp,
    ) -> Result<(SubjectId, DecisionAsked), Problem> {
        let subject = subject_id(&q.subject)?;
        let rules = self.decider.rules();
        let mut asked = rules.request(role, &q.purpose, &q.category, q.at.unwrap_or(now));
        asked.anonymised = q.anonymised;
        asked.operation = q.operation;
        Ok((subject, asked))
    }

    fn answer(&self, subject: &SubjectId, asked: &DecisionAsked, d: &Decision) -> DecisionAnswer {
        let rules = self.decider.rules();
        let (role, purpose, category) = rules.names(asked);
        let e = rules.explain(d, asked, &self.tz);
        DecisionAnswer {
            subject: subject.to_string(),
            role: role.to_owned(),
            purpose: purpose.to_owned(),
            category: category.to_owned(),
            at: asked.at,
            allowed: e.allowed,
            basis: e.basis,
            basis_dpv: e.basis_dpv,
            rule: e.rule,
            since: e.since,
            reason: Reasons {
                sv: e.reason.sv,
                en: e.reason.en,
            },
            rights: e.rights.iter().map(|r| r.id()).collect(),
        }
    }
}

/// One decision, for the caller's role. A name the policy does not know
/// is a denial, not an error.
#[utoipa::path(post, path = "/v1/decisions", tag = "decisions",
    security(("token" = [])),
    request_body = DecisionQuestion,
    responses(
        (status = 200, description = "Decided (allowed or denied)", body = DecisionAnswer),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "Unexpected body", content_type = "application/problem+json", body = Problem)))]
async fn decide_one(
    State(app): State<Arc<App>>,
    caller: Caller,
    JsonBytes(body): JsonBytes,
) -> Result<axum::Json<DecisionAnswer>, Problem> {
    let q: DecisionQuestion<'_> = parse_json(&body)?;
    let (subject, asked) = app.question(&caller.role, &q, jiff::Timestamp::now())?;
    app.fresh().await?;
    // A subject whose state is in memory is decided here, without a
    // connection.
    let d = match app.decider.decide_cached(&subject, &asked) {
        Some(d) => d,
        None => {
            let (app, subject, asked) = (Arc::clone(&app), subject.clone(), asked.clone());
            blocking(move || {
                Ok(app
                    .ledgers
                    .with(|l| app.decider.decide(l, &subject, &asked))?)
            })
            .await?
        }
    };
    app.metrics.decided(&d);
    Ok(axum::Json(app.answer(&subject, &asked, &d)))
}

/// Many decisions in one call, answered in order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBatch<'a> {
    /// At most 10,000.
    #[serde(borrow)]
    requests: Vec<DecisionQuestion<'a>>,
    /// Answer each with its names, reasons and rights, as
    /// `/v1/decisions` does; by default only the verdict, basis and rule.
    #[serde(default)]
    explain: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionBatchAnswer {
    decisions: Vec<BatchDecision>,
}

/// A verdict alone, or explained.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum BatchDecision {
    Verdict(Verdict),
    Explained(DecisionAnswer),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Verdict {
    allowed: bool,
    basis: Option<&'static str>,
    rule: &'static str,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<jiff::Timestamp>,
}

/// Up to 10,000 decisions for the caller's role, in the order asked: the
/// verdict, basis and rule of each, or everything `/v1/decisions` says
/// with `"explain": true`.
#[utoipa::path(post, path = "/v1/decisions/batch", tag = "decisions",
    security(("token" = [])),
    request_body = DecisionBatch,
    responses(
        (status = 200, description = "Decided, in order", body = DecisionBatchAnswer),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 413, description = "Too many requests in one batch, or too large a body", content_type = "application/problem+json", body = Problem)))]
async fn decide_batch(
    State(app): State<Arc<App>>,
    caller: Caller,
    JsonBytes(body): JsonBytes,
) -> Result<axum::Json<DecisionBatchAnswer>, Problem> {
    let batch: DecisionBatch<'_> = parse_json(&body)?;
    if batch.requests.len() > BATCH_LIMIT {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch-too-large",
            "Too many decisions in one call",
            format!(
                "{} requests; at most {BATCH_LIMIT} per call",
                batch.requests.len()
            ),
        ));
    }
    let now = jiff::Timestamp::now();
    let explain = batch.explain;
    let asked = batch
        .requests
        .iter()
        .enumerate()
        .map(|(i, q)| {
            app.question(&caller.role, q, now).map_err(|mut p| {
                p.detail = format!("request {i}: {}", p.detail);
                p
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    app.fresh().await?;
    blocking(move || {
        let decisions = app.ledgers.with(|l| app.decider.decide_all(l, &asked))?;
        app.metrics.decided_all(&decisions);
        Ok(axum::Json(DecisionBatchAnswer {
            decisions: asked
                .iter()
                .zip(&decisions)
                .map(|((s, a), d)| {
                    if explain {
                        BatchDecision::Explained(app.answer(s, a, d))
                    } else {
                        BatchDecision::Verdict(Verdict {
                            allowed: d.allowed,
                            basis: d.basis.map(tillit_core::policy::LegalBasis::id),
                            rule: d.rule.id(),
                            since: d.rule.since(),
                        })
                    }
                })
                .collect(),
        }))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct AtQuery {
    /// RFC 3339: as things stand then (default: now).
    pub(crate) at: Option<String>,
}

pub(crate) fn subject_id(id: &str) -> Result<SubjectId, Problem> {
    SubjectId::parse(id).map_err(|e| Problem::bad_request(format!("subject id: {e}")))
}

pub(crate) fn instant(at: Option<&str>) -> Result<jiff::Timestamp, Problem> {
    at.map_or_else(
        || Ok(jiff::Timestamp::now()),
        |s| {
            s.parse().map_err(|e| {
                Problem::bad_request(format!(
                    "`{s}` is not an RFC 3339 time ({e}); write e.g. 2026-02-01T09:00:00Z"
                ))
            })
        },
    )
}

/// What the caller's role may see of a subject: the records and
/// disclosures of the categories it needs to know, the consents and
/// objections of its purposes, and counts of what was withheld.
#[utoipa::path(get, path = "/v1/subjects/{id}", tag = "ledger",
    security(("token" = [])),
    params(("id" = String, Path, description = "The subject's id"), AtQuery),
    responses(
        (status = 200, description = "The subject, as the role may see it", body = Object),
        (status = 400, description = "Malformed id or time", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such subject", content_type = "application/problem+json", body = Problem)))]
async fn subject(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<String>,
    Params(query): Params<AtQuery>,
) -> Result<axum::Json<serde_json::Value>, Problem> {
    let id = subject_id(&id)?;
    let at = instant(query.at.as_deref())?;
    caller.role(&app)?;
    blocking(move || {
        let role = caller.role(&app)?;
        let file = app
            .ledgers
            .with(|l| l.subject_file(&id, at))?
            .ok_or_else(|| Problem::not_found(format!("no subject `{id}` in the ledger")))?;
        Ok(axum::Json(tillit_store::view::shown_to(&file, Some(role))))
    })
    .await
}

/// A consent given or withdrawn.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentChangeBody {
    purpose: String,
    given: bool,
    /// How: `web`, `email-link`, `phone`…
    channel: String,
    /// The notice version the subject was shown (default: the current
    /// one, as `tillit notice --print-version` prints it).
    notice_version: Option<String>,
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentRecorded {
    consent: i64,
    subject: String,
    purpose: String,
    given: bool,
}

/// Records a consent given or withdrawn, durably, with its audit entry;
/// the next decision sees it. Only a role that serves the purpose (or
/// the DPO) may.
#[utoipa::path(post, path = "/v1/subjects/{id}/consents", tag = "ledger",
    security(("token" = [])),
    params(("id" = String, Path, description = "The subject's id")),
    request_body = ConsentChangeBody,
    responses(
        (status = 201, description = "Recorded", body = ConsentRecorded),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "The role does not serve the purpose", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such subject", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "Refused (e.g. a purpose that does not rest on consent)", content_type = "application/problem+json", body = Problem)))]
async fn consent(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<String>,
    Body(body): Body<ConsentChangeBody>,
) -> Result<(StatusCode, axum::Json<ConsentRecorded>), Problem> {
    let id = subject_id(&id)?;
    if !caller.role(&app)?.serves(&body.purpose) {
        return Err(Problem::forbidden(format!(
            "role `{}` does not process data for `{}`",
            caller.role, body.purpose
        )));
    }
    let at = body.at.unwrap_or_else(jiff::Timestamp::now);
    let version = body
        .notice_version
        .clone()
        .unwrap_or_else(|| app.notice_version.clone());
    let change = tillit_core::ledger::ConsentChange::new(
        &app.policy,
        id,
        &body.purpose,
        body.given,
        &body.channel,
        &version,
        at,
    )
    .map_err(tillit_store::StoreError::Input)?;
    let recorded = ConsentRecorded {
        consent: 0,
        subject: change.subject.to_string(),
        purpose: change.purpose.to_string(),
        given: change.given,
    };
    let consent = app.consents.write(change).await?;
    app.metrics
        .consents
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok((
        StatusCode::CREATED,
        axum::Json(ConsentRecorded {
            consent,
            ..recorded
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainState {
    intact: bool,
    entries: u64,
    head: String,
    /// What broke the chain, where it is broken.
    message: Option<String>,
}

/// Recomputes the audit chain (the DPO only).
#[utoipa::path(get, path = "/v1/audit/verify", tag = "admin",
    security(("token" = [])),
    responses(
        (status = 200, description = "The chain, intact or not", body = ChainState),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem)))]
async fn audit_verify(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<axum::Json<ChainState>, Problem> {
    caller.administers(&app)?;
    blocking(move || {
        let v = app.ledgers.with(|l| l.verify_audit(&mut |_| {}))?;
        Ok(axum::Json(ChainState {
            intact: v.is_intact(),
            entries: v.entries,
            message: v.broken.as_ref().map(ToString::to_string),
            head: v.head,
        }))
    })
    .await
}

/// Counters in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "public",
    responses((status = 200, description = "Prometheus text", content_type = "text/plain", body = String)))]
async fn metrics(State(app): State<Arc<App>>) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    let m = &app.metrics;
    let text = format!(
        "# HELP tillit_decisions_total Decisions made, by verdict.\n\
         # TYPE tillit_decisions_total counter\n\
         tillit_decisions_total{{verdict=\"allowed\"}} {}\n\
         tillit_decisions_total{{verdict=\"denied\"}} {}\n\
         # HELP tillit_consent_changes_total Consents given or withdrawn through the API.\n\
         # TYPE tillit_consent_changes_total counter\n\
         tillit_consent_changes_total {}\n\
         # HELP tillit_cached_subjects Subjects' decision states held in memory.\n\
         # TYPE tillit_cached_subjects gauge\n\
         tillit_cached_subjects {}\n\
         # HELP tillit_page_views_total Page views sent to /collect, by outcome: kept, dropped (no consent), turned away (the writer's queue was full).\n\
         # TYPE tillit_page_views_total counter\n\
         tillit_page_views_total{{outcome=\"kept\"}} {}\n\
         tillit_page_views_total{{outcome=\"dropped\"}} {}\n\
         tillit_page_views_total{{outcome=\"turned-away\"}} {}\n",
        m.allowed.load(Relaxed),
        m.denied.load(Relaxed),
        m.consents.load(Relaxed),
        app.decider.cache().len(),
        m.views_kept.load(Relaxed),
        m.views_dropped.load(Relaxed),
        m.views_turned_away.load(Relaxed),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}
