//! The single writer: a bounded queue in front of one thread that commits
//! events in groups. A request is acknowledged only after the transaction
//! holding its event has committed (fsync), so a 2xx always means "on disk";
//! batching amortises the fsync over many requests.

use std::{
    sync::Arc,
    thread::JoinHandle,
    time::{Duration, Instant},
};

use crossbeam_channel::Receiver;

use super::{
    enrich::Enriched,
    interner::{INTERNER_CACHE_MAX, Interner},
    session::Sessionizer,
};
use crate::{
    metrics::Metrics,
    store::{Batch, Store, StoreError},
};

/// Commit failures are logged at most once a second.
static COMMIT_LOG: crate::telemetry::Throttle = crate::telemetry::Throttle::new();

/// Logs a batch's failure, unless the store logged its state itself, at
/// most once a second with how many were held back.
fn log_failure(e: &StoreError, now_ms: u64, what: &'static str) {
    if !e.logged_by_store()
        && let Some(held) = COMMIT_LOG.pass(now_ms / 1000)
    {
        tracing::error!(
            error = %crate::telemetry::causes(e),
            also_failed_since_last_line = held,
            "{what}"
        );
    }
}

pub use super::queue::{Ack, EnqueueError, WriterHandle};
use super::queue::{Job, Queue};

/// Group-commit limits.
#[derive(Debug, Clone, Copy)]
pub struct WriterConfig {
    /// Most events per transaction.
    pub batch_size: usize,
    /// Longest wait for a batch to fill.
    pub flush_interval: Duration,
    /// Queue length, in requests.
    pub queue_capacity: usize,
    /// Most bytes the queued events may hold.
    pub queue_bytes: usize,
    /// Most open visits held in memory; past it the least recently active
    /// are parked in the store (`ingest.max_open_visits`).
    pub max_open_visits: usize,
}

/// The writer's state: everything needed to turn events into a batch.
struct State {
    store: Store,
    strings: Interner,
    sessions: Sessionizer,
    /// Most open visits in memory (`ingest.max_open_visits`).
    max_open: usize,
    last_evict_ms: u64,
    /// Next string id after the last commit (for a fresh interner).
    next_string: u32,
    /// The string gate's generation the interner's cache is valid for.
    strings_generation: u64,
    /// A failed batch left the in-memory state ahead of the store and
    /// reloading it failed too: reload before the next batch, or fail it.
    stale: bool,
}

impl State {
    fn load(store: &Store, now_ms: u64, max_open: usize) -> Result<Self, StoreError> {
        let (next_string, next_session) = store.writer_counters()?;
        let mut sessions = Sessionizer::new(next_session, max_open, Some(store.clone()));
        sessions.parked_left(store.parked_visit_count()?);
        store.each_session_since(
            now_ms.saturating_sub(super::visitor::DAY_MS),
            |tz, key, record| sessions.restore(key, record, now_ms, tz),
        )?;
        Ok(Self {
            store: store.clone(),
            strings: Interner::new(store.clone(), next_string, INTERNER_CACHE_MAX),
            sessions,
            max_open,
            last_evict_ms: now_ms,
            next_string,
            strings_generation: store.strings_guard().generation(),
            stale: false,
        })
    }

    /// Applies and commits one batch; on failure reloads from the store so the
    /// in-memory state never runs ahead of what is on disk.
    fn commit(&mut self, events: &[&Enriched], now_ms: u64, metrics: &Metrics) -> Ack {
        if self.stale {
            // After an I/O failure reads fail too until the file is reopened,
            // which a write transaction does (see `store::db`); its own error,
            // if any, shows in the reload's.
            let _ = self.store.reopen_if_failed();
            let now = events.iter().map(|e| e.ts_ms).max().unwrap_or(0);
            match Self::load(&self.store, now, self.max_open) {
                Ok(fresh) => *self = fresh,
                Err(e) => {
                    metrics
                        .commit_failures
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    log_failure(
                        &e,
                        now_ms,
                        "writer state still can't be reloaded; batch refused",
                    );
                    return Err(Arc::new(e));
                }
            }
        }
        // Held from resolving the batch's string ids until they are committed,
        // so a sweep of unused texts never deletes one in between (see
        // `store::strings`).
        let store = self.store.clone();
        let mut gate = store.strings_guard();
        if gate.generation() != self.strings_generation {
            // Texts were deleted since the last batch: cached ids may name them.
            self.strings = Interner::new(store.clone(), self.next_string, INTERNER_CACHE_MAX);
            self.strings_generation = gate.generation();
        }
        let mut batch = Batch {
            now_ms,
            ..Batch::default()
        };
        let latest = events.iter().map(|e| e.ts_ms).max().unwrap_or(0);
        if latest > self.last_evict_ms + 60_000 {
            self.sessions.evict_idle(latest);
            self.last_evict_ms = latest;
        }
        let applied = self.unseen(events, &mut batch).and_then(|events| {
            events
                .iter()
                .try_for_each(|e| self.sessions.apply(e, &mut self.strings))
        });
        self.sessions.drain_into(&mut batch, &mut self.strings);
        let started = Instant::now();
        let res = applied.and_then(|()| self.store.commit_batch(&batch));
        metrics
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        match res {
            Ok(()) => {
                gate.committed(&batch);
                self.next_string = batch.next_string_id;
                #[allow(clippy::cast_precision_loss)]
                metrics.batch_size.observe(events.len() as f64);
                metrics
                    .events_accepted
                    .fetch_add(events.len() as u64, std::sync::atomic::Ordering::Relaxed);
                if batch.drop_parked_before_ms.is_some() {
                    // Rarely (once a minute while anything is parked).
                    if let Ok(left) = self.store.parked_visit_count() {
                        self.sessions.parked_left(left);
                    }
                }
                Ok(())
            }
            Err(e) => {
                metrics
                    .commit_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                log_failure(&e, now_ms, "batch commit failed; its requests got 503");
                let now = events.iter().map(|e| e.ts_ms).max().unwrap_or(0);
                drop(gate);
                match Self::load(&self.store, now, self.max_open) {
                    Ok(fresh) => *self = fresh,
                    Err(e2) => {
                        if !e2.logged_by_store() {
                            tracing::error!(
                                error = %crate::telemetry::causes(&e2),
                                "reloading writer state failed"
                            );
                        }
                        self.stale = true;
                    }
                }
                Err(Arc::new(e))
            }
        }
    }
}

impl State {
    /// The events not stored before: those without a message id, and the
    /// first of each message id not yet on record (whose ids go in `batch`).
    fn unseen<'e>(
        &self,
        events: &[&'e Enriched],
        batch: &mut Batch,
    ) -> Result<Vec<&'e Enriched>, StoreError> {
        if events.iter().all(|e| e.message_id.is_none()) {
            return Ok(events.to_vec());
        }
        let mut by_site: std::collections::HashMap<_, Vec<_>> = std::collections::HashMap::new();
        for e in events {
            if let Some(id) = e.message_id {
                by_site.entry(e.site).or_default().push(id);
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (site, ids) in by_site {
            for id in self.store.seen_message_ids(site, &ids)? {
                seen.insert((site, id));
            }
        }
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            match e.message_id {
                None => out.push(*e),
                Some(id) => {
                    if seen.insert((e.site, id)) {
                        batch.message_ids.push((e.site, id));
                        out.push(*e);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Starts the writer thread. Dropping every [`WriterHandle`] makes it drain the
/// queue, commit what is left and exit; join the returned handle to wait for that.
///
/// # Errors
/// When the starting state can't be read from the store.
pub fn spawn(
    store: &Store,
    cfg: WriterConfig,
    metrics: Arc<Metrics>,
    now_ms: u64,
) -> Result<(WriterHandle, JoinHandle<()>), StoreError> {
    let mut state = State::load(store, now_ms, cfg.max_open_visits)?;
    let (handle, rx, queue) = super::queue::channel(cfg.queue_capacity, cfg.queue_bytes);
    let join = std::thread::Builder::new()
        .name("touchpoint-writer".into())
        .spawn(move || run(&rx, &queue, &mut state, cfg, &metrics))
        .map_err(|source| StoreError::Thread {
            what: "writer",
            source,
        })?;
    Ok((handle, join))
}

fn run(rx: &Receiver<Job>, queue: &Queue, state: &mut State, cfg: WriterConfig, metrics: &Metrics) {
    let max = cfg.batch_size.max(1);
    let mut jobs: Vec<Job> = Vec::with_capacity(max);
    // `recv` fails only when every sender is gone and the queue is empty: that
    // is the shutdown signal, and by then everything queued has been committed.
    while let Ok(first) = rx.recv() {
        jobs.push(first);
        // Let the batch fill by sleeping, not by waiting on the channel: a
        // parked receiver is woken by every send, which costs a context switch
        // per event; a sleeping one is woken once per batch. A batch that
        // already holds `batch_size` events is taken at once.
        if rx.len() + 1 < max && !cfg.flush_interval.is_zero() {
            std::thread::sleep(cfg.flush_interval);
        }
        while jobs.len() < max {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let events: Vec<&Enriched> = jobs.iter().flat_map(|j| &j.events).collect();
        let now_ms = jobs.iter().map(|j| j.received_ms).max().unwrap_or(0);
        let res = state.commit(&events, now_ms, metrics);
        for job in jobs.drain(..) {
            queue.release(&job);
            // The requester may have gone away (client disconnect); the event
            // is stored regardless.
            let _ = job.ack.send(res.clone());
        }
    }
    tracing::info!("writer drained and stopped");
}
