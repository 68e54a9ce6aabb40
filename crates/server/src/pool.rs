//! Ledger connections for blocking work: an r2d2 pool of at most [`MAX`],
//! each attached to the decision cache, so that a write through any of
//! them reaches every decision.
//!
//! A connection goes back to the pool whatever the work did, a panic
//! included (r2d2 returns it when its guard drops); one that met an
//! unreachable database is dropped and replaced. A checkout that finds no
//! connection within [`CHECKOUT`] fails as [`StoreError::Unavailable`],
//! which the API answers with 503 and `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use tillit_store::decisions::StateCache;
use tillit_store::{Ledger, StoreError};

/// Connections open at most: SQLite writes one at a time anyway, and
/// each connection holds a page cache.
pub const MAX: u32 = 8;

/// How long a request waits for a connection before it is told to come
/// back later.
pub const CHECKOUT: Duration = Duration::from_secs(5);

/// Each connection's page cache, in KiB (SQLite): most reads a server
/// makes are one subject's few pages; the operating system caches the
/// file.
pub const PAGE_CACHE_KIB: u32 = 2 * 1024;

/// A server's ledger connection: a small page cache, and attached to the
/// decision cache when it writes what decisions depend on.
pub(crate) fn open(url: &str, cache: Option<&Arc<StateCache>>) -> Result<Ledger, StoreError> {
    let mut l = Ledger::open(url)?;
    l.limit_page_cache(PAGE_CACHE_KIB)?;
    if let Some(cache) = cache {
        l.attach(Arc::clone(cache));
    }
    Ok(l)
}

/// Opens ledger connections for the pool.
#[derive(Debug)]
struct Connections {
    url: String,
    cache: Arc<StateCache>,
}

impl r2d2::ManageConnection for Connections {
    type Connection = Ledger;
    type Error = StoreError;

    fn connect(&self) -> Result<Ledger, StoreError> {
        open(&self.url, Some(&self.cache))
    }

    fn is_valid(&self, l: &mut Ledger) -> Result<(), StoreError> {
        l.ping()
    }

    fn has_broken(&self, l: &mut Ledger) -> bool {
        l.is_broken()
    }
}

pub struct Pool {
    inner: r2d2::Pool<Connections>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("state", &self.inner.state())
            .finish()
    }
}

impl Pool {
    /// A pool for the ledger at `url`; opens no connection until asked
    /// (the server has opened and migrated the ledger already).
    pub fn new(url: &str, cache: Arc<StateCache>, checkout: Duration) -> Pool {
        let inner = r2d2::Pool::builder()
            .max_size(MAX)
            .min_idle(Some(0))
            .connection_timeout(checkout)
            // A checkout asks nothing of the database: a connection that
            // failed says so itself (`has_broken`) and is replaced.
            .test_on_check_out(false)
            .error_handler(Box::new(LogErrors))
            .build_unchecked(Connections {
                url: url.to_owned(),
                cache,
            });
        Pool { inner }
    }

    /// Runs `work` with a connection.
    pub fn with<T>(
        &self,
        work: impl FnOnce(&mut Ledger) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut ledger = self.inner.get().map_err(|e| {
            StoreError::Unavailable(format!("no ledger connection within {CHECKOUT:?}: {e}"))
        })?;
        work(&mut ledger)
    }

    /// Whether the database answers now, on a pooled connection.
    pub fn ready(&self) -> Result<(), StoreError> {
        self.with(Ledger::ping)
    }
}

/// Connection failures go to the log, as the server's other failures do.
#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<StoreError> for LogErrors {
    fn handle_error(&self, error: StoreError) {
        tracing::warn!(error = %error, "cannot open a ledger connection");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use super::*;

    fn pool(checkout: Duration) -> (tempfile::TempDir, Pool) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("l.db").display());
        drop(Ledger::open(&url).unwrap());
        (dir, Pool::new(&url, StateCache::new(10), checkout))
    }

    #[test]
    fn work_that_panics_gives_its_connection_back() {
        let (_dir, pool) = pool(Duration::from_secs(2));
        for _ in 0..(MAX * 2) {
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                pool.with(|_| -> Result<(), StoreError> { panic!("pooled work fails") })
            }));
            assert!(panicked.is_err());
        }
        // More panics than connections, and every connection came back.
        pool.with(Ledger::ping).unwrap();
        assert!(pool.inner.state().connections <= MAX);
    }

    #[test]
    fn a_checkout_that_finds_no_connection_in_time_is_unavailable_not_a_hang() {
        let (_dir, pool) = pool(Duration::from_millis(300));
        let pool = Arc::new(pool);
        let (held, release) = std::sync::mpsc::channel::<()>();
        let release = Arc::new(std::sync::Mutex::new(release));
        let (taken, all_taken) = std::sync::mpsc::channel();
        let holders: Vec<_> = (0..MAX)
            .map(|_| {
                let (pool, release, taken) =
                    (Arc::clone(&pool), Arc::clone(&release), taken.clone());
                std::thread::spawn(move || {
                    pool.with(|_| {
                        taken.send(()).unwrap();
                        let _ = release.lock().unwrap().recv();
                        Ok(())
                    })
                    .unwrap();
                })
            })
            .collect();
        for _ in 0..MAX {
            all_taken.recv().unwrap();
        }
        let started = std::time::Instant::now();
        let e = pool.with(Ledger::ping).unwrap_err();
        assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
        drop(held);
        for h in holders {
            h.join().unwrap();
        }
        pool.with(Ledger::ping).unwrap();
    }
}
