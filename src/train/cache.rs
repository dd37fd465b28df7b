//! The frozen-feature cache. The frozen bottom of the network computes the same thing for an
//! example every epoch, so it runs once, without autodiff, and training runs only the top:
//! from the hidden states entering the first trainable layer (with their masks), or — for the
//! `head` strategy — from the pooled embeddings.

use burn::prelude::*;
use burn::tensor::TensorData;

use crate::device_cost::upload;
use crate::engine::{BatchLimits, batched_rows};
use crate::model::{ModelInput, TextClassifier, mean_pool};
use crate::tokenize::{Encoded, PaddedBatch};
use crate::{Error, Result};

use super::progress::{Progress, TrainHost};

/// Where the cached features enter the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePoint {
    /// Pooled sentence embeddings; only the head runs.
    Pooled,
    /// Hidden states entering encoder layer `k`.
    Layer(usize),
}

impl CachePoint {
    pub fn describe(&self) -> String {
        match self {
            CachePoint::Pooled => "pooled embeddings".into(),
            CachePoint::Layer(k) => format!("hidden states entering layer {k}"),
        }
    }

    /// Bytes needed for `examples` of the given token lengths.
    pub fn bytes(&self, lengths: &[usize], hidden: usize) -> u64 {
        let floats: usize = match self {
            CachePoint::Pooled => lengths.len() * hidden,
            CachePoint::Layer(_) => lengths.iter().sum::<usize>() * hidden,
        };
        floats as u64 * 4
    }
}

/// Cached features of a set of examples, on the host (f32, unpadded).
#[derive(Debug, Clone)]
pub struct FeatureCache {
    pub point: CachePoint,
    pub hidden: usize,
    /// `[len_i * hidden]` per example (`[hidden]` for pooled).
    rows: Vec<Vec<f32>>,
    lengths: Vec<usize>,
}

impl FeatureCache {
    /// Runs the frozen part of `model` (a `valid()` copy: no autodiff, no dropout) over every
    /// example, in length-sorted batches, reading results back asynchronously.
    pub async fn build(
        model: &TextClassifier,
        encoded: &[Encoded],
        point: CachePoint,
        pad_id: u32,
        device: &Device,
        host: &mut dyn TrainHost,
        done_before: usize,
        total: usize,
    ) -> Result<Self> {
        let hidden = model.encoder.config.hidden_size;
        let forward = |batch: &[usize]| {
            let items: Vec<&Encoded> = batch.iter().map(|&i| &encoded[i]).collect();
            let input = ModelInput::from_batch(&PaddedBatch::pad(&items, pad_id), device);
            match point {
                CachePoint::Pooled => {
                    mean_pool(model.encoder.forward(&input), input.mask.clone()).reshape([-1])
                }
                CachePoint::Layer(k) => model.encoder.hidden_before(&input, k).reshape([-1]),
            }
        };
        // Pooled: one row of `hidden` an example; states: the example's own tokens of its padded
        // `[seq, hidden]` row.
        let keep = |i: usize| match point {
            CachePoint::Pooled => hidden,
            CachePoint::Layer(_) => encoded[i].len() * hidden,
        };
        let after = async |done: usize| {
            host.progress(&Progress::Caching {
                done: done_before + done,
                total,
            });
            host.yield_now().await;
            if host.past_deadline() {
                return Err(Error::Backend(
                    "abandoned while filling the cache: past the time budget".into(),
                ));
            }
            Ok(())
        };
        let rows = batched_rows(encoded, BatchLimits::DEFAULT, keep, forward, after).await?;
        Ok(FeatureCache {
            point,
            hidden,
            rows,
            lengths: encoded.iter().map(Encoded::len).collect(),
        })
    }

    /// The pooled embeddings of every example, row after row, and their width. Only for a
    /// [`CachePoint::Pooled`] cache (empty otherwise).
    pub fn pooled_rows(&self) -> (Vec<f32>, usize) {
        if self.point != CachePoint::Pooled {
            return (Vec::new(), self.hidden);
        }
        (self.rows.concat(), self.hidden)
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.rows.iter().map(|r| r.len() as u64 * 4).sum()
    }

    /// Logits of the examples at `batch`, from their cached features.
    pub fn logits(&self, model: &TextClassifier, batch: &[usize], device: &Device) -> Tensor<2> {
        model.head.forward(self.pooled(model, batch, device))
    }

    /// Pooled embeddings of the examples at `batch` under `model`'s trainable layers, from
    /// their cached features.
    pub fn pooled(&self, model: &TextClassifier, batch: &[usize], device: &Device) -> Tensor<2> {
        let h = self.hidden;
        match self.point {
            CachePoint::Pooled => {
                let mut data = Vec::with_capacity(batch.len() * h);
                for &i in batch {
                    data.extend_from_slice(&self.rows[i]);
                }
                upload(TensorData::new(data, [batch.len(), h]), device)
            }
            CachePoint::Layer(k) => {
                let t = batch.iter().map(|&i| self.lengths[i]).max().unwrap_or(0);
                let mut data = vec![0.0f32; batch.len() * t * h];
                let mut mask = vec![0.0f32; batch.len() * t];
                for (r, &i) in batch.iter().enumerate() {
                    let len = self.lengths[i];
                    data[r * t * h..r * t * h + len * h].copy_from_slice(&self.rows[i]);
                    mask[r * t..r * t + len].fill(1.0);
                }
                let hidden = upload(TensorData::new(data, [batch.len(), t, h]), device);
                let mask = upload(TensorData::new(mask, [batch.len(), t]), device);
                model.pooled_from(hidden, mask, k)
            }
        }
    }
}
