//! Consent writes, committed together: one thread owns a connection and
//! writes every change waiting when it is free in one transaction (each
//! with its audit entry), so that many callers share one durable commit.
//! A caller is answered only after the commit that holds its change.

use std::sync::Arc;
use std::sync::mpsc;

use tillit_core::ledger::ConsentChange;
use tillit_store::decisions::StateCache;
use tillit_store::{Ledger, StoreError};
use tokio::sync::oneshot;

/// Changes written in one transaction, at most.
const GROUP: usize = 512;

type Job = (ConsentChange, oneshot::Sender<Result<i64, StoreError>>);

#[derive(Debug)]
pub struct ConsentWriter {
    jobs: mpsc::Sender<Job>,
}

impl ConsentWriter {
    /// Starts the writing thread on its own connection to `url`.
    pub fn start(url: &str, cache: Arc<StateCache>) -> Result<ConsentWriter, StoreError> {
        let open = {
            let url = url.to_owned();
            move || crate::pool::open(&url, Some(&cache))
        };
        let mut ledger = Some(open()?);
        let (jobs, waiting) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("consent-writer".into())
            .spawn(move || write_groups(&mut ledger, &open, &waiting))
            .map_err(|e| StoreError::Database(format!("cannot start the consent writer: {e}")))?;
        Ok(ConsentWriter { jobs })
    }

    /// Writes `change`; its consent id once it is durable.
    pub async fn write(&self, change: ConsentChange) -> Result<i64, StoreError> {
        let (done, answer) = oneshot::channel();
        let gone = || StoreError::Database("the consent writer has stopped".into());
        self.jobs.send((change, done)).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// The next group: the first item to come, and every one waiting behind
/// it, up to `most`; `None` once every sender is gone.
pub(crate) fn next_group<T>(waiting: &mpsc::Receiver<T>, most: usize) -> Option<Vec<T>> {
    let mut group = vec![waiting.recv().ok()?];
    while group.len() < most {
        match waiting.try_recv() {
            Ok(item) => group.push(item),
            Err(_) => break,
        }
    }
    Some(group)
}

/// The writer's connection, opened again when the last one broke (the
/// database went away); `None` while it cannot be opened.
pub(crate) fn connection<'l>(
    ledger: &'l mut Option<Ledger>,
    open: &dyn Fn() -> Result<Ledger, StoreError>,
) -> Result<&'l mut Ledger, StoreError> {
    if ledger.as_ref().is_none_or(Ledger::is_broken) {
        *ledger = None;
        *ledger = Some(open()?);
    }
    ledger
        .as_mut()
        .ok_or_else(|| StoreError::Unavailable("no ledger connection".into()))
}

fn write_groups(
    ledger: &mut Option<Ledger>,
    open: &dyn Fn() -> Result<Ledger, StoreError>,
    waiting: &mpsc::Receiver<Job>,
) {
    while let Some(group) = next_group(waiting, GROUP) {
        let (changes, answers): (Vec<ConsentChange>, Vec<_>) = group.into_iter().unzip();
        // A refused change (an unknown or erased subject) writes nothing
        // and leaves the transaction as it was; the rest commit.
        let written = connection(ledger, open).and_then(|l| {
            l.write(jiff::Timestamp::now(), |w| {
                Ok(changes
                    .iter()
                    .map(|c| w.change_consent(c))
                    .collect::<Vec<_>>())
            })
        });
        match written {
            Ok(results) => {
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            }
            Err(e) => {
                let why = e.to_string();
                let unavailable =
                    matches!(e, StoreError::Unavailable(_) | StoreError::Connect { .. });
                for answer in answers {
                    let _ = answer.send(Err(if unavailable {
                        StoreError::Unavailable(why.clone())
                    } else {
                        StoreError::Database(why.clone())
                    }));
                }
            }
        }
    }
}
