//! Multinomial logistic regression on frozen sentence embeddings, fitted exactly.
//!
//! On a few dozen examples a linear head trained by mini-batch AdamW for a handful of steps
//! stays near chance, while the same head fitted to the optimum of an L2-regularised
//! log-likelihood is the strongest baseline there is (scikit-learn's `LogisticRegression` on
//! L2-normalised embeddings). This module is that fit: full-batch L-BFGS on the host, the
//! regularisation strength chosen by stratified k-fold cross-validation, and the out-of-fold
//! predictions of the chosen strength kept as an honest validation of a run that held nothing
//! out. It is a few hundred lines of plain arithmetic on `n × hidden` floats, deterministic and
//! identical on every backend.

use crate::rng::SplitMix64;

/// The inverse regularisation strength, in scikit-learn's convention (`C`: the data term is
/// weighed by C, the penalty is ½‖W‖²): scikit-learn's default, kept on every file.
///
/// Cross-validating C was measured on dev (`scripts/logreg_c_rule.py`, scikit-learn, 20
/// subsets a size): on a few dozen rows out-of-fold scores rank C by noise, and the best rule
/// found (move off C = 1 only when log-loss beats it by a standard error) gained on two-class
/// SST-2 from 32 rows (up to +0.8) but lost on five-class SST-5 at every size tried (50–150
/// rows, −0.06 to −0.13) and gained nothing at SST-2 16 (+0.03). C = 1 makes `logreg` the
/// logistic-regression baseline itself, which webtune's defaults promise to match.
pub const C: f64 = 1.0;

/// Most folds cross-validation uses.
const MAX_FOLDS: usize = 5;
/// L-BFGS memory, iteration cap and stopping tolerance (on the gradient's max-norm, as
/// scikit-learn's lbfgs `tol`).
const MEMORY: usize = 10;
const MAX_ITER: usize = 300;
const TOL: f64 = 1e-5;
/// Cross-validation estimates accuracy on at most this many rows (drawn with the seed); the
/// final fit uses every row.
const CV_MAX_ROWS: usize = 2000;

/// Scales each `d`-float row of `x` to unit L2 norm (sentence-transformers' `Normalize`, with
/// the same 1e-12 floor); the rows `logreg` fits and its head then reads.
pub fn normalize_rows(x: &mut [f32], d: usize) {
    for row in x.chunks_mut(d.max(1)) {
        let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        row.iter_mut().for_each(|v| *v /= norm);
    }
}

/// Features for a fit: `n` rows of `d` floats, scaled by one factor so that their mean L2 norm
/// is 1 (a global scale folds into the head exactly, a per-row normalisation would not).
pub struct Features<'a> {
    pub x: &'a [f32],
    pub n: usize,
    pub d: usize,
    pub scale: f32,
}

impl<'a> Features<'a> {
    pub fn new(x: &'a [f32], d: usize) -> Self {
        let n = x.len() / d.max(1);
        let mean_norm = if n == 0 {
            1.0
        } else {
            x.chunks(d)
                .map(|r| r.iter().map(|v| (v * v) as f64).sum::<f64>().sqrt())
                .sum::<f64>()
                / n as f64
        };
        let scale = if mean_norm > 0.0 {
            1.0 / mean_norm
        } else {
            1.0
        } as f32;
        Features { x, n, d, scale }
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.d..(i + 1) * self.d]
    }
}

/// A fitted head in the trainer's layout: `weight[j * k + c]` (hidden × classes, as burn's
/// `Linear`) and `bias[c]`, applying to the unscaled features.
#[derive(Debug, Clone)]
pub struct LinearHead {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
}

impl LinearHead {
    /// The head as burn's `Linear` on `device`.
    pub fn into_linear(self, device: &burn::prelude::Device) -> burn::nn::Linear {
        use burn::module::Param;
        use burn::tensor::{Tensor, TensorData};
        let k = self.bias.len();
        let d = self.weight.len() / k.max(1);
        burn::nn::Linear {
            weight: Param::from_tensor(Tensor::from_data(
                TensorData::new(self.weight, [d, k]),
                device,
            )),
            bias: Some(Param::from_tensor(Tensor::from_data(
                TensorData::new(self.bias, [k]),
                device,
            ))),
        }
    }
}

/// What cross-validation found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CvReport {
    pub folds: usize,
    /// The rows cross-validated (all of them, or a seeded draw of a large set), in order.
    #[serde(skip)]
    pub rows: Vec<usize>,
    /// The regularisation strength fitted ([`C`]).
    pub c: f64,
    /// Out-of-fold macro-F1.
    pub macro_f1: f64,
    /// Out-of-fold predicted class of each of `rows`.
    #[serde(skip)]
    pub out_of_fold: Vec<usize>,
    /// Out-of-fold mean log-loss.
    pub loss: f64,
}

/// `a · b` with eight independent accumulators, so the compiler vectorises it (a plain
/// iterator sum of floats must keep its order and stays scalar).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// One fit: the rows it sees, their labels and weights, the class count, C and the penalty's
/// weight. Parameters `theta` are `k·d` weights (class-major) then `k` biases; the penalty is
/// `ridge`·½‖W‖², biases unpenalised.
struct Problem<'a> {
    f: &'a Features<'a>,
    y: &'a [usize],
    rows: &'a [usize],
    sample_w: &'a [f64],
    k: usize,
    c: f64,
    ridge: f64,
}

/// The penalty weight that makes a `k`-class softmax fit scikit-learn's: for two classes
/// scikit-learn fits one weight vector `v` with penalty ½‖v‖², and the softmax's optimum has
/// `w₁ = −w₀ = v/2`, so ½(‖w₀‖² + ‖w₁‖²) must count twice to match (without it, C is
/// effectively doubled); from three classes both penalise every class's weights.
fn sklearn_ridge(k: usize) -> f64 {
    if k == 2 { 2.0 } else { 1.0 }
}

impl Problem<'_> {
    /// The regularised log-loss at `theta`, its gradient written to `grad`.
    fn objective(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let Problem {
            f,
            y,
            rows,
            sample_w,
            k,
            c,
            ridge,
        } = *self;
        let d = f.d;
        let (w, b) = theta.split_at(k * d);
        let wf: Vec<f32> = w.iter().map(|&v| v as f32).collect();
        grad.fill(0.0);
        let mut gw = vec![0.0f32; k * d];
        let mut loss = 0.0f64;
        let mut z = vec![0.0f64; k];
        for &i in rows {
            let x = f.row(i);
            for c_ in 0..k {
                let wc = &wf[c_ * d..(c_ + 1) * d];
                z[c_] = dot(x, wc) as f64 * f.scale as f64 + b[c_];
            }
            let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let sum: f64 = z.iter().map(|v| (v - m).exp()).sum();
            let lse = m + sum.ln();
            let sw = sample_w[i];
            loss += sw * (lse - z[y[i]]);
            for c_ in 0..k {
                let p = (z[c_] - lse).exp();
                let g = sw * (p - if c_ == y[i] { 1.0 } else { 0.0 });
                grad[k * d + c_] += c * g;
                let gs = (c * g) as f32 * f.scale;
                let gwc = &mut gw[c_ * d..(c_ + 1) * d];
                for (o, &xv) in gwc.iter_mut().zip(x) {
                    *o += gs * xv;
                }
            }
        }
        let mut penalty = 0.0;
        for (j, g) in grad[..k * d].iter_mut().enumerate() {
            *g = gw[j] as f64 + ridge * w[j];
            penalty += ridge * w[j] * w[j];
        }
        // Divided by C·Σweights, as scikit-learn does: the same optimum, with a gradient whose size
        // does not grow with the data, so one tolerance fits every size.
        let norm = 1.0 / (c * rows.iter().map(|&i| sample_w[i]).sum::<f64>().max(1e-12));
        grad.iter_mut().for_each(|g| *g *= norm);
        (c * loss + 0.5 * penalty) * norm
    }

    /// Minimises the objective from `theta` by L-BFGS with a backtracking (Armijo) line search.
    fn minimise(&self, theta: &mut Vec<f64>) {
        let p = theta.len();
        let mut g = vec![0.0; p];
        let mut fx = self.objective(theta, &mut g);
        let mut s_hist: Vec<Vec<f64>> = Vec::new();
        let mut y_hist: Vec<Vec<f64>> = Vec::new();
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
        let mut g_new = vec![0.0; p];
        for _ in 0..MAX_ITER {
            if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) < TOL {
                break;
            }
            // Two-loop recursion: direction = -H·g.
            let mut q = g.clone();
            let mut alpha = vec![0.0; s_hist.len()];
            for i in (0..s_hist.len()).rev() {
                let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
                alpha[i] = rho * dot(&s_hist[i], &q);
                for (qj, yj) in q.iter_mut().zip(&y_hist[i]) {
                    *qj -= alpha[i] * yj;
                }
            }
            if let (Some(s), Some(yv)) = (s_hist.last(), y_hist.last()) {
                let gamma = dot(s, yv) / dot(yv, yv);
                q.iter_mut().for_each(|v| *v *= gamma);
            } else {
                let norm = dot(&g, &g).sqrt().max(1e-12);
                q.iter_mut().for_each(|v| *v /= norm);
            }
            for i in 0..s_hist.len() {
                let rho = 1.0 / dot(&y_hist[i], &s_hist[i]);
                let beta = rho * dot(&y_hist[i], &q);
                for (qj, sj) in q.iter_mut().zip(&s_hist[i]) {
                    *qj += (alpha[i] - beta) * sj;
                }
            }
            let dir: Vec<f64> = q.iter().map(|v| -v).collect();
            let slope = dot(&g, &dir);
            if slope >= 0.0 {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                s_hist.clear();
                y_hist.clear();
                continue;
            }
            let mut step = 1.0;
            let mut accepted = None;
            for _ in 0..40 {
                let trial: Vec<f64> = theta.iter().zip(&dir).map(|(t, d)| t + step * d).collect();
                let f_new = self.objective(&trial, &mut g_new);
                if f_new <= fx + 1e-4 * step * slope {
                    accepted = Some((trial, f_new));
                    break;
                }
                step *= 0.5;
            }
            let Some((trial, f_new)) = accepted else {
                break;
            };
            let s: Vec<f64> = trial.iter().zip(theta.iter()).map(|(a, b)| a - b).collect();
            let yv: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
            let converged = (fx - f_new).abs() <= 1e-10 * fx.abs().max(1.0);
            if dot(&s, &yv) > 1e-12 {
                if s_hist.len() == MEMORY {
                    s_hist.remove(0);
                    y_hist.remove(0);
                }
                s_hist.push(s);
                y_hist.push(yv);
            }
            *theta = trial;
            std::mem::swap(&mut g, &mut g_new);
            fx = f_new;
            if converged {
                break;
            }
        }
    }
}

/// Class probabilities' log-sum-exp pieces for one row: `(predicted class, log p(true))`.
fn predict_row(f: &Features, theta: &[f64], k: usize, i: usize, truth: usize) -> (usize, f64) {
    let d = f.d;
    let x = f.row(i);
    let z: Vec<f64> = (0..k)
        .map(|c| {
            let w = &theta[c * d..(c + 1) * d];
            let dot: f64 = x.iter().zip(w).map(|(a, b)| *a as f64 * b).sum();
            dot * f.scale as f64 + theta[k * d + c]
        })
        .collect();
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
    let best = (0..k).fold(0, |b, c| if z[c] > z[b] { c } else { b });
    (best, z[truth] - lse)
}

fn macro_f1(truth: &[usize], predicted: &[usize], k: usize) -> f64 {
    let mut tp = vec![0usize; k];
    let mut pred = vec![0usize; k];
    let mut sup = vec![0usize; k];
    for (&t, &p) in truth.iter().zip(predicted) {
        sup[t] += 1;
        pred[p] += 1;
        if t == p {
            tp[t] += 1;
        }
    }
    (0..k)
        .map(|c| {
            let denom = pred[c] + sup[c];
            if denom == 0 {
                0.0
            } else {
                2.0 * tp[c] as f64 / denom as f64
            }
        })
        .sum::<f64>()
        / k as f64
}

/// Stratified folds: every class's examples, shuffled with `seed`, dealt round-robin.
fn stratified_folds(y: &[usize], k: usize, folds: usize, seed: u64) -> Vec<usize> {
    let mut rng = SplitMix64::new(seed ^ 0x4356_464f_4c44);
    let mut fold_of = vec![0usize; y.len()];
    let mut next = 0usize;
    for c in 0..k {
        let mut members: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c).collect();
        rng.shuffle(&mut members);
        for i in members {
            fold_of[i] = next % folds;
            next += 1;
        }
    }
    fold_of
}

/// The fit at [`C`] on `rows`, from zeros, with the penalty weighed by `ridge`: every fit of
/// this module (the final one, each fold's, the fine-tuning start) goes through here.
fn solve(
    f: &Features,
    y: &[usize],
    rows: &[usize],
    sample_w: &[f64],
    k: usize,
    ridge: f64,
) -> Vec<f64> {
    let mut theta = vec![0.0; k * f.d + k];
    Problem {
        f,
        y,
        rows,
        sample_w,
        k,
        c: C,
        ridge,
    }
    .minimise(&mut theta);
    theta
}

fn to_head(f: &Features, theta: &[f64], k: usize) -> LinearHead {
    let d = f.d;
    let mut weight = vec![0.0f32; d * k];
    for c in 0..k {
        for j in 0..d {
            weight[j * k + c] = (theta[c * d + j] * f.scale as f64) as f32;
        }
    }
    LinearHead {
        weight,
        bias: theta[k * d..].iter().map(|&v| v as f32).collect(),
    }
}

/// Rows `0..n`, or `max` of them drawn with `seed` (in order) when there are more.
fn capped_rows(n: usize, max: usize, seed: u64) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..n).collect();
    if n > max {
        SplitMix64::new(seed).shuffle(&mut rows);
        rows.truncate(max);
        rows.sort_unstable();
    }
    rows
}

/// Each example's loss weight: its class's weight, or 1.
fn sample_weights(y: &[usize], class_weights: Option<&[f32]>) -> Vec<f64> {
    y.iter()
        .map(|&c| class_weights.map(|w| w[c] as f64).unwrap_or(1.0))
        .collect()
}

/// Most rows [`fit_fixed`] uses: a head to start fine-tuning from needs no more.
const FIXED_MAX_ROWS: usize = 2000;

/// Fits a `k`-class head at C = 1 without cross-validation, on at most 2,000 rows drawn with
/// `seed`: the starting head for fine-tuning, cheap on any size. Every class's weights carry
/// the plain ½‖W‖² (for two classes, scikit-learn's C = 2): the fine-tuning defaults were
/// measured from this start, on the pooled embeddings as the head reads them (a global scale,
/// no per-row normalisation).
pub fn fit_fixed(
    x: &[f32],
    d: usize,
    y: &[usize],
    k: usize,
    class_weights: Option<&[f32]>,
    seed: u64,
) -> LinearHead {
    let rows = capped_rows(y.len(), FIXED_MAX_ROWS, seed ^ 0x50_524f_4245);
    let f = Features::new(x, d);
    let sample_w = sample_weights(y, class_weights);
    let theta = solve(&f, y, &rows, &sample_w, k, 1.0);
    to_head(&f, &theta, k)
}

/// Fits a `k`-class head on `x` (`n × d` rows) and `y` at C = 1, and estimates how well it
/// predicts by stratified k-fold cross-validation when every class has at least two examples:
/// the honest validation of a run that held nothing out. `class_weights` multiply each
/// example's loss (scikit-learn's `class_weight`).
pub fn fit(
    x: &[f32],
    d: usize,
    y: &[usize],
    k: usize,
    class_weights: Option<&[f32]>,
    seed: u64,
) -> (LinearHead, Option<CvReport>) {
    let f = Features::new(x, d);
    let sample_w = sample_weights(y, class_weights);
    let all: Vec<usize> = (0..f.n).collect();
    let head = to_head(&f, &solve(&f, y, &all, &sample_w, k, sklearn_ridge(k)), k);
    let mut counts = vec![0usize; k];
    for &c in y {
        counts[c] += 1;
    }
    let folds = counts.iter().copied().min().unwrap_or(0).min(MAX_FOLDS);
    if folds < 2 {
        return (head, None);
    }
    // The rows cross-validation uses: all of them up to CV_MAX_ROWS, else a seeded draw.
    let cv_rows = capped_rows(f.n, CV_MAX_ROWS, seed ^ 0x4356_524f_5753);
    let fold_of = stratified_folds(y, k, folds, seed);
    let mut oof_pred = vec![usize::MAX; f.n];
    let mut oof_loss = 0.0f64;
    for fold in 0..folds {
        let train: Vec<usize> = cv_rows
            .iter()
            .copied()
            .filter(|&i| fold_of[i] != fold)
            .collect();
        let theta = solve(&f, y, &train, &sample_w, k, sklearn_ridge(k));
        for &i in cv_rows.iter().filter(|&&i| fold_of[i] == fold) {
            let (p, logp) = predict_row(&f, &theta, k, i, y[i]);
            oof_pred[i] = p;
            oof_loss -= logp;
        }
    }
    let scored_y: Vec<usize> = cv_rows.iter().map(|&i| y[i]).collect();
    let out_of_fold: Vec<usize> = cv_rows.iter().map(|&i| oof_pred[i]).collect();
    let report = CvReport {
        folds,
        c: C,
        macro_f1: macro_f1(&scored_y, &out_of_fold, k),
        loss: oof_loss / cv_rows.len() as f64,
        rows: cv_rows,
        out_of_fold,
    };
    (head, Some(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_rows_gives_unit_rows_and_leaves_zero_rows_at_zero() {
        let mut x = vec![3.0, 4.0, 0.0, 0.0, -1.0, 0.0];
        normalize_rows(&mut x, 2);
        assert_eq!(x, vec![0.6, 0.8, 0.0, 0.0, -1.0, 0.0]);
    }

    /// Two Gaussian blobs in 8 dimensions: the fit separates them, its gradient vanishes at the
    /// optimum, and cross-validation reports out-of-fold predictions for every row.
    #[test]
    fn fits_separable_blobs_to_the_optimum() {
        let mut rng = SplitMix64::new(3);
        let mut noise = || ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32;
        let (n, d) = (40, 8);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let c = i % 2;
            for j in 0..d {
                let centre = if j == 0 {
                    if c == 0 { -1.0 } else { 1.0 }
                } else {
                    0.0
                };
                x.push(centre + 0.6 * noise());
            }
            y.push(c);
        }
        let (head, cv) = fit(&x, d, &y, 2, None, 0);
        let cv = cv.expect("two classes of 20: cross-validated");
        assert_eq!(cv.folds, 5);
        assert_eq!(cv.out_of_fold.len(), n);
        assert_eq!(cv.rows, (0..n).collect::<Vec<_>>());
        assert!(cv.macro_f1 > 0.9 && cv.loss < 0.5, "{cv:?}");
        assert!(cv.out_of_fold.iter().all(|&p| p < 2));
        let correct = (0..n)
            .filter(|&i| {
                let z = |c: usize| {
                    (0..d)
                        .map(|j| x[i * d + j] * head.weight[j * 2 + c])
                        .sum::<f32>()
                        + head.bias[c]
                };
                (z(1) > z(0)) == (y[i] == 1)
            })
            .collect::<Vec<_>>()
            .len();
        assert_eq!(correct, n);
        // At the optimum the gradient is ~0.
        let f = Features::new(&x, d);
        let rows: Vec<usize> = (0..n).collect();
        let w = vec![1.0; n];
        let theta = solve(&f, &y, &rows, &w, 2, sklearn_ridge(2));
        let mut g = vec![0.0; theta.len()];
        let problem = Problem {
            f: &f,
            y: &y,
            rows: &rows,
            sample_w: &w,
            k: 2,
            c: C,
            ridge: sklearn_ridge(2),
        };
        problem.objective(&theta, &mut g);
        assert!(
            g.iter().all(|v| v.abs() < 1e-3),
            "gradient at the optimum: {g:?}"
        );
    }

    /// Two classes: the softmax fit is scikit-learn's binary one, whose single weight vector
    /// `v = w₁ − w₀` and bias `b = b₁ − b₀` zero the gradient of C·Σ log-loss(σ(v·x + b)) + ½‖v‖².
    #[test]
    fn two_classes_fit_scikit_learns_binary_objective() {
        let mut rng = SplitMix64::new(11);
        let mut noise = || ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32;
        let (n, d) = (30, 4);
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..n {
            let c = i % 2;
            for j in 0..d {
                let shift = if j == 0 && c == 1 { 0.5 } else { 0.0 };
                x.push(shift + noise());
            }
            y.push(c);
        }
        normalize_rows(&mut x, d);
        let (head, _) = fit(&x, d, &y, 2, None, 0);
        let v: Vec<f64> = (0..d)
            .map(|j| (head.weight[j * 2 + 1] - head.weight[j * 2]) as f64)
            .collect();
        let b = (head.bias[1] - head.bias[0]) as f64;
        let mut grad = v.clone(); // ½‖v‖²'s gradient
        let mut grad_b = 0.0;
        for i in 0..n {
            let row = &x[i * d..(i + 1) * d];
            let z: f64 = row.iter().zip(&v).map(|(&a, &w)| a as f64 * w).sum::<f64>() + b;
            let residual = C * (1.0 / (1.0 + (-z).exp()) - y[i] as f64);
            grad_b += residual;
            for (g, &a) in grad.iter_mut().zip(row) {
                *g += residual * a as f64;
            }
        }
        let norm = v.iter().map(|w| w * w).sum::<f64>().sqrt();
        assert!(norm > 0.1, "a fit, not zeros: {v:?}");
        assert!(
            grad.iter()
                .chain([&grad_b])
                .all(|g| g.abs() < 1e-3 * n as f64 * C),
            "scikit-learn's binary gradient at webtune's fit: {grad:?}, {grad_b}"
        );
    }

    #[test]
    fn one_example_per_class_fits_without_cross_validation() {
        let x = vec![1.0, 0.0, 0.0, 1.0];
        let (head, cv) = fit(&x, 2, &[0, 1], 2, None, 0);
        assert!(cv.is_none());
        assert!(head.weight[0] > head.weight[1], "{:?}", head.weight);
    }
}
