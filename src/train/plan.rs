//! Defaults that fit the data: which strategy, how much is held out, how many epochs and when to
//! stop, derived from the dataset's size and class counts — one piece of code for the CLI and the
//! browser, printed before training so the user sees what will happen and why.
//!
//! The numbers below were chosen by measurement on public data (sentence-level SST-2 and SST-5
//! subsets, GLUE SST-2 2,000; never their test splits): see the README, "Choosing the defaults".

use serde::Serialize;

use crate::data::{Dataset, Targets, Task, multi_label_split, random_split, stratified_split};

use super::config::{HeadInit, TrainConfig};
use super::optim::Schedule;
use super::strategy::Strategy;

/// `auto` fits a logistic regression on frozen embeddings below this many examples per class
/// (on average), and fine-tunes the top [`AUTO_TOP_LAYERS`] layers from there on...
pub const LOGREG_BELOW_PER_CLASS: usize = 32;
/// ...the top four of six: on dev, `last4` from the fitted head was ahead of `last2` on every
/// size measured between (SST-2 100: 74.24 against 73.51; SST-2 500: 80.85 against 79.66;
/// SST-5 500: 38.02 against 37.53; five subsets each). With the CPU step 1.5× faster (burn's
/// element-wise kernels on every core) a 500-row SST-5 file took 44-55 s natively on a 2-core
/// AVX2 machine, around the 45 s asked, and 112 s in the browser on two threads (README,
/// "Defaults that fit the data").
pub const AUTO_TOP_LAYERS: usize = 4;
/// ...and every layer from this many examples: with a few thousand rows full fine-tuning is
/// points ahead of `last2` (and of PyTorch's `last2` on every row); below, its epochs (about five
/// times a `last2` epoch, which runs from the frozen-feature cache) would break the promise that a
/// 500-row file trains in under half a minute.
pub const FULL_FROM_ROWS: usize = 1000;
/// The encoder's rate when `auto` fine-tunes every layer of a file of sentence pairs,
/// multi-label or regression data below [`FULL_FROM_ROWS`] examples (2e-5, the usual BERT rate,
/// from there): such a file gets ~70 steps, too few for 2e-5 to move the encoder. On dev at
/// 500 rows, 2e-5 against 5e-5: STS-B regression 65.9 against 71.2 Spearman, Reuters headlines
/// micro-F1 75.3 against 80.7, STS-B pairs 66.7 % against 71.7 % (README, "Defaults for every
/// task").
pub const SMALL_FULL_ENCODER_LR: f64 = 5e-5;
/// A run gets at least this many optimiser steps: small files get more epochs. 70, not 80: on
/// dev the 500-row files' fifth epoch gave what a sixth did (SST-2 79.66 vs 79.63, SST-5 37.66
/// vs 37.33; SST-2 100 at 24 epochs instead of 27: 73.01 both) and the half-minute needs the
/// ~4 s it costs.
pub const MIN_STEPS: usize = 70;
/// Epochs are not added beyond this many steps (large files: 4 epochs, then fewer).
pub const MAX_STEPS_FOR_EPOCHS: usize = 3000;
/// Never more epochs than this, whatever the size.
pub const MAX_EPOCHS: usize = 30;
/// What a large file gets when the step budget allows.
pub const BASE_EPOCHS: usize = 4;
/// A held-out class gets at least this many examples (when it can spare them)...
pub const MIN_VALID_PER_CLASS: usize = 8;
/// ...and keeps at least three quarters of its examples for training. A class too small to give
/// two examples this way means no validation split at all.
pub const MAX_VALID_SHARE: f64 = 0.25;
/// A large file holds out no more than about this many examples in all: validation needs a few
/// hundred to rank epochs, and every example beyond that is worth more in training.
pub const MAX_VALID_TOTAL: usize = 600;

/// Whether data of `task` (`pairs`: each example a sentence pair) is one of the kinds whose
/// defaults differ from single texts': sentence pairs, multi-label and regression data. `auto`
/// fine-tunes every layer of it at every size ([`resolve_strategy`]), faster on small files
/// ([`resolve_auto`]), at a constant rate ([`resolve_schedule`]).
fn tunes_every_layer(task: Task, pairs: bool) -> bool {
    pairs || task != Task::Single
}

/// Such data in words, for the plan's notes.
fn data_words(task: Task, pairs: bool) -> &'static str {
    if pairs {
        "sentence pairs"
    } else {
        crate::job::describe_task(task)
    }
}

/// `strategy` with `auto` resolved for a file of `rows` examples in `classes` classes (labels,
/// for multi-label data) of `task` (`pairs`: each example a sentence pair), and why.
///
/// Single texts: a logistic regression, `last4`, then `full` by size (above). Sentence pairs,
/// multi-label and regression data fine-tune every layer at every size (pairs from
/// [`LOGREG_BELOW_PER_CLASS`] a class; the logistic regression is a single-label model): on dev
/// at 500 rows (issue 28, README "Defaults for every task") `last2`/`last4` were 2-27 points
/// below PyTorch's plain `full` recipe on those data — STS-B regression 41.0 Spearman against
/// 68.5, Reuters headlines (multi-label) micro-F1 70.0 against 74.1, STS-B pairs as two classes
/// 68.6 % against 70.8 — and `full` at [`SMALL_FULL_ENCODER_LR`] was ahead of it on all three.
/// The top layers alone cannot re-learn what a pair's or a label set's score needs from the
/// lower ones, where a single text's sentiment is already near the surface.
pub fn resolve_strategy(
    strategy: Strategy,
    rows: usize,
    classes: usize,
    task: Task,
    pairs: bool,
) -> (Strategy, Option<String>) {
    if strategy != Strategy::Auto {
        return (strategy, None);
    }
    let per_class = rows / classes.max(1);
    if tunes_every_layer(task, pairs)
        && (task != Task::Single || per_class >= LOGREG_BELOW_PER_CLASS)
    {
        return (
            Strategy::Full,
            Some(format!(
                "auto chose full: {rows} examples of {}: every layer trains at any size (the top layers alone fall short on such data)",
                data_words(task, pairs)
            )),
        );
    }
    if per_class < LOGREG_BELOW_PER_CLASS {
        (
            Strategy::Logreg,
            Some(format!(
                "auto chose logreg: {rows} examples ({per_class} a class) are below {LOGREG_BELOW_PER_CLASS} a class, where a logistic regression on the frozen embeddings beats fine-tuning the encoder"
            )),
        )
    } else if rows < FULL_FROM_ROWS {
        (
            Strategy::Last { k: AUTO_TOP_LAYERS },
            Some(format!(
                "auto chose last{AUTO_TOP_LAYERS}: {rows} examples ({per_class} a class) are enough to fine-tune the top {AUTO_TOP_LAYERS} layers from the fitted logistic regression (below {FULL_FROM_ROWS}, where full fine-tuning starts)"
            )),
        )
    } else {
        (
            Strategy::Full,
            Some(format!(
                "auto chose full: {rows} examples ({per_class} a class) are enough to fine-tune every layer ({FULL_FROM_ROWS} or more)"
            )),
        )
    }
}

/// Resolves `config`'s strategy for a file of `rows` examples ([`resolve_strategy`]) and, when
/// `auto` chose `full` for a small file of pairs, multi-label or regression data, the encoder
/// rate that goes with it ([`SMALL_FULL_ENCODER_LR`], unless the user gave one; not for a
/// search, whose trials share `config`'s rate). Returns why, in the plan's words. One rule for
/// [`prepare`] and for a caller of `train` that split the data itself.
pub fn resolve_auto(
    config: &mut TrainConfig,
    rows: usize,
    classes: usize,
    task: Task,
    pairs: bool,
) -> Vec<String> {
    let auto = config.strategy == Strategy::Auto;
    let (strategy, why) = resolve_strategy(config.strategy, rows, classes, task, pairs);
    config.strategy = strategy;
    let mut notes: Vec<String> = why.into_iter().collect();
    if auto
        && !config.search
        && strategy == Strategy::Full
        && tunes_every_layer(task, pairs)
        && rows < FULL_FROM_ROWS
        && config.lr_encoder.is_none()
    {
        config.lr_encoder = Some(SMALL_FULL_ENCODER_LR);
        notes.push(format!(
            "encoder learning rate {SMALL_FULL_ENCODER_LR:e}: {rows} examples give few steps, too few for the usual 2e-5 (from {FULL_FROM_ROWS} examples)"
        ));
    }
    notes
}

/// Few-shot mode is suggested while the median class has at most this many examples: SetFit's
/// regime, where on SST-2 sentences at 8 a class it beats cross-entropy fine-tuning by far
/// (README, "Few-shot"). The median, not the smallest class: one rare class in a file of large
/// ones does not make the file few-shot data.
pub const FEWSHOT_UP_TO: usize = 64;

/// Whether a single-label file of single texts with these class sizes suggests few-shot mode,
/// and why in words (the page and the CLI say the same). `None` for fewer than two classes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FewshotHint {
    pub suggested: bool,
    /// The median class's examples (of two middle classes, the mean, rounded down).
    pub median_class: usize,
    pub reason: String,
}

pub fn fewshot_hint(counts: &[usize]) -> Option<FewshotHint> {
    if counts.len() < 2 {
        return None;
    }
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    let m = sorted.len();
    let median = if m % 2 == 1 {
        sorted[m / 2]
    } else {
        (sorted[m / 2 - 1] + sorted[m / 2]) / 2
    };
    let suggested = median <= FEWSHOT_UP_TO;
    let small = counts.iter().filter(|&&n| n <= FEWSHOT_UP_TO).count();
    let reason = if suggested {
        format!(
            "the median class has {median} example{} ({small} of the {m} classes have {FEWSHOT_UP_TO} or fewer)",
            if median == 1 { "" } else { "s" }
        )
    } else if small > 0 {
        format!(
            "the median class has {median} examples; {small} of the {m} classes ha{} {FEWSHOT_UP_TO} or fewer, the rest more",
            if small == 1 { "s" } else { "ve" }
        )
    } else {
        format!("every class has more than {FEWSHOT_UP_TO} examples (the median {median})")
    };
    Some(FewshotHint {
        suggested,
        median_class: median,
        reason,
    })
}

/// The learning-rate schedule `schedule` means for `strategy` on data of `task` (`pairs`: of
/// sentence pairs), and why when `auto` chose: constant for `full` fine-tuning of sentence pairs,
/// multi-label and regression data, linear otherwise. On dev, full fine-tuning at its rate
/// (2e-5) under a linear decay left STS-B's pairs as two classes (2,000 rows) still improving
/// at epoch 4 — 79.07 against 82.27 with a constant rate, PyTorch's plain recipe 81.73 — while
/// single texts peaked earlier and were better decayed (SST-5 2,000: 44.78 against 43.96).
/// README, "Choosing the learning rates".
pub fn resolve_schedule(
    schedule: Schedule,
    strategy: Strategy,
    task: Task,
    pairs: bool,
) -> (Schedule, Option<String>) {
    if schedule != Schedule::Auto {
        return (schedule, None);
    }
    if strategy == Strategy::Full && tunes_every_layer(task, pairs) {
        (
            Schedule::Constant,
            Some(format!(
                "a constant learning rate after the warm-up: full fine-tuning of {} is still improving when a decaying rate runs out",
                data_words(task, pairs)
            )),
        )
    } else {
        (Schedule::Linear, None)
    }
}

/// Training and validation sets, with the settings the data decided.
pub struct Prepared {
    pub train: Dataset,
    pub valid: Dataset,
    /// `config` with `auto` resolved and the reasons in `notes`.
    pub config: TrainConfig,
}

/// Resolves the strategy on the whole file and holds out validation data where it is useful:
/// the user's validation set when there is one; none for `logreg` (its cross-validation uses
/// every example); else a stratified, seeded split with a floor per class, or none when a class
/// is too small to spare any.
pub fn prepare(full: Dataset, valid: Option<Dataset>, config: &TrainConfig) -> Prepared {
    let mut config = config.clone();
    if config.mode == super::Mode::Fewshot {
        // A few examples a class are all worth training on; a validation file scores the run.
        if valid.is_none() {
            config.notes.push(format!(
                "no validation split: few-shot training uses all {} examples (give a validation file to score it)",
                full.len()
            ));
        }
        let valid = valid.unwrap_or_else(|| full.subset(&[]));
        return Prepared {
            train: full,
            valid,
            config,
        };
    }
    if let Some(pairs) = &full.pairs {
        let identical = full
            .texts
            .iter()
            .zip(pairs)
            .filter(|(a, b)| a.trim() == b.trim())
            .count();
        if identical > 0 {
            config.notes.push(format!(
                "{identical} of the {} examples pair a text with itself (the same text in both columns)",
                full.len()
            ));
        }
    }
    if full.task() == Task::Single
        && full.pairs.is_none()
        && let Some(hint) = fewshot_hint(&full.class_counts())
        && hint.suggested
    {
        config.notes.push(format!(
            "few-shot mode (SetFit's recipe) may do better on this file: {}",
            hint.reason
        ));
    }
    let pairs = full.pairs.is_some();
    let why = resolve_auto(
        &mut config,
        full.len(),
        full.label_set.len(),
        full.task(),
        pairs,
    );
    let strategy = config.strategy;
    if !config.search {
        // A search tries several strategies; its trials say which.
        config.notes.extend(why);
    }
    let (schedule, schedule_why) = resolve_schedule(config.schedule, strategy, full.task(), pairs);
    config.schedule = schedule;
    config.notes.extend(schedule_why);
    // From FULL_FROM_ROWS the head starts random, not at the fitted logistic regression: that
    // start is what lets a small file's few steps count (SST-2 500: 84 % after one epoch instead
    // of 52 %), but on SST-5 2,000 it left `full` 2.3 points below a random start on dev (42.69
    // vs 44.96; the fitted head starts confident and the encoder over-fits from the first epoch).
    // Only `auto` is decided here: `fitted` and `random` are the user's.
    if config.head_init == HeadInit::Auto {
        config.head_init = if full.len() >= FULL_FROM_ROWS {
            if strategy.trains_encoder() {
                config.notes.push(format!(
                    "the head starts from random weights: {} examples give the fine-tuning the steps to fit it, and a head fitted first makes it over-fit at this size",
                    full.len()
                ));
            }
            HeadInit::Random
        } else {
            HeadInit::Fitted
        };
    }
    if let Some(valid) = valid {
        return Prepared {
            train: full,
            valid,
            config,
        };
    }
    let empty = full.subset(&[]);
    if config.valid_fraction == 0.0 {
        return Prepared {
            train: full,
            valid: empty,
            config,
        };
    }
    if strategy == Strategy::Logreg && !config.search {
        config.notes.push(format!(
            "no validation split: the logistic regression trains on all {} examples and is scored by cross-validation",
            full.len()
        ));
        return Prepared {
            train: full,
            valid: empty,
            config,
        };
    }
    let counts = full.class_counts();
    let names = full.label_set.names().to_vec();
    let fraction = config
        .valid_fraction
        .min(MAX_VALID_TOTAL as f64 / full.len().max(1) as f64);
    if full.task() != Task::Single {
        // Multi-label: iterative stratification (every label in both sides where it can be);
        // regression: a seeded random split. Both: the fraction, within the same bounds.
        let n_valid = valid_count(full.len(), fraction);
        if n_valid < 2 {
            config.notes.push(format!(
                "no validation split: {} examples are too few to hold any out; training on all of them for a fixed budget, without early stopping",
                full.len()
            ));
            return Prepared {
                train: full,
                valid: empty,
                config,
            };
        }
        let (t, v) = match &full.targets {
            Targets::Multi(lists) => multi_label_split(lists, names.len(), n_valid, config.seed),
            _ => random_split(full.len(), n_valid, config.seed),
        };
        config.notes.push(format!(
            "holding out {} examples for validation ({}, seed {})",
            v.len(),
            if matches!(full.targets, Targets::Multi(_)) {
                "stratified so that every label is on both sides where it can be"
            } else {
                "at random"
            },
            config.seed
        ));
        return Prepared {
            train: full.subset(&t),
            valid: full.subset(&v),
            config,
        };
    }
    // A class too small to spare two examples stays whole in training; the others are held
    // out from as usual. One rare class (a rare intent, a rare defect type) then costs the run
    // its score on that class only, not its validation and early stopping altogether.
    let mut per_class: Vec<usize> = counts.iter().map(|&n| valid_count(n, fraction)).collect();
    for v in &mut per_class {
        if *v < 2 {
            *v = 0;
        }
    }
    let kept: Vec<usize> = (0..counts.len()).filter(|&c| per_class[c] == 0).collect();
    let validated = counts.len() - kept.len();
    if validated < 2 {
        let why = match kept.as_slice() {
            [c] => format!(
                "class \"{}\" has only {} examples, too few to hold any out",
                names[*c], counts[*c]
            ),
            _ => format!(
                "{} of the {} classes have fewer than {} examples, too few to hold any out",
                kept.len(),
                counts.len(),
                MIN_SPARE_CLASS
            ),
        };
        config.notes.push(format!(
            "no validation split: {why}, and validation needs two classes or more; training on all of them for a fixed budget, without early stopping"
        ));
        return Prepared {
            train: full,
            valid: empty,
            config,
        };
    }
    let (t, v) = stratified_split(&full, &per_class, config.seed);
    let smallest = (0..counts.len())
        .filter(|&c| per_class[c] > 0)
        .map(|c| per_class[c])
        .min()
        .unwrap_or(0);
    config.notes.push(format!(
        "holding out {} examples for validation ({smallest} of each {}class at least; stratified, seed {})",
        v.len(),
        if kept.is_empty() { "" } else { "validated " },
        config.seed
    ));
    for &c in &kept {
        config.notes.push(format!(
            "class \"{}\": {} examples, all used for training; not validated (validation accuracy and macro-F1 cover the other {validated} classes)",
            names[c], counts[c]
        ));
    }
    Prepared {
        train: full.subset(&t),
        valid: full.subset(&v),
        config,
    }
}

/// The fewest examples a class may have and still give validation two of them (at most
/// [`MAX_VALID_SHARE`] of a class is held out).
pub const MIN_SPARE_CLASS: usize = 8;

/// Examples of a class of `n` held out for validation: `fraction` of them, at least
/// [`MIN_VALID_PER_CLASS`], at most [`MAX_VALID_SHARE`] of the class.
pub fn valid_count(n: usize, fraction: f64) -> usize {
    let wanted = ((n as f64 * fraction).round() as usize).max(MIN_VALID_PER_CLASS);
    wanted.min((n as f64 * MAX_VALID_SHARE).floor() as usize)
}

/// The budget of a run: epochs, steps, warm-up and early stopping, resolved from the training
/// set's size where the settings leave them automatic.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub strategy: String,
    pub epochs: usize,
    /// Whether `epochs` came from the step budget (not the user).
    pub epochs_auto: bool,
    pub steps_per_epoch: usize,
    pub total_steps: usize,
    pub warmup_steps: usize,
    /// Epochs without a better validation macro-F1 before stopping; `None`: never stops early.
    pub patience: Option<usize>,
    /// Early stopping never stops before this epoch.
    pub min_epochs: usize,
    /// Everything above and the automatic choices, in sentences, for the user.
    pub summary: Vec<String>,
}

/// Epochs for `steps_per_epoch`: enough for [`MIN_STEPS`], [`BASE_EPOCHS`] while that stays under
/// [`MAX_STEPS_FOR_EPOCHS`], at most [`MAX_EPOCHS`], at least one.
pub fn budget_epochs(steps_per_epoch: usize) -> usize {
    let spe = steps_per_epoch.max(1);
    let for_floor = MIN_STEPS.div_ceil(spe);
    let base = BASE_EPOCHS.min(MAX_STEPS_FOR_EPOCHS / spe);
    for_floor.max(base).clamp(1, MAX_EPOCHS)
}

/// Early stopping's patience for a run of `epochs`: a quarter of them, at least 2.
pub fn auto_patience(epochs: usize) -> usize {
    epochs.div_ceil(4).max(2)
}

impl Plan {
    /// The plan for training `config` (strategy resolved) on `train_examples`, validating on
    /// `valid_examples`.
    pub fn new(config: &TrainConfig, train_examples: usize, valid_examples: usize) -> Plan {
        Self::for_task(config, train_examples, valid_examples, Task::Single)
    }

    /// [`Plan::new`] for data of `task` (early stopping follows its score).
    pub fn for_task(
        config: &TrainConfig,
        train_examples: usize,
        valid_examples: usize,
        task: Task,
    ) -> Plan {
        let strategy = config.strategy.to_string();
        let mut summary = config.notes.clone();
        if config.strategy == Strategy::Logreg {
            summary.push(format!(
                "logreg: the encoder stays frozen; the head is a logistic regression (C = 1) fitted to its optimum on the {train_examples} L2-normalised embeddings"
            ));
            return Plan {
                strategy,
                epochs: 1,
                epochs_auto: false,
                steps_per_epoch: 0,
                total_steps: 0,
                warmup_steps: 0,
                patience: None,
                min_epochs: 1,
                summary,
            };
        }
        let steps_per_epoch = train_examples.div_ceil(config.batch_size.max(1)).max(1);
        let epochs_auto = config.epochs.is_none();
        let epochs = config
            .epochs
            .unwrap_or_else(|| budget_epochs(steps_per_epoch));
        let total_steps = steps_per_epoch * epochs;
        let warmup_steps = (config.warmup_fraction * total_steps as f64).round() as usize;
        let patience = match (valid_examples, config.patience) {
            (0, _) | (_, Some(0)) => None,
            (_, Some(p)) => Some(p),
            (_, None) => Some(auto_patience(epochs)),
        };
        let min_epochs = if config.patience.is_none() {
            epochs.div_ceil(3).max(1)
        } else {
            1
        };
        let schedule = match config.resolved_schedule() {
            Schedule::Constant => ", then the peak rate to the end",
            _ => ", then a linear decay",
        };
        summary.push(format!(
            "{epochs} epoch{} × {steps_per_epoch} step{} = {total_steps} steps of {} examples{}; warm-up {warmup_steps} steps{schedule}",
            if epochs == 1 { "" } else { "s" },
            if steps_per_epoch == 1 { "" } else { "s" },
            config.batch_size,
            if epochs_auto {
                format!(" (at least {MIN_STEPS} steps, at most {MAX_EPOCHS} epochs)")
            } else {
                String::new()
            }
        ));
        summary.push(match patience {
            Some(p) => format!(
                "stops when validation {} has not improved for {p} epochs (not before epoch {min_epochs}); keeps the best epoch",
                super::Metrics::score_name(task)
            ),
            None if valid_examples == 0 => "no validation data: trains the whole budget and keeps the last epoch".into(),
            None => "early stopping off: trains the whole budget and keeps the best epoch on validation".into(),
        });
        Plan {
            strategy,
            epochs,
            epochs_auto,
            steps_per_epoch,
            total_steps,
            warmup_steps,
            patience,
            min_epochs,
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::LabelSet;

    fn dataset(per_class: &[usize]) -> Dataset {
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for (c, &n) in per_class.iter().enumerate() {
            for i in 0..n {
                texts.push(format!("{c} {i}"));
                labels.push(c);
            }
        }
        let names = (0..per_class.len()).map(|c| format!("c{c}")).collect();
        Dataset {
            texts,
            pairs: None,
            labels,
            label_set: LabelSet::from_names(names),
            targets: crate::data::Targets::Classes,
        }
    }

    #[test]
    fn small_files_get_enough_steps_and_large_ones_four_epochs_then_fewer() {
        assert_eq!(budget_epochs(14), 5); // 500 rows less validation: 5 × 14 = 70 steps
        assert_eq!(budget_epochs(3), 24); // 100 rows
        assert_eq!(budget_epochs(54), 4); // SST-2 2,000 less validation: as before
        assert_eq!(budget_epochs(184), 4); // 6,920 rows
        assert_eq!(budget_epochs(1329), 2); // 50,000 rows
        assert_eq!(budget_epochs(5000), 1);
        assert_eq!(budget_epochs(1), MAX_EPOCHS);
        assert_eq!(auto_patience(27), 7);
        assert_eq!(auto_patience(6), 2);
    }

    #[test]
    fn auto_picks_logreg_for_small_files_last4_above_and_full_for_large_ones() {
        let cfg = TrainConfig::default();
        assert_eq!(cfg.strategy, Strategy::Auto);
        let p = prepare(dataset(&[8, 8]), None, &cfg);
        assert_eq!(p.config.strategy, Strategy::Logreg);
        assert_eq!((p.train.len(), p.valid.len()), (16, 0));
        assert!(
            p.config
                .notes
                .iter()
                .any(|n| n.contains("scored by cross-validation")),
            "{:?}",
            p.config.notes
        );
        let p = prepare(dataset(&[300, 200]), None, &cfg);
        assert_eq!(p.config.strategy, Strategy::Last { k: 4 });
        assert!(
            p.config
                .notes
                .iter()
                .any(|n| n.starts_with("auto chose last4: 500 examples (250 a class)")),
            "{:?}",
            p.config.notes
        );
        assert_eq!(p.valid.class_counts(), vec![45, 30]);
        // The plan of that run, printed before training.
        let plan = Plan::new(&p.config, p.train.len(), p.valid.len());
        assert_eq!(plan.steps_per_epoch, 14);
        assert_eq!(plan.epochs, 5);
        assert!(
            plan.summary
                .iter()
                .any(|s| s.contains("5 epochs × 14 steps = 70 steps")),
            "{:?}",
            plan.summary
        );
        assert_eq!((plan.patience, plan.min_epochs), (Some(2), 2));
        let p = prepare(dataset(&[999 - 500, 500]), None, &cfg);
        assert_eq!(p.config.strategy, Strategy::Last { k: 4 });
        assert_eq!(p.config.head_init, HeadInit::Fitted);
        let p = prepare(dataset(&[600, 400]), None, &cfg);
        assert_eq!(p.config.strategy, Strategy::Full);
        assert_eq!(
            p.config.head_init,
            HeadInit::Random,
            "a large file's head starts random"
        );
        // The user's choice stands at any size, without a note about it.
        for init in [HeadInit::Fitted, HeadInit::Random] {
            let mine = TrainConfig {
                head_init: init,
                ..TrainConfig::default()
            };
            for rows in [&[300, 200][..], &[600, 400][..]] {
                let p = prepare(dataset(rows), None, &mine);
                assert_eq!(p.config.head_init, init);
                assert!(!p.config.notes.iter().any(|n| n.contains("random weights")));
            }
        }
        assert!(
            p.config.notes.iter().any(|n| n.contains("auto chose full")),
            "{:?}",
            p.config.notes
        );
    }

    #[test]
    fn validation_has_a_floor_per_class_or_is_skipped_with_a_reason() {
        assert_eq!(valid_count(40, 0.15), 8);
        assert_eq!(valid_count(20, 0.15), 5);
        assert_eq!(valid_count(1000, 0.15), 150);
        // A large file holds out about 600 examples, not 15 %.
        let p = prepare(dataset(&[4000, 2000]), None, &TrainConfig::default());
        assert_eq!(p.valid.class_counts(), vec![400, 200]);
        let cfg = TrainConfig {
            strategy: Strategy::Last { k: 1 },
            ..TrainConfig::default()
        };
        let p = prepare(dataset(&[40, 6]), None, &cfg);
        assert_eq!(p.valid.len(), 0);
        assert!(
            p.config
                .notes
                .iter()
                .any(|n| n.contains("class \"c1\" has only 6 examples")),
            "{:?}",
            p.config.notes
        );
        let plan = Plan::new(&p.config, p.train.len(), 0);
        assert_eq!(plan.patience, None);
    }

    #[test]
    fn auto_schedule_is_constant_for_full_fine_tuning_of_pairs_and_other_tasks() {
        let last2 = Strategy::Last { k: 2 };
        let full = Strategy::Full;
        let auto = Schedule::Auto;
        let chosen = |strategy, task, pairs| resolve_schedule(auto, strategy, task, pairs).0;
        assert_eq!(chosen(full, Task::Single, true), Schedule::Constant);
        assert_eq!(chosen(full, Task::Multi, false), Schedule::Constant);
        assert_eq!(chosen(full, Task::Regression, true), Schedule::Constant);
        assert_eq!(chosen(full, Task::Single, false), Schedule::Linear);
        assert_eq!(chosen(last2, Task::Multi, false), Schedule::Linear);
        assert_eq!(
            resolve_schedule(Schedule::Linear, full, Task::Multi, false),
            (Schedule::Linear, None)
        );
        assert_eq!(TrainConfig::default().schedule, Schedule::Auto);
        // The plan says which, and why when auto chose.
        let p = prepare(dataset(&[600, 600]), None, &TrainConfig::default());
        assert_eq!(p.config.strategy, Strategy::Full);
        assert_eq!(p.config.schedule, Schedule::Linear);
        let plan = Plan::new(&p.config, p.train.len(), p.valid.len());
        assert!(
            plan.summary
                .iter()
                .any(|s| s.ends_with("then a linear decay")),
            "{:?}",
            plan.summary
        );
    }

    #[test]
    fn pairs_multi_label_and_regression_data_fine_tune_every_layer_faster_when_small() {
        let lr = |p: &Prepared| p.config.encoder_lr();
        let chose_full = |p: &Prepared| {
            p.config.strategy == Strategy::Full
                && p.config
                    .notes
                    .iter()
                    .any(|n| n.starts_with("auto chose full"))
        };
        let cfg = TrainConfig::default();
        // Sentence pairs: full from 32 a class, at 5e-5 below 1,000 rows; below 32 a class the
        // logistic regression, as for single texts.
        let pairs = |per_class: &[usize]| {
            let mut d = dataset(per_class);
            d.pairs = Some(d.texts.iter().map(|t| format!("{t} b")).collect());
            d
        };
        let p = prepare(pairs(&[250, 250]), None, &cfg);
        assert!(chose_full(&p), "{:?}", p.config.notes);
        assert_eq!((lr(&p), p.config.schedule), (5e-5, Schedule::Constant));
        assert!(
            p.config
                .notes
                .iter()
                .any(|n| n.starts_with("encoder learning rate 5e-5: 500 examples"))
        );
        let p = prepare(pairs(&[600, 600]), None, &cfg);
        assert!(chose_full(&p));
        assert_eq!(lr(&p), 2e-5);
        assert_eq!(
            prepare(pairs(&[10, 10]), None, &cfg).config.strategy,
            Strategy::Logreg
        );
        // Multi-label and regression: full at any size.
        let multi = |n: usize| {
            let mut d = dataset(&[n]);
            d.label_set = LabelSet::from_names(vec!["a".into(), "b".into(), "c".into()]);
            d.targets = Targets::Multi((0..n).map(|i| vec![i % 3]).collect());
            d.labels.clear();
            d
        };
        let scores = |n: usize| {
            let mut d = dataset(&[n]);
            d.label_set = LabelSet::from_names(vec!["score".into()]);
            d.targets = Targets::Scores((0..n).map(|i| i as f32).collect());
            d.labels.clear();
            d
        };
        for (small, large) in [(multi(60), multi(2000)), (scores(60), scores(2000))] {
            let p = prepare(small, None, &cfg);
            assert!(chose_full(&p), "{:?}", p.config.notes);
            assert_eq!((lr(&p), p.config.schedule), (5e-5, Schedule::Constant));
            let p = prepare(large, None, &cfg);
            assert!(chose_full(&p));
            assert_eq!(lr(&p), 2e-5);
        }
        // The user's rate and strategy stand.
        let mine = TrainConfig {
            lr_encoder: Some(1e-5),
            ..TrainConfig::default()
        };
        assert_eq!(lr(&prepare(multi(60), None, &mine)), 1e-5);
        let mine = TrainConfig {
            strategy: Strategy::Last { k: 2 },
            ..TrainConfig::default()
        };
        let p = prepare(scores(60), None, &mine);
        assert_eq!((p.config.strategy, lr(&p)), (Strategy::Last { k: 2 }, 5e-5));
        assert!(
            !p.config
                .notes
                .iter()
                .any(|n| n.starts_with("encoder learning rate"))
        );
        // Single texts are unchanged: last4 below 1,000 rows.
        assert_eq!(
            prepare(dataset(&[250, 250]), None, &cfg).config.strategy,
            Strategy::Last { k: 4 }
        );
    }

    #[test]
    fn the_fewshot_hint_follows_the_median_class_not_the_smallest() {
        let h = fewshot_hint(&[134, 136, 130, 105, 88, 7]).unwrap();
        assert!(!h.suggested);
        assert_eq!(h.median_class, 117);
        assert_eq!(
            h.reason,
            "the median class has 117 examples; 1 of the 6 classes has 64 or fewer, the rest more"
        );
        let h = fewshot_hint(&[8, 8, 8]).unwrap();
        assert!(h.suggested);
        assert_eq!(
            h.reason,
            "the median class has 8 examples (3 of the 3 classes have 64 or fewer)"
        );
        assert!(fewshot_hint(&[64, 30, 500]).unwrap().suggested);
        assert!(!fewshot_hint(&[65, 300]).unwrap().suggested);
        assert_eq!(fewshot_hint(&[5]), None);
        // The plan says it too (the CLI prints it; the page shows it beside its button).
        let cfg = TrainConfig {
            strategy: Strategy::Last { k: 2 },
            ..TrainConfig::default()
        };
        let p = prepare(dataset(&[20, 20]), None, &cfg);
        assert!(
            p.config
                .notes
                .iter()
                .any(|n| n.starts_with("few-shot mode (SetFit's recipe) may do better")),
            "{:?}",
            p.config.notes
        );
        let p = prepare(dataset(&[134, 136, 130, 105, 88, 7]), None, &cfg);
        assert!(!p.config.notes.iter().any(|n| n.contains("few-shot")));
    }

    #[test]
    fn a_rare_class_stays_in_training_and_the_others_are_validated() {
        // A question file as a user has it: six classes, one of 7 examples.
        let p = prepare(
            dataset(&[134, 136, 130, 105, 88, 7]),
            None,
            &TrainConfig::default(),
        );
        assert_eq!(p.valid.class_counts(), vec![20, 20, 20, 16, 13, 0]);
        assert_eq!(p.train.class_counts()[5], 7);
        assert_eq!(p.train.len() + p.valid.len(), 600);
        let notes = &p.config.notes;
        assert!(
            notes.iter().any(|n| n
                .starts_with("class \"c5\": 7 examples, all used for training; not validated")
                && n.contains("cover the other 5 classes")),
            "{notes:?}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("holding out 89 examples")),
            "{notes:?}"
        );
        // Early stopping runs on what is held out.
        let plan = Plan::new(&p.config, p.train.len(), p.valid.len());
        assert!(plan.patience.is_some());

        // Two rare classes, of 5 and 2: both kept, three classes validated.
        let p = prepare(
            dataset(&[200, 150, 100, 5, 2]),
            None,
            &TrainConfig::default(),
        );
        assert_eq!(p.valid.class_counts(), vec![30, 23, 15, 0, 0]);
        assert_eq!(
            p.config
                .notes
                .iter()
                .filter(|n| n.contains("all used for training; not validated"))
                .count(),
            2
        );
        // A class of one: kept too.
        let p = prepare(dataset(&[300, 300, 1]), None, &TrainConfig::default());
        assert_eq!(p.valid.class_counts(), vec![45, 45, 0]);
        // The smallest class that can give validation two examples.
        assert_eq!(valid_count(MIN_SPARE_CLASS, 0.15), 2);
        assert!(valid_count(MIN_SPARE_CLASS - 1, 0.15) < 2);
        // Only one class could be validated: no split, and the reason.
        let p = prepare(dataset(&[300, 5, 4]), None, &TrainConfig::default());
        assert_eq!(p.valid.len(), 0);
        assert!(
            p.config
                .notes
                .iter()
                .any(|n| n.contains("2 of the 3 classes have fewer than 8 examples")),
            "{:?}",
            p.config.notes
        );
    }
}
