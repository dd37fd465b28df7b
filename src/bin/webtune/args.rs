//! The command line's flags (clap), and the training flags as the one training request
//! (`webtune::job::TrainRequest`) that the browser sends too.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use webtune::backend::BackendChoice;
use webtune::data::Task;
use webtune::job::{DataOptions, TrainRequest};
use webtune::tokenize::DEFAULT_MAX_LEN;
use webtune::train::config::RegressionLossChoice;
use webtune::train::{
    ClassWeighting, HeadInit, Mode, PairLossChoice, Schedule, Strategy, TrainConfig,
};

#[derive(Parser)]
#[command(
    name = "webtune",
    version,
    about = "Fine-tune and run BERT-family text classifiers with burn (CPU or wgpu)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct BackendArgs {
    /// cpu, wgpu, or auto: for `train`, the faster of wgpu and the CPU on a trial of the run's
    /// own first steps (any wgpu adapter, software too); elsewhere wgpu on a hardware GPU, else cpu.
    #[arg(long, default_value = "cpu")]
    pub backend: BackendChoice,
}

#[derive(Args, Clone)]
pub struct DataArgs {
    /// Text column: header name or 1-based number (detected when omitted).
    #[arg(long)]
    pub text_col: Option<String>,
    /// Label column: header name or 1-based number (detected when omitted). Multi-label data
    /// with one 0/1 column a label: their names, comma-separated (detected when the header names
    /// no label column and at least two columns hold only 0 and 1).
    #[arg(long)]
    pub label_col: Option<String>,
    /// The column of a sentence pair's second text: each example is then the pair, one input
    /// `[CLS] text [SEP] pair [SEP]` (detected when a column is named sentence2, question2,
    /// hypothesis, text_b, text2, sentence_b or text_pair; an empty name: none).
    #[arg(long)]
    pub text_pair_col: Option<String>,
    /// single (one class a text), multi (any number of labels a text: `a;b`, a JSON array, or
    /// 0/1 columns), or regression (a number a text). Detected when omitted: multi when a label
    /// cell lists labels, regression when every label is a number with a decimal point (or
    /// there are more than 20 distinct integers that repeat), else single.
    #[arg(long)]
    pub task: Option<Task>,
    /// csv, tsv, jsonl or txt (label<TAB>text); from the extension or the content when omitted.
    #[arg(long)]
    pub format: Option<String>,
    /// Pair files: the first text's column, header name or 1-based number (default: the column
    /// named anchor, query, sentence1, text1 or sentence_a).
    #[arg(long)]
    pub first_col: Option<String>,
    /// Pair files: the second text's column (default: positive, sentence2, text2, sentence_b or
    /// document).
    #[arg(long)]
    pub second_col: Option<String>,
    /// Pair files: the hard negative's column (default: negative, when the header has it; an
    /// empty name: none).
    #[arg(long)]
    pub negative_col: Option<String>,
    /// Pair files: the similarity score's column (default: score, similarity or label, when the
    /// header has one; a score makes the file scored pairs; an empty name: none).
    #[arg(long)]
    pub score_col: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Embed texts: one text per line on stdin, one JSON array per line on stdout.
    Embed {
        /// Folder with config.json, tokenizer.json and model.safetensors.
        #[arg(long)]
        model: PathBuf,
        /// Print L2-normalised embeddings (what sentence-transformers' Normalize module gives).
        #[arg(long)]
        normalize: bool,
        #[command(flatten)]
        backend: BackendArgs,
        /// Truncate texts to this many tokens (default: the folder's sentence_bert_config.json
        /// max_seq_length when it has one, else 128).
        #[arg(long)]
        max_len: Option<usize>,
        /// Texts per forward pass.
        #[arg(long, default_value_t = 64)]
        batch: usize,
    },
    /// Fine-tune a classifier and write it (sentence-transformers layout) with metrics.json.
    Train(Box<TrainArgs>),
    /// Evaluate a model: a classifier on a labelled file (JSON with accuracy, macro_f1, per-class
    /// metrics and the confusion matrix), or a sentence-embedding model on a pair file.
    Eval {
        /// A classifier folder written by `webtune train`: `--data` is a labelled file. Or a
        /// sentence-embedding model (config.json, tokenizer.json, model.safetensors): `--data` is
        /// a pair file — `sentence1,sentence2,score` (prints spearman and pearson of the cosine
        /// similarity) or `anchor,positive[,negative]` (prints recall_at_1, recall_at_10 and
        /// mrr_at_10, each anchor's positive searched among all the file's positives and negatives).
        #[arg(long)]
        model: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        columns: DataArgs,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Predict: one text per line on stdin (a pair model's: the two texts separated by a tab),
    /// one JSON line per text on stdout: the label, the class probabilities and the logits (in
    /// label order); multi-label models: the labels predicted and each label's probability;
    /// regression models: the score.
    Predict {
        #[arg(long)]
        model: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
}

#[derive(Args)]
pub struct TrainArgs {
    /// classify: a classifier trained on labelled texts (cross-entropy). fewshot: a classifier
    /// from a few labelled examples a class (up to ~64), SetFit's recipe: the encoder is tuned on
    /// pairs of the examples (same class: similar, different classes: not), then a logistic
    /// regression is fitted on the tuned embeddings; far better than classify below ~64 a class.
    /// embedding: a sentence-embedding model tuned on a pair file — anchor,positive[,negative]
    /// (MultipleNegativesRankingLoss) or sentence1,sentence2,score (CoSENT) — scored on the
    /// validation pairs before and after; exported without a head.
    #[arg(long, default_value = "classify")]
    pub mode: Mode,
    /// A base model folder (config.json, tokenizer.json, model.safetensors), or a model written
    /// by `webtune train` to continue training it.
    #[arg(long)]
    pub model: PathBuf,
    /// Training data (CSV, TSV, JSONL or label<TAB>text).
    #[arg(long)]
    pub data: PathBuf,
    /// Validation data; without it a stratified part of --data is held out.
    #[arg(long)]
    pub valid: Option<PathBuf>,
    #[command(flatten)]
    pub columns: DataArgs,
    /// auto (classify, single texts: logreg below 32 examples a class, last4 below 1,000 examples,
    /// else full; sentence pairs, multi-label and regression data: full, pairs below 32 a class
    /// logreg; fewshot and embedding: full), logreg (a logistic regression on frozen embeddings,
    /// fitted exactly), head, lastK (e.g. last2), full, or lora[R][-lastK][-ffn] (e.g. lora8,
    /// lora8-last2-ffn).
    #[arg(long, default_value = "auto")]
    pub strategy: Strategy,
    /// Epochs (default: from a budget of at least 70 optimiser steps, 4 epochs while under 3,000
    /// steps, at most 30 epochs).
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Peak learning rate of the head (default: 3e-3 for head, else 1e-3).
    #[arg(long)]
    pub lr_head: Option<f64>,
    /// Peak learning rate of the encoder (default: 5e-5 for lastK, 2e-5 for full, 5e-4 for LoRA;
    /// 5e-5 when auto fine-tunes every layer of pairs, multi-label or regression data under
    /// 1,000 examples).
    #[arg(long)]
    pub lr_encoder: Option<f64>,
    /// auto (constant for full fine-tuning of sentence pairs, multi-label and regression data,
    /// else linear), linear (warm-up then decay) or constant (warm-up, then the peak rate).
    #[arg(long, default_value = "auto")]
    pub schedule: Schedule,
    /// Fraction of steps spent warming up.
    #[arg(long, default_value_t = 0.1)]
    pub warmup: f64,
    #[arg(long, default_value_t = 0.01)]
    pub weight_decay: f64,
    /// Global gradient-norm clip; 0 disables clipping.
    #[arg(long, default_value_t = 1.0)]
    pub max_grad_norm: f64,
    /// Fraction of --data held out for validation when --valid is not given (at least 8 examples
    /// a class, at most a quarter of one; 0 holds nothing out).
    #[arg(long, default_value_t = 0.15)]
    pub valid_fraction: f64,
    /// Stop after this many epochs without a better validation macro-F1; 0 never stops early
    /// (default: a quarter of the epochs, at least 2, never before a third of them).
    #[arg(long)]
    pub patience: Option<usize>,
    /// How a new head starts when the encoder trains: fitted (at a logistic regression on the
    /// frozen embeddings), random, or auto (fitted below 1,000 examples, random from there).
    #[arg(long, default_value = "auto")]
    pub head_init: HeadInit,
    /// Try a few configurations (strategies, learning rates, epochs) on the validation data,
    /// print the table of trials and keep the best (for a few hundred rows or more: on fewer,
    /// a held-out split ranks them by noise and the defaults do better).
    #[arg(long)]
    pub search: bool,
    /// auto (balanced when the largest class is more than 3× the smallest), none or balanced.
    #[arg(long, default_value = "auto")]
    pub class_weights: ClassWeighting,
    #[arg(long, default_value_t = DEFAULT_MAX_LEN)]
    pub max_len: usize,
    /// Run the frozen layers every step instead of caching their output.
    #[arg(long)]
    pub no_cache: bool,
    /// Largest frozen-feature cache, MB.
    #[arg(long)]
    pub cache_limit_mb: Option<u64>,
    /// Disable dropout (exactly reproducible runs).
    #[arg(long)]
    pub no_dropout: bool,
    /// Also write LoRA adapters alone (PEFT layout) under OUT/adapter/.
    #[arg(long)]
    pub lora_adapter: bool,
    /// fewshot: rounds of pair drawing, each one same-class and one different-class pair per
    /// example (SetFit's num_iterations).
    #[arg(long, default_value_t = webtune::train::pair_sampler::DEFAULT_ITERATIONS)]
    pub pair_iterations: usize,
    /// embedding: auto (mnrl for pairs, cosent for scored pairs), mnrl, mnrl-symmetric, cosent
    /// or cosine (the cosine similarity regressed on the scores rescaled to [0, 1]).
    #[arg(long, default_value = "auto")]
    pub loss: PairLossChoice,
    /// embedding: export without sentence-transformers' Normalize module (embeddings are then
    /// not unit vectors).
    #[arg(long)]
    pub no_normalize: bool,
    /// embedding, scored pairs: the scores' range as MIN,MAX (default: 0,1 when every score is
    /// in it, else 0,5); a score outside it is an error naming its line.
    #[arg(long, value_parser = parse_range)]
    pub score_range: Option<ScoreRange>,
    /// Regression: mse, or huber (δ = 1 standard deviation; for targets with outliers).
    #[arg(long, default_value = "mse")]
    pub regression_loss: RegressionLossChoice,
    /// Regression: train on the raw targets instead of standardised ones.
    #[arg(long)]
    pub no_standardize: bool,
    /// Multi-label: predict a label when its probability is above this (default: the threshold
    /// with the best validation micro-F1, chosen after every epoch; 0.5 without validation).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Multi-label: choose each label's own threshold on validation (its best F1).
    #[arg(long)]
    pub threshold_per_label: bool,
    /// Output folder for the model; metrics.json goes beside its files.
    #[arg(long)]
    pub out: PathBuf,
    /// Keep a checkpoint (DIR/checkpoint.safetensors: the trainable weights, the optimiser's
    /// state, the schedule's position, the random generator and the history; a fingerprint of
    /// the data files, never their text) after every epoch but the last. Deleted when the run
    /// finishes; kept when it is stopped or fails. classify mode without --search.
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue from DIR/checkpoint.safetensors (with --checkpoint-dir DIR) after its last
    /// finished epoch, with the same data and settings: the run ends with the weights an
    /// uninterrupted run would have. Without a checkpoint there, the run starts from the
    /// beginning.
    #[arg(long, requires = "checkpoint_dir")]
    pub resume: bool,
    /// Largest checkpoint to keep, MB (a larger one is skipped with a message).
    #[arg(long, default_value_t = webtune::job::DEFAULT_CHECKPOINT_LIMIT >> 20)]
    pub checkpoint_limit_mb: u64,
    /// Print only epoch summaries.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub backend: BackendArgs,
}

impl DataArgs {
    pub fn options(&self) -> DataOptions {
        DataOptions {
            format: self.format.clone(),
            text_column: self.text_col.clone(),
            label_column: self.label_col.clone(),
            text_pair_column: self.text_pair_col.clone(),
            task: self.task,
            first_column: self.first_col.clone(),
            second_column: self.second_col.clone(),
            negative_column: self.negative_col.clone(),
            score_column: self.score_col.clone(),
        }
    }
}

/// `MIN,MAX`, as `--score-range` takes it.
#[derive(Debug, Clone, Copy)]
pub struct ScoreRange(pub [f64; 2]);

fn parse_range(s: &str) -> Result<ScoreRange, String> {
    let bad = || format!("\"{s}\" is not a range: write MIN,MAX (e.g. 0,5)");
    let (lo, hi) = s.split_once(',').ok_or_else(bad)?;
    let lo: f64 = lo.trim().parse().map_err(|_| bad())?;
    let hi: f64 = hi.trim().parse().map_err(|_| bad())?;
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(format!("{s}: MIN must be below MAX"));
    }
    Ok(ScoreRange([lo, hi]))
}

/// A folder's own name (`all-MiniLM-L6-v2`), as the record names the base model.
fn folder_name(path: &Path) -> String {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

impl TrainArgs {
    /// The flags as the one training request every front end sends.
    pub fn request(&self) -> TrainRequest {
        TrainRequest {
            data: self.columns.options(),
            settings: TrainConfig {
                mode: self.mode,
                strategy: self.strategy,
                epochs: self.epochs,
                batch_size: self.batch,
                lr_head: self.lr_head,
                lr_encoder: self.lr_encoder,
                weight_decay: self.weight_decay,
                schedule: self.schedule,
                warmup_fraction: self.warmup,
                max_grad_norm: (self.max_grad_norm > 0.0).then_some(self.max_grad_norm),
                seed: self.seed,
                valid_fraction: self.valid_fraction,
                patience: self.patience,
                class_weighting: self.class_weights,
                max_len: self.max_len,
                cache: !self.no_cache,
                cache_limit_bytes: self.cache_limit_mb.map(|mb| mb * 1_000_000),
                dropout: !self.no_dropout,
                head_init: self.head_init,
                search: self.search,
                pair_iterations: self.pair_iterations,
                pair_loss: self.loss,
                normalize: !self.no_normalize,
                score_range: self.score_range.map(|r| r.0),
                regression_loss: self.regression_loss,
                standardize_targets: !self.no_standardize,
                threshold: self.threshold,
                threshold_per_label: self.threshold_per_label,
                notes: Vec::new(),
            },
            base_model: Some(folder_name(&self.model)),
            unknown: Default::default(),
        }
    }
}
