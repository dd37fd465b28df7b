//! What the training loop reports, and what it needs from its host (the CLI or the browser).

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use super::metrics::Metrics;
use super::plan::Plan;

/// The frozen-feature cache, as set up for a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheInfo {
    pub enabled: bool,
    /// What is cached: "pooled embeddings" or "hidden states entering layer K".
    pub what: String,
    /// Bytes the cache holds (or would hold).
    pub bytes: u64,
    pub limit_bytes: u64,
    /// Why it is off, when it is.
    pub reason: Option<String>,
}

/// One validation pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    pub epoch: usize,
    pub train_loss: f64,
    pub valid: Option<Metrics>,
    /// An embedding run's validation: Spearman for scored pairs, retrieval for pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similarity: Option<crate::similarity::SimilarityMetrics>,
    /// The whole epoch: training steps plus validation.
    pub seconds: f64,
    /// The training steps alone (what an "epoch time" is usually compared on).
    pub train_seconds: f64,
    /// Training examples per second over the training steps.
    pub examples_per_sec: f64,
    /// Whether this epoch's model is the best so far (kept as the result).
    pub best: bool,
}

/// Progress events, in order: `Started`, `Caching`*, `Estimate`?, (`Step`+ `Epoch`)+, `Finished`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Progress {
    #[serde(rename_all = "camelCase")]
    Started {
        strategy: String,
        train_examples: usize,
        valid_examples: usize,
        steps_per_epoch: usize,
        total_steps: usize,
        trainable_params: usize,
        total_params: usize,
        labels: Vec<String>,
        class_weights: Option<Vec<f32>>,
        cache: CacheInfo,
        /// Epochs, steps, early stopping and the automatic choices, explained.
        plan: Plan,
    },
    /// The cache fills, `done` of `total` examples.
    Caching {
        done: usize,
        total: usize,
    },
    #[serde(rename_all = "camelCase")]
    Step {
        step: usize,
        total_steps: usize,
        epoch: usize,
        loss: f64,
        lr_head: f64,
        lr_encoder: f64,
        examples_per_sec: f64,
        eta_seconds: f64,
    },
    Epoch(EpochReport),
    /// An embedding run scored the base model on its validation pairs before training (the
    /// epochs' `similarity` compares with it).
    Baseline(crate::similarity::SimilarityMetrics),
    /// A search's trial ended (its own `Started` … `Finished` events came before).
    Trial {
        index: usize,
        total: usize,
        trial: super::search::Trial,
    },
    /// A checkpoint was made after `epoch` (saved by the host unless `skipped` says why not).
    #[serde(rename_all = "camelCase")]
    Checkpoint {
        epoch: usize,
        bytes: u64,
        skipped: Option<String>,
    },
    /// The run continues from a checkpoint taken after `epoch`, at `step`; `epochs` and
    /// `step_losses` are the history so far (for the front end's table and chart).
    #[serde(rename_all = "camelCase")]
    Resumed {
        epoch: usize,
        step: usize,
        epochs: Vec<EpochReport>,
        step_losses: Vec<f64>,
    },
    /// A cross-validated estimate where nothing was held out: of what (`of`, in words), over
    /// how many folds, and its metrics. Not a validation of the model being trained.
    Estimate {
        folds: usize,
        of: String,
        metrics: super::Metrics,
    },
    #[serde(rename_all = "camelCase")]
    Finished {
        epochs_run: usize,
        best_epoch: Option<usize>,
        stopped_early: bool,
        cancelled: bool,
        seconds: f64,
    },
}

/// A boxed future the host returns to let its event loop run.
pub type Yield = Pin<Box<dyn Future<Output = ()>>>;

/// What the loop needs from where it runs.
pub trait TrainHost {
    /// Receives every progress event.
    fn progress(&mut self, event: &Progress);
    /// Polled between steps; `true` stops the run cleanly (the best model so far is kept).
    fn cancelled(&self) -> bool {
        false
    }
    /// Polled between steps and between the cache's batches: `true` abandons the run at once,
    /// with an error and no model (a timed backend trial past its budget). A user's Stop is
    /// `cancelled`, which keeps the best model so far.
    fn past_deadline(&self) -> bool {
        false
    }
    /// Awaited between steps: in a browser worker it must reach the event loop so a Stop
    /// message can arrive; natively it does nothing.
    fn yield_now(&self) -> Yield {
        Box::pin(std::future::ready(()))
    }
    /// Whether to make a checkpoint after every epoch but the last (reading the trainable
    /// weights and the optimiser's moments back from the device costs a little).
    fn wants_checkpoints(&self) -> bool {
        false
    }
    /// Keeps a checkpoint; returns the `Progress::Checkpoint` event to send: its size, or why it
    /// was not kept (too large, the disk full: training goes on either way).
    fn checkpoint(&mut self, checkpoint: super::checkpoint::Checkpoint) -> Progress {
        Progress::Checkpoint {
            epoch: checkpoint.meta.epochs_done,
            bytes: 0,
            skipped: Some("this host keeps no checkpoints".into()),
        }
    }
    /// The checkpoint to continue from, taken once at the start of a run.
    fn take_resume(&mut self) -> Option<super::checkpoint::Checkpoint> {
        None
    }
    /// Default cache limit in bytes for this host and backend.
    fn cache_limit(&self) -> u64 {
        2 << 30
    }
}
