//! [`touchpoint::fuzzing::stats_v2_query`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| touchpoint::fuzzing::stats_v2_query(data));
