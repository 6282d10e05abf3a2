//! The bounded queue in front of the writer: request handlers put each
//! request's events in as one job and wait for its acknowledgement. It is
//! bounded twice — in jobs (`ingest.queue_capacity`) and in the bytes its
//! events hold (`ingest.queue_mb`) — so a flood of large events can't grow
//! memory past the bound: beyond either, a request is refused (503).

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use arc_swap::ArcSwapOption;
use crossbeam_channel::{Sender, TrySendError};
use tokio::sync::oneshot;

use super::enrich::Enriched;
use crate::store::StoreError;

/// Result sent back to the request that queued an event: the store's error,
/// its causes kept (shared by every request of the failed batch).
pub type Ack = Result<(), Arc<StoreError>>;

/// One request's events (one per site it names): queued, committed and
/// acknowledged together, so a request is stored entirely or not at all.
pub(super) struct Job {
    pub(super) events: Vec<Enriched>,
    /// When the request arrived, unix ms (stamps message ids).
    pub(super) received_ms: u64,
    pub(super) ack: oneshot::Sender<Ack>,
    /// What its events hold ([`Enriched::approx_bytes`]).
    bytes: usize,
}

/// The bytes queued jobs hold, shared by the handles and the writer.
#[derive(Clone)]
pub(super) struct Queue {
    held: Arc<AtomicUsize>,
    max: usize,
}

impl Queue {
    /// The writer is done with `job` (committed or failed).
    pub(super) fn release(&self, job: &Job) {
        self.held.fetch_sub(job.bytes, Ordering::Relaxed);
    }
}

/// A queue of `capacity` jobs holding at most `max_bytes` (a single job
/// larger than that is still taken when the queue is empty).
pub(super) fn channel(
    capacity: usize,
    max_bytes: usize,
) -> (WriterHandle, crossbeam_channel::Receiver<Job>, Queue) {
    let (tx, rx) = crossbeam_channel::bounded::<Job>(capacity.max(1));
    let queue = Queue {
        held: Arc::default(),
        max: max_bytes,
    };
    let handle = WriterHandle {
        tx: Arc::new(ArcSwapOption::from_pointee(tx)),
        queue: queue.clone(),
    };
    (handle, rx, queue)
}

/// Why an event could not be queued.
#[derive(Debug, PartialEq, Eq)]
pub enum EnqueueError {
    /// The queue is full (in jobs or in bytes): answer 503 with Retry-After.
    Full,
    /// The writer has stopped (shutting down).
    Closed,
}

/// The sending side, held by request handlers. [`WriterHandle::close`] drops
/// the sender for every clone at once, which is the writer's signal to drain.
#[derive(Clone)]
pub struct WriterHandle {
    tx: Arc<ArcSwapOption<Sender<Job>>>,
    queue: Queue,
}

impl WriterHandle {
    /// Queues one event; the receiver resolves once it is committed (or failed).
    ///
    /// # Errors
    /// [`EnqueueError::Full`] when the bounded queue is full.
    pub fn enqueue(&self, event: Enriched) -> Result<oneshot::Receiver<Ack>, EnqueueError> {
        self.enqueue_all(vec![event])
    }

    /// Queues the events of one request as a unit: they share a queue slot and
    /// a transaction, and the receiver resolves once all are committed.
    ///
    /// # Errors
    /// [`EnqueueError::Full`] when the bounded queue is full (nothing queued).
    pub fn enqueue_all(
        &self,
        events: Vec<Enriched>,
    ) -> Result<oneshot::Receiver<Ack>, EnqueueError> {
        let received_ms = events.iter().map(|e| e.ts_ms).max().unwrap_or(0);
        self.enqueue_received(events, received_ms)
    }

    /// [`WriterHandle::enqueue_all`] for events that carry their own time
    /// ([`Enriched::timed`]), received at `received_ms`. An event whose
    /// message id was stored within the last day is left out.
    ///
    /// # Errors
    /// [`EnqueueError::Full`] when the bounded queue is full (nothing queued).
    pub fn enqueue_received(
        &self,
        events: Vec<Enriched>,
        received_ms: u64,
    ) -> Result<oneshot::Receiver<Ack>, EnqueueError> {
        let (ack, rx) = oneshot::channel();
        let Some(tx) = self.tx.load_full() else {
            return Err(EnqueueError::Closed);
        };
        let bytes = events.iter().map(Enriched::approx_bytes).sum();
        let held = self.queue.held.fetch_add(bytes, Ordering::Relaxed);
        let refuse = |e| {
            self.queue.held.fetch_sub(bytes, Ordering::Relaxed);
            Err(e)
        };
        if held > 0 && held + bytes > self.queue.max {
            return refuse(EnqueueError::Full);
        }
        match tx.try_send(Job {
            events,
            received_ms,
            ack,
            bytes,
        }) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => refuse(EnqueueError::Full),
            Err(TrySendError::Disconnected(_)) => refuse(EnqueueError::Closed),
        }
    }

    /// Bytes the queued events hold.
    #[must_use]
    pub fn queued_bytes(&self) -> usize {
        self.queue.held.load(Ordering::Relaxed)
    }

    /// Events waiting.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.tx.load().as_ref().map_or(0, |t| t.len())
    }

    /// Stops accepting events; the writer commits what is queued, then exits.
    pub fn close(&self) {
        self.tx.store(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pageview whose path is `path_len` bytes long.
    fn event(path_len: usize) -> Enriched {
        crate::ingest::enrich::test_pageview(1, 0, &"/".repeat(path_len))
    }

    #[test]
    fn the_queue_refuses_past_its_bytes_and_takes_more_once_the_writer_is_done() {
        let (handle, rx, queue) = channel(1000, 10_000);
        let size = event(1000).approx_bytes();
        let fit = 10_000 / size;
        assert!(fit >= 2, "{size}");
        let mut acks = Vec::new();
        for _ in 0..fit {
            acks.push(handle.enqueue(event(1000)).expect("room"));
        }
        assert_eq!(handle.queued_bytes(), fit * size);
        assert_eq!(handle.enqueue(event(1000)).err(), Some(EnqueueError::Full));
        assert_eq!(handle.queued_bytes(), fit * size, "a refusal holds nothing");
        // The writer takes one and is done with it: room for one more.
        queue.release(&rx.try_recv().unwrap());
        assert!(handle.enqueue(event(1000)).is_ok());
        assert_eq!(handle.enqueue(event(1000)).err(), Some(EnqueueError::Full));
        // An event larger than the whole bound is still taken by an empty queue.
        while let Ok(job) = rx.try_recv() {
            queue.release(&job);
        }
        assert_eq!(handle.queued_bytes(), 0);
        assert!(handle.enqueue(event(20_000)).is_ok());
        assert_eq!(handle.enqueue(event(10)).err(), Some(EnqueueError::Full));
    }
}
