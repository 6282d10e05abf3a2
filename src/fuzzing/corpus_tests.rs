//! The committed corpus (`fuzz/corpus/<target>/`), replayed through the
//! targets by every `cargo test`: a change that makes one of its inputs
//! panic fails here, without a fuzzer or a nightly compiler.

use std::path::Path;

use super::TARGETS;

/// Runs every input of `name`'s corpus through its target, on a thread
/// with the stack a fuzzer's main thread has and more: unoptimised, the
/// regex compiler needs more than a test thread's 2 MB for a pattern nested
/// as deep as it allows (optimised, as the server runs, 256 KB do).
fn replay(name: &str) {
    let name = name.to_owned();
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(move || replay_here(&name))
        .expect("a thread")
        .join()
        .expect("the replay passes");
}

fn replay_here(name: &str) {
    let (_, target) = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a target of that name");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(name);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut inputs = 0;
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| target(&data));
        assert!(outcome.is_ok(), "{name} fails on {}", path.display());
        inputs += 1;
    }
    assert!(inputs > 0, "{} holds no input", dir.display());
}

#[test]
fn the_tracker_event_corpus_passes() {
    replay("tracker_event");
}

#[test]
fn the_tracker_request_corpus_passes() {
    replay("tracker_request");
}

#[test]
fn the_stats_v1_filters_corpus_passes() {
    replay("stats_v1_filters");
}

#[test]
fn the_stats_v2_query_corpus_passes() {
    replay("stats_v2_query");
}

#[test]
fn the_stripe_webhook_corpus_passes() {
    replay("stripe_webhook");
}

#[test]
fn the_plausible_import_corpus_passes() {
    replay("plausible_import");
}

#[test]
fn the_spend_csv_corpus_passes() {
    replay("spend_csv");
}

#[test]
fn the_segment_batch_corpus_passes() {
    replay("segment_batch");
}

#[test]
fn the_fuzz_crate_has_a_file_for_every_target_and_no_other() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/fuzz_targets");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect();
    files.sort();
    let mut names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    assert_eq!(files, names);
}
