//! Classification metrics: accuracy, macro-F1, per-class precision/recall/F1, confusion matrix.

use serde::{Deserialize, Serialize};

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// True examples of this class.
    pub support: usize,
}

/// Metrics over a labelled set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub accuracy: f64,
    pub macro_f1: f64,
    /// Mean cross-entropy, when logits were available.
    pub loss: Option<f64>,
    pub per_class: Vec<ClassMetrics>,
    /// `confusion_matrix[true][predicted]`.
    pub confusion_matrix: Vec<Vec<usize>>,
    pub examples: usize,
}

impl Metrics {
    /// From true and predicted class indices. Undefined precision/recall/F1 (no predictions or no
    /// examples of a class) count as 0, as scikit-learn's `zero_division=0`.
    pub fn compute(
        labels: &[String],
        truth: &[usize],
        predicted: &[usize],
        loss: Option<f64>,
    ) -> Self {
        let k = labels.len();
        let mut cm = vec![vec![0usize; k]; k];
        for (&t, &p) in truth.iter().zip(predicted) {
            cm[t][p] += 1;
        }
        let correct: usize = (0..k).map(|c| cm[c][c]).sum();
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let per_class: Vec<ClassMetrics> = (0..k)
            .map(|c| {
                let tp = cm[c][c];
                let predicted_c: usize = (0..k).map(|t| cm[t][c]).sum();
                let support: usize = cm[c].iter().sum();
                let precision = ratio(tp, predicted_c);
                let recall = ratio(tp, support);
                let f1 = if precision + recall == 0.0 {
                    0.0
                } else {
                    2.0 * precision * recall / (precision + recall)
                };
                ClassMetrics {
                    label: labels[c].clone(),
                    precision,
                    recall,
                    f1,
                    support,
                }
            })
            .collect();
        let macro_f1 = if k == 0 {
            0.0
        } else {
            per_class.iter().map(|c| c.f1).sum::<f64>() / k as f64
        };
        Metrics {
            accuracy: ratio(correct, truth.len()),
            macro_f1,
            loss,
            per_class,
            confusion_matrix: cm,
            examples: truth.len(),
        }
    }
}

/// Index of the largest value in each row of a row-major `[n, k]` matrix.
pub fn argmax_rows(values: &[f32], k: usize) -> Vec<usize> {
    values
        .chunks_exact(k)
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
                    if v > best.1 { (i, v) } else { best }
                })
                .0
        })
        .collect()
}

/// Softmax of each row (numerically stable), for displaying class probabilities.
pub fn softmax_rows(values: &[f32], k: usize) -> Vec<Vec<f32>> {
    values
        .chunks_exact(k)
        .map(|row| {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let exp: Vec<f32> = row.iter().map(|v| (v - max).exp()).collect();
            let sum: f32 = exp.iter().sum();
            exp.into_iter().map(|e| e / sum).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_hand_computed_values() {
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let truth = [0, 0, 1, 1, 2, 2];
        let pred = [0, 1, 1, 1, 0, 1];
        let m = Metrics::compute(&labels, &truth, &pred, None);
        assert_eq!(
            m.confusion_matrix,
            vec![vec![1, 1, 0], vec![0, 2, 0], vec![1, 1, 0]]
        );
        assert!((m.accuracy - 0.5).abs() < 1e-12);
        // a: p=1/2 r=1/2 f=1/2; b: p=2/4 r=1 f=2/3; c: p=0 r=0 f=0
        assert!((m.per_class[1].f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.macro_f1 - (0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert_eq!(m.per_class[2].support, 2);
    }

    #[test]
    fn argmax_and_softmax() {
        assert_eq!(argmax_rows(&[0.1, 0.9, 3.0, -1.0], 2), vec![1, 0]);
        let p = softmax_rows(&[0.0, 0.0], 2);
        assert!((p[0][0] - 0.5).abs() < 1e-6);
    }
}
