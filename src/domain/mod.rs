//! Validated domain values. Once parsed, a value is valid everywhere downstream.

pub mod calendar;
mod site;

pub use site::{Domain, DomainError, SiteId, Timezone};
