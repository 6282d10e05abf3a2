//! `/healthz`'s write probe, on a thread of its own. Request handlers'
//! blocking work shares a small pool per worker (see
//! `startup::blocking_threads_per_worker`), where a flood of reports or
//! logins waits its turn; the probe must not wait behind them, or a busy
//! server would look dead to its supervisor. Probes asked for while one runs
//! share the next one's answer, so a flood of `/healthz` costs one write
//! transaction at a time.

use crossbeam_channel::{Receiver, Sender, TrySendError};
use tokio::sync::oneshot;

use crate::store::{Store, StoreError};

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// A write transaction committed (and ClickHouse answered, when used).
    Ok,
    /// The store's filesystem is full (or below `storage.min_free_mb`).
    DiskFull,
    /// Another store error: the store can't commit.
    NotWritable,
    /// ClickHouse didn't answer.
    EventsEngineUnreachable,
}

impl Health {
    /// The `status` `/healthz` answers with.
    #[must_use]
    pub fn status(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::DiskFull => "disk full",
            Self::NotWritable => "store not writable",
            Self::EventsEngineUnreachable => "events engine unreachable",
        }
    }
}

/// Probes waiting at most; past it `/healthz` answers 503 at once.
const MAX_WAITING: usize = 4096;

/// Handle to the probe thread; the thread ends when every handle is dropped.
#[derive(Clone)]
pub struct Prober {
    tx: Sender<oneshot::Sender<Health>>,
}

impl Prober {
    /// Starts the probe thread for `store`.
    ///
    /// # Errors
    /// When the thread can't be started.
    pub fn start(store: Store) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded(MAX_WAITING);
        std::thread::Builder::new()
            .name("touchpoint-health".into())
            .spawn(move || run(&store, &rx))?;
        Ok(Self { tx })
    }

    /// Runs a probe (or joins the next one) and waits for its answer; `None`
    /// when too many are waiting or the thread is gone.
    pub async fn check(&self) -> Option<Health> {
        let (reply, answer) = oneshot::channel();
        match self.tx.try_send(reply) {
            Ok(()) => answer.await.ok(),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => None,
        }
    }
}

fn run(store: &Store, rx: &Receiver<oneshot::Sender<Health>>) {
    while let Ok(first) = rx.recv() {
        let mut waiting = vec![first];
        waiting.extend(rx.try_iter());
        let health = probe(store);
        for w in waiting {
            let _ = w.send(health);
        }
    }
}

fn probe(store: &Store) -> Health {
    match store.probe_write() {
        Ok(()) => Health::Ok,
        Err(e) => {
            if !e.logged_by_store() {
                tracing::error!(error = %crate::telemetry::causes(&e), "health probe failed");
            }
            match e {
                StoreError::ClickHouse(_) => Health::EventsEngineUnreachable,
                StoreError::DiskFull { .. } => Health::DiskFull,
                _ => Health::NotWritable,
            }
        }
    }
}
