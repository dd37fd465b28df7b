//! A fine-tuned classifier ready to use: the engine (tokenizer + encoder), the head and the
//! label names. What training produces, what export writes and import reads back.

use burn::prelude::*;
use serde::Serialize;

use crate::Result;
use crate::data::{Dataset, LabelSet};
use crate::engine::{BatchLimits, Engine, batched_rows, read_f32};
use crate::model::loss::cross_entropy;
use crate::model::{Head, TextClassifier};
use crate::tokenize::Encoded;
use crate::train::TrainOutcome;
use crate::train::metrics::{Metrics, argmax_rows, softmax_rows};

/// One text's prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub label: String,
    /// Index of `label`.
    pub index: usize,
    /// Probability of each class, in label order.
    pub probabilities: Vec<f32>,
    /// The head's raw outputs (what `SentenceTransformer(dir).encode` returns for the export).
    pub logits: Vec<f32>,
}

/// A classifier on one device.
#[derive(Debug, Clone)]
pub struct Classifier {
    pub engine: Engine,
    pub head: Head,
    pub labels: LabelSet,
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
        let encoded = self.engine.tokenizer.encode_all(texts)?;
        self.logits_of(&encoded, limits).await
    }

    async fn logits_of(&self, encoded: &[Encoded], limits: BatchLimits) -> Result<Vec<f32>> {
        let k = self.labels.len();
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
        let k = self.labels.len();
        let logits = self.logits(texts, limits).await?;
        let indices = argmax_rows(&logits, k);
        Ok(softmax_rows(&logits, k)
            .into_iter()
            .zip(indices)
            .zip(logits.chunks_exact(k))
            .map(|((probabilities, index), logits)| Prediction {
                label: self.labels.name(index).to_string(),
                index,
                probabilities,
                logits: logits.to_vec(),
            })
            .collect())
    }

    /// Accuracy, macro-F1, per-class metrics, confusion matrix and mean loss on `data` (whose
    /// label set must be this model's).
    pub async fn evaluate(&self, data: &Dataset, limits: BatchLimits) -> Result<Metrics> {
        let k = self.labels.len();
        let encoded = self.engine.tokenizer.encode_all(&data.texts)?;
        let logits = self.logits_of(&encoded, limits).await?;
        let predicted = argmax_rows(&logits, k);
        let device = &self.engine.device;
        let n = data.len();
        let loss = if n == 0 {
            None
        } else {
            let l = Tensor::<2>::from_data(burn::tensor::TensorData::new(logits, [n, k]), device);
            let t: Vec<i64> = data.labels.iter().map(|&x| x as i64).collect();
            let t = Tensor::<1, Int>::from_data(burn::tensor::TensorData::new(t, [n]), device);
            Some(read_f32(cross_entropy(l, t, None)).await?[0] as f64)
        };
        Ok(Metrics::compute(
            self.labels.names(),
            &data.labels,
            &predicted,
            loss,
        ))
    }
}
