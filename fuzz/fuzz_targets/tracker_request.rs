//! [`touchpoint::fuzzing::tracker_request`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| touchpoint::fuzzing::tracker_request(data));
