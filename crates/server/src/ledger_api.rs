//! The ledger's routes: subjects, records, lifecycle events, objections,
//! restrictions, holds and disclosures. Each checks the caller's need to
//! know, then validates with the same core constructors and writes with
//! the same store transaction the CLI uses.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tillit_core::identity::{Identifier, SubjectId};
use tillit_core::ledger::{
    NewDisclosure, NewEvent, NewObjection, NewRecord, NewSubject, RecordRequest, RestrictionGround,
};
use tillit_core::policy::LegalBasis;
use utoipa::ToSchema;

use crate::api::{Body, Caller, Ids, Params, blocking, subject_id};
use crate::{App, Problem};

/// A write's answer: 201 and what was recorded.
type Created = Result<(StatusCode, axum::Json<Value>), Problem>;

fn created(v: Value) -> (StatusCode, axum::Json<Value>) {
    (StatusCode::CREATED, axum::Json(v))
}

impl App {
    /// The time a write is recorded at: the one given, else now.
    fn when(at: Option<jiff::Timestamp>) -> jiff::Timestamp {
        at.unwrap_or_else(jiff::Timestamp::now)
    }

    /// Runs `work` on a pooled ledger off the async threads.
    pub(crate) async fn on_ledger<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&App, &mut tillit_store::Ledger) -> Result<T, tillit_store::StoreError>
        + Send
        + 'static,
    ) -> Result<T, Problem> {
        let app = Arc::clone(self);
        blocking(move || Ok(app.ledgers.with(|l| work(&app, l))?)).await
    }
}

impl Caller {
    /// Refuses a role without a need to know `category`.
    fn sees(&self, app: &App, category: &str) -> Result<(), Problem> {
        if self.role(app)?.sees(category) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "role `{}` has no need to know data of category `{category}`",
                self.role
            )))
        }
    }

    /// Refuses a role that does not process data for `purpose`.
    pub(crate) fn serves(&self, app: &App, purpose: &str) -> Result<(), Problem> {
        if self.role(app)?.serves(purpose) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "role `{}` does not process data for `{purpose}`",
                self.role
            )))
        }
    }

    /// Refuses a role that handles no contract or legal obligation:
    /// lifecycle events (a contract started, an invoice paid) are theirs
    /// to record.
    fn keeps_contracts(&self, app: &App) -> Result<(), Problem> {
        let role = self.role(app)?;
        let keeps = role.administers
            || role.access.iter().any(|(purpose, categories)| {
                app.policy.purposes.get(purpose).is_some_and(|p| {
                    categories.iter().any(|c| {
                        matches!(
                            p.basis.get(c),
                            Some(LegalBasis::Contract | LegalBasis::LegalObligation)
                        )
                    })
                })
            });
        if keeps {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "role `{}` handles no contract or legal obligation, so records no lifecycle events",
                self.role
            )))
        }
    }

    /// Refuses a role that may not see a personnummer in full.
    fn sees_personnummer(&self, app: &App, given: bool) -> Result<(), Problem> {
        if given && !self.role(app)?.sees_personnummer {
            return Err(Problem::forbidden(format!(
                "role `{}` may not handle a personnummer in full",
                self.role
            )));
        }
        Ok(())
    }
}

/// How a subject is looked up, or what is known of one being added.
#[derive(Debug, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Identifiers {
    email: Option<String>,
    phone: Option<String>,
    /// Only roles that may see it in full may give it.
    personnummer: Option<String>,
}

impl Identifiers {
    fn parse(
        &self,
        app: &App,
        caller: &Caller,
        at: jiff::Timestamp,
    ) -> Result<Vec<Identifier>, Problem> {
        caller.sees_personnummer(app, self.personnummer.is_some())?;
        let today = at.to_zoned_datetime(app.tz.clone()).date();
        Identifier::each(
            self.email.as_deref(),
            self.phone.as_deref(),
            self.personnummer.as_deref(),
            today,
        )
        .map_err(|e| Problem::bad_request(e.to_string()))
    }
}

/// A subject to add, under an id of the caller's choosing.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubjectBody {
    id: String,
    email: Option<String>,
    phone: Option<String>,
    personnummer: Option<String>,
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

/// Adds a subject; the audit chain names it by a random pseudonym.
#[utoipa::path(post, path = "/v1/subjects", tag = "ledger",
    security(("token" = [])),
    request_body = NewSubjectBody,
    responses(
        (status = 201, description = "Added", body = Object),
        (status = 400, description = "Malformed id or identifier", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "A personnummer from a role that may not see one", content_type = "application/problem+json", body = Problem),
        (status = 409, description = "The id or an identifier is taken", content_type = "application/problem+json", body = Problem)))]
pub async fn add_subject(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<NewSubjectBody>,
) -> Created {
    let at = App::when(body.at);
    let subject = NewSubject {
        id: subject_id(&body.id)?,
        identifiers: Identifiers {
            email: body.email,
            phone: body.phone,
            personnummer: body.personnummer,
        }
        .parse(&app, &caller, at)?,
    };
    let pseudonym = app
        .on_ledger(move |_, l| {
            l.write(at, |w| w.add_subject(&subject))
                .map(|p| (subject.id, p))
        })
        .await?;
    Ok(created(
        json!({ "subject": pseudonym.0, "pseudonym": pseudonym.1 }),
    ))
}

/// Finds the subject an identifier belongs to (give exactly one).
#[utoipa::path(get, path = "/v1/subjects", tag = "ledger",
    security(("token" = [])),
    params(Identifiers),
    responses(
        (status = 200, description = "Found", body = Object),
        (status = 400, description = "Not exactly one identifier, or a malformed one", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No subject has it", content_type = "application/problem+json", body = Problem)))]
pub async fn find_subject(
    State(app): State<Arc<App>>,
    caller: Caller,
    Params(query): Params<Identifiers>,
) -> Result<axum::Json<Value>, Problem> {
    let identifiers = query.parse(&app, &caller, jiff::Timestamp::now())?;
    let [identifier] = <[Identifier; 1]>::try_from(identifiers).map_err(|_| {
        Problem::bad_request("give exactly one of ?email=, ?phone= or ?personnummer=")
    })?;
    let kind = identifier.kind();
    let found = app.on_ledger(move |_, l| l.find(&identifier)).await?;
    match found {
        Some(id) => Ok(axum::Json(json!({ "subject": id }))),
        None => Err(Problem::not_found(format!("no subject has that {kind}"))),
    }
}

/// A record of personal data, of a category and kind the policy declares.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRecordBody {
    category: String,
    kind: String,
    /// Where the data came from: `subject`, `public-register`…
    source: String,
    /// The register, for data from others (default: the policy's).
    register: Option<String>,
    /// A contract or invoice number the record belongs to.
    #[serde(rename = "ref")]
    reference: Option<String>,
    /// Accounting material even if its kind is not.
    #[serde(default)]
    accounting: bool,
    /// The data itself.
    #[schema(value_type = Option<Object>)]
    payload: Option<Value>,
    /// When it was collected, RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
    /// The record's own date, YYYY-MM-DD, where it differs from
    /// collection (an invoice's date: its fiscal year decides how long the
    /// Bookkeeping Act keeps it).
    #[schema(value_type = Option<String>, format = Date)]
    dated: Option<jiff::civil::Date>,
}

/// Adds a record; the role must need to know its category.
#[utoipa::path(post, path = "/v1/subjects/{id}/records", tag = "ledger",
    security(("token" = [])),
    params(("id" = String, Path, description = "The subject's id")),
    request_body = NewRecordBody,
    responses(
        (status = 201, description = "Added", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "No need to know the category", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such subject", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "Refused by the policy", content_type = "application/problem+json", body = Problem)))]
pub async fn add_record(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<String>,
    Body(body): Body<NewRecordBody>,
) -> Created {
    let subject = subject_id(&id)?;
    caller.sees(&app, &body.category)?;
    let at = App::when(body.at);
    let record = NewRecord::new(
        &app.policy,
        RecordRequest {
            subject,
            category: &body.category,
            kind: &body.kind,
            source: &body.source,
            register: body.register.as_deref(),
            reference: body.reference,
            accounting: body.accounting,
            payload: body.payload,
            collected_at: at.to_zoned_datetime(app.tz.clone()),
            dated: body.dated,
        },
    )
    .map_err(tillit_store::StoreError::Input)?;
    app.on_ledger(move |_, l| {
        let id = l.write(at, |w| w.add_record(&record))?;
        Ok(created(json!({
            "record": id,
            "subject": record.subject,
            "accounting": record.accounting,
            "register": record.register,
            "inform_by": record.inform_by,
        })))
    })
    .await
}

/// A lifecycle event: a contract started or ended, an invoice issued or
/// paid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEventBody {
    /// An event of the policy, e.g. `contract-start`.
    kind: String,
    /// The contract or invoice it concerns.
    #[serde(rename = "ref")]
    reference: String,
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

/// Records a lifecycle event, the fact retention counts from; roles that
/// handle a contract or legal obligation may.
#[utoipa::path(post, path = "/v1/subjects/{id}/events", tag = "ledger",
    security(("token" = [])),
    params(("id" = String, Path, description = "The subject's id")),
    request_body = NewEventBody,
    responses(
        (status = 201, description = "Recorded", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "The role handles no contract", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such subject", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "Refused by the policy", content_type = "application/problem+json", body = Problem)))]
pub async fn add_event(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<String>,
    Body(body): Body<NewEventBody>,
) -> Created {
    let subject = subject_id(&id)?;
    caller.keeps_contracts(&app)?;
    let at = App::when(body.at);
    let event = NewEvent::new(&app.policy, subject, &body.kind, &body.reference, at)
        .map_err(tillit_store::StoreError::Input)?;
    app.on_ledger(move |_, l| {
        let id = l.write(at, |w| w.add_event(&event))?;
        Ok(created(
            json!({ "event": id, "subject": event.subject, "kind": event.kind }),
        ))
    })
    .await
}

/// An objection to processing for a purpose.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionBody {
    purpose: String,
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

/// Records an objection (Art. 21): direct marketing stops absolutely,
/// other legitimate-interest processing unless compelling grounds
/// override it. A role that serves the purpose (or the DPO) may.
#[utoipa::path(post, path = "/v1/subjects/{id}/objections", tag = "ledger",
    security(("token" = [])),
    params(("id" = String, Path, description = "The subject's id")),
    request_body = ObjectionBody,
    responses(
        (status = 201, description = "Recorded", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "The role does not serve the purpose", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such subject", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "Refused (the purpose does not rest on legitimate interest)", content_type = "application/problem+json", body = Problem)))]
pub async fn object(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<String>,
    Body(body): Body<ObjectionBody>,
) -> Created {
    let subject = subject_id(&id)?;
    caller.serves(&app, &body.purpose)?;
    let at = App::when(body.at);
    let objection = NewObjection::new(&app.policy, subject, &body.purpose, at)
        .map_err(tillit_store::StoreError::Input)?;
    app.on_ledger(move |_, l| {
        let id = l.write(at, |w| w.object(&objection))?;
        Ok(created(json!({
            "objection": id,
            "subject": objection.subject,
            "purpose": objection.purpose,
            "absolute": objection.absolute,
        })))
    })
    .await
}

/// A restriction of processing (Art. 18).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictionBody {
    /// accuracy-contested, unlawful, legal-claims or objection-pending.
    ground: String,
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

/// Restricts processing of the subject's data (the DPO only): only
/// storage and legal claims go on.
#[utoipa::path(post, path = "/v1/subjects/{id}/restrictions", tag = "ledger",
    security(("token" = [])),
    params(("id" = String, Path, description = "The subject's id")),
    request_body = RestrictionBody,
    responses(
        (status = 201, description = "In force", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such subject", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "Unknown ground", content_type = "application/problem+json", body = Problem)))]
pub async fn restrict(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<String>,
    Body(body): Body<RestrictionBody>,
) -> Created {
    let subject = subject_id(&id)?;
    caller.administers(&app)?;
    let ground = RestrictionGround::parse(&body.ground).map_err(tillit_store::StoreError::Input)?;
    let at = App::when(body.at);
    app.on_ledger(move |_, l| {
        let id = l.write(at, |w| w.restrict(&subject, ground, at))?;
        Ok(created(
            json!({ "restriction": id, "subject": subject, "ground": ground.id() }),
        ))
    })
    .await
}

/// When, for a change that needs nothing else.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AtBody {
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

/// Lifts a restriction (the DPO only).
#[utoipa::path(post, path = "/v1/subjects/{id}/restrictions/{restriction}/lift", tag = "ledger",
    security(("token" = [])),
    params(("id" = String, Path, description = "The subject's id"),
        ("restriction" = i64, Path, description = "The restriction")),
    request_body = AtBody,
    responses(
        (status = 200, description = "Lifted", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such restriction in force", content_type = "application/problem+json", body = Problem)))]
pub async fn lift_restriction(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids((id, restriction)): Ids<(String, i64)>,
    Body(body): Body<AtBody>,
) -> Result<axum::Json<Value>, Problem> {
    let subject = subject_id(&id)?;
    caller.administers(&app)?;
    let at = App::when(body.at);
    app.on_ledger(move |_, l| {
        l.write(at, |w| w.lift_restriction(&subject, restriction, at))?;
        Ok(axum::Json(
            json!({ "restriction": restriction, "subject": subject, "lifted": true }),
        ))
    })
    .await
}

/// A legal hold: nothing of the subject's that it keeps is erased while it
/// stands. It names what it keeps: `"all": true`, or the categories and
/// kinds the claim concerns.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// Who places it.
    by: String,
    /// Why: the claim or proceedings.
    reason: String,
    /// It keeps everything of the subject's.
    #[serde(default)]
    all: bool,
    /// It keeps records of these categories.
    #[serde(default)]
    categories: Vec<String>,
    /// It keeps records of these kinds.
    #[serde(default)]
    kinds: Vec<String>,
    /// When it is to be reviewed, YYYY-MM-DD (default: a year after it is
    /// placed).
    #[schema(value_type = Option<String>, format = Date)]
    review: Option<jiff::civil::Date>,
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

/// Places a legal hold (the DPO only).
#[utoipa::path(post, path = "/v1/subjects/{id}/holds", tag = "ledger",
    security(("token" = [])),
    params(("id" = String, Path, description = "The subject's id")),
    request_body = HoldBody,
    responses(
        (status = 201, description = "Placed", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such subject", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "Empty `by` or `reason`", content_type = "application/problem+json", body = Problem)))]
pub async fn place_hold(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids(id): Ids<String>,
    Body(body): Body<HoldBody>,
) -> Created {
    let subject = subject_id(&id)?;
    caller.administers(&app)?;
    let at = App::when(body.at);
    let placed = at.to_zoned_datetime(app.tz.clone()).date();
    let hold = tillit_core::retention::HoldScope::new(
        &app.policy,
        body.all,
        &body.categories,
        &body.kinds,
    )
    .and_then(|scope| {
        tillit_core::ledger::NewHold::new(
            &body.by,
            &body.reason,
            scope,
            body.review
                .unwrap_or_else(|| placed.saturating_add(jiff::Span::new().years(1))),
            placed,
        )
    })
    .map_err(tillit_store::StoreError::Input)?;
    app.on_ledger(move |_, l| {
        let id = l.write(at, |w| w.place_hold(&subject, &hold, at))?;
        Ok(created(json!({
            "hold": id,
            "subject": subject,
            "scope": hold.scope,
            "review_on": hold.review_on.to_string(),
        })))
    })
    .await
}

/// Who releases a hold, and when.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseBody {
    by: String,
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

/// Releases a legal hold (the DPO only).
#[utoipa::path(post, path = "/v1/subjects/{id}/holds/{hold}/release", tag = "ledger",
    security(("token" = [])),
    params(("id" = String, Path, description = "The subject's id"),
        ("hold" = i64, Path, description = "The hold")),
    request_body = ReleaseBody,
    responses(
        (status = 200, description = "Released", body = Object),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "Not the DPO", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such hold in force", content_type = "application/problem+json", body = Problem)))]
pub async fn release_hold(
    State(app): State<Arc<App>>,
    caller: Caller,
    Ids((id, hold)): Ids<(String, i64)>,
    Body(body): Body<ReleaseBody>,
) -> Result<axum::Json<Value>, Problem> {
    let subject = subject_id(&id)?;
    caller.administers(&app)?;
    let at = App::when(body.at);
    app.on_ledger(move |_, l| {
        l.write(at, |w| w.release_hold(&subject, hold, &body.by, at))?;
        Ok(axum::Json(
            json!({ "hold": hold, "subject": subject, "released": true }),
        ))
    })
    .await
}

/// A disclosure of subjects' data to a recipient of the policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureBody {
    /// A recipient of the policy, e.g. `authorities`.
    recipient: String,
    /// The subjects' ids.
    subjects: Vec<String>,
    categories: Vec<String>,
    /// The legal basis, e.g. `legal-obligation`.
    basis: String,
    /// The order, case or contract it answers.
    #[serde(rename = "ref")]
    reference: Option<String>,
    /// RFC 3339 (default: now).
    #[schema(value_type = Option<String>, format = DateTime)]
    at: Option<jiff::Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureRecorded {
    disclosure: i64,
    recipient: String,
    subjects: Vec<String>,
    categories: Vec<String>,
    basis: &'static str,
}

/// Records a disclosure, one audit entry per subject; the role must need
/// to know every category disclosed.
#[utoipa::path(post, path = "/v1/disclosures", tag = "ledger",
    security(("token" = [])),
    request_body = DisclosureBody,
    responses(
        (status = 201, description = "Recorded", body = DisclosureRecorded),
        (status = 400, description = "Malformed", content_type = "application/problem+json", body = Problem),
        (status = 401, description = "No valid token", content_type = "application/problem+json", body = Problem),
        (status = 403, description = "No need to know a category", content_type = "application/problem+json", body = Problem),
        (status = 404, description = "No such subject", content_type = "application/problem+json", body = Problem),
        (status = 422, description = "Refused by the policy", content_type = "application/problem+json", body = Problem)))]
pub async fn disclose(
    State(app): State<Arc<App>>,
    caller: Caller,
    Body(body): Body<DisclosureBody>,
) -> Result<(StatusCode, axum::Json<DisclosureRecorded>), Problem> {
    for c in &body.categories {
        caller.sees(&app, c)?;
    }
    if body.subjects.len() > crate::BATCH_LIMIT {
        return Err(Problem::bad_request(format!(
            "{} subjects; at most {} per disclosure",
            body.subjects.len(),
            crate::BATCH_LIMIT
        )));
    }
    let subjects = body
        .subjects
        .iter()
        .map(|s| subject_id(s))
        .collect::<Result<Vec<SubjectId>, _>>()?;
    let at = App::when(body.at);
    let disclosure = NewDisclosure::new(
        &app.policy,
        &body.recipient,
        subjects,
        &body.categories,
        &body.basis,
        body.reference,
        at,
    )
    .map_err(tillit_store::StoreError::Input)?;
    app.on_ledger(move |_, l| {
        let id = l.write(at, |w| w.disclose(&disclosure))?;
        Ok((
            StatusCode::CREATED,
            axum::Json(DisclosureRecorded {
                disclosure: id,
                recipient: disclosure.recipient.to_string(),
                subjects: disclosure
                    .subjects
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                categories: disclosure
                    .categories
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                basis: disclosure.basis.id(),
            }),
        ))
    })
    .await
}
