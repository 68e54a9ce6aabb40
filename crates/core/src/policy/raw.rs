//! The policy file as written: serde structures that keep the span of every
//! name and reference, so that the resolver can point at the exact text.
//! Nothing outside `policy` sees these types.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use crate::legal::Mechanism;
use crate::text::Text;

use super::{
    Channel, EmailException, LegalBasis, RecipientType, Requirement, StateScope, WithdrawalChannel,
};

pub(super) type S = Spanned<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawPolicy {
    pub format: Spanned<i64>,
    #[serde(default)]
    pub notice: RawNotice,
    pub controller: RawController,
    pub categories: IndexMap<S, RawCategory>,
    #[serde(default)]
    pub kinds: IndexMap<S, RawKind>,
    #[serde(default)]
    pub sources: IndexMap<S, RawSource>,
    pub purposes: IndexMap<S, RawPurpose>,
    #[serde(default)]
    pub consent: RawConsent,
    #[serde(default)]
    pub events: IndexMap<S, Text>,
    #[serde(default)]
    pub states: IndexMap<S, RawState>,
    #[serde(default)]
    pub retention: Vec<RawRetention>,
    #[serde(default)]
    pub statutory_minimum: Vec<RawStatutoryMinimum>,
    #[serde(default)]
    pub recipients: IndexMap<S, RawRecipient>,
    #[serde(default)]
    pub roles: IndexMap<S, RawRole>,
    #[serde(default)]
    pub security: Vec<RawSecurity>,
    #[serde(default)]
    pub website: RawWebsite,
    #[serde(default)]
    pub cookies: IndexMap<S, RawCookie>,
    pub automated_decisions: Option<Spanned<RawAutomatedDecisions>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawAutomatedDecisions {
    pub used: bool,
    pub description: Option<Text>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawNotice {
    pub intro: Option<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawController {
    pub name: String,
    pub org_number: S,
    pub address: Option<String>,
    pub email: S,
    pub phone: Option<String>,
    pub country: S,
    pub fiscal_year_end: S,
    pub dpo: Option<RawContact>,
    pub supervisory_authority: RawAuthority,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawContact {
    pub name: Option<String>,
    pub email: S,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawAuthority {
    pub name: String,
    pub url: S,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawCategory {
    pub name: Text,
    pub description: Option<Text>,
    pub data_subjects: Option<Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawKind {
    pub category: S,
    pub name: Text,
    #[serde(default)]
    pub sources: Vec<S>,
    #[serde(default)]
    pub accounting_material: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSource {
    pub name: Text,
    pub description: Option<Text>,
    pub from_subject: bool,
    pub register: Option<String>,
    pub inform_within: Option<S>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawPurpose {
    pub name: Text,
    pub description: Option<Text>,
    pub basis: Spanned<IndexMap<S, LegalBasis>>,
    pub legitimate_interest: Option<Text>,
    #[serde(default)]
    pub anonymised_only: bool,
    #[serde(default)]
    pub direct_marketing: bool,
    #[serde(default)]
    pub legal_claims: bool,
    pub channels: Option<Spanned<Vec<Channel>>>,
    pub email_exception: Option<EmailException>,
    pub withdraw_via: Option<Vec<WithdrawalChannel>>,
    pub dpv: Option<S>,
    pub required: Option<Requirement>,
    pub if_not_provided: Option<Text>,
    pub law: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawConsent {
    #[serde(default)]
    pub withdraw_via: Vec<WithdrawalChannel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawState {
    pub name: Text,
    pub opens: S,
    pub closes: S,
    pub scope: StateScope,
    #[serde(default)]
    pub contract: bool,
    pub also_closed_by: Option<S>,
    pub lapses_after: Option<S>,
    pub renewed_by: Option<S>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRetention {
    pub id: S,
    pub category: S,
    #[serde(default)]
    pub kinds: Vec<S>,
    pub keep_while: Option<S>,
    pub anonymise: Option<S>,
    pub erase: Option<S>,
    pub otherwise_erase: Option<S>,
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(super) enum RawAppliesTo {
    AccountingMaterial,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawStatutoryMinimum {
    pub id: S,
    pub law: String,
    #[allow(
        dead_code,
        reason = "one value today; the field is required so the file says what it means"
    )]
    pub applies_to: RawAppliesTo,
    pub years_after_fiscal_year: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRecipient {
    #[serde(rename = "type")]
    pub kind: RecipientType,
    pub name: Text,
    pub description: Option<Text>,
    #[serde(default)]
    pub purposes: Vec<S>,
    #[serde(default)]
    pub categories: Vec<S>,
    pub dpa: Option<String>,
    #[serde(default)]
    pub sub_consultants: bool,
    pub basis: Option<LegalBasis>,
    #[serde(default)]
    pub transfers: Vec<Spanned<RawTransfer>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawTransfer {
    pub country: S,
    pub mechanism: Option<Spanned<Mechanism>>,
    pub since: S,
    pub until: Option<S>,
    #[serde(default)]
    pub within_scope: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRole {
    pub name: Text,
    #[serde(default)]
    pub access: IndexMap<S, Vec<S>>,
    #[serde(default)]
    pub administers: bool,
    #[serde(default)]
    pub sees_personnummer: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSecurity {
    pub measure: Text,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawWebsite {
    #[serde(default = "yes")]
    pub ip_masking: bool,
    #[serde(default = "five")]
    pub suppress_below: Spanned<i64>,
    #[serde(default)]
    pub collect_for: Option<Spanned<String>>,
}

impl Default for RawWebsite {
    fn default() -> Self {
        RawWebsite {
            ip_masking: true,
            suppress_below: Spanned::new(0..0, 5),
            collect_for: None,
        }
    }
}

fn yes() -> bool {
    true
}

fn five() -> Spanned<i64> {
    Spanned::new(0..0, 5)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawCookie {
    pub provider: String,
    pub description: Option<Text>,
    #[serde(default)]
    pub strictly_necessary: bool,
    #[serde(default)]
    pub purposes: Vec<S>,
    pub recipient: Option<S>,
    pub lifetime: S,
}
