//! `tillit serve`: the HTTP API (axum on tokio).
//!
//! Handlers are thin: they check the caller's role, hand the work to the
//! same core and store functions the CLI calls, on a blocking thread with
//! a pooled ledger connection, and answer JSON, or an RFC 9457 problem
//! document for anything refused. Every route is declared once, with its
//! OpenAPI description (utoipa), and `/openapi.json` is built from the
//! same declarations the router is.
//!
//! **Invariant:** a route that touches personal data takes a [`Caller`],
//! which exists only for a token in force, and the role the token is
//! bound to is the role every decision is asked for: a caller can never
//! ask on behalf of a role it does not hold.

mod admin_api;
mod api;
mod consents;
mod ledger_api;
mod pool;
mod problem;
mod website;

use std::net::SocketAddr;
use std::sync::Arc;

use jiff::tz::TimeZone;
use tillit_core::Policy;
use tillit_core::decide::Rules;
use tillit_store::decisions::{Decider, Follower};

pub use problem::Problem;

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 1 << 20;
/// Most requests one batch decision call takes.
pub const BATCH_LIMIT: usize = 10_000;
/// How long a request may take before it is answered with a problem.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a token found in force is trusted without asking the ledger
/// again: a revocation takes effect within this.
pub const TOKEN_RECHECK: std::time::Duration = std::time::Duration::from_secs(1);
/// Subjects' decision states kept in memory.
const CACHE_SUBJECTS: usize = 250_000;

/// What every handler shares.
#[derive(Debug)]
pub struct App {
    policy: Policy,
    decider: Decider,
    /// Keeps the decider's cache current with other processes' writes.
    follower: Follower,
    /// Checks of the change feed, numbered as they start (PostgreSQL).
    feed: FeedGate,
    /// The last check that ended, and the last that succeeded.
    feed_done: tokio::sync::watch::Sender<(u64, u64)>,
    ledgers: pool::Pool,
    tz: TimeZone,
    /// The rendered notice, by language: (html, json).
    notice: [(String, String); 2],
    /// The notice's version, as a consent given now records it.
    notice_version: String,
    /// The OpenAPI document, once the router is built.
    openapi: std::sync::OnceLock<String>,
    metrics: api::Metrics,
    consents: consents::ConsentWriter,
    /// The consent banner and the visit collector.
    site: website::Site,
    /// Static pages served at `/site/`.
    site_dir: Option<std::path::PathBuf>,
    /// Letters may state a transfer safeguard that is not valid on the day
    /// answered (`serve --allow-invalid-safeguards`).
    allow_invalid_safeguards: bool,
    /// Tokens seen in force lately: SHA-256 → (role, when checked).
    tokens: std::sync::Mutex<std::collections::HashMap<String, (String, std::time::Instant)>>,
}

/// Where the checks of the change feed stand.
#[derive(Debug, Default)]
pub(crate) struct FeedGate {
    state: std::sync::Mutex<FeedState>,
}

#[derive(Debug, Default)]
pub(crate) struct FeedState {
    pub(crate) started: u64,
    pub(crate) running: bool,
}

impl FeedGate {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, FeedState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl App {
    /// The service over the ledger at `url` under `policy`; opens (and
    /// migrates) the ledger once to check it.
    pub fn new(policy: Policy, url: &str, tz: TimeZone) -> Result<App, tillit_store::StoreError> {
        // Opened once to migrate it; the pool opens its own connections.
        let mut first = tillit_store::Ledger::open(url)?;
        let decider = Decider::new(Rules::new(&policy), CACHE_SUBJECTS, &mut first);
        drop(first);
        let follower = Follower::new(url, Arc::clone(decider.cache()))?;
        let consents = consents::ConsentWriter::start(url, Arc::clone(decider.cache()))?;
        let ledgers = pool::Pool::new(url, Arc::clone(decider.cache()), pool::CHECKOUT);
        let notice = [tillit_core::Lang::Sv, tillit_core::Lang::En].map(|lang| {
            (
                tillit_core::notice::html(&policy, lang),
                tillit_core::notice::json(&policy, lang).to_string(),
            )
        });
        let notice_version = tillit_core::notice::version(&policy);
        let site = website::Site::new(&policy, url, Vec::new())?;
        Ok(App {
            site,
            site_dir: None,
            notice_version,
            policy,
            decider,
            follower,
            feed: FeedGate::default(),
            feed_done: tokio::sync::watch::Sender::new((0, 0)),
            ledgers,
            tz,
            notice,
            openapi: std::sync::OnceLock::new(),
            metrics: api::Metrics::default(),
            consents,
            allow_invalid_safeguards: false,
            tokens: std::sync::Mutex::default(),
        })
    }
}

impl App {
    /// Trusts `X-Forwarded-For` from these proxies (and only them) for
    /// the visitor's address.
    pub fn trust_proxies(&mut self, proxies: Vec<tillit_core::visit::Network>) {
        self.site.trust(proxies);
    }

    /// Lets the access and portability letters state a transfer safeguard
    /// that is not valid on the day answered; the operator has chosen to
    /// publish the notice with it too.
    pub fn allow_invalid_safeguards(&mut self) {
        self.allow_invalid_safeguards = true;
    }

    /// Serves the files under `dir` at `/site/` (the demo site).
    pub fn serve_site(&mut self, dir: std::path::PathBuf) {
        self.site_dir = Some(dir);
    }
}

/// The router and the OpenAPI document that describes it.
pub fn router(app: Arc<App>) -> (axum::Router, utoipa::openapi::OpenApi) {
    api::router(app)
}

/// Logs as JSON lines on stderr, at the level `TILLIT_LOG` names (an
/// `EnvFilter`, default `info`). Log lines name routes by their
/// template and carry no personal data. Lines are written by a thread of
/// their own, so that no request waits for stderr; keep the returned
/// guard until the end, when it writes what is left.
#[must_use = "dropping the guard stops the log"]
pub fn init_logging() -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TILLIT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        // Under a flood, a line is dropped rather than a request slowed.
        .lossy(true)
        .finish(std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(writer)
        .try_init();
    guard
}

/// Serves `app` on `listener` until Ctrl-C or SIGTERM, then lets the
/// requests in flight finish. `ready` is told the address once it
/// listens.
pub fn serve(app: App, listen: SocketAddr, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    // Blocking work waits for one of the pool's connections anyway: more
    // threads than that would only wait, each with its stack and heap.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(2 * pool::MAX as usize)
        .build()?;
    let app = Arc::new(app);
    let served = runtime.block_on({
        let app = Arc::clone(&app);
        async move {
            // Listen for the signals before anything else, so that a stop
            // asked for at any point after "listening" is graceful.
            let stop = stop_signal()?;
            let listener = tokio::net::TcpListener::bind(listen).await?;
            ready(listener.local_addr()?);
            let (router, _) = router(app);
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(stop)
            .await
        }
    });
    // The ledgers close outside the runtime: PostgreSQL's client blocks
    // on a runtime of its own to say goodbye.
    drop(runtime);
    drop(app);
    served
}

/// Resolves on Ctrl-C or SIGTERM.
fn stop_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}
