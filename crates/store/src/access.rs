//! The access (Art. 15) and portability (Art. 20) report of one subject,
//! filled from the ledger and the policy; see [`tillit_core::access`].

use jiff::Timestamp;
use tillit_core::Policy;
use tillit_core::access::{
    AccessReport, ConsentEntry, ControllerRef, DisclosureEntry, LeftOut, ObjectionEntry,
    ProcessorEntry, PurposeUse, ReportRecord, RestrictionEntry, RetentionEntry, RightEntry,
    SubjectRef, TransferEntry,
};
use tillit_core::identity::SubjectId;
use tillit_core::ledger::RestrictionGround;
use tillit_core::legal;
use tillit_core::policy::LegalBasis;
use tillit_core::retention::{
    History, HoldSpan, LifecycleEvent, RecordFacts, RecordState, Retention, Schedule,
};
use tillit_core::rights::Right;
use tillit_core::{Lang, Text};

use crate::{Ledger, StoreError};

/// The controller as a letter names it.
pub(crate) fn controller_ref(policy: &Policy) -> ControllerRef {
    let c = &policy.controller;
    ControllerRef {
        name: c.name.clone(),
        org_number: c.org_number.clone(),
        email: c.email.clone(),
        dpo_email: c.dpo.as_ref().map(|d| d.email.clone()),
        supervisory_authority: c.supervisory_authority.name.clone(),
        supervisory_authority_url: c.supervisory_authority.url.clone(),
    }
}

/// A policy element's name, or its id where the policy no longer has it
/// (a record of a kind since removed).
pub(crate) fn name_or_id(name: Option<&Text>, id: &str) -> Text {
    name.cloned().unwrap_or_else(|| Text::new(id, id))
}

pub(crate) fn both(f: impl Fn(Lang) -> String) -> Text {
    Text::new(f(Lang::Sv), f(Lang::En))
}

/// A recipient's transfers outside the EU/EEA that the notice states, with
/// their safeguards in words.
fn transfers_of(r: &tillit_core::policy::Recipient) -> Vec<TransferEntry> {
    r.transfers
        .iter()
        .filter(|t| t.is_current() && !legal::is_eea(&t.country))
        .map(|t| TransferEntry {
            country: t.country.clone(),
            country_name: both(|l| legal::country_name(&t.country, l).to_owned()),
            safeguard: both(|l| {
                t.mechanism.map_or_else(
                    || l.pick("ingen angiven", "none stated").to_owned(),
                    |m| m.fact().name(l).to_owned(),
                )
            }),
        })
        .collect()
}

/// Everything held about `subject` at `at`, for a request of `kind`
/// (access or portability); `None` if the ledger holds no such subject.
pub fn report(
    ledger: &mut Ledger,
    policy: &Policy,
    schedule: &Schedule<'_>,
    subject: &SubjectId,
    at: Timestamp,
    kind: Right,
    request: Option<i64>,
) -> Result<Option<AccessReport>, StoreError> {
    let Some(file) = ledger.subject_file(subject, at)? else {
        return Ok(None);
    };
    let history = ledger.consent_history(subject)?;
    let retention_history = History {
        events: file
            .events
            .iter()
            .map(|e| LifecycleEvent {
                kind: e.kind.clone(),
                reference: e.reference.clone(),
                at: e.at,
            })
            .collect(),
        holds: file
            .holds
            .iter()
            .map(|h| HoldSpan {
                id: h.id,
                placed: h.at,
                released: h.released_at,
                scope: h.scope.clone(),
            })
            .collect(),
    };
    let portability = kind == Right::Portability;
    let mut records = Vec::new();
    let mut left_out = Vec::new();
    let mut bases: Vec<(String, LegalBasis)> = Vec::new();
    for r in &file.records {
        if r.state == "erased" {
            continue;
        }
        // Every purpose that processes the record's category, with the
        // basis it gives it.
        let processed: Vec<_> = policy
            .purposes
            .iter()
            .filter_map(|(id, p)| Some((id, p, *p.basis.get(r.category.as_str())?)))
            .collect();
        for (id, _, b) in &processed {
            if !bases.iter().any(|(i, x)| i == id.as_str() && x == b) {
                bases.push((id.to_string(), *b));
            }
        }
        let purposes: Vec<PurposeUse> = processed
            .iter()
            .map(|(id, p, basis)| PurposeUse {
                purpose: id.to_string(),
                name: p.name.clone(),
                basis: basis.id(),
                basis_name: both(|l| basis.name(l).to_owned()),
            })
            .collect();
        let source = policy.sources.get(r.source.as_str());
        let source_name = name_or_id(source.map(|s| &s.name), &r.source);
        // Art. 20(1): only what the subject provided (as they gave it or
        // by using the service), never what came from a register or a
        // credit bureau.
        if portability && source.is_some_and(|s| !s.from_subject) {
            let from = &source_name;
            left_out.push(LeftOut {
                record: r.id,
                category: r.category.clone(),
                kind: r.kind.clone(),
                reason: both(|l| match l {
                    Lang::Sv => format!(
                        "kommer från {}, inte från dig, och omfattas därför inte av rätten till dataportabilitet (artikel 20.1)",
                        from.get(l).to_lowercase()
                    ),
                    Lang::En => format!(
                        "comes from {}, not from you, so the right to portability does not cover it (Article 20(1))",
                        from.get(l).to_lowercase()
                    ),
                }),
            });
            continue;
        }
        if portability
            && !processed
                .iter()
                .any(|(_, _, b)| b.gives(Right::Portability))
        {
            let on: Vec<&str> = purposes.iter().map(|p| p.basis).collect();
            left_out.push(LeftOut {
                record: r.id,
                category: r.category.clone(),
                kind: r.kind.clone(),
                reason: both(|l| match l {
                    Lang::Sv => format!(
                        "behandlas bara med stöd av {}, som inte ger rätt till dataportabilitet (artikel 20.1)",
                        on.join(", ")
                    ),
                    Lang::En => format!(
                        "processed only on {}, which gives no right to portability (Article 20(1))",
                        on.join(", ")
                    ),
                }),
            });
            continue;
        }
        let state = RecordState::parse(&r.state).unwrap_or(RecordState::Active);
        let judged = schedule.due(
            &RecordFacts {
                category: &r.category,
                kind: &r.kind,
                collected_at: r.collected_at,
                reference: r.reference.as_deref(),
                accounting: r.accounting,
                dated: r.dated,
                state,
            },
            &retention_history,
            at,
        );
        let retention = match &judged {
            Retention::Due(d) => RetentionEntry {
                action: Some(d.action.id()),
                due: Some(d.on),
                rule: Some(d.rule.to_owned()),
                reason: both(|l| judged.in_words(policy, l)),
            },
            Retention::Kept(k) => RetentionEntry {
                action: None,
                due: None,
                rule: k.rule.map(str::to_owned),
                reason: both(|l| judged.in_words(policy, l)),
            },
            Retention::Done => RetentionEntry {
                action: None,
                due: None,
                rule: None,
                reason: both(|l| judged.in_words(policy, l)),
            },
        };
        records.push(ReportRecord {
            record: r.id,
            category: r.category.clone(),
            category_name: name_or_id(
                policy.categories.get(r.category.as_str()).map(|c| &c.name),
                &r.category,
            ),
            kind: r.kind.clone(),
            kind_name: name_or_id(policy.kinds.get(r.kind.as_str()).map(|k| &k.name), &r.kind),
            collected_at: r.collected_at,
            source: r.source.clone(),
            source_name,
            register: r
                .register
                .clone()
                .or_else(|| source.and_then(|s| s.register.clone())),
            content: r.payload.clone(),
            purposes,
            retention,
        });
    }
    let consents = history
        .iter()
        .map(|c| ConsentEntry {
            purpose: c.purpose.clone(),
            name: name_or_id(
                policy.purposes.get(c.purpose.as_str()).map(|p| &p.name),
                &c.purpose,
            ),
            given: c.given,
            channel: c.channel.clone(),
            notice_version: c.notice_version.clone(),
            at: c.at,
        })
        .collect();
    let disclosures = file
        .disclosures
        .iter()
        .map(|d| {
            let recipient = policy.recipients.get(d.recipient.as_str());
            DisclosureEntry {
                recipient: d.recipient.clone(),
                name: name_or_id(recipient.map(|r| &r.name), &d.recipient),
                recipient_type: recipient.map_or_else(String::new, |r| {
                    serde_json::to_value(r.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                }),
                categories: d.categories.clone(),
                at: d.at,
                transfers: recipient.map(transfers_of).unwrap_or_default(),
            }
        })
        .collect();
    // The processors that routinely receive the categories held about the
    // subject, named (Art. 15(1)(c), C-154/21), whether or not a
    // disclosure was recorded.
    let held: Vec<&str> = records.iter().map(|r| r.category.as_str()).collect();
    let processors = policy
        .recipients
        .iter()
        .filter(|(_, r)| r.kind == tillit_core::policy::RecipientType::Processor)
        .filter_map(|(id, r)| {
            let categories: Vec<Text> = r
                .categories
                .iter()
                .filter(|c| held.contains(&c.as_str()))
                .filter_map(|c| policy.categories.get(c).map(|c| c.name.clone()))
                .collect();
            (!categories.is_empty()).then(|| ProcessorEntry {
                recipient: id.to_string(),
                name: r.name.clone(),
                categories,
                transfers: transfers_of(r),
            })
        })
        .collect();
    // A consent the subject gave rests the purpose on consent for them,
    // whatever records remain.
    for c in history.iter().filter(|c| c.given) {
        if !bases
            .iter()
            .any(|(p, b)| p == &c.purpose && *b == LegalBasis::Consent)
        {
            bases.push((c.purpose.clone(), LegalBasis::Consent));
        }
    }
    let rights = Right::ALL
        .iter()
        .map(|&right| {
            let giving = |l: Lang| -> Vec<String> {
                bases
                    .iter()
                    .filter(|(_, b)| b.gives(right))
                    .map(|(p, b)| {
                        let name = policy
                            .purposes
                            .get(p.as_str())
                            .map_or_else(|| p.clone(), |x| x.name.get(l).to_lowercase());
                        format!("{name} ({})", b.name(l))
                    })
                    .collect()
            };
            let on = |l: Lang| -> String {
                let mut v: Vec<&str> = bases.iter().map(|(_, b)| b.name(l)).collect();
                v.sort_unstable();
                v.dedup();
                if v.is_empty() {
                    l.pick("ingen grund", "no basis").to_owned()
                } else {
                    v.join(", ")
                }
            };
            let given = right == Right::Access || !giving(Lang::En).is_empty();
            RightEntry {
                right,
                article: right.article(),
                given,
                reason: both(|l| match (given, l, right) {
                    (true, Lang::Sv, Right::Access) => {
                        "gäller alltid: detta utdrag är svaret".to_owned()
                    }
                    (true, Lang::En, Right::Access) => {
                        "always yours: this report is the answer".to_owned()
                    }
                    (true, _, _) => format!(
                        "{} {}",
                        l.pick("gäller behandlingen för", "applies to processing for"),
                        giving(l).join(", ")
                    ),
                    (false, Lang::Sv, _) => format!(
                        "gäller inte: dina uppgifter behandlas med stöd av {}, som inte ger denna rätt",
                        on(l)
                    ),
                    (false, Lang::En, _) => format!(
                        "does not apply: your data is processed on {}, which does not give this right",
                        on(l)
                    ),
                }),
            }
        })
        .collect();
    Ok(Some(AccessReport {
        kind,
        request,
        as_of: at,
        controller: controller_ref(policy),
        subject: SubjectRef {
            id: file.subject.id.to_string(),
            since: file.subject.created_at,
            identifiers: file
                .subject
                .identifiers
                .iter()
                .map(|i| (i.kind().to_owned(), i.value().to_owned()))
                .collect(),
        },
        records,
        left_out,
        consents,
        disclosures,
        processors,
        objections: file
            .objections
            .iter()
            .map(|o| ObjectionEntry {
                purpose: o.purpose.clone(),
                name: name_or_id(
                    policy.purposes.get(o.purpose.as_str()).map(|p| &p.name),
                    &o.purpose,
                ),
                absolute: o.absolute,
                at: o.at,
            })
            .collect(),
        restrictions: file
            .restrictions
            .iter()
            .map(|r| RestrictionEntry {
                ground: r.ground.clone(),
                ground_name: RestrictionGround::parse(&r.ground).map_or_else(
                    |_| Text::new(&r.ground, &r.ground),
                    |g| both(|l| g.describe(l).to_owned()),
                ),
                at: r.at,
                lifted_at: r.lifted_at,
            })
            .collect(),
        rights,
    }))
}
