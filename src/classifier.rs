//! A fine-tuned classifier ready to use: the engine (tokenizer + encoder), the head and the
//! label names. What training produces, what export writes and import reads back.

use burn::prelude::*;
use serde::Serialize;

use crate::data::{Dataset, LabelSet, Targets, Task};
use crate::engine::{BatchLimits, Engine, batched_rows, read_f32};
use crate::model::loss::{RegressionLoss, binary_cross_entropy, cross_entropy, regression_loss};
use crate::model::{Head, TextClassifier};
use crate::tokenize::Encoded;
use crate::train::TrainOutcome;
use crate::train::metrics::{Metrics, argmax_rows, decide, sigmoid, softmax_rows};
use crate::{Error, Result};

/// One text's (or pair's) prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// Single-label: the class. Multi-label: the labels predicted, joined by `;` (empty when
    /// none). Regression: the number, as text.
    pub label: String,
    /// Index of `label` (single-label; 0 otherwise).
    pub index: usize,
    /// Multi-label: every label predicted, in label order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// Regression: the predicted number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// Single-label: the probability of each class (softmax); multi-label: of each label
    /// (sigmoid, each on its own); regression: empty.
    pub probabilities: Vec<f32>,
    /// The head's raw outputs (what `SentenceTransformer(dir).encode` returns for the export).
    pub logits: Vec<f32>,
}

/// A classifier (or regressor) on one device.
#[derive(Debug, Clone)]
pub struct Classifier {
    pub engine: Engine,
    pub head: Head,
    /// The classes or labels; regression: the one output's name.
    pub labels: LabelSet,
    pub task: Task,
    /// Multi-label: the probability above which each label is predicted.
    pub thresholds: Option<Vec<f32>>,
    /// Whether the model reads pairs of texts (`[CLS] a [SEP] b [SEP]`).
    pub pairs: bool,
}

impl Classifier {
    /// The trained model from `outcome`, on `base`'s device (no autodiff).
    pub fn from_training(base: &Engine, outcome: &TrainOutcome) -> Self {
        let mut engine = base.clone();
        engine.encoder = outcome.model.encoder.clone();
        Classifier {
            engine,
            head: outcome.model.head.clone(),
            labels: outcome.labels.clone(),
            task: outcome.task,
            thresholds: outcome.thresholds.clone(),
            pairs: outcome.pairs,
        }
    }

    /// Outputs of the head: a class's or label's logit each, or one number.
    pub fn outputs(&self) -> usize {
        self.head.num_labels()
    }

    /// Tokenises texts, or pairs of texts (`second[i]` with `texts[i]`), as this model reads
    /// them. A pair model given single texts, or the other way round, is an error that says so.
    pub fn encode<S: AsRef<str>>(&self, texts: &[S], second: Option<&[S]>) -> Result<Vec<Encoded>> {
        let tokenizer = &self.engine.tokenizer;
        match (second, self.pairs) {
            (None, false) => tokenizer.encode_all(texts),
            (Some(second), true) => tokenizer.encode_all_pairs(texts, second),
            (None, true) => Err(Error::Invalid(
                "this model reads pairs of texts: give each text its second text".into(),
            )),
            (Some(_), false) => Err(Error::Invalid(
                "this model reads single texts, not pairs".into(),
            )),
        }
    }

    /// The network as one module.
    pub fn model(&self) -> TextClassifier {
        TextClassifier {
            encoder: self.engine.encoder.clone(),
            head: self.head.clone(),
        }
    }

    /// Logits for every text, in input order (`[n, classes]` row-major on the host).
    pub async fn logits<S: AsRef<str>>(
        &self,
        texts: &[S],
        limits: BatchLimits,
    ) -> Result<Vec<f32>> {
        let encoded = self.encode(texts, None)?;
        self.logits_of(&encoded, limits).await
    }

    pub async fn logits_of(&self, encoded: &[Encoded], limits: BatchLimits) -> Result<Vec<f32>> {
        let k = self.outputs();
        let model = self.model();
        let forward = |batch: &[usize]| {
            let items: Vec<&Encoded> = batch.iter().map(|&i| &encoded[i]).collect();
            model.forward(&self.engine.input(&items))
        };
        let rows = batched_rows(encoded, limits, |_| k, forward, async |_| Ok(())).await?;
        Ok(rows.concat())
    }

    /// Label and class probabilities for each text.
    pub async fn predict<S: AsRef<str>>(
        &self,
        texts: &[S],
        limits: BatchLimits,
    ) -> Result<Vec<Prediction>> {
        let encoded = self.encode(texts, None)?;
        self.predict_encoded(&encoded, limits).await
    }

    /// Predictions for pairs of texts (a pair model's).
    pub async fn predict_pairs<S: AsRef<str>>(
        &self,
        first: &[S],
        second: &[S],
        limits: BatchLimits,
    ) -> Result<Vec<Prediction>> {
        let encoded = self.encode(first, Some(second))?;
        self.predict_encoded(&encoded, limits).await
    }

    /// The thresholds multi-label decisions are made at (0.5 where the model has none).
    fn decision_thresholds(&self) -> Vec<f32> {
        self.thresholds
            .clone()
            .filter(|t| t.len() == self.outputs())
            .unwrap_or_else(|| vec![0.5; self.outputs()])
    }

    async fn predict_encoded(
        &self,
        encoded: &[Encoded],
        limits: BatchLimits,
    ) -> Result<Vec<Prediction>> {
        let k = self.outputs();
        let logits = self.logits_of(encoded, limits).await?;
        Ok(match self.task {
            Task::Single => {
                let indices = argmax_rows(&logits, k);
                softmax_rows(&logits, k)
                    .into_iter()
                    .zip(indices)
                    .zip(logits.chunks_exact(k))
                    .map(|((probabilities, index), logits)| Prediction {
                        label: self.labels.name(index).to_string(),
                        index,
                        labels: None,
                        score: None,
                        probabilities,
                        logits: logits.to_vec(),
                    })
                    .collect()
            }
            Task::Multi => {
                let thresholds = self.decision_thresholds();
                logits
                    .chunks_exact(k)
                    .map(|row| {
                        let probabilities = sigmoid(row);
                        let on: Vec<String> = probabilities
                            .iter()
                            .zip(&thresholds)
                            .enumerate()
                            .filter(|(_, (p, t))| p > t)
                            .map(|(l, _)| self.labels.name(l).to_string())
                            .collect();
                        Prediction {
                            label: on.join(";"),
                            index: 0,
                            labels: Some(on),
                            score: None,
                            probabilities,
                            logits: row.to_vec(),
                        }
                    })
                    .collect()
            }
            Task::Regression => logits
                .iter()
                .map(|&v| Prediction {
                    label: format!("{v}"),
                    index: 0,
                    labels: None,
                    score: Some(v),
                    probabilities: Vec::new(),
                    logits: vec![v],
                })
                .collect(),
        })
    }

    /// The task's metrics and mean loss on `data` (whose labels must be this model's; pairs when
    /// the model reads pairs). Multi-label decisions at the model's thresholds; the regression
    /// loss is the squared error on the targets' own scale.
    pub async fn evaluate(&self, data: &Dataset, limits: BatchLimits) -> Result<Metrics> {
        if data.task() != self.task {
            return Err(Error::Invalid(format!(
                "the model does {} but the data is {}",
                crate::job::describe_task(self.task),
                crate::job::describe_task(data.task())
            )));
        }
        let k = self.outputs();
        let encoded = match &data.pairs {
            Some(p) => self.encode(&data.texts, Some(p))?,
            None => self.encode(&data.texts, None)?,
        };
        let logits = self.logits_of(&encoded, limits).await?;
        let device = &self.engine.device;
        let n = data.len();
        let tensor = |v: Vec<f32>, shape: [usize; 2]| {
            Tensor::<2>::from_data(burn::tensor::TensorData::new(v, shape), device)
        };
        Ok(match &data.targets {
            Targets::Classes => {
                let predicted = argmax_rows(&logits, k);
                let loss = if n == 0 {
                    None
                } else {
                    let t: Vec<i64> = data.labels.iter().map(|&x| x as i64).collect();
                    let t =
                        Tensor::<1, Int>::from_data(burn::tensor::TensorData::new(t, [n]), device);
                    Some(read_f32(cross_entropy(tensor(logits, [n, k]), t, None)).await?[0] as f64)
                };
                Metrics::compute(self.labels.names(), &data.labels, &predicted, loss)
            }
            Targets::Multi(truth) => {
                let thresholds = self.decision_thresholds();
                let decided = decide(&sigmoid(&logits), &thresholds);
                let loss = if n == 0 {
                    None
                } else {
                    let mut hot = vec![0f32; n * k];
                    for (i, l) in truth.iter().enumerate() {
                        for &l in l {
                            hot[i * k + l] = 1.0;
                        }
                    }
                    let l = binary_cross_entropy(tensor(logits, [n, k]), tensor(hot, [n, k]), None);
                    Some(read_f32(l).await?[0] as f64)
                };
                Metrics::multi_label(self.labels.names(), truth, &decided, thresholds, loss)
            }
            Targets::Scores(truth) => {
                let loss = if n == 0 {
                    None
                } else {
                    let l = regression_loss(
                        tensor(logits.clone(), [n, 1]).reshape([n]),
                        tensor(truth.clone(), [n, 1]).reshape([n]),
                        RegressionLoss::Mse,
                    );
                    Some(read_f32(l).await?[0] as f64)
                };
                Metrics::regression(truth, &logits, loss)
            }
        })
    }
}
