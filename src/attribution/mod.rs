//! Multi-touch attribution: which channels, sources and campaigns brought the
//! conversions and the revenue. Pure functions over journeys — a journey is
//! the touchpoints (the acquisition of each visit) of one conversion, or of a
//! path that did not convert — so they are easy to test and bench.
//!
//! Touchpoints carry an opaque [`Key`]: a channel code, an interned source or
//! campaign; the caller picks the dimension and maps keys to text.

pub mod goals;
pub mod lead_facts;
pub mod leads;
mod markov;
mod models;
pub mod report;
pub mod revenue;
pub mod scoring;
pub mod spend;

/// The models by name (a domain type: sites store a model's name).
pub use crate::domain::attribution::Model;
pub use models::attribute;

/// What a touchpoint is credited to (a channel code, an interned source...).
pub type Key = u32;

/// The key Markov credits the rarest keys to when there are too many to keep
/// apart (see `markov::MAX_KEYS`); reports show it as "(other)".
pub const OTHER: Key = u32::MAX;

/// One touchpoint: a visit's acquisition at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    /// What it is credited to.
    pub key: Key,
    /// When the visit started, unix ms.
    pub at_ms: u64,
}

/// The touchpoints before one conversion (or a path that didn't convert),
/// oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Journey {
    /// Touchpoints in time order.
    pub touches: Vec<Touch>,
    /// Conversions at its end (usually 1; 0 for a path that didn't convert,
    /// which only the Markov model uses).
    pub conversions: f64,
    /// Revenue of those conversions.
    pub value: f64,
    /// How many of those conversions made a new lead (for the cost per
    /// acquired lead).
    pub leads: f64,
    /// When it converted, unix ms (for time decay).
    pub converted_at_ms: u64,
}

impl Journey {
    /// A converting journey of one conversion.
    #[must_use]
    pub fn converted(touches: Vec<Touch>, value: f64, at_ms: u64) -> Self {
        Self {
            touches,
            conversions: 1.0,
            value,
            leads: 0.0,
            converted_at_ms: at_ms,
        }
    }

    /// A path that didn't convert.
    #[must_use]
    pub fn not_converted(touches: Vec<Touch>) -> Self {
        let at = touches.last().map_or(0, |t| t.at_ms);
        Self {
            touches,
            conversions: 0.0,
            value: 0.0,
            leads: 0.0,
            converted_at_ms: at,
        }
    }
}

/// Conversions and revenue credited to one key.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Credit {
    /// Conversions (fractional).
    pub conversions: f64,
    /// Revenue.
    pub value: f64,
    /// New leads (fractional).
    pub leads: f64,
}

impl Credit {
    fn add(&mut self, share: f64, j: &Journey) {
        self.conversions += share * j.conversions;
        self.value += share * j.value;
        self.leads += share * j.leads;
    }
}
