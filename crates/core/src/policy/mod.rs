//! The policy: what personal data is processed, why, on which legal basis,
//! for how long, by whom and to whom.
//!
//! A [`Policy`] only exists if the file resolved without errors: every
//! reference in it names something declared, every purpose gives a legal
//! basis for every category it is used with, every deadline parses. Code
//! downstream (the notice, decisions, retention) relies on that and never
//! re-checks. Elements carry the [`Span`] of their declaration so that lints
//! can point into the file.

mod raw;
mod resolve;

pub(crate) use resolve::closest;

use std::borrow::Borrow;
use std::fmt;

use indexmap::IndexMap;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, SourceFile, Span};
use crate::legal::Mechanism;
use crate::period::Period;
use crate::text::{Lang, Text};

/// The policy format version this build reads.
pub const FORMAT: i64 = 1;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// What this id names, for messages.
            pub const WHAT: &'static str = $what;

            pub fn parse(s: &str) -> Result<Self, IdError> {
                validate_id(s, $what).map(|()| $name(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A category of personal data, e.g. `customer` (kunddata).
    CategoryId, "category"
);
id_type!(
    /// A kind of record within a category, e.g. `invoice`.
    KindId, "kind"
);
id_type!(
    /// Where data comes from, e.g. `public-register`.
    SourceId, "source"
);
id_type!(
    /// Why data is processed, e.g. `marketing`.
    PurposeId, "purpose"
);
id_type!(
    /// A lifecycle event services record, e.g. `contract-end`.
    EventId, "event"
);
id_type!(
    /// A state between two lifecycle events, e.g. `active-contract`.
    StateId, "state"
);
id_type!(
    /// A retention rule or statutory minimum, e.g. `customer-data`.
    RuleId, "rule"
);
id_type!(
    /// Someone data is disclosed to, e.g. `authorities`.
    RecipientId, "recipient"
);
id_type!(
    /// A need-to-know role, e.g. `billing`.
    RoleId, "role"
);

/// Why a name is not an id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{name}` is not a valid {what} id: use lowercase letters, digits and `-`, starting with a letter"
)]
pub struct IdError {
    pub name: String,
    pub what: &'static str,
}

fn validate_id(s: &str, what: &'static str) -> Result<(), IdError> {
    let mut chars = s.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && s.len() <= 64
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(IdError {
            name: s.to_owned(),
            what,
        })
    }
}

/// The lawful bases of GDPR Art. 6(1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LegalBasis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterest,
    PublicTask,
    LegitimateInterest,
}

impl LegalBasis {
    pub const ALL: [LegalBasis; 6] = [
        LegalBasis::Consent,
        LegalBasis::Contract,
        LegalBasis::LegalObligation,
        LegalBasis::VitalInterest,
        LegalBasis::PublicTask,
        LegalBasis::LegitimateInterest,
    ];

    pub fn id(self) -> &'static str {
        match self {
            LegalBasis::Consent => "consent",
            LegalBasis::Contract => "contract",
            LegalBasis::LegalObligation => "legal-obligation",
            LegalBasis::VitalInterest => "vital-interest",
            LegalBasis::PublicTask => "public-task",
            LegalBasis::LegitimateInterest => "legitimate-interest",
        }
    }

    /// As the published notice names it.
    pub fn name(self, lang: Lang) -> &'static str {
        match self {
            LegalBasis::Consent => lang.pick("samtycke", "consent"),
            LegalBasis::Contract => lang.pick("fullgörande av avtal", "performance of a contract"),
            LegalBasis::LegalObligation => lang.pick("rättslig förpliktelse", "legal obligation"),
            LegalBasis::VitalInterest => lang.pick("grundläggande intresse", "vital interest"),
            LegalBasis::PublicTask => lang.pick("uppgift av allmänt intresse", "public task"),
            LegalBasis::LegitimateInterest => {
                lang.pick("berättigat intresse", "legitimate interest")
            }
        }
    }

    /// The W3C Data Privacy Vocabulary term.
    pub fn dpv(self) -> &'static str {
        match self {
            LegalBasis::Consent => "dpv:Consent",
            LegalBasis::Contract => "dpv:Contract",
            LegalBasis::LegalObligation => "dpv:LegalObligation",
            LegalBasis::VitalInterest => "dpv:VitalInterest",
            LegalBasis::PublicTask => "dpv:PublicInterest",
            LegalBasis::LegitimateInterest => "dpv:LegitimateInterest",
        }
    }

    /// The GDPR article, as a DPV `eu-gdpr:` term.
    pub fn gdpr(self) -> &'static str {
        match self {
            LegalBasis::Consent => "eu-gdpr:A6-1-a",
            LegalBasis::Contract => "eu-gdpr:A6-1-b",
            LegalBasis::LegalObligation => "eu-gdpr:A6-1-c",
            LegalBasis::VitalInterest => "eu-gdpr:A6-1-d",
            LegalBasis::PublicTask => "eu-gdpr:A6-1-e",
            LegalBasis::LegitimateInterest => "eu-gdpr:A6-1-f",
        }
    }
}

/// A direct-marketing channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    Letter,
    Phone,
    Email,
    Sms,
    SocialMedia,
}

impl Channel {
    pub fn name(self, lang: Lang) -> &'static str {
        match self {
            Channel::Letter => lang.pick("brev", "letter"),
            Channel::Phone => lang.pick("telefon", "phone"),
            Channel::Email => lang.pick("e-post", "e-mail"),
            Channel::Sms => lang.pick("sms", "text message"),
            Channel::SocialMedia => lang.pick("sociala medier", "social media"),
        }
    }

    /// E-mail and text messages to natural persons need prior consent
    /// (marknadsföringslagen 2008:486, 19 §).
    pub fn is_electronic_mail(self) -> bool {
        matches!(self, Channel::Email | Channel::Sms)
    }
}

/// An exception from the consent requirement for electronic direct
/// marketing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmailException {
    /// Marknadsföringslagen 19 § second paragraph: to a customer's address
    /// obtained in a sale, for the seller's own similar products, with an
    /// easy, free opt-out at collection and in every message.
    ExistingCustomers,
}

/// Whether the subject must provide the data a purpose processes
/// (GDPR Art. 13(2)(e)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// A statutory requirement: a law says the data must be given.
    Law,
    /// A contractual requirement, or one needed to enter into a contract.
    Contract,
    /// Nothing obliges the subject to give it.
    Voluntary,
}

impl Requirement {
    /// "You must provide the data because …", in a sentence of the notice.
    pub fn describe(self, lang: Lang) -> &'static str {
        match self {
            Requirement::Law => lang.pick(
                "Du är skyldig enligt lag att lämna uppgifterna.",
                "The law obliges you to provide the data.",
            ),
            Requirement::Contract => lang.pick(
                "Uppgifterna är ett krav för att vi ska kunna ingå och fullgöra avtalet med dig; du är inte skyldig att lämna dem.",
                "The data is a requirement for entering into and performing the contract with you; you are not obliged to provide it.",
            ),
            Requirement::Voluntary => lang.pick(
                "Det är frivilligt att lämna uppgifterna.",
                "Providing the data is voluntary.",
            ),
        }
    }
}

/// Whether decisions are made about subjects by automated means alone,
/// including profiling (GDPR Art. 13(2)(f), 22).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AutomatedDecisions {
    pub used: bool,
    /// What is decided, the logic involved and what it means for the
    /// subject; or, where none is used, what is done instead.
    pub description: Option<Text>,
    pub span: Span,
}

/// How a data subject can withdraw consent (Art. 7(3)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WithdrawalChannel {
    /// By contacting the controller.
    Contact,
    /// In the website's cookie settings.
    CookieSettings,
    /// Through a link in every message.
    EmailLink,
    /// In the subject's account.
    Account,
}

impl WithdrawalChannel {
    pub fn describe(self, lang: Lang) -> &'static str {
        match self {
            WithdrawalChannel::Contact => lang.pick("genom att kontakta oss", "by contacting us"),
            WithdrawalChannel::CookieSettings => lang.pick(
                "i cookie-inställningarna på vår webbplats",
                "in the cookie settings on our website",
            ),
            WithdrawalChannel::EmailLink => lang.pick(
                "via länken i varje utskick",
                "through the link in every message",
            ),
            WithdrawalChannel::Account => lang.pick("på ditt konto", "in your account"),
        }
    }
}

/// Whether a state is held by the subject as a whole or per referenced
/// record (an invoice).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StateScope {
    /// Any open interval of the subject holds the state.
    Subject,
    /// Only the interval with the record's own reference holds it.
    Reference,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecipientType {
    /// Processes data on the controller's behalf (Art. 28).
    Processor,
    /// A public authority, on request under law.
    Authority,
    /// Anyone else; needs a basis of its own.
    ThirdParty,
}

/// The W3C DPV purposes a policy may map its purposes to.
pub const DPV_PURPOSES: &[&str] = &[
    "ServiceProvision",
    "CustomerCare",
    "CustomerManagement",
    "CommunicationManagement",
    "DirectMarketing",
    "Marketing",
    "ServiceUsageAnalytics",
    "ServiceOptimisation",
    "ResearchAndDevelopment",
    "FraudPreventionAndDetection",
    "EnforceSecurity",
    "LegalCompliance",
    "Personalisation",
    "HumanResourceManagement",
    "AccountManagement",
];

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Controller {
    pub name: String,
    /// Swedish organisation number, `NNNNNN-NNNN`, check digit verified.
    pub org_number: String,
    pub address: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub fiscal_year_end: FiscalYearEnd,
    pub dpo: Option<Contact>,
    pub supervisory_authority: SupervisoryAuthority,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Contact {
    /// A person or function; the e-mail is enough.
    pub name: Option<String>,
    pub email: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SupervisoryAuthority {
    pub name: String,
    pub url: String,
}

/// The month and day a fiscal year ends on, the same every year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FiscalYearEnd {
    month: i8,
    day: i8,
}

impl FiscalYearEnd {
    /// Parses `MM-DD`; 02-29 is refused, as a fiscal year must end on a
    /// day every year has.
    pub fn parse(s: &str) -> Option<FiscalYearEnd> {
        let (m, d) = s.split_once('-')?;
        let (month, day) = (m.parse().ok()?, d.parse().ok()?);
        // A leap year, so that 02-29 (the end of February) is a day.
        Date::new(2024, month, day).ok()?;
        Some(FiscalYearEnd { month, day })
    }

    /// The day the fiscal year ends in `year`. A fiscal year that ends on
    /// 28 or 29 February ends on the last day of February, whichever it
    /// is that year.
    pub fn in_year(self, year: i16) -> Option<Date> {
        if self.month == 2 && self.day >= 28 {
            return Date::new(year, 3, 1).ok()?.yesterday().ok();
        }
        Date::new(year, self.month, self.day).ok()
    }

    pub fn month(self) -> i8 {
        self.month
    }

    pub fn day(self) -> i8 {
        self.day
    }
}

impl fmt::Display for FiscalYearEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Category {
    pub name: Text,
    pub description: Option<Text>,
    pub data_subjects: Option<Text>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Kind {
    pub category: CategoryId,
    pub name: Text,
    pub sources: Vec<SourceId>,
    /// Räkenskapsinformation: kept as long as the bookkeeping law says.
    pub accounting_material: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Source {
    pub name: Text,
    pub description: Option<Text>,
    /// False for data obtained from others (Art. 14).
    pub from_subject: bool,
    /// The register the data comes from, where it is one.
    pub register: Option<String>,
    /// How soon the subject is told of data obtained from others
    /// (Art. 14(3): one month at the latest).
    pub inform_within: Option<Period>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Purpose {
    pub name: Text,
    pub description: Option<Text>,
    /// The legal basis for each category the purpose processes; never
    /// empty.
    pub basis: IndexMap<CategoryId, LegalBasis>,
    /// The interest pursued, where a basis is legitimate interest.
    pub legitimate_interest: Option<Text>,
    /// Only anonymised records or aggregates may serve this purpose (P8).
    pub anonymised_only: bool,
    /// An objection stops it absolutely (Art. 21(3)).
    pub direct_marketing: bool,
    /// Establishes, exercises or defends legal claims: it goes on while
    /// processing is restricted (Art. 18(2)).
    pub legal_claims: bool,
    pub channels: Vec<Channel>,
    pub email_exception: Option<EmailException>,
    /// Whether the subject must provide the data (Art. 13(2)(e)).
    pub required: Option<Requirement>,
    /// What follows if the subject does not provide it.
    pub if_not_provided: Option<Text>,
    /// The law that lays down the legal obligation the purpose fulfils
    /// (Art. 6(3)), where one of its bases is legal obligation.
    pub law: Option<String>,
    /// How consent to this purpose is withdrawn; never empty when a basis
    /// is consent.
    pub withdraw_via: Vec<WithdrawalChannel>,
    /// The W3C DPV purpose, without the `dpv:` prefix.
    pub dpv: Option<String>,
    pub span: Span,
    /// The `basis` table, where a finding about the bases points.
    pub basis_span: Span,
    pub channels_span: Span,
}

impl Purpose {
    pub fn basis_for(&self, category: &str) -> Option<LegalBasis> {
        self.basis.get(category).copied()
    }

    pub fn rests_on(&self, basis: LegalBasis) -> bool {
        self.basis.values().any(|b| *b == basis)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct State {
    pub name: Text,
    pub opens: EventId,
    pub closes: EventId,
    pub scope: StateScope,
    /// While this state holds, the subject has a contract: the contract
    /// legal basis (Art. 6(1)(b)) holds. At most one state says so.
    pub contract: bool,
    /// Another event that ends it (an invoice written off).
    pub also_closed_by: Option<EventId>,
    /// It ends by itself this long after it opened, or after the last
    /// `renewed_by` event since (a claim time-barred: preskriptionslagen
    /// (1981:130) 2 §, interrupted by acknowledgement or demand).
    pub lapses_after: Option<Period>,
    pub renewed_by: Option<EventId>,
}

/// What a deadline counts from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// When the record was collected.
    Collection,
    /// The relevant lifecycle event: the subject's last one, or for a
    /// reference-scoped state, the one with the record's reference.
    Event(EventId),
}

/// A resolved deadline: a period after an anchor (or the anchor itself).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Deadline {
    pub after: Option<Period>,
    pub anchor: Anchor,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetentionRule {
    pub id: RuleId,
    pub category: CategoryId,
    /// Empty: every kind of the category not named by a more specific
    /// rule.
    pub kinds: Vec<KindId>,
    /// Nothing is due while the subject (or record) is in this state.
    pub keep_while: Option<StateId>,
    pub anonymise: Option<Deadline>,
    pub erase: Option<Deadline>,
    /// Erasure when `erase` counts from an event that has not happened
    /// and the keep-while state does not hold (a subscriber who never
    /// signs a contract, an invoice without a reference).
    pub otherwise_erase: Option<Deadline>,
    pub span: Span,
}

impl RetentionRule {
    /// Whether the rule names kinds, and so wins over a category-wide one.
    pub fn is_kind_specific(&self) -> bool {
        !self.kinds.is_empty()
    }
}

/// A minimum retention the law imposes, overriding erasure for the records
/// it covers (GDPR Art. 17(3)(b)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatutoryMinimum {
    pub id: RuleId,
    pub law: String,
    /// Accounting material is kept through 31 December of this many
    /// calendar years after the one in which its fiscal year ended.
    pub years_after_fiscal_year: i16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transfer {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub mechanism: Option<Mechanism>,
    /// The day the transfer's arrangement was concluded (for clauses, the
    /// contract's date), from which it applies.
    pub since: Date,
    /// The last day it applied, for an arrangement that has been replaced.
    /// Such an entry is history: `check --at` judges it on the days it
    /// applied, and the notice no longer states it.
    pub until: Option<Date>,
    /// The operator confirms that the recipient and the data fall within
    /// the scope of an adequacy decision that does not cover everything.
    pub within_scope: bool,
    pub span: Span,
}

impl Transfer {
    /// Whether the arrangement applied on `day`.
    pub fn applies_on(&self, day: Date) -> bool {
        self.since <= day && self.until.is_none_or(|until| day <= until)
    }

    /// Whether the published notice states it: it has not been replaced.
    pub fn is_current(&self) -> bool {
        self.until.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recipient {
    pub kind: RecipientType,
    pub name: Text,
    pub description: Option<Text>,
    pub purposes: Vec<PurposeId>,
    pub categories: Vec<CategoryId>,
    /// The data processing agreement (Art. 28(3)).
    pub dpa: Option<String>,
    /// May bring in sub-consultants who meet the controller's requirements.
    pub sub_consultants: bool,
    /// A third party's own basis for receiving the data.
    pub basis: Option<LegalBasis>,
    pub transfers: Vec<Transfer>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Role {
    pub name: Text,
    /// Need to know: the categories the role may process, per purpose.
    pub access: IndexMap<PurposeId, Vec<CategoryId>>,
    /// Administers tillit itself.
    pub administers: bool,
    /// Needs the full personnummer (lag 2018:218, 3 kap. 10 §: show it as
    /// little as possible); every other role sees it masked.
    pub sees_personnummer: bool,
}

impl Role {
    pub fn may(&self, purpose: &str, category: &str) -> bool {
        self.access
            .get(purpose)
            .is_some_and(|cats| cats.iter().any(|c| c.as_str() == category))
    }

    /// Whether the role needs to know data of `category` for any purpose:
    /// what it may read of a subject.
    pub fn sees(&self, category: &str) -> bool {
        self.administers
            || self
                .access
                .values()
                .any(|cats| cats.iter().any(|c| c.as_str() == category))
    }

    /// Whether the role processes data for `purpose` at all.
    pub fn serves(&self, purpose: &str) -> bool {
        self.administers || self.access.contains_key(purpose)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieLifetime {
    Session,
    For(Period),
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cookie {
    pub name: String,
    pub provider: String,
    pub description: Option<Text>,
    /// Needs no consent (LEK 9 kap. 28 §); otherwise `purposes` is not
    /// empty.
    pub strictly_necessary: bool,
    pub purposes: Vec<PurposeId>,
    /// The recipient the cookie's data goes to, where it is not the
    /// controller itself.
    pub recipient: Option<RecipientId>,
    pub lifetime: CookieLifetime,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Website {
    /// Mask IP addresses at the edge before anything is stored.
    pub ip_masking: bool,
    /// Statistics cells with fewer visitors than this are suppressed.
    pub suppress_below: u32,
    /// The purpose the visit collector's page views serve: one is kept
    /// only when a decision for it allows (consent, where it rests on
    /// consent). None: no page views are collected.
    pub collect_for: Option<PurposeId>,
}

/// A checked policy. See the module documentation for what that promises.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    pub intro: Option<Text>,
    pub controller: Controller,
    pub categories: IndexMap<CategoryId, Category>,
    pub kinds: IndexMap<KindId, Kind>,
    pub sources: IndexMap<SourceId, Source>,
    pub purposes: IndexMap<PurposeId, Purpose>,
    pub events: IndexMap<EventId, Text>,
    pub states: IndexMap<StateId, State>,
    pub retention: Vec<RetentionRule>,
    pub statutory_minimums: Vec<StatutoryMinimum>,
    pub recipients: IndexMap<RecipientId, Recipient>,
    pub roles: IndexMap<RoleId, Role>,
    pub security: Vec<Text>,
    pub website: Website,
    pub cookies: Vec<Cookie>,
    /// Whether the notice says anything of automated decisions; `None`:
    /// it does not (a warning).
    pub automated_decisions: Option<AutomatedDecisions>,
}

impl Policy {
    /// Parses and resolves a policy file. On failure, every error found,
    /// each located in the file.
    pub fn parse(file: &SourceFile) -> Result<Policy, Vec<Diagnostic>> {
        resolve::resolve(file.text())
    }

    /// The retention rule that governs records of this category and kind:
    /// one that names the kind wins over the category-wide one.
    pub fn retention_rule(&self, category: &str, kind: &str) -> Option<&RetentionRule> {
        let of_category = || {
            self.retention
                .iter()
                .filter(move |r| r.category.as_str() == category)
        };
        of_category()
            .find(|r| r.kinds.iter().any(|k| k.as_str() == kind))
            .or_else(|| of_category().find(|r| !r.is_kind_specific()))
    }

    /// The kinds of a category, in file order.
    pub fn kinds_of<'a>(
        &'a self,
        category: &'a str,
    ) -> impl Iterator<Item = (&'a KindId, &'a Kind)> + 'a {
        self.kinds
            .iter()
            .filter(move |(_, k)| k.category.as_str() == category)
    }

    /// The recipients that receive a category for a purpose.
    pub fn recipients_of<'a>(
        &'a self,
        purpose: &'a str,
        category: &'a str,
    ) -> impl Iterator<Item = (&'a RecipientId, &'a Recipient)> + 'a {
        self.recipients.iter().filter(move |(_, r)| {
            r.purposes.iter().any(|p| p.as_str() == purpose)
                && r.categories.iter().any(|c| c.as_str() == category)
        })
    }

    /// The state during which the subject has a contract, if any purpose
    /// rests on contract (the checker requires one then).
    pub fn contract_state(&self) -> Option<(&StateId, &State)> {
        self.states.iter().find(|(_, s)| s.contract)
    }

    /// Whether the website sets a cookie that tells visitors apart (one
    /// that is not strictly necessary): then what it records of visits is
    /// personal data, however masked (recital 26, C-582/14 Breyer).
    pub fn tells_visitors_apart(&self) -> bool {
        self.cookies.iter().any(|c| !c.strictly_necessary)
    }

    /// The purposes any part of which rests on consent.
    pub fn consent_purposes(&self) -> impl Iterator<Item = (&PurposeId, &Purpose)> {
        self.purposes
            .iter()
            .filter(|(_, p)| p.rests_on(LegalBasis::Consent))
    }
}
