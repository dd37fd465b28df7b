//! `webtune train`: the training request from the flags, `auto`'s trial of both devices, the one
//! training job (`webtune::job`), then the model folder and `metrics.json`.

use std::collections::BTreeMap;

use serde_json::json;
use web_time::Instant;
use webtune::Result;
use webtune::backend::{self, Backend, BackendKind};
use webtune::data::{LabelSet, Task};
use webtune::engine::{Engine, ModelFiles};
use webtune::export::{self, ExportMeta};
use webtune::job::{self, CheckpointStore, DataFile};
use webtune::model::Head;
use webtune::train::{Mode, trial};

use crate::args::TrainArgs;
use crate::cli::{import_classifier, init_backend, io_err, is_exported, load_engine, read_file};
use crate::progress::{CliHost, describe_step_cost, peak_rss_bytes};

/// A run's checkpoint as a file in the `--checkpoint-dir` folder, replaced atomically (written
/// beside it, then renamed) so a crash while saving leaves the previous one whole.
struct FileStore {
    path: std::path::PathBuf,
}

impl FileStore {
    fn new(dir: &std::path::Path) -> Self {
        FileStore {
            path: dir.join("checkpoint.safetensors"),
        }
    }

    /// The kept checkpoint, if there is one.
    fn read(&self) -> Result<Option<Vec<u8>>> {
        if !self.path.exists() {
            eprintln!(
                "webtune: no checkpoint at {}: starting from the beginning",
                self.path.display()
            );
            return Ok(None);
        }
        read_file(&self.path).map(Some)
    }

    /// Deletes the checkpoint of a finished run.
    fn remove(&self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io_err(&self.path.display().to_string())(e))
            }
            _ => Ok(()),
        }
    }
}

impl CheckpointStore for FileStore {
    fn save(&mut self, bytes: &[u8], _: &webtune::train::checkpoint::CheckpointMeta) -> Result<()> {
        let name = self.path.display().to_string();
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err(&dir.display().to_string()))?;
        }
        let partial = self.path.with_extension("safetensors.partial");
        std::fs::write(&partial, bytes).map_err(io_err(&name))?;
        std::fs::rename(&partial, &self.path).map_err(io_err(&name))
    }

    fn place(&self) -> String {
        self.path.display().to_string()
    }
}

pub fn train(args: &TrainArgs) -> Result<()> {
    let mut request = args.request();
    request.validate()?;
    if request.settings.mode == Mode::Embedding {
        if args.checkpoint_dir.is_some() {
            return Err(webtune::Error::Invalid(
                "--checkpoint-dir: checkpoints are kept by classify runs without --search; this is embedding mode".into(),
            ));
        }
        return crate::train_embedding::train_embedding(args, &request);
    }
    let mut backend = init_backend(&args.backend)?;
    // `auto` where it can go either way (`backend::decide`): the model goes on both devices and a
    // trial of the run's own steps decides (below, once the data is read).
    let mut other = match (backend.info.trial, backend.info.backend) {
        (false, _) => None,
        (true, BackendKind::Wgpu) => Some(backend::cpu("")),
        (true, BackendKind::Cpu) => Some(backend::native_gpu()?),
    };

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
    // `auto`'s trial has no GPU candidate when a weight of the model does not fit the adapter.
    let fits = |b: &Backend| match &source {
        Source::Exported(files) => backend::check_archive_fits(files, &b.info),
        Source::Base(files) => backend::check_config_fits(&files.config, &b.info),
    };
    let gpu = [Some(&backend), other.as_ref()]
        .into_iter()
        .flatten()
        .find(|b| b.info.backend == BackendKind::Wgpu);
    if let Some(e) = gpu
        .filter(|_| backend.info.trial)
        .and_then(|gpu| fits(gpu).err())
    {
        backend = backend::cpu(format!("auto: {}", e.message()));
        other = None;
        eprintln!("webtune: backend {}", backend.info.describe());
    }
    type Loaded = (Engine, Option<Head>, Option<(LabelSet, Task, bool)>);
    let load = |b: &Backend| -> Result<Loaded> {
        match &source {
            Source::Exported(files) => {
                let c = import_classifier(files, b)?;
                Ok((c.engine, Some(c.head), Some((c.labels, c.task, c.pairs))))
            }
            Source::Base(files) => Ok((load_engine(files, b, args.max_len)?, None, None)),
        }
    };
    let (mut base, mut head, continued) = load(&backend)?;
    let fixed_labels = continued.as_ref().map(|c| c.0.clone());
    if let Some((labels, task, pairs)) = &continued {
        eprintln!(
            "webtune: continuing from {} ({}, {} output{}{})",
            args.model.display(),
            webtune::job::describe_task(*task),
            head.as_ref().map_or(0, |h| h.num_labels()),
            if labels.len() == 1 { "" } else { "s" },
            if *pairs { ", pairs of texts" } else { "" }
        );
        if request.data.task.is_some_and(|t| t != *task) {
            return Err(webtune::Error::Invalid(format!(
                "the model does {}: it cannot continue as --task {}",
                webtune::job::describe_task(*task),
                request.data.task.unwrap_or_default()
            )));
        }
        request.data.task = Some(*task);
        if !pairs {
            request
                .data
                .text_pair_column
                .get_or_insert_with(String::new);
        }
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
        "webtune: {}: {} examples ({} format, text column \"{}\"{}, label column \"{}\"; {})",
        f.name,
        f.rows,
        f.format,
        f.text_column,
        f.pair_column
            .as_ref()
            .map(|p| format!(" paired with \"{p}\""))
            .unwrap_or_default(),
        f.label_column,
        webtune::job::describe_task(f.task)
    );
    let (train_set, config) = (&job.train, &job.config);

    if let Some(other) = other {
        let (other_base, other_head, _) = load(&other)?;
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

    let mut host = CliHost::new(args.quiet);
    let started = Instant::now();
    let mut store = args.checkpoint_dir.as_deref().map(FileStore::new);
    let resume_bytes = match (&store, args.resume) {
        (Some(store), true) => store.read()?,
        _ => None,
    };
    let resume_name = store.as_ref().map(|s| s.place()).unwrap_or_default();
    let checkpoints = store.as_mut().map(|store| job::Checkpoints {
        store,
        limit_bytes: args.checkpoint_limit_mb << 20,
        resume: resume_bytes.as_deref().map(|b| (b, resume_name.as_str())),
    });
    let trained = pollster::block_on(job::run_with_checkpoints(
        &base,
        head,
        &job,
        &mut host,
        checkpoints,
    ))?;
    if let Some(store) = &store
        && !trained.outcome.cancelled
    {
        store.remove()?;
    }
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
