//! Validated domain values. Once parsed, a value is valid everywhere downstream.
//! Also the vocabulary ingest, the store, stats and attribution share (codes
//! and names kept in stored rows), so the store needs nothing above it.

mod account;
pub mod attribution;
pub mod calendar;
pub mod channel;
mod consent;
pub mod device;
pub mod imported;
pub mod min_count;
pub mod money;
pub mod places;
pub mod redact;
pub mod scoring;
mod site;
pub mod spend;
pub mod text;
pub mod visit;
pub mod webhook;

pub use account::{Email, Role, UserId, WorkspaceId};
pub use consent::{ConsentMode, Decision, FormCapture, Mechanism};
pub use min_count::MinCount;
pub use site::{Domain, DomainError, SiteId, Timezone};
