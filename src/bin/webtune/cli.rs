//! Argument parsing and the subcommands.

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use burn::prelude::Device;
use clap::{Args, Parser, Subcommand};
use serde_json::json;
use web_time::Instant;
use webtune::backend::{self, Backend, BackendChoice, BackendKind};
use webtune::classifier::Classifier;
use webtune::data::{Dataset, LabelSet};
use webtune::engine::{BatchLimits, Engine, ModelFiles};
use webtune::export::{self, ExportMeta};
use webtune::job::{self, DataFile, DataOptions, TrainRequest};
use webtune::model::Head;
use webtune::tokenize::DEFAULT_MAX_LEN;
use webtune::train::{
    ClassWeighting, HeadInit, Progress, Schedule, Strategy, TrainConfig, TrainHost, trial,
};
use webtune::{Error, Result};

#[derive(Parser)]
#[command(
    name = "webtune",
    version,
    about = "Fine-tune and run BERT-family text classifiers with burn (CPU or wgpu)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct BackendArgs {
    /// cpu, wgpu, or auto: for `train`, the faster of wgpu and the CPU on a trial of the run's
    /// own first steps (any wgpu adapter, software too); elsewhere wgpu on a hardware GPU, else cpu.
    #[arg(long, default_value = "cpu")]
    backend: BackendChoice,
}

#[derive(Args, Clone)]
struct DataArgs {
    /// Text column: header name or 1-based number (detected when omitted).
    #[arg(long)]
    text_col: Option<String>,
    /// Label column: header name or 1-based number (detected when omitted).
    #[arg(long)]
    label_col: Option<String>,
    /// csv, tsv, jsonl or txt (label<TAB>text); from the extension or the content when omitted.
    #[arg(long)]
    format: Option<String>,
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
        #[command(flatten)]
        backend: BackendArgs,
        /// Truncate texts to this many tokens.
        #[arg(long, default_value_t = DEFAULT_MAX_LEN)]
        max_len: usize,
        /// Texts per forward pass.
        #[arg(long, default_value_t = 64)]
        batch: usize,
    },
    /// Fine-tune a classifier and write it (sentence-transformers layout) with metrics.json.
    Train(Box<TrainArgs>),
    /// Evaluate a fine-tuned model on a labelled file: JSON with accuracy, macro_f1, per-class
    /// metrics and the confusion matrix.
    Eval {
        /// A model folder written by `webtune train`.
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        columns: DataArgs,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Predict: one text per line on stdin, one JSON line per text on stdout with the label, the
    /// class probabilities and the logits (in label order).
    Predict {
        #[arg(long)]
        model: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
}

#[derive(Args)]
struct TrainArgs {
    /// A base model folder (config.json, tokenizer.json, model.safetensors), or a model written
    /// by `webtune train` to continue training it.
    #[arg(long)]
    model: PathBuf,
    /// Training data (CSV, TSV, JSONL or label<TAB>text).
    #[arg(long)]
    data: PathBuf,
    /// Validation data; without it a stratified part of --data is held out.
    #[arg(long)]
    valid: Option<PathBuf>,
    #[command(flatten)]
    columns: DataArgs,
    /// auto (by the data's size: logreg below 32 examples a class, last2 below 1,000 examples,
    /// else full), logreg (a logistic regression on frozen embeddings, fitted exactly), head,
    /// lastK (e.g. last2), full, or lora[R][-lastK][-ffn] (e.g. lora8, lora8-last2-ffn).
    #[arg(long, default_value = "auto")]
    strategy: Strategy,
    /// Epochs (default: from a budget of at least 70 optimiser steps, 4 epochs while under 3,000
    /// steps, at most 30 epochs).
    #[arg(long)]
    epochs: Option<usize>,
    #[arg(long, default_value_t = 32)]
    batch: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Peak learning rate of the head (default: 3e-3 for head, else 1e-3).
    #[arg(long)]
    lr_head: Option<f64>,
    /// Peak learning rate of the encoder (default: 5e-5 for lastK, 2e-5 for full, 5e-4 for LoRA).
    #[arg(long)]
    lr_encoder: Option<f64>,
    /// linear (warm-up then decay) or constant.
    #[arg(long, default_value = "linear")]
    schedule: Schedule,
    /// Fraction of steps spent warming up.
    #[arg(long, default_value_t = 0.1)]
    warmup: f64,
    #[arg(long, default_value_t = 0.01)]
    weight_decay: f64,
    /// Global gradient-norm clip; 0 disables clipping.
    #[arg(long, default_value_t = 1.0)]
    max_grad_norm: f64,
    /// Fraction of --data held out for validation when --valid is not given (at least 8 examples
    /// a class, at most a quarter of one; 0 holds nothing out).
    #[arg(long, default_value_t = 0.15)]
    valid_fraction: f64,
    /// Stop after this many epochs without a better validation macro-F1; 0 never stops early
    /// (default: a quarter of the epochs, at least 2, never before a third of them).
    #[arg(long)]
    patience: Option<usize>,
    /// How a new head starts when the encoder trains: fitted (at a logistic regression on the
    /// frozen embeddings), random, or auto (fitted below 1,000 examples, random from there).
    #[arg(long, default_value = "auto")]
    head_init: HeadInit,
    /// Try a few configurations (strategies, learning rates, epochs) on the validation data,
    /// print the table of trials and keep the best (for a few hundred rows or more: on fewer,
    /// a held-out split ranks them by noise and the defaults do better).
    #[arg(long)]
    search: bool,
    /// auto (balanced when the largest class is more than 3× the smallest), none or balanced.
    #[arg(long, default_value = "auto")]
    class_weights: ClassWeighting,
    #[arg(long, default_value_t = DEFAULT_MAX_LEN)]
    max_len: usize,
    /// Run the frozen layers every step instead of caching their output.
    #[arg(long)]
    no_cache: bool,
    /// Largest frozen-feature cache, MB.
    #[arg(long)]
    cache_limit_mb: Option<u64>,
    /// Disable dropout (exactly reproducible runs).
    #[arg(long)]
    no_dropout: bool,
    /// Also write LoRA adapters alone (PEFT layout) under OUT/adapter/.
    #[arg(long)]
    lora_adapter: bool,
    /// Output folder for the model; metrics.json goes beside its files.
    #[arg(long)]
    out: PathBuf,
    /// Print only epoch summaries.
    #[arg(long)]
    quiet: bool,
    #[command(flatten)]
    backend: BackendArgs,
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

fn io_err(what: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Io(format!("{what}: {e}"))
}

fn init_backend(args: &BackendArgs) -> Result<Backend> {
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

impl DataArgs {
    fn options(&self) -> DataOptions {
        DataOptions {
            format: self.format.clone(),
            text_column: self.text_col.clone(),
            label_column: self.label_col.clone(),
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(io_err(&path.display().to_string()))
}

/// A labelled file whose labels must be `labels` (a model's), every problem with its line.
fn labelled(path: &Path, columns: &DataArgs, labels: &LabelSet) -> Result<Dataset> {
    let name = path.display().to_string();
    Ok(columns
        .options()
        .parse(&read_file(path)?, &name)?
        .into_dataset_with(labels)?)
}

/// A folder's own name (`all-MiniLM-L6-v2`), as the record names the base model.
fn folder_name(path: &Path) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

impl TrainArgs {
    /// The flags as the one training request every front end sends.
    fn request(&self) -> TrainRequest {
        TrainRequest {
            data: self.columns.options(),
            settings: TrainConfig {
                strategy: self.strategy,
                epochs: self.epochs,
                batch_size: self.batch,
                lr_head: self.lr_head,
                lr_encoder: self.lr_encoder,
                weight_decay: self.weight_decay,
                schedule: self.schedule,
                warmup_fraction: self.warmup,
                max_grad_norm: (self.max_grad_norm > 0.0).then_some(self.max_grad_norm),
                seed: self.seed,
                valid_fraction: self.valid_fraction,
                patience: self.patience,
                class_weighting: self.class_weights,
                max_len: self.max_len,
                cache: !self.no_cache,
                cache_limit_bytes: self.cache_limit_mb.map(|mb| mb * 1_000_000),
                dropout: !self.no_dropout,
                head_init: self.head_init,
                search: self.search,
                notes: Vec::new(),
            },
            base_model: Some(folder_name(&self.model)),
            unknown: Default::default(),
        }
    }
}

fn is_exported(dir: &Path) -> bool {
    dir.join(export::layout::DENSE_WEIGHTS).exists()
        || dir.join(export::layout::NORMALIZED_DENSE_WEIGHTS).exists()
}

/// Prints progress to stderr and turns Ctrl-C into a clean stop.
struct CliHost {
    quiet: bool,
    stop: Arc<AtomicBool>,
    last_print: Instant,
    cache_started: Option<Instant>,
    cache_seconds: f64,
    /// `(step, resident bytes)` every 25 steps: memory must stay flat across steps.
    rss_samples: Vec<(usize, u64)>,
}

impl TrainHost for CliHost {
    fn progress(&mut self, event: &Progress) {
        match event {
            Progress::Started {
                strategy,
                train_examples,
                valid_examples,
                total_steps,
                trainable_params,
                total_params,
                cache,
                class_weights,
                plan,
                ..
            } => {
                eprintln!(
                    "webtune: {strategy}: {train_examples} training / {valid_examples} validation examples, {total_steps} steps; {trainable_params} of {total_params} parameters train"
                );
                for line in &plan.summary {
                    eprintln!("webtune: plan: {line}");
                }
                if let Some(w) = class_weights {
                    eprintln!("webtune: class weights {w:?}");
                }
                match &cache.reason {
                    None => eprintln!(
                        "webtune: caching {} ({:.1} MB)",
                        cache.what,
                        cache.bytes as f64 / 1e6
                    ),
                    Some(r) => eprintln!("webtune: no cache: {r}"),
                }
            }
            Progress::Caching { done, total } => {
                let started = *self.cache_started.get_or_insert_with(Instant::now);
                if done == total {
                    self.cache_seconds = started.elapsed().as_secs_f64();
                    eprintln!("webtune: cache filled in {:.2}s", self.cache_seconds);
                }
            }
            Progress::Step {
                step,
                total_steps,
                epoch,
                loss,
                examples_per_sec,
                eta_seconds,
                ..
            } => {
                if step % 25 == 0
                    && let Some(rss) = rss_bytes()
                {
                    self.rss_samples.push((*step, rss));
                }
                if !self.quiet
                    && (self.last_print.elapsed().as_secs_f64() >= 2.0 || step == total_steps)
                {
                    self.last_print = Instant::now();
                    eprintln!(
                        "webtune: epoch {epoch} step {step}/{total_steps} loss {loss:.4} {examples_per_sec:.0} ex/s ETA {eta_seconds:.0}s"
                    );
                }
            }
            Progress::Epoch(r) => {
                let valid = r
                    .valid
                    .as_ref()
                    .map(|m| {
                        format!(
                            " valid loss {:.4} acc {:.2}% macro-F1 {:.4}",
                            m.loss.unwrap_or(f64::NAN),
                            100.0 * m.accuracy,
                            m.macro_f1
                        )
                    })
                    .unwrap_or_default();
                // A logistic regression has no mini-batch loss: it is fitted to its optimum.
                let train = if r.train_loss.is_nan() {
                    "fitted".to_string()
                } else {
                    format!("train loss {:.4}", r.train_loss)
                };
                eprintln!(
                    "webtune: epoch {} {train}{valid} (training {:.2}s, {:.0} ex/s; with validation {:.2}s){}",
                    r.epoch,
                    r.train_seconds,
                    r.examples_per_sec,
                    r.seconds,
                    if r.best { " *" } else { "" }
                );
            }
            Progress::Trial {
                index,
                total,
                trial,
            } => {
                eprintln!(
                    "webtune: search trial {index}/{total}: {} → validation accuracy {:.2}% macro-F1 {:.4} (best epoch {:?}, {:.1}s)",
                    trial.settings,
                    100.0 * trial.valid_accuracy,
                    trial.valid_macro_f1,
                    trial.best_epoch,
                    trial.seconds
                );
            }
            Progress::Finished {
                cancelled,
                stopped_early,
                best_epoch,
                seconds,
                ..
            } => {
                let how = if *cancelled {
                    "stopped by the user"
                } else if *stopped_early {
                    "stopped early"
                } else {
                    "finished"
                };
                eprintln!("webtune: {how} after {seconds:.1}s; best epoch {best_epoch:?}");
            }
        }
    }

    fn cancelled(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

fn train(args: &TrainArgs) -> Result<()> {
    let mut backend = init_backend(&args.backend)?;
    // `auto` where it can go either way (`backend::decide`): the model goes on both devices and a
    // trial of the run's own steps decides (below, once the data is read).
    let other = match (backend.info.trial, backend.info.backend) {
        (false, _) => None,
        (true, BackendKind::Wgpu) => Some(backend::cpu("")),
        (true, BackendKind::Cpu) => Some(backend::native_gpu()?),
    };
    let request = args.request();
    request.validate()?;

    // Base model, or a previous webtune model to continue: read once, loaded onto each device
    // that needs it (two for `auto`'s trial).
    enum Source {
        Base(ModelFiles),
        Exported(BTreeMap<String, Vec<u8>>),
    }
    let source = if is_exported(&args.model) {
        Source::Exported(export::read_dir(&args.model)?)
    } else {
        Source::Base(ModelFiles::read_dir(&args.model)?)
    };
    let load = |device: &Device| -> Result<(Engine, Option<Head>, Option<LabelSet>)> {
        match &source {
            Source::Exported(files) => {
                let c = export::import(files, device)?;
                Ok((c.engine, Some(c.head), Some(c.labels)))
            }
            Source::Base(files) => Ok((Engine::load(files, device, args.max_len)?, None, None)),
        }
    };
    let (mut base, mut head, fixed_labels) = load(&backend.device)?;
    if let Some(labels) = &fixed_labels {
        eprintln!(
            "webtune: continuing from {} ({} labels)",
            args.model.display(),
            labels.len()
        );
    }

    let train_bytes = read_file(&args.data)?;
    let valid_bytes = args.valid.as_deref().map(read_file).transpose()?;
    let (train_name, valid_name) = (
        args.data.display().to_string(),
        args.valid.as_ref().map(|p| p.display().to_string()),
    );
    let job = request.prepare(
        DataFile {
            name: &train_name,
            bytes: &train_bytes,
        },
        valid_name
            .as_deref()
            .zip(valid_bytes.as_deref())
            .map(|(name, bytes)| DataFile { name, bytes }),
        fixed_labels.as_ref(),
    )?;
    let f = &job.file;
    eprintln!(
        "webtune: {}: {} examples ({} format, text column \"{}\", label column \"{}\")",
        f.name, f.rows, f.format, f.text_column, f.label_column
    );
    let (train_set, config) = (&job.train, &job.config);

    if let Some(other) = other {
        let (other_base, other_head, _) = load(&other.device)?;
        let here = (backend, base, head);
        let there = (other, other_base, other_head);
        let (cpu, gpu) = if here.0.info.backend == BackendKind::Cpu {
            (here, there)
        } else {
            (there, here)
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let api = gpu
            .0
            .info
            .adapter
            .as_ref()
            .map_or("wgpu", |a| a.api.as_str());
        let cpu_label = format!(
            "CPU {threads} thread{}",
            if threads == 1 { "" } else { "s" }
        );
        let gpu_label = format!("wgpu/{api}");
        let cpu_t = pollster::block_on(trial::time_steps(
            &cpu.1,
            train_set,
            config,
            BackendKind::Cpu,
            &cpu_label,
            None,
        ))?;
        // The GPU gets twice the CPU's whole trial (at least 2 s): past that it has lost.
        let gpu_t = pollster::block_on(trial::time_steps(
            &gpu.1,
            train_set,
            config,
            BackendKind::Wgpu,
            &gpu_label,
            Some((2.0 * cpu_t.seconds).max(2.0)),
        ))?;
        let choice = trial::choose(&gpu_t, &cpu_t);
        eprintln!(
            "webtune: backend trial ({:.1} s on the CPU, {:.1} s on {}): {}",
            cpu_t.seconds,
            gpu_t.seconds,
            gpu.0
                .info
                .adapter
                .as_ref()
                .map_or("the wgpu adapter", |a| a.name.as_str()),
            choice.reason
        );
        (backend, base, head) = if choice.backend == BackendKind::Wgpu {
            gpu
        } else {
            cpu
        };
        backend.info.reason = choice.reason;
        eprintln!("webtune: backend {}", backend.info.describe());
    }

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::Relaxed) {
                std::process::exit(130);
            }
            eprintln!("\nwebtune: stopping after this step (Ctrl-C again to quit now)");
        });
    }
    let mut host = CliHost {
        quiet: args.quiet,
        stop,
        last_print: Instant::now(),
        cache_started: None,
        cache_seconds: 0.0,
        rss_samples: Vec::new(),
    };
    let started = Instant::now();
    let trained = pollster::block_on(job::run(&base, head, &job, &mut host))?;
    let train_seconds = started.elapsed().as_secs_f64();
    let (classifier, outcome, training) = (trained.classifier, trained.outcome, trained.record);
    let meta = ExportMeta {
        training: Some(training.to_json()),
        adapter: args.lora_adapter,
    };
    let files = pollster::block_on(export::export(&classifier, &meta))?;
    export::write_dir(&files, &args.out)?;
    let epoch_seconds: Vec<f64> = outcome.epochs.iter().map(|e| e.train_seconds).collect();
    let metrics = json!({
        "labels": outcome.labels.names(),
        "training": training,
        "backend": backend.info,
        "cache": outcome.cache,
        "cache_seconds": host.cache_seconds,
        "epochs": outcome.epochs,
        "epoch_seconds": epoch_seconds,
        "train_seconds": train_seconds,
        "cancelled": outcome.cancelled,
        "stopped_early": outcome.stopped_early,
        "step_losses": outcome.step_losses,
        "peak_rss_bytes": peak_rss_bytes(),
        "rss_samples": host.rss_samples,
    });
    let path = args.out.join("metrics.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&metrics).expect("serialisable"),
    )
    .map_err(io_err(&path.display().to_string()))?;
    if let Some(cost) = &outcome.step_cost {
        eprintln!("webtune: {}", describe_step_cost(cost));
    }
    eprintln!("webtune: wrote {} and metrics.json", args.out.display());
    Ok(())
}

/// One line on what a training step cost the GPU.
fn describe_step_cost(c: &webtune::device_cost::StepCost) -> String {
    let fused = match c.operations_per_step {
        Some(ops) => format!(" for {ops:.0} recorded operations (fusion)"),
        None => " (no fusion)".into(),
    };
    let pool = c
        .pool_reserved_peak_bytes
        .map(|b| format!(", memory pool peak {:.0} MiB", b as f64 / (1 << 20) as f64))
        .unwrap_or_default();
    format!(
        "GPU per step ({} warm steps): {:.0} dispatches{fused}, {:.1} KiB to the \
         device, {:.0} B back{pool}",
        c.steps,
        c.dispatches_per_step,
        c.bytes_to_device_per_step / 1024.0,
        c.bytes_from_device_per_step,
    )
}

/// Resident memory of this process now (Linux `VmRSS`).
fn rss_bytes() -> Option<u64> {
    proc_status_kb("VmRSS:").map(|kb| kb * 1024)
}

fn proc_status_kb(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Peak resident memory of this process (Linux `VmHWM`), for the benchmark.
fn peak_rss_bytes() -> Option<u64> {
    proc_status_kb("VmHWM:").map(|kb| kb * 1024)
}

fn load_classifier(dir: &Path, backend: &BackendArgs) -> Result<(Backend, Classifier)> {
    let b = init_backend(backend)?;
    let c = export::import(&export::read_dir(dir)?, &b.device)?;
    Ok((b, c))
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
            let engine = Engine::load(&ModelFiles::read_dir(&model)?, &backend.device, max_len)?;
            let texts = stdin_lines()?;
            let limits = BatchLimits {
                max_batch: batch.max(1),
                ..BatchLimits::default()
            };
            let embeddings = pollster::block_on(engine.embed(&texts, normalize, limits))?;
            let mut out = BufWriter::new(std::io::stdout().lock());
            for e in embeddings {
                serde_json::to_writer(&mut out, &e)
                    .map_err(|e| Error::Io(format!("stdout: {e}")))?;
                writeln!(out).map_err(io_err("stdout"))?;
            }
            out.flush().map_err(io_err("stdout"))
        }
        Command::Train(args) => train(&args),
        Command::Eval {
            model,
            data,
            columns,
            backend,
        } => {
            let (_, c) = load_classifier(&model, &backend)?;
            let set = labelled(&data, &columns, &c.labels)?;
            let m = pollster::block_on(c.evaluate(&set, BatchLimits::default()))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&m).expect("serialisable")
            );
            Ok(())
        }
        Command::Predict { model, backend } => {
            let (_, c) = load_classifier(&model, &backend)?;
            let texts = stdin_lines()?;
            let predictions = pollster::block_on(c.predict(&texts, BatchLimits::default()))?;
            let mut out = BufWriter::new(std::io::stdout().lock());
            for p in predictions {
                let probs: BTreeMap<&str, f32> = c
                    .labels
                    .names()
                    .iter()
                    .map(String::as_str)
                    .zip(p.probabilities.iter().copied())
                    .collect();
                let line = json!({"label": p.label, "probabilities": probs, "logits": p.logits});
                writeln!(out, "{line}").map_err(io_err("stdout"))?;
            }
            out.flush().map_err(io_err("stdout"))
        }
    }
}
