//! The website side: the consent banner's script and state, the visit
//! collector and its anonymous statistics.
//!
//! A visitor is a subject whose id is a random consent id, held in a
//! first-party cookie (`tillit_consent`) and nowhere else on their side.
//! Their choices are consent events in the ledger, like any subject's.
//! A page view is kept only when a decision for the policy's collecting
//! purpose (`website.collect-for`) allows it; its address is masked
//! before anything else sees it.
//!
//! Global Privacy Control (`Sec-GPC: 1`) refuses every consent: a page
//! view sent with it is kept only if the visitor's last choice for the
//! purpose was itself made with GPC on (channel `web-gpc`), that is,
//! explicitly against the signal.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tillit_core::Lang;
use tillit_core::identity::SubjectId;
use tillit_core::ledger::{ConsentChange, NewSubject};
use tillit_core::policy::LegalBasis;
use tillit_core::visit::{Network, PageView, Screen, client_address, mask};
use tillit_store::visits::Visit;
use tillit_store::{Ledger, StoreError};
use utoipa::ToSchema;

use crate::api::{Caller, JsonBytes, Params, blocking, parse_json};
use crate::{App, Problem};

/// The cookie that holds a visitor's consent id.
pub const COOKIE: &str = "tillit_consent";
/// Page views waiting to be written, at most; beyond, `/collect` answers
/// 503 and the view is lost.
const QUEUE: usize = 1 << 16;
/// Page views in one transaction, at most.
const GROUP: usize = 8_192;
/// Page views in one `/collect` call, at most.
pub const VIEWS_LIMIT: usize = 100;

/// What the website side needs, fixed when the server starts.
#[derive(Debug)]
pub struct Site {
    /// The purposes the banner asks consent for.
    purposes: Vec<String>,
    /// The decision a page view needs: (role, purpose, category).
    collect: Option<(String, String, String)>,
    trusted_proxies: Vec<Network>,
    views: SyncSender<Visit>,
    /// The banner's script.
    script: &'static str,
}

impl Site {
    pub fn new(
        policy: &tillit_core::Policy,
        url: &str,
        trusted_proxies: Vec<Network>,
    ) -> Result<Site, StoreError> {
        let category = policy
            .kinds
            .get(tillit_core::visit::KIND)
            .map(|k| k.category.to_string());
        // Consent purposes for the page views' category, and those the
        // site's cookies serve.
        let mut purposes: Vec<String> = Vec::new();
        for (id, p) in &policy.purposes {
            let for_views = category
                .as_deref()
                .is_some_and(|c| p.basis.get(c) == Some(&LegalBasis::Consent));
            let for_cookies = policy.cookies.iter().any(|c| c.purposes.contains(id));
            if (for_views || for_cookies) && p.basis.values().any(|b| *b == LegalBasis::Consent) {
                purposes.push(id.to_string());
            }
        }
        // Page views are decided for a role that may process them for
        // the collecting purpose: the role that will read them.
        let collect = match (&policy.website.collect_for, &category) {
            (Some(purpose), Some(category))
                if policy
                    .retention_rule(category, tillit_core::visit::KIND)
                    .is_some() =>
            {
                policy
                    .roles
                    .iter()
                    .find(|(_, r)| r.may(purpose.as_str(), category))
                    .map(|(role, _)| (role.to_string(), purpose.to_string(), category.clone()))
            }
            _ => None,
        };
        if collect.is_none() {
            tracing::warn!(
                "the policy names no purpose, role and retention rule for page views: the collector keeps none"
            );
        }
        let (views, waiting) = std::sync::mpsc::sync_channel(QUEUE);
        let open = {
            let url = url.to_owned();
            move || crate::pool::open(&url, None)
        };
        let mut ledger = Some(open()?);
        std::thread::Builder::new()
            .name("visit-writer".into())
            .spawn(move || write_views(&mut ledger, &open, &waiting))
            .map_err(|e| StoreError::Database(format!("cannot start the visit writer: {e}")))?;
        Ok(Site {
            purposes,
            collect,
            trusted_proxies,
            views,
            script: include_str!("../assets/consent.js"),
        })
    }
}

impl Site {
    pub fn trust(&mut self, proxies: Vec<Network>) {
        self.trusted_proxies = proxies;
    }
}

/// Writes page views as they come, all that wait in one transaction.
fn write_views(
    ledger: &mut Option<Ledger>,
    open: &dyn Fn() -> Result<Ledger, StoreError>,
    waiting: &Receiver<Visit>,
) {
    while let Some(group) = crate::consents::next_group(waiting, GROUP) {
        let at = group.last().map_or_else(jiff::Timestamp::now, |v| v.at);
        let written = crate::consents::connection(ledger, open)
            .and_then(|l| l.write(at, |w| w.add_page_views(&group)));
        if let Err(e) = written {
            tracing::error!(error = %e, views = group.len(), "page views lost");
        }
    }
}

/// The visitor's consent id, from the cookie.
fn visitor(headers: &HeaderMap) -> Option<SubjectId> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .and_then(|(_, v)| {
            let v = v.trim();
            (v.starts_with("v-")
                && v.len() == 34
                && v.bytes().skip(2).all(|b| b.is_ascii_hexdigit()))
            .then(|| SubjectId::parse(v).ok())
            .flatten()
        })
}

fn gpc(headers: &HeaderMap) -> bool {
    headers
        .get("sec-gpc")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "1")
}

fn new_visitor() -> Result<SubjectId, Problem> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| Problem::internal("no randomness for a consent id"))?;
    SubjectId::parse(&format!("v-{}", hex::encode(bytes)))
        .map_err(|_| Problem::internal("a consent id did not parse"))
}

/// The banner's script: include it with
/// `<script src="/consent.js" defer></script>`.
#[utoipa::path(get, path = "/consent.js", tag = "website",
    responses((status = 200, description = "The consent banner", content_type = "text/javascript", body = String)))]
pub async fn script(State(app): State<Arc<App>>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        app.site.script,
    )
        .into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BannerQuery {
    /// The page's language: `sv` (the default) or `en`.
    lang: Option<String>,
}

/// What the banner shows and what the visitor chose: the consent
/// purposes with their names, the cookies, and each purpose's choice.
#[utoipa::path(get, path = "/consent", tag = "website",
    params(BannerQuery),
    responses(
        (status = 200, description = "The banner and the visitor's choices", body = Object),
        (status = 400, description = "Unknown language", content_type = "application/problem+json", body = Problem)))]
pub async fn state(
    State(app): State<Arc<App>>,
    Params(q): Params<BannerQuery>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let lang = match q.lang.as_deref() {
        None => Lang::Sv,
        Some(l) => l
            .split('-')
            .next()
            .unwrap_or_default()
            .parse()
            .unwrap_or(Lang::En),
    };
    let visitor = visitor(&headers);
    let choices = match visitor.clone() {
        None => serde_json::Map::new(),
        Some(v) => {
            let purposes = app.site.purposes.clone();
            let held = Arc::clone(&app);
            blocking(move || {
                let file = held
                    .ledgers
                    .with(|l| l.subject_file(&v, jiff::Timestamp::now()))?;
                Ok(file.map_or_else(serde_json::Map::new, |f| {
                    f.consents
                        .iter()
                        .filter(|c| purposes.contains(&c.purpose))
                        .map(|c| (c.purpose.clone(), Value::Bool(c.given)))
                        .collect()
                }))
            })
            .await?
        }
    };
    let banner = banner(&app, lang);
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({
            "decided": !choices.is_empty(),
            "choices": choices,
            "gpc": gpc(&headers),
            "collect": app.site.collect.as_ref().map(|(_, p, _)| p),
            "notice_version": app.notice_version,
            "banner": banner,
        })),
    )
        .into_response())
}

fn banner(app: &App, lang: Lang) -> Value {
    let sv = lang == Lang::Sv;
    let purposes: Vec<Value> = app
        .site
        .purposes
        .iter()
        .filter_map(|id| app.policy.purposes.get(id.as_str()).map(|p| (id, p)))
        .map(|(id, p)| {
            json!({
                "id": id,
                "name": p.name.get(lang),
                "description": p.description.as_ref().map(|d| d.get(lang)),
            })
        })
        .collect();
    let cookies: Vec<Value> = app
        .policy
        .cookies
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "provider": c.provider,
                "necessary": c.strictly_necessary,
                "description": c.description.as_ref().map(|d| d.get(lang)),
            })
        })
        .collect();
    let t = |sv_text: &'static str, en_text: &'static str| if sv { sv_text } else { en_text };
    json!({
        "lang": lang.tag(),
        "title": t("Cookies och dina val", "Cookies and your choices"),
        "text": t(
            "Vi vill med ditt samtycke använda uppgifter om ditt besök för ändamålen nedan. Du kan ändra dig när som helst under \u{201d}Cookie-inställningar\u{201d}.",
            "With your consent we would like to use data about your visit for the purposes below. You can change your mind at any time under \u{201c}Cookie settings\u{201d}."
        ),
        "accept": t("Godkänn alla", "Accept all"),
        "reject": t("Neka alla", "Reject all"),
        "save": t("Spara mina val", "Save my choices"),
        "choose": t("Välj själv", "Choose"),
        "cookies_label": t("Cookies", "Cookies"),
        "necessary": t("nödvändig", "necessary"),
        "gpc": t(
            "Din webbläsare skickar Global Privacy Control: vi behandlar det som nej till allt tills du själv väljer annat.",
            "Your browser sends Global Privacy Control: we treat it as no to everything until you choose otherwise yourself."
        ),
        "privacy": t("Integritetspolicy", "Privacy policy"),
        "privacy_url": format!("/privacy?lang={}", lang.tag()),
        "purposes": purposes,
        "cookies": cookies,
    })
}

/// A visitor's choice: each purpose given or refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Purpose → given. Purposes not named are left as they were.
    #[schema(value_type = Object)]
    choices: std::collections::BTreeMap<String, bool>,
    /// The notice version the banner showed (default: the current one).
    notice_version: Option<String>,
    /// The page saw `navigator.globalPrivacyControl` (as `Sec-GPC: 1`).
    #[serde(default)]
    gpc: bool,
}

/// Records the visitor's choice as consent events (channel `web`, or
/// `web-gpc` when the browser sends GPC) and sets the cookie with their
/// consent id, new if they had none.
#[utoipa::path(post, path = "/consent", tag = "website",
    request_body = Choice,
    responses(
        (status = 200, description = "Recorded", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "A purpose the banner does not ask about", content_type = "application/problem+json", body = Problem)))]
pub async fn choose(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    JsonBytes(body): JsonBytes,
) -> Result<Response, Problem> {
    let choice: Choice = parse_json(&body)?;
    if choice.choices.len() > app.site.purposes.len() {
        return Err(Problem::bad_request(
            "more choices than the banner asks for",
        ));
    }
    for purpose in choice.choices.keys() {
        if !app.site.purposes.contains(purpose) {
            return Err(
                StoreError::Input(tillit_core::ledger::InputError::Refused(format!(
                    "the banner does not ask about `{purpose}`; it asks about {}",
                    app.site.purposes.join(", ")
                )))
                .into(),
            );
        }
    }
    let visitor = match visitor(&headers) {
        Some(v) => v,
        None => new_visitor()?,
    };
    let at = jiff::Timestamp::now();
    let channel = if gpc(&headers) || choice.gpc {
        "web-gpc"
    } else {
        "web"
    };
    let version = choice
        .notice_version
        .clone()
        .unwrap_or_else(|| app.notice_version.clone());
    let changes = choice
        .choices
        .iter()
        .map(|(purpose, given)| {
            ConsentChange::new(
                &app.policy,
                visitor.clone(),
                purpose,
                *given,
                channel,
                &version,
                at,
            )
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(StoreError::Input)?;
    let id = visitor.clone();
    app.on_ledger(move |_, l| {
        l.write(at, |w| {
            w.ensure_subject(&NewSubject {
                id: id.clone(),
                identifiers: Vec::new(),
            })?;
            for c in &changes {
                w.change_consent(c)?;
            }
            Ok(())
        })
    })
    .await?;
    let max_age = 365 * 24 * 3600;
    let cookie = format!("{COOKIE}={visitor}; Path=/; Max-Age={max_age}; SameSite=Lax; HttpOnly");
    let mut response = axum::Json(json!({
        "choices": choice.choices,
        "channel": channel,
    }))
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// One page view as the page reports it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Beacon {
    /// The page's path; a query or fragment is cut off.
    path: String,
    /// `document.referrer`: only another site's host is kept.
    referrer: Option<String>,
    #[schema(value_type = Option<String>)]
    screen: Option<Screen>,
    /// The page's language.
    lang: Option<String>,
    /// The page saw `navigator.globalPrivacyControl` (as `Sec-GPC: 1`).
    #[serde(default)]
    gpc: bool,
}

/// One page view, or several (`{"views": [...]}`, at most 100).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Beacons {
    Many { views: Vec<Beacon> },
    One(Beacon),
}

/// Takes page views: each kept (address masked) when a decision for the
/// policy's collecting purpose allows it, else dropped; 204 either way,
/// so that a page cannot tell.
#[utoipa::path(post, path = "/collect", tag = "website",
    request_body = Beacons,
    responses(
        (status = 204, description = "Taken (kept or dropped)"),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 503, description = "Too many views waiting", content_type = "application/problem+json", body = Problem)))]
pub async fn collect(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBytes(body): JsonBytes,
) -> Result<StatusCode, Problem> {
    // The address is masked first, before it can reach a log or an error.
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let address: IpAddr = mask(client_address(
        peer.ip(),
        forwarded,
        &app.site.trusted_proxies,
    ));
    let beacons = match parse_json::<Beacons>(&body)? {
        Beacons::One(b) => vec![b],
        Beacons::Many { views } => views,
    };
    if beacons.len() > VIEWS_LIMIT {
        return Err(Problem::bad_request(format!(
            "{} views; at most {VIEWS_LIMIT} per call",
            beacons.len()
        )));
    }
    let own_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase());
    let views = beacons
        .iter()
        .map(|b| {
            PageView::new(
                &b.path,
                b.referrer.as_deref(),
                b.screen,
                b.lang.as_deref(),
                own_host.as_deref(),
            )
            .map_err(Problem::bad_request)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let dropped = || {
        app.metrics
            .views_dropped
            .fetch_add(views.len() as u64, Relaxed);
        Ok(StatusCode::NO_CONTENT)
    };
    let (Some(visitor), Some((role, purpose, category))) = (visitor(&headers), &app.site.collect)
    else {
        return dropped();
    };
    let at = jiff::Timestamp::now();
    let rules = app.decider.rules();
    let mut asked = rules.request(role, purpose, category, at);
    asked.anonymised = true;
    app.fresh().await?;
    let d = match app.decider.decide_cached(&visitor, &asked) {
        Some(d) => d,
        None => {
            let (held, v, a) = (Arc::clone(&app), visitor.clone(), asked.clone());
            blocking(move || Ok(held.ledgers.with(|l| held.decider.decide(l, &v, &a))?)).await?
        }
    };
    if !d.allowed {
        return dropped();
    }
    let signal = gpc(&headers) || beacons.iter().any(|b| b.gpc);
    if signal && d.basis == Some(LegalBasis::Consent) {
        let (held, v, p) = (Arc::clone(&app), visitor.clone(), purpose.clone());
        let channel =
            blocking(move || Ok(held.ledgers.with(|l| l.last_consent_channel(&v, &p))?)).await?;
        if channel.as_deref() != Some("web-gpc") {
            return dropped();
        }
    }
    let day = at.to_zoned_datetime(app.tz.clone()).date();
    let total = views.len() as u64;
    for (sent, view) in (0..).zip(views) {
        let visit = Visit {
            at,
            day,
            view,
            address,
            visitor: visitor.clone(),
        };
        match app.site.views.try_send(visit) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                app.metrics.views_kept.fetch_add(sent, Relaxed);
                app.metrics
                    .views_turned_away
                    .fetch_add(total - sent, Relaxed);
                return Err(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "Too many page views waiting",
                    "the collector is behind; the view was not kept",
                ));
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(Problem::internal("the visit writer has stopped"));
            }
        }
    }
    // Counted once a call: one shared counter touched per view would
    // cost the collector's two threads.
    app.metrics.views_kept.fetch_add(total, Relaxed);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// First day, YYYY-MM-DD (default: 30 days before `to`).
    from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today).
    to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Stats {
    from: String,
    to: String,
    /// Cells with fewer visitors than this are left out.
    suppress_below: u32,
    #[schema(value_type = Vec<Object>)]
    pages: Vec<tillit_store::visits::PageDay>,
    /// Cells left out.
    suppressed: usize,
}

/// Page views per page and day, for a role that may process page views
/// for the collecting purpose (the analyst) or the DPO. A cell with fewer
/// visitors than the policy's `suppress-below` is left out, so the
/// statistics stay anonymous (P8).
#[utoipa::path(get, path = "/stats", tag = "website",
    security(("token" = [])),
    params(StatsQuery),
    responses(
        (status = 200, description = "Views per page and day", body = Stats),
        (status = 400, description = "Malformed day", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "No need to know", content_type = "application/problem+json", body = Problem)))]
pub async fn stats(
    State(app): State<Arc<App>>,
    caller: Caller,
    Params(q): Params<StatsQuery>,
) -> Result<axum::Json<Stats>, Problem> {
    let role = caller.role(&app)?;
    let allowed = role.administers
        || app
            .site
            .collect
            .as_ref()
            .is_some_and(|(_, purpose, category)| role.may(purpose, category));
    if !allowed {
        return Err(Problem::forbidden(format!(
            "role `{}` does not process page views for the purpose they serve",
            caller.role
        )));
    }
    let day = |s: &str| {
        s.parse::<jiff::civil::Date>().map_err(|e| {
            Problem::bad_request(format!("`{s}` is not a day ({e}); write e.g. 2026-11-25"))
        })
    };
    let to = match q.to.as_deref() {
        Some(s) => day(s)?,
        None => jiff::Timestamp::now()
            .to_zoned_datetime(app.tz.clone())
            .date(),
    };
    let from = match q.from.as_deref() {
        Some(s) => day(s)?,
        None => to.checked_sub(jiff::Span::new().days(30)).unwrap_or(to),
    };
    let k = app.policy.website.suppress_below;
    let cells = app.on_ledger(move |_, l| l.page_views(from, to)).await?;
    let total = cells.len();
    let pages: Vec<_> = cells
        .into_iter()
        .filter(|c| c.visitors >= u64::from(k))
        .collect();
    Ok(axum::Json(Stats {
        from: from.to_string(),
        to: to.to_string(),
        suppress_below: k,
        suppressed: total - pages.len(),
        pages,
    }))
}
