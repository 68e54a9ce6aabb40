//! The machine-readable notice: JSON with W3C Data Privacy Vocabulary terms
//! for legal bases, purposes and transfer safeguards, so that a browser
//! extension, a regulator's crawler or another service can read the policy
//! without scraping prose.

use serde_json::{Value, json};

use crate::legal;
use crate::policy::{Anchor, CookieLifetime, Deadline, Policy, RecipientType};
use crate::text::Lang;

fn deadline(d: &Deadline) -> Value {
    json!({
        "after": d.after.map(|p| p.to_string()),
        "anchor": match &d.anchor {
            Anchor::Collection => "collection",
            Anchor::Event(e) => e.as_str(),
        },
    })
}

/// The notice as JSON, with names and texts in `lang`.
pub fn json(policy: &Policy, lang: Lang) -> Value {
    let c = &policy.controller;
    json!({
        "@context": {
            "dpv": "https://w3id.org/dpv#",
            "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
        },
        "format": "tillit-notice/1",
        "language": lang.tag(),
        "title": super::title(policy, lang),
        "controller": {
            "name": c.name,
            "organisationNumber": c.org_number,
            "address": c.address,
            "email": c.email,
            "phone": c.phone,
            "country": c.country,
            "dpo": c.dpo.as_ref().map(|d| json!({ "name": d.name, "email": d.email })),
            "supervisoryAuthority": { "name": c.supervisory_authority.name, "url": c.supervisory_authority.url },
        },
        "categories": policy.categories.iter().map(|(id, cat)| json!({
            "id": id,
            "name": cat.name.get(lang),
            "description": cat.description.as_ref().map(|d| d.get(lang)),
            "dataSubjects": cat.data_subjects.as_ref().map(|d| d.get(lang)),
            "kinds": policy.kinds_of(id.as_str()).map(|(kid, k)| json!({
                "id": kid,
                "name": k.name.get(lang),
                "sources": k.sources,
                "accountingMaterial": k.accounting_material,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "sources": policy.sources.iter().map(|(id, s)| json!({
            "id": id,
            "name": s.name.get(lang),
            "description": s.description.as_ref().map(|d| d.get(lang)),
            "fromSubject": s.from_subject,
            "register": s.register,
            "informWithin": s.inform_within.map(|p| p.to_string()),
        })).collect::<Vec<_>>(),
        "purposes": policy.purposes.iter().map(|(id, p)| json!({
            "id": id,
            "name": p.name.get(lang),
            "description": p.description.as_ref().map(|d| d.get(lang)),
            "dpv:hasPurpose": p.dpv.as_ref().map(|d| format!("dpv:{d}")),
            "processing": p.basis.iter().map(|(cat, b)| json!({
                "category": cat,
                "basis": b.id(),
                "dpv:hasLegalBasis": b.dpv(),
                "gdpr": b.gdpr(),
            })).collect::<Vec<_>>(),
            "legitimateInterest": p.legitimate_interest.as_ref().map(|t| t.get(lang)),
            "anonymisedOnly": p.anonymised_only,
            "directMarketing": p.direct_marketing,
            "channels": p.channels,
            "emailException": p.email_exception,
            "withdrawVia": p.withdraw_via,
            "required": p.required,
            "ifNotProvided": p.if_not_provided.as_ref().map(|t| t.get(lang)),
            "law": p.law,
        })).collect::<Vec<_>>(),
        "retention": policy.retention.iter().map(|r| json!({
            "rule": r.id,
            "category": r.category,
            "kinds": r.kinds,
            "keepWhile": r.keep_while,
            "anonymise": r.anonymise.as_ref().map(deadline),
            "erase": r.erase.as_ref().map(deadline),
        })).collect::<Vec<_>>(),
        "statutoryMinimums": policy.statutory_minimums.iter().map(|m| json!({
            "rule": m.id,
            "law": m.law,
            "appliesTo": "accounting-material",
            "keptThrough": format!(
                "31 December of the {}th calendar year after the one in which the fiscal year ended",
                m.years_after_fiscal_year
            ),
            "dpv:hasLegalBasis": "dpv:LegalObligation",
        })).collect::<Vec<_>>(),
        "recipients": policy.recipients.iter().map(|(id, r)| json!({
            "id": id,
            "type": match r.kind {
                RecipientType::Processor => "processor",
                RecipientType::Authority => "authority",
                RecipientType::ThirdParty => "third-party",
            },
            "dpv:hasRecipient": match r.kind {
                RecipientType::Processor => "dpv:DataProcessor",
                RecipientType::Authority => "dpv:Authority",
                RecipientType::ThirdParty => "dpv:ThirdParty",
            },
            "name": r.name.get(lang),
            "description": r.description.as_ref().map(|d| d.get(lang)),
            "purposes": r.purposes,
            "categories": r.categories,
            "basis": r.basis.map(|b| b.dpv()),
            "subConsultants": r.sub_consultants,
            "transfers": r.transfers.iter().filter(|t| t.is_current()).map(|t| json!({
                "country": t.country,
                "thirdCountry": !legal::is_eea(&t.country),
                "mechanism": t.mechanism.map(|m| m.fact().id),
                "mechanismName": t.mechanism.map(|m| m.fact().name(lang)),
                "gdpr": t.mechanism.map(|m| m.fact().gdpr_term),
                "since": t.since.to_string(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "security": policy.security.iter().map(|m| m.get(lang)).collect::<Vec<_>>(),
        "automatedDecisions": policy.automated_decisions.as_ref().map(|a| json!({
            "used": a.used,
            "description": a.description.as_ref().map(|d| d.get(lang)),
        })),
        "website": {
            "ipMasking": policy.website.ip_masking,
            "pseudonymised": policy.tells_visitors_apart(),
            "suppressBelow": policy.website.suppress_below,
        },
        "cookies": policy.cookies.iter().map(|c| json!({
            "name": c.name,
            "provider": c.provider,
            "description": c.description.as_ref().map(|d| d.get(lang)),
            "strictlyNecessary": c.strictly_necessary,
            "purposes": c.purposes,
            "recipient": c.recipient,
            "lifetime": match c.lifetime {
                CookieLifetime::Session => "session".to_owned(),
                CookieLifetime::For(p) => p.to_string(),
            },
        })).collect::<Vec<_>>(),
    })
}
