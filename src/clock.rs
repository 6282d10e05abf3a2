//! Time source. Production reads the system clock; tests and benches set a
//! manual clock so a scenario can span days in milliseconds of real time.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

/// Where "now" comes from.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// A settable clock (unix ms).
    Manual(Arc<AtomicU64>),
}

impl Clock {
    /// A manual clock starting at `ms`.
    #[must_use]
    pub fn manual(ms: u64) -> Self {
        Self::Manual(Arc::new(AtomicU64::new(ms)))
    }

    /// Unix milliseconds now.
    #[must_use]
    pub fn now_ms(&self) -> u64 {
        match self {
            Self::System => u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0),
            Self::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Sets a manual clock; no effect on the system clock.
    pub fn set_ms(&self, ms: u64) {
        if let Self::Manual(t) = self {
            t.store(ms, Ordering::SeqCst);
        }
    }

    /// Moves a manual clock forward.
    pub fn advance_ms(&self, ms: u64) {
        if let Self::Manual(t) = self {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
}
