//! Data in and out in other tools' formats: Plausible's CSV export
//! ([`export`]) and import ([`import`]) of daily aggregates, and a site's
//! raw events ([`raw`]).

mod archive;
pub mod export;
pub mod import;
pub mod raw;

/// The ten tables of Plausible's export (domain vocabulary, shared with reports).
pub use crate::domain::imported as tables;
