//! `cargo fuzz run checkpoint`: see `webtune::untrusted::checkpoint` for what the input is.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| webtune::untrusted::checkpoint(data));
