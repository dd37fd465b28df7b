//! What a classify run optimises and how it scores, by task: cross-entropy and macro-F1 for one
//! class a text; binary cross-entropy, thresholds chosen on validation and micro-F1 for labels;
//! squared (or Huber) error on standardised targets and Spearman's correlation for numbers.
//! The loop in `trainer.rs` is the same for all three.

use burn::prelude::*;
use burn::tensor::TensorData;

use crate::Result;
use crate::data::{Dataset, Targets, Task};
use crate::device_cost::upload;
use crate::engine::{BatchLimits, batched_rows, read_f32};
use crate::model::loss::{RegressionLoss, binary_cross_entropy, cross_entropy, regression_loss};
use crate::model::{Head, TextClassifier};
use crate::tokenize::Encoded;

use super::config::TrainConfig;
use super::metrics::{Metrics, argmax_rows, choose_thresholds, decide, sigmoid};
use super::source::Source;

/// A run's loss and scoring, set up from its training set and settings.
pub(crate) struct Objective {
    pub task: Task,
    /// The head's outputs: a logit a class or label, or one number.
    pub outputs: usize,
    /// Single-label: each class's weight; multi-label: each label's positive weight.
    pub weights: Option<Vec<f32>>,
    /// Regression: the training targets' mean and standard deviation, when standardised.
    pub scale: Option<(f32, f32)>,
    regression_loss: RegressionLoss,
    threshold: Option<f32>,
    per_label: bool,
}

impl Objective {
    pub(crate) fn new(train: &Dataset, config: &TrainConfig) -> Self {
        let task = train.task();
        let weights = match task {
            Task::Single => config.class_weights(&train.class_counts()),
            Task::Multi => config.positive_weights(&train.class_counts(), train.len()),
            Task::Regression => None,
        };
        let scale = match &train.targets {
            Targets::Scores(s) if config.standardize_targets && !s.is_empty() => {
                let n = s.len() as f64;
                let mean = s.iter().map(|&v| v as f64).sum::<f64>() / n;
                let var = s.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
                // A constant target is refused when the file is read; guard the division anyway.
                Some((mean as f32, var.sqrt().max(1e-12) as f32))
            }
            _ => None,
        };
        Objective {
            task,
            outputs: train.outputs(),
            weights,
            scale,
            regression_loss: config.regression_loss.loss(),
            threshold: config.threshold.map(|t| t as f32),
            per_label: config.threshold_per_label,
        }
    }

    /// The weights as a tensor on `device` (made once a run, not a step).
    pub(crate) fn weight_tensor(&self, device: &Device) -> Option<Tensor<1>> {
        self.weights
            .as_ref()
            .map(|w| Tensor::from_data(TensorData::new(w.clone(), [w.len()]), device))
    }

    /// Mean loss of `logits` on the examples `batch` of `data` (on `logits`' device).
    pub(crate) fn loss(
        &self,
        logits: Tensor<2>,
        data: &Dataset,
        batch: &[usize],
        weights: Option<Tensor<1>>,
    ) -> Tensor<1> {
        let device = logits.device();
        let n = batch.len();
        match &data.targets {
            Targets::Classes => {
                let t: Vec<i64> = batch.iter().map(|&i| data.labels[i] as i64).collect();
                cross_entropy(logits, upload(TensorData::new(t, [n]), &device), weights)
            }
            Targets::Multi(lists) => {
                let k = self.outputs;
                let mut hot = vec![0f32; n * k];
                for (r, &i) in batch.iter().enumerate() {
                    for &l in &lists[i] {
                        hot[r * k + l] = 1.0;
                    }
                }
                binary_cross_entropy(
                    logits,
                    upload(TensorData::new(hot, [n, k]), &device),
                    weights,
                )
            }
            Targets::Scores(scores) => {
                let t: Vec<f32> = batch.iter().map(|&i| self.standardize(scores[i])).collect();
                let predicted = logits.reshape([n]);
                regression_loss(
                    predicted,
                    upload(TensorData::new(t, [n]), &device),
                    self.regression_loss,
                )
            }
        }
    }

    fn standardize(&self, v: f32) -> f32 {
        match self.scale {
            Some((mean, std)) => (v - mean) / std,
            None => v,
        }
    }

    fn unstandardize(&self, v: f32) -> f32 {
        match self.scale {
            Some((mean, std)) => v * std + mean,
            None => v,
        }
    }

    /// Evaluates `model` (plain device) on `data` through `source`: the task's metrics and mean
    /// loss. Multi-label: at the configured threshold, else at the thresholds that do best on
    /// `data` (this is the validation data they are chosen on; the metrics say so by carrying
    /// them).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn evaluate(
        &self,
        model: &TextClassifier,
        source: &Source<'_>,
        data: &Dataset,
        device: &Device,
        pad_id: u32,
        encoded: &[Encoded],
    ) -> Result<Metrics> {
        let k = self.outputs;
        let mut losses: Vec<(Tensor<1>, usize)> = Vec::new();
        let forward = |batch: &[usize]| {
            let logits = source.logits(model, batch, device, pad_id);
            losses.push((self.loss(logits.clone(), data, batch, None), batch.len()));
            logits
        };
        let rows = batched_rows(
            encoded,
            BatchLimits::DEFAULT,
            |_| k,
            forward,
            async |_| Ok(()),
        )
        .await?;
        let outputs = rows.concat();
        let mut loss_sum = 0.0f64;
        for (loss, n) in losses {
            loss_sum += read_f32(loss).await?[0] as f64 * n as f64;
        }
        let loss = (!data.is_empty()).then(|| loss_sum / data.len() as f64);
        let names = data.label_set.names();
        Ok(match &data.targets {
            Targets::Classes => {
                Metrics::compute(names, &data.labels, &argmax_rows(&outputs, k), loss)
            }
            Targets::Multi(truth) => {
                let p = sigmoid(&outputs);
                let thresholds = match self.threshold {
                    Some(t) => vec![t; k],
                    None => choose_thresholds(&p, truth, k, self.per_label),
                };
                Metrics::multi_label(names, truth, &decide(&p, &thresholds), thresholds, loss)
            }
            Targets::Scores(truth) => {
                let predicted: Vec<f32> = outputs.iter().map(|&v| self.unstandardize(v)).collect();
                Metrics::regression(truth, &predicted, loss)
            }
        })
    }

    /// The thresholds a multi-label model decides at: those of its validation metrics, else the
    /// configured one, else 0.5.
    pub(crate) fn thresholds(&self, valid: Option<&Metrics>) -> Option<Vec<f32>> {
        (self.task == Task::Multi).then(|| {
            valid
                .and_then(|m| m.multi_label.as_ref())
                .map(|m| m.thresholds.clone())
                .unwrap_or_else(|| vec![self.threshold.unwrap_or(0.5); self.outputs])
        })
    }

    /// The head that predicts on the targets' own scale: a regression head trained on
    /// standardised targets, its weights times the standard deviation and its bias times it
    /// plus the mean. Other heads unchanged.
    pub(crate) fn unscaled_head(&self, head: Head) -> Head {
        let Some((mean, std)) = self.scale else {
            return head;
        };
        let mut head = head;
        head.linear.weight = head.linear.weight.map(|w| w.mul_scalar(std));
        head.linear.bias = head
            .linear
            .bias
            .map(|b| b.map(|b| b.mul_scalar(std).add_scalar(mean)));
        head
    }
}
