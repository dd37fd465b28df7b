//! `cargo fuzz run config`: see `webtune::untrusted::config` for what the input is.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| webtune::untrusted::config(data));
