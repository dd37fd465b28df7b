//! The optional automatic search: a few configurations trained on the same training data and
//! compared on the same validation data; the best is kept, with the table of trials.
//!
//! The candidates are few on purpose (a browser tab trains them one after the other): the
//! logistic regression, the mini-batch head and the default fine-tuning (all three cheap, from
//! the frozen-feature cache), then the default fine-tuning with a larger encoder learning rate,
//! with twice the epochs, with two more layers, and every layer (what `auto` picks for large
//! files; the dearest trial, so it comes last).

use serde::Serialize;

use crate::data::Dataset;
use crate::engine::Engine;
use crate::{Error, Result};

use super::config::TrainConfig;
use super::logreg;
use super::plan::Plan;
use super::progress::{Progress, TrainHost};
use super::strategy::Strategy;
use super::trainer::{TrainOutcome, train};

/// One trial's settings and result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trial {
    /// Short description: strategy, learning rates and epochs.
    pub settings: String,
    pub strategy: String,
    pub epochs: usize,
    pub lr_head: f64,
    pub lr_encoder: f64,
    /// The trial's best epoch on validation.
    pub best_epoch: Option<usize>,
    pub valid_accuracy: f64,
    pub valid_macro_f1: f64,
    pub valid_loss: Option<f64>,
    pub seconds: f64,
    /// Whether this trial is the one kept.
    pub chosen: bool,
}

/// The configurations a search tries for `base` (its strategy already resolved or not).
pub fn candidates(base: &TrainConfig, train_examples: usize) -> Vec<TrainConfig> {
    let with = |strategy: Strategy| TrainConfig {
        strategy,
        search: false,
        ..base.clone()
    };
    let last2 = Strategy::Last { k: 2 };
    let probe = with(last2);
    let plan = Plan::new(&probe, train_examples, 1);
    let mut out = vec![with(Strategy::Logreg), with(Strategy::Head), with(last2)];
    out.push(TrainConfig {
        lr_encoder: Some(1e-4),
        ..with(last2)
    });
    out.push(TrainConfig {
        epochs: Some((plan.epochs * 2).min(super::plan::MAX_EPOCHS * 2)),
        ..with(last2)
    });
    out.push(with(Strategy::Last { k: 4 }));
    out.push(with(Strategy::Full));
    out
}

/// Trains every candidate on `train`, validates on `valid`, and returns the best outcome (by
/// validation macro-F1, ties to the lower validation loss) with the table of trials.
pub async fn search(
    base: &Engine,
    train_set: &Dataset,
    valid: &Dataset,
    config: &TrainConfig,
    host: &mut dyn TrainHost,
) -> Result<(TrainOutcome, Vec<Trial>)> {
    if valid.is_empty() {
        return Err(Error::Invalid(
            "the search compares configurations on validation data, and there is none: give a validation file, or more examples of each class (at least 8)".into(),
        ));
    }
    let configs = candidates(config, train_set.len());
    let total = configs.len();
    let mut trials: Vec<Trial> = Vec::new();
    let mut best: Option<((f64, f64), usize, TrainOutcome)> = None;
    for (index, trial_config) in configs.into_iter().enumerate() {
        let outcome = train(base, None, train_set, valid, &trial_config, host).await?;
        let metrics = outcome
            .best_epoch
            .and_then(|e| outcome.epochs[e - 1].valid.clone());
        let seconds = outcome.epochs.iter().map(|e| e.seconds).sum::<f64>();
        let c = &outcome.config;
        let trial = Trial {
            settings: if c.strategy == Strategy::Logreg {
                format!("logreg · C {}", logreg::C)
            } else {
                format!(
                    "{} · {} epoch{} · head LR {:.0e}{}",
                    c.strategy,
                    outcome.plan.epochs,
                    if outcome.plan.epochs == 1 { "" } else { "s" },
                    c.head_lr(),
                    if matches!(c.strategy, Strategy::Logreg | Strategy::Head) {
                        String::new()
                    } else {
                        format!(" · encoder LR {:.0e}", c.encoder_lr())
                    }
                )
            },
            strategy: c.strategy.to_string(),
            epochs: outcome.plan.epochs,
            lr_head: c.head_lr(),
            lr_encoder: c.encoder_lr(),
            best_epoch: outcome.best_epoch,
            valid_accuracy: metrics.as_ref().map(|m| m.accuracy).unwrap_or(0.0),
            valid_macro_f1: metrics.as_ref().map(|m| m.macro_f1).unwrap_or(0.0),
            valid_loss: metrics.as_ref().and_then(|m| m.loss),
            seconds,
            chosen: false,
        };
        host.progress(&Progress::Trial {
            index: index + 1,
            total,
            trial: trial.clone(),
        });
        let score = (trial.valid_macro_f1, -trial.valid_loss.unwrap_or(0.0));
        let cancelled = outcome.cancelled;
        if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
            best = Some((score, index, outcome));
        }
        trials.push(trial);
        if cancelled {
            break;
        }
    }
    let (_, chosen, outcome) = best.expect("at least one trial ran");
    trials[chosen].chosen = true;
    Ok((outcome, trials))
}

/// Trains as `config` says: one run, or the search when `config.search` is set (then the trials
/// come back too). The one entry point of the CLI and the browser.
pub async fn fit(
    base: &Engine,
    head: Option<crate::model::Head>,
    train_set: &Dataset,
    valid: &Dataset,
    config: &TrainConfig,
    host: &mut dyn TrainHost,
) -> Result<(TrainOutcome, Option<Vec<Trial>>)> {
    match config.mode {
        super::Mode::Classify => {}
        super::Mode::Fewshot if head.is_some() => {
            return Err(Error::Invalid(
                "fewshot mode trains a new classifier: it cannot continue training an existing one (use classify mode)".into(),
            ));
        }
        super::Mode::Fewshot
            if train_set.task() != crate::data::Task::Single || train_set.pairs.is_some() =>
        {
            return Err(Error::Invalid(
                "fewshot mode makes single-label classifiers of single texts: train labels, numbers or sentence pairs in classify mode".into(),
            ));
        }
        super::Mode::Fewshot => {
            let outcome =
                super::fewshot::train_fewshot(base, train_set, valid, config, host).await?;
            return Ok((outcome, None));
        }
        super::Mode::Embedding => {
            return Err(Error::Invalid(
                "embedding mode trains on pairs, not labelled texts: it makes an embedding model, not a classifier".into(),
            ));
        }
    }
    if config.search {
        if train_set.task() != crate::data::Task::Single {
            return Err(Error::Invalid(format!(
                "the search compares single-label classifiers; this data is {}: choose a strategy (last2, full)",
                crate::job::describe_task(train_set.task())
            )));
        }
        if head.is_some() {
            return Err(Error::Invalid(
                "the search trains new models: it cannot continue training an existing one".into(),
            ));
        }
        let (outcome, trials) = search(base, train_set, valid, config, host).await?;
        Ok((outcome, Some(trials)))
    } else {
        Ok((
            train(base, head, train_set, valid, config, host).await?,
            None,
        ))
    }
}
