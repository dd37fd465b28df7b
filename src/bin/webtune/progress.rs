//! What `webtune train` prints while it trains, Ctrl-C as a clean stop, and the process's memory
//! (sampled every 25 steps: it must stay flat across steps).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use web_time::Instant;
use webtune::train::{Progress, TrainHost};

/// Prints progress to stderr and turns Ctrl-C into a clean stop.
pub struct CliHost {
    pub quiet: bool,
    pub stop: Arc<AtomicBool>,
    pub last_print: Instant,
    pub cache_started: Option<Instant>,
    pub cache_seconds: f64,
    /// `(step, resident bytes)` every 25 steps: memory must stay flat across steps.
    pub rss_samples: Vec<(usize, u64)>,
    /// Test hook (`WEBTUNE_TEST_CRASH_AFTER_CHECKPOINT=N`): the process aborts as soon as the
    /// checkpoint after epoch N is kept, as a crash or a killed process would end it.
    crash_after_checkpoint: Option<usize>,
}

impl CliHost {
    /// A host printing to stderr (epoch lines only with `quiet`), whose first Ctrl-C stops the
    /// run after the current step and whose second quits.
    pub fn new(quiet: bool) -> Self {
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
        CliHost {
            quiet,
            stop,
            last_print: Instant::now(),
            cache_started: None,
            cache_seconds: 0.0,
            rss_samples: Vec::new(),
            crash_after_checkpoint: std::env::var("WEBTUNE_TEST_CRASH_AFTER_CHECKPOINT")
                .ok()
                .and_then(|v| v.parse().ok()),
        }
    }
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
                    .map(|m| format!(" valid {}", m.summary()))
                    .or_else(|| {
                        r.similarity
                            .as_ref()
                            .map(|m| format!(" valid {}", describe_similarity(m)))
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
            Progress::Checkpoint {
                epoch,
                bytes,
                skipped,
            } => match skipped {
                None => {
                    eprintln!(
                        "webtune: checkpoint after epoch {epoch} ({:.1} MB)",
                        *bytes as f64 / 1e6
                    );
                    if self.crash_after_checkpoint == Some(*epoch) {
                        eprintln!("webtune: WEBTUNE_TEST_CRASH_AFTER_CHECKPOINT: aborting");
                        std::process::abort();
                    }
                }
                Some(why) => eprintln!("webtune: no checkpoint after epoch {epoch}: {why}"),
            },
            Progress::Resumed { epoch, step, .. } => {
                eprintln!("webtune: resuming after epoch {epoch} (step {step})");
            }
            Progress::Baseline(m) => {
                eprintln!("webtune: before training: valid {}", describe_similarity(m));
            }
            Progress::Trial {
                index,
                total,
                trial,
            } => {
                eprintln!(
                    "webtune: search trial {index}/{total}: {} → validation accuracy {:.2}% macro-F1 {:.4} (best epoch {}, {:.1}s)",
                    trial.settings,
                    100.0 * trial.valid_accuracy,
                    trial.valid_macro_f1,
                    trial
                        .best_epoch
                        .map_or("none".to_string(), |e| e.to_string()),
                    trial.seconds
                );
            }
            Progress::Estimate { folds, of, metrics } => {
                eprintln!(
                    "webtune: no validation: {folds}-fold cross-validated estimate of {of}: {}",
                    metrics.summary()
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
                // No epoch ended (stopped before the first): nothing kept to name.
                match best_epoch {
                    Some(e) => eprintln!("webtune: {how} after {seconds:.1}s; keeping epoch {e}"),
                    None => eprintln!("webtune: {how} after {seconds:.1}s before an epoch ended"),
                }
            }
        }
    }

    fn cancelled(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// An embedding model's validation scores in a few words.
pub fn describe_similarity(m: &webtune::similarity::SimilarityMetrics) -> String {
    match (m.spearman, m.mrr_at_10) {
        (Some(s), _) => format!(
            "Spearman {:.4} (Pearson {:.4})",
            s,
            m.pearson.unwrap_or(f64::NAN)
        ),
        (_, Some(mrr)) => format!(
            "MRR@10 {mrr:.4} recall@1 {:.4} recall@10 {:.4}",
            m.recall_at_1.unwrap_or(f64::NAN),
            m.recall_at_10.unwrap_or(f64::NAN)
        ),
        _ => "no scores".into(),
    }
}

/// One line on what a training step cost the GPU.
pub fn describe_step_cost(c: &webtune::device_cost::StepCost) -> String {
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
pub fn peak_rss_bytes() -> Option<u64> {
    proc_status_kb("VmHWM:").map(|kb| kb * 1024)
}
