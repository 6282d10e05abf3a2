//! [`touchpoint::fuzzing::spend_csv`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| touchpoint::fuzzing::spend_csv(data));
