//! `cargo fuzz run safetensors`: see `webtune::untrusted::safetensors` for what the input is.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| webtune::untrusted::safetensors(data));
