//! Lawfulness decisions: may this role process this category of this
//! subject's data for this purpose at this instant — and why.
//!
//! [`Rules`] is the policy compiled for the hot path: names become small
//! indices once, and a decision is a few array reads and a scan of the
//! subject's (short) history. [`SubjectState`] is what the ledger knows of
//! one subject that a decision needs: consent history, contracts,
//! objections, restrictions, erasure. Both are plain values; the store loads
//! the state and keeps it current, core never reads anything.
//!
//! The rules, in the order they are applied (the first that denies wins):
//! 1. the purpose and category exist in the policy, the purpose gives the
//!    category a legal basis, and the role exists;
//! 2. the role's need-to-know grant covers the purpose and category (P20);
//! 3. a purpose for anonymised data only (P8) serves only anonymised
//!    records or aggregates;
//! 4. an erased subject has nothing to process;
//! 5. a restriction (Art. 18) stops everything but storage and purposes
//!    that serve legal claims;
//! 6. an objection to direct marketing (Art. 21(3)) stops every
//!    direct-marketing purpose, whatever its basis;
//! 7. the basis: consent given and not withdrawn at the instant; a
//!    contract active at the instant; legitimate interest or public task
//!    without an objection upheld; legal obligation and vital interest hold.

use std::fmt::Write as _;

use indexmap::IndexMap;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::policy::{CategoryId, EventId, LegalBasis, Policy, PurposeId, RoleId};
use crate::text::Lang;

/// A purpose, by its position in the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PurposeIx(u16);
/// A category, by its position in the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CategoryIx(u16);
/// A role, by its position in the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleIx(u16);

/// A name a request gives: one the policy declares, or one it does not
/// (kept to say so). Unknown names are denied, never an error, so that a
/// typo on a hot path fails closed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Named<I> {
    Known(I),
    Unknown(Box<str>),
}

/// What is done with the data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// Any processing: reading, sending, analysing.
    #[default]
    Use,
    /// Only keeping it; allowed while processing is restricted (Art. 18(2)).
    Store,
}

/// One question: may `role` process `category` data of the subject for
/// `purpose` at `at`?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub role: Named<RoleIx>,
    pub purpose: Named<PurposeIx>,
    pub category: Named<CategoryIx>,
    pub at: Timestamp,
    /// Only anonymised records or aggregates are processed.
    pub anonymised: bool,
    pub operation: Operation,
}

/// Which rule decided, with the instant it turned on where there is one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    UnknownRole,
    /// The ledger holds no subject by the id asked about.
    UnknownSubject,
    UndeclaredPurpose,
    UndeclaredCategory,
    /// The purpose does not process the category: no basis is declared.
    NoBasisForCategory,
    NoNeedToKnow,
    AnonymisedOnly,
    Erased {
        at: Timestamp,
    },
    Restricted {
        since: Timestamp,
    },
    DirectMarketingObjection {
        at: Timestamp,
    },
    ObjectionUpheld {
        at: Timestamp,
    },
    ConsentGiven {
        at: Timestamp,
    },
    ConsentWithdrawn {
        at: Timestamp,
    },
    NoConsent,
    ContractActive {
        since: Timestamp,
    },
    ContractEnded {
        at: Timestamp,
    },
    NoContract,
    LegitimateInterest,
    PublicTask,
    LegalObligation,
    VitalInterest,
}

impl Rule {
    /// A stable id for scripts and logs.
    pub fn id(self) -> &'static str {
        match self {
            Rule::UnknownRole => "unknown-role",
            Rule::UnknownSubject => "unknown-subject",
            Rule::UndeclaredPurpose => "undeclared-purpose",
            Rule::UndeclaredCategory => "undeclared-category",
            Rule::NoBasisForCategory => "no-basis-for-category",
            Rule::NoNeedToKnow => "no-need-to-know",
            Rule::AnonymisedOnly => "anonymised-only",
            Rule::Erased { .. } => "erased",
            Rule::Restricted { .. } => "restricted",
            Rule::DirectMarketingObjection { .. } => "direct-marketing-objection",
            Rule::ObjectionUpheld { .. } => "objection-upheld",
            Rule::ConsentGiven { .. } => "consent-given",
            Rule::ConsentWithdrawn { .. } => "consent-withdrawn",
            Rule::NoConsent => "no-consent",
            Rule::ContractActive { .. } => "contract-active",
            Rule::ContractEnded { .. } => "contract-ended",
            Rule::NoContract => "no-contract",
            Rule::LegitimateInterest => "legitimate-interest",
            Rule::PublicTask => "public-task",
            Rule::LegalObligation => "legal-obligation",
            Rule::VitalInterest => "vital-interest",
        }
    }

    /// The instant the rule turned on, where it has one.
    pub fn since(self) -> Option<Timestamp> {
        match self {
            Rule::Erased { at }
            | Rule::DirectMarketingObjection { at }
            | Rule::ObjectionUpheld { at }
            | Rule::ConsentGiven { at }
            | Rule::ConsentWithdrawn { at }
            | Rule::ContractEnded { at } => Some(at),
            Rule::Restricted { since } | Rule::ContractActive { since } => Some(since),
            _ => None,
        }
    }
}

/// The answer: allowed or not, on which basis, by which rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decision {
    pub allowed: bool,
    /// The basis the purpose gives the category, where it gives one.
    pub basis: Option<LegalBasis>,
    pub rule: Rule,
}

/// A decision with its reasons, for reports; see [`Rules::explain`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub allowed: bool,
    pub basis: Option<&'static str>,
    /// The basis as a W3C DPV term.
    pub basis_dpv: Option<&'static str>,
    pub rule: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    pub reason: Reasons,
    /// The rights processing on this basis gives the subject.
    pub rights: &'static [crate::rights::Right],
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reasons {
    pub sv: String,
    pub en: String,
}

#[derive(Clone, Debug)]
struct PurposeRule {
    /// By category index.
    basis: Vec<Option<LegalBasis>>,
    direct_marketing: bool,
    anonymised_only: bool,
    legal_claims: bool,
}

/// The policy, compiled for decisions.
#[derive(Clone, Debug)]
pub struct Rules {
    categories: IndexMap<CategoryId, ()>,
    purposes: IndexMap<PurposeId, PurposeRule>,
    /// By role, then `purpose * categories + category`.
    grants: IndexMap<RoleId, Vec<bool>>,
    /// The events that open and close the contract state.
    contract: Option<(EventId, EventId)>,
}

fn ix16(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

impl Rules {
    pub fn new(policy: &Policy) -> Rules {
        let categories: IndexMap<CategoryId, ()> =
            policy.categories.keys().map(|c| (c.clone(), ())).collect();
        let purposes: IndexMap<PurposeId, PurposeRule> = policy
            .purposes
            .iter()
            .map(|(id, p)| {
                let rule = PurposeRule {
                    basis: categories.keys().map(|c| p.basis_for(c.as_str())).collect(),
                    direct_marketing: p.direct_marketing,
                    anonymised_only: p.anonymised_only,
                    legal_claims: p.legal_claims,
                };
                (id.clone(), rule)
            })
            .collect();
        let grants = policy
            .roles
            .iter()
            .map(|(id, role)| {
                let mut g = Vec::with_capacity(purposes.len() * categories.len());
                for p in purposes.keys() {
                    for c in categories.keys() {
                        g.push(role.may(p.as_str(), c.as_str()));
                    }
                }
                (id.clone(), g)
            })
            .collect();
        let contract = policy
            .contract_state()
            .map(|(_, s)| (s.opens.clone(), s.closes.clone()));
        Rules {
            categories,
            purposes,
            grants,
            contract,
        }
    }

    pub fn role(&self, name: &str) -> Named<RoleIx> {
        match self.grants.get_index_of(name) {
            Some(i) => Named::Known(RoleIx(ix16(i))),
            None => Named::Unknown(name.into()),
        }
    }

    pub fn purpose(&self, name: &str) -> Named<PurposeIx> {
        match self.purposes.get_index_of(name) {
            Some(i) => Named::Known(PurposeIx(ix16(i))),
            None => Named::Unknown(name.into()),
        }
    }

    pub fn category(&self, name: &str) -> Named<CategoryIx> {
        match self.categories.get_index_of(name) {
            Some(i) => Named::Known(CategoryIx(ix16(i))),
            None => Named::Unknown(name.into()),
        }
    }

    /// A request by names, for personal data and any use.
    pub fn request(&self, role: &str, purpose: &str, category: &str, at: Timestamp) -> Request {
        Request {
            role: self.role(role),
            purpose: self.purpose(purpose),
            category: self.category(category),
            at,
            anonymised: false,
            operation: Operation::Use,
        }
    }

    pub fn role_id(&self, r: RoleIx) -> &str {
        self.grants
            .get_index(usize::from(r.0))
            .map_or("", |(id, _)| id.as_str())
    }

    pub fn purpose_id(&self, p: PurposeIx) -> &str {
        self.purposes
            .get_index(usize::from(p.0))
            .map_or("", |(id, _)| id.as_str())
    }

    pub fn category_id(&self, c: CategoryIx) -> &str {
        self.categories
            .get_index(usize::from(c.0))
            .map_or("", |(id, _)| id.as_str())
    }

    /// The role, purpose and category a request names, as given.
    pub fn names<'a>(&'a self, r: &'a Request) -> (&'a str, &'a str, &'a str) {
        fn name<'a, I: Copy>(n: &'a Named<I>, known: impl Fn(I) -> &'a str) -> &'a str {
            match n {
                Named::Known(i) => known(*i),
                Named::Unknown(s) => s,
            }
        }
        (
            name(&r.role, |i| self.role_id(i)),
            name(&r.purpose, |i| self.purpose_id(i)),
            name(&r.category, |i| self.category_id(i)),
        )
    }

    /// Every purpose index, in policy order.
    pub fn purposes(&self) -> impl Iterator<Item = PurposeIx> + '_ {
        (0..self.purposes.len()).map(|i| PurposeIx(ix16(i)))
    }

    /// Every category index, in policy order.
    pub fn categories(&self) -> impl Iterator<Item = CategoryIx> + '_ {
        (0..self.categories.len()).map(|i| CategoryIx(ix16(i)))
    }

    /// Every role index, in policy order.
    pub fn roles(&self) -> impl Iterator<Item = RoleIx> + '_ {
        (0..self.grants.len()).map(|i| RoleIx(ix16(i)))
    }

    /// The basis the purpose gives the category, if the policy declares
    /// one.
    pub fn basis(&self, p: PurposeIx, c: CategoryIx) -> Option<LegalBasis> {
        self.purposes
            .get_index(usize::from(p.0))
            .and_then(|(_, rule)| rule.basis.get(usize::from(c.0)).copied().flatten())
    }

    /// Whether the role's need-to-know grant covers the purpose and
    /// category.
    pub fn grants(&self, r: RoleIx, p: PurposeIx, c: CategoryIx) -> bool {
        let at = usize::from(p.0) * self.categories.len() + usize::from(c.0);
        self.grants
            .get_index(usize::from(r.0))
            .and_then(|(_, g)| g.get(at).copied())
            .unwrap_or(false)
    }

    pub fn is_direct_marketing(&self, p: PurposeIx) -> bool {
        self.purposes
            .get_index(usize::from(p.0))
            .is_some_and(|(_, r)| r.direct_marketing)
    }

    /// The lifecycle events that open and close a contract, if the policy
    /// has a contract state.
    pub fn contract_events(&self) -> Option<(&str, &str)> {
        self.contract
            .as_ref()
            .map(|(o, c)| (o.as_str(), c.as_str()))
    }

    /// A builder for one subject's state.
    pub fn state(&self) -> StateBuilder<'_> {
        StateBuilder {
            rules: self,
            state: SubjectState::default(),
            events: Vec::new(),
        }
    }

    /// Decides a request about a subject in a state.
    pub fn decide(&self, state: &SubjectState, request: &Request) -> Decision {
        self.decide_for(Some(state), request)
    }

    /// Decides a request about a subject the ledger may not hold (`None`):
    /// what the policy alone denies is said first, then that there is no
    /// such subject.
    pub fn decide_for(&self, state: Option<&SubjectState>, request: &Request) -> Decision {
        let deny = |basis, rule| Decision {
            allowed: false,
            basis,
            rule,
        };
        let Named::Known(p) = request.purpose else {
            return deny(None, Rule::UndeclaredPurpose);
        };
        let Named::Known(c) = request.category else {
            return deny(None, Rule::UndeclaredCategory);
        };
        let Some((_, purpose)) = self.purposes.get_index(usize::from(p.0)) else {
            return deny(None, Rule::UndeclaredPurpose);
        };
        let Some(basis) = purpose.basis.get(usize::from(c.0)).copied().flatten() else {
            return deny(None, Rule::NoBasisForCategory);
        };
        let b = Some(basis);
        let Named::Known(role) = request.role else {
            return deny(b, Rule::UnknownRole);
        };
        if !self.grants(role, p, c) {
            return deny(b, Rule::NoNeedToKnow);
        }
        if purpose.anonymised_only && !request.anonymised {
            return deny(b, Rule::AnonymisedOnly);
        }
        let Some(state) = state else {
            return deny(b, Rule::UnknownSubject);
        };
        let t = request.at;
        if let Some(at) = state.erased_at.filter(|at| *at <= t) {
            return deny(b, Rule::Erased { at });
        }
        if request.operation == Operation::Use
            && !purpose.legal_claims
            && let Some(since) = state.restricted_at(t)
        {
            return deny(b, Rule::Restricted { since });
        }
        // What an erasure request kept for a legal obligation stays usable
        // for that obligation: the books are still kept.
        if request.operation == Operation::Use
            && !purpose.legal_claims
            && basis != LegalBasis::LegalObligation
            && let Some(since) = state.erasure_restricted_at(t)
        {
            return deny(b, Rule::Restricted { since });
        }
        if purpose.direct_marketing
            && let Some(at) = state.direct_marketing_objection.filter(|at| *at <= t)
        {
            return deny(b, Rule::DirectMarketingObjection { at });
        }
        let allow = |rule| Decision {
            allowed: true,
            basis: b,
            rule,
        };
        match basis {
            LegalBasis::Consent => match state.consent_at(p, t) {
                Some((at, true)) => allow(Rule::ConsentGiven { at }),
                Some((at, false)) => deny(b, Rule::ConsentWithdrawn { at }),
                None => deny(b, Rule::NoConsent),
            },
            LegalBasis::Contract => match state.contract_at(t) {
                Contract::Active(since) => allow(Rule::ContractActive { since }),
                Contract::Ended(at) => deny(b, Rule::ContractEnded { at }),
                Contract::Never => deny(b, Rule::NoContract),
            },
            LegalBasis::LegitimateInterest | LegalBasis::PublicTask => {
                match state.objection_at(p, t) {
                    Some(at) => deny(b, Rule::ObjectionUpheld { at }),
                    None if basis == LegalBasis::PublicTask => allow(Rule::PublicTask),
                    None => allow(Rule::LegitimateInterest),
                }
            }
            LegalBasis::LegalObligation => allow(Rule::LegalObligation),
            LegalBasis::VitalInterest => allow(Rule::VitalInterest),
        }
    }

    /// ` (did you mean `x`?)` for a name close to a known one.
    fn hint<'a>(&self, name: &str, known: impl Iterator<Item = &'a str>, lang: Lang) -> String {
        crate::policy::closest(name, known).map_or(String::new(), |k| {
            format!(" ({} `{k}`?)", lang.pick("menade du", "did you mean"))
        })
    }

    /// The decision as the CLI and the API report it: verdict, basis,
    /// rule, the instant it turned on, the reason in both languages and
    /// the rights the basis gives.
    pub fn explain(&self, d: &Decision, r: &Request, tz: &TimeZone) -> Explanation {
        Explanation {
            allowed: d.allowed,
            basis: d.basis.map(LegalBasis::id),
            basis_dpv: d.basis.map(LegalBasis::dpv),
            rule: d.rule.id(),
            since: d.rule.since(),
            reason: Reasons {
                sv: self.reason(d, r, Lang::Sv, tz),
                en: self.reason(d, r, Lang::En, tz),
            },
            rights: d.basis.map_or(&[][..], LegalBasis::rights),
        }
    }

    /// Why, in words a DPO and an engineer both read: names the role,
    /// purpose and category, the basis, and the instant that decided,
    /// shown in `tz`.
    pub fn reason(&self, d: &Decision, r: &Request, lang: Lang, tz: &TimeZone) -> String {
        let (role, p, c) = self.names(r);
        let when = |t: Timestamp| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        };
        let sv = lang == Lang::Sv;
        let mut s = String::new();
        let _ = match d.rule {
            Rule::UnknownRole => {
                let hint = self.hint(role, self.grants.keys().map(RoleId::as_str), lang);
                if sv {
                    write!(s, "Policyn har ingen roll `{role}`{hint}.")
                } else {
                    write!(s, "The policy has no role `{role}`{hint}.")
                }
            }
            Rule::UnknownSubject => {
                if sv {
                    write!(
                        s,
                        "tillit har ingen registrerad med detta id, så det finns inget att behandla för `{p}`."
                    )
                } else {
                    write!(
                        s,
                        "tillit holds no subject by this id, so there is nothing to process for `{p}`."
                    )
                }
            }
            Rule::UndeclaredPurpose => {
                let hint = self.hint(p, self.purposes.keys().map(PurposeId::as_str), lang);
                if sv {
                    write!(
                        s,
                        "Policyn anger inget ändamål `{p}`{hint}; inget får behandlas för det."
                    )
                } else {
                    write!(
                        s,
                        "The policy declares no purpose `{p}`{hint}; nothing may be processed for it."
                    )
                }
            }
            Rule::UndeclaredCategory => {
                let hint = self.hint(c, self.categories.keys().map(CategoryId::as_str), lang);
                if sv {
                    write!(s, "Policyn anger ingen kategori `{c}`{hint}.")
                } else {
                    write!(s, "The policy declares no category `{c}`{hint}.")
                }
            }
            Rule::NoBasisForCategory => {
                if sv {
                    write!(
                        s,
                        "Ändamålet `{p}` ger ingen rättslig grund för `{c}`: policyn anger inte att det behandlar den kategorin."
                    )
                } else {
                    write!(
                        s,
                        "Purpose `{p}` gives `{c}` data no legal basis: the policy does not say it processes that category."
                    )
                }
            }
            Rule::NoNeedToKnow => {
                if sv {
                    write!(
                        s,
                        "Rollen `{role}` har inte behov av `{c}` för `{p}`: åtkomst ges endast till dem som behöver det i sitt arbete."
                    )
                } else {
                    write!(
                        s,
                        "Role `{role}` has no need to know `{c}` data for `{p}`: access is given only to those who need it for their work."
                    )
                }
            }
            Rule::AnonymisedOnly => {
                if sv {
                    write!(
                        s,
                        "Ändamålet `{p}` får bara använda anonymiserade uppgifter eller sammanställningar; begäran gäller personuppgifter."
                    )
                } else {
                    write!(
                        s,
                        "Purpose `{p}` may use only anonymised records or aggregates; this request is for personal data."
                    )
                }
            }
            Rule::Erased { at } => {
                if sv {
                    write!(
                        s,
                        "Den registrerades uppgifter raderades {}; det finns inget att behandla för `{p}`.",
                        when(at)
                    )
                } else {
                    write!(
                        s,
                        "The subject's data was erased on {}; there is nothing to process for `{p}`.",
                        when(at)
                    )
                }
            }
            Rule::Restricted { since } => {
                if sv {
                    write!(
                        s,
                        "Behandlingen är begränsad sedan {} (GDPR art. 18), så `{p}` får inte använda uppgifterna: de får bara lagras eller användas för rättsliga anspråk.",
                        when(since)
                    )
                } else {
                    write!(
                        s,
                        "Processing has been restricted since {} (GDPR Art. 18), so `{p}` may not use the data: it may only be stored or used for legal claims.",
                        when(since)
                    )
                }
            }
            Rule::DirectMarketingObjection { at } => {
                if sv {
                    write!(
                        s,
                        "Den registrerade invände mot direktmarknadsföring {}; invändningen är ovillkorlig (GDPR art. 21.3) och stoppar `{p}`.",
                        when(at)
                    )
                } else {
                    write!(
                        s,
                        "The subject objected to direct marketing on {}; the objection is absolute (GDPR Art. 21(3)) and stops `{p}`.",
                        when(at)
                    )
                }
            }
            Rule::ObjectionUpheld { at } => {
                if sv {
                    write!(
                        s,
                        "Den registrerade invände mot `{p}` {} och inga tvingande berättigade skäl är dokumenterade (GDPR art. 21.1).",
                        when(at)
                    )
                } else {
                    write!(
                        s,
                        "The subject objected to `{p}` on {} and no compelling legitimate grounds are recorded (GDPR Art. 21(1)).",
                        when(at)
                    )
                }
            }
            Rule::ConsentGiven { at } => {
                if sv {
                    write!(
                        s,
                        "`{p}` bygger på samtycke för `{c}`; samtycket gavs {} och är inte återkallat.",
                        when(at)
                    )
                } else {
                    write!(
                        s,
                        "`{p}` rests on consent for `{c}` data; consent was given on {} and has not been withdrawn.",
                        when(at)
                    )
                }
            }
            Rule::ConsentWithdrawn { at } => {
                if sv {
                    write!(
                        s,
                        "`{p}` bygger på samtycke för `{c}`, och samtycket återkallades {} (GDPR art. 7.3).",
                        when(at)
                    )
                } else {
                    write!(
                        s,
                        "`{p}` rests on consent for `{c}` data, and consent was withdrawn on {} (GDPR Art. 7(3)).",
                        when(at)
                    )
                }
            }
            Rule::NoConsent => {
                if sv {
                    write!(
                        s,
                        "`{p}` bygger på samtycke för `{c}`, och den registrerade har inte samtyckt."
                    )
                } else {
                    write!(
                        s,
                        "`{p}` rests on consent for `{c}` data, and the subject has not consented."
                    )
                }
            }
            Rule::ContractActive { since } => {
                if sv {
                    write!(
                        s,
                        "`{p}` bygger på avtal för `{c}`; den registrerade har ett gällande avtal sedan {}.",
                        when(since)
                    )
                } else {
                    write!(
                        s,
                        "`{p}` rests on contract for `{c}` data; the subject has had an active contract since {}.",
                        when(since)
                    )
                }
            }
            Rule::ContractEnded { at } => {
                if sv {
                    write!(
                        s,
                        "`{p}` bygger på avtal för `{c}`, och den registrerades avtal upphörde {}.",
                        when(at)
                    )
                } else {
                    write!(
                        s,
                        "`{p}` rests on contract for `{c}` data, and the subject's contract ended on {}.",
                        when(at)
                    )
                }
            }
            Rule::NoContract => {
                if sv {
                    write!(
                        s,
                        "`{p}` bygger på avtal för `{c}`, och den registrerade har inget avtal."
                    )
                } else {
                    write!(
                        s,
                        "`{p}` rests on contract for `{c}` data, and the subject has no contract."
                    )
                }
            }
            Rule::LegitimateInterest | Rule::PublicTask => {
                let basis = d.basis.unwrap_or(LegalBasis::LegitimateInterest).name(lang);
                if sv {
                    write!(
                        s,
                        "`{p}` bygger på {basis} för `{c}`, och den registrerade har inte invänt."
                    )
                } else {
                    write!(
                        s,
                        "`{p}` rests on {basis} for `{c}` data, and the subject has not objected."
                    )
                }
            }
            Rule::LegalObligation | Rule::VitalInterest => {
                let basis = d.basis.unwrap_or(LegalBasis::LegalObligation).name(lang);
                if sv {
                    write!(s, "`{p}` bygger på {basis} för `{c}`.")
                } else {
                    write!(s, "`{p}` rests on {basis} for `{c}` data.")
                }
            }
        };
        s
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Interval {
    from: Timestamp,
    until: Option<Timestamp>,
}

/// Intervals from opening and closing events, a reference at a time: an
/// interval is open from an opening event until the next closing one with
/// the same reference (at the same instant, a close comes after an open),
/// and has no end if none follows. A close with nothing open is ignored.
/// The decision engine's contracts and retention's keep-while states are
/// both made this way.
pub(crate) fn intervals<R: Ord>(
    events: &mut [(R, Timestamp, bool)],
) -> Vec<(Timestamp, Option<Timestamp>)> {
    events.sort_by(|a, b| (&a.0, a.1, !a.2).cmp(&(&b.0, b.1, !b.2)));
    let mut out = Vec::new();
    let mut open: Option<(&R, Timestamp)> = None;
    for (reference, at, opens) in events.iter() {
        if let Some((r, from)) = open
            && r != reference
        {
            out.push((from, None));
            open = None;
        }
        match (open, *opens) {
            (None, true) => open = Some((reference, *at)),
            (Some((_, from)), false) => {
                out.push((from, Some(*at)));
                open = None;
            }
            _ => {}
        }
    }
    if let Some((_, from)) = open {
        out.push((from, None));
    }
    out
}

impl Interval {
    fn holds_at(self, t: Timestamp) -> bool {
        self.from <= t && self.until.is_none_or(|u| t < u)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ConsentEvent {
    purpose: PurposeIx,
    at: Timestamp,
    given: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Objection {
    purpose: PurposeIx,
    upheld: Interval,
}

enum Contract {
    Active(Timestamp),
    Ended(Timestamp),
    Never,
}

/// What a decision needs to know of one subject, over time: every
/// decision is taken as of its request's instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubjectState {
    /// Sorted by purpose, then time.
    consents: Vec<ConsentEvent>,
    /// Sorted by start.
    contracts: Vec<Interval>,
    objections: Vec<Objection>,
    /// The earliest objection to direct marketing.
    direct_marketing_objection: Option<Timestamp>,
    restrictions: Vec<Interval>,
    /// Restrictions placed on what an erasure request kept for a legal
    /// obligation or claim: they allow what keeps the data.
    erasure_restrictions: Vec<Interval>,
    erased_at: Option<Timestamp>,
}

impl SubjectState {
    /// The last consent event for the purpose at or before `t`: when, and
    /// whether it gave consent.
    fn consent_at(&self, p: PurposeIx, t: Timestamp) -> Option<(Timestamp, bool)> {
        self.consents
            .iter()
            .rfind(|e| e.purpose == p && e.at <= t)
            .map(|e| (e.at, e.given))
    }

    fn contract_at(&self, t: Timestamp) -> Contract {
        let mut ended = None;
        for c in &self.contracts {
            if c.holds_at(t) {
                return Contract::Active(c.from);
            }
            if let Some(u) = c.until.filter(|u| *u <= t) {
                ended = ended.max(Some(u));
            }
        }
        ended.map_or(Contract::Never, Contract::Ended)
    }

    fn restricted_at(&self, t: Timestamp) -> Option<Timestamp> {
        self.restrictions
            .iter()
            .filter(|r| r.holds_at(t))
            .map(|r| r.from)
            .min()
    }

    /// Since when processing other than for a legal obligation has been
    /// restricted after an erasure request, if it is at `t`.
    fn erasure_restricted_at(&self, t: Timestamp) -> Option<Timestamp> {
        self.erasure_restrictions
            .iter()
            .filter(|r| r.holds_at(t))
            .map(|r| r.from)
            .min()
    }

    fn objection_at(&self, p: PurposeIx, t: Timestamp) -> Option<Timestamp> {
        self.objections
            .iter()
            .filter(|o| o.purpose == p && o.upheld.holds_at(t))
            .map(|o| o.upheld.from)
            .min()
    }

    /// Whether consent to the purpose is in force at `t`.
    pub fn consents_at(&self, p: PurposeIx, t: Timestamp) -> bool {
        self.consent_at(p, t).is_some_and(|(_, given)| given)
    }

    /// Whether the subject has an active contract at `t`.
    pub fn has_contract_at(&self, t: Timestamp) -> bool {
        matches!(self.contract_at(t), Contract::Active(_))
    }
}

/// Builds a [`SubjectState`] from the ledger's rows, in any order.
#[derive(Debug)]
pub struct StateBuilder<'r> {
    rules: &'r Rules,
    state: SubjectState,
    /// (reference, at, opens) of contract events.
    events: Vec<(String, Timestamp, bool)>,
}

impl StateBuilder<'_> {
    /// A consent given or withdrawn. A purpose the policy no longer has is
    /// ignored: nothing can be decided for it.
    pub fn consent(&mut self, purpose: &str, given: bool, at: Timestamp) -> &mut Self {
        if let Named::Known(purpose) = self.rules.purpose(purpose) {
            self.state
                .consents
                .push(ConsentEvent { purpose, at, given });
        }
        self
    }

    /// A lifecycle event; only those that open or close the contract state
    /// matter here.
    pub fn event(&mut self, kind: &str, reference: &str, at: Timestamp) -> &mut Self {
        if let Some((opens, closes)) = &self.rules.contract {
            if opens.as_str() == kind {
                self.events.push((reference.to_owned(), at, true));
            } else if closes.as_str() == kind {
                self.events.push((reference.to_owned(), at, false));
            }
        }
        self
    }

    /// An objection; `absolute` for direct marketing, which stops every
    /// direct-marketing purpose. `overruled_at`: when compelling
    /// legitimate grounds were recorded against it (Art. 21(1)); an
    /// absolute objection cannot be overruled.
    pub fn objection(
        &mut self,
        purpose: &str,
        absolute: bool,
        at: Timestamp,
        overruled_at: Option<Timestamp>,
    ) -> &mut Self {
        let purpose_ix = self.rules.purpose(purpose);
        let direct =
            absolute || matches!(purpose_ix, Named::Known(p) if self.rules.is_direct_marketing(p));
        if direct {
            let earliest = self
                .state
                .direct_marketing_objection
                .map_or(at, |e| e.min(at));
            self.state.direct_marketing_objection = Some(earliest);
        } else if let Named::Known(purpose) = purpose_ix {
            // Upheld from its instant until compelling grounds overrule it.
            self.state.objections.push(Objection {
                purpose,
                upheld: Interval {
                    from: at,
                    until: overruled_at,
                },
            });
        }
        self
    }

    pub fn restriction(&mut self, from: Timestamp, lifted: Option<Timestamp>) -> &mut Self {
        self.state.restrictions.push(Interval {
            from,
            until: lifted,
        });
        self
    }

    /// A restriction on what an erasure request kept (Art. 17(3)): the data
    /// is stored, and used only for the legal obligation or claim that
    /// keeps it.
    pub fn erasure_restriction(&mut self, from: Timestamp, lifted: Option<Timestamp>) -> &mut Self {
        self.state.erasure_restrictions.push(Interval {
            from,
            until: lifted,
        });
        self
    }

    pub fn erased(&mut self, at: Timestamp) -> &mut Self {
        self.state.erased_at = Some(self.state.erased_at.map_or(at, |e| e.min(at)));
        self
    }

    pub fn finish(mut self) -> SubjectState {
        let mut state = self.state;
        state.consents.sort_by_key(|e| (e.purpose, e.at));
        // Each reference is one contract.
        state.contracts = intervals(&mut self.events)
            .into_iter()
            .map(|(from, until)| Interval { from, until })
            .collect();
        state.contracts.sort_by_key(|c| c.from);
        state
    }
}
