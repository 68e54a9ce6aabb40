//! What the ledger is asked to hold, checked against the policy before it
//! reaches the store.
//!
//! Every name a caller gives (category, kind, source, purpose, event,
//! recipient, legal basis) is looked up in the [`Policy`] here, so the CLI
//! and the server refuse the same things with the same words, and the
//! store only ever sees values the policy allows. Time is an argument: the
//! caller says when a record was collected or a consent given.

use std::borrow::Borrow;
use std::fmt;

use indexmap::IndexMap;
use jiff::civil::Date;
use jiff::{Timestamp, ZonedDateTime};
use serde::Serialize;

use crate::identity::{Identifier, SubjectId};
use crate::policy::{
    CategoryId, EventId, KindId, LegalBasis, Policy, PurposeId, RecipientId, SourceId,
};

/// Why the ledger refused a request before touching the store.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error(
        "unknown {what} `{given}`; {}: {}",
        suggest(given, known),
        known.join(", ")
    )]
    Unknown {
        what: &'static str,
        given: String,
        known: Vec<String>,
    },
    #[error("{0}")]
    Refused(String),
}

/// "did you mean `x`? The policy knows" where a known name is close to the
/// given one, else "the policy knows".
fn suggest(given: &str, known: &[String]) -> String {
    match crate::policy::closest(given, known.iter().map(String::as_str)) {
        Some(k) => format!("did you mean `{k}`? The policy knows"),
        None => "the policy knows".to_owned(),
    }
}

fn known<K, V>(map: &IndexMap<K, V>, what: &'static str, given: &str) -> Result<K, InputError>
where
    K: Borrow<str> + Clone + Eq + std::hash::Hash + fmt::Display,
{
    map.get_key_value(given)
        .map(|(k, _)| k.clone())
        .ok_or_else(|| InputError::Unknown {
            what,
            given: given.to_owned(),
            known: map.keys().map(ToString::to_string).collect(),
        })
}

impl Policy {
    pub fn category_named(&self, s: &str) -> Result<CategoryId, InputError> {
        known(&self.categories, "category", s)
    }
    pub fn kind_named(&self, s: &str) -> Result<KindId, InputError> {
        known(&self.kinds, "kind", s)
    }
    pub fn source_named(&self, s: &str) -> Result<SourceId, InputError> {
        known(&self.sources, "source", s)
    }
    pub fn purpose_named(&self, s: &str) -> Result<PurposeId, InputError> {
        known(&self.purposes, "purpose", s)
    }
    pub fn event_named(&self, s: &str) -> Result<EventId, InputError> {
        known(&self.events, "event", s)
    }
    pub fn recipient_named(&self, s: &str) -> Result<RecipientId, InputError> {
        known(&self.recipients, "recipient", s)
    }
    pub fn role_named(&self, s: &str) -> Result<crate::policy::RoleId, InputError> {
        known(&self.roles, "role", s)
    }
}

/// Parses a legal basis by its policy id (`legal-obligation`).
pub fn legal_basis_named(s: &str) -> Result<LegalBasis, InputError> {
    LegalBasis::ALL
        .into_iter()
        .find(|b| b.id() == s)
        .ok_or_else(|| InputError::Unknown {
            what: "legal basis",
            given: s.to_owned(),
            known: LegalBasis::ALL.iter().map(|b| b.id().to_owned()).collect(),
        })
}

/// A new data subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubject {
    pub id: SubjectId,
    pub identifiers: Vec<Identifier>,
}

/// A legal hold as the caller places it: what it keeps, checked against the
/// policy, and a review date after the day it is placed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHold {
    pub by: String,
    pub reason: String,
    pub scope: crate::retention::HoldScope,
    pub review_on: Date,
}

impl NewHold {
    pub fn new(
        by: &str,
        reason: &str,
        scope: crate::retention::HoldScope,
        review_on: Date,
        placed_on: Date,
    ) -> Result<NewHold, InputError> {
        if review_on <= placed_on {
            return Err(InputError::Refused(format!(
                "the review date {review_on} must come after the day the hold is placed ({placed_on}): a hold is reviewed, not kept for ever"
            )));
        }
        Ok(NewHold {
            by: by.to_owned(),
            reason: reason.to_owned(),
            scope,
            review_on,
        })
    }
}

/// A record as the caller describes it, names unchecked.
#[derive(Clone, Debug)]
pub struct RecordRequest<'a> {
    pub subject: SubjectId,
    pub category: &'a str,
    pub kind: &'a str,
    pub source: &'a str,
    /// The register a record from others comes from; the policy's own
    /// when `None`.
    pub register: Option<&'a str>,
    pub reference: Option<String>,
    /// Accounting material even if its kind is not.
    pub accounting: bool,
    pub payload: Option<serde_json::Value>,
    pub collected_at: ZonedDateTime,
    /// The record's own date where it differs from collection: an
    /// invoice's or a voucher's date, whose fiscal year the Bookkeeping
    /// Act counts from (the transaction's, not the day it was added).
    pub dated: Option<Date>,
}

/// A record the policy allows, ready for the store.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewRecord {
    pub subject: SubjectId,
    pub category: CategoryId,
    pub kind: KindId,
    pub source: SourceId,
    pub register: Option<String>,
    /// When data not obtained from the subject must have been told to
    /// them (Art. 14(3)).
    pub inform_by: Option<Date>,
    pub reference: Option<String>,
    pub accounting: bool,
    pub payload: Option<serde_json::Value>,
    pub collected_at: Timestamp,
    pub dated: Option<Date>,
}

impl NewRecord {
    pub fn new(policy: &Policy, r: RecordRequest<'_>) -> Result<NewRecord, InputError> {
        let category = policy.category_named(r.category)?;
        let kind_id = policy.kind_named(r.kind)?;
        let source_id = policy.source_named(r.source)?;
        let (Some(kind), Some(source)) =
            (policy.kinds.get(&kind_id), policy.sources.get(&source_id))
        else {
            return Err(InputError::Refused(format!(
                "`{}` is not in the policy",
                r.kind
            )));
        };
        if kind.category != category {
            return Err(InputError::Refused(format!(
                "kind `{kind_id}` is {} data, not {category}",
                kind.category
            )));
        }
        if !kind.sources.contains(&source_id) {
            return Err(InputError::Refused(format!(
                "the policy collects `{kind_id}` from {}, not from `{source_id}`",
                join_ids(&kind.sources)
            )));
        }
        let (register, inform_by) = if source.from_subject {
            if let Some(register) = r.register {
                return Err(InputError::Refused(format!(
                    "source `{source_id}` is the subject; a register (`{register}`) only goes with data obtained from others"
                )));
            }
            (None, None)
        } else {
            let register = r
                .register
                .map(str::to_owned)
                .or_else(|| source.register.clone());
            let inform_by = match source.inform_within {
                Some(period) => Some(period.after(r.collected_at.date()).ok_or_else(|| {
                    InputError::Refused("the collection date is too far in the future".into())
                })?),
                None => None,
            };
            (register, inform_by)
        };
        if let Some(reference) = &r.reference {
            check_reference(reference)?;
        }
        Ok(NewRecord {
            subject: r.subject,
            category,
            kind: kind_id,
            source: source_id,
            register,
            inform_by,
            reference: r.reference,
            accounting: r.accounting || kind.accounting_material,
            payload: r.payload,
            collected_at: r.collected_at.timestamp(),
            dated: r.dated,
        })
    }
}

fn join_ids<T: fmt::Display>(ids: &[T]) -> String {
    ids.iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_reference(reference: &str) -> Result<(), InputError> {
    if reference.trim().is_empty()
        || reference.len() > 200
        || reference.chars().any(char::is_control)
    {
        Err(InputError::Refused(format!(
            "`{reference}` is not a reference: give 1–200 characters, e.g. a contract or invoice number"
        )))
    } else {
        Ok(())
    }
}

/// A lifecycle event (a contract started or ended, an invoice was issued
/// or paid) that retention counts from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewEvent {
    pub subject: SubjectId,
    pub kind: EventId,
    pub reference: String,
    pub at: Timestamp,
}

impl NewEvent {
    pub fn new(
        policy: &Policy,
        subject: SubjectId,
        kind: &str,
        reference: &str,
        at: Timestamp,
    ) -> Result<NewEvent, InputError> {
        check_reference(reference)?;
        Ok(NewEvent {
            subject,
            kind: policy.event_named(kind)?,
            reference: reference.to_owned(),
            at,
        })
    }
}

/// A consent given or withdrawn: one more event in the subject's consent
/// history. The current state is derived from the history, never stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsentChange {
    pub subject: SubjectId,
    pub purpose: PurposeId,
    pub given: bool,
    /// How it was given or withdrawn (`web`, `email-link`, `phone`…).
    pub channel: String,
    /// The version of the notice the subject was shown.
    pub notice_version: String,
    pub at: Timestamp,
}

impl ConsentChange {
    pub fn new(
        policy: &Policy,
        subject: SubjectId,
        purpose: &str,
        given: bool,
        channel: &str,
        notice_version: &str,
        at: Timestamp,
    ) -> Result<ConsentChange, InputError> {
        let purpose_id = policy.purpose_named(purpose)?;
        let rests_on_consent = policy
            .purposes
            .get(&purpose_id)
            .is_some_and(|p| p.rests_on(LegalBasis::Consent));
        if !rests_on_consent {
            let asked: Vec<_> = policy
                .consent_purposes()
                .map(|(id, _)| id.clone())
                .collect();
            return Err(InputError::Refused(format!(
                "purpose `{purpose_id}` does not rest on consent for any category; consent is asked for {}",
                join_ids(&asked)
            )));
        }
        let word = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if !word(channel) {
            return Err(InputError::Refused(format!(
                "`{channel}` is not a channel: use a short word such as web, email-link or phone"
            )));
        }
        if !word(notice_version) {
            return Err(InputError::Refused(format!(
                "`{notice_version}` is not a notice version: give the hash `tillit notice --print-version` prints"
            )));
        }
        Ok(ConsentChange {
            subject,
            purpose: purpose_id,
            given,
            channel: channel.to_owned(),
            notice_version: notice_version.to_owned(),
            at,
        })
    }
}

/// An objection to processing for a purpose (Art. 21).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewObjection {
    pub subject: SubjectId,
    pub purpose: PurposeId,
    /// Direct marketing: the objection is absolute (Art. 21(3)).
    pub absolute: bool,
    pub at: Timestamp,
}

impl NewObjection {
    pub fn new(
        policy: &Policy,
        subject: SubjectId,
        purpose: &str,
        at: Timestamp,
    ) -> Result<NewObjection, InputError> {
        let purpose_id = policy.purpose_named(purpose)?;
        let Some(p) = policy.purposes.get(&purpose_id) else {
            return Err(InputError::Refused(format!(
                "`{purpose}` is not in the policy"
            )));
        };
        let objectable = p.direct_marketing
            || p.rests_on(LegalBasis::LegitimateInterest)
            || p.rests_on(LegalBasis::PublicTask);
        if !objectable {
            return Err(InputError::Refused(format!(
                "purpose `{purpose_id}` rests on neither legitimate interest nor a public task, so Art. 21 gives no right to object to it; consent is withdrawn with `tillit consent withdraw`"
            )));
        }
        Ok(NewObjection {
            subject,
            purpose: purpose_id,
            absolute: p.direct_marketing,
            at,
        })
    }
}

/// Why processing is restricted (Art. 18(1)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestrictionGround {
    /// (a) the subject contests the accuracy, while it is verified.
    AccuracyContested,
    /// (b) processing is unlawful and the subject wants restriction, not
    /// erasure.
    Unlawful,
    /// (c) no longer needed, but the subject needs it for legal claims.
    LegalClaims,
    /// (d) the subject objected, pending the balancing of interests.
    ObjectionPending,
    /// Kept after an erasure request only because an exception of
    /// Art. 17(3) keeps it: stored, and used for nothing else.
    ErasureException,
}

impl RestrictionGround {
    pub const ALL: [RestrictionGround; 5] = [
        RestrictionGround::AccuracyContested,
        RestrictionGround::Unlawful,
        RestrictionGround::LegalClaims,
        RestrictionGround::ObjectionPending,
        RestrictionGround::ErasureException,
    ];

    pub fn id(self) -> &'static str {
        match self {
            RestrictionGround::AccuracyContested => "accuracy-contested",
            RestrictionGround::Unlawful => "unlawful",
            RestrictionGround::LegalClaims => "legal-claims",
            RestrictionGround::ObjectionPending => "objection-pending",
            RestrictionGround::ErasureException => "erasure-exception",
        }
    }

    /// The ground in words, for a letter to the subject.
    pub fn describe(self, lang: crate::text::Lang) -> &'static str {
        match self {
            RestrictionGround::AccuracyContested => lang.pick(
                "du bestrider att uppgifterna är korrekta",
                "you contest the accuracy of the data",
            ),
            RestrictionGround::Unlawful => lang.pick(
                "behandlingen är olaglig och du vill inte att uppgifterna raderas",
                "the processing is unlawful and you oppose erasure",
            ),
            RestrictionGround::LegalClaims => lang.pick(
                "du behöver uppgifterna för ett rättsligt anspråk",
                "you need the data for a legal claim",
            ),
            RestrictionGround::ObjectionPending => lang.pick(
                "din invändning prövas",
                "your objection is being assessed",
            ),
            RestrictionGround::ErasureException => lang.pick(
                "det som sparas efter din begäran om radering används bara för det som kräver att det sparas",
                "what is kept after your erasure request is used only for what requires keeping it",
            ),
        }
    }

    pub fn parse(s: &str) -> Result<RestrictionGround, InputError> {
        RestrictionGround::ALL
            .into_iter()
            .find(|g| g.id() == s)
            .ok_or_else(|| InputError::Unknown {
                what: "restriction ground",
                given: s.to_owned(),
                known: RestrictionGround::ALL
                    .iter()
                    .map(|g| g.id().to_owned())
                    .collect(),
            })
    }
}

/// A disclosure of subjects' data to a recipient the policy names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewDisclosure {
    pub recipient: RecipientId,
    pub subjects: Vec<SubjectId>,
    pub categories: Vec<CategoryId>,
    pub basis: LegalBasis,
    /// E.g. the authority's decision number.
    pub reference: Option<String>,
    pub at: Timestamp,
}

impl NewDisclosure {
    pub fn new(
        policy: &Policy,
        recipient: &str,
        subjects: Vec<SubjectId>,
        categories: &[String],
        basis: &str,
        reference: Option<String>,
        at: Timestamp,
    ) -> Result<NewDisclosure, InputError> {
        let recipient_id = policy.recipient_named(recipient)?;
        let Some(r) = policy.recipients.get(&recipient_id) else {
            return Err(InputError::Refused(format!(
                "`{recipient}` is not in the policy"
            )));
        };
        if subjects.is_empty() {
            return Err(InputError::Refused("name at least one subject".into()));
        }
        if categories.is_empty() {
            return Err(InputError::Refused("name at least one category".into()));
        }
        let mut cats = Vec::new();
        for c in categories {
            let id = policy.category_named(c)?;
            if !r.categories.contains(&id) {
                return Err(InputError::Refused(format!(
                    "the policy does not disclose {id} data to `{recipient_id}` (it receives {})",
                    join_ids(&r.categories)
                )));
            }
            if !cats.contains(&id) {
                cats.push(id);
            }
        }
        if let Some(reference) = &reference {
            check_reference(reference)?;
        }
        Ok(NewDisclosure {
            recipient: recipient_id,
            subjects,
            categories: cats,
            basis: legal_basis_named(basis)?,
            reference,
            at,
        })
    }
}
