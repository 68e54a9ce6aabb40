//! `tillit serve` and `tillit token`: the HTTP API and who may call it.

use std::net::SocketAddr;
use std::process::ExitCode;

use serde_json::json;

use super::{Context, emit_json, say};
use crate::at;

/// Serve the HTTP API: the published notice (`GET /privacy`,
/// `/privacy.json`), decisions (`POST /v1/decisions`, `/v1/decisions/batch`)
/// and `GET /openapi.json`, which lists every route.
///
/// Also the ledger (`/v1/subjects`, records, events, consents,
/// objections, disclosures; for the DPO restrictions, holds, retention
/// and requests), the website side (`/consent.js`, the banner's
/// `/consent`, the visit collector `POST /collect`, anonymous `/stats`)
/// and `/metrics`.
///
/// Every route but the public ones takes `Authorization: Bearer TOKEN`
/// (`tillit token create --role ROLE`); the token's role is the role every
/// decision is asked for. Errors are RFC 9457 problem documents. Requests
/// are logged as JSON lines on stderr by route, never by path, so the log
/// names no subject (`TILLIT_LOG=debug` for more). Ctrl-C or SIGTERM stops
/// it once the requests in flight are answered.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  tillit serve\n  tillit serve --listen 0.0.0.0:8080\n  curl -s localhost:8080/privacy?lang=en\n  curl -s -H \"Authorization: Bearer $TOKEN\" -d '{\"subject\":\"c-000001\",\"purpose\":\"marketing\",\"category\":\"traffic\"}' -H 'Content-Type: application/json' localhost:8080/v1/decisions"
)]
pub struct Args {
    /// Address and port to listen on (port 0: any free one, printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A proxy (address or network, e.g. 10.0.0.0/8) whose
    /// X-Forwarded-For names the visitor's address; repeat for more.
    /// From anyone else the header is ignored.
    #[arg(long = "trusted-proxy", value_name = "NET", value_parser = tillit_core::visit::Network::parse)]
    trusted_proxies: Vec<tillit_core::visit::Network>,
    /// Serve the static pages under DIR at /site/ (e.g.
    /// examples/winston/site, a demo page with the consent banner).
    #[arg(long, value_name = "DIR")]
    site: Option<std::path::PathBuf>,
    /// Serve the notice (and answer access requests with letters) stating
    /// transfer safeguards that are not valid today, instead of refusing
    /// to start. Publishing an invalid safeguard breaches GDPR
    /// Art. 13(1)(f), 5(1)(a) and 44: correct the policy instead whenever
    /// you can.
    #[arg(long)]
    allow_invalid_safeguards: bool,
}

pub fn run(cx: &Context, a: Args) -> anyhow::Result<ExitCode> {
    let policy = cx.policy()?;
    super::refuse_invalid_safeguards(
        &cx.policy,
        &policy,
        at::or_now(None)?.date(),
        a.allow_invalid_safeguards,
    )?;
    let _log = tillit_server::init_logging();
    let mut app = tillit_server::App::new(policy, &cx.db, at::zone()?)?;
    app.trust_proxies(a.trusted_proxies);
    if a.allow_invalid_safeguards {
        app.allow_invalid_safeguards();
    }
    if let Some(dir) = a.site {
        anyhow::ensure!(dir.is_dir(), "--site {}: no such directory", dir.display());
        app.serve_site(dir);
    }
    tillit_server::serve(app, a.listen, |addr| {
        // The first line says where, for whoever started it.
        let _ = say(&format!("listening on http://{addr}"));
    })?;
    Ok(ExitCode::SUCCESS)
}

/// API tokens, each bound to a role of the policy. A token's secret is
/// shown once, when it is created; the ledger keeps only its SHA-256.
#[derive(clap::Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token for a role; prints its secret once.
    Create {
        /// A role of the policy, e.g. support, marketing, dpo.
        #[arg(long)]
        role: String,
        /// What it is for, e.g. the service that uses it.
        #[arg(long)]
        label: Option<String>,
        #[arg(long, value_parser = at::parse, value_name = "TIME")]
        at: Option<jiff::ZonedDateTime>,
        #[arg(long)]
        json: bool,
    },
    /// Every token: id, role, label, created, revoked.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it lets no one in from now on.
    Revoke {
        id: i64,
        #[arg(long, value_parser = at::parse, value_name = "TIME")]
        at: Option<jiff::ZonedDateTime>,
        #[arg(long)]
        json: bool,
    },
}

pub fn token(cx: &Context, command: TokenCommand) -> anyhow::Result<ExitCode> {
    match command {
        TokenCommand::Create {
            role,
            label,
            at,
            json,
        } => {
            let policy = cx.policy()?;
            let role = policy.role_named(&role)?;
            let at = at::or_now(at)?.timestamp();
            let (id, secret) = cx
                .ledger()?
                .write(at, |w| w.create_token(role.as_str(), label.as_deref()))?;
            if json {
                emit_json(&json!({ "id": id, "role": role, "token": secret }))?;
            } else {
                say(&format!(
                    "token {id} for role {role}:\n{secret}\nIt is shown only now; the ledger keeps its hash."
                ))?;
            }
        }
        TokenCommand::List { json } => {
            let tokens = cx.ledger()?.tokens()?;
            if json {
                emit_json(&tokens)?;
            } else if tokens.is_empty() {
                say("no tokens; create one with `tillit token create --role ROLE`")?;
            } else {
                let lines: Vec<String> = tokens
                    .iter()
                    .map(|t| {
                        format!(
                            "{:>4}  {:<16} {:<24} created {}{}",
                            t.id,
                            t.role,
                            t.label.as_deref().unwrap_or("-"),
                            at::shown(t.created_at),
                            t.revoked_at
                                .map(|r| format!(", revoked {}", at::shown(r)))
                                .unwrap_or_default()
                        )
                    })
                    .collect();
                say(&lines.join("\n"))?;
            }
        }
        TokenCommand::Revoke { id, at, json } => {
            let at = at::or_now(at)?.timestamp();
            cx.ledger()?.write(at, |w| w.revoke_token(id))?;
            if json {
                emit_json(&json!({ "id": id, "revoked": true }))?;
            } else {
                say(&format!("token {id} revoked"))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
