//! [`touchpoint::fuzzing::stats_v1_filters`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| touchpoint::fuzzing::stats_v1_filters(data));
