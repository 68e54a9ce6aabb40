//! Answering a data subject's request: the right carried out and the case
//! closed with its response, in one transaction. The CLI's `request
//! answer` and the HTTP API's `POST /v1/requests/{id}/answer` both call
//! [`answer`]; only how they show the result differs.

use jiff::Timestamp;
use serde_json::json;
use tillit_core::Lang;
use tillit_core::access::{AccessReport, ErasedEntry, ErasureAnswer, KeptEntry};
use tillit_core::identity::SubjectId;
use tillit_core::ledger::{ConsentChange, InputError, NewObjection, RestrictionGround};
use tillit_core::retention::Schedule;
use tillit_core::rights::Right;

use crate::{Ledger, StoreError, Writer};

/// Refuses a letter that would state a transfer safeguard not valid on
/// `day`: the same finding `tillit notice` refuses to publish.
fn refuse_invalid_safeguards(
    policy: &tillit_core::Policy,
    report: &AccessReport,
    day: jiff::civil::Date,
) -> Result<(), StoreError> {
    let mut stated: Vec<&str> = report
        .disclosures
        .iter()
        .map(|d| d.recipient.as_str())
        .chain(report.processors.iter().map(|p| p.recipient.as_str()))
        .collect();
    stated.sort_unstable();
    stated.dedup();
    let invalid: Vec<String> = stated
        .into_iter()
        .filter_map(|id| policy.recipients.get(id).map(|r| (id, r)))
        .flat_map(|(id, r)| {
            r.transfers
                .iter()
                .filter(move |t| {
                    t.is_current() && tillit_core::check::states_invalid_safeguard(r, t, day)
                })
                .map(move |t| {
                    format!(
                        "`{}` to {} relying on {}",
                        id,
                        t.country,
                        t.mechanism.map_or("nothing", |m| m.fact().id)
                    )
                })
        })
        .collect();
    if invalid.is_empty() {
        return Ok(());
    }
    Err(InputError::Refused(format!(
        "the letter would state a transfer safeguard that is not valid on {day} ({}); correct the policy (`tillit check` names the finding), or answer with allow-invalid-safeguards to state it anyway",
        invalid.join("; ")
    ))
    .into())
}

/// What some rights need besides the case itself.
#[derive(Clone, Debug, Default)]
pub struct Particulars {
    /// withdrawal: the purpose (default: every purpose consented to);
    /// objection: the purpose objected to.
    pub purpose: Option<String>,
    /// objection to legitimate-interest processing: the outcome of the
    /// balancing of interests, as recorded.
    pub assessment: Option<String>,
    /// restriction: the Art. 18(1) ground (accuracy-contested, unlawful,
    /// legal-claims, objection-pending).
    pub ground: Option<String>,
    /// rectification: the record.
    pub record: Option<i64>,
    /// rectification: its corrected content.
    pub content: Option<serde_json::Value>,
    /// access and portability: state in the letter a transfer safeguard
    /// that is not valid on the day answered, instead of refusing (the
    /// operator's explicit override; see `check::unpublishable`).
    pub allow_invalid_safeguards: bool,
}

/// A case answered.
#[derive(Debug)]
pub struct Answered {
    pub request: i64,
    pub kind: Right,
    /// `answered` (access, portability), `erased`, `partly-erased`,
    /// `done`, or `refused` (the right does not apply; the response says
    /// why).
    pub outcome: &'static str,
    /// What was stored as the response.
    pub response: serde_json::Value,
    /// SHA-256 of the stored response.
    pub digest: String,
    /// Access and portability: the report, for the letter.
    pub report: Option<AccessReport>,
    /// Erasure: what was erased and kept, for the letter.
    pub erasure: Option<ErasureAnswer>,
}

impl Answered {
    fn closed(
        request: i64,
        kind: Right,
        outcome: &'static str,
        response: serde_json::Value,
        digest: String,
    ) -> Answered {
        Answered {
            request,
            kind,
            outcome,
            response,
            digest,
            report: None,
            erasure: None,
        }
    }
}

/// Carries out the right request `id` asks for, at `at`, and closes the
/// case with the response. Refuses, changing nothing, a case that is
/// closed, not verified, or lacks a particular its right needs.
pub fn answer(
    ledger: &mut Ledger,
    schedule: &Schedule<'_>,
    id: i64,
    particulars: &Particulars,
    at: Timestamp,
) -> Result<Answered, StoreError> {
    let policy = schedule.policy();
    let case = ledger.request(id)?.ok_or(StoreError::NoSuchRequest(id))?;
    let subject =
        SubjectId::parse(&case.subject).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let kind = case.kind;
    let p = particulars;
    let done = |outcome, response, digest| Answered::closed(id, kind, outcome, response, digest);
    match kind {
        Right::Access | Right::Portability => {
            // Refuse before reading anything if the case may not be
            // answered yet.
            case.answerable(kind)?;
            let report =
                crate::access::report(ledger, policy, schedule, &subject, at, kind, Some(id))?
                    .ok_or_else(|| StoreError::NoSuchSubject(subject.to_string()))?;
            if !p.allow_invalid_safeguards {
                refuse_invalid_safeguards(policy, &report, schedule.zone().to_datetime(at).date())?;
            }
            let response = serde_json::to_value(&report)
                .map_err(|e| StoreError::Corrupt(format!("cannot encode the report: {e}")))?;
            let digest = ledger.write(at, |w| {
                w.case_to_answer(id, kind)?;
                w.close_request(id, "answered", &response)
            })?;
            Ok(Answered {
                report: Some(report),
                ..done("answered", response, digest)
            })
        }
        Right::Erasure => {
            let handled_by = format!("request-{id}");
            // Art. 19: each recipient the data went to is told.
            let mut recipients: Vec<String> = ledger
                .subject_file(&subject, at)?
                .map(|f| f.disclosures.iter().map(|d| d.recipient.clone()).collect())
                .unwrap_or_default();
            recipients.sort_unstable();
            recipients.dedup();
            let (outcome, response, digest, letter) = ledger.write(at, |w| {
                w.case_to_answer(id, kind)?;
                let erasure = crate::retention::erase_on_request(
                    w,
                    schedule,
                    subject.as_str(),
                    &handled_by,
                    at,
                )?;
                // What a running contract keeps goes on being used for it: no
                // restriction then. Otherwise what an exception keeps is
                // restricted to the obligation or claim that keeps it.
                let for_contract = erasure.kept.iter().any(|k| {
                    k.exceptions
                        .iter()
                        .any(|e| matches!(e, tillit_core::retention::Exception::Contract { .. }))
                });
                let restriction =
                    if erasure.kept.is_empty() || erasure.subject_erased || for_contract {
                        None
                    } else {
                        Some(w.restrict(&subject, RestrictionGround::ErasureException, at)?)
                    };
                let outcome = if erasure.kept.is_empty() {
                    "erased"
                } else {
                    "partly-erased"
                };
                let response = erasure_response(&erasure, restriction, policy);
                let digest = w.close_request(id, outcome, &response)?;
                let letter = erasure_letter(
                    policy,
                    id,
                    schedule.zone().to_datetime(at).date(),
                    &subject,
                    &erasure,
                    restriction.is_some(),
                    &recipients,
                );
                Ok((outcome, response, digest, letter))
            })?;
            Ok(Answered {
                erasure: Some(letter),
                ..done(outcome, response, digest)
            })
        }
        Right::WithdrawConsent => {
            let purposes: Vec<String> = match &p.purpose {
                Some(purpose) => vec![purpose.clone()],
                None => ledger
                    .subject_file(&subject, at)?
                    .ok_or_else(|| StoreError::NoSuchSubject(subject.to_string()))?
                    .consents
                    .iter()
                    .filter(|c| c.given)
                    .map(|c| c.purpose.clone())
                    .collect(),
            };
            let version = tillit_core::notice::version(policy);
            let changes: Result<Vec<ConsentChange>, _> = purposes
                .iter()
                .map(|purpose| {
                    ConsentChange::new(
                        policy,
                        subject.clone(),
                        purpose,
                        false,
                        "request",
                        &version,
                        at,
                    )
                })
                .collect();
            close_with(ledger, at, id, kind, changes, |w, changes| {
                for c in &changes {
                    w.change_consent(c)?;
                }
                Ok(json!({ "withdrawn": purposes }))
            })
        }
        Right::Objection => {
            let purpose = needed(
                p.purpose.as_deref(),
                "an objection names the purpose objected to (purpose)",
            )?;
            let objection = NewObjection::new(policy, subject.clone(), purpose, at);
            if let Ok(o) = &objection
                && !o.absolute
                && p.assessment.as_deref().is_none_or(|s| s.trim().is_empty())
            {
                return Err(InputError::Refused(
                    "an objection to legitimate-interest processing is recorded with the outcome of the balancing of interests (assessment, Art. 21(1)); one to direct marketing needs none".to_owned(),
                )
                .into());
            }
            let assessment = p.assessment.clone();
            close_with(ledger, at, id, kind, objection, |w, o| {
                let n = w.object(&o)?;
                Ok(json!({
                    "objection": n,
                    "purpose": o.purpose,
                    "absolute": o.absolute,
                    "assessment": assessment,
                }))
            })
        }
        Right::Restriction => {
            let ground = needed(
                p.ground.as_deref(),
                "a restriction names its ground (ground): accuracy-contested, unlawful, legal-claims or objection-pending (Art. 18(1))",
            )?;
            close_with(
                ledger,
                at,
                id,
                kind,
                RestrictionGround::parse(ground),
                |w, g| {
                    let n = w.restrict(&subject, g, at)?;
                    Ok(json!({ "restriction": n, "ground": g.id() }))
                },
            )
        }
        Right::Rectification => {
            let (Some(record), Some(content)) = (p.record, p.content.clone()) else {
                return Err(InputError::Refused(
                    "a rectification names the record (record) and its corrected content (content, JSON)".to_owned(),
                )
                .into());
            };
            close_with(
                ledger,
                at,
                id,
                kind,
                Ok::<_, InputError>(content),
                |w, c| {
                    w.rectify_record(&subject, record, &c)?;
                    Ok(json!({ "record": record, "rectified": true }))
                },
            )
        }
    }
}

fn needed<'a>(given: Option<&'a str>, what: &str) -> Result<&'a str, StoreError> {
    given
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| InputError::Refused(what.to_owned()).into())
}

/// Carries out `effect` and closes the case in one transaction, or, when
/// the right does not apply (`input` is refused), closes it as refused
/// with the reason, which is the answer the subject gets.
fn close_with<T>(
    ledger: &mut Ledger,
    at: Timestamp,
    id: i64,
    kind: Right,
    input: Result<T, InputError>,
    effect: impl FnOnce(&mut Writer<'_>, T) -> Result<serde_json::Value, StoreError>,
) -> Result<Answered, StoreError> {
    let (outcome, response, digest) = ledger.write(at, |w| {
        w.case_to_answer(id, kind)?;
        let (outcome, response) = match input {
            Ok(input) => ("done", effect(w, input)?),
            Err(why) => ("refused", json!({ "refused": why.to_string() })),
        };
        let digest = w.close_request(id, outcome, &response)?;
        Ok((outcome, response, digest))
    })?;
    Ok(Answered::closed(id, kind, outcome, response, digest))
}

/// The erasure answer as the letter tells it, every name in words.
fn erasure_letter(
    policy: &tillit_core::Policy,
    request: i64,
    answered_on: jiff::civil::Date,
    subject: &SubjectId,
    erasure: &crate::retention::Erasure<'_>,
    restricted: bool,
    recipients: &[String],
) -> ErasureAnswer {
    use crate::access::{both, name_or_id};
    let name = |category: &str, kind: &str| {
        let category = name_or_id(policy.categories.get(category).map(|c| &c.name), category);
        let kind = name_or_id(policy.kinds.get(kind).map(|k| &k.name), kind);
        both(|l| format!("{} – {}", category.get(l), kind.get(l)))
    };
    ErasureAnswer {
        request: Some(request),
        answered_on,
        controller: crate::access::controller_ref(policy),
        subject: subject.to_string(),
        erased: erasure
            .erased
            .iter()
            .map(|e| ErasedEntry {
                record: e.record,
                name: name(&e.category, &e.kind),
            })
            .collect(),
        kept: erasure
            .kept
            .iter()
            .map(|k| KeptEntry {
                record: k.record,
                name: name(&k.category, &k.kind),
                reasons: k
                    .exceptions
                    .iter()
                    .map(|e| (e.article().to_owned(), both(|l| e.in_words(policy, l))))
                    .collect(),
                until: k.exceptions.iter().filter_map(|e| e.until()).max(),
            })
            .collect(),
        subject_erased: erasure.subject_erased,
        restricted,
        recipients: recipients
            .iter()
            .map(|r| name_or_id(policy.recipients.get(r.as_str()).map(|x| &x.name), r))
            .collect(),
    }
}

fn erasure_response(
    erasure: &crate::retention::Erasure<'_>,
    restriction: Option<i64>,
    policy: &tillit_core::Policy,
) -> serde_json::Value {
    json!({
        "erased": erasure.erased,
        "kept": erasure.kept.iter().map(|k| json!({
            "record": k.record,
            "category": k.category,
            "kind": k.kind,
            "exceptions": k.exceptions.iter().map(|e| json!({
                "exception": e,
                "article": e.article(),
                "until": e.until(),
                "reason": { "sv": e.reason(policy, Lang::Sv), "en": e.reason(policy, Lang::En) },
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "restriction": restriction,
        "subject_erased": erasure.subject_erased,
    })
}
