//! `webtune train --mode embedding`: a pair file (and optionally a validation pair file) through
//! the one embedding job (`webtune::job::run_embedding`), then the model folder — encoder, mean
//! pooling and `Normalize`, no head — and `metrics.json` with the scores before and after.

use serde_json::json;
use web_time::Instant;
use webtune::Result;
use webtune::engine::ModelFiles;
use webtune::export::{self, ExportMeta};
use webtune::job::{self, DataFile, TrainRequest};

use crate::args::TrainArgs;
use crate::cli::{init_backend, io_err, is_exported, load_engine, read_file};
use crate::progress::{CliHost, describe_similarity, peak_rss_bytes};

pub fn train_embedding(args: &TrainArgs, request: &TrainRequest) -> Result<()> {
    if is_exported(&args.model) {
        return Err(webtune::Error::Invalid(format!(
            "{} is a classifier (it has a Dense head): embedding mode tunes a sentence-embedding model (a base model folder, or one written by embedding mode)",
            args.model.display()
        )));
    }
    let backend = init_backend(&args.backend)?;
    let base = load_engine(&ModelFiles::read_dir(&args.model)?, &backend, args.max_len)?;
    let train_bytes = read_file(&args.data)?;
    let valid_bytes = args.valid.as_deref().map(read_file).transpose()?;
    let train_name = args.data.display().to_string();
    let valid_name = args.valid.as_ref().map(|p| p.display().to_string());
    let job = request.prepare_pairs(
        DataFile {
            name: &train_name,
            bytes: &train_bytes,
        },
        valid_name
            .as_deref()
            .zip(valid_bytes.as_deref())
            .map(|(name, bytes)| DataFile { name, bytes }),
    )?;
    eprintln!(
        "webtune: {}: {} {} pairs{}",
        train_name,
        job.train.len(),
        match job.train.kind {
            webtune::data::pairs::PairKind::Scored => "scored",
            webtune::data::pairs::PairKind::Pairs => "text",
        },
        job.valid
            .as_ref()
            .map(|v| format!(", {} validation pairs", v.len()))
            .unwrap_or_default()
    );
    let mut host = CliHost::new(args.quiet);
    let started = Instant::now();
    let trained = pollster::block_on(job::run_embedding(&base, &job, &mut host))?;
    let train_seconds = started.elapsed().as_secs_f64();
    let meta = ExportMeta {
        training: Some(serde_json::to_value(&trained.record).unwrap_or_default()),
        adapter: args.lora_adapter,
    };
    let files = pollster::block_on(export::export_embedding(
        &trained.engine,
        trained.normalize,
        &meta,
    ))?;
    export::write_dir(&files, &args.out)?;
    if let (Some(b), Some(a)) = (&trained.record.before, &trained.record.after) {
        eprintln!(
            "webtune: validation before: {}; after: {}",
            describe_similarity(b),
            describe_similarity(a)
        );
    }
    let metrics = json!({
        "training": trained.record,
        "backend": backend.info,
        "cache": trained.outcome.cache,
        "cache_seconds": host.cache_seconds,
        "train_seconds": train_seconds,
        "step_losses": trained.outcome.step_losses,
        "peak_rss_bytes": peak_rss_bytes(),
        "rss_samples": host.rss_samples,
    });
    let path = args.out.join("metrics.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&metrics).expect("serialisable"),
    )
    .map_err(io_err(&path.display().to_string()))?;
    eprintln!("webtune: wrote {} and metrics.json", args.out.display());
    Ok(())
}
