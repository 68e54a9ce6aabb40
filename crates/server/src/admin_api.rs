//! The DPO's routes: retention plan and sweep, data subjects' requests,
//! the audit chain's head. Every one refuses a role that does not
//! administer tillit.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tillit_core::case::{KIND_NAMES, kind_name, kind_named};
use tillit_core::retention::Schedule;
use tillit_store::answer::Particulars;
use tillit_store::requests::Filter;
use tillit_store::retention::SweepOptions;
use utoipa::ToSchema;

use crate::api::{AtQuery, Body, Caller, Ids, Params, instant, subject_id};
use crate::{App, Problem};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// RFC 3339: judge the ledger then (default: now).
    at: Option<String>,
    /// RFC 3339: list what falls due by then (default: `at`).
    until: Option<String>,
    /// Count what is kept, and why, too.
    #[serde(default)]
    all: bool,
}

/// What falls due by `until`, by rule, action and day, judged at `at`
/// (the DPO only). Changes nothing.
#[utoipa::path(get, path = "/v1/retention/plan", tag = "admin",
    security(("token" = [])),
    params(PlanQuery),
    responses(
        (status = 200, description = "The plan", body = Object),
        (status = 400, description = "Malformed time, or `until` before `at`", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem)))]
pub async fn retention_plan(
    State(app): State<Arc<App>>,
    caller: Caller,
    Params(q): Params<PlanQuery>,
) -> Result<axum::Json<Value>, Problem> {
    caller.administers(&app)?;
    let at = instant(q.at.as_deref())?;
    let until = match q.until.as_deref() {
        Some(u) => instant(Some(u))?,
        None => at,
    };
    if until < at {
        return Err(Problem::bad_request(
            "`until` is before `at`: a plan looks ahead",
        ));
    }
    app.on_ledger(move |app, l| {
        let schedule = Schedule::new(&app.policy, app.tz.clone());
        let (plan, _) = tillit_store::retention::plan(l, &schedule, at, until, q.all)?;
        Ok(axum::Json(json!({
            "at": plan.at,
            "until": plan.until,
            "judged": plan.records,
            "total_due": plan.total_due(),
            "due": plan.due,
            "kept": plan.kept,
        })))
    })
    .await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepBody {
    /// RFC 3339: handle what is due then (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
    /// Say what would be handled; change nothing.
    #[serde(default)]
    dry_run: bool,
    /// Records per transaction (default 10,000; at most 1,000,000).
    batch: Option<usize>,
}

/// Erases or anonymises every record due (the DPO only), in batches that
/// each commit whole with their audit entries; safe to run again.
#[utoipa::path(post, path = "/v1/retention/sweep", tag = "admin",
    security(("token" = [])),
    request_body = SweepBody,
    responses(
        (status = 200, description = "What was handled", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem)))]
pub async fn retention_sweep(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<SweepBody>,
) -> Result<axum::Json<Value>, Problem> {
    caller.administers(&app)?;
    let batch = body.batch.unwrap_or(10_000);
    if !(1..=1_000_000).contains(&batch) {
        return Err(Problem::bad_request("`batch` is from 1 to 1000000"));
    }
    let options = SweepOptions {
        at: body.at.unwrap_or_else(jiff::Timestamp::now),
        batch,
        dry_run: body.dry_run,
        purge: true,
    };
    app.on_ledger(move |app, l| {
        let schedule = Schedule::new(&app.policy, app.tz.clone());
        let summary = tillit_store::retention::sweep(l, &schedule, options, &mut |_, _| {})?;
        Ok(axum::Json(json!({
            "dry_run": options.dry_run,
            "handled": summary.total_handled(),
            "summary": summary,
        })))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequestBody {
    subject: String,
    /// access, rectification, erasure, restriction, portability,
    /// objection or withdrawal.
    kind: String,
    /// RFC 3339: when it reached Winston (default: now); the month runs
    /// from then.
    #[schema(value_type = Option<String>, format = DateTime)]
    received: Option<jiff::Timestamp>,
}

/// Opens a data subject's request as a case due one month from receipt
/// (the DPO only).
#[utoipa::path(post, path = "/v1/requests", tag = "requests",
    security(("token" = [])),
    request_body = NewRequestBody,
    responses(
        (status = 201, description = "Opened", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such subject", content_type = "application/problem+json", body = Problem)))]
pub async fn open_request(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<NewRequestBody>,
) -> Result<(StatusCode, axum::Json<Value>), Problem> {
    caller.administers(&app)?;
    let subject = subject_id(&body.subject)?;
    let kind = kind_named(&body.kind).ok_or_else(|| {
        Problem::bad_request(format!(
            "`{}` is not a kind of request; use one of {}",
            body.kind,
            KIND_NAMES.join(", ")
        ))
    })?;
    let received = body.received.unwrap_or_else(jiff::Timestamp::now);
    app.on_ledger(move |app, l| {
        let id = l.write(received, |w| {
            w.open_request(&subject, kind, received, &app.tz)
        })?;
        let case = l
            .request(id)?
            .ok_or(tillit_store::StoreError::NoSuchRequest(id))?;
        Ok((
            StatusCode::CREATED,
            axum::Json(case.report(received, &app.tz)),
        ))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// Only cases open past their deadline.
    #[serde(default)]
    overdue: bool,
    /// Only cases due on or before this day (YYYY-MM-DD).
    due_before: Option<String>,
    /// Closed cases too.
    #[serde(default)]
    all: bool,
    /// RFC 3339: the clock as it stands then (default: now).
    at: Option<String>,
}

/// The queue of requests, the earliest deadline first (the DPO only).
#[utoipa::path(get, path = "/v1/requests", tag = "requests",
    security(("token" = [])),
    params(QueueQuery),
    responses(
        (status = 200, description = "The cases", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem)))]
pub async fn list_requests(
    State(app): State<Arc<App>>,
    caller: Caller,
    Params(q): Params<QueueQuery>,
) -> Result<axum::Json<Value>, Problem> {
    caller.administers(&app)?;
    let at = instant(q.at.as_deref())?;
    let due_by = q
        .due_before
        .as_deref()
        .map(|d| {
            d.parse::<jiff::civil::Date>().map_err(|e| {
                Problem::bad_request(format!(
                    "due_before `{d}` is not a date ({e}); write e.g. 2026-12-01"
                ))
            })
        })
        .transpose()?;
    app.on_ledger(move |app, l| {
        let cases = l.requests(
            Filter {
                closed: q.all,
                overdue_at: q.overdue.then_some(at),
                due_by,
            },
            &app.tz,
        )?;
        Ok(axum::Json(json!({
            "requests": cases.iter().map(|c| c.report(at, &app.tz)).collect::<Vec<_>>(),
        })))
    })
    .await
}

/// One case and its clock (the DPO only).
#[utoipa::path(get, path = "/v1/requests/{id}", tag = "requests",
    security(("token" = [])),
    params(("id" = i64, Path, description = "The request"), AtQuery),
    responses(
        (status = 200, description = "The case", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such request", content_type = "application/problem+json", body = Problem)))]
pub async fn show_request(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<i64>,
    Params(q): Params<AtQuery>,
) -> Result<axum::Json<Value>, Problem> {
    caller.administers(&app)?;
    let at = instant(q.at.as_deref())?;
    app.on_ledger(move |app, l| {
        let case = l
            .request(id)?
            .ok_or(tillit_store::StoreError::NoSuchRequest(id))?;
        Ok(axum::Json(case.report(at, &app.tz)))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// Who verified the subject's identity.
    by: String,
    /// How, e.g. `bankid`.
    method: String,
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

/// Records how the subject's identity was verified; no data leaves
/// before (the DPO only).
#[utoipa::path(post, path = "/v1/requests/{id}/verify", tag = "requests",
    security(("token" = [])),
    params(("id" = i64, Path, description = "The request")),
    request_body = VerifyBody,
    responses(
        (status = 200, description = "Verified", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such request", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Closed already", content_type = "application/problem+json", body = Problem)))]
pub async fn verify_request(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<i64>,
    Body(body): Body<VerifyBody>,
) -> Result<axum::Json<Value>, Problem> {
    caller.administers(&app)?;
    let at = body.at.unwrap_or_else(jiff::Timestamp::now);
    app.on_ledger(move |_, l| {
        l.write(at, |w| w.verify_request(id, &body.by, &body.method))?;
        Ok(axum::Json(json!({ "request": id, "verified": true })))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    /// 1 or 2 (Art. 12(3)).
    months: u8,
    /// Why, as the subject is told.
    reason: String,
    /// RFC 3339 (default: now); must lie in the first month.
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

/// Extends a case by up to two months, decided within the first (the
/// DPO only).
#[utoipa::path(post, path = "/v1/requests/{id}/extend", tag = "requests",
    security(("token" = [])),
    params(("id" = i64, Path, description = "The request")),
    request_body = ExtendBody,
    responses(
        (status = 200, description = "The new deadline", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such request", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "Too late, or too long", content_type = "application/problem+json", body = Problem)))]
pub async fn extend_request(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<i64>,
    Body(body): Body<ExtendBody>,
) -> Result<axum::Json<Value>, Problem> {
    caller.administers(&app)?;
    let at = body.at.unwrap_or_else(jiff::Timestamp::now);
    app.on_ledger(move |app, l| {
        let clock = l.write(at, |w| {
            w.extend_request(id, body.months, &body.reason, &app.tz)
        })?;
        Ok(axum::Json(json!({
            "request": id,
            "due_on": clock.due_on,
            "extended_months": clock.extended_months,
        })))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// withdrawal: the purpose (default: every purpose consented to);
    /// objection: the purpose objected to.
    purpose: Option<String>,
    /// objection to legitimate-interest processing: the outcome of the
    /// balancing of interests.
    assessment: Option<String>,
    /// restriction: accuracy-contested, unlawful, legal-claims or
    /// objection-pending (Art. 18(1)).
    ground: Option<String>,
    /// rectification: the record.
    record: Option<i64>,
    /// rectification: its corrected content.
    #[schema(value_type = Option<Object>)]
    content: Option<Value>,
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

/// Carries out the right and closes the case with its response (the DPO
/// only), exactly as `tillit request answer` does: access and
/// portability answer with the report; erasure erases what no statutory
/// minimum, open claim or hold keeps; a right the legal basis does not
/// give is closed as refused, with the reason.
#[utoipa::path(post, path = "/v1/requests/{id}/answer", tag = "requests",
    security(("token" = [])),
    params(("id" = i64, Path, description = "The request")),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "Answered", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such request", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "Closed already, or the identity is not verified", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "A particular the right needs is missing", content_type = "application/problem+json", body = Problem)))]
pub async fn answer_request(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<i64>,
    Body(body): Body<AnswerBody>,
) -> Result<axum::Json<Value>, Problem> {
    caller.administers(&app)?;
    let at = body.at.unwrap_or_else(jiff::Timestamp::now);
    app.on_ledger(move |app, l| {
        let schedule = Schedule::new(&app.policy, app.tz.clone());
        let particulars = Particulars {
            purpose: body.purpose,
            assessment: body.assessment,
            ground: body.ground,
            record: body.record,
            content: body.content,
            allow_invalid_safeguards: app.allow_invalid_safeguards,
        };
        let a = tillit_store::answer::answer(l, &schedule, id, &particulars, at)?;
        Ok(axum::Json(json!({
            "request": a.request,
            "kind": kind_name(a.kind),
            "outcome": a.outcome,
            "response": a.response,
            "response_sha256": a.digest,
        })))
    })
    .await
}

/// The audit chain's last entry (the DPO only): what to write down to
/// prove later that nothing before it changed.
#[utoipa::path(get, path = "/v1/audit/head", tag = "admin",
    security(("token" = [])),
    responses(
        (status = 200, description = "The head", body = Object),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem)))]
pub async fn audit_head(
    State(app): State<Arc<App>>,
    caller: Caller,
) -> Result<axum::Json<Value>, Problem> {
    caller.administers(&app)?;
    app.on_ledger(|_, l| {
        let (seq, head) = l.audit_head()?;
        Ok(axum::Json(json!({ "entries": seq, "head": head })))
    })
    .await
}
