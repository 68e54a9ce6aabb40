//! Ledger connections for blocking work, at most [`MAX`] open: taken
//! from a stack, opened while fewer are open, waited for otherwise, given
//! back after. Each is attached to the decision cache, so that a write
//! through any of them reaches every decision.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use tillit_store::decisions::StateCache;
use tillit_store::{Ledger, StoreError};

/// Connections open at most: SQLite writes one at a time anyway, and
/// each connection holds a page cache.
pub const MAX: usize = 8;

/// Each connection's page cache, in KiB (SQLite): most reads a server
/// makes are one subject's few pages; the operating system caches the
/// file.
pub const PAGE_CACHE_KIB: u32 = 2 * 1024;

#[derive(Debug)]
pub struct Pool {
    url: String,
    cache: Arc<StateCache>,
    state: Mutex<State>,
    returned: Condvar,
}

#[derive(Debug)]
struct State {
    idle: Vec<Ledger>,
    open: usize,
}

impl Pool {
    pub fn new(url: &str, cache: Arc<StateCache>, first: Ledger) -> Pool {
        Pool {
            url: url.to_owned(),
            cache,
            state: Mutex::new(State {
                idle: vec![first],
                open: 1,
            }),
            returned: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` with a connection.
    pub fn with<T>(
        &self,
        work: impl FnOnce(&mut Ledger) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut ledger = self.take()?;
        let out = work(&mut ledger);
        self.lock().idle.push(ledger);
        self.returned.notify_one();
        out
    }

    /// An idle connection, a new one while fewer than [`MAX`] are open,
    /// else the next one given back.
    fn take(&self) -> Result<Ledger, StoreError> {
        let mut state = self.lock();
        loop {
            if let Some(l) = state.idle.pop() {
                return Ok(l);
            }
            if state.open < MAX {
                state.open += 1;
                drop(state);
                return match Ledger::open(&self.url).and_then(|mut l| {
                    l.limit_page_cache(PAGE_CACHE_KIB)?;
                    Ok(l)
                }) {
                    Ok(mut l) => {
                        l.attach(Arc::clone(&self.cache));
                        Ok(l)
                    }
                    Err(e) => {
                        self.lock().open -= 1;
                        Err(e)
                    }
                };
            }
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}
