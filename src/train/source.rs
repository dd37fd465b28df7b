//! Examples on their way into the network during training: cached features (the frozen bottom
//! run once) or token ids run end to end. The classification loop and the contrastive loops
//! read pooled embeddings through it alike.

use burn::prelude::*;
use burn::tensor::TensorData;

use crate::Result;
use crate::engine::{BatchLimits, batched_rows};
use crate::model::{ModelInput, TextClassifier, mean_pool};
use crate::tokenize::{Encoded, PaddedBatch};

use super::cache::{CachePoint, FeatureCache};
use super::config::TrainConfig;
use super::progress::{CacheInfo, TrainHost};

/// What one more pass of the encoder costs the CPU backend, in padded tokens: a batch of texts
/// of mixed lengths (a contrastive batch: pairs drawn at random, not length-bucketed) runs as
/// groups of similar length when the padding it saves is worth more than this per extra group.
/// A token costs the encoder ~60 MFLOP forward and back, a pass's few hundred kernels a few
/// milliseconds: about as much as a few tokens. 32 leaves groups large enough for gemm to stay
/// efficient. The GPU backends, bound by kernel launches, run one padded batch.
const CPU_GROUP_COST_TOKENS: usize = 32;

/// A batch of texts of `lengths` as groups of similar length: the batch's positions sorted by
/// length, and where each group ends in that order. The split minimises the padded tokens
/// (each group padded to its longest text) plus `per_group` for each group (dynamic programming
/// over the sorted lengths: a few dozen texts).
fn length_groups(lengths: &[usize], per_group: usize) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&r| lengths[r]);
    let n = order.len();
    if n == 0 {
        return (order, Vec::new());
    }
    if per_group == usize::MAX {
        return (order, vec![n]);
    }
    // best[j]: the least cost of the first j texts (sorted), split[j]: where its last group starts.
    let mut best = vec![0usize; n + 1];
    let mut split = vec![0usize; n + 1];
    for j in 1..=n {
        best[j] = usize::MAX;
        for i in 0..j {
            let cost = best[i] + (j - i) * lengths[order[j - 1]] + per_group;
            if cost < best[j] {
                best[j] = cost;
                split[j] = i;
            }
        }
    }
    let mut ends = Vec::new();
    let mut j = n;
    while j > 0 {
        ends.push(j);
        j = split[j];
    }
    ends.reverse();
    (order, ends)
}

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
                let lengths: Vec<usize> = batch.iter().map(|&i| encoded[i].len()).collect();
                let per_group = if *device == Device::flex() {
                    CPU_GROUP_COST_TOKENS
                } else {
                    usize::MAX
                };
                let (order, groups) = length_groups(&lengths, per_group);
                let run = |rows: &[usize]| -> Tensor<2> {
                    let items: Vec<&Encoded> = rows.iter().map(|&r| &encoded[batch[r]]).collect();
                    let input = ModelInput::from_batch(&PaddedBatch::pad(&items, pad_id), device);
                    mean_pool(model.encoder.forward(&input), input.mask.clone())
                };
                if groups.len() <= 1 {
                    return run(&(0..batch.len()).collect::<Vec<_>>());
                }
                // Each group padded to its own longest text, the rows back in the batch's order.
                let mut start = 0;
                let parts: Vec<Tensor<2>> = groups
                    .iter()
                    .map(|&end| {
                        let part = run(&order[start..end]);
                        start = end;
                        part
                    })
                    .collect();
                let mut row_of = vec![0i64; batch.len()];
                for (row, &r) in order.iter().enumerate() {
                    row_of[r] = row as i64;
                }
                let n = row_of.len();
                Tensor::cat(parts, 0).select(
                    0,
                    crate::device_cost::upload(TensorData::new(row_of, [n]), device),
                )
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

#[cfg(test)]
mod tests {
    use super::length_groups;

    #[test]
    fn texts_of_mixed_lengths_split_where_the_padding_saved_pays_for_a_pass() {
        // 16 short texts and 16 long ones: one batch pads 32 × 40 = 1,280 tokens; two groups
        // pad 16 × 8 + 16 × 40 = 768, worth a second pass at 32.
        let lengths: Vec<usize> = (0..32).map(|i| if i % 2 == 0 { 8 } else { 40 }).collect();
        let (order, ends) = length_groups(&lengths, 32);
        assert_eq!(ends, vec![16, 32]);
        assert!(order[..16].iter().all(|&r| lengths[r] == 8));
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(sorted, (0..32).collect::<Vec<_>>(), "every text once");
        // Lengths close together: one group. A GPU (no split at any saving): one group.
        assert_eq!(length_groups(&[10, 11, 12, 12, 13], 32).1, vec![5]);
        assert_eq!(length_groups(&lengths, usize::MAX).1, vec![32]);
        assert_eq!(length_groups(&[], 32).1, Vec::<usize>::new());
    }
}
