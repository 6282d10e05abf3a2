//! [`touchpoint::fuzzing::tracker_event`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| touchpoint::fuzzing::tracker_event(data));
