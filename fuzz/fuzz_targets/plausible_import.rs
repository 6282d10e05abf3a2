//! [`touchpoint::fuzzing::plausible_import`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| touchpoint::fuzzing::plausible_import(data));
