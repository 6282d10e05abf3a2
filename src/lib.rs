//! Touchpoint: self-hosted, privacy-first web analytics and marketing attribution.

pub mod api;
pub mod attribution;
pub mod auth;
pub mod backup_schedule;
pub mod body_timeout;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connection_limit;
pub mod dashboard;
pub mod domain;
pub mod exchange;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod geo;
pub mod health;
pub mod hooks;
pub mod ingest;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod ops;
pub mod privacy;
pub mod security_headers;
pub mod segment;
pub mod sites;
pub mod startup;
pub mod static_file;
pub mod stats;
pub mod store;
pub mod telemetry;
#[cfg(test)]
mod test_rng;
pub mod tracker;
pub mod webhooks;
