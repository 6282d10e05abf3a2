//! One integration test binary: the real server on a random port, a real redb
//! file in a temporary directory, real HTTP.

mod accounts;
mod attribution;
mod attribution_ui;
mod authz;
mod browser;
mod classification;
mod consent;
mod dashboard;
mod deletion;
mod engagement;
mod escaping;
mod funnel;
mod helpers;
mod ingest;
mod leads;
mod ops;
mod optout;
mod privacy;
mod process;
mod rekey;
mod retention;
mod revenue;
mod scenario;
mod sessions;
mod stats_api;
mod stats_batch;
mod stats_filters;
mod stats_v1;
mod stripe;
mod subject_requests;
mod tracker_consent_ui;
mod tracker_ui;
mod two_factor;
mod ui;
mod web;
