//! From the file as written to a [`Policy`]: every name checked, every
//! reference resolved, every error collected with its span (not just the
//! first), so that one `tillit check` shows the DPO all there is to fix.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use indexmap::IndexMap;
use jiff::civil::Date;
use toml::Spanned;

use super::raw::{self, RawPolicy, S};
use super::*;
use crate::period::{AnchorName, DeadlineExpr, Period};

pub(super) fn resolve(text: &str) -> Result<Policy, Vec<Diagnostic>> {
    let raw: RawPolicy = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => return Err(vec![syntax_error(&e, text)]),
    };
    let mut r = Resolver::default();
    let policy = r.policy(raw);
    match policy {
        Some(policy) if r.errors.is_empty() => Ok(policy),
        _ => Err(r.errors),
    }
}

fn syntax_error(e: &toml::de::Error, text: &str) -> Diagnostic {
    let span = e.span().unwrap_or(0..0);
    let message = e.message().trim().to_owned();
    let mut d = Diagnostic::error("syntax", first_line_lowercase(&message), span.clone());
    if let Some(rest) = message.split_once('\n').map(|(_, rest)| rest.trim())
        && !rest.is_empty()
    {
        d = d.with_help(rest.to_owned());
    }
    if message.starts_with("unknown field") {
        d = d.with_help(
            "check the spelling; the format reference is the commented example `tillit init` writes",
        );
    } else if message.starts_with("missing field") && span.start == 0 && !text.is_empty() {
        d = d.with_label("required at the top level of the file");
    }
    d
}

fn first_line_lowercase(message: &str) -> String {
    let line = message
        .lines()
        .next()
        .unwrap_or(message)
        .trim_end_matches('.');
    let mut chars = line.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => "the file is not valid TOML".to_owned(),
    }
}

#[derive(Default)]
struct Resolver {
    errors: Vec<Diagnostic>,
    /// Every name the file declares, per table. An element with errors of
    /// its own is left out of the policy, but references to it are not
    /// reported again: one mistake, one error.
    declared: HashMap<&'static str, HashSet<String>>,
}

/// `help`, preceded by "did you mean `x`?" when one of `names` is close to
/// `name`.
fn with_suggestion(name: &str, names: &[&str], help: String) -> String {
    match closest(name, names.iter().copied()) {
        Some(n) => format!("did you mean `{n}`? {help}"),
        None => help,
    }
}

/// The one of `names` close enough to `name` to be what was meant.
pub(crate) fn closest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names
        .map(|n| (distance(n, name), n))
        .min()
        .filter(|(dist, n)| *dist <= 2.max(n.len() / 3))
        .map(|(_, n)| n)
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row.first().copied().unwrap_or(0);
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let (Some(&left), Some(&up)) = (row.get(j), row.get(j + 1)) else {
                break;
            };
            let value = (prev + cost).min(left + 1).min(up + 1);
            prev = up;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}

impl Resolver {
    fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    fn bad_value(&mut self, span: Span, message: impl Into<String>, help: Option<&str>) {
        let mut d = Diagnostic::error("bad-value", message, span);
        if let Some(help) = help {
            d = d.with_help(help);
        }
        self.error(d);
    }

    /// A declared id: `parse` checks its form.
    fn declare<T>(&mut self, name: &S, parse: fn(&str) -> Result<T, IdError>) -> Option<T> {
        parse(name.get_ref())
            .map_err(|e| self.bad_value(name.span(), e.to_string(), None))
            .ok()
    }

    /// A reference to something declared in `known`.
    fn refer<K, V>(
        &mut self,
        name: &S,
        known: &IndexMap<K, V>,
        what: &str,
        table: &str,
    ) -> Option<K>
    where
        K: Borrow<str> + Hash + Eq + Clone,
    {
        if let Some((k, _)) = known.get_key_value(name.get_ref().as_str()) {
            return Some(k.clone());
        }
        if self.is_declared(table, name.get_ref()) {
            return None;
        }
        let names: Vec<&str> = known.keys().map(Borrow::borrow).collect();
        let known_list = if names.is_empty() {
            format!("no {what} is declared yet: add one under [{table}]")
        } else {
            format!("known: {}", names.join(", "))
        };
        let d = Diagnostic::error(
            "unknown-reference",
            format!("unknown {what} `{}`", name.get_ref()),
            name.span(),
        )
        .with_label(format!("no such {what} in [{table}]"))
        .with_help(with_suggestion(name.get_ref(), &names, known_list));
        self.error(d);
        None
    }

    fn declare_all<'a>(&mut self, table: &'static str, names: impl Iterator<Item = &'a S>) {
        let names = names.map(|n| n.get_ref().clone()).collect();
        self.declared.insert(table, names);
    }

    /// Whether the file declares `name` in `[table]`, resolved or not.
    fn is_declared(&self, table: &str, name: &str) -> bool {
        self.declared
            .get(table)
            .is_some_and(|names| names.contains(name))
    }

    fn duplicate(&mut self, what: &str, name: &S) {
        self.error(
            Diagnostic::error(
                "duplicate-id",
                format!("{what} `{}` is declared twice", name.get_ref()),
                name.span(),
            )
            .with_help(format!("give each {what} its own id")),
        );
    }

    /// Checks that `purpose` gives `category` a legal basis; `user` says
    /// what uses the pair.
    fn require_basis(
        &mut self,
        purposes: &IndexMap<PurposeId, Purpose>,
        purpose: &PurposeId,
        category: &S,
        user: &str,
    ) {
        let Some(p) = purposes.get(purpose) else {
            return;
        };
        if p.basis.contains_key(category.get_ref().as_str()) {
            return;
        }
        let has: Vec<&str> = p.basis.keys().map(CategoryId::as_str).collect();
        self.error(
            Diagnostic::error(
                "missing-basis",
                format!(
                    "{user} uses category `{}` for purpose `{purpose}`, which gives that category no legal basis",
                    category.get_ref()
                ),
                category.span(),
            )
            .with_label("no legal basis for this category")
            .with_help(format!(
                "add `{} = \"…\"` to the basis of [purposes.{purpose}] (it has: {}), or remove the category here",
                category.get_ref(),
                has.join(", ")
            )),
        );
    }

    fn period(&mut self, s: &S) -> Option<Period> {
        Period::parse(s.get_ref())
            .map_err(|e| self.bad_value(s.span(), e.to_string(), None))
            .ok()
    }

    fn date(&mut self, s: &S) -> Option<Date> {
        s.get_ref()
            .parse::<Date>()
            .map_err(|_| {
                self.bad_value(
                    s.span(),
                    format!("`{}` is not a date", s.get_ref()),
                    Some("write the date as YYYY-MM-DD, e.g. 2018-05-25"),
                )
            })
            .ok()
    }

    fn country(&mut self, s: &S) -> Option<String> {
        let c = s.get_ref();
        if (c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()))
            || crate::legal::INTERNATIONAL_ORGANISATIONS.contains(&c.as_str())
        {
            Some(c.clone())
        } else {
            self.bad_value(
                s.span(),
                format!("`{c}` is not a country code"),
                Some("use the ISO 3166-1 alpha-2 code in capitals, e.g. SE, US, GB, or EPO for the European Patent Organisation"),
            );
            None
        }
    }

    fn policy(&mut self, raw: RawPolicy) -> Option<Policy> {
        if *raw.format.get_ref() != FORMAT {
            self.error(
                Diagnostic::error(
                    "format-version",
                    format!(
                        "this tillit reads policy format {FORMAT}, not {}",
                        raw.format.get_ref()
                    ),
                    raw.format.span(),
                )
                .with_help(format!(
                    "set `format = {FORMAT}`, or use the tillit release that wrote this file"
                )),
            );
        }
        self.declare_all("categories", raw.categories.keys());
        self.declare_all("kinds", raw.kinds.keys());
        self.declare_all("sources", raw.sources.keys());
        self.declare_all("purposes", raw.purposes.keys());
        self.declare_all("events", raw.events.keys());
        self.declare_all("states", raw.states.keys());
        self.declare_all("recipients", raw.recipients.keys());
        let controller = self.controller(raw.controller);

        let mut categories = IndexMap::new();
        for (name, c) in raw.categories {
            if let Some(id) = self.declare(&name, CategoryId::parse) {
                categories.insert(
                    id,
                    Category {
                        name: c.name,
                        description: c.description,
                        data_subjects: c.data_subjects,
                        span: name.span(),
                    },
                );
            }
        }
        let mut events = IndexMap::new();
        for (name, text) in raw.events {
            if let Some(id) = self.declare(&name, EventId::parse) {
                events.insert(id, text);
            }
        }
        let mut sources = IndexMap::new();
        for (name, s) in raw.sources {
            let inform_within = s.inform_within.as_ref().and_then(|p| self.period(p));
            if let Some(id) = self.declare(&name, SourceId::parse) {
                sources.insert(
                    id,
                    Source {
                        name: s.name,
                        description: s.description,
                        from_subject: s.from_subject,
                        register: s.register,
                        inform_within,
                        span: name.span(),
                    },
                );
            }
        }
        let mut kinds = IndexMap::new();
        for (name, k) in raw.kinds {
            let category = self.refer(&k.category, &categories, "category", "categories");
            let kind_sources: Vec<SourceId> = k
                .sources
                .iter()
                .filter_map(|s| self.refer(s, &sources, "source", "sources"))
                .collect();
            if let (Some(id), Some(category)) = (self.declare(&name, KindId::parse), category) {
                kinds.insert(
                    id,
                    Kind {
                        category,
                        name: k.name,
                        sources: kind_sources,
                        accounting_material: k.accounting_material,
                    },
                );
            }
        }
        let purposes = self.purposes(raw.purposes, raw.consent, &categories);
        let mut states = IndexMap::new();
        let mut contract_state: Option<String> = None;
        for (name, s) in raw.states {
            if s.contract {
                if let Some(first) = &contract_state {
                    self.bad_value(
                        name.span(),
                        format!(
                            "states `{first}` and `{}` both say when a contract is active",
                            name.get_ref()
                        ),
                        Some("mark only the state that lasts from contract-start to contract-end with `contract = true`"),
                    );
                } else if s.scope == StateScope::Reference {
                    self.bad_value(
                        name.span(),
                        format!("state `{}` marks a contract but holds per record", name.get_ref()),
                        Some("a contract state holds for the subject as a whole: use `scope = \"subject\"`"),
                    );
                } else {
                    contract_state = Some(name.get_ref().clone());
                }
            }
            let opens = self.refer(&s.opens, &events, "event", "events");
            let closes = self.refer(&s.closes, &events, "event", "events");
            if let (Some(opens), Some(closes)) = (&opens, &closes)
                && opens == closes
            {
                self.bad_value(
                        s.closes.span(),
                        format!("state `{}` opens and closes on the same event", name.get_ref()),
                        Some("a state lasts from one event to another, e.g. contract-start to contract-end"),
                    );
            }
            let also_closed_by = s
                .also_closed_by
                .as_ref()
                .and_then(|e| self.refer(e, &events, "event", "events"));
            let renewed_by = s
                .renewed_by
                .as_ref()
                .and_then(|e| self.refer(e, &events, "event", "events"));
            let lapses_after = s.lapses_after.as_ref().and_then(|p| self.period(p));
            if s.contract
                && let Some(extra) = s
                    .also_closed_by
                    .as_ref()
                    .or(s.lapses_after.as_ref())
                    .or(s.renewed_by.as_ref())
            {
                self.bad_value(
                    extra.span(),
                    format!("the contract state `{}` ends only by its closing event", name.get_ref()),
                    Some("a contract ends when `closes` says; `also-closed-by`, `lapses-after` and `renewed-by` are for claims"),
                );
            }
            if let Some(r) = s.renewed_by.as_ref().filter(|_| s.lapses_after.is_none()) {
                self.bad_value(
                    r.span(),
                    format!("state `{}` is renewed but never lapses", name.get_ref()),
                    Some("`renewed-by` restarts `lapses-after`: set it too, e.g. `lapses-after = \"10 years\"`"),
                );
            }
            if let (Some(id), Some(opens), Some(closes)) =
                (self.declare(&name, StateId::parse), opens, closes)
            {
                states.insert(
                    id,
                    State {
                        name: s.name,
                        opens,
                        closes,
                        scope: s.scope,
                        contract: s.contract,
                        also_closed_by,
                        lapses_after,
                        renewed_by,
                    },
                );
            }
        }
        if contract_state.is_none()
            && let Some((id, p)) = purposes
                .iter()
                .find(|(_, p)| p.rests_on(LegalBasis::Contract))
        {
            self.error(
                Diagnostic::error(
                    "no-contract-state",
                    format!("purpose `{id}` rests on contract, but no state says when the subject has one"),
                    p.span.clone(),
                )
                .with_label("contract basis without a contract state")
                .with_help("declare the state that lasts from contract-start to contract-end and mark it `contract = true`, so decisions know when the contract basis holds"),
            );
        }
        let (retention, statutory_minimums) = self.retention(
            raw.retention,
            raw.statutory_minimum,
            &categories,
            &kinds,
            &states,
            &events,
        );
        let recipients = self.recipients(raw.recipients, &purposes, &categories);
        let roles = self.roles(raw.roles, &purposes);
        let cookies = self.cookies(raw.cookies, &purposes, &recipients);
        let suppress_below = match u32::try_from(*raw.website.suppress_below.get_ref()) {
            Ok(n) if n >= 1 => n,
            _ => {
                self.bad_value(
                    raw.website.suppress_below.span(),
                    "`suppress-below` must be a whole number of at least 1",
                    Some("5 is the usual threshold for anonymous statistics"),
                );
                1
            }
        };

        let collect_for = raw
            .website
            .collect_for
            .as_ref()
            .and_then(|p| self.refer(p, &purposes, "purpose", "purposes"));

        let automated_decisions = raw.automated_decisions.map(|a| {
            let span = a.span();
            let a = a.into_inner();
            if a.used && a.description.is_none() {
                self.error(
                    Diagnostic::error(
                        "missing-description",
                        "automated decisions are used, but the policy does not say which",
                        span.clone(),
                    )
                    .with_help("GDPR Art. 13(2)(f): say what is decided, the logic involved and what it means for the subject, in `description = { sv = \"…\", en = \"…\" }`"),
                );
            }
            AutomatedDecisions {
                used: a.used,
                description: a.description,
                span,
            }
        });

        Some(Policy {
            automated_decisions,
            intro: raw.notice.intro,
            controller: controller?,
            categories,
            kinds,
            sources,
            purposes,
            events,
            states,
            retention,
            statutory_minimums,
            recipients,
            roles,
            security: raw.security.into_iter().map(|s| s.measure).collect(),
            website: Website {
                ip_masking: raw.website.ip_masking,
                suppress_below,
                collect_for,
            },
            cookies,
        })
    }

    /// An e-mail address people can write to: one `@`, text on both
    /// sides, a dot in the domain, no spaces.
    fn email(&mut self, s: &S) -> Option<String> {
        let e = s.get_ref();
        let ok = e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }) && !e.contains(char::is_whitespace);
        if !ok {
            self.bad_value(
                s.span(),
                format!("`{e}` is not an e-mail address"),
                Some("the notice links to it: write e.g. integritet@example.se"),
            );
        }
        ok.then(|| e.clone())
    }

    fn url(&mut self, s: &S) -> Option<String> {
        let u = s.get_ref();
        let ok = (u.starts_with("https://") || u.starts_with("http://"))
            && u.len() > 8
            && !u.contains(char::is_whitespace);
        if !ok {
            self.bad_value(
                s.span(),
                format!("`{u}` is not a web address"),
                Some("write the full address, e.g. https://www.imy.se"),
            );
        }
        ok.then(|| u.clone())
    }

    fn controller(&mut self, c: raw::RawController) -> Option<Controller> {
        let org_number = c.org_number.get_ref();
        let org_ok = org_number_is_valid(org_number);
        if !org_ok {
            self.bad_value(
                c.org_number.span(),
                format!("`{org_number}` is not a valid Swedish organisation number"),
                Some("write NNNNNN-NNNN; the last digit is a check digit (Luhn)"),
            );
        }
        let country = self.country(&c.country);
        let email = self.email(&c.email);
        let dpo_email = c.dpo.as_ref().map(|d| self.email(&d.email));
        let authority_url = self.url(&c.supervisory_authority.url);
        let fiscal_year_end = FiscalYearEnd::parse(c.fiscal_year_end.get_ref());
        if fiscal_year_end.is_none() {
            self.bad_value(
                c.fiscal_year_end.span(),
                format!("`{}` is not a fiscal year end", c.fiscal_year_end.get_ref()),
                Some("write the month and day the fiscal year ends, MM-DD, e.g. 12-31 or 04-30"),
            );
        }
        let dpo = match (c.dpo, dpo_email) {
            (Some(d), Some(Some(email))) => Some(Contact {
                name: d.name,
                email,
            }),
            // The address was bad, and said so.
            (Some(_), _) => return None,
            (None, _) => None,
        };
        Some(Controller {
            name: c.name,
            org_number: org_ok.then(|| org_number.clone())?,
            address: c.address,
            email: email?,
            phone: c.phone,
            country: country?,
            fiscal_year_end: fiscal_year_end?,
            dpo,
            supervisory_authority: SupervisoryAuthority {
                name: c.supervisory_authority.name,
                url: authority_url?,
            },
        })
    }

    fn purposes(
        &mut self,
        raw: IndexMap<S, raw::RawPurpose>,
        consent: raw::RawConsent,
        categories: &IndexMap<CategoryId, Category>,
    ) -> IndexMap<PurposeId, Purpose> {
        let mut purposes = IndexMap::new();
        for (name, p) in raw {
            let mut basis = IndexMap::new();
            let mut complete = true;
            for (category, b) in p.basis.get_ref() {
                match self.refer(category, categories, "category", "categories") {
                    Some(id) => {
                        basis.insert(id, *b);
                    }
                    None => complete = false,
                }
            }
            if p.basis.get_ref().is_empty() {
                self.error(
                    Diagnostic::error(
                        "missing-basis",
                        format!("purpose `{}` gives no legal basis", name.get_ref()),
                        p.basis.span(),
                    )
                    .with_help("name each category the purpose processes with its basis, e.g. `basis = { customer = \"contract\" }`"),
                );
            }
            let withdraw_via = p
                .withdraw_via
                .unwrap_or_else(|| consent.withdraw_via.clone());
            if basis.values().any(|b| *b == LegalBasis::Consent) && withdraw_via.is_empty() {
                self.error(
                    Diagnostic::error(
                        "consent-not-withdrawable",
                        format!("purpose `{}` rests on consent, but nobody can withdraw it", name.get_ref()),
                        name.span(),
                    )
                    .with_label("consent purpose without a way to withdraw")
                    .with_help("consent must be as easy to withdraw as to give (GDPR Art. 7(3)): set `withdraw-via` under [consent] or on the purpose, e.g. [\"contact\", \"cookie-settings\"]"),
                );
            }
            let dpv = p.dpv.as_ref().and_then(|d| {
                let term = d.get_ref().trim_start_matches("dpv:");
                if DPV_PURPOSES.contains(&term) {
                    Some(term.to_owned())
                } else {
                    self.bad_value(
                        d.span(),
                        format!("`{}` is not a DPV purpose tillit knows", d.get_ref()),
                        Some(&format!("known: {}", DPV_PURPOSES.join(", "))),
                    );
                    None
                }
            });
            let Some(id) = self.declare(&name, PurposeId::parse) else {
                continue;
            };
            if !complete || basis.is_empty() {
                continue;
            }
            purposes.insert(
                id,
                Purpose {
                    name: p.name,
                    description: p.description,
                    basis,
                    legitimate_interest: p.legitimate_interest,
                    anonymised_only: p.anonymised_only,
                    direct_marketing: p.direct_marketing,
                    legal_claims: p.legal_claims,
                    basis_span: p.basis.span(),
                    channels_span: p
                        .channels
                        .as_ref()
                        .map_or_else(|| name.span(), Spanned::span),
                    channels: p.channels.map(Spanned::into_inner).unwrap_or_default(),
                    email_exception: p.email_exception,
                    required: p.required,
                    if_not_provided: p.if_not_provided,
                    law: p.law.filter(|l| !l.trim().is_empty()),
                    withdraw_via,
                    dpv,
                    span: name.span(),
                },
            );
        }
        purposes
    }

    fn deadline(&mut self, s: &S, events: &IndexMap<EventId, Text>) -> Option<Deadline> {
        let expr = DeadlineExpr::parse(s.get_ref())
            .map_err(|e| self.bad_value(s.span(), e.to_string(), None))
            .ok()?;
        let anchor = match expr.anchor {
            AnchorName::Collection => Anchor::Collection,
            AnchorName::Event(event) => {
                if let Some((id, _)) = events.get_key_value(event.as_str()) {
                    Anchor::Event(id.clone())
                } else if self.is_declared("events", &event) {
                    return None;
                } else {
                    let mut known: Vec<&str> = vec!["collection"];
                    known.extend(events.keys().map(EventId::as_str));
                    let help = format!(
                        "a deadline counts from `collection` or a declared event; known events: {}",
                        known.get(1..).map_or_else(String::new, |k| k.join(", "))
                    );
                    self.error(
                        Diagnostic::error(
                            "unknown-reference",
                            format!("unknown event `{event}`"),
                            s.span(),
                        )
                        .with_label("no such event in [events]")
                        .with_help(with_suggestion(&event, &known, help)),
                    );
                    return None;
                }
            }
        };
        Some(Deadline {
            after: expr.after,
            anchor,
        })
    }

    fn retention(
        &mut self,
        raw: Vec<raw::RawRetention>,
        minimums: Vec<raw::RawStatutoryMinimum>,
        categories: &IndexMap<CategoryId, Category>,
        kinds: &IndexMap<KindId, Kind>,
        states: &IndexMap<StateId, State>,
        events: &IndexMap<EventId, Text>,
    ) -> (Vec<RetentionRule>, Vec<StatutoryMinimum>) {
        let mut seen: HashSet<String> = HashSet::new();
        let mut rules: Vec<RetentionRule> = Vec::new();
        // Which rule governs each kind, and each category as a whole.
        let mut kind_owner: HashMap<String, String> = HashMap::new();
        let mut category_owner: HashMap<String, String> = HashMap::new();
        for r in raw {
            if !seen.insert(r.id.get_ref().clone()) {
                self.duplicate("retention rule", &r.id);
            }
            let category = self.refer(&r.category, categories, "category", "categories");
            let mut rule_kinds = Vec::new();
            for k in &r.kinds {
                let Some(kind) = self.refer(k, kinds, "kind", "kinds") else {
                    continue;
                };
                if let (Some(category), Some(decl)) = (&category, kinds.get(&kind))
                    && &decl.category != category
                {
                    self.error(
                        Diagnostic::error(
                            "kind-outside-category",
                            format!(
                                "kind `{kind}` belongs to category `{}`, not `{category}`",
                                decl.category
                            ),
                            k.span(),
                        )
                        .with_help("a retention rule governs kinds of its own category only"),
                    );
                    continue;
                }
                if let Some(other) = kind_owner.insert(kind.to_string(), r.id.get_ref().clone()) {
                    self.ambiguous(&format!("kind `{kind}`"), &other, k);
                }
                rule_kinds.push(kind);
            }
            if r.kinds.is_empty()
                && let Some(other) =
                    category_owner.insert(r.category.get_ref().clone(), r.id.get_ref().clone())
            {
                self.ambiguous(
                    &format!("category `{}`", r.category.get_ref()),
                    &other,
                    &r.category,
                );
            }
            let keep_while = r
                .keep_while
                .as_ref()
                .and_then(|s| self.refer(s, states, "state", "states"));
            let anonymise = r.anonymise.as_ref().and_then(|s| self.deadline(s, events));
            let erase = r.erase.as_ref().and_then(|s| self.deadline(s, events));
            let otherwise_erase = r
                .otherwise_erase
                .as_ref()
                .and_then(|s| self.deadline(s, events));
            if let (Some(fallback), None) = (&r.otherwise_erase, &r.erase) {
                self.bad_value(
                    fallback.span(),
                    format!("retention rule `{}` has a fallback but no `erase`", r.id.get_ref()),
                    Some("`otherwise-erase` applies when the event `erase` counts from never happens"),
                );
            }
            if r.anonymise.is_none() && r.erase.is_none() {
                self.error(
                    Diagnostic::error(
                        "missing-action",
                        format!(
                            "retention rule `{}` says neither when to erase nor when to anonymise",
                            r.id.get_ref()
                        ),
                        r.id.span(),
                    )
                    .with_help("add e.g. `erase = \"24 months after contract-end\"`"),
                );
            }
            let Some(id) = self.declare(&r.id, RuleId::parse) else {
                continue;
            };
            let Some(category) = category else { continue };
            rules.push(RetentionRule {
                id,
                category,
                kinds: rule_kinds,
                keep_while,
                anonymise,
                erase,
                otherwise_erase,
                span: r.id.span(),
            });
        }
        let mut statutory = Vec::new();
        for m in minimums {
            if !seen.insert(m.id.get_ref().clone()) {
                self.duplicate("retention rule", &m.id);
            }
            let years = match i16::try_from(*m.years_after_fiscal_year.get_ref()) {
                Ok(y) if (1..=100).contains(&y) => Some(y),
                _ => {
                    self.bad_value(
                        m.years_after_fiscal_year.span(),
                        "`years-after-fiscal-year` must be a whole number from 1 to 100",
                        Some("Bokföringslagen 7 kap. 2 § says 7"),
                    );
                    None
                }
            };
            if m.law.trim().is_empty() {
                self.bad_value(m.id.span(), "a statutory minimum must name its law", None);
            }
            if let (Some(id), Some(years)) = (self.declare(&m.id, RuleId::parse), years) {
                statutory.push(StatutoryMinimum {
                    id,
                    law: m.law,
                    years_after_fiscal_year: years,
                });
            }
        }
        (rules, statutory)
    }

    fn ambiguous(&mut self, what: &str, other: &str, at: &S) {
        self.error(
            Diagnostic::error(
                "ambiguous-retention",
                format!("{what} is governed by two retention rules, `{other}` and this one"),
                at.span(),
            )
            .with_help(
                "each record must have exactly one rule: merge them, or name the kinds apart",
            ),
        );
    }

    fn recipients(
        &mut self,
        raw: IndexMap<S, raw::RawRecipient>,
        purposes: &IndexMap<PurposeId, Purpose>,
        categories: &IndexMap<CategoryId, Category>,
    ) -> IndexMap<RecipientId, Recipient> {
        let mut recipients = IndexMap::new();
        for (name, r) in raw {
            let rp: Vec<PurposeId> = r
                .purposes
                .iter()
                .filter_map(|p| self.refer(p, purposes, "purpose", "purposes"))
                .collect();
            let mut rc = Vec::new();
            for c in &r.categories {
                let Some(category) = self.refer(c, categories, "category", "categories") else {
                    continue;
                };
                // Judged only when every listed purpose resolved; a broken one
                // has said so already.
                let served = rp.iter().any(|p| {
                    purposes
                        .get(p)
                        .is_some_and(|p| p.basis.contains_key(&category))
                });
                if !served && !rp.is_empty() && rp.len() == r.purposes.len() {
                    let listed: Vec<&str> = rp.iter().map(PurposeId::as_str).collect();
                    self.error(
                        Diagnostic::error(
                            "missing-basis",
                            format!(
                                "recipient `{}` receives category `{category}`, but none of its purposes ({}) gives that category a legal basis",
                                name.get_ref(),
                                listed.join(", ")
                            ),
                            c.span(),
                        )
                        .with_label("no legal basis for this category")
                        .with_help("list a purpose that processes this category, or remove the category here"),
                    );
                }
                rc.push(category);
            }
            if r.purposes.is_empty() || r.categories.is_empty() {
                self.bad_value(
                    name.span(),
                    format!(
                        "recipient `{}` must name the purposes and categories it receives data for",
                        name.get_ref()
                    ),
                    Some("add `purposes = [...]` and `categories = [...]`"),
                );
            }
            if r.kind == RecipientType::ThirdParty && r.basis.is_none() {
                self.error(
                    Diagnostic::error(
                        "missing-basis",
                        format!("third party `{}` receives data without a legal basis", name.get_ref()),
                        name.span(),
                    )
                    .with_help("a disclosure to a third party needs a basis of its own, e.g. `basis = \"consent\"`"),
                );
            }
            let mut transfers = Vec::new();
            for t in &r.transfers {
                let span = t
                    .get_ref()
                    .mechanism
                    .as_ref()
                    .map_or_else(|| t.span(), Spanned::span);
                let country = self.country(&t.get_ref().country);
                let since = self.date(&t.get_ref().since);
                let until = t.get_ref().until.as_ref().map(|u| (u, self.date(u)));
                let until = match (since, until) {
                    (_, None) => Some(None),
                    (_, Some((_, None))) => None,
                    (Some(since), Some((u, Some(until)))) if until < since => {
                        self.bad_value(
                            u.span(),
                            format!("the transfer ends on {until}, before it began on {since}"),
                            Some("`until` is the last day the arrangement applied, on or after `since`"),
                        );
                        None
                    }
                    (_, Some((_, Some(until)))) => Some(Some(until)),
                };
                if let (Some(country), Some(since), Some(until)) = (country, since, until) {
                    transfers.push(Transfer {
                        country,
                        mechanism: t.get_ref().mechanism.as_ref().map(|m| *m.get_ref()),
                        since,
                        until,
                        within_scope: t.get_ref().within_scope,
                        span,
                    });
                }
            }
            if let Some(id) = self.declare(&name, RecipientId::parse) {
                recipients.insert(
                    id,
                    Recipient {
                        kind: r.kind,
                        name: r.name,
                        description: r.description,
                        purposes: rp,
                        categories: rc,
                        dpa: r.dpa,
                        sub_consultants: r.sub_consultants,
                        basis: r.basis,
                        transfers,
                        span: name.span(),
                    },
                );
            }
        }
        recipients
    }

    fn roles(
        &mut self,
        raw: IndexMap<S, raw::RawRole>,
        purposes: &IndexMap<PurposeId, Purpose>,
    ) -> IndexMap<RoleId, Role> {
        let mut roles = IndexMap::new();
        for (name, r) in raw {
            let mut access = IndexMap::new();
            for (purpose, cats) in &r.access {
                let Some(purpose) = self.refer(purpose, purposes, "purpose", "purposes") else {
                    continue;
                };
                let mut granted = Vec::new();
                for c in cats {
                    let Some(p) = purposes.get(&purpose) else {
                        continue;
                    };
                    match p.basis.get_key_value(c.get_ref().as_str()) {
                        Some((category, _)) => granted.push(category.clone()),
                        None => self.require_basis(
                            purposes,
                            &purpose,
                            c,
                            &format!("role `{}`", name.get_ref()),
                        ),
                    }
                }
                access.insert(purpose, granted);
            }
            if let Some(id) = self.declare(&name, RoleId::parse) {
                roles.insert(
                    id,
                    Role {
                        name: r.name,
                        access,
                        administers: r.administers,
                        sees_personnummer: r.sees_personnummer,
                    },
                );
            }
        }
        roles
    }

    fn cookies(
        &mut self,
        raw: IndexMap<S, raw::RawCookie>,
        purposes: &IndexMap<PurposeId, Purpose>,
        recipients: &IndexMap<RecipientId, Recipient>,
    ) -> Vec<Cookie> {
        let mut cookies = Vec::new();
        for (name, c) in raw {
            let cp: Vec<PurposeId> = c
                .purposes
                .iter()
                .filter_map(|p| self.refer(p, purposes, "purpose", "purposes"))
                .collect();
            if c.strictly_necessary != c.purposes.is_empty() {
                self.bad_value(
                    name.span(),
                    format!("cookie `{}` must be either strictly necessary or serve purposes, not both or neither", name.get_ref()),
                    Some("set `strictly-necessary = true`, or list the `purposes` it serves (which then need consent)"),
                );
            }
            let recipient = c.recipient.as_ref().and_then(|r| {
                let id = self.refer(r, recipients, "recipient", "recipients")?;
                let receives = recipients.get(&id).is_some_and(|rec| {
                    cp.iter().any(|p| rec.purposes.contains(p))
                        && cp.iter().any(|p| {
                            purposes.get(p).is_some_and(|pu| {
                                rec.categories.iter().any(|cat| pu.basis.contains_key(cat))
                            })
                        })
                });
                if !receives && !cp.is_empty() {
                    self.error(
                        Diagnostic::error(
                            "cookie-recipient-mismatch",
                            format!(
                                "cookie `{}` sends data to `{id}`, but `{id}` receives no data for the cookie's purposes",
                                name.get_ref()
                            ),
                            r.span(),
                        )
                        .with_help(format!(
                            "add the cookie's purposes and categories to [recipients.{id}], so the notice says who receives the data"
                        )),
                    );
                }
                Some(id)
            });
            let lifetime = if c.lifetime.get_ref() == "session" {
                Some(CookieLifetime::Session)
            } else {
                self.period(&c.lifetime).map(CookieLifetime::For)
            };
            if let Some(lifetime) = lifetime {
                cookies.push(Cookie {
                    name: name.get_ref().clone(),
                    provider: c.provider,
                    description: c.description,
                    strictly_necessary: c.strictly_necessary,
                    purposes: cp,
                    recipient,
                    lifetime,
                    span: name.span(),
                });
            }
        }
        cookies
    }
}

/// A Swedish organisation number: ten digits, `NNNNNN-NNNN`, whose last
/// digit is the Luhn check digit of the other nine.
fn org_number_is_valid(s: &str) -> bool {
    let Some((head, tail)) = s.split_once('-') else {
        return false;
    };
    if head.len() != 6 || tail.len() != 4 {
        return false;
    }
    let digits: Option<Vec<u32>> = head
        .chars()
        .chain(tail.chars())
        .map(|c| c.to_digit(10))
        .collect();
    let Some(digits) = digits else { return false };
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let v = if i % 2 == 0 { d * 2 } else { d };
            v / 10 + v % 10
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_numbers_carry_a_check_digit() {
        assert!(org_number_is_valid("556677-8899"));
        assert!(!org_number_is_valid("556677-8898"));
        assert!(!org_number_is_valid("5566778899"));
        assert!(!org_number_is_valid("55667-78899"));
        assert!(!org_number_is_valid("55667a-8899"));
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kund", "kund"), 0);
        assert_eq!(distance("custmer", "customer"), 1);
        assert_eq!(distance("", "abc"), 3);
    }
}
