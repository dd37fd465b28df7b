//! The training loop: async throughout (no synchronous tensor read, so it runs unchanged in a
//! browser), cancellable between steps, reporting after every step and every epoch.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::TensorData;
use web_time::Instant;

use crate::data::Task;
use crate::data::{Dataset, LabelSet};
use crate::device_cost::{StepCost, StepMeter};
use crate::engine::{Engine, read_f32};
use crate::model::{Head, TextClassifier};
use crate::rng::SplitMix64;
use crate::tokenize::Encoded;
use crate::{Error, Result};

use super::batches::epoch_batches;
use super::checkpoint::{
    self, BEST, BestSoFar, Checkpoint, CheckpointMeta, FIRST_MOMENT, MODEL, SECOND_MOMENT,
};
use super::config::{HeadInit, TrainConfig};
use super::logreg::{self, CvReport};
use super::metrics::Metrics;
use super::objective::Objective;
use super::optim::{Optimizer, lr_factor};
use super::plan::{Plan, resolve_auto};
use super::progress::{CacheInfo, EpochReport, Progress, TrainHost};
use super::source::{Source, build_sources, plan_cache};
use super::strategy::Strategy;

/// Most training rows a run without validation data cross-validates a logistic regression on
/// (its embeddings: one pass of the frozen encoder where they are not cached).
pub const ESTIMATE_MAX_ROWS: usize = 4000;

/// A fine-tuned classifier and how it got there.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// The best model (by validation macro-F1, micro-F1 for multi-label data, Spearman's
    /// correlation for regression), or the last one without validation data. On the plain
    /// (non-autodiff) device, ready for inference and export; a regression head predicts the
    /// targets on their own scale.
    pub model: TextClassifier,
    pub labels: LabelSet,
    pub task: Task,
    /// Multi-label: the probability above which each label is predicted (chosen on validation
    /// with the best epoch, unless set).
    pub thresholds: Option<Vec<f32>>,
    /// Whether the model was trained on sentence pairs (and reads them).
    pub pairs: bool,
    pub epochs: Vec<EpochReport>,
    pub best_epoch: Option<usize>,
    pub cancelled: bool,
    pub stopped_early: bool,
    pub cache: CacheInfo,
    /// Mean training loss of each step, in order.
    pub step_losses: Vec<f64>,
    /// The settings in effect (`auto` resolved) and the plan they gave.
    pub config: TrainConfig,
    pub plan: Plan,
    /// For `logreg`: what cross-validation found.
    pub cross_validation: Option<CvReport>,
    /// What a training step cost the GPU (dispatches, bytes, memory pool); `None` on the CPU
    /// backend and for `logreg`.
    pub step_cost: Option<StepCost>,
}

/// A new linear head, initialised as PyTorch's `nn.Linear` (uniform ±1/√fan_in), from `seed`.
pub fn new_head(hidden: usize, classes: usize, seed: u64, device: &Device) -> Linear {
    let mut rng = SplitMix64::new(seed ^ 0x4845_4144);
    let bound = 1.0 / (hidden as f64).sqrt();
    let mut uniform = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| {
                ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32
                    * bound as f32
            })
            .collect()
    };
    Linear {
        weight: Param::from_data(
            TensorData::new(uniform(hidden * classes), [hidden, classes]),
            device,
        ),
        bias: Some(Param::from_data(
            TensorData::new(uniform(classes), [classes]),
            device,
        )),
    }
}

/// Counts (trainable, total) scalar parameters.
pub(crate) fn count_params(model: &TextClassifier) -> (usize, usize) {
    struct Counter(usize, usize);
    impl burn::module::ModuleVisitor for Counter {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let n = param.shape().num_elements();
            self.1 += n;
            if param.is_require_grad() {
                self.0 += n;
            }
        }
    }
    let mut c = Counter(0, 0);
    model.visit(&mut c);
    (c.0, c.1)
}

/// The seed of epoch `epoch`'s on-device random numbers (the first epoch's is the run's seed).
fn epoch_seed(seed: u64, epoch: usize) -> u64 {
    seed ^ (epoch as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Refuses a checkpoint made for another plan (other data or settings give other step counts;
/// the job has checked the files and settings, this is the loop's own check).
fn fits_plan(meta: &CheckpointMeta, plan: &Plan) -> Result<()> {
    if meta.steps_per_epoch != plan.steps_per_epoch
        || meta.total_steps != plan.total_steps
        || meta.epochs_done >= plan.epochs
        || meta.epochs.len() != meta.epochs_done
        || meta.step != meta.epochs_done * plan.steps_per_epoch
        || meta.step_losses.len() != meta.step
    {
        return Err(Error::Invalid(format!(
            "the checkpoint (after epoch {} of a run of {} steps, {} an epoch) does not belong to this run ({} epochs of {} steps)",
            meta.epochs_done,
            meta.total_steps,
            meta.steps_per_epoch,
            plan.epochs,
            plan.steps_per_epoch
        )));
    }
    Ok(())
}

/// Reads what a checkpoint keeps off the device: the trainable weights, the best model's
/// (unless it is the current one), AdamW's moments with their step counts.
async fn make_checkpoint(
    mut meta: CheckpointMeta,
    model: &TextClassifier,
    best: &TextClassifier,
    optimizer: &Optimizer,
) -> Result<Checkpoint> {
    let mut tensors = crate::export::tensors::HostTensors::new();
    let weights = checkpoint::read_params(model, |p| p.trainable).await?;
    if !meta.best_is_current {
        let best_weights = checkpoint::read_params(best, |p| weights.contains_key(&p.path)).await?;
        checkpoint::insert_all(&mut tensors, BEST, best_weights);
    }
    checkpoint::insert_all(&mut tensors, MODEL, weights);
    for (path, m) in optimizer.moments(model) {
        let first = read_f32(m.first).await?;
        let second = read_f32(m.second).await?;
        tensors.insert(format!("{FIRST_MOMENT}{path}"), (m.shape.clone(), first));
        tensors.insert(format!("{SECOND_MOMENT}{path}"), (m.shape, second));
        meta.adam_steps.insert(path, m.steps);
    }
    Ok(Checkpoint { meta, tensors })
}

/// Fine-tunes a classifier on `train`, validating on `valid` (may be empty) after each epoch.
///
/// `base` supplies the tokenizer and the pretrained encoder; `head` continues training a
/// previously exported model when given (its label set must match `train`'s).
pub async fn train(
    base: &Engine,
    head: Option<Head>,
    train: &Dataset,
    valid: &Dataset,
    config: &TrainConfig,
    host: &mut dyn TrainHost,
) -> Result<TrainOutcome> {
    config.validate()?;
    // `auto` is normally resolved on the whole file by `plan::prepare`; a caller that split the
    // data itself gets the same rule on what it passes.
    let mut config = config.clone();
    let why = resolve_auto(
        &mut config,
        train.len() + valid.len(),
        train.label_set.len(),
        train.task(),
        train.pairs.is_some(),
    );
    config.notes.extend(why);
    let config = &config;
    let plan = Plan::for_task(config, train.len(), valid.len(), train.task());
    let started = Instant::now();
    let n_layers = base.encoder.num_layers();
    config.strategy.validate(n_layers)?;
    if train.is_empty() {
        return Err(Error::Invalid("the training set is empty".into()));
    }
    let labels = train.label_set.clone();
    let objective = Objective::new(train, config);
    let k = objective.outputs;
    if objective.task != Task::Single && config.strategy == Strategy::Logreg {
        return Err(Error::Invalid(format!(
            "logreg fits single-label classifiers; this data is {}: choose head, last2 or full",
            crate::job::describe_task(objective.task)
        )));
    }
    let resume = host.take_resume();
    if let Some(c) = &resume {
        fits_plan(&c.meta, &plan)?;
    }
    let plain = base.device.clone();
    let device = plain.clone().autodiff();
    device.seed(config.seed);
    plain.seed(config.seed);
    crate::model::dropout::seed(config.seed);
    let pad_id = base.tokenizer.pad_id();

    // Tokenise once.
    let max_len = config.max_len.min(base.tokenizer.max_len());
    let tokenizer = if max_len == base.tokenizer.max_len() {
        base.tokenizer.clone()
    } else {
        base.tokenizer.with_max_len(max_len)?
    };
    let train_enc = train.encode(&tokenizer)?;
    let valid_enc = valid.encode(&tokenizer)?;
    let train_len: Vec<usize> = train_enc.iter().map(Encoded::len).collect();
    let valid_len: Vec<usize> = valid_enc.iter().map(Encoded::len).collect();

    // The model on the autodiff device, frozen as the strategy says.
    let hidden = base.config.hidden_size;
    let fresh_head = head.is_none();
    let head = match head {
        Some(h) => {
            if h.linear.weight.dims() != [hidden, k] {
                return Err(Error::Invalid(format!(
                    "the model's head has {} outputs but the data needs {k}",
                    h.num_labels()
                )));
            }
            h
        }
        None => Head::new(new_head(hidden, k, config.seed, &plain), false),
    };
    let mut encoder = base.encoder.clone();
    if !config.dropout {
        encoder.set_dropout(0.0, 0.0);
    }
    let model = TextClassifier { encoder, head }.train();
    let mut model = config.strategy.apply(model);
    let (trainable, total_params) = count_params(&model);

    // The cache.
    let all_len: Vec<usize> = train_len.iter().chain(&valid_len).copied().collect();
    let (point, mut cache_info) = plan_cache(config, n_layers, hidden, &all_len, host);

    let steps_per_epoch = plan.steps_per_epoch;
    let total_steps = plan.total_steps;
    let warmup = plan.warmup_steps;
    let class_weights = objective.weights.clone();
    host.progress(&Progress::Started {
        strategy: config.strategy.to_string(),
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

    if config.strategy == Strategy::Logreg {
        let Source::Cached(features) = &train_src else {
            return Err(Error::Invalid(
                "logreg needs the pooled embeddings cached: raise the cache limit or choose head"
                    .into(),
            ));
        };
        // scikit-learn's recipe exactly: the fit reads the L2-normalised embeddings, and so
        // does the head it becomes.
        let (mut x, d) = features.pooled_rows();
        logreg::normalize_rows(&mut x, d);
        let (fitted, cv) = logreg::fit(
            &x,
            d,
            &train.labels,
            k,
            class_weights.as_deref(),
            config.seed,
        );
        let fit_seconds = started.elapsed().as_secs_f64();
        let mut snapshot = model.valid();
        snapshot.head = Head::new(fitted.into_linear(&plain), true);
        let metrics = if !valid.is_empty() {
            Some(
                objective
                    .evaluate(&snapshot, &valid_src, valid, &plain, pad_id, &valid_enc)
                    .await?,
            )
        } else {
            cv.as_ref().map(|cv| {
                let truth: Vec<usize> = cv.rows.iter().map(|&i| train.labels[i]).collect();
                Metrics::compute(labels.names(), &truth, &cv.out_of_fold, Some(cv.loss))
            })
        };
        let report = EpochReport {
            epoch: 1,
            train_loss: f64::NAN,
            valid: metrics,
            similarity: None,
            seconds: started.elapsed().as_secs_f64(),
            train_seconds: fit_seconds,
            examples_per_sec: train.len() as f64 / fit_seconds.max(1e-9),
            best: true,
        };
        host.progress(&Progress::Epoch(report.clone()));
        host.progress(&Progress::Finished {
            epochs_run: 1,
            best_epoch: Some(1),
            stopped_early: false,
            cancelled: false,
            seconds: started.elapsed().as_secs_f64(),
        });
        return Ok(TrainOutcome {
            model: snapshot,
            labels,
            task: Task::Single,
            thresholds: None,
            pairs: train.pairs.is_some(),
            epochs: vec![report],
            best_epoch: Some(1),
            cancelled: false,
            stopped_early: false,
            cache: cache_info,
            step_losses: Vec::new(),
            config: config.clone(),
            plan,
            cross_validation: cv,
            step_cost: None,
        });
    }

    // Linear probing, then fine-tuning: the new head starts at the logistic regression fitted on
    // the embeddings the frozen model gives now, so the encoder's first updates follow a
    // sensible head instead of a random one (Kumar et al., 2022).
    // `Auto` is resolved by `plan::prepare`; a caller that skips it gets the fitted start.
    let fits_head = fresh_head
        && resume.is_none()
        && objective.task == Task::Single
        && config.head_init != HeadInit::Random
        && config.strategy.trains_encoder();
    // Nothing held out (every class but one too small to spare two examples, or the user's
    // `--valid-fraction 0`): the model cannot be validated, so the run reports what it can for
    // little — a cross-validated logistic regression on the same frozen embeddings, labelled as
    // such. Up to a few thousand rows, where the embeddings are cached or one pass is short.
    let estimates = resume.is_none()
        && valid.is_empty()
        && objective.task == Task::Single
        && train.len() <= ESTIMATE_MAX_ROWS;
    let mut cross_validation = None;
    if fits_head || estimates {
        let pooled = train_src
            .all_pooled(&model.valid(), &train_enc, &plain, pad_id, host)
            .await?;
        if fits_head {
            let fitted = logreg::fit_fixed(
                &pooled,
                hidden,
                &train.labels,
                k,
                class_weights.as_deref(),
                config.seed,
            );
            model.head.linear = fitted.into_linear(&plain).train();
        }
        if estimates {
            let mut x = pooled;
            logreg::normalize_rows(&mut x, hidden);
            let (_, cv) = logreg::fit(
                &x,
                hidden,
                &train.labels,
                k,
                class_weights.as_deref(),
                config.seed,
            );
            if let Some(cv) = &cv {
                let truth: Vec<usize> = cv.rows.iter().map(|&i| train.labels[i]).collect();
                host.progress(&Progress::Estimate {
                    folds: cv.folds,
                    of: if config.strategy.trains_encoder() {
                        "a logistic regression on the frozen embeddings (the fine-tuning's starting point): no example could be held out to validate the fine-tuned model"
                    } else {
                        "a logistic regression on the frozen embeddings (the model the head strategy trains, fitted exactly): no example could be held out"
                    }
                    .into(),
                    metrics: Metrics::compute(
                        labels.names(),
                        &truth,
                        &cv.out_of_fold,
                        Some(cv.loss),
                    ),
                });
            }
            cross_validation = cv;
        }
    }

    let weights = objective.weight_tensor(&device);
    let mut optimizer = Optimizer::new(config.weight_decay, config.max_grad_norm);
    let lr_head = config.head_lr();
    let lr_encoder = config.encoder_lr();
    let mut step = 0usize;
    let mut epochs: Vec<EpochReport> = Vec::new();
    let mut best: Option<((f64, f64), usize, TextClassifier)> = None;
    let mut step_losses = Vec::with_capacity(total_steps);
    let mut cancelled = false;
    let mut stopped_early = false;
    let train_clock = Instant::now();
    let mut examples_seen = 0usize;
    let mut meter = StepMeter::new(&device);

    // Early stopping: the score is validation macro-F1, ties broken by the lower validation loss
    // (macro-F1 moves in steps of whole examples on a small set); it never stops before
    // `plan.min_epochs`.
    let mut since_best = 0usize;
    let mut start_epoch = 0;
    let mut earlier_seconds = 0.0;
    if let Some(c) = resume {
        // The run as it was after its last saved epoch: the weights, AdamW's moments, the
        // history, the best model and the dropout generator. The frozen weights (and the cache
        // built from them above) are the base model's, as they were.
        let fresh = model.valid();
        model = checkpoint::load_params(model, &c.model(), |p| p.trainable)?;
        optimizer.restore_moments(&model, c.moments()?, &plain)?;
        best = match &c.meta.best {
            None => None,
            Some(b) if c.meta.best_is_current => Some((b.score, b.epoch, model.valid())),
            Some(b) => Some((
                b.score,
                b.epoch,
                checkpoint::load_params(fresh, &c.best(), |p| p.trainable)?,
            )),
        };
        let meta = c.meta;
        crate::model::dropout::restore(meta.dropout_rng);
        step = meta.step;
        step_losses = meta.step_losses;
        since_best = meta.since_best;
        earlier_seconds = meta.train_seconds;
        start_epoch = meta.epochs_done;
        epochs = meta.epochs;
        host.progress(&Progress::Resumed {
            epoch: start_epoch,
            step,
            epochs: epochs.clone(),
            step_losses: step_losses.clone(),
        });
    }
    let first_step = step;
    'epochs: for epoch in start_epoch..plan.epochs {
        let epoch_clock = Instant::now();
        // Each epoch's on-device random numbers (dropout on a GPU) from its own seed, so a run
        // resumed at an epoch draws what the uninterrupted run drew. The first keeps the run's
        // seed as set above.
        if epoch > 0 {
            device.seed(epoch_seed(config.seed, epoch));
        }
        meter.epoch_starts();
        let mut loss_sum = 0.0;
        let mut seen = 0usize;
        for batch in epoch_batches(&train_len, config.batch_size, config.seed, epoch) {
            if host.past_deadline() {
                return Err(Error::Backend(format!(
                    "abandoned at step {step}: past the time budget"
                )));
            }
            if host.cancelled() {
                cancelled = true;
                break 'epochs;
            }
            let factor = lr_factor(config.resolved_schedule(), step, total_steps, warmup);
            let logits = train_src.logits(&model, &batch, &device, pad_id);
            let loss = objective.loss(logits, train, &batch, weights.clone());
            let value = loss.clone().inner();
            model = optimizer.step(model, loss, lr_head * factor, lr_encoder * factor);
            let loss = read_f32(value).await?[0] as f64;
            meter.step_done();
            if !loss.is_finite() {
                return Err(Error::Backend(format!(
                    "the loss became {loss} at step {step}: try a lower learning rate"
                )));
            }
            step += 1;
            seen += batch.len();
            examples_seen += batch.len();
            loss_sum += loss * batch.len() as f64;
            step_losses.push(loss);
            let elapsed = train_clock.elapsed().as_secs_f64();
            let rate = examples_seen as f64 / elapsed.max(1e-9);
            host.progress(&Progress::Step {
                step,
                total_steps,
                epoch: epoch + 1,
                loss,
                lr_head: lr_head * factor,
                lr_encoder: lr_encoder * factor,
                examples_per_sec: rate,
                eta_seconds: (total_steps - step) as f64 * elapsed / (step - first_step) as f64,
            });
            host.yield_now().await;
        }

        let train_seconds = epoch_clock.elapsed().as_secs_f64();
        let snapshot = model.valid();
        let metrics = if valid.is_empty() {
            None
        } else {
            Some(
                objective
                    .evaluate(&snapshot, &valid_src, valid, &plain, pad_id, &valid_enc)
                    .await?,
            )
        };
        let score = metrics
            .as_ref()
            .map(|m| (m.score(), -m.loss.unwrap_or(0.0)))
            .unwrap_or((epoch as f64, 0.0));
        let is_best = best.as_ref().is_none_or(|(s, _, _)| score > *s);
        if is_best {
            best = Some((score, epoch + 1, snapshot));
            since_best = 0;
        } else {
            since_best += 1;
        }
        let report = EpochReport {
            epoch: epoch + 1,
            train_loss: loss_sum / seen.max(1) as f64,
            valid: metrics,
            similarity: None,
            seconds: epoch_clock.elapsed().as_secs_f64(),
            train_seconds,
            examples_per_sec: seen as f64 / train_seconds.max(1e-9),
            best: is_best,
        };
        host.progress(&Progress::Epoch(report.clone()));
        epochs.push(report);
        host.yield_now().await;
        if let Some(patience) = plan.patience
            && since_best >= patience
            && epoch + 1 >= plan.min_epochs
            && epoch + 1 < plan.epochs
        {
            stopped_early = true;
            break;
        }
        if epoch + 1 < plan.epochs && host.wants_checkpoints() {
            let (best_score, best_epoch, best_model) = best
                .as_ref()
                .expect("an epoch ended, so there is a best model");
            let meta = CheckpointMeta {
                format: checkpoint::FORMAT,
                identity: None,
                epochs_done: epoch + 1,
                step,
                steps_per_epoch,
                total_steps,
                step_losses: step_losses.clone(),
                epochs: epochs.clone(),
                best: Some(BestSoFar {
                    epoch: *best_epoch,
                    score: *best_score,
                }),
                best_is_current: *best_epoch == epoch + 1,
                since_best,
                dropout_rng: crate::model::dropout::state(),
                adam_steps: Default::default(),
                train_seconds: earlier_seconds + train_clock.elapsed().as_secs_f64(),
            };
            let made = make_checkpoint(meta, &model, best_model, &optimizer).await?;
            let event = host.checkpoint(made);
            host.progress(&event);
        }
    }

    let (best_epoch, mut model) = match best {
        Some((_, e, m)) => (Some(e), m),
        // Cancelled before the first epoch ended: the model as it is.
        None => (None, model.valid()),
    };
    model.head = objective.unscaled_head(model.head);
    let thresholds = objective.thresholds(
        best_epoch
            .and_then(|e| epochs.get(e - 1))
            .and_then(|e| e.valid.as_ref()),
    );
    host.progress(&Progress::Finished {
        epochs_run: epochs.len(),
        best_epoch,
        stopped_early,
        cancelled,
        seconds: started.elapsed().as_secs_f64(),
    });
    Ok(TrainOutcome {
        model,
        labels,
        task: objective.task,
        thresholds,
        pairs: train.pairs.is_some(),
        epochs,
        best_epoch,
        cancelled,
        stopped_early,
        cache: cache_info,
        step_losses,
        config: config.clone(),
        plan,
        cross_validation,
        step_cost: meter.finish(),
    })
}
