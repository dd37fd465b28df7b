//! Few-shot classification, SetFit's recipe (Tunstall et al., 2022): with a handful of labelled
//! examples a class, first tune the encoder contrastively on pairs of them (same class: cosine
//! 1, different classes: cosine 0), then fit a logistic regression on the tuned, L2-normalised
//! embeddings. The result is an ordinary classifier (encoder, mean pooling, `Normalize`, a
//! linear head): it predicts, exports and imports like any other.

use burn::prelude::*;
use web_time::Instant;

use crate::data::Dataset;
use crate::engine::Engine;
use crate::model::{Head, TextClassifier};
use crate::tokenize::Encoded;
use crate::{Error, Result};

use super::config::TrainConfig;
use super::logreg;
use super::objective::Objective;
use super::pair_sampler::fewshot_pairs;
use super::pair_steps::{KeptEpochs, PairLoss, PairTrainer, TextPair};
use super::plan::Plan;
use super::progress::{EpochReport, Progress, TrainHost};
use super::source::{build_sources, plan_cache};
use super::strategy::Strategy;
use super::trainer::{TrainOutcome, count_params, new_head};

/// The strategy a contrastive run tunes with: `auto` is `full` (SetFit and sentence-transformers
/// tune the whole encoder; on a few hundred pairs a step is cheap); a strategy that leaves the
/// encoder frozen is refused, since then the pairs would teach nothing.
pub fn contrastive_strategy(strategy: Strategy, mode: &str) -> Result<(Strategy, Option<String>)> {
    match strategy {
        Strategy::Auto => Ok((
            Strategy::Full,
            Some(format!(
                "auto chose full: {mode} mode tunes the whole encoder on the pairs, as SetFit and sentence-transformers do"
            )),
        )),
        Strategy::Head | Strategy::Logreg => Err(Error::Invalid(format!(
            "{mode} mode tunes the encoder on pairs: strategy {strategy} leaves it frozen (choose full, lastK such as last2, or lora)"
        ))),
        s => Ok((s, None)),
    }
}

/// The base encoder on the autodiff device with `strategy` applied, under a placeholder head (a
/// contrastive loss reads the pooled embeddings, never the head).
pub(crate) fn tunable_model(
    base: &Engine,
    strategy: Strategy,
    dropout: bool,
    seed: u64,
) -> TextClassifier {
    let mut encoder = base.encoder.clone();
    if !dropout {
        encoder.set_dropout(0.0, 0.0);
    }
    let hidden = base.config.hidden_size;
    let head = Head::new(new_head(hidden, 1, seed, &base.device), false);
    strategy.apply(TextClassifier { encoder, head }.train())
}

/// Trains a few-shot classifier on `train`, scoring it on `valid` (may be empty) after each
/// epoch of pairs. Every class needs two examples (the caller names a class of one by its line).
pub async fn train_fewshot(
    base: &Engine,
    train: &Dataset,
    valid: &Dataset,
    config: &TrainConfig,
    host: &mut dyn TrainHost,
) -> Result<TrainOutcome> {
    config.validate()?;
    let started = Instant::now();
    let mut config = config.clone();
    let (strategy, why) = contrastive_strategy(config.strategy, "fewshot")?;
    config.strategy = strategy;
    config.notes.extend(why);
    let n_layers = base.encoder.num_layers();
    strategy.validate(n_layers)?;
    let labels = train.label_set.clone();
    let k = labels.len();
    let pairs: Vec<TextPair> = fewshot_pairs(&train.labels, config.pair_iterations, config.seed)
        .into_iter()
        .map(|p| TextPair {
            a: p.a,
            b: p.b,
            negative: None,
            target: p.target,
        })
        .collect();
    if pairs.is_empty() {
        return Err(Error::Invalid(
            "few-shot training needs at least two classes and a class with two examples".into(),
        ));
    }

    let plain = base.device.clone();
    let device = plain.clone().autodiff();
    device.seed(config.seed);
    plain.seed(config.seed);
    crate::model::dropout::seed(config.seed);
    let pad_id = base.tokenizer.pad_id();
    let tokenizer = base
        .tokenizer
        .with_max_len(config.max_len.min(base.tokenizer.max_len()))?;
    let train_enc = tokenizer.encode_all(&train.texts)?;
    let valid_enc = tokenizer.encode_all(&valid.texts)?;
    let hidden = base.config.hidden_size;

    let mut model = tunable_model(base, strategy, config.dropout, config.seed);
    let (trainable, total_params) = count_params(&model);
    let lengths: Vec<usize> = train_enc
        .iter()
        .chain(&valid_enc)
        .map(Encoded::len)
        .collect();
    let (point, mut cache_info) = plan_cache(&config, n_layers, hidden, &lengths, host);

    let epochs = config.epochs.unwrap_or(1);
    let steps_per_epoch = pairs.len().div_ceil(config.batch_size.max(1));
    let total_steps = steps_per_epoch * epochs;
    let warmup_steps = (config.warmup_fraction * total_steps as f64).round() as usize;
    let mut summary = config.notes.clone();
    summary.push(format!(
        "few-shot: {} pairs ({} rounds of a same-class and a different-class pair per example), {epochs} epoch{} × {steps_per_epoch} steps of {} pairs; warm-up {warmup_steps} steps; then a logistic regression (C = 1) on the tuned, L2-normalised embeddings",
        pairs.len(),
        config.pair_iterations,
        if epochs == 1 { "" } else { "s" },
        config.batch_size,
    ));
    summary.push(if valid.is_empty() {
        "no validation data: keeps the last epoch".into()
    } else {
        "keeps the epoch with the best validation macro-F1".into()
    });
    let plan = Plan {
        strategy: strategy.to_string(),
        epochs,
        epochs_auto: config.epochs.is_none(),
        steps_per_epoch,
        total_steps,
        warmup_steps,
        patience: None,
        min_epochs: epochs,
        summary,
    };
    let class_weights = config.class_weights(&train.class_counts());
    host.progress(&Progress::Started {
        strategy: strategy.to_string(),
        train_examples: train.len(),
        valid_examples: valid.len(),
        steps_per_epoch,
        total_steps,
        trainable_params: trainable,
        total_params,
        labels: labels.names().to_vec(),
        class_weights: class_weights.clone(),
        cache: cache_info.clone(),
        plan: plan.clone(),
    });
    let [train_src, valid_src] = build_sources(
        &model.valid(),
        point,
        [&train_enc, &valid_enc],
        pad_id,
        &plain,
        &mut cache_info,
        host,
    )
    .await?;

    let mut trainer = PairTrainer::new(PairLoss::Cosine, &config, total_steps, warmup_steps);
    let mut kept = KeptEpochs::new();
    let mut cancelled = false;
    for epoch in 0..epochs {
        let clock = Instant::now();
        let (tuned, done) = trainer
            .epoch(model, &train_src, &pairs, epoch, &device, pad_id, host)
            .await?;
        model = tuned;
        if done.cancelled {
            cancelled = true;
            if done.pairs == 0 {
                break;
            }
        }
        // The head: a logistic regression on the tuned embeddings, as scikit-learn fits it.
        let mut snapshot = model.valid();
        let mut x = train_src
            .all_pooled(&snapshot, &train_enc, &plain, pad_id, host)
            .await?;
        logreg::normalize_rows(&mut x, hidden);
        let (fitted, _) = logreg::fit(
            &x,
            hidden,
            &train.labels,
            k,
            class_weights.as_deref(),
            config.seed,
        );
        snapshot.head = Head::new(fitted.into_linear(&plain), true);
        let metrics = if valid.is_empty() {
            None
        } else {
            Some(
                Objective::new(train, &config)
                    .evaluate(&snapshot, &valid_src, valid, &plain, pad_id, &valid_enc)
                    .await?,
            )
        };
        let score = metrics.as_ref().map_or(epoch as f64, |m| m.macro_f1);
        let report = EpochReport {
            epoch: epoch + 1,
            train_loss: done.mean_loss,
            valid: metrics,
            similarity: None,
            seconds: clock.elapsed().as_secs_f64(),
            train_seconds: done.seconds,
            examples_per_sec: done.pairs as f64 / done.seconds.max(1e-9),
            best: false,
        };
        kept.record(score, report, snapshot, host);
        if cancelled {
            break;
        }
    }
    let (best_epoch, best_model, reports) = kept.finish(cancelled, started, || model.valid(), host);
    Ok(TrainOutcome {
        model: best_model,
        labels,
        task: crate::data::Task::Single,
        thresholds: None,
        pairs: false,
        epochs: reports,
        best_epoch,
        cancelled,
        stopped_early: false,
        cache: cache_info,
        step_losses: trainer.step_losses,
        config,
        plan,
        cross_validation: None,
        step_cost: None,
    })
}
