//! [`touchpoint::fuzzing::segment_batch`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| touchpoint::fuzzing::segment_batch(data));
