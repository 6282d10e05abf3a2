//! [`touchpoint::fuzzing::stripe_webhook`] under libFuzzer.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| touchpoint::fuzzing::stripe_webhook(data));
