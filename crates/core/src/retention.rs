//! Retention: when each record falls due, what happens to it then, which
//! rule decided, and why — or why it is kept.
//!
//! [`Schedule`] is the policy's retention rules compiled once; [`Schedule::due`]
//! takes one record, its subject's lifecycle events and legal holds, and the
//! instant to judge at, and returns a [`Retention`]. Pure: the store loads
//! the facts and carries out what is due.
//!
//! The rules, in order:
//! 1. an erased record needs nothing more;
//! 2. the rule that governs the record is the one naming its kind, else its
//!    category's; with none, the record is kept (the checker warns);
//! 3. while the rule's `keep-while` state holds at the instant (for a
//!    reference-scoped state: the record's own reference), the record is
//!    kept;
//! 4. the next action is anonymisation (if the rule anonymises, the
//!    record is not anonymised yet, it falls before erasure and erasure is
//!    not due already), else erasure; its day is the period added to the anchor's date in
//!    Stockholm, whole months in one step, clamped to the month's end;
//!    without the anchor event yet, the record is kept;
//! 5. accounting material waits until the day after the statutory minimum
//!    (Bokföringslagen: through 31 December of the seventh year after the
//!    calendar year its fiscal year ended in), whatever earlier day the
//!    rule gives; only that record waits;
//! 6. a legal hold on the subject in force at the instant suspends it all.
//!
//! Only events at or before the instant count: a judgement at `at` is
//! what the ledger knew then, so a new contract before the deadline
//! cancels it, and one after it comes too late.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::legal;
use crate::period::Period;
use crate::policy::{Anchor, Deadline, Policy, RetentionRule, StateScope, StatutoryMinimum};
use crate::text::Lang;

/// A necessary condition for a record to fall due; see
/// [`Schedule::candidates`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate<'p> {
    /// The rule the record must be governed by.
    pub rule: &'p str,
    /// The states the deadline applies to.
    pub states: &'static [RecordState],
    pub by: CandidateBy<'p>,
    /// The anchor (collection or event) lies strictly before this instant.
    pub before: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateBy<'p> {
    /// Records of this kind, collected before the cutoff.
    Collection { kind: &'p str },
    /// Records whose subject had this event before the cutoff.
    SubjectEvent { event: &'p str },
    /// Records whose reference had this event before the cutoff.
    ReferenceEvent { event: &'p str },
}

/// What happens to a record when it falls due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Cut from its subject: what is left says nothing of a person.
    Anonymise,
    /// Its content removed; a tombstone proves it happened.
    Erase,
}

impl Action {
    pub fn id(self) -> &'static str {
        match self {
            Action::Anonymise => "anonymise",
            Action::Erase => "erase",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "anonymise" => Some(Action::Anonymise),
            "erase" => Some(Action::Erase),
            _ => None,
        }
    }

    fn verb(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Action::Anonymise, Lang::Sv) => "anonymiseras",
            (Action::Anonymise, Lang::En) => "anonymised",
            (Action::Erase, Lang::Sv) => "raderas",
            (Action::Erase, Lang::En) => "erased",
        }
    }
}

/// Where a record stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordState {
    Active,
    Anonymised,
    Erased,
}

impl RecordState {
    pub fn id(self) -> &'static str {
        match self {
            RecordState::Active => "active",
            RecordState::Anonymised => "anonymised",
            RecordState::Erased => "erased",
        }
    }

    pub fn parse(s: &str) -> Option<RecordState> {
        match s {
            "active" => Some(RecordState::Active),
            "anonymised" => Some(RecordState::Anonymised),
            "erased" => Some(RecordState::Erased),
            _ => None,
        }
    }
}

/// What retention needs to know of one record.
#[derive(Clone, Copy, Debug)]
pub struct RecordFacts<'a> {
    pub category: &'a str,
    pub kind: &'a str,
    pub collected_at: Timestamp,
    pub reference: Option<&'a str>,
    /// Räkenskapsinformation, under the statutory minimum.
    pub accounting: bool,
    /// The record's own date (an invoice's), where it has one: its fiscal
    /// year is the one the statutory minimum counts from.
    pub dated: Option<Date>,
    pub state: RecordState,
}

/// One lifecycle event of a subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleEvent {
    pub kind: String,
    pub reference: String,
    pub at: Timestamp,
}

/// A legal hold on a subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldSpan {
    pub id: i64,
    pub placed: Timestamp,
    pub released: Option<Timestamp>,
    /// What it holds.
    pub scope: HoldScope,
}

/// What a legal hold keeps: everything of the subject's, or records of
/// the categories or kinds it names (a dispute over invoices keeps the
/// invoices, not the page views).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HoldScope {
    All,
    Of {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        categories: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        kinds: Vec<String>,
    },
}

impl HoldScope {
    /// The scope a caller names, each name checked against the policy:
    /// `all`, or categories and kinds (at least one).
    pub fn new(
        policy: &Policy,
        all: bool,
        categories: &[String],
        kinds: &[String],
    ) -> Result<HoldScope, crate::ledger::InputError> {
        use crate::ledger::InputError;
        match (all, categories.is_empty() && kinds.is_empty()) {
            (true, true) => return Ok(HoldScope::All),
            (true, false) => {
                return Err(InputError::Refused(
                    "a hold keeps everything, or the categories and kinds it names: not both"
                        .into(),
                ));
            }
            (false, true) => {
                return Err(InputError::Refused(
                    "say what the hold keeps: everything (all), or the categories or kinds the claim concerns".into(),
                ));
            }
            (false, false) => {}
        }
        for c in categories {
            policy.category_named(c)?;
        }
        for k in kinds {
            policy.kind_named(k)?;
        }
        Ok(HoldScope::Of {
            categories: categories.to_vec(),
            kinds: kinds.to_vec(),
        })
    }

    pub fn covers(&self, category: &str, kind: &str) -> bool {
        match self {
            HoldScope::All => true,
            HoldScope::Of { categories, kinds } => {
                categories.iter().any(|c| c == category) || kinds.iter().any(|k| k == kind)
            }
        }
    }
}

impl HoldSpan {
    fn in_force_at(&self, t: Timestamp) -> bool {
        self.placed <= t && self.released.is_none_or(|r| r > t)
    }

    /// Whether it keeps `record` at `t`.
    fn keeps(&self, record: &RecordFacts<'_>, t: Timestamp) -> bool {
        self.in_force_at(t) && self.scope.covers(record.category, record.kind)
    }
}

/// A subject's lifecycle events and holds, in any order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    pub events: Vec<LifecycleEvent>,
    pub holds: Vec<HoldSpan>,
}

/// What retention says of a record at an instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Retention<'p> {
    /// The next action and when it falls due (which may be past or to
    /// come).
    Due(Due<'p>),
    /// No day can be set now.
    Kept(Kept<'p>),
    /// Erased already: nothing more to do.
    Done,
}

impl<'p> Retention<'p> {
    /// The action due at `at`, if one is.
    pub fn due_at(&self, at: Timestamp) -> Option<&Due<'p>> {
        match self {
            Retention::Due(d) if d.at <= at => Some(d),
            _ => None,
        }
    }

    /// Why, in one sentence.
    pub fn reason(&self, policy: &Policy, lang: Lang) -> String {
        match self {
            Retention::Due(d) => d.reason(lang),
            Retention::Kept(k) => k.reason(policy, lang),
            Retention::Done => lang.pick("redan raderad", "already erased").to_owned(),
        }
    }

    /// Why, in words a data subject reads: events, states and laws by
    /// name, no rule ids.
    pub fn in_words(&self, policy: &Policy, lang: Lang) -> String {
        let event = |e: &str| {
            policy
                .events
                .get(e)
                .map_or_else(|| e.to_owned(), |t| t.get(lang).to_owned())
        };
        let state = |s: &str| state_name(policy, s, lang);
        match self {
            Retention::Due(d) => {
                let verb = d.action.verb(lang);
                let why = match &d.why {
                    DueWhy::After { period, anchor, .. } => {
                        after_anchor(*period, anchor, event, lang)
                    }
                    DueWhy::Statutory {
                        law, kept_through, ..
                    } => match lang {
                        Lang::Sv => format!(
                            "räkenskapsinformation som {law} kräver att vi sparar till och med {kept_through}"
                        ),
                        Lang::En => format!(
                            "accounting material that {law} requires us to keep through {kept_through}"
                        ),
                    },
                };
                match lang {
                    Lang::Sv => format!("{verb} {}: {why}", d.on),
                    Lang::En => format!("{verb} on {}: {why}", d.on),
                }
            }
            Retention::Kept(k) => match &k.why {
                KeptWhy::InState { state: s, since } => match lang {
                    Lang::Sv => format!("sparas {} (sedan {since})", state(s)),
                    Lang::En => format!("kept {} (since {since})", state(s)),
                },
                KeptWhy::AwaitingEvent { event: e, .. } => match lang {
                    Lang::Sv => format!("sparas tills {} och raderas därefter", event(e)),
                    Lang::En => format!("kept until {}, then erased", event(e)),
                },
                KeptWhy::Hold { since, .. } => match lang {
                    Lang::Sv => format!(
                        "sparas för ett rättsligt anspråk (sedan {since}), tills det är avgjort"
                    ),
                    Lang::En => {
                        format!("kept for a legal claim (since {since}), until it is settled")
                    }
                },
                KeptWhy::NoRule => lang
                    .pick(
                        "sparas: vår policy anger ännu ingen gallringstid",
                        "kept: our policy sets no time limit yet",
                    )
                    .to_owned(),
            },
            Retention::Done => lang.pick("redan raderad", "already erased").to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Due<'p> {
    pub action: Action,
    /// The day it falls due, in Stockholm.
    pub on: Date,
    /// The start of that day.
    pub at: Timestamp,
    /// The retention rule, or the statutory minimum that postponed it.
    pub rule: &'p str,
    pub why: DueWhy<'p>,
}

/// What an erasure request does to a record; see [`Schedule::on_erasure`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", content = "kept", rename_all = "kebab-case")]
pub enum OnErasure<'p> {
    Erase,
    /// Kept, for every reason listed.
    Keep(Vec<Exception<'p>>),
    /// Erased already.
    Done,
}

/// Why an erasure request leaves a record in place (GDPR Art. 17(3)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Exception<'p> {
    /// The contract still runs and needs the data: no ground of
    /// Art. 17(1) applies (it is still necessary for the purpose it was
    /// collected for), so the request does not reach it yet.
    Contract { state: &'p str, since: Date },
    /// A legal hold in force, until it is released.
    Hold { hold: i64, since: Date },
    /// An open claim the record belongs to (an unpaid invoice), until the
    /// state closes.
    LegalClaim { state: &'p str, since: Date },
    /// Accounting material the law keeps through `kept_through`.
    Statutory {
        law: &'p str,
        fiscal_year_end: Date,
        kept_through: Date,
    },
}

impl Exception<'_> {
    /// The provision of Art. 17(3) it rests on.
    pub fn article(&self) -> &'static str {
        match self {
            Exception::Contract { .. } => "GDPR Art. 17(1)(a)",
            Exception::Hold { .. } | Exception::LegalClaim { .. } => "GDPR Art. 17(3)(e)",
            Exception::Statutory { .. } => "GDPR Art. 17(3)(b)",
        }
    }

    /// The last day it keeps the record, where one is known.
    pub fn until(&self) -> Option<Date> {
        match self {
            Exception::Statutory { kept_through, .. } => Some(*kept_through),
            Exception::Contract { .. } | Exception::Hold { .. } | Exception::LegalClaim { .. } => {
                None
            }
        }
    }

    /// Why, in words a data subject reads: states and laws by name, no
    /// ids (the article is given beside it).
    pub fn in_words(&self, policy: &Policy, lang: Lang) -> String {
        let state = |s: &str| state_name(policy, s, lang);
        match self {
            Exception::Contract { state: s, .. } => match lang {
                Lang::Sv => format!(
                    "sparas {}: avtalet löper och uppgifterna behövs för att fullgöra det",
                    state(s)
                ),
                Lang::En => format!("kept {}: the contract runs and needs the data", state(s)),
            },
            Exception::Hold { since, .. } => match lang {
                Lang::Sv => format!(
                    "sparas för ett rättsligt anspråk (sedan {since}), tills det är avgjort"
                ),
                Lang::En => format!("kept for a legal claim (since {since}), until it is settled"),
            },
            Exception::LegalClaim { state: s, .. } => match lang {
                Lang::Sv => format!("sparas {}: ett rättsligt anspråk", state(s)),
                Lang::En => format!("kept {}: a legal claim", state(s)),
            },
            Exception::Statutory {
                law, kept_through, ..
            } => match lang {
                Lang::Sv => format!(
                    "räkenskapsinformation som {law} kräver att vi sparar till och med {kept_through}"
                ),
                Lang::En => format!(
                    "accounting material that {law} requires us to keep through {kept_through}"
                ),
            },
        }
    }

    /// Why, in one sentence, with until when.
    pub fn reason(&self, policy: &Policy, lang: Lang) -> String {
        match self {
            Exception::Contract { state, since } => {
                let name = state_name(policy, state, lang);
                match lang {
                    Lang::Sv => format!(
                        "sparas {name} (sedan {since}): avtalet löper och uppgifterna behövs fortfarande för att fullgöra det, så ingen grund för radering i {} föreligger ännu",
                        self.article()
                    ),
                    Lang::En => format!(
                        "kept {name} (since {since}): the contract runs and still needs the data, so no ground for erasure of {} applies yet",
                        self.article()
                    ),
                }
            }
            Exception::Hold { hold, since } => match lang {
                Lang::Sv => format!(
                    "sparas under bevarandeorder #{hold} sedan {since}, till dess den hävs (rättsliga anspråk, {})",
                    self.article()
                ),
                Lang::En => format!(
                    "kept under legal hold #{hold} since {since}, until it is released (legal claims, {})",
                    self.article()
                ),
            },
            Exception::LegalClaim { state, since } => {
                let name = state_name(policy, state, lang);
                match lang {
                    Lang::Sv => format!(
                        "sparas {name} (`{state}` sedan {since}): ett rättsligt anspråk ({})",
                        self.article()
                    ),
                    Lang::En => format!(
                        "kept {name} (`{state}` since {since}): a legal claim ({})",
                        self.article()
                    ),
                }
            }
            Exception::Statutory {
                law,
                fiscal_year_end,
                kept_through,
            } => match lang {
                Lang::Sv => format!(
                    "räkenskapsinformation för räkenskapsåret som slutade {fiscal_year_end}: sparas till och med {kept_through} enligt {law} (rättslig förpliktelse, {})",
                    self.article()
                ),
                Lang::En => format!(
                    "accounting material of the fiscal year that ended {fiscal_year_end}: kept through {kept_through} under {law} (legal obligation, {})",
                    self.article()
                ),
            },
        }
    }
}

/// How the day was computed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum DueWhy<'p> {
    /// A period after the anchor (none: at the anchor).
    After {
        period: Option<Period>,
        anchor: AnchorFact<'p>,
        /// The rule's fallback counted, because this event, which its
        /// deadline counts from, has not happened.
        #[serde(skip_serializing_if = "Option::is_none")]
        otherwise: Option<&'p str>,
    },
    /// Accounting material: the law keeps it through `kept_through`;
    /// the retention rule alone would have made it due on `instead_of`.
    Statutory {
        law: &'p str,
        fiscal_year_end: Date,
        kept_through: Date,
        rule: &'p str,
        instead_of: Date,
    },
}

/// The anchor a deadline counted from, and its day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum AnchorFact<'p> {
    Collection { on: Date },
    Event { event: &'p str, on: Date },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Kept<'p> {
    pub rule: Option<&'p str>,
    pub why: KeptWhy<'p>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum KeptWhy<'p> {
    /// The rule's keep-while state holds (an active customer, an unpaid
    /// invoice).
    InState { state: &'p str, since: Date },
    /// The deadline counts from an event that has not happened yet.
    AwaitingEvent {
        event: &'p str,
        reference: Option<String>,
    },
    /// A legal hold suspends it; `then` is what would otherwise be due.
    Hold {
        hold: i64,
        since: Date,
        then: Option<Box<Due<'p>>>,
    },
    /// No retention rule covers the record's kind.
    NoRule,
}

impl Due<'_> {
    pub fn reason(&self, lang: Lang) -> String {
        let verb = self.action.verb(lang);
        match &self.why {
            DueWhy::After {
                period,
                anchor,
                otherwise,
            } => {
                let when = after_anchor(*period, anchor, |e| format!("`{e}`"), lang);
                let because = otherwise
                    .map(|e| match lang {
                        Lang::Sv => format!(", eftersom `{e}` inte har inträffat"),
                        Lang::En => format!(", as `{e}` has not happened"),
                    })
                    .unwrap_or_default();
                match lang {
                    Lang::Sv => {
                        format!(
                            "{verb} {}: {when}{because}, enligt regeln `{}`",
                            self.on, self.rule
                        )
                    }
                    Lang::En => {
                        format!(
                            "{verb} on {}: {when}{because}, under rule `{}`",
                            self.on, self.rule
                        )
                    }
                }
            }
            DueWhy::Statutory {
                law,
                fiscal_year_end,
                kept_through,
                rule,
                instead_of,
            } => match lang {
                Lang::Sv => format!(
                    "{verb} {}: räkenskapsinformation för räkenskapsåret som slutade {fiscal_year_end} sparas till och med {kept_through} ({law}, `{}`); regeln `{rule}` ensam hade gett {instead_of}",
                    self.on, self.rule
                ),
                Lang::En => format!(
                    "{verb} on {}: accounting material of the fiscal year that ended {fiscal_year_end} is kept through {kept_through} ({law}, `{}`); rule `{rule}` alone would have given {instead_of}",
                    self.on, self.rule
                ),
            },
        }
    }
}

impl Kept<'_> {
    pub fn reason(&self, policy: &Policy, lang: Lang) -> String {
        match &self.why {
            KeptWhy::InState { state, since } => {
                let name = state_name(policy, state, lang);
                match lang {
                    Lang::Sv => format!("sparas {name} (`{state}` sedan {since})"),
                    Lang::En => format!("kept {name} (`{state}` since {since})"),
                }
            }
            KeptWhy::AwaitingEvent { event, reference } => {
                let of = reference
                    .as_deref()
                    .map(|r| format!(" {} {r}", lang.pick("för", "for")))
                    .unwrap_or_default();
                match lang {
                    Lang::Sv => {
                        format!("sparas: fristen räknas från `{event}`{of}, som inte har inträffat")
                    }
                    Lang::En => {
                        format!(
                            "kept: the deadline counts from `{event}`{of}, which has not happened"
                        )
                    }
                }
            }
            KeptWhy::Hold { hold, since, then } => {
                let then = then
                    .as_ref()
                    .map(|d| {
                        format!(
                            "; {} {} {}",
                            lang.pick("annars", "otherwise"),
                            d.action.verb(lang),
                            d.on
                        )
                    })
                    .unwrap_or_default();
                match lang {
                    Lang::Sv => format!(
                        "sparas: en bevarandeorder (#{hold}, sedan {since}) skjuter upp radering tills den hävs{then}"
                    ),
                    Lang::En => format!(
                        "kept: a legal hold (#{hold}, since {since}) suspends erasure until it is released{then}"
                    ),
                }
            }
            KeptWhy::NoRule => lang
                .pick(
                    "sparas: ingen gallringsregel gäller för slaget",
                    "kept: no retention rule covers the kind",
                )
                .to_owned(),
        }
    }
}

/// The policy's retention rules, compiled for many records.
#[derive(Debug)]
pub struct Schedule<'p> {
    policy: &'p Policy,
    tz: TimeZone,
    /// The rule that governs each kind.
    by_kind: HashMap<&'p str, &'p RetentionRule>,
    statutory: Option<&'p StatutoryMinimum>,
}

impl<'p> Schedule<'p> {
    /// `tz` is the zone deadlines are counted in (Europe/Stockholm).
    pub fn new(policy: &'p Policy, tz: TimeZone) -> Schedule<'p> {
        let by_kind = policy
            .kinds
            .iter()
            .filter_map(|(id, k)| {
                policy
                    .retention_rule(k.category.as_str(), id.as_str())
                    .map(|r| (id.as_str(), r))
            })
            .collect();
        Schedule {
            policy,
            tz,
            by_kind,
            statutory: policy.statutory_minimums.first(),
        }
    }

    /// The policy the schedule was compiled from.
    pub fn policy(&self) -> &'p Policy {
        self.policy
    }

    /// The zone deadlines are counted in.
    pub fn zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The rule that erases the website's page views and the last day
    /// whose views are due at `at`: a view of day D is due on D plus the
    /// rule's period. `None` if no rule erases them by time since
    /// collection.
    pub fn page_views_due(&self, at: Timestamp) -> Option<(&'p str, Date)> {
        let rule = self.by_kind.get(crate::visit::KIND)?;
        let erase = rule.erase.as_ref()?;
        if erase.anchor != Anchor::Collection {
            return None;
        }
        let today = at.to_zoned_datetime(self.tz.clone()).date();
        let cutoff = match erase.after {
            Some(period) => period.before(today)?,
            None => today,
        };
        Some((rule.id.as_str(), cutoff))
    }

    /// The rule that governs a kind, if any.
    pub fn rule_for(&self, kind: &str) -> Option<&'p str> {
        self.by_kind.get(kind).map(|r| r.id.as_str())
    }

    /// A kind's name and its category's, as the policy spells them.
    pub fn kind(&self, kind: &str) -> Option<(&'p str, &'p str)> {
        self.policy
            .kinds
            .get_key_value(kind)
            .map(|(id, k)| (id.as_str(), k.category.as_str()))
    }

    /// Where records that may fall due by `until`, judged at `at`, are:
    /// one necessary condition per rule, deadline and (for deadlines that
    /// count from collection) kind. A record due by then meets one of them
    /// (its anchor lies before the cutoff, and the record is in a state
    /// the deadline applies to), so a store can read those with an index
    /// and judge only them with [`Schedule::due`]. Kept states, holds and
    /// the statutory minimum only ever keep a record longer, so they need
    /// no condition.
    pub fn candidates(&self, at: Timestamp, until: Timestamp) -> Vec<Candidate<'p>> {
        let last_day = self.date(until);
        let mut out = Vec::new();
        for rule in &self.policy.retention {
            let state = rule
                .keep_while
                .as_ref()
                .and_then(|id| self.policy.states.get(id));
            let deadlines = [
                (&rule.anonymise, &[RecordState::Active][..]),
                (
                    &rule.erase,
                    &[RecordState::Active, RecordState::Anonymised][..],
                ),
                (
                    &rule.otherwise_erase,
                    &[RecordState::Active, RecordState::Anonymised][..],
                ),
            ];
            for (deadline, states) in deadlines {
                let Some(deadline) = deadline else { continue };
                // The last anchor day whose deadline falls by `last_day`.
                let Some(latest) = latest_anchor(deadline.after, last_day) else {
                    continue;
                };
                let before = latest
                    .tomorrow()
                    .ok()
                    .map_or(Timestamp::MAX, |d| self.start_of(d));
                let by = match &deadline.anchor {
                    Anchor::Collection => {
                        for (kind, r) in &self.by_kind {
                            if std::ptr::eq(*r, rule) {
                                out.push(Candidate {
                                    rule: rule.id.as_str(),
                                    states,
                                    by: CandidateBy::Collection { kind },
                                    before,
                                });
                            }
                        }
                        continue;
                    }
                    Anchor::Event(e) => {
                        let by_reference = state.is_some_and(|s| {
                            s.scope == StateScope::Reference && (s.opens == *e || s.closes == *e)
                        });
                        if by_reference {
                            CandidateBy::ReferenceEvent { event: e.as_str() }
                        } else {
                            CandidateBy::SubjectEvent { event: e.as_str() }
                        }
                    }
                };
                // Events after `at` are not known at `at`.
                let known = at
                    .checked_add(jiff::SignedDuration::from_micros(1))
                    .unwrap_or(Timestamp::MAX);
                out.push(Candidate {
                    rule: rule.id.as_str(),
                    states,
                    by,
                    before: before.min(known),
                });
            }
        }
        out
    }

    /// The lifecycle events any rule's state or deadline turns on: the
    /// only ones a history needs.
    pub fn relevant_events(&self) -> Vec<&'p str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.policy.retention {
            if let Some(s) = r
                .keep_while
                .as_ref()
                .and_then(|s| self.policy.states.get(s))
            {
                out.push(s.opens.as_str());
                out.push(s.closes.as_str());
                out.extend(s.also_closed_by.as_ref().map(|e| e.as_str()));
                out.extend(s.renewed_by.as_ref().map(|e| e.as_str()));
            }
            for d in [&r.anonymise, &r.erase, &r.otherwise_erase]
                .into_iter()
                .flatten()
            {
                if let Anchor::Event(e) = &d.anchor {
                    out.push(e.as_str());
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Where `record` stands at `at`, given its subject's `history`.
    pub fn due(&self, record: &RecordFacts<'_>, history: &History, at: Timestamp) -> Retention<'p> {
        if record.state == RecordState::Erased {
            return Retention::Done;
        }
        let Some(rule) = self.by_kind.get(record.kind).copied() else {
            return Retention::Kept(Kept {
                rule: None,
                why: KeptWhy::NoRule,
            });
        };
        let kept = |why| {
            Retention::Kept(Kept {
                rule: Some(rule.id.as_str()),
                why,
            })
        };
        let state = rule
            .keep_while
            .as_ref()
            .and_then(|id| self.policy.states.get(id).map(|s| (id, s)));
        if let Some((id, s)) = state
            && let Some(since) = open_since(history, s, record.reference, at, &self.tz)
        {
            return kept(KeptWhy::InState {
                state: id.as_str(),
                since: self.date(since),
            });
        }
        let anonymise = match (record.state, &rule.anonymise) {
            (RecordState::Active, Some(d)) => Some(d),
            _ => None,
        };
        let by_reference = state.is_some_and(|(_, s)| s.scope == StateScope::Reference);
        // The anchor a deadline counts from, or the event still awaited.
        let anchor_of = |deadline: &'p Deadline| -> Result<AnchorFact<'p>, KeptWhy<'p>> {
            match &deadline.anchor {
                Anchor::Collection => Ok(AnchorFact::Collection {
                    on: self.date(record.collected_at),
                }),
                Anchor::Event(e) => {
                    let reference = if by_reference { record.reference } else { None };
                    let awaiting = || KeptWhy::AwaitingEvent {
                        event: e.as_str(),
                        reference: reference.map(str::to_owned),
                    };
                    if by_reference && reference.is_none() {
                        return Err(awaiting());
                    }
                    last_event(history, e.as_str(), reference, at)
                        .map(|t| AnchorFact::Event {
                            event: e.as_str(),
                            on: self.date(t),
                        })
                        .ok_or_else(awaiting)
                }
            }
        };
        let mut next: Option<(Action, Date, AnchorFact, &Deadline, Option<&'p str>)> = None;
        for (action, deadline) in [
            (Action::Anonymise, anonymise),
            (Action::Erase, rule.erase.as_ref()),
        ] {
            let Some(deadline) = deadline else { continue };
            let (anchor, deadline, otherwise) = match anchor_of(deadline) {
                Ok(anchor) => (anchor, deadline, None),
                Err(why) => {
                    // The event may never happen: the rule's fallback
                    // erases what would otherwise be kept for ever.
                    let fallback = rule
                        .otherwise_erase
                        .as_ref()
                        .filter(|_| action == Action::Erase);
                    let awaited = match (&why, &deadline.anchor) {
                        (_, Anchor::Event(e)) => Some(e.as_str()),
                        _ => None,
                    };
                    match fallback.map(|f| (anchor_of(f), f)) {
                        Some((Ok(anchor), f)) => (anchor, f, awaited),
                        Some((Err(_), _)) | None => return kept(why),
                    }
                }
            };
            let from = match &anchor {
                AnchorFact::Collection { on } | AnchorFact::Event { on, .. } => *on,
            };
            let Some(on) = deadline.after.map_or(Some(from), |p| p.after(from)) else {
                continue;
            };
            // Anonymising on the erasure day or later would be moot, and
            // so is anonymising what is due for erasure already.
            let erase_due_now = action == Action::Erase && self.start_of(on) <= at;
            match &next {
                Some((_, earlier, _, _, _)) if *earlier < on && !erase_due_now => {}
                _ => next = Some((action, on, anchor, deadline, otherwise)),
            }
        }
        let Some((action, on, anchor, deadline, otherwise)) = next else {
            return kept(KeptWhy::NoRule);
        };
        let mut due = Due {
            action,
            on,
            at: self.start_of(on),
            rule: rule.id.as_str(),
            why: DueWhy::After {
                period: deadline.after,
                anchor,
                otherwise,
            },
        };
        if let Some((min, fy_end, through)) = self.statutory_minimum(record)
            && let Some(after) = through.tomorrow().ok()
            && after > due.on
        {
            due = Due {
                action,
                on: after,
                at: self.start_of(after),
                rule: min.id.as_str(),
                why: DueWhy::Statutory {
                    law: min.law.as_str(),
                    fiscal_year_end: fy_end,
                    kept_through: through,
                    rule: rule.id.as_str(),
                    instead_of: due.on,
                },
            };
        }
        if let Some(hold) = history.holds.iter().find(|h| h.keeps(record, at)) {
            return kept(KeptWhy::Hold {
                hold: hold.id,
                since: self.date(hold.placed),
                then: Some(Box::new(due)),
            });
        }
        Retention::Due(due)
    }

    /// What a subject's request for erasure (GDPR Art. 17) does to
    /// `record` at `at`: it is erased, unless an exception of Art. 17(3)
    /// keeps it:
    /// - a legal hold in force on the subject (the establishment, exercise
    ///   or defence of legal claims, 17(3)(e));
    /// - a keep-while state of its rule that holds: the contract state
    ///   means the data is still necessary to perform a running contract,
    ///   so no ground of Art. 17(1) applies yet; any other (an unpaid
    ///   invoice) is an open claim (17(3)(e)) until it closes;
    /// - accounting material the law keeps (17(3)(b)) through the
    ///   statutory minimum's last day.
    ///
    /// Every exception that applies is listed.
    pub fn on_erasure(
        &self,
        record: &RecordFacts<'_>,
        history: &History,
        at: Timestamp,
    ) -> OnErasure<'p> {
        if record.state == RecordState::Erased {
            return OnErasure::Done;
        }
        let mut kept = Vec::new();
        if let Some(hold) = history.holds.iter().find(|h| h.keeps(record, at)) {
            kept.push(Exception::Hold {
                hold: hold.id,
                since: self.date(hold.placed),
            });
        }
        if let Some(rule) = self.by_kind.get(record.kind)
            && let Some(id) = &rule.keep_while
            && let Some(state) = self.policy.states.get(id)
            && let Some(since) = open_since(history, state, record.reference, at, &self.tz)
        {
            let (state, since) = (id.as_str(), self.date(since));
            kept.push(if state_is_contract(self.policy, id.as_str()) {
                Exception::Contract { state, since }
            } else {
                Exception::LegalClaim { state, since }
            });
        }
        if let Some((min, fy_end, through)) = self.statutory_minimum(record)
            && through >= self.date(at)
        {
            kept.push(Exception::Statutory {
                law: min.law.as_str(),
                fiscal_year_end: fy_end,
                kept_through: through,
            });
        }
        if kept.is_empty() {
            OnErasure::Erase
        } else {
            OnErasure::Keep(kept)
        }
    }

    /// For accounting material: the statutory minimum that keeps it, the
    /// last day of its fiscal year and the last day the law keeps it.
    fn statutory_minimum(
        &self,
        record: &RecordFacts<'_>,
    ) -> Option<(&'p StatutoryMinimum, Date, Date)> {
        if !record.accounting {
            return None;
        }
        let min = self.statutory?;
        let day = record
            .dated
            .unwrap_or_else(|| self.date(record.collected_at));
        let fy_end = self.fiscal_year_end(day)?;
        let through = legal::bookkeeping_kept_through(fy_end, min.years_after_fiscal_year)?;
        Some((min, fy_end, through))
    }

    fn date(&self, t: Timestamp) -> Date {
        self.tz.to_datetime(t).date()
    }

    fn start_of(&self, d: Date) -> Timestamp {
        self.tz
            .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .unwrap_or(Timestamp::MAX)
    }

    /// The last day of the fiscal year a day falls in.
    fn fiscal_year_end(&self, day: Date) -> Option<Date> {
        let fye = self.policy.controller.fiscal_year_end;
        let this = fye.in_year(day.year())?;
        if this >= day {
            Some(this)
        } else {
            fye.in_year(day.year().checked_add(1)?)
        }
    }
}

/// "24 months after collection (2024-01-10)": a deadline's period and
/// anchor, the anchor's event named by `event`.
fn after_anchor(
    period: Option<Period>,
    anchor: &AnchorFact<'_>,
    event: impl Fn(&str) -> String,
    lang: Lang,
) -> String {
    let (what, on) = match anchor {
        AnchorFact::Collection { on } => (lang.pick("insamlingen", "collection").to_owned(), on),
        AnchorFact::Event { event: e, on } => (event(e), on),
    };
    match period {
        Some(p) => format!(
            "{} {} {what} ({on})",
            p.describe(lang),
            lang.pick("efter", "after")
        ),
        None => format!("{} {what} ({on})", lang.pick("vid", "at")),
    }
}

/// A state's name in `lang`, as the policy spells it (its id if unknown).
fn state_name(policy: &Policy, id: &str, lang: Lang) -> String {
    policy
        .states
        .get(id)
        .map_or_else(|| id.to_owned(), |s| s.name.get(lang).to_owned())
}

fn state_is_contract(policy: &Policy, id: &str) -> bool {
    policy.states.get(id).is_some_and(|s| s.contract)
}

/// The last day `d` with `d + period` on or before `day` (`day` itself
/// without a period); `None` if there is none in range.
fn latest_anchor(period: Option<Period>, day: Date) -> Option<Date> {
    let Some(p) = period else { return Some(day) };
    let mut d = p.before(day)?;
    // Adding months clamps to the month's end, so subtracting them is only
    // near; step to the exact day (`after` grows with its start).
    while p.after(d).is_some_and(|due| due > day) {
        d = d.yesterday().ok()?;
    }
    while let Ok(next) = d.tomorrow()
        && p.after(next).is_some_and(|due| due <= day)
    {
        d = next;
    }
    Some(d)
}

/// The last time `kind` happened at or before `at` (with `reference`, if
/// given).
fn last_event(
    history: &History,
    kind: &str,
    reference: Option<&str>,
    at: Timestamp,
) -> Option<Timestamp> {
    history
        .events
        .iter()
        .filter(|e| e.at <= at && e.kind == kind && reference.is_none_or(|r| e.reference == r))
        .map(|e| e.at)
        .max()
}

/// Since when the state has held without a break, if it holds at `at`.
/// Each reference is one interval: open from its opening event until the
/// next closing one (`closes` or `also-closed-by`), or until it lapses
/// (`lapses-after` its opening or its last `renewed-by` event). A
/// subject-scoped state holds while any interval is open; a
/// reference-scoped one only the record's own (none without a reference).
fn open_since(
    history: &History,
    state: &crate::policy::State,
    reference: Option<&str>,
    at: Timestamp,
    tz: &TimeZone,
) -> Option<Timestamp> {
    let scoped = match state.scope {
        StateScope::Subject => None,
        StateScope::Reference => Some(reference?),
    };
    let known = |e: &&LifecycleEvent| e.at <= at && scoped.is_none_or(|r| e.reference == r);
    let mut events: Vec<(&str, Timestamp, bool)> = history
        .events
        .iter()
        .filter(known)
        .filter_map(|e| {
            if e.kind == state.opens.as_str() {
                Some((e.reference.as_str(), e.at, true))
            } else if e.kind == state.closes.as_str()
                || state
                    .also_closed_by
                    .as_ref()
                    .is_some_and(|c| e.kind == c.as_str())
            {
                Some((e.reference.as_str(), e.at, false))
            } else {
                None
            }
        })
        .collect();
    // One reference at a time, so that a lapse counts from that
    // reference's own renewals.
    events.sort_by_key(|(r, _, _)| *r);
    let mut open: Vec<Timestamp> = Vec::new();
    for own in events.chunk_by_mut(|a, b| a.0 == b.0) {
        let r = own.first().map_or("", |(r, _, _)| *r);
        for (from, _) in crate::decide::intervals(own)
            .into_iter()
            .filter(|(_, until)| until.is_none())
        {
            if let Some(period) = state.lapses_after {
                let renewed = state.renewed_by.as_ref().and_then(|kind| {
                    history
                        .events
                        .iter()
                        .filter(known)
                        .filter(|e| e.kind == kind.as_str() && e.reference == r && e.at >= from)
                        .map(|e| e.at)
                        .max()
                });
                let counted = renewed.unwrap_or(from);
                let lapses = period.after(tz.to_datetime(counted).date()).and_then(|d| {
                    tz.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                        .ok()
                });
                if lapses.is_some_and(|l| l <= at) {
                    continue;
                }
            }
            open.push(from);
        }
    }
    open.into_iter().min()
}
