//! The contrastive training step, shared by few-shot classification and embedding fine-tuning:
//! batches of text pairs, each text run through the encoder once per step however many pairs it
//! is in, a loss on the pooled embeddings, an AdamW step. Async and cancellable like the
//! classification loop, reporting every step.

use std::collections::HashMap;

use burn::prelude::*;
use burn::tensor::TensorData;
use web_time::Instant;

use crate::device_cost::upload;
use crate::engine::read_f32;
use crate::model::TextClassifier;
use crate::model::contrastive_loss::{cosent_loss, cosine_similarity_loss, mnrl_loss};
use crate::rng::SplitMix64;
use crate::{Error, Result};

use super::config::TrainConfig;
use super::optim::{Optimizer, Schedule, lr_factor};
use super::progress::{EpochReport, Progress, TrainHost};
use super::source::Source;

/// What the encoder learns from pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PairLoss {
    /// Cosine similarity regressed on each pair's target (SetFit: 1 same class, 0 not).
    Cosine,
    /// CoSENT on scored pairs, at this scale.
    CoSent { scale: f64 },
    /// MultipleNegativesRankingLoss (in-batch negatives, plus each row's hard negative).
    Mnrl { scale: f64, symmetric: bool },
}

/// Two texts (indices into the run's distinct texts), an optional hard negative (MNRL) and the
/// target: the cosine to reach (`Cosine`) or the score (`CoSent`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextPair {
    pub a: usize,
    pub b: usize,
    pub negative: Option<usize>,
    pub target: f32,
}

impl TextPair {
    fn texts(&self) -> impl Iterator<Item = usize> {
        [Some(self.a), Some(self.b), self.negative]
            .into_iter()
            .flatten()
    }
}

/// Batches of pair indices for one epoch, shuffled with `seed`. For MNRL no text appears twice
/// in a batch (as sentence-transformers' `NoDuplicatesBatchSampler`): a repeated text would be
/// its own in-batch negative. A pair that cannot join a batch waits for the next one.
pub fn pair_batches(
    pairs: &[TextPair],
    batch_size: usize,
    no_duplicates: bool,
    seed: u64,
    epoch: usize,
) -> Vec<Vec<usize>> {
    let batch_size = batch_size.max(1);
    let mut rng = SplitMix64::new(seed.wrapping_mul(7_919).wrapping_add(epoch as u64));
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    rng.shuffle(&mut order);
    if !no_duplicates {
        return order.chunks(batch_size).map(<[usize]>::to_vec).collect();
    }
    let mut batches = Vec::new();
    while !order.is_empty() {
        let mut batch = Vec::with_capacity(batch_size);
        let mut seen = std::collections::HashSet::new();
        let mut rest = Vec::new();
        for i in order {
            let fits = batch.len() < batch_size && pairs[i].texts().all(|t| !seen.contains(&t));
            if fits {
                seen.extend(pairs[i].texts());
                batch.push(i);
            } else {
                rest.push(i);
            }
        }
        batches.push(batch);
        order = rest;
    }
    batches
}

/// The optimiser and schedule of one contrastive run, stepped epoch by epoch.
pub struct PairTrainer {
    pub loss: PairLoss,
    pub batch_size: usize,
    pub seed: u64,
    pub lr: f64,
    pub schedule: Schedule,
    pub total_steps: usize,
    pub warmup_steps: usize,
    optimizer: Optimizer,
    step: usize,
    pairs_seen: usize,
    clock: Option<Instant>,
    /// Each step's loss, in order.
    pub step_losses: Vec<f64>,
}

/// What an epoch of pair steps did.
#[derive(Debug, Clone, Copy)]
pub struct PairEpoch {
    pub mean_loss: f64,
    pub pairs: usize,
    pub seconds: f64,
    /// Stopped by the user before the epoch ended.
    pub cancelled: bool,
}

impl PairTrainer {
    /// The optimiser and schedule `config` asks for (encoder learning rate, schedule, weight
    /// decay, clipping, batch size, seed), over `total_steps` with `warmup_steps` of warm-up.
    pub fn new(
        loss: PairLoss,
        config: &TrainConfig,
        total_steps: usize,
        warmup_steps: usize,
    ) -> Self {
        PairTrainer {
            loss,
            batch_size: config.batch_size,
            seed: config.seed,
            lr: config.encoder_lr(),
            schedule: config.resolved_schedule(),
            total_steps,
            warmup_steps,
            optimizer: Optimizer::new(config.weight_decay, config.max_grad_norm),
            step: 0,
            pairs_seen: 0,
            clock: None,
            step_losses: Vec::new(),
        }
    }

    /// Steps over every pair once. `source` holds the run's distinct texts (as the pairs index
    /// them); `model` is on the autodiff device with the strategy applied.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn epoch(
        &mut self,
        mut model: TextClassifier,
        source: &Source<'_>,
        pairs: &[TextPair],
        epoch: usize,
        device: &Device,
        pad_id: u32,
        host: &mut dyn TrainHost,
    ) -> Result<(TextClassifier, PairEpoch)> {
        let clock = *self.clock.get_or_insert_with(Instant::now);
        let started = Instant::now();
        let no_duplicates = matches!(self.loss, PairLoss::Mnrl { .. });
        let mut loss_sum = 0.0;
        let mut seen = 0usize;
        let mut cancelled = false;
        for batch in pair_batches(pairs, self.batch_size, no_duplicates, self.seed, epoch) {
            if host.past_deadline() {
                return Err(Error::Backend(format!(
                    "abandoned at step {}: past the time budget",
                    self.step
                )));
            }
            if host.cancelled() {
                cancelled = true;
                break;
            }
            let factor = lr_factor(
                self.schedule,
                self.step,
                self.total_steps,
                self.warmup_steps,
            );
            let loss = self.loss_of(&model, source, pairs, &batch, device, pad_id);
            let value = loss.clone().inner();
            let lr = self.lr * factor;
            model = self.optimizer.step(model, loss, lr, lr);
            let loss = read_f32(value).await?[0] as f64;
            if !loss.is_finite() {
                return Err(Error::Backend(format!(
                    "the loss became {loss} at step {}: try a lower learning rate",
                    self.step
                )));
            }
            self.step += 1;
            seen += batch.len();
            self.pairs_seen += batch.len();
            loss_sum += loss * batch.len() as f64;
            self.step_losses.push(loss);
            let elapsed = clock.elapsed().as_secs_f64();
            host.progress(&Progress::Step {
                step: self.step,
                total_steps: self.total_steps,
                epoch: epoch + 1,
                loss,
                lr_head: 0.0,
                lr_encoder: lr,
                examples_per_sec: self.pairs_seen as f64 / elapsed.max(1e-9),
                eta_seconds: self.total_steps.saturating_sub(self.step) as f64 * elapsed
                    / self.step as f64,
            });
            host.yield_now().await;
        }
        Ok((
            model,
            PairEpoch {
                mean_loss: loss_sum / seen.max(1) as f64,
                pairs: seen,
                seconds: started.elapsed().as_secs_f64(),
                cancelled,
            },
        ))
    }

    /// The loss of one batch: each distinct text embedded once, rows gathered per role.
    fn loss_of(
        &self,
        model: &TextClassifier,
        source: &Source<'_>,
        pairs: &[TextPair],
        batch: &[usize],
        device: &Device,
        pad_id: u32,
    ) -> Tensor<1> {
        let mut distinct: Vec<usize> = Vec::new();
        let mut row_of: HashMap<usize, usize> = HashMap::new();
        for &p in batch {
            for t in pairs[p].texts() {
                row_of.entry(t).or_insert_with(|| {
                    distinct.push(t);
                    distinct.len() - 1
                });
            }
        }
        let pooled = source.pooled(model, &distinct, device, pad_id);
        let rows = |texts: Vec<usize>| -> Tensor<2> {
            let idx: Vec<i64> = texts.iter().map(|t| row_of[t] as i64).collect();
            let n = idx.len();
            pooled
                .clone()
                .select(0, upload(TensorData::new(idx, [n]), device))
        };
        let a = rows(batch.iter().map(|&p| pairs[p].a).collect());
        let b: Vec<usize> = batch.iter().map(|&p| pairs[p].b).collect();
        let targets: Vec<f32> = batch.iter().map(|&p| pairs[p].target).collect();
        match self.loss {
            PairLoss::Cosine => cosine_similarity_loss(a, rows(b), &targets),
            PairLoss::CoSent { scale } => cosent_loss(a, rows(b), &targets, scale),
            PairLoss::Mnrl { scale, symmetric } => {
                let candidates = b
                    .into_iter()
                    .chain(batch.iter().filter_map(|&p| pairs[p].negative))
                    .collect();
                mnrl_loss(a, rows(candidates), scale, symmetric)
            }
        }
    }
}

/// The epochs of a contrastive run (few-shot, embedding) and the one it keeps: the best
/// validation score so far, or the last epoch when nothing is validated (the caller scores those
/// by epoch number). Sends each epoch's report, and `Finished` at the end.
pub struct KeptEpochs<T> {
    best: Option<(f64, usize, T)>,
    reports: Vec<EpochReport>,
}

impl<T> KeptEpochs<T> {
    pub fn new() -> Self {
        Self {
            best: None,
            reports: Vec::new(),
        }
    }

    /// Records an epoch scored `score` (its report's `best` is set here) with the model it ends
    /// with, and sends the report.
    pub fn record(
        &mut self,
        score: f64,
        mut report: EpochReport,
        model: T,
        host: &mut dyn TrainHost,
    ) {
        report.best = self.best.as_ref().is_none_or(|(s, _, _)| score > *s);
        if report.best {
            self.best = Some((score, report.epoch, model));
        }
        host.progress(&Progress::Epoch(report.clone()));
        self.reports.push(report);
    }

    /// Sends `Finished` and returns the kept epoch (1-based) and model: `unrun` when the run
    /// stopped before its first epoch ended (the front ends refuse to keep that one).
    pub fn finish(
        self,
        cancelled: bool,
        started: Instant,
        unrun: impl FnOnce() -> T,
        host: &mut dyn TrainHost,
    ) -> (Option<usize>, T, Vec<EpochReport>) {
        let (best_epoch, model) = match self.best {
            Some((_, epoch, model)) => (Some(epoch), model),
            None => (None, unrun()),
        };
        host.progress(&Progress::Finished {
            epochs_run: self.reports.len(),
            best_epoch,
            stopped_early: false,
            cancelled,
            seconds: started.elapsed().as_secs_f64(),
        });
        (best_epoch, model, self.reports)
    }
}

impl<T> Default for KeptEpochs<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: usize, b: usize) -> TextPair {
        TextPair {
            a,
            b,
            negative: None,
            target: 1.0,
        }
    }

    #[test]
    fn mnrl_batches_hold_no_text_twice_and_cover_every_pair() {
        // Text 0 is in five pairs: no batch may hold two of them.
        let pairs: Vec<TextPair> = (1..=5)
            .map(|b| pair(0, b))
            .chain((6..30).map(|a| pair(a, a + 100)))
            .collect();
        let batches = pair_batches(&pairs, 8, true, 3, 0);
        let mut all: Vec<usize> = batches.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, (0..pairs.len()).collect::<Vec<_>>());
        for b in &batches {
            assert!(b.len() <= 8);
            let mut texts: Vec<usize> = b.iter().flat_map(|&p| pairs[p].texts()).collect();
            let n = texts.len();
            texts.sort();
            texts.dedup();
            assert_eq!(texts.len(), n, "a text twice in {b:?}");
        }
        assert_eq!(batches, pair_batches(&pairs, 8, true, 3, 0));
        assert_ne!(batches, pair_batches(&pairs, 8, true, 3, 1));
        // Without the rule, plain shuffled chunks.
        assert_eq!(pair_batches(&pairs, 8, false, 3, 0).len(), 4);
    }
}
