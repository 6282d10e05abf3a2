//! From a browser request to a stored event: validate, enrich (pure), queue,
//! sessionize and commit in groups.

pub mod acquisition;
pub mod client_ip;
pub mod enrich;
pub mod identity;
pub mod interner;
pub mod payload;
pub mod queue;
pub mod session;
pub mod timed;
pub mod useragent;
pub mod visitor;
pub mod writer;
