//! Metrics of every task. Single-label: accuracy, macro-F1, per-class precision/recall/F1,
//! confusion matrix. Multi-label: micro/macro-F1, per-label precision/recall/F1, subset accuracy,
//! Hamming loss, at decision thresholds chosen on validation. Regression: RMSE, MAE, Pearson,
//! Spearman.

use serde::{Deserialize, Deserializer, Serialize};

use crate::data::Task;
use crate::similarity::{pearson, spearman};

/// A number that JSON wrote as `null` (serde_json writes NaN so) reads back as NaN.
fn nan_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

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
    /// Single-label: accuracy; multi-label: subset accuracy (every label right); regression:
    /// NaN (`null` in JSON).
    #[serde(deserialize_with = "nan_if_null")]
    pub accuracy: f64,
    /// Macro-F1: single-label, over the classes the set has examples of (a class absent from it,
    /// such as one too small to hold out for validation, shows support 0 and is not averaged);
    /// multi-label, over every label; regression: NaN (`null`).
    #[serde(deserialize_with = "nan_if_null")]
    pub macro_f1: f64,
    /// Mean loss of the task (cross-entropy, binary cross-entropy, squared error on the
    /// standardised targets), when outputs were available.
    pub loss: Option<f64>,
    /// Per class, or per label for multi-label data.
    pub per_class: Vec<ClassMetrics>,
    /// `confusion_matrix[true][predicted]` (single-label only).
    pub confusion_matrix: Vec<Vec<usize>>,
    pub examples: usize,
    #[serde(default)]
    pub task: Task,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_label: Option<MultiLabelMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regression: Option<RegressionMetrics>,
}

/// What multi-label predictions scored, at the decision thresholds in effect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiLabelMetrics {
    /// Over every (example, label) decision together.
    pub micro_precision: f64,
    pub micro_recall: f64,
    pub micro_f1: f64,
    /// Examples whose every label was decided right.
    pub subset_accuracy: f64,
    /// Share of wrong (example, label) decisions.
    pub hamming_loss: f64,
    /// The probability above which each label is predicted.
    pub thresholds: Vec<f32>,
}

/// What regression predictions scored, on the targets' own scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    pub rmse: f64,
    pub mae: f64,
    pub pearson: f64,
    pub spearman: f64,
    /// `[true, predicted]` of up to [`SCATTER_POINTS`] examples, evenly spread over the set: what
    /// the page plots.
    #[serde(default)]
    pub points: Vec<[f32; 2]>,
}

/// Most `[true, predicted]` points regression metrics carry for a plot.
pub const SCATTER_POINTS: usize = 400;

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// Precision, recall and F1 from counts (0 where undefined, scikit-learn's `zero_division=0`).
fn prf(tp: usize, predicted: usize, actual: usize) -> (f64, f64, f64) {
    let (p, r) = (ratio(tp, predicted), ratio(tp, actual));
    (p, r, f1(p, r))
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
        // Over the classes the set has examples of: a class held out of validation (too small
        // to spare any) has no recall to measure, and a 0 for it would only scale the score.
        let scored: Vec<f64> = per_class
            .iter()
            .filter(|c| c.support > 0)
            .map(|c| c.f1)
            .collect();
        let macro_f1 = if scored.is_empty() {
            0.0
        } else {
            scored.iter().sum::<f64>() / scored.len() as f64
        };
        Metrics {
            accuracy: ratio(correct, truth.len()),
            macro_f1,
            loss,
            per_class,
            confusion_matrix: cm,
            examples: truth.len(),
            task: Task::Single,
            multi_label: None,
            regression: None,
        }
    }

    /// Multi-label metrics from each example's true labels (indices) and its predicted ones
    /// (`predicted[i][l]`), decided at `thresholds`.
    pub fn multi_label(
        labels: &[String],
        truth: &[Vec<usize>],
        predicted: &[Vec<bool>],
        thresholds: Vec<f32>,
        loss: Option<f64>,
    ) -> Self {
        let k = labels.len();
        let (mut tp, mut pred, mut actual) = (vec![0usize; k], vec![0usize; k], vec![0usize; k]);
        let mut exact = 0;
        let mut wrong = 0;
        for (t, p) in truth.iter().zip(predicted) {
            let mut all_right = true;
            for l in 0..k {
                let (is, said) = (t.contains(&l), p[l]);
                tp[l] += usize::from(is && said);
                pred[l] += usize::from(said);
                actual[l] += usize::from(is);
                if is != said {
                    all_right = false;
                    wrong += 1;
                }
            }
            exact += usize::from(all_right);
        }
        let per_class: Vec<ClassMetrics> = (0..k)
            .map(|l| {
                let (precision, recall, f1) = prf(tp[l], pred[l], actual[l]);
                ClassMetrics {
                    label: labels[l].clone(),
                    precision,
                    recall,
                    f1,
                    support: actual[l],
                }
            })
            .collect();
        let (micro_precision, micro_recall, micro_f1) =
            prf(tp.iter().sum(), pred.iter().sum(), actual.iter().sum());
        let n = truth.len();
        Metrics {
            accuracy: ratio(exact, n),
            macro_f1: if k == 0 {
                0.0
            } else {
                per_class.iter().map(|c| c.f1).sum::<f64>() / k as f64
            },
            loss,
            per_class,
            confusion_matrix: Vec::new(),
            examples: n,
            task: Task::Multi,
            multi_label: Some(MultiLabelMetrics {
                micro_precision,
                micro_recall,
                micro_f1,
                subset_accuracy: ratio(exact, n),
                hamming_loss: ratio(wrong, n * k),
                thresholds,
            }),
            regression: None,
        }
    }

    /// Regression metrics of `predicted` against `truth`.
    pub fn regression(truth: &[f32], predicted: &[f32], loss: Option<f64>) -> Self {
        let t: Vec<f64> = truth.iter().map(|&v| v as f64).collect();
        let p: Vec<f64> = predicted.iter().map(|&v| v as f64).collect();
        let n = t.len().max(1) as f64;
        let sq: f64 = t.iter().zip(&p).map(|(a, b)| (a - b) * (a - b)).sum();
        let abs: f64 = t.iter().zip(&p).map(|(a, b)| (a - b).abs()).sum();
        Metrics {
            accuracy: f64::NAN,
            macro_f1: f64::NAN,
            loss,
            per_class: Vec::new(),
            confusion_matrix: Vec::new(),
            examples: t.len(),
            task: Task::Regression,
            multi_label: None,
            regression: Some(RegressionMetrics {
                rmse: (sq / n).sqrt(),
                mae: abs / n,
                pearson: pearson(&p, &t),
                spearman: spearman(&p, &t),
                points: (0..truth.len())
                    .step_by(truth.len().div_ceil(SCATTER_POINTS).max(1))
                    .map(|i| [truth[i], predicted[i]])
                    .collect(),
            }),
        }
    }

    /// What model selection ranks (higher is better): macro-F1 for single-label, micro-F1 for
    /// multi-label, Spearman's correlation for regression.
    pub fn score(&self) -> f64 {
        match (&self.multi_label, &self.regression) {
            (Some(m), _) => m.micro_f1,
            (_, Some(r)) => r.spearman,
            _ => self.macro_f1,
        }
    }

    /// One line for a log: the loss and the task's main figures.
    pub fn summary(&self) -> String {
        let loss = format!("loss {:.4}", self.loss.unwrap_or(f64::NAN));
        match (&self.multi_label, &self.regression) {
            (Some(m), _) => {
                let t = &m.thresholds;
                let threshold = if t.windows(2).all(|w| w[0] == w[1]) {
                    format!("threshold {:.2}", t.first().copied().unwrap_or(0.5))
                } else {
                    "per-label thresholds".to_string()
                };
                format!(
                    "{loss} micro-F1 {:.4} macro-F1 {:.4} subset acc {:.2}% Hamming {:.4} ({threshold})",
                    m.micro_f1,
                    self.macro_f1,
                    100.0 * m.subset_accuracy,
                    m.hamming_loss
                )
            }
            (_, Some(r)) => format!(
                "{loss} Spearman {:.4} Pearson {:.4} RMSE {:.4} MAE {:.4}",
                r.spearman, r.pearson, r.rmse, r.mae
            ),
            _ => {
                let absent: Vec<&str> = self
                    .per_class
                    .iter()
                    .filter(|c| c.support == 0)
                    .map(|c| c.label.as_str())
                    .collect();
                let cover = if absent.is_empty() || self.examples == 0 {
                    String::new()
                } else {
                    format!(
                        " (over {} of {} classes; no examples of {})",
                        self.per_class.len() - absent.len(),
                        self.per_class.len(),
                        absent.join(", ")
                    )
                };
                format!(
                    "{loss} acc {:.2}% macro-F1 {:.4}{cover}",
                    100.0 * self.accuracy,
                    self.macro_f1
                )
            }
        }
    }

    /// The score's name, for messages.
    pub fn score_name(task: Task) -> &'static str {
        match task {
            Task::Single => "macro-F1",
            Task::Multi => "micro-F1",
            Task::Regression => "Spearman's correlation",
        }
    }
}

/// The thresholds a multi-label model decides at, chosen on validation probabilities
/// (`probabilities`: `[n, k]` row-major, sigmoid outputs) against the true labels: one for every
/// label (the one of [`THRESHOLDS`] with the best micro-F1), or with `per_label` each label's
/// own (the one with its best F1; a label without a positive in validation keeps the global
/// one). Ties go to the threshold nearest 0.5.
pub fn choose_thresholds(
    probabilities: &[f32],
    truth: &[Vec<usize>],
    k: usize,
    per_label: bool,
) -> Vec<f32> {
    let n = truth.len();
    // counts[t][l] = (true positives, predicted) at THRESHOLDS[t]; actual[l] = positives.
    let mut counts = vec![vec![(0usize, 0usize); k]; THRESHOLDS.len()];
    let mut actual = vec![0usize; k];
    for i in 0..n {
        for l in 0..k {
            let is = truth[i].contains(&l);
            actual[l] += usize::from(is);
            let p = probabilities[i * k + l];
            for (t, &th) in THRESHOLDS.iter().enumerate() {
                if p > th {
                    counts[t][l].1 += 1;
                    counts[t][l].0 += usize::from(is);
                }
            }
        }
    }
    let total_actual: usize = actual.iter().sum();
    let best = |score: &dyn Fn(usize) -> f64| -> f32 {
        let mut best = (f64::NEG_INFINITY, 0.5f32);
        for (t, &th) in THRESHOLDS.iter().enumerate() {
            let s = score(t);
            if s > best.0 + 1e-12
                || ((s - best.0).abs() <= 1e-12 && (th - 0.5).abs() < (best.1 - 0.5).abs())
            {
                best = (s, th);
            }
        }
        best.1
    };
    let global = best(&|t| {
        let tp: usize = counts[t].iter().map(|c| c.0).sum();
        let pred: usize = counts[t].iter().map(|c| c.1).sum();
        prf(tp, pred, total_actual).2
    });
    (0..k)
        .map(|l| {
            if !per_label || actual[l] == 0 {
                global
            } else {
                best(&|t| prf(counts[t][l].0, counts[t][l].1, actual[l]).2)
            }
        })
        .collect()
}

/// The decision thresholds tried on validation: 0.05, 0.10, …, 0.95.
pub const THRESHOLDS: [f32; 19] = [
    0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80,
    0.85, 0.90, 0.95,
];

/// The logistic function of each value.
pub fn sigmoid(values: &[f32]) -> Vec<f32> {
    values.iter().map(|&v| 1.0 / (1.0 + (-v).exp())).collect()
}

/// Each row's decisions: a label is predicted when its probability is above its threshold.
pub fn decide(probabilities: &[f32], thresholds: &[f32]) -> Vec<Vec<bool>> {
    let k = thresholds.len().max(1);
    probabilities
        .chunks_exact(k)
        .map(|row| row.iter().zip(thresholds).map(|(p, t)| p > t).collect())
        .collect()
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
    fn macro_f1_covers_the_classes_the_set_has_examples_of() {
        // Class c is absent (kept whole in training): its row says support 0, and macro-F1 is
        // the mean of a and b, even where a prediction of c cost a its recall.
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let m = Metrics::compute(&labels, &[0, 0, 1, 1], &[0, 2, 1, 1], None);
        assert_eq!(m.per_class[2].support, 0);
        // a: p 1 r 1/2 f 2/3; b: p 1 r 1 f 1.
        assert!((m.macro_f1 - (2.0 / 3.0 + 1.0) / 2.0).abs() < 1e-12);
        assert!((m.accuracy - 0.75).abs() < 1e-12);
        assert!(
            m.summary()
                .ends_with("acc 75.00% macro-F1 0.8333 (over 2 of 3 classes; no examples of c)"),
            "{}",
            m.summary()
        );
    }

    #[test]
    fn multi_label_metrics_match_hand_computed_values() {
        let labels = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        // Truth {a,b}, {b}, {}, {c}; predicted {a}, {b,c}, {}, {c}.
        let truth = vec![vec![0, 1], vec![1], vec![], vec![2]];
        let f = false;
        let t = true;
        let predicted = vec![vec![t, f, f], vec![f, t, t], vec![f, f, f], vec![f, f, t]];
        let m = Metrics::multi_label(&labels, &truth, &predicted, vec![0.5; 3], None);
        let ml = m.multi_label.as_ref().unwrap();
        // tp 3 (a, b, c), predicted 4, actual 4: P = R = F1 = 0.75.
        assert!((ml.micro_precision - 0.75).abs() < 1e-12);
        assert!((ml.micro_recall - 0.75).abs() < 1e-12);
        assert!((ml.micro_f1 - 0.75).abs() < 1e-12);
        // Exact rows: 3rd and 4th → 0.5; wrong decisions: b in row 1, c in row 2 → 2 / 12.
        assert!((ml.subset_accuracy - 0.5).abs() < 1e-12);
        assert!((m.accuracy - 0.5).abs() < 1e-12);
        assert!((ml.hamming_loss - 2.0 / 12.0).abs() < 1e-12);
        // a: P 1 R 1 F 1; b: P 1 R 1/2 F 2/3; c: P 1/2 R 1 F 2/3.
        assert!((m.per_class[1].f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.per_class[2].precision - 0.5).abs() < 1e-12);
        assert_eq!(m.per_class[1].support, 2);
        assert!((m.macro_f1 - (1.0 + 4.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!((m.score() - 0.75).abs() < 1e-12);
    }

    #[test]
    fn regression_metrics_match_hand_computed_values() {
        // Errors 0.5, 0, −1, 0.5: RMSE √(1.5/4), MAE 0.5.
        let m = Metrics::regression(&[1.0, 2.0, 3.0, 4.0], &[1.5, 2.0, 2.0, 4.5], Some(0.1));
        let r = m.regression.as_ref().unwrap();
        assert!((r.rmse - (1.5f64 / 4.0).sqrt()).abs() < 1e-9);
        assert!((r.mae - 0.5).abs() < 1e-9);
        // Ranks of the predictions 2, 3.5, 3.5... [1.5, 2, 2, 4.5] → [1, 2.5, 2.5, 4]:
        // scipy.stats.spearmanr([1.5, 2, 2, 4.5], [1, 2, 3, 4]) = 0.9486832980505138.
        assert!(
            (r.spearman - 0.948_683_298_050_513_8).abs() < 1e-9,
            "{}",
            r.spearman
        );
        // scipy.stats.pearsonr([1.5, 2, 2, 4.5], [1, 2, 3, 4]) = 0.8581163303210331
        assert!(
            (r.pearson - 0.858_116_330_321_033_1).abs() < 1e-9,
            "{}",
            r.pearson
        );
        assert_eq!(m.score(), r.spearman);
        assert_eq!(
            r.points,
            vec![[1.0, 1.5], [2.0, 2.0], [3.0, 2.0], [4.0, 4.5]]
        );
        // NaN accuracy goes out as null and comes back as NaN.
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"accuracy\":null"), "{json}");
        let back: Metrics = serde_json::from_str(&json).unwrap();
        assert!(back.accuracy.is_nan() && back.regression == m.regression);
    }

    #[test]
    fn thresholds_are_chosen_for_the_best_f1() {
        // Label 0's positives score 0.3 and 0.4, its negatives 0.1 and 0.2: best above 0.2
        // (thresholds 0.20 and 0.25 both give F1 1; 0.25 is nearer 0.5). Label 1's positive
        // scores 0.9, its negatives 0.6, 0.7, 0.8: best above 0.8 (0.80 and 0.85 tie; 0.80).
        let p = [0.3, 0.6, 0.4, 0.7, 0.1, 0.8, 0.2, 0.9];
        let truth = vec![vec![0], vec![0], vec![], vec![1]];
        let per = choose_thresholds(&p, &truth, 2, true);
        assert_eq!(per, vec![0.25, 0.80]);
        // One threshold for both: micro-F1 over the two labels. At 0.25: label 0 right (2 tp),
        // label 1 predicts all 4 (1 tp) → P 3/6, R 1, F1 2/3. At 0.80: label 0 nothing, label 1
        // 1 tp of 1 → P 1 R 1/3, F1 1/2. At 0.35: tp 1 (0.4) + 1, pred 1 + 4 → 2/5, R 2/3, F1 .5.
        // At 0.10 and 0.15 F1 is 0.6 (label 0 predicts three); 0.20 gives 2/3 too: 0.25 is nearer.
        let global = choose_thresholds(&p, &truth, 2, false);
        assert_eq!(global, vec![0.25, 0.25]);
        let decided = decide(&p, &per);
        assert_eq!(
            decided,
            vec![
                vec![true, false],
                vec![true, false],
                vec![false, false],
                vec![false, true]
            ]
        );
    }

    #[test]
    fn argmax_and_softmax() {
        assert_eq!(argmax_rows(&[0.1, 0.9, 3.0, -1.0], 2), vec![1, 0]);
        let p = softmax_rows(&[0.0, 0.0], 2);
        assert!((p[0][0] - 0.5).abs() < 1e-6);
    }
}
