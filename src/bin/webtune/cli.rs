//! Argument parsing and the subcommands.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use webtune::backend::{self, BackendChoice};
use webtune::engine::{BatchLimits, Engine, ModelFiles};
use webtune::tokenize::DEFAULT_MAX_LEN;
use webtune::{Error, Result};

#[derive(Parser)]
#[command(name = "webtune", version, about = "Fine-tune and run BERT-family text models with burn (CPU or wgpu)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Embed texts: one text per line on stdin, one JSON array per line on stdout.
    Embed {
        /// Folder with config.json, tokenizer.json and model.safetensors.
        #[arg(long)]
        model: PathBuf,
        /// Print L2-normalised embeddings (what sentence-transformers' Normalize module gives).
        #[arg(long)]
        normalize: bool,
        /// cpu, wgpu, or auto (wgpu on a hardware GPU, else cpu).
        #[arg(long, default_value = "cpu")]
        backend: String,
        /// Truncate texts to this many tokens.
        #[arg(long, default_value_t = DEFAULT_MAX_LEN)]
        max_len: usize,
        /// Texts per forward pass.
        #[arg(long, default_value_t = 64)]
        batch: usize,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("webtune: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Embed { model, normalize, backend, max_len, batch } => {
            let backend = backend::init_native(backend.parse::<BackendChoice>()?)?;
            eprintln!("webtune: backend {}", backend.info.describe());
            let engine = Engine::load(&ModelFiles::read_dir(&model)?, &backend.device, max_len)?;
            let texts: Vec<String> = std::io::stdin()
                .lock()
                .lines()
                .collect::<std::io::Result<_>>()
                .map_err(|e| Error::Io(format!("stdin: {e}")))?;
            let limits = BatchLimits { max_batch: batch.max(1), ..BatchLimits::default() };
            let embeddings = pollster::block_on(engine.embed(&texts, normalize, limits))?;
            let mut out = BufWriter::new(std::io::stdout().lock());
            for e in embeddings {
                serde_json::to_writer(&mut out, &e).map_err(|e| Error::Io(format!("stdout: {e}")))?;
                writeln!(out).map_err(|e| Error::Io(format!("stdout: {e}")))?;
            }
            out.flush().map_err(|e| Error::Io(format!("stdout: {e}")))?;
            Ok(())
        }
    }
}
