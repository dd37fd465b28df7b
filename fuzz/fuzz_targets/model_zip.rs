//! `cargo fuzz run model_zip`: see `webtune::untrusted::model_zip` for what the input is.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| webtune::untrusted::model_zip(data));
