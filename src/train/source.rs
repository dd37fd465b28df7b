//! Examples on their way into the network during training: cached features (the frozen bottom
//! run once) or token ids run end to end. The classification loop and the contrastive loops
//! read pooled embeddings through it alike.

use burn::prelude::*;

use crate::Result;
use crate::engine::{BatchLimits, batched_rows};
use crate::model::{ModelInput, TextClassifier, mean_pool};
use crate::tokenize::{Encoded, PaddedBatch};

use super::cache::{CachePoint, FeatureCache};
use super::config::TrainConfig;
use super::progress::{CacheInfo, TrainHost};

/// Examples on their way into the network: cached features, or token ids run end to end.
pub(crate) enum Source<'a> {
    Cached(FeatureCache),
    Tokens(&'a [Encoded]),
}

impl Source<'_> {
    pub(crate) fn logits(
        &self,
        model: &TextClassifier,
        batch: &[usize],
        device: &Device,
        pad_id: u32,
    ) -> Tensor<2> {
        model
            .head
            .forward(self.pooled(model, batch, device, pad_id))
    }

    pub(crate) fn pooled(
        &self,
        model: &TextClassifier,
        batch: &[usize],
        device: &Device,
        pad_id: u32,
    ) -> Tensor<2> {
        match self {
            Source::Cached(cache) => cache.pooled(model, batch, device),
            Source::Tokens(encoded) => {
                let items: Vec<&Encoded> = batch.iter().map(|&i| &encoded[i]).collect();
                let input = ModelInput::from_batch(&PaddedBatch::pad(&items, pad_id), device);
                mean_pool(model.encoder.forward(&input), input.mask.clone())
            }
        }
    }

    /// Every example's pooled embedding under `model` (a `valid()` copy), row after row.
    pub(crate) async fn all_pooled(
        &self,
        model: &TextClassifier,
        encoded: &[Encoded],
        device: &Device,
        pad_id: u32,
        host: &mut dyn TrainHost,
    ) -> Result<Vec<f32>> {
        let hidden = model.encoder.config.hidden_size;
        let forward = |batch: &[usize]| self.pooled(model, batch, device, pad_id);
        let after = async |_| {
            host.yield_now().await;
            Ok(())
        };
        let rows = batched_rows(encoded, BatchLimits::DEFAULT, |_| hidden, forward, after).await?;
        Ok(rows.concat())
    }
}

/// Where a strategy's constant part ends, and whether caching it fits: the cache point (`None`
/// when nothing is cached) and what the run reports about it. `lengths`: the token count of every
/// example the run will cache (training and validation).
pub(crate) fn plan_cache(
    config: &TrainConfig,
    num_layers: usize,
    hidden: usize,
    lengths: &[usize],
    host: &dyn TrainHost,
) -> (Option<CachePoint>, CacheInfo) {
    let point = match config.strategy.first_trainable_layer(num_layers) {
        None => Some(CachePoint::Pooled),
        Some(k) if config.strategy.cacheable() => Some(CachePoint::Layer(k)),
        Some(_) => None,
    };
    let limit = config
        .cache_limit_bytes
        .unwrap_or_else(|| host.cache_limit());
    let needed = point.map(|p| p.bytes(lengths, hidden)).unwrap_or(0);
    let reason = match point {
        None => Some(
            "the strategy trains every layer, embeddings included: nothing is constant".to_string(),
        ),
        Some(_) if !config.cache => Some("disabled by the settings".to_string()),
        Some(_) if needed > limit => Some(format!(
            "it would need {:.1} MB, over the {:.1} MB limit: every step runs the frozen layers",
            needed as f64 / 1e6,
            limit as f64 / 1e6
        )),
        Some(_) => None,
    };
    let info = CacheInfo {
        enabled: reason.is_none(),
        what: point
            .map(|p| p.describe())
            .unwrap_or_else(|| "nothing".into()),
        bytes: if reason.is_none() { needed } else { 0 },
        limit_bytes: limit,
        reason,
    };
    (point.filter(|_| info.enabled), info)
}

/// The sources of each example set: features cached at `point` by the frozen copy `frozen`
/// (reporting `Caching` progress over all the sets together), or the tokens themselves when
/// `point` is `None`. Sets `info.bytes` to what the cache holds.
pub(crate) async fn build_sources<'a, const N: usize>(
    frozen: &TextClassifier,
    point: Option<CachePoint>,
    sets: [&'a [Encoded]; N],
    pad_id: u32,
    device: &Device,
    info: &mut CacheInfo,
    host: &mut dyn TrainHost,
) -> Result<[Source<'a>; N]> {
    let Some(point) = point else {
        return Ok(sets.map(Source::Tokens));
    };
    let total: usize = sets.iter().map(|s| s.len()).sum();
    let mut done = 0;
    let mut out = Vec::with_capacity(sets.len());
    let mut bytes = 0;
    for set in sets.iter() {
        let cache =
            FeatureCache::build(frozen, set, point, pad_id, device, host, done, total).await?;
        done += set.len();
        bytes += cache.bytes();
        out.push(Source::Cached(cache));
    }
    info.bytes = bytes;
    out.try_into()
        .map_err(|_| crate::Error::Backend("the cache lost an example set".into()))
}
