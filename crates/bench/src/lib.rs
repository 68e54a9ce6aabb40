//! The same Winston rules and the same requests for four deciders: tillit's
//! [`Rules`], Cedar, and Rego in regorus (its interpreter and its virtual
//! machine). Each gets the subjects' state loaded once into its own store;
//! each request is built once, before anything is measured.
//!
//! The Cedar and Rego policies are generated from the policy file, not
//! written by hand, so they cannot drift from it: one `permit` per purpose
//! and category with the roles the policy grants, one `forbid` per
//! cross-cutting rule (anonymised-only, erasure, restriction, objection to
//! direct marketing).
//!
//! The subjects' histories are kept to one interval each (one consent per
//! purpose, given and maybe withdrawn; one contract; one restriction), so
//! that Cedar, which has no loops, can express them. tillit's state would
//! take any history; this shape favours the peers.
#![allow(
    clippy::indexing_slicing,
    reason = "benchmark fixtures index what they built"
)]

use std::str::FromStr;

use jiff::Timestamp;
use tillit_core::decide::{Operation, Request, Rules, SubjectState};
use tillit_core::policy::LegalBasis;
use tillit_core::{Policy, SourceFile};

/// The Winston policy, as shipped.
pub const WINSTON: &str = include_str!("../../../examples/winston/policy.toml");

/// "Never": 2100-01-01, in seconds.
pub const NEVER: i64 = 4_102_444_800;
/// The histories start 2024-01-01 …
pub const START: i64 = 1_704_067_200;
/// … and span three years.
pub const SPAN: i64 = 3 * 365 * 86_400;

/// SplitMix64: small, fast, reproducible.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
        }
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// A time in `[from, START + SPAN)`.
    fn time_after(&mut self, from: i64) -> i64 {
        let end = START + SPAN;
        let width = u64::try_from((end - from).max(1)).unwrap_or(1);
        from + i64::try_from(self.next_u64() % width).unwrap_or(0)
    }
}

/// One subject's history, in the shape all engines can hold.
#[derive(Clone, Debug)]
pub struct Subject {
    pub id: String,
    /// Per consent purpose: given at, withdrawn at (or NEVER).
    pub consents: Vec<(String, i64, i64)>,
    pub contract: Option<(i64, i64)>,
    /// General objections (Art. 21(1)) to non-direct-marketing purposes.
    pub objections: Vec<(String, i64)>,
    pub direct_marketing_objection: Option<i64>,
    pub restriction: Option<(i64, i64)>,
    pub erased: Option<i64>,
}

/// One request, by names.
#[derive(Clone, Debug)]
pub struct Ask {
    pub subject: usize,
    pub role: String,
    pub purpose: String,
    pub category: String,
    pub at: i64,
    pub anonymised: bool,
    pub store: bool,
}

/// The policy, the subjects and the requests every engine decides.
#[derive(Debug)]
pub struct Fixture {
    pub policy: Policy,
    pub subjects: Vec<Subject>,
    pub asks: Vec<Ask>,
}

fn seconds(s: i64) -> Timestamp {
    Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Fixture {
    /// `subjects` subjects and `requests` requests, reproducibly from
    /// `seed`. Most requests name a role, purpose and category the policy
    /// grants, so that the bases are exercised and not only the grant
    /// check; some name what it does not, or nothing it knows.
    pub fn winston(subjects: usize, requests: usize, seed: u64) -> Result<Fixture, String> {
        let policy = Policy::parse(&SourceFile::new("policy.toml", WINSTON))
            .map_err(|e| format!("the Winston policy does not resolve: {e:?}"))?;
        let mut rng = Rng(seed);
        let consent: Vec<String> = policy
            .consent_purposes()
            .map(|(id, _)| id.to_string())
            .collect();
        let objectable: Vec<String> = policy
            .purposes
            .iter()
            .filter(|(_, p)| {
                !p.direct_marketing
                    && (p.rests_on(LegalBasis::LegitimateInterest)
                        || p.rests_on(LegalBasis::PublicTask))
            })
            .map(|(id, _)| id.to_string())
            .collect();
        let subjects = (0..subjects)
            .map(|i| {
                let mut s = Subject {
                    id: format!("c-{:06}", i + 1),
                    consents: Vec::new(),
                    contract: None,
                    objections: Vec::new(),
                    direct_marketing_objection: None,
                    restriction: None,
                    erased: None,
                };
                for p in &consent {
                    if rng.chance(45) {
                        let given = rng.time_after(START);
                        let until = if rng.chance(40) {
                            rng.time_after(given + 1)
                        } else {
                            NEVER
                        };
                        s.consents.push((p.clone(), given, until));
                    }
                }
                if rng.chance(80) {
                    let from = rng.time_after(START);
                    let until = if rng.chance(40) {
                        rng.time_after(from + 1)
                    } else {
                        NEVER
                    };
                    s.contract = Some((from, until));
                }
                for p in &objectable {
                    if rng.chance(5) {
                        s.objections.push((p.clone(), rng.time_after(START)));
                    }
                }
                if rng.chance(6) {
                    s.direct_marketing_objection = Some(rng.time_after(START));
                }
                if rng.chance(5) {
                    let from = rng.time_after(START);
                    let until = if rng.chance(50) {
                        rng.time_after(from + 1)
                    } else {
                        NEVER
                    };
                    s.restriction = Some((from, until));
                }
                if rng.chance(2) {
                    s.erased = Some(rng.time_after(START));
                }
                s
            })
            .collect::<Vec<_>>();
        let roles: Vec<&str> = policy.roles.keys().map(|r| r.as_str()).collect();
        let purposes: Vec<&str> = policy.purposes.keys().map(|p| p.as_str()).collect();
        let categories: Vec<&str> = policy.categories.keys().map(|c| c.as_str()).collect();
        let granted: Vec<(&str, &str, &str)> = policy
            .roles
            .iter()
            .flat_map(|(r, role)| {
                role.access.iter().flat_map(move |(p, cats)| {
                    cats.iter()
                        .map(move |c| (r.as_str(), p.as_str(), c.as_str()))
                })
            })
            .collect();
        let asks = (0..requests)
            .map(|_| {
                let (role, purpose, category) = if rng.chance(70) {
                    granted[rng.below(granted.len())]
                } else {
                    (
                        if rng.chance(3) {
                            "intern"
                        } else {
                            roles[rng.below(roles.len())]
                        },
                        if rng.chance(3) {
                            "profiling"
                        } else {
                            purposes[rng.below(purposes.len())]
                        },
                        categories[rng.below(categories.len())],
                    )
                };
                Ask {
                    subject: rng.below(subjects.len()),
                    role: role.to_owned(),
                    purpose: purpose.to_owned(),
                    category: category.to_owned(),
                    at: rng.time_after(START),
                    anonymised: rng.chance(40),
                    store: rng.chance(10),
                }
            })
            .collect();
        Ok(Fixture {
            policy,
            subjects,
            asks,
        })
    }
}

/// A decider that answers request `i` of the fixture.
pub trait Engine {
    fn name(&self) -> &'static str;
    fn decide(&mut self, i: usize) -> bool;
}

// ---------------------------------------------------------------- tillit

/// tillit's compiled rules and in-memory states.
#[derive(Debug)]
pub struct Tillit {
    rules: Rules,
    states: Vec<SubjectState>,
    requests: Vec<(usize, Request)>,
}

impl Tillit {
    pub fn new(f: &Fixture) -> Tillit {
        let rules = Rules::new(&f.policy);
        let states = f
            .subjects
            .iter()
            .map(|s| {
                let mut b = rules.state();
                for (p, given, until) in &s.consents {
                    b.consent(p, true, seconds(*given));
                    if *until < NEVER {
                        b.consent(p, false, seconds(*until));
                    }
                }
                if let Some((opens, closes)) = rules.contract_events()
                    && let Some((from, until)) = s.contract
                {
                    b.event(opens, "K-1", seconds(from));
                    if until < NEVER {
                        b.event(closes, "K-1", seconds(until));
                    }
                }
                for (p, at) in &s.objections {
                    b.objection(p, false, seconds(*at), None);
                }
                if let Some(at) = s.direct_marketing_objection {
                    b.objection("marketing", true, seconds(at), None);
                }
                if let Some((from, until)) = s.restriction {
                    b.restriction(seconds(from), (until < NEVER).then(|| seconds(until)));
                }
                if let Some(at) = s.erased {
                    b.erased(seconds(at));
                }
                b.finish()
            })
            .collect();
        let requests = f
            .asks
            .iter()
            .map(|a| {
                let mut r = rules.request(&a.role, &a.purpose, &a.category, seconds(a.at));
                r.anonymised = a.anonymised;
                r.operation = if a.store {
                    Operation::Store
                } else {
                    Operation::Use
                };
                (a.subject, r)
            })
            .collect();
        Tillit {
            rules,
            states,
            requests,
        }
    }

    /// The rule that decided request `i`.
    pub fn rule(&self, i: usize) -> &'static str {
        let (s, r) = &self.requests[i % self.requests.len()];
        self.rules.decide(&self.states[*s], r).rule.id()
    }

    /// The full decision, for the agreement test's messages.
    pub fn explain(&self, i: usize) -> String {
        let (s, r) = &self.requests[i % self.requests.len()];
        format!("{:?}", self.rules.decide(&self.states[*s], r))
    }
}

impl Engine for Tillit {
    fn name(&self) -> &'static str {
        "tillit"
    }

    #[inline]
    fn decide(&mut self, i: usize) -> bool {
        let (s, r) = &self.requests[i % self.requests.len()];
        self.rules.decide(&self.states[*s], r).allowed
    }
}

// ---------------------------------------------------------------- Cedar

/// The policy's purposes as indices, for attribute names both generated
/// policies share.
fn purpose_ix(policy: &Policy, p: &str) -> usize {
    policy.purposes.get_index_of(p).unwrap_or(usize::MAX)
}

fn quoted_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = items.map(|s| format!("{s:?}")).collect();
    format!("[{}]", v.join(", "))
}

/// The Winston rules in Cedar, generated from the policy.
pub fn cedar_policies(policy: &Policy) -> String {
    let mut out = String::new();
    for (pi, (pid, p)) in policy.purposes.iter().enumerate() {
        for (c, basis) in &p.basis {
            let roles: Vec<String> = policy
                .roles
                .iter()
                .filter(|(_, r)| r.may(pid.as_str(), c.as_str()))
                .map(|(id, _)| format!("Role::{:?}", id.as_str()))
                .collect();
            if roles.is_empty() {
                continue;
            }
            let lawful = match basis {
                LegalBasis::Consent => format!(
                    "resource.c{pi}_from <= context.at && context.at < resource.c{pi}_until"
                ),
                LegalBasis::Contract => {
                    "resource.contract_from <= context.at && context.at < resource.contract_until"
                        .to_owned()
                }
                LegalBasis::LegitimateInterest | LegalBasis::PublicTask => {
                    format!("context.at < resource.o{pi}")
                }
                LegalBasis::LegalObligation | LegalBasis::VitalInterest => "true".to_owned(),
            };
            out.push_str(&format!(
                "permit(principal, action, resource) when {{ [{}].contains(principal) && context.purpose == {:?} && context.category == {:?} && {lawful} }};\n",
                roles.join(", "),
                pid.as_str(),
                c.as_str()
            ));
        }
    }
    let with = |f: fn(&tillit_core::policy::Purpose) -> bool| {
        quoted_list(
            policy
                .purposes
                .iter()
                .filter(|(_, p)| f(p))
                .map(|(id, _)| id.as_str()),
        )
    };
    out.push_str(&format!(
        "forbid(principal, action, resource) when {{ {}.contains(context.purpose) && !context.anonymised }};\n",
        with(|p| p.anonymised_only)
    ));
    out.push_str("forbid(principal, action, resource) when { resource.erased <= context.at };\n");
    out.push_str(&format!(
        "forbid(principal, action == Action::\"use\", resource) when {{ resource.restricted_from <= context.at && context.at < resource.restricted_until && !{}.contains(context.purpose) }};\n",
        with(|p| p.legal_claims)
    ));
    out.push_str(&format!(
        "forbid(principal, action, resource) when {{ {}.contains(context.purpose) && resource.dm_objection <= context.at }};\n",
        with(|p| p.direct_marketing)
    ));
    out
}

/// A subject's attributes, as both Cedar and Rego hold them: every time a
/// number of seconds, NEVER where nothing happened.
fn attributes(policy: &Policy, s: &Subject) -> serde_json::Map<String, serde_json::Value> {
    let mut a = serde_json::Map::new();
    let mut set = |k: String, v: i64| {
        a.insert(k, v.into());
    };
    for (pi, _) in policy.purposes.iter().enumerate() {
        set(format!("c{pi}_from"), NEVER);
        set(format!("c{pi}_until"), NEVER);
        set(format!("o{pi}"), NEVER);
    }
    for (p, given, until) in &s.consents {
        let pi = purpose_ix(policy, p);
        set(format!("c{pi}_from"), *given);
        set(format!("c{pi}_until"), *until);
    }
    for (p, at) in &s.objections {
        set(format!("o{}", purpose_ix(policy, p)), *at);
    }
    let (from, until) = s.contract.unwrap_or((NEVER, NEVER));
    set("contract_from".into(), from);
    set("contract_until".into(), until);
    let (from, until) = s.restriction.unwrap_or((NEVER, NEVER));
    set("restricted_from".into(), from);
    set("restricted_until".into(), until);
    set(
        "dm_objection".into(),
        s.direct_marketing_objection.unwrap_or(NEVER),
    );
    set("erased".into(), s.erased.unwrap_or(NEVER));
    a
}

/// Cedar's authorizer with the subjects as entities.
pub struct Cedar {
    authorizer: cedar_policy::Authorizer,
    policies: cedar_policy::PolicySet,
    entities: cedar_policy::Entities,
    requests: Vec<cedar_policy::Request>,
}

impl std::fmt::Debug for Cedar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cedar")
            .field("requests", &self.requests.len())
            .finish()
    }
}

impl Cedar {
    pub fn new(f: &Fixture) -> Result<Cedar, String> {
        let text = cedar_policies(&f.policy);
        let policies = cedar_policy::PolicySet::from_str(&text)
            .map_err(|e| format!("Cedar policies: {e}\n{text}"))?;
        let entities: Vec<serde_json::Value> = f
            .subjects
            .iter()
            .map(|s| {
                serde_json::json!({
                    "uid": { "type": "Subject", "id": s.id },
                    "attrs": attributes(&f.policy, s),
                    "parents": [],
                })
            })
            .collect();
        let entities =
            cedar_policy::Entities::from_json_value(serde_json::Value::Array(entities), None)
                .map_err(|e| format!("Cedar entities: {e}"))?;
        let uid = |t: &str, id: &str| {
            cedar_policy::EntityUid::from_str(&format!("{t}::{id:?}"))
                .map_err(|e| format!("Cedar uid {t}::{id}: {e}"))
        };
        let requests = f
            .asks
            .iter()
            .map(|a| {
                let context = cedar_policy::Context::from_json_value(
                    serde_json::json!({
                        "purpose": a.purpose,
                        "category": a.category,
                        "at": a.at,
                        "anonymised": a.anonymised,
                    }),
                    None,
                )
                .map_err(|e| format!("Cedar context: {e}"))?;
                cedar_policy::Request::new(
                    uid("Role", &a.role)?,
                    uid("Action", if a.store { "store" } else { "use" })?,
                    uid("Subject", &f.subjects[a.subject].id)?,
                    context,
                    None,
                )
                .map_err(|e| format!("Cedar request: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Cedar {
            authorizer: cedar_policy::Authorizer::new(),
            policies,
            entities,
            requests,
        })
    }
}

impl Engine for Cedar {
    fn name(&self) -> &'static str {
        "cedar"
    }

    #[inline]
    fn decide(&mut self, i: usize) -> bool {
        let r = &self.requests[i % self.requests.len()];
        self.authorizer
            .is_authorized(r, &self.policies, &self.entities)
            .decision()
            == cedar_policy::Decision::Allow
    }
}

// ---------------------------------------------------------------- Rego

/// The Winston rules in Rego; the policy's tables go in as data.
pub const REGO: &str = r#"package tillit

default allow := false

allow if {
	data.grants[input.role][input.purpose][input.category]
	basis := data.basis[input.purpose][input.category]
	s := data.subjects[input.subject]
	not blocked(s)
	lawful(basis, s)
}

blocked(s) if {
	data.anonymised_only[input.purpose]
	not input.anonymised
}

blocked(s) if s.erased <= input.at

blocked(s) if {
	input.operation == "use"
	not data.legal_claims[input.purpose]
	s.restricted_from <= input.at
	input.at < s.restricted_until
}

blocked(s) if {
	data.direct_marketing[input.purpose]
	s.dm_objection <= input.at
}

lawful("consent", s) if {
	c := s.consent[input.purpose]
	c.from <= input.at
	input.at < c.until
}

lawful("contract", s) if {
	s.contract_from <= input.at
	input.at < s.contract_until
}

lawful("legitimate-interest", s) if not objected(s)

lawful("public-task", s) if not objected(s)

lawful("legal-obligation", _) := true

lawful("vital-interest", _) := true

objected(s) if s.objection[input.purpose] <= input.at
"#;

/// The policy's tables and the subjects, as Rego data.
pub fn rego_data(f: &Fixture) -> serde_json::Value {
    use serde_json::{Map, Value, json};
    let policy = &f.policy;
    let mut grants = Map::new();
    for (r, role) in &policy.roles {
        let mut by_purpose = Map::new();
        for (p, cats) in &role.access {
            let cats: Map<String, Value> =
                cats.iter().map(|c| (c.to_string(), json!(true))).collect();
            by_purpose.insert(p.to_string(), Value::Object(cats));
        }
        grants.insert(r.to_string(), Value::Object(by_purpose));
    }
    let mut basis = Map::new();
    let flag = |f: fn(&tillit_core::policy::Purpose) -> bool| -> Value {
        Value::Object(
            policy
                .purposes
                .iter()
                .filter(|(_, p)| f(p))
                .map(|(id, _)| (id.to_string(), json!(true)))
                .collect(),
        )
    };
    for (p, purpose) in &policy.purposes {
        let b: Map<String, Value> = purpose
            .basis
            .iter()
            .map(|(c, b)| (c.to_string(), json!(b.id())))
            .collect();
        basis.insert(p.to_string(), Value::Object(b));
    }
    let subjects: Map<String, Value> = f
        .subjects
        .iter()
        .map(|s| {
            let a = attributes(policy, s);
            let get = |k: &str| a.get(k).cloned().unwrap_or(json!(NEVER));
            let consent: Map<String, Value> = s
                .consents
                .iter()
                .map(|(p, from, until)| (p.clone(), json!({ "from": from, "until": until })))
                .collect();
            let objection: Map<String, Value> = s
                .objections
                .iter()
                .map(|(p, at)| (p.clone(), json!(at)))
                .collect();
            (
                s.id.clone(),
                json!({
                    "consent": consent,
                    "objection": objection,
                    "contract_from": get("contract_from"),
                    "contract_until": get("contract_until"),
                    "restricted_from": get("restricted_from"),
                    "restricted_until": get("restricted_until"),
                    "dm_objection": get("dm_objection"),
                    "erased": get("erased"),
                }),
            )
        })
        .collect();
    json!({
        "grants": grants,
        "basis": basis,
        "anonymised_only": flag(|p| p.anonymised_only),
        "legal_claims": flag(|p| p.legal_claims),
        "direct_marketing": flag(|p| p.direct_marketing),
        "subjects": subjects,
    })
}

fn rego_inputs(f: &Fixture) -> Result<Vec<regorus::Value>, String> {
    f.asks
        .iter()
        .map(|a| {
            let input = serde_json::json!({
                "subject": f.subjects[a.subject].id,
                "role": a.role,
                "purpose": a.purpose,
                "category": a.category,
                "at": a.at,
                "anonymised": a.anonymised,
                "operation": if a.store { "store" } else { "use" },
            });
            regorus::Value::from_json_str(&input.to_string()).map_err(|e| e.to_string())
        })
        .collect()
}

fn rego_engine(f: &Fixture) -> Result<regorus::Engine, String> {
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("tillit.rego".into(), REGO.into())
        .map_err(|e| format!("Rego policy: {e}"))?;
    let data = regorus::Value::from_json_str(&rego_data(f).to_string())
        .map_err(|e| format!("Rego data: {e}"))?;
    engine
        .add_data(data)
        .map_err(|e| format!("Rego data: {e}"))?;
    Ok(engine)
}

/// regorus's tree-walking interpreter, `eval_rule`.
pub struct RegoInterpreter {
    engine: regorus::Engine,
    inputs: Vec<regorus::Value>,
    rule: String,
}

impl std::fmt::Debug for RegoInterpreter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoInterpreter").finish()
    }
}

impl RegoInterpreter {
    pub fn new(f: &Fixture) -> Result<RegoInterpreter, String> {
        Ok(RegoInterpreter {
            engine: rego_engine(f)?,
            inputs: rego_inputs(f)?,
            rule: "data.tillit.allow".into(),
        })
    }
}

impl Engine for RegoInterpreter {
    fn name(&self) -> &'static str {
        "regorus-interpreter"
    }

    #[inline]
    fn decide(&mut self, i: usize) -> bool {
        let input = self.inputs[i % self.inputs.len()].clone();
        self.engine.set_input(input);
        matches!(
            self.engine.eval_rule(self.rule.clone()),
            Ok(regorus::Value::Bool(true))
        )
    }
}

/// regorus's Rego virtual machine: the policy compiled to a program once.
pub struct RegoVm {
    vm: regorus::rvm::vm::RegoVM,
    inputs: Vec<regorus::Value>,
}

impl std::fmt::Debug for RegoVm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoVm").finish()
    }
}

impl RegoVm {
    pub fn new(f: &Fixture) -> Result<RegoVm, String> {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("tillit.rego".into(), REGO.into())
            .map_err(|e| format!("Rego policy: {e}"))?;
        let entry: regorus::Rc<str> = "data.tillit.allow".into();
        let compiled = engine
            .compile_with_entrypoint(&entry)
            .map_err(|e| format!("Rego compile: {e}"))?;
        let program = regorus::languages::rego::compiler::Compiler::compile_from_policy(
            &compiled,
            &["data.tillit.allow"],
        )
        .map_err(|e| format!("RVM compile: {e}"))?;
        let mut vm = regorus::rvm::vm::RegoVM::new();
        vm.load_program(program);
        let data = regorus::Value::from_json_str(&rego_data(f).to_string())
            .map_err(|e| format!("Rego data: {e}"))?;
        vm.set_data(data).map_err(|e| format!("RVM data: {e}"))?;
        Ok(RegoVm {
            vm,
            inputs: rego_inputs(f)?,
        })
    }
}

impl Engine for RegoVm {
    fn name(&self) -> &'static str {
        "regorus-rvm"
    }

    #[inline]
    fn decide(&mut self, i: usize) -> bool {
        let input = self.inputs[i % self.inputs.len()].clone();
        self.vm.set_input(input);
        matches!(self.vm.execute(), Ok(regorus::Value::Bool(true)))
    }
}
