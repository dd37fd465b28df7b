//! How good a model's sentence embeddings are on a pair file: for scored pairs the Spearman (and
//! Pearson) correlation of the cosine similarity with the scores, as sentence-transformers'
//! `EmbeddingSimilarityEvaluator`; for pairs, retrieval of each anchor's positive among all the
//! file's positives (and negatives): recall@1, recall@10 and MRR@10, as its
//! `InformationRetrievalEvaluator` counts them.

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::data::pairs::{PairKind, PairSet};
use crate::engine::{BatchLimits, Engine};

/// Metrics of one pair file (the fields of its kind are set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarityMetrics {
    pub pairs: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spearman: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pearson: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recall_at_1: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recall_at_10: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mrr_at_10: Option<f64>,
    /// Distinct texts the anchors were searched in (pairs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub corpus: Option<usize>,
}

/// Embeds the file's texts with `engine` (mean pooling, unit length) and scores them.
pub async fn evaluate(
    engine: &Engine,
    set: &PairSet,
    limits: BatchLimits,
) -> Result<SimilarityMetrics> {
    let first = engine.embed(&set.first, true, limits).await?;
    let mut metrics = SimilarityMetrics {
        pairs: set.len(),
        spearman: None,
        pearson: None,
        recall_at_1: None,
        recall_at_10: None,
        mrr_at_10: None,
        corpus: None,
    };
    match (set.kind, &set.scores) {
        (PairKind::Scored, Some(scores)) => {
            let second = engine.embed(&set.second, true, limits).await?;
            let cos: Vec<f64> = first.iter().zip(&second).map(|(a, b)| dot(a, b)).collect();
            metrics.spearman = Some(spearman(&cos, scores));
            metrics.pearson = Some(pearson(&cos, scores));
        }
        _ => {
            // The corpus: every distinct positive (and negative) text.
            let mut corpus: Vec<String> = Vec::new();
            let mut index = std::collections::HashMap::new();
            let mut add = |t: &String, corpus: &mut Vec<String>| -> usize {
                *index.entry(t.clone()).or_insert_with(|| {
                    corpus.push(t.clone());
                    corpus.len() - 1
                })
            };
            let relevant: Vec<usize> = set.second.iter().map(|t| add(t, &mut corpus)).collect();
            for t in set.negatives.iter().flatten() {
                add(t, &mut corpus);
            }
            let docs = engine.embed(&corpus, true, limits).await?;
            let ranks: Vec<usize> = first
                .iter()
                .zip(&relevant)
                .map(|(q, &r)| rank_of(q, &docs, r))
                .collect();
            let r = retrieval(&ranks);
            metrics.recall_at_1 = Some(r.0);
            metrics.recall_at_10 = Some(r.1);
            metrics.mrr_at_10 = Some(r.2);
            metrics.corpus = Some(corpus.len());
        }
    }
    Ok(metrics)
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum()
}

/// 1-based rank of document `relevant` for query `q`: one more than the documents scoring higher.
fn rank_of(q: &[f32], docs: &[Vec<f32>], relevant: usize) -> usize {
    let score = dot(q, &docs[relevant]);
    1 + docs.iter().filter(|d| dot(q, d) > score).count()
}

/// (recall@1, recall@10, MRR@10) from each query's rank of its relevant document.
pub fn retrieval(ranks: &[usize]) -> (f64, f64, f64) {
    let n = ranks.len().max(1) as f64;
    let within = |k: usize| ranks.iter().filter(|&&r| r <= k).count() as f64 / n;
    let mrr = ranks
        .iter()
        .map(|&r| if r <= 10 { 1.0 / r as f64 } else { 0.0 })
        .sum::<f64>()
        / n;
    (within(1), within(10), mrr)
}

/// Ranks from 1, ties sharing their average rank (as scipy's `rankdata`).
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut out = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = avg;
        }
        i = j + 1;
    }
    out
}

/// Pearson's correlation (0 when either side is constant).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// Spearman's rank correlation: Pearson's on the ranks (ties averaged).
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correlations_match_hand_computed_values() {
        // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 0.8207826816681233
        let s = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5.0, 6.0, 7.0, 8.0, 7.0]);
        assert!((s - 0.820_782_681_668_123_3).abs() < 1e-12, "{s}");
        assert_eq!(ranks(&[10.0, 20.0, 10.0, 30.0]), [1.5, 3.0, 1.5, 4.0]);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // scipy.stats.pearsonr([1, 2, 3, 4], [2, 4, 5, 9]) = 0.9647638212377322
        let p = pearson(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 5.0, 9.0]);
        assert!((p - 0.964_763_821_237_732_2).abs() < 1e-12, "{p}");
        assert_eq!(pearson(&[1.0, 1.0], &[1.0, 2.0]), 0.0);
    }

    #[test]
    fn retrieval_counts_ranks_as_the_ir_evaluator() {
        // Ranks 1, 3, 12: recall@1 1/3, recall@10 2/3, MRR@10 (1 + 1/3 + 0) / 3.
        let (r1, r10, mrr) = retrieval(&[1, 3, 12]);
        assert!((r1 - 1.0 / 3.0).abs() < 1e-12);
        assert!((r10 - 2.0 / 3.0).abs() < 1e-12);
        assert!((mrr - (1.0 + 1.0 / 3.0) / 3.0).abs() < 1e-12);
        let docs = vec![vec![1.0, 0.0], vec![0.6, 0.8], vec![0.0, 1.0]];
        assert_eq!(rank_of(&[0.0, 1.0], &docs, 2), 1);
        assert_eq!(rank_of(&[0.0, 1.0], &docs, 0), 3);
    }
}
