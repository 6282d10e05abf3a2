//! Entry points for coverage-guided fuzzing (`fuzz/`, cargo-fuzz): one
//! function per input parser, each taking the raw bytes a client could send
//! and running the real parsing and validation code, then the pure steps
//! that follow it (enrichment, classification, normalisation) — nothing that
//! reads or writes the store, the disk or the network. Each one panics when
//! an invariant the rest of the server relies on does not hold, so a fuzzer
//! reports it as a crash.
//!
//! Built only with the `fuzzing` feature (the fuzz crate turns it on) and in
//! the crate's own tests, which replay the committed corpus
//! (`fuzz/corpus/<target>/`) through [`TARGETS`]. How to run them:
//! `fuzz/README.md`.
//!
//! Inputs that carry more than a body have it on a first line: the Stripe
//! signature header, the Plausible export's file name, the Segment path's
//! call (`batch`, `track`, ...); [`tracker_request`] is a user agent, an
//! `X-Forwarded-For` and an `X-Real-IP` on three lines.

mod api;
mod files;
mod ingest;

#[cfg(test)]
mod corpus_tests;

pub use api::{stats_v1_filters, stats_v2_query, stripe_webhook};
pub use files::{plausible_import, spend_csv};
pub use ingest::{segment_batch, tracker_event, tracker_request};

use crate::domain::text::{self, Field, MAX_TEXT_BYTES};

/// A target: it takes any bytes and panics only on a bug.
pub type Target = fn(&[u8]);

/// Every target by its name in `fuzz/fuzz_targets/`.
pub const TARGETS: [(&str, Target); 8] = [
    ("tracker_event", tracker_event),
    ("tracker_request", tracker_request),
    ("stats_v1_filters", stats_v1_filters),
    ("stats_v2_query", stats_v2_query),
    ("stripe_webhook", stripe_webhook),
    ("plausible_import", plausible_import),
    ("spend_csv", spend_csv),
    ("segment_batch", segment_batch),
];

/// The server's "now" in every target: 2024-06-15T12:00:00Z, so the same
/// input always takes the same path.
const NOW_MS: u64 = 1_718_452_800_000;

/// The first line of `data` and the rest.
fn first_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Checks a text as stored: nothing in it that redaction would still change
/// (an email, phone or card number survived), and within the length bound.
fn assert_stored(what: &str, s: &str) {
    assert!(s.len() <= MAX_TEXT_BYTES, "{what} is {} bytes", s.len());
    assert_eq!(text::redact(s), s, "{what} still holds personal data");
}

/// Normalises `raw` as a text of `field` and checks the result as stored;
/// a text that is not decoded (names, properties) is then as it stays:
/// normalising it again changes nothing.
fn stored(field: Field, raw: &str) -> String {
    let s = text::normalise(field, raw);
    assert_stored(&format!("{field:?}"), &s);
    if matches!(field, Field::Name | Field::PropKey | Field::PropValue) {
        assert_eq!(text::normalise(field, &s), s, "{field:?} normalised twice");
    }
    s
}
