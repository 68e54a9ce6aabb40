//! Ledger connections for blocking work: taken from a stack, opened when
//! it is empty, given back after; each attached to the decision cache so
//! that a write through any of them reaches every decision.

use std::sync::{Arc, Mutex, PoisonError};

use tillit_store::decisions::StateCache;
use tillit_store::{Ledger, StoreError};

/// Connections kept idle, at most.
const IDLE: usize = 16;

#[derive(Debug)]
pub struct Pool {
    url: String,
    cache: Arc<StateCache>,
    idle: Mutex<Vec<Ledger>>,
}

impl Pool {
    pub fn new(url: &str, cache: Arc<StateCache>, first: Ledger) -> Pool {
        Pool {
            url: url.to_owned(),
            cache,
            idle: Mutex::new(vec![first]),
        }
    }

    /// Runs `work` with a connection.
    pub fn with<T>(
        &self,
        work: impl FnOnce(&mut Ledger) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let taken = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut ledger = match taken {
            Some(l) => l,
            None => {
                let mut l = Ledger::open(&self.url)?;
                l.attach(Arc::clone(&self.cache));
                l
            }
        };
        let out = work(&mut ledger);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE {
            idle.push(ledger);
        }
        out
    }
}
