//! `check`: errors that make a policy unusable, then lints that measure a
//! usable policy against the law as it stood on a given date.
//!
//! Lints are warnings: the policy still works, but a supervisory authority
//! would object. Each names the fact it rests on (see [`crate::legal`]).

use jiff::civil::Date;

use crate::diagnostic::{Diagnostic, Severity, SourceFile};
use crate::legal::{self, Mechanism};
use crate::period::{Period, Unit};
use crate::policy::{LegalBasis, Policy, Recipient, RecipientType, Transfer};
use crate::text::Lang;

/// What `check` found.
#[derive(Debug)]
pub struct Report {
    /// The policy, when it has no errors.
    pub policy: Option<Policy>,
    /// Errors, or else lint warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// Parses, resolves and lints a policy file as of `at`.
pub fn check(file: &SourceFile, at: Date) -> Report {
    match Policy::parse(file) {
        Ok(policy) => {
            let diagnostics = lint(&policy, at);
            Report {
                policy: Some(policy),
                diagnostics,
            }
        }
        Err(mut diagnostics) => {
            diagnostics.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
            Report {
                policy: None,
                diagnostics,
            }
        }
    }
}

/// The lint warnings for a resolved policy, as of `at`, in file order.
pub fn lint(policy: &Policy, at: Date) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    transfers(policy, at, &mut out);
    retention_coverage(policy, &mut out);
    retention_without_end(policy, &mut out);
    processors_without_dpa(policy, &mut out);
    electronic_marketing(policy, &mut out);
    indirect_sources(policy, &mut out);
    cookies(policy, &mut out);
    purpose_limitation(policy, &mut out);
    notice_completeness(policy, &mut out);
    questioned_bases(policy, &mut out);
    out.sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
    out
}

fn transfers(policy: &Policy, at: Date, out: &mut Vec<Diagnostic>) {
    for (id, r) in &policy.recipients {
        for t in r.transfers.iter().filter(|t| t.applies_on(at)) {
            out.extend(judge_transfer(id.as_str(), r, t, at));
        }
    }
}

/// What the published notice (and every letter that states safeguards)
/// must not say on `at`: each transfer it states whose mechanism is not a
/// valid one on that day, as an error. A notice that states one breaches
/// GDPR Art. 13(1)(f), 5(1)(a) and 44; tillit renders it only when the
/// operator overrides this explicitly.
pub fn unpublishable(policy: &Policy, at: Date) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (id, r) in &policy.recipients {
        for t in r.transfers.iter().filter(|t| t.is_current()) {
            out.extend(invalid_safeguard(id.as_str(), r, t, at).map(Diagnostic::into_error));
        }
    }
    out
}

/// Whether `transfer`, stated for the recipient `recipient`, is one that
/// [`unpublishable`] refuses on `at`.
pub fn states_invalid_safeguard(recipient: &Recipient, transfer: &Transfer, at: Date) -> bool {
    invalid_safeguard("", recipient, transfer, at)
        .next()
        .is_some()
}

/// The findings on a transfer that say its safeguard is not valid on `at`
/// (not those that only ask for more, like an unconfirmed scope).
fn invalid_safeguard(
    id: &str,
    r: &Recipient,
    t: &Transfer,
    at: Date,
) -> impl Iterator<Item = Diagnostic> {
    judge_transfer(id, r, t, at).into_iter().filter(|d| {
        matches!(
            d.code,
            "invalid-transfer-mechanism" | "no-adequacy-decision"
        )
    })
}

fn judge_transfer(id: &str, r: &Recipient, t: &Transfer, at: Date) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if legal::is_eea(&t.country) {
        return out;
    }
    let categories: Vec<&str> = r.categories.iter().map(|c| c.as_str()).collect();
    let country = legal::country_name(&t.country, Lang::En);
    // Adequacy for this country goes through the Data Privacy Framework.
    let through_dpf =
        legal::scoped_adequacy(&t.country).is_some_and(|a| a.relied_on_as == Mechanism::Dpf);
    let what = format!(
        "the transfer of {} data to {country} by `{id}`",
        categories.join(" and ")
    );
    let Some(mechanism) = t.mechanism else {
        out.push(
            Diagnostic::warning(
                "transfer-without-mechanism",
                format!("{what} names no transfer mechanism"),
                t.span.clone(),
            )
            .with_label("third country, no safeguard")
            .with_help(format!(
                "a transfer outside the EU/EEA needs an adequacy decision or an appropriate safeguard (GDPR Art. 45, 46): set `mechanism`, e.g. \"scc\" ({})",
                Mechanism::Scc.fact().instrument
            )),
        );
        return out;
    };
    let fact = mechanism.fact();
    if let Some(why) = fact.why_invalid(t.since, at) {
        out.push(
            Diagnostic::warning(
                "invalid-transfer-mechanism",
                format!("{what} relies on {}, which is not valid on {at}: {why}", fact.name_en),
                t.span.clone(),
            )
            .with_label(format!("{} is no valid mechanism on {at}", fact.id))
            .with_help(if through_dpf {
                format!(
                    "rely on the EU-US Data Privacy Framework ({}) if the recipient is certified, otherwise on standard contractual clauses ({}) with a transfer impact assessment; then correct the published notice",
                    Mechanism::Dpf.fact().instrument,
                    Mechanism::Scc.fact().instrument
                )
            } else {
                format!(
                    "rely on standard contractual clauses ({}) or another safeguard of GDPR Art. 46; then correct the published notice",
                    Mechanism::Scc.fact().instrument
                )
            }),
        );
        return out;
    }
    let uncovered = matches!(mechanism, Mechanism::Adequacy | Mechanism::Dpf)
        && !legal::adequacy_covers(mechanism, &t.country, at);
    if uncovered {
        let help = if through_dpf {
            "US adequacy covers only organisations certified under the Data Privacy Framework: use `mechanism = \"dpf\"` if the recipient is certified, otherwise \"scc\"".to_owned()
        } else {
            format!(
                "no adequacy decision covers {country} on {at}: use standard contractual clauses (\"scc\") or another safeguard of GDPR Art. 46"
            )
        };
        out.push(
            Diagnostic::warning(
                "no-adequacy-decision",
                format!(
                    "{what} relies on an adequacy decision that does not cover {country} on {at}"
                ),
                t.span.clone(),
            )
            .with_help(help),
        );
        return out;
    }
    let scope = legal::adequacy_on(&t.country, at)
        .and_then(|a| a.scope.map(|scope| (a.decision, scope)))
        .filter(|_| mechanism == Mechanism::Adequacy && !t.within_scope);
    if let Some((decision, scope)) = scope {
        out.push(
            Diagnostic::warning(
                "adequacy-scope",
                format!("{what} relies on the adequacy decision {decision}, which covers {scope}"),
                t.span.clone(),
            )
            .with_help("confirm that the recipient and the data fall within the decision's scope, then say so with `within-scope = true`; otherwise use standard contractual clauses (\"scc\")"),
        );
    }
    out
}

fn retention_coverage(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for (id, category) in &policy.categories {
        let uncovered: Vec<&str> = policy
            .kinds_of(id.as_str())
            .filter(|(kind, _)| policy.retention_rule(id.as_str(), kind.as_str()).is_none())
            .map(|(kind, _)| kind.as_str())
            .collect();
        let has_any_rule = policy.retention.iter().any(|r| &r.category == id);
        if !has_any_rule {
            out.push(
                Diagnostic::warning(
                    "missing-retention",
                    format!("category `{id}` has no retention rule, so its data would be kept for ever"),
                    category.span.clone(),
                )
                .with_help(format!(
                    "add a [[retention]] rule with `category = \"{id}\"` saying when its data is erased (GDPR Art. 5(1)(e))"
                )),
            );
        } else if !uncovered.is_empty() {
            out.push(
                Diagnostic::warning(
                    "missing-retention",
                    format!(
                        "kinds {} of category `{id}` have no retention rule, so they would be kept for ever",
                        uncovered.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    ),
                    category.span.clone(),
                )
                .with_help(format!("add a category-wide rule for `{id}`, or name these kinds in a rule")),
            );
        }
    }
}

/// Rules under which a record can be kept without end: a deadline that
/// counts from an event that may never happen, with no fallback; a state
/// that keeps records while a claim is open, which nothing ever ends.
fn retention_without_end(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for rule in &policy.retention {
        if let Some(crate::policy::Deadline {
            anchor: crate::policy::Anchor::Event(event),
            ..
        }) = &rule.erase
            && rule.otherwise_erase.is_none()
        {
            out.push(
                Diagnostic::warning(
                    "kept-without-end",
                    format!(
                        "records under rule `{}` are kept for ever if `{event}` never happens (a subscriber who never signs a contract, a record without a reference)",
                        rule.id
                    ),
                    rule.span.clone(),
                )
                .with_help("GDPR Art. 5(1)(e): add a fallback, e.g. `otherwise-erase = \"24 months after collection\"`"),
            );
        }
        let claim = rule
            .keep_while
            .as_ref()
            .and_then(|id| policy.states.get(id).map(|s| (id, s)))
            .filter(|(_, s)| !s.contract && s.lapses_after.is_none() && s.also_closed_by.is_none());
        if let Some((id, _)) = claim {
            let periods: Vec<String> = legal::LIMITATIONS
                .iter()
                .map(|l| format!("{} years for {} ({})", l.years, l.applies_to, l.law))
                .collect();
            out.push(
                Diagnostic::warning(
                    "claim-without-end",
                    format!(
                        "rule `{}` keeps records while `{id}` holds, and nothing but its closing event ends it",
                        rule.id
                    ),
                    rule.span.clone(),
                )
                .with_help(format!("a claim is time-barred ({}) or written off: set `lapses-after = \"10 years\"` (and `renewed-by` for a reminder that interrupts it) or `also-closed-by = \"invoice-written-off\"` on the state", periods.join("; "))),
            );
        }
    }
}

fn processors_without_dpa(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for (id, r) in &policy.recipients {
        if r.kind == RecipientType::Processor
            && r.dpa.as_deref().is_none_or(|d| d.trim().is_empty())
        {
            out.push(
                Diagnostic::warning(
                    "processor-without-dpa",
                    format!("processor `{id}` has no data processing agreement"),
                    r.span.clone(),
                )
                .with_help("processing on your behalf needs a written agreement (GDPR Art. 28(3)): set `dpa` to its reference"),
            );
        }
    }
}

fn electronic_marketing(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for (id, p) in &policy.purposes {
        let Some(channel) = p.channels.iter().find(|c| c.is_electronic_mail()) else {
            continue;
        };
        if !p.direct_marketing || p.email_exception.is_some() {
            continue;
        }
        let without: Vec<&str> = p
            .basis
            .iter()
            .filter(|(_, b)| **b != LegalBasis::Consent)
            .map(|(c, _)| c.as_str())
            .collect();
        if without.is_empty() {
            continue;
        }
        out.push(
            Diagnostic::warning(
                "email-marketing-without-consent",
                format!(
                    "purpose `{id}` markets by {} to natural persons without consent for {} data",
                    channel.name(Lang::En),
                    without.join(" and ")
                ),
                p.channels_span.clone(),
            )
            .with_help("marknadsföringslagen (2008:486) 19 § needs prior consent, unless the customer exception applies: set `email-exception = \"existing-customers\"` if you only mail customers about your own similar products with an easy opt-out"),
        );
    }
}

fn indirect_sources(policy: &Policy, out: &mut Vec<Diagnostic>) {
    let month = Period {
        amount: 1,
        unit: Unit::Months,
    };
    for (id, s) in &policy.sources {
        if s.from_subject {
            continue;
        }
        let late = match s.inform_within {
            None => Some("says nothing of when the subject is told".to_owned()),
            Some(p) if !p.at_most(month) => Some(format!(
                "tells the subject within {p}, later than one month"
            )),
            Some(_) => None,
        };
        if let Some(late) = late {
            out.push(
                Diagnostic::warning(
                    "indirect-source-without-notice",
                    format!("source `{id}` obtains data from others but {late}"),
                    s.span.clone(),
                )
                .with_help("GDPR Art. 14(3): inform the subject within one month at the latest; set `inform-within = \"1 month\"`"),
            );
        }
    }
}

fn cookies(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for c in &policy.cookies {
        if c.strictly_necessary {
            continue;
        }
        let without: Vec<&str> = c
            .purposes
            .iter()
            .filter(|p| {
                policy
                    .purposes
                    .get(*p)
                    .is_none_or(|p| !p.rests_on(LegalBasis::Consent))
            })
            .map(|p| p.as_str())
            .collect();
        if !without.is_empty() {
            out.push(
                Diagnostic::warning(
                    "cookie-without-consent",
                    format!(
                        "cookie `{}` is not strictly necessary, but its purposes {} do not rest on consent",
                        c.name,
                        without.join(", ")
                    ),
                    c.span.clone(),
                )
                .with_help("storing or reading a cookie that is not strictly necessary needs consent (lag 2022:482, 9 kap. 28 §)"),
            );
        }
    }
}

fn purpose_limitation(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for (id, category) in &policy.categories {
        if !policy.purposes.values().any(|p| p.basis.contains_key(id)) {
            out.push(
                Diagnostic::warning(
                    "category-without-purpose",
                    format!("category `{id}` is collected, but no purpose processes it"),
                    category.span.clone(),
                )
                .with_help("personal data is collected only for specified purposes (GDPR Art. 5(1)(b)): give a purpose a basis for it, or stop collecting it"),
            );
        }
    }
    if policy.roles.is_empty() {
        return;
    }
    for (id, purpose) in &policy.purposes {
        if !policy.roles.values().any(|r| r.access.contains_key(id)) {
            out.push(
                Diagnostic::warning(
                    "purpose-without-role",
                    format!("no role may process data for purpose `{id}`"),
                    purpose.span.clone(),
                )
                .with_help(format!(
                    "grant it to the roles that need it, e.g. `access = {{ {id} = [\"{}\"] }}`, or remove the purpose",
                    purpose.basis.keys().next().map_or("category", |c| c.as_str())
                )),
            );
        }
    }
}

/// What GDPR Art. 13 and 14 require the notice to say, where the policy
/// says nothing the notice could build it from.
fn notice_completeness(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for (id, p) in &policy.purposes {
        let obliged = p
            .basis
            .values()
            .any(|b| matches!(b, LegalBasis::Contract | LegalBasis::LegalObligation));
        if !obliged {
            continue;
        }
        let missing = match p.required {
            None => Some("whether the subject must provide the data"),
            Some(r)
                if r != crate::policy::Requirement::Voluntary && p.if_not_provided.is_none() =>
            {
                Some("what follows if the subject does not provide the data")
            }
            Some(_) => None,
        };
        if let Some(missing) = missing {
            out.push(
                Diagnostic::warning(
                    "provision-unstated",
                    format!("purpose `{id}` does not say {missing}"),
                    p.span.clone(),
                )
                .with_help("GDPR Art. 13(2)(e): set `required = \"contract\"` (or \"law\", \"voluntary\") and `if-not-provided = { sv = \"…\", en = \"…\" }`"),
            );
        }
    }
    if policy.automated_decisions.is_none() {
        out.push(Diagnostic {
            span: None,
            ..Diagnostic::warning(
                "automated-decisions-unstated",
                "the policy does not say whether decisions are made by automated means alone, such as an automatic credit assessment",
                0..0,
            )
            .with_help("GDPR Art. 13(2)(f), 14(2)(g): add [automated-decisions] with `used = false`, or `used = true` and a `description` of what is decided, the logic involved and what it means for the subject")
        });
    }
    for (id, s) in &policy.sources {
        if !s.from_subject && s.register.as_deref().is_none_or(|r| r.trim().is_empty()) {
            out.push(
                Diagnostic::warning(
                    "source-unnamed",
                    format!("source `{id}` obtains data from others but does not say from whom"),
                    s.span.clone(),
                )
                .with_help("GDPR Art. 14(2)(f): name the source (a register, a credit bureau) with `register = \"…\"`"),
            );
        }
    }
}

/// Legal bases that guidance questions for the purpose they are given.
fn questioned_bases(policy: &Policy, out: &mut Vec<Diagnostic>) {
    for (id, p) in &policy.purposes {
        let security = matches!(
            p.dpv.as_deref(),
            Some("EnforceSecurity" | "FraudPreventionAndDetection")
        );
        let on_contract: Vec<&str> = p
            .basis
            .iter()
            .filter(|(_, b)| **b == LegalBasis::Contract)
            .map(|(c, _)| c.as_str())
            .collect();
        if security && !on_contract.is_empty() {
            out.push(
                Diagnostic::warning(
                    "contract-basis-for-security",
                    format!(
                        "purpose `{id}` (security or fraud prevention) rests on contract for {} data",
                        on_contract.join(" and ")
                    ),
                    p.basis_span.clone(),
                )
                .with_help("the EDPB (Guidelines 2/2019 on Art. 6(1)(b)) does not accept contract as the basis for fraud prevention or security, which are not necessary to perform the contract: rest it on legitimate interest (recitals 47 and 49) or on a legal obligation"),
            );
        }
        if p.rests_on(LegalBasis::LegalObligation) && p.law.is_none() {
            out.push(
                Diagnostic::warning(
                    "legal-obligation-without-law",
                    format!("purpose `{id}` rests on a legal obligation but names no law"),
                    p.basis_span.clone(),
                )
                .with_help("GDPR Art. 6(3): a legal obligation is laid down by law; name it with `law = \"…\"`, e.g. \"7 kap. 2 § bokföringslagen (1999:1078)\", and the notice says it"),
            );
        }
    }
}
