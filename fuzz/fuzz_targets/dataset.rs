//! `cargo fuzz run dataset`: see `webtune::untrusted::dataset` for what the input is.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| webtune::untrusted::dataset(data));
