//! The subcommands' entry point: `embed`, `eval` and `predict` here, `train` in `train.rs`; the
//! helpers they share (backend, files, stdin).

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;
use webtune::backend::{self, Backend};
use webtune::classifier::Classifier;
use webtune::data::{Dataset, Task};
use webtune::engine::{BatchLimits, Engine, ModelFiles};
use webtune::export;
use webtune::job::DataColumns;
use webtune::similarity;
use webtune::tokenize::DEFAULT_MAX_LEN;
use webtune::{Error, Result};

use crate::args::{BackendArgs, Cli, Command, DataArgs};

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

pub fn io_err(what: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Io(format!("{what}: {e}"))
}

pub fn init_backend(args: &BackendArgs) -> Result<Backend> {
    let b = backend::init_native(args.backend)?;
    eprintln!("webtune: backend {}", b.info.describe());
    Ok(b)
}

fn stdin_lines() -> Result<Vec<String>> {
    std::io::stdin()
        .lock()
        .lines()
        .collect::<std::io::Result<_>>()
        .map_err(io_err("stdin"))
}

pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(io_err(&path.display().to_string()))
}

/// A labelled file read as `model` reads examples (its task, its labels, pairs or single
/// texts), every problem with its line.
fn labelled(
    path: &Path,
    columns: &DataArgs,
    model: &Classifier,
    trained_on: Option<&DataColumns>,
) -> Result<Dataset> {
    let name = path.display().to_string();
    let bytes = read_file(path)?;
    let mut options = columns.options();
    // The columns the model was trained on, where this file's header has them (flags decide).
    if let Some(trained_on) = trained_on {
        options = options.with_columns_of(trained_on, &bytes, &name);
    }
    options.task = Some(model.task);
    if !model.pairs {
        options.text_pair_column = Some(String::new());
    }
    let parsed = options.parse(&bytes, &name)?;
    if model.pairs && parsed.pair_column.is_none() && parsed.problems.is_empty() {
        return Err(Error::Invalid(format!(
            "{name}: the model reads pairs of texts, and no column holds the second text (name it with --text-pair-col)"
        )));
    }
    Ok(parsed.into_dataset_with(&model.labels)?)
}

pub fn is_exported(dir: &Path) -> bool {
    dir.join(export::layout::DENSE_WEIGHTS).exists()
        || dir.join(export::layout::NORMALIZED_DENSE_WEIGHTS).exists()
}

fn load_classifier(dir: &Path, backend: &BackendArgs) -> Result<(Backend, Classifier)> {
    let b = init_backend(backend)?;
    let c = import_classifier(&export::read_dir(dir)?, &b)?;
    Ok((b, c))
}

/// A base model on `b`, refused before anything is uploaded when a weight does not fit one
/// buffer binding of the GPU adapter (`backend::check_model_fits`, as in the browser).
pub fn load_engine(files: &ModelFiles, b: &Backend, max_len: usize) -> Result<Engine> {
    backend::check_config_fits(&files.config, &b.info)?;
    Engine::load(files, &b.device, max_len)
}

/// An exported classifier's files on `b`, checked as [`load_engine`] checks a base model.
pub fn import_classifier(files: &BTreeMap<String, Vec<u8>>, b: &Backend) -> Result<Classifier> {
    backend::check_archive_fits(files, &b.info)?;
    export::import(files, &b.device)
}

/// The token limit a sentence-transformers folder declares (`sentence_bert_config.json`), which
/// its embeddings were computed with.
fn saved_max_len(dir: &Path) -> Option<usize> {
    let bytes = std::fs::read(dir.join(export::layout::SBERT_CONFIG)).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v.get("max_seq_length")?.as_u64().map(|n| n as usize)
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Embed {
            model,
            normalize,
            backend,
            max_len,
            batch,
        } => {
            let backend = init_backend(&backend)?;
            let max_len = max_len
                .or_else(|| saved_max_len(&model))
                .unwrap_or(DEFAULT_MAX_LEN);
            let engine = load_engine(&ModelFiles::read_dir(&model)?, &backend, max_len)?;
            // A model whose modules end in Normalize (an embedding model webtune or
            // sentence-transformers wrote so) gives unit vectors, as `encode` does.
            let normalize = normalize
                || std::fs::read(model.join(export::layout::MODULES))
                    .is_ok_and(|m| export::layout::ends_in_normalize(&m));
            let texts = stdin_lines()?;
            let limits = BatchLimits::with_max_batch(batch);
            let embeddings = pollster::block_on(engine.embed(&texts, normalize, limits))?;
            let mut out = BufWriter::new(std::io::stdout().lock());
            for e in embeddings {
                serde_json::to_writer(&mut out, &e)
                    .map_err(|e| Error::Io(format!("stdout: {e}")))?;
                writeln!(out).map_err(io_err("stdout"))?;
            }
            out.flush().map_err(io_err("stdout"))
        }
        Command::Train(args) => crate::train::train(&args),
        Command::Eval {
            model,
            data,
            columns,
            backend,
        } => {
            let json = if is_exported(&model) {
                let (_, c) = load_classifier(&model, &backend)?;
                let trained_on = std::fs::read(model.join(export::layout::WEBTUNE))
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .and_then(|w| DataColumns::of_webtune_json(&w));
                let set = labelled(&data, &columns, &c, trained_on.as_ref())?;
                serde_json::to_value(pollster::block_on(c.evaluate(&set, BatchLimits::DEFAULT))?)
            } else {
                let b = init_backend(&backend)?;
                let max_len = saved_max_len(&model).unwrap_or(DEFAULT_MAX_LEN);
                let engine = load_engine(&ModelFiles::read_dir(&model)?, &b, max_len)?;
                let name = data.display().to_string();
                let set = columns.options().parse_pairs(&read_file(&data)?, &name)?;
                let m =
                    pollster::block_on(similarity::evaluate(&engine, &set, BatchLimits::DEFAULT))?;
                serde_json::to_value(m)
            };
            let text = json
                .and_then(|j| serde_json::to_string_pretty(&j))
                .map_err(|e| Error::Io(format!("stdout: {e}")))?;
            // A closed pipe (`| head`) is an error to report, not a panic.
            writeln!(std::io::stdout().lock(), "{text}").map_err(io_err("stdout"))
        }
        Command::Predict { model, backend } => {
            let (_, c) = load_classifier(&model, &backend)?;
            let lines = stdin_lines()?;
            let predictions = if c.pairs {
                let mut first = Vec::with_capacity(lines.len());
                let mut second = Vec::with_capacity(lines.len());
                for (i, line) in lines.iter().enumerate() {
                    let Some((a, b)) = line.split_once('\t') else {
                        return Err(Error::Invalid(format!(
                            "stdin line {}: the model reads pairs of texts: write the two texts separated by a tab",
                            i + 1
                        )));
                    };
                    first.push(a.to_string());
                    second.push(b.to_string());
                }
                pollster::block_on(c.predict_pairs(&first, &second, BatchLimits::DEFAULT))?
            } else {
                pollster::block_on(c.predict(&lines, BatchLimits::DEFAULT))?
            };
            let mut out = BufWriter::new(std::io::stdout().lock());
            for p in predictions {
                let probs: BTreeMap<&str, f32> = c
                    .labels
                    .names()
                    .iter()
                    .map(String::as_str)
                    .zip(p.probabilities.iter().copied())
                    .collect();
                let line = match c.task {
                    Task::Single => {
                        json!({"label": p.label, "probabilities": probs, "logits": p.logits})
                    }
                    Task::Multi => {
                        json!({"labels": p.labels, "probabilities": probs, "logits": p.logits})
                    }
                    Task::Regression => json!({"score": p.score}),
                };
                writeln!(out, "{line}").map_err(io_err("stdout"))?;
            }
            out.flush().map_err(io_err("stdout"))
        }
    }
}
