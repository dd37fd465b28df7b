//! Training settings, with the defaults a first run should use.

use serde::{Deserialize, Serialize};

use super::optim::Schedule;
use super::strategy::Strategy;

/// How classes are weighted in the loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeighting {
    /// Balanced weights when the largest class is more than [`WEIGHTS_ABOVE_IMBALANCE`] times
    /// the smallest, else none.
    Auto,
    /// Every class weighs the same.
    None,
    /// `n / (classes · n_c)`, scikit-learn's "balanced".
    Balanced,
}

impl std::str::FromStr for ClassWeighting {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "auto" => Ok(ClassWeighting::Auto),
            "none" => Ok(ClassWeighting::None),
            "balanced" => Ok(ClassWeighting::Balanced),
            other => Err(crate::Error::Invalid(format!(
                "unknown class weighting \"{other}\" (expected auto, none or balanced)"
            ))),
        }
    }
}

/// `ClassWeighting::Auto` weighs classes only beyond this ratio of the largest class to the
/// smallest. Balanced weights buy minority-class recall with accuracy: on SST-5 (ratio 2.1,
/// the test split shaped like the training data) they cost 1.6 points of dev accuracy at 100
/// and 500 rows (see README, "Choosing the defaults"); beyond a few times, a class the model
/// would otherwise never predict is worth that price.
pub const WEIGHTS_ABOVE_IMBALANCE: f64 = 3.0;

/// How a new classification head starts when the encoder trains too.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeadInit {
    /// By the data's size (see [`super::plan::prepare`]): fitted below
    /// [`super::plan::FULL_FROM_ROWS`] examples, random from there.
    #[default]
    Auto,
    /// At the logistic regression fitted on the frozen model's embeddings (linear probing, then
    /// fine-tuning; Kumar et al., 2022).
    Fitted,
    /// At random weights.
    Random,
}

impl std::str::FromStr for HeadInit {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "auto" => Ok(HeadInit::Auto),
            "fitted" => Ok(HeadInit::Fitted),
            "random" => Ok(HeadInit::Random),
            other => Err(crate::Error::Invalid(format!(
                "unknown head start \"{other}\" (expected auto, fitted or random)"
            ))),
        }
    }
}

/// What a run makes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A classifier trained with cross-entropy on labelled texts (the default).
    #[default]
    Classify,
    /// A classifier from a few labelled examples a class (SetFit's recipe): the encoder is
    /// tuned contrastively on pairs of the examples, then a logistic regression is fitted on
    /// the tuned embeddings.
    Fewshot,
    /// A sentence-embedding model tuned on pairs (`anchor,positive[,negative]`) or scored pairs
    /// (`sentence1,sentence2,score`).
    Embedding,
}

impl std::str::FromStr for Mode {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "classify" => Ok(Mode::Classify),
            "fewshot" => Ok(Mode::Fewshot),
            "embedding" => Ok(Mode::Embedding),
            other => Err(crate::Error::Invalid(format!(
                "unknown mode \"{other}\" (expected classify, fewshot or embedding)"
            ))),
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::Classify => "classify",
            Mode::Fewshot => "fewshot",
            Mode::Embedding => "embedding",
        })
    }
}

/// The loss of an embedding run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PairLossChoice {
    /// By the data: `mnrl` for pairs, `cosent` for scored pairs.
    #[default]
    Auto,
    /// MultipleNegativesRankingLoss: in-batch negatives (and each row's hard negative).
    Mnrl,
    /// MNRL both ways: anchors to positives and positives to anchors.
    MnrlSymmetric,
    /// CoSENT on scored pairs (the order of the scores).
    Cosent,
    /// The cosine similarity regressed on the scores rescaled to [0, 1].
    Cosine,
}

impl std::str::FromStr for PairLossChoice {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "auto" => Ok(PairLossChoice::Auto),
            "mnrl" => Ok(PairLossChoice::Mnrl),
            "mnrl-symmetric" => Ok(PairLossChoice::MnrlSymmetric),
            "cosent" => Ok(PairLossChoice::Cosent),
            "cosine" => Ok(PairLossChoice::Cosine),
            other => Err(crate::Error::Invalid(format!(
                "unknown loss \"{other}\" (expected auto, mnrl, mnrl-symmetric, cosent or cosine)"
            ))),
        }
    }
}

impl std::fmt::Display for PairLossChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PairLossChoice::Auto => "auto",
            PairLossChoice::Mnrl => "mnrl",
            PairLossChoice::MnrlSymmetric => "mnrl-symmetric",
            PairLossChoice::Cosent => "cosent",
            PairLossChoice::Cosine => "cosine",
        })
    }
}

/// The loss of a regression run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegressionLossChoice {
    /// Mean squared error (what `transformers` trains a regression head with).
    #[default]
    Mse,
    /// Huber's loss with δ = 1 (on the standardised targets: one standard deviation), for
    /// targets with outliers.
    Huber,
}

impl std::str::FromStr for RegressionLossChoice {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "mse" => Ok(RegressionLossChoice::Mse),
            "huber" => Ok(RegressionLossChoice::Huber),
            other => Err(crate::Error::Invalid(format!(
                "unknown regression loss \"{other}\" (expected mse or huber)"
            ))),
        }
    }
}

impl RegressionLossChoice {
    pub fn loss(self) -> crate::model::loss::RegressionLoss {
        match self {
            RegressionLossChoice::Mse => crate::model::loss::RegressionLoss::Mse,
            RegressionLossChoice::Huber => crate::model::loss::RegressionLoss::Huber { delta: 1.0 },
        }
    }
}

/// Everything that shapes a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// What the run makes: a classifier (`classify`, `fewshot`) or an embedding model.
    pub mode: Mode,
    /// `auto` (the default) chooses by the data's size; see [`super::plan::resolve_strategy`].
    pub strategy: Strategy,
    /// `None` (the default): from the step budget, see [`super::plan::budget_epochs`].
    pub epochs: Option<usize>,
    pub batch_size: usize,
    /// Peak learning rate of the classification head; `None` picks the strategy's default
    /// (see [`TrainConfig::head_lr`]).
    pub lr_head: Option<f64>,
    /// Peak learning rate of the trainable encoder parameters; `None` picks the strategy's
    /// default (see [`TrainConfig::encoder_lr`]).
    pub lr_encoder: Option<f64>,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    pub schedule: Schedule,
    /// Fraction of all steps spent warming up (linear schedule).
    pub warmup_fraction: f64,
    /// Clip the global gradient norm to this (`None`: no clipping).
    pub max_grad_norm: Option<f64>,
    pub seed: u64,
    /// Held out from the training data when no validation set is given.
    pub valid_fraction: f64,
    /// Stop after this many epochs without a better validation macro-F1; `Some(0)` never stops
    /// early; `None` (the default) derives it from the epochs (see [`super::plan::Plan`]).
    pub patience: Option<usize>,
    pub class_weighting: ClassWeighting,
    /// Token limit per text.
    pub max_len: usize,
    /// Cache the frozen part's output (computed once) instead of recomputing it every step.
    pub cache: bool,
    /// Largest cache allowed, bytes; over it training runs uncached. `None`: the backend's
    /// default (see `TrainHost::cache_limit`).
    pub cache_limit_bytes: Option<u64>,
    /// Dropout as the model's config says (true), or none at all (for exact reproducibility
    /// checks such as cached-versus-uncached equality).
    pub dropout: bool,
    /// How a new head starts when the encoder trains; `train::prepare` resolves `Auto`.
    pub head_init: HeadInit,
    /// Try a few configurations on the validation data and keep the best (see
    /// [`super::search`]).
    pub search: bool,
    /// `fewshot`: rounds of pair drawing, each a positive and a negative pair per example
    /// (SetFit's `num_iterations`).
    pub pair_iterations: usize,
    /// `embedding`: the loss.
    pub pair_loss: PairLossChoice,
    /// `embedding`: the exported model ends in sentence-transformers' `Normalize` (unit vectors).
    pub normalize: bool,
    /// `embedding`, scored pairs: the range the scores are declared in (`[0, 5]` for STS-B);
    /// a score outside it is an error. `None`: `[0, 1]` when every score is in it, else `[0, 5]`.
    pub score_range: Option<[f64; 2]>,
    /// Regression: the loss.
    pub regression_loss: RegressionLossChoice,
    /// Regression: train on the targets standardised (mean 0, standard deviation 1 on the
    /// training set), so one learning rate suits any scale; the exported head is rescaled to
    /// predict the original numbers.
    pub standardize_targets: bool,
    /// Multi-label: the probability above which a label is predicted. `None` (the default):
    /// chosen on the validation data after every epoch (0.5 without validation data).
    pub threshold: Option<f64>,
    /// Multi-label: choose a threshold for every label instead of one for all (needs a few
    /// validation examples of each label; a label without any keeps the common one).
    pub threshold_per_label: bool,
    /// Why the automatic choices were made, in sentences (filled by [`super::plan::prepare`];
    /// recorded with the model).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            mode: Mode::Classify,
            strategy: Strategy::default(),
            epochs: None,
            batch_size: 32,
            lr_head: None,
            lr_encoder: None,
            weight_decay: 0.01,
            schedule: Schedule::Auto,
            warmup_fraction: 0.1,
            max_grad_norm: Some(1.0),
            seed: 0,
            valid_fraction: 0.15,
            patience: None,
            class_weighting: ClassWeighting::Auto,
            max_len: crate::tokenize::DEFAULT_MAX_LEN,
            cache: true,
            cache_limit_bytes: None,
            dropout: true,
            head_init: HeadInit::Auto,
            search: false,
            pair_iterations: super::pair_sampler::DEFAULT_ITERATIONS,
            pair_loss: PairLossChoice::Auto,
            normalize: true,
            score_range: None,
            regression_loss: RegressionLossChoice::Mse,
            standardize_targets: true,
            threshold: None,
            threshold_per_label: false,
            notes: Vec::new(),
        }
    }
}

impl TrainConfig {
    /// The head learning rate in effect. Defaults chosen on held-out parts of SST-2's training
    /// data (never its dev set; see README "Choosing the defaults"): 3e-3 when only the head
    /// trains (mean 79.1 % vs 77.7 % for 1e-3 over three splits), else 1e-3.
    pub fn head_lr(&self) -> f64 {
        self.lr_head.unwrap_or(match self.strategy {
            Strategy::Head => 3e-3,
            _ => 1e-3,
        })
    }

    /// The encoder learning rate in effect: 5e-5 for last-k (81.1 % vs 79.1 % for 2e-5 on
    /// held-out splits), 2e-5 for full fine-tuning (the usual BERT rate), 5e-4 for LoRA
    /// adapters (which start at zero and need larger steps).
    /// The schedule in effect: `auto` is decided by [`super::plan::prepare`] from the data (see
    /// [`super::plan::resolve_schedule`]); where nothing decided it, linear.
    pub fn resolved_schedule(&self) -> Schedule {
        match self.schedule {
            Schedule::Auto => Schedule::Linear,
            s => s,
        }
    }

    pub fn encoder_lr(&self) -> f64 {
        self.lr_encoder.unwrap_or(match self.strategy {
            Strategy::Lora(_) => 5e-4,
            Strategy::Full => 2e-5,
            _ => 5e-5,
        })
    }

    /// Checks the numbers a user can get wrong.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |m: String| Err(crate::Error::Invalid(m));
        if self.epochs == Some(0) {
            return bad("epochs must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch size must be at least 1".into());
        }
        for (name, v) in [
            ("head learning rate", self.head_lr()),
            ("encoder learning rate", self.encoder_lr()),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return bad(format!("{name} must be a positive number, got {v}"));
            }
        }
        if !(0.0..0.9).contains(&self.valid_fraction) {
            return bad(format!(
                "validation fraction must be in [0, 0.9), got {}",
                self.valid_fraction
            ));
        }
        if !(0.0..=1.0).contains(&self.warmup_fraction) {
            return bad(format!(
                "warm-up fraction must be in [0, 1], got {}",
                self.warmup_fraction
            ));
        }
        if self.weight_decay < 0.0 {
            return bad("weight decay must not be negative".into());
        }
        if self.pair_iterations == 0 {
            return bad("pair iterations must be at least 1".into());
        }
        if let Some([lo, hi]) = self.score_range
            && !(lo.is_finite() && hi.is_finite() && lo < hi)
        {
            return bad(format!(
                "the score range must be two numbers, the first below the second, got [{lo}, {hi}]"
            ));
        }
        if let Some(t) = self.threshold
            && !(t > 0.0 && t < 1.0)
        {
            return bad(format!("the threshold must be between 0 and 1, got {t}"));
        }
        if self.search && self.mode != Mode::Classify {
            return bad(format!(
                "the search tries classification settings: it does not run in {} mode",
                self.mode
            ));
        }
        Ok(())
    }

    /// Per-class loss weights for `counts`, or `None` for unweighted.
    pub fn class_weights(&self, counts: &[usize]) -> Option<Vec<f32>> {
        let balanced = || {
            let n: usize = counts.iter().sum();
            counts
                .iter()
                .map(|&c| n as f32 / (counts.len() as f32 * c.max(1) as f32))
                .collect()
        };
        match self.class_weighting {
            ClassWeighting::None => None,
            ClassWeighting::Balanced => Some(balanced()),
            ClassWeighting::Auto => {
                let max = counts.iter().copied().max().unwrap_or(0) as f64;
                let min = counts.iter().copied().min().unwrap_or(0).max(1) as f64;
                (max / min > WEIGHTS_ABOVE_IMBALANCE).then(balanced)
            }
        }
    }
}

impl TrainConfig {
    /// Multi-label: each label's positive weight in the binary cross-entropy from `counts` (its
    /// examples) of `n`, or `None` for unweighted. `balanced`: PyTorch's `pos_weight` advice,
    /// negatives / positives; `auto`: its square root, for labels rarer than one in
    /// [`WEIGHTS_ABOVE_IMBALANCE`] + 1 (1 for the others), which lifts a rare label's recall
    /// without letting a label of one example in a thousand weigh a thousand.
    pub fn positive_weights(&self, counts: &[usize], n: usize) -> Option<Vec<f32>> {
        let ratio = |c: usize| (n.saturating_sub(c)) as f64 / c.max(1) as f64;
        match self.class_weighting {
            ClassWeighting::None => None,
            ClassWeighting::Balanced => Some(counts.iter().map(|&c| ratio(c) as f32).collect()),
            ClassWeighting::Auto => {
                let w: Vec<f32> = counts
                    .iter()
                    .map(|&c| {
                        let r = ratio(c);
                        if r > WEIGHTS_ABOVE_IMBALANCE {
                            r.sqrt() as f32
                        } else {
                            1.0
                        }
                    })
                    .collect();
                w.iter().any(|&x| x != 1.0).then_some(w)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_weights_lift_rare_labels() {
        let auto = TrainConfig::default();
        // Of 100: 50 (ratio 1), 20 (ratio 4 → 2), 1 (ratio 99 → √99).
        let w = auto.positive_weights(&[50, 20, 1], 100).unwrap();
        assert_eq!(w[0], 1.0);
        assert!((w[1] - 2.0).abs() < 1e-6);
        assert!((w[2] - 99f32.sqrt()).abs() < 1e-5);
        assert_eq!(auto.positive_weights(&[50, 40], 100), None);
        let balanced = TrainConfig {
            class_weighting: ClassWeighting::Balanced,
            ..TrainConfig::default()
        };
        assert_eq!(
            balanced.positive_weights(&[50, 20], 100),
            Some(vec![1.0, 4.0])
        );
        let none = TrainConfig {
            class_weighting: ClassWeighting::None,
            ..TrainConfig::default()
        };
        assert_eq!(none.positive_weights(&[1], 100), None);
    }

    #[test]
    fn auto_weighs_classes_only_beyond_a_few_times_imbalance() {
        let auto = TrainConfig::default();
        assert_eq!(auto.class_weighting, ClassWeighting::Auto);
        // SST-5's training shape (27:13): unweighted, like scikit-learn and PyTorch.
        assert_eq!(auto.class_weights(&[27, 26, 19, 15, 13]), None);
        // 40:10: balanced, n / (classes · n_c).
        assert_eq!(auto.class_weights(&[40, 10]), Some(vec![0.625, 2.5]));
        let none = TrainConfig {
            class_weighting: ClassWeighting::None,
            ..TrainConfig::default()
        };
        assert_eq!(none.class_weights(&[40, 10]), None);
        let balanced = TrainConfig {
            class_weighting: ClassWeighting::Balanced,
            ..TrainConfig::default()
        };
        assert_eq!(balanced.class_weights(&[10, 10]), Some(vec![1.0, 1.0]));
    }

    /// The head start reads from the CLI's words and from the page's JSON (lower case), and a
    /// wrong word is an error that lists the right ones.
    #[test]
    fn head_init_parses_from_words_and_json() {
        assert_eq!("random".parse::<HeadInit>(), Ok(HeadInit::Random));
        assert_eq!("fitted".parse::<HeadInit>(), Ok(HeadInit::Fitted));
        let err = "fitted-head".parse::<HeadInit>().unwrap_err().to_string();
        assert!(err.contains("auto, fitted or random"), "{err}");
        let c: TrainConfig = serde_json::from_str(r#"{"head_init":"random"}"#).unwrap();
        assert_eq!(c.head_init, HeadInit::Random);
        let c: TrainConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c.head_init, HeadInit::Auto);
    }
}
