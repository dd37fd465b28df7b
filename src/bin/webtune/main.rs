//! `webtune`: the native command line over the same engine the browser runs.
//!
//! `webtune embed --model DIR [--normalize] [--backend cpu|wgpu|auto]` reads one text per line on
//! stdin and prints one JSON array per line.

#[cfg(not(target_arch = "wasm32"))]
mod args;
#[cfg(not(target_arch = "wasm32"))]
mod cli;
#[cfg(not(target_arch = "wasm32"))]
mod process;
#[cfg(not(target_arch = "wasm32"))]
mod progress;
#[cfg(not(target_arch = "wasm32"))]
mod train;
#[cfg(not(target_arch = "wasm32"))]
mod train_embedding;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    process::keep_freed_memory();
    process::on_the_cpu_pool(cli::main)
}

/// The CLI is native only; a wasm build of the crate's targets gets an empty binary.
#[cfg(target_arch = "wasm32")]
fn main() {}
