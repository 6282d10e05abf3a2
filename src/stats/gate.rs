//! At most [`slots`] reports compute at once; the others wait their turn.
//! A report's memory grows with what it reads (the groups of a breakdown,
//! the visitors of a day), and scans already use every core, so running
//! more at once would add memory, not speed: this gate makes the bound on
//! report memory `slots × the largest report` instead of growing with the
//! number of concurrent requests.
//!
//! Re-entrant per thread: a report that runs another (a dashboard page's
//! several queries, attribution reading visits) holds one slot.
//!
//! A report that splits its scan over threads takes a slot for each thread
//! past its first, only from the free ones ([`extra`]): scans running at
//! once never outnumber the slots, so a lone report uses every core and
//! several at once run a thread each.
//!
//! Requests wait for their [`turn`] asynchronously first, holding no
//! thread, and only then go to the HTTP worker's blocking pool to take the
//! slot ([`Turn::enter`]): a flood of reports would otherwise fill that
//! pool with threads waiting here, and logins and pages that need a
//! blocking thread would queue behind them.

use std::{
    cell::Cell,
    sync::{
        Condvar, LazyLock, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::store::{ReadView, Store};

/// The gate's state: slots taken.
struct Gate {
    taken: Mutex<usize>,
    freed: Condvar,
    slots: usize,
}

static GATE: LazyLock<Gate> = LazyLock::new(|| Gate {
    taken: Mutex::new(0),
    freed: Condvar::new(),
    slots: std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(2)
        .max(2),
});

/// Turns handed to requests: as many as there are slots.
static TURNS: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(GATE.slots));

/// Threads waiting for a slot (for tests).
static WAITING: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether this thread holds a slot.
    static HOLDS: Cell<bool> = const { Cell::new(false) };
}

/// How many reports may compute at once: the machine's cores, at least 2.
#[must_use]
pub fn slots() -> usize {
    GATE.slots
}

/// Threads waiting for a slot now.
#[doc(hidden)]
#[must_use]
pub fn waiting() -> usize {
    WAITING.load(Ordering::SeqCst)
}

/// A held slot; dropping it lets the next report in.
#[must_use = "the slot is released when dropped"]
pub struct Slot {
    /// False when the thread already held one (nothing to release).
    owns: bool,
    /// The request's turn, given back after the slot.
    turn: Option<SemaphorePermit<'static>>,
}

/// A request's turn to compute a report: at most [`slots`] are out at
/// once. Moved into the blocking closure, where [`Turn::enter`] takes the
/// slot; given back when that slot is dropped.
#[must_use = "the turn is given back when dropped"]
pub struct Turn(Option<SemaphorePermit<'static>>);

/// Waits, without holding a thread, for a turn to compute a report (at
/// once when visits are on ClickHouse). Dropping the future while it waits
/// (the client left) gives up the place in the queue.
pub async fn turn(store: &Store) -> Turn {
    if store.clickhouse().is_some() {
        return Turn(None);
    }
    // The semaphore is never closed.
    Turn(TURNS.acquire().await.ok())
}

impl Turn {
    /// Takes the slot this turn is for, on the blocking thread that runs the
    /// report, before it opens its read snapshot. Nearly always free at once:
    /// only reports not started through [`turn`] (jobs, nested work on
    /// other threads) can hold it.
    pub fn enter(self, store: &Store) -> Slot {
        let mut slot = enter_store(store);
        slot.turn = self.0;
        slot
    }
}

/// Waits for a slot (returns at once if this thread holds one, or when
/// visits are on ClickHouse: its reports compute there).
pub fn enter(view: &ReadView) -> Slot {
    if view.clickhouse().is_some() {
        return Slot {
            owns: false,
            turn: None,
        };
    }
    enter_any()
}

/// [`enter`] before a snapshot is taken: a report waiting for its turn
/// shouldn't hold one (the store can't reuse pages a snapshot still sees).
pub fn enter_store(store: &Store) -> Slot {
    if store.clickhouse().is_some() {
        return Slot {
            owns: false,
            turn: None,
        };
    }
    enter_any()
}

/// [`enter`] whatever the engine.
fn enter_any() -> Slot {
    if HOLDS.with(Cell::get) {
        return Slot {
            owns: false,
            turn: None,
        };
    }
    let g = &*GATE;
    let mut taken = g.taken.lock().unwrap_or_else(PoisonError::into_inner);
    if *taken >= g.slots {
        WAITING.fetch_add(1, Ordering::SeqCst);
        while *taken >= g.slots {
            taken = g.freed.wait(taken).unwrap_or_else(PoisonError::into_inner);
        }
        WAITING.fetch_sub(1, Ordering::SeqCst);
    }
    *taken += 1;
    HOLDS.with(|h| h.set(true));
    Slot {
        owns: true,
        turn: None,
    }
}

/// Slots taken for a report's extra scan threads; dropping frees them.
#[must_use = "the slots are freed when dropped"]
pub struct Extra {
    granted: usize,
}

impl Extra {
    /// How many slots were free and taken (0 to the number asked).
    #[must_use]
    pub fn granted(&self) -> usize {
        self.granted
    }
}

/// Takes up to `wanted` of the free slots, without waiting, for a report's
/// threads past its first (a report computing on ClickHouse needs none).
pub fn extra(wanted: usize) -> Extra {
    let g = &*GATE;
    let mut taken = g.taken.lock().unwrap_or_else(PoisonError::into_inner);
    let granted = wanted.min(g.slots.saturating_sub(*taken));
    *taken += granted;
    Extra { granted }
}

impl Drop for Extra {
    fn drop(&mut self) {
        if self.granted == 0 {
            return;
        }
        let g = &*GATE;
        let mut taken = g.taken.lock().unwrap_or_else(PoisonError::into_inner);
        *taken -= self.granted;
        drop(taken);
        g.freed.notify_all();
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if !self.owns {
            return;
        }
        HOLDS.with(|h| h.set(false));
        let g = &*GATE;
        let mut taken = g.taken.lock().unwrap_or_else(PoisonError::into_inner);
        *taken -= 1;
        drop(taken);
        g.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::mpsc, time::Duration};

    use super::*;

    /// Waits (without a time limit on the outcome) until `cond` holds.
    fn until(cond: impl Fn() -> bool) {
        while !cond() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    #[test]
    fn reports_past_the_slots_wait_for_one_to_be_freed_and_nesting_takes_none() {
        // Every slot taken, each by its own thread (a slot belongs to one).
        let (release, done) = (mpsc::channel::<()>(), mpsc::channel::<()>());
        let release_rx = std::sync::Arc::new(Mutex::new(release.1));
        let mut holders = Vec::new();
        let (entered_tx, entered_rx) = mpsc::channel();
        for _ in 0..slots() {
            let (rx, entered_tx) = (release_rx.clone(), entered_tx.clone());
            holders.push(std::thread::spawn(move || {
                let _slot = enter_any();
                let _inner = enter_any(); // nested: no second slot
                entered_tx.send(()).unwrap();
                rx.lock().unwrap().recv().unwrap();
            }));
        }
        for _ in 0..slots() {
            entered_rx.recv().unwrap();
        }
        // No slot free: a report's extra scan threads get none.
        assert_eq!(extra(4).granted(), 0);
        let before = waiting();
        let done_tx = done.0;
        let late = std::thread::spawn(move || {
            let _slot = enter_any();
            done_tx.send(()).unwrap();
        });
        // Either it waits, or it ran past the slots.
        until(|| waiting() > before || late.is_finished());
        assert!(done.1.try_recv().is_err(), "a report ran past the slots");
        for _ in 0..slots() {
            release.0.send(()).unwrap();
        }
        done.1.recv().unwrap();
        late.join().unwrap();
        for h in holders {
            h.join().unwrap();
        }
    }

    #[test]
    fn extra_scan_threads_take_free_slots_and_reports_wait_for_them() {
        let threads = extra(slots() + 3);
        assert!(threads.granted() <= slots(), "more slots than there are");
        // Other tests may hold slots too; with every slot taken here, a
        // report must wait until the extra threads are done.
        if threads.granted() == slots() {
            let before = waiting();
            let (tx, rx) = mpsc::channel();
            let report = std::thread::spawn(move || {
                let _slot = enter_any();
                tx.send(()).unwrap();
            });
            until(|| waiting() > before || report.is_finished());
            assert!(
                rx.try_recv().is_err(),
                "a report ran beside every slot's scan"
            );
            drop(threads);
            rx.recv().unwrap();
            report.join().unwrap();
        }
    }
}
