//! Decisions against the ledger: each subject's state loaded once, kept in
//! memory, and dropped the moment a write changes it.
//!
//! **Invariant:** a [`StateCache`] attached to a [`Ledger`] never serves a
//! state older than that ledger's last committed write. The ledger drops
//! the changed subjects right after commit, before `write` returns, and a
//! load that raced with a write is not kept (the cache's epoch moved). So
//! the very next decision after a withdrawal denies.
//!
//! Writes made through another connection or process are not seen until
//! the entry is evicted; one process that writes and decides through
//! attached ledgers is exact.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use tillit_core::decide::{Decision, Request, Rules, SubjectState};
use tillit_core::identity::SubjectId;

use crate::sql::{Sql, Value};
use crate::{Ledger, StoreError};

/// Subjects per bulk query: the statements have this many `IN` slots,
/// padded with repeats.
const CHUNK: usize = 128;
/// The two event kinds after the subject slots.
const EVENTS_TAIL: &str = "AND kind IN ($129, $130)";
const _: () = assert!(CHUNK == 128, "EVENTS_TAIL numbers its slots after CHUNK");

/// Subjects' decision states, bounded; shared by every ledger connection
/// it is attached to.
#[derive(Debug)]
pub struct StateCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

// A filled cache may hold more than `capacity`; `keep` then evicts one
// entry per insert, so it never grows past what `fill` gave it.

#[derive(Debug, Default)]
struct Inner {
    states: HashMap<SubjectId, Arc<SubjectState>>,
    /// Moves on every invalidation; a load that saw another epoch is not
    /// kept.
    epoch: u64,
}

impl StateCache {
    pub fn new(capacity: usize) -> Arc<StateCache> {
        Arc::new(StateCache {
            inner: Mutex::new(Inner::default()),
            capacity: capacity.max(1),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, id: &SubjectId) -> (Option<Arc<SubjectState>>, u64) {
        let inner = self.lock();
        (inner.states.get(id).cloned(), inner.epoch)
    }

    fn keep(&self, epoch: u64, loaded: impl IntoIterator<Item = (SubjectId, Arc<SubjectState>)>) {
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return;
        }
        for (id, state) in loaded {
            if inner.states.len() >= self.capacity {
                // Evict an arbitrary entry: the map's iteration order is
                // effectively random, which is as good as LRU for uniform
                // access and costs nothing to keep.
                if let Some(victim) = inner.states.keys().next().cloned() {
                    inner.states.remove(&victim);
                }
            }
            inner.states.insert(id, state);
        }
    }

    /// Holds every state given, beyond its bound; nothing if a write
    /// moved the epoch since they were loaded. How many it holds now.
    fn fill(&self, epoch: u64, states: HashMap<SubjectId, SubjectState>) -> usize {
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return 0;
        }
        let n = states.len();
        inner
            .states
            .extend(states.into_iter().map(|(id, s)| (id, Arc::new(s))));
        n
    }

    /// Drops what the cache holds of these subjects.
    pub fn invalidate<'a>(&self, subjects: impl IntoIterator<Item = &'a SubjectId>) {
        let mut inner = self.lock();
        inner.epoch = inner.epoch.wrapping_add(1);
        for id in subjects {
            inner.states.remove(id);
        }
    }

    /// How many subjects it holds.
    pub fn len(&self) -> usize {
        self.lock().states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Decides requests about subjects in a ledger: the policy's [`Rules`] and
/// a cache of subject states.
#[derive(Debug)]
pub struct Decider {
    rules: Rules,
    cache: Arc<StateCache>,
}

impl Decider {
    /// A decider whose cache holds up to `capacity` subjects, attached to
    /// `ledger` so that its writes reach the cache.
    pub fn new(rules: Rules, capacity: usize, ledger: &mut Ledger) -> Decider {
        let cache = StateCache::new(capacity);
        ledger.attach(Arc::clone(&cache));
        Decider { rules, cache }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn cache(&self) -> &Arc<StateCache> {
        &self.cache
    }

    /// Loads every subject's state at once, with full scans: faster than
    /// loading them a chunk at a time when a batch touches much of the
    /// ledger. The cache then holds every subject.
    pub fn preload(&self, ledger: &mut Ledger) -> Result<usize, StoreError> {
        let epoch = self.cache.lock().epoch;
        let all = load_all_states(ledger, &self.rules)?;
        Ok(self.cache.fill(epoch, all))
    }

    /// One decision. A subject the ledger does not hold is denied
    /// (`unknown-subject`).
    pub fn decide(
        &self,
        ledger: &mut Ledger,
        subject: &SubjectId,
        request: &Request,
    ) -> Result<Decision, StoreError> {
        let (cached, epoch) = self.cache.get(subject);
        let state = match cached {
            Some(s) => Some(s),
            None => {
                let mut loaded = load_states(ledger, &self.rules, std::slice::from_ref(subject))?;
                let state = loaded.remove(subject).map(Arc::new);
                if let Some(s) = &state {
                    self.cache.keep(epoch, [(subject.clone(), Arc::clone(s))]);
                }
                state
            }
        };
        Ok(self.rules.decide_for(state.as_deref(), request))
    }

    /// Many decisions, in order; the states not in the cache are loaded
    /// together, a chunk of subjects per query.
    pub fn decide_all(
        &self,
        ledger: &mut Ledger,
        requests: &[(SubjectId, Request)],
    ) -> Result<Vec<Decision>, StoreError> {
        let mut states: HashMap<&SubjectId, Option<Arc<SubjectState>>> = HashMap::new();
        let mut missing = Vec::new();
        let mut epoch = None;
        for (id, _) in requests {
            if states.contains_key(id) {
                continue;
            }
            let (cached, e) = self.cache.get(id);
            epoch.get_or_insert(e);
            if cached.is_none() {
                missing.push(id.clone());
            }
            states.insert(id, cached);
        }
        if !missing.is_empty() {
            let loaded = load_states(ledger, &self.rules, &missing)?;
            let loaded: Vec<(SubjectId, Arc<SubjectState>)> = loaded
                .into_iter()
                .map(|(id, s)| (id, Arc::new(s)))
                .collect();
            for (id, s) in &loaded {
                if let Some(slot) = states.get_mut(id) {
                    *slot = Some(Arc::clone(s));
                }
            }
            if let Some(e) = epoch {
                self.cache.keep(e, loaded);
            }
        }
        Ok(requests
            .iter()
            .map(|(id, r)| {
                let state = states.get(id).cloned().flatten();
                self.rules.decide_for(state.as_deref(), r)
            })
            .collect())
    }
}

/// Every subject's decision state, by full scans of the tables.
pub fn load_all_states(
    ledger: &mut Ledger,
    rules: &Rules,
) -> Result<HashMap<SubjectId, SubjectState>, StoreError> {
    ledger.read_with(|sql| {
        let mut builders: HashMap<String, _> = HashMap::new();
        for r in sql.query("SELECT id FROM subjects", &[])? {
            builders.insert(r.text(0)?, rules.state());
        }
        for r in sql.query(
            "SELECT subject_id, purpose, given, at FROM consents ORDER BY id",
            &[],
        )? {
            if let Some(b) = builders.get_mut(&r.text(0)?) {
                b.consent(&r.text(1)?, r.bool(2)?, times(r.int(3)?)?);
            }
        }
        if let Some((opens, closes)) = rules.contract_events() {
            for r in sql.query(
                "SELECT subject_id, kind, reference, at FROM lifecycle_events WHERE kind IN ($1, $2)",
                &[opens.into(), closes.into()],
            )? {
                if let Some(b) = builders.get_mut(&r.text(0)?) {
                    b.event(&r.text(1)?, &r.text(2)?, times(r.int(3)?)?);
                }
            }
        }
        for r in sql.query("SELECT subject_id, purpose, absolute, at FROM objections", &[])? {
            if let Some(b) = builders.get_mut(&r.text(0)?) {
                b.objection(&r.text(1)?, r.bool(2)?, times(r.int(3)?)?, None);
            }
        }
        for r in sql.query("SELECT subject_id, at, lifted_at FROM restrictions", &[])? {
            if let Some(b) = builders.get_mut(&r.text(0)?) {
                let lifted = r.opt_int(2)?.map(times).transpose()?;
                b.restriction(times(r.int(1)?)?, lifted);
            }
        }
        builders
            .into_iter()
            .map(|(id, b)| {
                let id = SubjectId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok((id, b.finish()))
            })
            .collect()
    })
}

/// A statement with `CHUNK` subject slots (`$1`…), built once.
fn chunked(cell: &'static OnceLock<String>, head: &str, tail: &str) -> &'static str {
    cell.get_or_init(|| {
        let slots: Vec<String> = (1..=CHUNK).map(|i| format!("${i}")).collect();
        format!("{head} ({}) {tail}", slots.join(", "))
    })
}

fn times(m: i64) -> Result<jiff::Timestamp, StoreError> {
    jiff::Timestamp::from_microsecond(m)
        .map_err(|e| StoreError::Corrupt(format!("time {m} is out of range: {e}")))
}

/// The decision states of the subjects the ledger holds among `ids`.
pub fn load_states(
    ledger: &mut Ledger,
    rules: &Rules,
    ids: &[SubjectId],
) -> Result<HashMap<SubjectId, SubjectState>, StoreError> {
    ledger.read_with(|sql| {
        let mut out = HashMap::with_capacity(ids.len());
        let unique: Vec<&SubjectId> = {
            let mut seen = HashSet::new();
            ids.iter().filter(|id| seen.insert(*id)).collect()
        };
        for chunk in unique.chunks(CHUNK) {
            load_chunk(sql, rules, chunk, &mut out)?;
        }
        Ok(out)
    })
}

fn load_chunk(
    sql: &mut dyn Sql,
    rules: &Rules,
    chunk: &[&SubjectId],
    out: &mut HashMap<SubjectId, SubjectState>,
) -> Result<(), StoreError> {
    static SUBJECTS: OnceLock<String> = OnceLock::new();
    static CONSENTS: OnceLock<String> = OnceLock::new();
    static EVENTS: OnceLock<String> = OnceLock::new();
    static OBJECTIONS: OnceLock<String> = OnceLock::new();
    static RESTRICTIONS: OnceLock<String> = OnceLock::new();

    let Some(last) = chunk.last() else {
        return Ok(());
    };
    let mut params: Vec<Value> = chunk.iter().map(|id| id.as_str().into()).collect();
    params.resize(CHUNK, last.as_str().into());

    let present = sql.query(
        chunked(&SUBJECTS, "SELECT id FROM subjects WHERE id IN", ""),
        &params,
    )?;
    if present.is_empty() {
        return Ok(());
    }
    let mut builders: HashMap<String, _> = HashMap::with_capacity(present.len());
    for row in present {
        builders.insert(row.text(0)?, rules.state());
    }

    for r in sql.query(
        chunked(
            &CONSENTS,
            "SELECT subject_id, purpose, given, at FROM consents WHERE subject_id IN",
            "ORDER BY id",
        ),
        &params,
    )? {
        if let Some(b) = builders.get_mut(&r.text(0)?) {
            b.consent(&r.text(1)?, r.bool(2)?, times(r.int(3)?)?);
        }
    }
    if let Some((opens, closes)) = rules.contract_events() {
        let mut with_kinds = params.clone();
        with_kinds.push(opens.into());
        with_kinds.push(closes.into());
        for r in sql.query(
            chunked(
                &EVENTS,
                "SELECT subject_id, kind, reference, at FROM lifecycle_events WHERE subject_id IN",
                EVENTS_TAIL,
            ),
            &with_kinds,
        )? {
            if let Some(b) = builders.get_mut(&r.text(0)?) {
                b.event(&r.text(1)?, &r.text(2)?, times(r.int(3)?)?);
            }
        }
    }
    for r in sql.query(
        chunked(
            &OBJECTIONS,
            "SELECT subject_id, purpose, absolute, at FROM objections WHERE subject_id IN",
            "",
        ),
        &params,
    )? {
        if let Some(b) = builders.get_mut(&r.text(0)?) {
            b.objection(&r.text(1)?, r.bool(2)?, times(r.int(3)?)?, None);
        }
    }
    for r in sql.query(
        chunked(
            &RESTRICTIONS,
            "SELECT subject_id, at, lifted_at FROM restrictions WHERE subject_id IN",
            "",
        ),
        &params,
    )? {
        if let Some(b) = builders.get_mut(&r.text(0)?) {
            let lifted = r.opt_int(2)?.map(times).transpose()?;
            b.restriction(times(r.int(1)?)?, lifted);
        }
    }
    for (id, b) in builders {
        let id = SubjectId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        out.insert(id, b.finish());
    }
    Ok(())
}
