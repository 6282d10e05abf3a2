//! Validated domain values. Once parsed, a value is valid everywhere downstream.

mod account;
pub mod calendar;
mod consent;
pub mod money;
mod site;
pub mod text;

pub use account::{Email, Role, UserId, WorkspaceId};
pub use consent::{ConsentMode, FormCapture};
pub use site::{Domain, DomainError, SiteId, Timezone};
