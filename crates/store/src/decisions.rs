//! Decisions against the ledger: each subject's state loaded once, kept in
//! memory, and dropped the moment a write changes it.
//!
//! **Invariant:** a [`StateCache`] attached to a [`Ledger`] never serves a
//! state older than that ledger's last committed write. The ledger drops
//! the changed subjects right after commit, before `write` returns, and a
//! load that raced with a write is not kept (the cache's epoch moved). So
//! the very next decision after a withdrawal denies.
//!
//! Writes made through another connection or process reach the cache
//! through the change feed (`subject_changes`: which subjects each write
//! changed, numbered by the audit chain's head after it, in commit order):
//! a [`Follower`] reads what changed after the head the cache has seen and
//! drops those subjects. A decision asks the follower first; on SQLite a
//! check that finds `PRAGMA data_version` unmoved reads nothing, and the
//! server shares one check among requests that arrive together on
//! PostgreSQL.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};

use tillit_core::decide::{Decision, Request, Rules, SubjectState};
use tillit_core::identity::SubjectId;
use tillit_core::ledger::RestrictionGround;

use crate::sql::{IN_SLOTS, Sql, Value, insert_rows, insert_statements, padded, slots};
use crate::{Ledger, StoreError};

/// The end of a subject's list of requests in a scan.
const SCAN_END: usize = usize::MAX;

/// What the thread reading a scan hands the thread deciding it.
enum ScanWork {
    /// Facts rows as read: (first request, id, facts) as spans of `text`.
    Rows {
        text: String,
        rows: Vec<(usize, std::ops::Range<usize>, std::ops::Range<usize>)>,
    },
    /// States built from the tables, for rows not built yet.
    States(Vec<(usize, SubjectState)>),
    /// Subjects the ledger does not hold: their first requests.
    Unknown(Vec<usize>),
}

/// Rows gathered to hand over together.
#[derive(Default)]
struct ScanBlock {
    text: String,
    rows: Vec<(usize, std::ops::Range<usize>, std::ops::Range<usize>)>,
}

impl ScanBlock {
    /// Rows a block holds before it is handed over.
    const ROWS: usize = 1024;

    /// Adds a row; true when the block is full.
    fn push(&mut self, first: usize, id: &str, facts: &str) -> bool {
        let at = self.text.len();
        self.text.push_str(id);
        self.text.push_str(facts);
        let split = at + id.len();
        self.rows.push((first, at..split, split..self.text.len()));
        self.rows.len() >= Self::ROWS
    }

    fn take(&mut self) -> ScanWork {
        let text = std::mem::take(&mut self.text);
        let rows = std::mem::take(&mut self.rows);
        self.text.reserve(text.capacity());
        self.rows.reserve(Self::ROWS);
        ScanWork::Rows { text, rows }
    }
}

/// A map by subject id, with a fast hasher: ids are not chosen by an
/// attacker who sees the map, and a preload hashes a million of them.
pub type SubjectMap<V> = HashMap<SubjectId, V, foldhash::fast::RandomState>;

/// Subjects per bulk query.
const CHUNK: usize = IN_SLOTS;

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
    states: SubjectMap<Arc<SubjectState>>,
    /// Moves on every invalidation; a load that saw another epoch is not
    /// kept.
    epoch: u64,
    /// The change feed's head the cache reflects every write up to.
    head: i64,
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
    fn fill(&self, epoch: u64, states: SubjectMap<SubjectState>) -> usize {
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return 0;
        }
        let n = states.len();
        if inner.states.is_empty() {
            inner.states = states
                .into_iter()
                .map(|(id, s)| (id, Arc::new(s)))
                .collect();
        } else {
            inner
                .states
                .extend(states.into_iter().map(|(id, s)| (id, Arc::new(s))));
        }
        n
    }

    /// Drops everything it holds.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.epoch = inner.epoch.wrapping_add(1);
        inner.states.clear();
    }

    /// Drops what the cache holds of these subjects.
    pub fn invalidate<'a>(&self, subjects: impl IntoIterator<Item = &'a SubjectId>) {
        let mut inner = self.lock();
        inner.epoch = inner.epoch.wrapping_add(1);
        for id in subjects {
            inner.states.remove(id);
        }
    }

    /// Follows the change feed to `head`: drops the subjects changed since
    /// the head it had seen.
    fn follow(&self, head: i64, changed: &[SubjectId]) {
        let mut inner = self.lock();
        inner.epoch = inner.epoch.wrapping_add(1);
        for id in changed {
            inner.states.remove(id);
        }
        inner.head = inner.head.max(head);
    }

    fn head(&self) -> i64 {
        self.lock().head
    }

    /// How many subjects it holds.
    pub fn len(&self) -> usize {
        self.lock().states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Keeps a [`StateCache`] current with writes committed by other
/// processes, on a connection of its own.
///
/// **Invariant:** once [`Follower::fresh`] returns, the cache holds no
/// state older than any write committed before `fresh` was called. Each
/// call makes its own check; a caller with many concurrent requests (the
/// server, on PostgreSQL) shares one check among those that arrive while
/// one runs.
#[derive(Debug)]
pub struct Follower {
    cache: Arc<StateCache>,
    url: String,
    /// Its connection; dropped on an error, opened again on the next check.
    conn: Mutex<Option<Ledger>>,
    /// SQLite: a check that finds nothing committed elsewhere costs no I/O.
    cheap: bool,
    /// Its name in `feed_readers`.
    reader: String,
    /// When it started, and how long after that it is next to say how far
    /// it has read (ms): an atomic, so a check that finds it not due
    /// takes no lock.
    started: std::time::Instant,
    report_due_ms: std::sync::atomic::AtomicU64,
}

/// How often a follower says how far it has read (and prunes the feed), ms.
const REPORT_EVERY_MS: u64 = 30_000;

/// Readers not heard from for this long are taken to have stopped.
const READER_GONE_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_secs(600);

impl Follower {
    /// A follower of the ledger at `url` for `cache`, which must be empty
    /// or current now: it starts at the feed's head as it stands.
    pub fn new(url: &str, cache: Arc<StateCache>) -> Result<Follower, StoreError> {
        let mut ledger = Ledger::open(url)?;
        let cheap = ledger.backend() == "sqlite";
        let head = ledger.audit_head_now()?;
        ledger.maybe_changed_elsewhere()?;
        cache.follow(head, &[]);
        let reader = format!("reader-{}", crate::ledger::pseudonym()?);
        ledger.report_reader(&reader, head, jiff::Timestamp::now())?;
        Ok(Follower {
            cache,
            url: url.to_owned(),
            conn: Mutex::new(Some(ledger)),
            cheap,
            reader,
            started: std::time::Instant::now(),
            report_due_ms: std::sync::atomic::AtomicU64::new(REPORT_EVERY_MS),
        })
    }

    /// Whether a check is cheap enough to make on any thread (SQLite).
    pub fn is_cheap(&self) -> bool {
        self.cheap
    }

    /// Returns once the cache reflects every write committed before this
    /// call, by any process: one check that starts now, which reads what
    /// changed after the cache's head and drops it. A failure is
    /// [`StoreError::Unavailable`].
    pub fn fresh(&self) -> Result<(), StoreError> {
        self.check().map_err(|e| match e {
            StoreError::Unavailable(_) | StoreError::Connect { .. } => e,
            other => StoreError::Unavailable(other.to_string()),
        })
    }

    /// Every [`REPORT_EVERY_MS`]: says how far it has read, and prunes what
    /// every reader heard from lately has read.
    ///
    /// It writes, so it runs on a thread and a connection of its own: a
    /// decision never waits for a prune. A report that fails is tried
    /// again next time; meanwhile the feed is only kept longer.
    fn report(&self) {
        use std::sync::atomic::Ordering::Relaxed;
        let now_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let due = self.report_due_ms.load(Relaxed);
        if now_ms < due
            || self
                .report_due_ms
                .compare_exchange(
                    due,
                    now_ms.saturating_add(REPORT_EVERY_MS),
                    Relaxed,
                    Relaxed,
                )
                .is_err()
        {
            return;
        }
        let (url, reader, seen) = (self.url.clone(), self.reader.clone(), self.cache.head());
        let spawned = std::thread::Builder::new()
            .name("feed-report".into())
            .spawn(move || {
                let now = jiff::Timestamp::now();
                let _ = Ledger::open(&url).and_then(|mut ledger| {
                    ledger.report_reader(&reader, seen, now)?;
                    ledger.prune_feed(now - READER_GONE_AFTER)
                });
            });
        drop(spawned);
    }

    /// Reads what changed after the cache's head and drops it.
    fn check(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if conn.is_none() {
            *conn = Some(Ledger::open(&self.url)?);
        }
        let Some(ledger) = conn.as_mut() else {
            return Ok(());
        };
        let outcome = (|| {
            // Nothing committed elsewhere (SQLite knows without I/O), or
            // the head where the cache has it (one round trip): nothing new.
            let unmoved = !ledger.maybe_changed_elsewhere()?
                || (!self.cheap && ledger.audit_head_now()? == self.cache.head());
            if !unmoved {
                let read = ledger.changes_since(self.cache.head())?;
                if read.lost {
                    self.cache.clear();
                }
                self.cache.follow(read.head, &read.subjects);
            }
            self.report();
            Ok(())
        })();
        if outcome.is_err() {
            // A connection that failed may be broken: the next check opens
            // another, and a node cut off from the database drops what it
            // may have missed.
            *conn = None;
            self.cache.clear();
        }
        outcome
    }
}

/// Records which subjects the write at `seq` changed: the change feed.
pub(crate) fn record_changes(
    sql: &mut dyn Sql,
    seq: i64,
    subjects: &[SubjectId],
) -> Result<(), StoreError> {
    static INSERT: OnceLock<[String; 2]> = OnceLock::new();
    if subjects.is_empty() {
        return Ok(());
    }
    let insert = INSERT
        .get_or_init(|| insert_statements("INSERT INTO subject_changes (seq, subject_id)", 2, ""));
    let mut unique: Vec<&str> = subjects.iter().map(SubjectId::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    let values: Vec<Value> = unique
        .into_iter()
        .flat_map(|s| [seq.into(), s.into()])
        .collect();
    insert_rows(sql, insert, 2, &values)
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

    /// The decision, if the subject's state is in the cache: what a hot
    /// path answers without a connection.
    pub fn decide_cached(&self, subject: &SubjectId, request: &Request) -> Option<Decision> {
        let (state, _) = self.cache.get(subject);
        state.map(|s| self.rules.decide_for(Some(&s), request))
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

    /// Decides a batch that names much of the ledger by one pass over
    /// every subject's stored facts, on one snapshot: each subject the
    /// batch names is read and decided once, as its row passes; the rest
    /// are skipped unparsed. Cheaper than keyed loads once a batch names
    /// more than a few percent of the subjects (see [`Decider::subjects`]).
    ///
    /// Two threads share the work: this one reads the rows and picks the
    /// named ones, a second parses them and decides. `decided(i,
    /// decision)` is called on that second thread, once for each request
    /// `i`, in the order the ledger yields subjects, not the requests'
    /// order. Neither reads nor fills the cache: the snapshot is at least
    /// as new as anything the cache holds.
    pub fn decide_by_scan(
        &self,
        ledger: &mut Ledger,
        requests: &[(SubjectId, Request)],
        mut decided: impl FnMut(usize, Decision) + Send,
    ) -> Result<(), StoreError> {
        // Each named subject's first request and whether its row was
        // seen; `next` links a subject's requests.
        let mut named: HashMap<&str, (usize, bool), foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(requests.len(), Default::default());
        let mut next = vec![SCAN_END; requests.len()];
        for (i, ((id, _), link)) in requests.iter().zip(&mut next).enumerate().rev() {
            let head = named.entry(id.as_str()).or_insert((SCAN_END, false));
            *link = head.0;
            head.0 = i;
        }
        let rules = &self.rules;
        let (work, received) = std::sync::mpsc::sync_channel::<ScanWork>(4);
        std::thread::scope(|scope| {
            let decider = scope.spawn(move || -> Result<(), StoreError> {
                let mut decide_each = |first: usize, state: Option<&SubjectState>| {
                    let mut i = first;
                    while let (Some((_, request)), Some(link)) = (requests.get(i), next.get(i)) {
                        decided(i, rules.decide_for(state, request));
                        i = *link;
                    }
                };
                for w in received {
                    match w {
                        ScanWork::Rows { text, rows } => {
                            for (first, id, facts) in rows {
                                let (Some(id), Some(facts)) = (text.get(id), text.get(facts))
                                else {
                                    continue;
                                };
                                decide_each(first, Some(&state_of(id, facts, rules)?));
                            }
                        }
                        ScanWork::States(states) => {
                            for (first, state) in states {
                                decide_each(first, Some(&state));
                            }
                        }
                        ScanWork::Unknown(firsts) => {
                            for first in firsts {
                                decide_each(first, None);
                            }
                        }
                    }
                }
                Ok(())
            });
            let read = ledger.read_with(|sql| {
                let mut unbuilt = Vec::new();
                let mut block = ScanBlock::default();
                sql.for_each(
                    "SELECT subject_id, facts FROM decision_facts",
                    &[],
                    &mut |r| {
                        let id = r.str(0)?;
                        let Some(head) = named.get_mut(id) else {
                            return Ok(());
                        };
                        head.1 = true;
                        match r.opt_str(1)? {
                            Some(facts) => {
                                if block.push(head.0, id, facts) {
                                    // A closed channel means the decider
                                    // failed; its error is reported below.
                                    let _ = work.send(block.take());
                                }
                            }
                            None => unbuilt.push(id.to_owned()),
                        }
                        Ok(())
                    },
                )?;
                let _ = work.send(block.take());
                let mut states = Vec::with_capacity(unbuilt.len());
                for (id, facts) in facts_from_tables(sql, &unbuilt)? {
                    if let Some(head) = named.get(id.as_str()) {
                        states.push((head.0, facts.state(rules)?));
                    }
                }
                let _ = work.send(ScanWork::States(states));
                Ok(())
            });
            // Subjects the ledger does not hold.
            let unknown = named
                .values()
                .filter(|(_, seen)| !seen)
                .map(|(first, _)| *first)
                .collect();
            let _ = work.send(ScanWork::Unknown(unknown));
            drop(work);
            let decided = decider
                .join()
                .map_err(|_| StoreError::Corrupt("the thread deciding a scan failed".into()))?;
            read?;
            decided
        })
    }

    /// About how many subjects the ledger holds, cheaply: what a batch
    /// compares itself with to choose between keyed loads and
    /// [`Decider::decide_by_scan`]. On SQLite the highest row number of
    /// `subjects` (never fewer than there are; one seek, where a count
    /// reads the whole table); on PostgreSQL a count.
    pub fn subjects(&self, ledger: &mut Ledger) -> Result<u64, StoreError> {
        let statement = match ledger.backend() {
            "sqlite" => "SELECT coalesce(max(rowid), 0) FROM subjects",
            _ => "SELECT count(*) FROM decision_facts",
        };
        ledger.read_with(|sql| {
            let n = sql.query_one(statement, &[])?.int(0)?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
    }

    /// Many decisions, in order; the states not in the cache are loaded
    /// together, a chunk of subjects per query.
    pub fn decide_all(
        &self,
        ledger: &mut Ledger,
        requests: &[(SubjectId, Request)],
    ) -> Result<Vec<Decision>, StoreError> {
        // The cache is asked a block of subjects per lock, so that a
        // batch neither takes the lock ten thousand times nor holds it
        // long while single decisions wait.
        let mut found: Vec<Option<Arc<SubjectState>>> = Vec::with_capacity(requests.len());
        let mut epoch = None;
        for block in requests.chunks(512) {
            let inner = self.cache.lock();
            epoch.get_or_insert(inner.epoch);
            found.extend(block.iter().map(|(id, _)| inner.states.get(id).cloned()));
        }
        let mut missing: Vec<SubjectId> = Vec::new();
        let mut seen =
            std::collections::HashSet::<&SubjectId, foldhash::fast::RandomState>::default();
        for ((id, _), state) in requests.iter().zip(&found) {
            if state.is_none() && seen.insert(id) {
                missing.push(id.clone());
            }
        }
        if !missing.is_empty() {
            let loaded: SubjectMap<Arc<SubjectState>> = load_states(ledger, &self.rules, &missing)?
                .into_iter()
                .map(|(id, s)| (id, Arc::new(s)))
                .collect();
            for ((id, _), state) in requests.iter().zip(found.iter_mut()) {
                if state.is_none() {
                    *state = loaded.get(id).cloned();
                }
            }
            if let Some(e) = epoch {
                self.cache.keep(e, loaded);
            }
        }
        Ok(requests
            .iter()
            .zip(&found)
            .map(|((_, r), state)| self.rules.decide_for(state.as_deref(), r))
            .collect())
    }
}

/// What a subject's decisions depend on, as `decision_facts` keeps it:
/// a copy of the subject's consent, lifecycle-event, objection and
/// restriction rows, each list in the order the rows were written.
///
/// It holds every lifecycle event, not only those the policy's contract
/// state turns on, so that it stays right when the policy changes. Times
/// are microseconds since the Unix epoch.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// (purpose, given, at)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consents: Vec<(String, bool, i64)>,
    /// (kind, reference, at)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<(String, String, i64)>,
    /// (purpose, absolute, at)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub objections: Vec<(String, bool, i64)>,
    /// (at, lifted at)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restrictions: Vec<(i64, Option<i64>)>,
    /// Restrictions of what an erasure request kept (ground
    /// `erasure-exception`): (at, lifted at).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erasure_restrictions: Vec<(i64, Option<i64>)>,
    /// When the subject was erased, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erased: Option<i64>,
}

impl Facts {
    /// The decision state these facts give under `rules`.
    pub fn state(&self, rules: &Rules) -> Result<SubjectState, StoreError> {
        FactsRef {
            consents: self
                .consents
                .iter()
                .map(|(p, g, a)| (p.as_str(), *g, *a))
                .collect(),
            events: self
                .events
                .iter()
                .map(|(k, r, a)| (k.as_str(), r.as_str(), *a))
                .collect(),
            objections: self
                .objections
                .iter()
                .map(|(p, x, a)| (p.as_str(), *x, *a))
                .collect(),
            restrictions: self.restrictions.clone(),
            erasure_restrictions: self.erasure_restrictions.clone(),
            erased: self.erased,
        }
        .state(rules)
    }

    fn parse(id: &str, text: &str) -> Result<Facts, StoreError> {
        serde_json::from_str(text).map_err(|e| {
            StoreError::Corrupt(format!(
                "the decision facts of subject {id} are unreadable: {e}"
            ))
        })
    }
}

/// Facts as stored, their names borrowed from the row's text: the common
/// case, read without a copy of each name.
#[derive(Deserialize)]
struct FactsRef<'a> {
    #[serde(default, borrow)]
    consents: Vec<(&'a str, bool, i64)>,
    #[serde(default, borrow)]
    events: Vec<(&'a str, &'a str, i64)>,
    #[serde(default, borrow)]
    objections: Vec<(&'a str, bool, i64)>,
    #[serde(default)]
    restrictions: Vec<(i64, Option<i64>)>,
    #[serde(default)]
    erasure_restrictions: Vec<(i64, Option<i64>)>,
    #[serde(default)]
    erased: Option<i64>,
}

/// The decision state a stored facts row gives under `rules`. A name
/// with an escape in its JSON cannot be borrowed; such a row is read the
/// owning way.
fn state_of(id: &str, text: &str, rules: &Rules) -> Result<SubjectState, StoreError> {
    match serde_json::from_str::<FactsRef<'_>>(text) {
        Ok(f) => f.state(rules),
        Err(_) => Facts::parse(id, text)?.state(rules),
    }
}

impl FactsRef<'_> {
    fn state(&self, rules: &Rules) -> Result<SubjectState, StoreError> {
        let mut b = rules.state();
        for (purpose, given, at) in &self.consents {
            b.consent(purpose, *given, times(*at)?);
        }
        for (kind, reference, at) in &self.events {
            b.event(kind, reference, times(*at)?);
        }
        for (purpose, absolute, at) in &self.objections {
            b.objection(purpose, *absolute, times(*at)?, None);
        }
        for (from, lifted) in &self.restrictions {
            b.restriction(times(*from)?, lifted.map(times).transpose()?);
        }
        for (from, lifted) in &self.erasure_restrictions {
            b.erasure_restriction(times(*from)?, lifted.map(times).transpose()?);
        }
        if let Some(at) = self.erased {
            b.erased(times(at)?);
        }
        Ok(b.finish())
    }
}

/// Every subject's decision state, by one full scan of `decision_facts`.
pub fn load_all_states(
    ledger: &mut Ledger,
    rules: &Rules,
) -> Result<SubjectMap<SubjectState>, StoreError> {
    ledger.read_with(|sql| {
        let mut out = SubjectMap::default();
        let mut unbuilt = Vec::new();
        sql.for_each(
            "SELECT subject_id, facts FROM decision_facts",
            &[],
            &mut |r| {
                let id = subject(r.text(0)?)?;
                match r.opt_str(1)? {
                    Some(text) => {
                        let state = state_of(id.as_str(), text, rules)?;
                        out.insert(id, state);
                    }
                    None => unbuilt.push(id),
                }
                Ok(())
            },
        )?;
        for (id, facts) in facts_from_tables(sql, &unbuilt)? {
            out.insert(subject(id)?, facts.state(rules)?);
        }
        Ok(out)
    })
}

fn subject(id: String) -> Result<SubjectId, StoreError> {
    SubjectId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A statement with `CHUNK` subject slots (`$1`…).
fn in_list(head: &str, tail: &str) -> String {
    format!("{head} ({}) {tail}", slots(1, CHUNK))
}

/// The chunk's ids as `CHUNK` parameters, padded with the last.
fn chunk_params<S: AsRef<str>>(chunk: &[S]) -> Option<Vec<Value>> {
    (!chunk.is_empty()).then(|| padded(chunk.iter().map(|id| id.as_ref().into()).collect(), CHUNK))
}

fn times(m: i64) -> Result<jiff::Timestamp, StoreError> {
    jiff::Timestamp::from_microsecond(m)
        .map_err(|e| StoreError::Corrupt(format!("time {m} is out of range: {e}")))
}

/// The decision states of the subjects the ledger holds among `ids`: one
/// keyed read of `decision_facts` per chunk of subjects.
pub fn load_states(
    ledger: &mut Ledger,
    rules: &Rules,
    ids: &[SubjectId],
) -> Result<SubjectMap<SubjectState>, StoreError> {
    static FACTS: OnceLock<String> = OnceLock::new();
    ledger.read_with(|sql| {
        let mut out = SubjectMap::with_capacity_and_hasher(ids.len(), Default::default());
        let unique: Vec<&str> = {
            let mut seen = HashSet::new();
            ids.iter()
                .filter(|id| seen.insert(*id))
                .map(SubjectId::as_str)
                .collect()
        };
        let mut unbuilt = Vec::new();
        for chunk in unique.chunks(CHUNK) {
            let Some(params) = chunk_params(chunk) else {
                continue;
            };
            let statement = FACTS.get_or_init(|| {
                in_list(
                    "SELECT subject_id, facts FROM decision_facts WHERE subject_id IN",
                    "",
                )
            });
            sql.for_each(statement, &params, &mut |r| {
                let id = subject(r.text(0)?)?;
                match r.opt_str(1)? {
                    Some(text) => {
                        let state = state_of(id.as_str(), text, rules)?;
                        out.insert(id, state);
                    }
                    None => unbuilt.push(id),
                }
                Ok(())
            })?;
        }
        for (id, facts) in facts_from_tables(sql, &unbuilt)? {
            out.insert(subject(id)?, facts.state(rules)?);
        }
        Ok(out)
    })
}

/// The facts of the subjects the ledger holds among `ids`, read from the
/// tables they are copied from.
pub(crate) fn facts_from_tables<S: AsRef<str>>(
    sql: &mut dyn Sql,
    ids: &[S],
) -> Result<HashMap<String, Facts>, StoreError> {
    let mut out = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        if let Some(params) = chunk_params(chunk) {
            collect_facts(sql, &chunked_queries(), &params, &mut out)?;
        }
    }
    Ok(out)
}

/// The statements that read facts from their tables: the subjects, then
/// each kind of fact in the order it was written.
struct FactQueries {
    subjects: &'static str,
    consents: &'static str,
    events: &'static str,
    objections: &'static str,
    restrictions: &'static str,
}

/// Of every subject.
const ALL: FactQueries = FactQueries {
    subjects: "SELECT id, erased_at FROM subjects",
    consents: "SELECT subject_id, purpose, given, at FROM consents ORDER BY id",
    events: "SELECT subject_id, kind, reference, at FROM lifecycle_events ORDER BY id",
    objections: "SELECT subject_id, purpose, absolute, at FROM objections ORDER BY id",
    restrictions: "SELECT subject_id, at, lifted_at, ground FROM restrictions ORDER BY id",
};

/// Of a chunk of subjects.
fn chunked_queries() -> FactQueries {
    static TEXT: OnceLock<[String; 5]> = OnceLock::new();
    let [subjects, consents, events, objections, restrictions] = TEXT.get_or_init(|| {
        [
            in_list("SELECT id, erased_at FROM subjects WHERE id IN", ""),
            in_list(
                "SELECT subject_id, purpose, given, at FROM consents WHERE subject_id IN",
                "ORDER BY id",
            ),
            in_list(
                "SELECT subject_id, kind, reference, at FROM lifecycle_events WHERE subject_id IN",
                "ORDER BY id",
            ),
            in_list(
                "SELECT subject_id, purpose, absolute, at FROM objections WHERE subject_id IN",
                "ORDER BY id",
            ),
            in_list(
                "SELECT subject_id, at, lifted_at, ground FROM restrictions WHERE subject_id IN",
                "ORDER BY id",
            ),
        ]
    });
    FactQueries {
        subjects,
        consents,
        events,
        objections,
        restrictions,
    }
}

fn collect_facts(
    sql: &mut dyn Sql,
    q: &FactQueries,
    params: &[Value],
    out: &mut HashMap<String, Facts>,
) -> Result<(), StoreError> {
    sql.for_each(q.subjects, params, &mut |r| {
        let facts = Facts {
            erased: r.opt_int(1)?,
            ..Facts::default()
        };
        out.insert(r.text(0)?, facts);
        Ok(())
    })?;
    sql.for_each(q.consents, params, &mut |r| {
        if let Some(f) = out.get_mut(r.str(0)?) {
            f.consents.push((r.text(1)?, r.bool(2)?, r.int(3)?));
        }
        Ok(())
    })?;
    sql.for_each(q.events, params, &mut |r| {
        if let Some(f) = out.get_mut(r.str(0)?) {
            f.events.push((r.text(1)?, r.text(2)?, r.int(3)?));
        }
        Ok(())
    })?;
    sql.for_each(q.objections, params, &mut |r| {
        if let Some(f) = out.get_mut(r.str(0)?) {
            f.objections.push((r.text(1)?, r.bool(2)?, r.int(3)?));
        }
        Ok(())
    })?;
    sql.for_each(q.restrictions, params, &mut |r| {
        if let Some(f) = out.get_mut(r.str(0)?) {
            let span = (r.int(1)?, r.opt_int(2)?);
            if r.str(3)? == RestrictionGround::ErasureException.id() {
                f.erasure_restrictions.push(span);
            } else {
                f.restrictions.push(span);
            }
        }
        Ok(())
    })
}

/// Rewrites the facts of `subjects` from their tables; inside the write
/// transaction that changed them.
pub(crate) fn refresh(sql: &mut dyn Sql, subjects: &[SubjectId]) -> Result<(), StoreError> {
    let unique: Vec<&str> = {
        let mut seen = HashSet::new();
        subjects
            .iter()
            .filter(|id| seen.insert(*id))
            .map(SubjectId::as_str)
            .collect()
    };
    let facts = facts_from_tables(sql, &unique)?;
    let mut rows = Vec::with_capacity(2 * unique.len());
    let mut gone = Vec::new();
    for id in unique {
        match facts.get(id) {
            Some(f) => rows.extend([Value::from(id), Value::Text(encode(f)?)]),
            None => gone.push(id),
        }
    }
    let (upsert, delete) = statements();
    insert_rows(sql, upsert, 2, &rows)?;
    for chunk in gone.chunks(CHUNK) {
        let params = padded(chunk.iter().map(|id| Value::from(*id)).collect(), CHUNK);
        sql.execute(delete, &params)?;
    }
    Ok(())
}

fn encode(facts: &Facts) -> Result<String, StoreError> {
    serde_json::to_string(facts)
        .map_err(|e| StoreError::Corrupt(format!("cannot encode decision facts: {e}")))
}

/// Facts rows written (one row and many, for [`insert_rows`]), and a
/// chunk of them deleted.
fn statements() -> &'static ([String; 2], String) {
    static TEXT: std::sync::OnceLock<([String; 2], String)> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| {
        (
            insert_statements(
                "INSERT INTO decision_facts (subject_id, facts)",
                2,
                "ON CONFLICT (subject_id) DO UPDATE SET facts = excluded.facts",
            ),
            format!(
                "DELETE FROM decision_facts WHERE subject_id IN ({})",
                slots(1, CHUNK)
            ),
        )
    })
}

/// Builds the facts no row holds yet (a ledger migrated from before they
/// were kept), by full scans of their tables. How many it built.
pub(crate) fn build_missing(sql: &mut dyn Sql) -> Result<usize, StoreError> {
    let mut all = HashMap::new();
    collect_facts(sql, &ALL, &[], &mut all)?;
    let mut built = 0;
    for (id, facts) in &all {
        built += sql.execute(
            "UPDATE decision_facts SET facts = $2 WHERE subject_id = $1 AND facts IS NULL",
            &[id.as_str().into(), encode(facts)?.into()],
        )?;
    }
    Ok(usize::try_from(built).unwrap_or(usize::MAX))
}

/// The subjects whose stored decision facts are not what their tables
/// hold: missing, unbuilt, or out of step. Empty on a sound ledger; reads
/// everything, so it is a check, not something for a hot path.
pub fn stale_facts(ledger: &mut Ledger) -> Result<Vec<String>, StoreError> {
    ledger.read_with(|sql| {
        let mut truth = HashMap::new();
        collect_facts(sql, &ALL, &[], &mut truth)?;
        let mut stale = Vec::new();
        sql.for_each(
            "SELECT subject_id, facts FROM decision_facts",
            &[],
            &mut |r| {
                let id = r.str(0)?;
                let stored = r.opt_str(1)?.map(|t| Facts::parse(id, t)).transpose()?;
                match truth.remove(id) {
                    Some(facts) if stored.as_ref() == Some(&facts) => {}
                    _ => stale.push(id.to_owned()),
                }
                Ok(())
            },
        )?;
        stale.extend(truth.into_keys());
        stale.sort();
        Ok(stale)
    })
}
