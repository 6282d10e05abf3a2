//! Validated domain values. Once parsed, a value is valid everywhere downstream.

mod account;
pub mod calendar;
mod site;

pub use account::{Email, Role, UserId, WorkspaceId};
pub use site::{Domain, DomainError, SiteId, Timezone};
