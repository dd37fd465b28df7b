//! One training job for every front end. The CLI fills a [`TrainRequest`] from its flags, the
//! browser receives it as JSON; both then run the same steps — parse the files, check the
//! labels, hold out validation data, train — and get the same [`TrainingRecord`], so the
//! exported `webtune.json` does not depend on which front end wrote it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::classifier::Classifier;
use crate::data::pairs::{PairColumns, PairSet};
use crate::data::{self, Dataset, Format, LabelSet, ParseOptions, ParsedFile, Problem, Task};
use crate::device_cost::StepCost;
use crate::engine::Engine;
use crate::model::Head;
use crate::similarity::SimilarityMetrics;
use crate::train::checkpoint::{Checkpoint, CheckpointMeta, Fingerprint, RunIdentity};
use crate::train::embedding::EmbeddingOutcome;
use crate::train::logreg::CvReport;
use crate::train::progress::Yield;
use crate::train::{
    EpochReport, Metrics, Mode, Plan, Progress, TrainConfig, TrainHost, TrainOutcome, Trial,
};
use crate::{Error, Result};

/// How to read a dataset file. Every field is optional: the parser detects what is absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataOptions {
    /// `csv`, `tsv`, `jsonl` or `txt` (`label<TAB>text`); else from the name or the content.
    pub format: Option<String>,
    /// Header name or 1-based column number.
    pub text_column: Option<String>,
    /// Header name or 1-based column number; for multi-label data in one 0/1 column a label,
    /// their names separated by commas.
    pub label_column: Option<String>,
    /// The column of a sentence pair's second text (else one named `sentence2`, `question2`,
    /// `hypothesis`, ...; empty: none): the pair is one input, `[CLS] text [SEP] pair [SEP]`.
    pub text_pair_column: Option<String>,
    /// `single`, `multi` or `regression`; else detected from the label column.
    pub task: Option<Task>,
    /// Pair files: the first text's column (else `anchor`, `query`, `sentence1`, ...).
    pub first_column: Option<String>,
    /// Pair files: the second text's column (else `positive`, `sentence2`, ...).
    pub second_column: Option<String>,
    /// Pair files: the hard negative's column (else `negative`, when present).
    pub negative_column: Option<String>,
    /// Pair files: the score's column (else `score`, `similarity` or `label`, when present).
    pub score_column: Option<String>,
}

impl DataOptions {
    /// The format asked for, if any (`csv`, `tsv`, `jsonl`, `txt`).
    pub fn format(&self) -> Result<Option<Format>> {
        self.format
            .as_deref()
            .map(str::parse::<Format>)
            .transpose()
            .map_err(Error::Invalid)
    }

    /// The pair columns asked for.
    pub fn pair_columns(&self) -> PairColumns {
        PairColumns {
            first: self.first_column.clone(),
            second: self.second_column.clone(),
            negative: self.negative_column.clone(),
            score: self.score_column.clone(),
        }
    }

    /// Parses a pair file as these options say; every problem comes back with its line.
    pub fn parse_pairs(&self, bytes: &[u8], file_name: &str) -> Result<PairSet> {
        Ok(data::pairs::parse_pairs(
            bytes,
            file_name,
            self.format()?,
            &self.pair_columns(),
        )?)
    }

    /// Parses one file as these options say; every problem comes back with its line.
    pub fn parse(&self, bytes: &[u8], file_name: &str) -> Result<ParsedFile> {
        let options = ParseOptions {
            file_name: file_name.to_string(),
            format: self.format()?,
            text_column: self.text_column.clone(),
            label_column: self.label_column.clone(),
            pair_column: self.text_pair_column.clone(),
            task: self.task,
        };
        Ok(data::parse(bytes, &options)?)
    }

    /// The options that read a validation or evaluation file as `parsed` (the training file) was
    /// read: its task, its pair column (or none), its 0/1 label columns.
    pub fn like(&self, parsed_task: Task, pair_column: Option<&str>, label_column: &str) -> Self {
        let mut o = self.clone();
        o.task = Some(parsed_task);
        o.text_pair_column = Some(pair_column.unwrap_or_default().to_string());
        if label_column.contains(',') {
            o.label_column = Some(label_column.to_string());
        }
        o
    }

    /// These options with the columns a model was trained on (`columns`) filled in where the
    /// options name none and the file's header (`bytes`) has them: a file with the training
    /// file's header is read as the training file was, whatever detection would pick (a header
    /// no rule knows, `#1 String`). Named options still decide.
    pub fn with_columns_of(&self, columns: &DataColumns, bytes: &[u8], file_name: &str) -> Self {
        let mut o = self.clone();
        let Ok(format) = self.format() else {
            return o;
        };
        let Some(header) = data::pairs::header_columns(bytes, file_name, format) else {
            return o;
        };
        // A column the options name for one role is not taken for another.
        let named: Vec<&str> = [
            &self.text_column,
            &self.label_column,
            &self.text_pair_column,
        ]
        .into_iter()
        .flatten()
        .flat_map(|n| n.split(','))
        .map(str::trim)
        .collect();
        let has = |name: &str| {
            !name.is_empty()
                && name.split(',').all(|n| {
                    header.iter().any(|h| h.trim() == n.trim()) && !named.contains(&n.trim())
                })
        };
        if o.text_column.is_none() && has(&columns.text_column) {
            o.text_column = Some(columns.text_column.clone());
        }
        if o.label_column.is_none() && has(&columns.label_column) {
            o.label_column = Some(columns.label_column.clone());
        }
        if o.text_pair_column.is_none()
            && let Some(pair) = &columns.text_pair_column
            && has(pair)
        {
            o.text_pair_column = Some(pair.clone());
        }
        o
    }
}

/// The columns a classifier's training file was read by: recorded in `webtune.json` (under
/// `training.columns`), so that `eval` reads a file with the same header the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataColumns {
    pub text_column: String,
    /// The second text's column, for a model of sentence pairs.
    pub text_pair_column: Option<String>,
    /// One column, or a multi-label file's 0/1 columns separated by commas.
    pub label_column: String,
}

impl DataColumns {
    /// What `webtune.json` (its JSON) records, if anything.
    pub fn of_webtune_json(webtune: &Value) -> Option<Self> {
        serde_json::from_value(webtune.get("training")?.get("columns")?.clone()).ok()
    }
}

/// What a user asks of a training run: how to read the data, the training settings (the
/// strategy in its one string form, `last2`, `lora8-ffn`), and the base model's name for the
/// record. In JSON the fields sit side by side: `{"text_column": "review", "strategy": "last2",
/// "epochs": 3}` (camelCase from JavaScript: the boundary converts keys, see [`crate::case`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainRequest {
    #[serde(flatten)]
    pub data: DataOptions,
    #[serde(flatten)]
    pub settings: TrainConfig,
    /// Recorded in `webtune.json`: the base model folder's name, or the name the page loaded.
    pub base_model: Option<String>,
    /// Keys that no field reads, kept to be refused: a misspelt option must not pass silently.
    #[serde(flatten, skip_serializing)]
    pub unknown: BTreeMap<String, Value>,
}

/// A dataset file as a front end hands it over: its name (for messages and the record) and bytes.
#[derive(Debug, Clone, Copy)]
pub struct DataFile<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// How the training file was read, for the front end to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub name: String,
    pub rows: usize,
    pub format: Format,
    pub text_column: String,
    pub label_column: String,
    /// The second text's column, for sentence pairs.
    pub pair_column: Option<String>,
    pub task: Task,
}

/// A request's data parsed and split, with the settings the data decided.
#[derive(Debug, Clone)]
pub struct PreparedJob {
    pub train: Dataset,
    pub valid: Dataset,
    /// The request's settings with `auto` resolved and the reasons in `notes`.
    pub config: TrainConfig,
    pub file: FileSummary,
    /// The validation file's name, when one was given.
    pub valid_file: Option<String>,
    pub base_model: Option<String>,
    /// Which run this is, for its checkpoints: the settings as asked and the files' fingerprints.
    pub identity: RunIdentity,
}

impl TrainRequest {
    /// Checks the settings and refuses keys no field reads.
    pub fn validate(&self) -> Result<()> {
        self.validate_named(&|key| key.to_string())
    }

    /// [`TrainRequest::validate`], naming options as the caller spells them (`name` turns a
    /// field's name into the caller's: the browser's are camelCase).
    pub fn validate_named(&self, name: &dyn Fn(&str) -> String) -> Result<()> {
        if let Some(key) = self.unknown.keys().next() {
            let known: Vec<String> = [
                "format",
                "text_column",
                "label_column",
                "text_pair_column",
                "task",
                "first_column",
                "second_column",
                "negative_column",
                "score_column",
                "base_model",
            ]
            .into_iter()
            .map(String::from)
            .chain(settings_keys())
            .map(|k| name(&k))
            .collect();
            return Err(Error::Invalid(format!(
                "unknown training option \"{}\" (known: {})",
                name(key),
                known.join(", ")
            )));
        }
        self.settings.validate()
    }

    /// Parses the training file (and the validation file, whose labels must be the training
    /// file's), then holds out validation data and resolves `auto` ([`crate::train::prepare`]).
    /// `fixed_labels`: the labels of a model whose training continues.
    pub fn prepare(
        &self,
        train: DataFile<'_>,
        valid: Option<DataFile<'_>>,
        fixed_labels: Option<&LabelSet>,
    ) -> Result<PreparedJob> {
        self.validate()?;
        let mut settings = self.settings.clone();
        if valid.is_some() {
            // Nothing of the training file is held out when validation data is given.
            settings.valid_fraction = 0.0;
        }
        let parsed = self.data.parse(train.bytes, train.name)?;
        let file = FileSummary {
            name: parsed.file_name.clone(),
            rows: parsed.examples.len(),
            format: parsed.format,
            text_column: parsed.text_column.clone(),
            label_column: parsed.label_column.clone(),
            pair_column: parsed.pair_column.clone(),
            task: parsed.task,
        };
        let valid_options = self.data.like(
            parsed.task,
            parsed.pair_column.as_deref(),
            &parsed.label_column,
        );
        match settings.mode {
            Mode::Classify => {}
            Mode::Fewshot if parsed.task != Task::Single => {
                return Err(Error::Invalid(format!(
                    "few-shot training makes single-label classifiers; this data is {} (choose the classify mode)",
                    describe_task(parsed.task)
                )));
            }
            Mode::Fewshot if parsed.pair_column.is_some() => {
                return Err(Error::Invalid(format!(
                    "few-shot training reads single texts; this data is sentence pairs (column \"{}\" is the second text): choose the classify mode, or no second text",
                    parsed.pair_column.as_deref().unwrap_or_default()
                )));
            }
            Mode::Fewshot => fewshot_classes(&parsed)?,
            Mode::Embedding => {
                return Err(Error::Invalid(
                    "embedding mode reads pair files: prepare them with TrainRequest::prepare_pairs"
                        .into(),
                ));
            }
        }
        let columns = DataColumns {
            text_column: parsed.text_column.clone(),
            text_pair_column: parsed.pair_column.clone(),
            label_column: parsed.label_column.clone(),
        };
        let full = parsed.into_dataset(fixed_labels)?;
        let valid_set = match valid {
            Some(v) => Some(
                valid_options
                    .with_columns_of(&columns, v.bytes, v.name)
                    .parse(v.bytes, v.name)?
                    .into_dataset_with(&full.label_set)?,
            ),
            None => None,
        };
        let prepared = crate::train::prepare(full, valid_set, &settings);
        let identity = RunIdentity {
            settings: serde_json::to_value(&self.settings).unwrap_or(Value::Null),
            base_model: self.base_model.clone(),
            files: std::iter::once(&train)
                .chain(valid.as_ref())
                .map(|f| Fingerprint::of(f.name, f.bytes))
                .collect(),
        };
        Ok(PreparedJob {
            identity,
            train: prepared.train,
            valid: prepared.valid,
            config: prepared.config,
            file,
            valid_file: valid.map(|v| v.name.to_string()),
            base_model: self.base_model.clone(),
        })
    }
}

/// A pair file parsed and split for an embedding run.
#[derive(Debug, Clone)]
pub struct PreparedPairs {
    pub train: PairSet,
    /// The validation pairs: the validation file's, or held out of the training file.
    pub valid: Option<PairSet>,
    pub config: TrainConfig,
    pub file: String,
    pub valid_file: Option<String>,
    pub base_model: Option<String>,
}

impl TrainRequest {
    /// Parses the pair files of an embedding run (every problem with its line; a score outside
    /// the declared range too) and holds out validation pairs when no validation file is given.
    pub fn prepare_pairs(
        &self,
        train: DataFile<'_>,
        valid: Option<DataFile<'_>>,
    ) -> Result<PreparedPairs> {
        self.validate()?;
        let mut config = self.settings.clone();
        if config.mode != Mode::Embedding {
            return Err(Error::Invalid(format!(
                "pair files train embedding models: the request's mode is {}",
                config.mode
            )));
        }
        let set = self.data.parse_pairs(train.bytes, train.name)?;
        let range = set.score_range(config.score_range)?;
        let valid_set = valid
            .map(|v| self.data.parse_pairs(v.bytes, v.name))
            .transpose()?;
        if let Some(v) = &valid_set {
            v.score_range(Some(range))?;
        }
        let (train_set, valid_set, note) = crate::train::embedding::split_pairs(
            set,
            valid_set,
            config.valid_fraction,
            config.seed,
        );
        config.notes.extend(note);
        Ok(PreparedPairs {
            train: train_set,
            valid: valid_set,
            config,
            file: train.name.to_string(),
            valid_file: valid.map(|v| v.name.to_string()),
            base_model: self.base_model.clone(),
        })
    }
}

/// How an embedding model was made: written to `webtune.json` and shown by the page.
#[derive(Debug, Clone, Serialize)]
pub struct EmbeddingRecord {
    pub mode: Mode,
    pub strategy: String,
    /// The loss in effect (`auto` resolved): `mnrl`, `mnrl-symmetric`, `cosent` or `cosine`.
    pub loss: String,
    pub config: TrainConfig,
    pub plan: Plan,
    pub base_model: Option<String>,
    pub data: String,
    pub valid_data: Option<String>,
    pub train_pairs: usize,
    pub valid_pairs: usize,
    /// The validation pairs scored by the base model, and by the model kept.
    pub before: Option<SimilarityMetrics>,
    pub after: Option<SimilarityMetrics>,
    pub best_epoch: Option<usize>,
    pub epochs: Vec<EpochReport>,
    pub cancelled: bool,
}

/// A finished embedding run: the tuned model (the base engine with the tuned encoder), whether
/// its export ends in `Normalize`, the loop's outcome and the record.
pub struct TrainedEmbedding {
    pub engine: Engine,
    pub normalize: bool,
    pub outcome: EmbeddingOutcome,
    pub record: EmbeddingRecord,
}

/// Runs an embedding job.
pub async fn run_embedding(
    engine: &Engine,
    job: &PreparedPairs,
    host: &mut dyn TrainHost,
) -> Result<TrainedEmbedding> {
    let engine = &*at_max_len(engine, job.config.max_len)?;
    let outcome = crate::train::embedding::train_embedding(
        engine,
        &job.train,
        job.valid.as_ref(),
        &job.config,
        host,
    )
    .await?;
    let mut tuned = engine.clone();
    tuned.encoder = outcome.encoder.clone();
    let record = EmbeddingRecord {
        mode: Mode::Embedding,
        strategy: outcome.config.strategy.to_string(),
        loss: outcome.loss.to_string(),
        config: outcome.config.clone(),
        plan: outcome.plan.clone(),
        base_model: job.base_model.clone(),
        data: base_name(&job.file),
        valid_data: job.valid_file.as_deref().map(base_name),
        train_pairs: outcome.train_pairs,
        valid_pairs: outcome.valid_pairs,
        before: outcome.before.clone(),
        after: outcome
            .best_epoch
            .and_then(|e| outcome.epochs.get(e - 1))
            .and_then(|e| e.similarity.clone()),
        best_epoch: outcome.best_epoch,
        epochs: outcome.epochs.clone(),
        cancelled: outcome.cancelled,
    };
    Ok(TrainedEmbedding {
        engine: tuned,
        normalize: job.config.normalize,
        outcome,
        record,
    })
}

/// A task in words, for messages.
pub fn describe_task(task: Task) -> &'static str {
    match task {
        Task::Single => "single-label classification",
        Task::Multi => "multi-label classification",
        Task::Regression => "regression",
    }
}

/// Few-shot training needs two examples in every class (one example has no partner for a
/// same-class pair, and nothing to say where its class lies): a class of one is a problem at its
/// line.
fn fewshot_classes(parsed: &ParsedFile) -> Result<()> {
    let mut count: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for e in &parsed.examples {
        count.entry(e.label.as_str()).or_insert((0, e.line)).0 += 1;
    }
    let problems: Vec<Problem> = count
        .iter()
        .filter(|(_, (n, _))| *n < 2)
        .map(|(label, (_, line))| Problem {
            line: *line,
            message: format!(
                "class \"{label}\" has only this example: few-shot training needs at least two a class (add one, or remove the class)"
            ),
        })
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::from(data::DataError {
        file: parsed.file_name.clone(),
        more: 0,
        problems,
    }))
}

/// The names of the training settings, as the error for an unknown key lists them.
fn settings_keys() -> Vec<String> {
    match serde_json::to_value(TrainConfig::default()) {
        Ok(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// How a model was made: written to `webtune.json` by the export and shown by the page. The
/// same fields whichever front end trained it.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingRecord {
    /// The strategy in effect (`auto` resolved).
    pub strategy: String,
    /// Every setting in effect, with the reasons for the automatic choices in `notes`.
    pub config: TrainConfig,
    pub plan: Plan,
    /// For `logreg`: what cross-validation found.
    pub cross_validation: Option<CvReport>,
    pub base_model: Option<String>,
    /// The training file's name (never its folder: the record travels with the model).
    pub data: String,
    /// The columns it was read by.
    pub columns: DataColumns,
    pub valid_data: Option<String>,
    pub train_examples: usize,
    pub valid_examples: usize,
    /// The epoch whose model was kept, and its validation metrics.
    pub best_epoch: Option<usize>,
    pub valid_metrics: Option<Metrics>,
    /// Every epoch's report.
    pub epochs: Vec<EpochReport>,
    /// Stopped by the user (the best model so far was kept).
    pub cancelled: bool,
    /// Stopped by early stopping (patience).
    pub stopped_early: bool,
    /// What a training step cost the GPU; absent on the CPU backend.
    pub step_cost: Option<StepCost>,
    /// The search's trials, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<Vec<Trial>>,
}

impl TrainingRecord {
    /// As JSON, for the export.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The base model truncating texts at `max_len` tokens (at most the model's positions), so that
/// training, prediction and the export all use the request's limit whichever length the front end
/// loaded the model with (the CLI loads it at `--max-len`, the page once at the default).
fn at_max_len(engine: &Engine, max_len: usize) -> Result<Cow<'_, Engine>> {
    let max_len = max_len.min(engine.config.max_position_embeddings);
    if max_len == engine.tokenizer.max_len() {
        return Ok(Cow::Borrowed(engine));
    }
    let mut e = engine.clone();
    e.tokenizer = engine.tokenizer.with_max_len(max_len)?;
    Ok(Cow::Owned(e))
}

/// A path's last part: the record names files, never the folders they were in.
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or(name).to_string()
}

/// A finished job: the classifier (the best model), the training loop's outcome and the record.
pub struct Trained {
    pub classifier: Classifier,
    pub outcome: TrainOutcome,
    pub record: TrainingRecord,
}

/// The largest checkpoint a run keeps unless its front end says otherwise: `full` training of
/// all-MiniLM-L6-v2 takes about 275 MB (the weights and AdamW's two moments), 365 MB while the
/// best epoch is an earlier one; a larger one is skipped with a message and training goes on.
pub const DEFAULT_CHECKPOINT_LIMIT: u64 = 512 << 20;

/// Where a front end keeps a run's newest checkpoint (a file, IndexedDB).
pub trait CheckpointStore {
    /// Replaces the kept checkpoint with these bytes (`meta`: what they hold, for a listing).
    fn save(&mut self, bytes: &[u8], meta: &CheckpointMeta) -> Result<()>;
    /// Where the checkpoints go, for messages ("checkpoints/run.safetensors", "this browser").
    fn place(&self) -> String;
}

/// A run's checkpoints: where to keep them, the largest to keep, and the one to continue from.
pub struct Checkpoints<'a> {
    pub store: &'a mut dyn CheckpointStore,
    pub limit_bytes: u64,
    /// A checkpoint file's bytes and its name for messages: the run continues after its epoch.
    pub resume: Option<(&'a [u8], &'a str)>,
}

impl PreparedJob {
    /// Reads a checkpoint and checks that it belongs to this job: the same training (and
    /// validation) file, the same settings and base model. A mismatch is refused with what
    /// differs: continuing on other data or settings would not be the run it claims to be.
    pub fn checkpoint_for_this_run(&self, bytes: &[u8], name: &str) -> Result<Checkpoint> {
        let checkpoint = Checkpoint::from_bytes(bytes, name)?;
        let Some(saved) = &checkpoint.meta.identity else {
            return Err(Error::Invalid(format!(
                "{name} does not say which run it belongs to: start the run again"
            )));
        };
        check_identity(saved, &self.identity, name)?;
        Ok(checkpoint)
    }
}

/// What differs between the run a checkpoint was made for and this one, as an error.
fn check_identity(saved: &RunIdentity, now: &RunIdentity, name: &str) -> Result<()> {
    let describe = |f: &Fingerprint| {
        format!(
            "{} ({} bytes, SHA-256 {}…)",
            f.name,
            f.bytes,
            &f.sha256[..f.sha256.len().min(12)]
        )
    };
    for (i, what) in ["training file", "validation file"].iter().enumerate() {
        let (a, b) = (saved.files.get(i), now.files.get(i));
        if a.map(|f| (&f.bytes, &f.sha256)) != b.map(|f| (&f.bytes, &f.sha256)) {
            return Err(Error::Invalid(format!(
                "{name} was made for another {what}: it was trained on {}, this run's is {}. Give the same file to continue, or start again",
                a.map_or("none".into(), describe),
                b.map_or("none".into(), describe)
            )));
        }
    }
    if saved.base_model != now.base_model {
        return Err(Error::Invalid(format!(
            "{name} was made from the base model {}, this run's is {}",
            saved.base_model.as_deref().unwrap_or("(unnamed)"),
            now.base_model.as_deref().unwrap_or("(unnamed)")
        )));
    }
    if saved.settings != now.settings {
        let (Value::Object(a), Value::Object(b)) = (&saved.settings, &now.settings) else {
            return Err(Error::Invalid(format!(
                "{name} was made with other settings"
            )));
        };
        let differ: Vec<String> = a
            .keys()
            .chain(b.keys())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|k| a.get(*k) != b.get(*k))
            .map(|k| {
                let show = |v: Option<&Value>| v.map_or("unset".into(), Value::to_string);
                format!("{k} {} then, {} now", show(a.get(k)), show(b.get(k)))
            })
            .collect();
        return Err(Error::Invalid(format!(
            "{name} was made with other settings ({}): continue with the same ones, or start again",
            differ.join("; ")
        )));
    }
    Ok(())
}

/// The front end's host with checkpoints: stamps each with the run's identity, keeps it in the
/// store unless it is over the limit, and hands over the checkpoint to continue from.
struct WithCheckpoints<'a, 'b> {
    inner: &'a mut dyn TrainHost,
    store: &'a mut dyn CheckpointStore,
    limit_bytes: u64,
    identity: &'b RunIdentity,
    resume: Option<Checkpoint>,
}

impl TrainHost for WithCheckpoints<'_, '_> {
    fn progress(&mut self, event: &Progress) {
        self.inner.progress(event)
    }
    fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }
    fn past_deadline(&self) -> bool {
        self.inner.past_deadline()
    }
    fn yield_now(&self) -> Yield {
        self.inner.yield_now()
    }
    fn cache_limit(&self) -> u64 {
        self.inner.cache_limit()
    }
    fn wants_checkpoints(&self) -> bool {
        true
    }
    fn take_resume(&mut self) -> Option<Checkpoint> {
        self.resume.take()
    }
    fn checkpoint(&mut self, mut checkpoint: Checkpoint) -> Progress {
        let epoch = checkpoint.meta.epochs_done;
        let size = checkpoint.tensor_bytes();
        let skipped = |bytes: u64, why: String| Progress::Checkpoint {
            epoch,
            bytes,
            skipped: Some(why),
        };
        if size > self.limit_bytes {
            return skipped(
                size,
                format!(
                    "the checkpoint would take {:.0} MB, over the limit of {:.0} MB: not kept (training goes on)",
                    size as f64 / 1e6,
                    self.limit_bytes as f64 / 1e6
                ),
            );
        }
        checkpoint.meta.identity = Some(self.identity.clone());
        let bytes = match checkpoint.to_bytes() {
            Ok(b) => b,
            Err(e) => return skipped(size, e.to_string()),
        };
        match self.store.save(&bytes, &checkpoint.meta) {
            Ok(()) => Progress::Checkpoint {
                epoch,
                bytes: bytes.len() as u64,
                skipped: None,
            },
            Err(e) => skipped(
                bytes.len() as u64,
                format!(
                    "could not keep it in {}: {e} (training goes on)",
                    self.store.place()
                ),
            ),
        }
    }
}

/// Trains on a prepared job (one run, or the search when the settings ask for it) and records
/// how. `head`: the head of a model whose training continues.
pub async fn run(
    engine: &Engine,
    head: Option<Head>,
    job: &PreparedJob,
    host: &mut dyn TrainHost,
) -> Result<Trained> {
    run_with_checkpoints(engine, head, job, host, None).await
}

/// [`run`], keeping a checkpoint after every epoch but the last and continuing from one when
/// asked (`checkpoints.resume`, checked against this job first). Checkpoints are made by
/// classify runs without the search (a few-shot run is one short epoch).
pub async fn run_with_checkpoints(
    engine: &Engine,
    head: Option<Head>,
    job: &PreparedJob,
    host: &mut dyn TrainHost,
    checkpoints: Option<Checkpoints<'_>>,
) -> Result<Trained> {
    let engine = &*at_max_len(engine, job.config.max_len)?;
    let mut with_checkpoints;
    let host: &mut dyn TrainHost = match checkpoints {
        None => host,
        Some(c) => {
            if job.config.mode != Mode::Classify || job.config.search {
                return Err(Error::Invalid(format!(
                    "checkpoints are kept by classify runs without the search; this is {} mode{}",
                    job.config.mode,
                    if job.config.search {
                        " with the search"
                    } else {
                        ""
                    }
                )));
            }
            let resume = c
                .resume
                .map(|(bytes, name)| job.checkpoint_for_this_run(bytes, name))
                .transpose()?;
            with_checkpoints = WithCheckpoints {
                inner: host,
                store: c.store,
                limit_bytes: c.limit_bytes,
                identity: &job.identity,
                resume,
            };
            &mut with_checkpoints
        }
    };
    let (outcome, trials) =
        crate::train::fit(engine, head, &job.train, &job.valid, &job.config, host).await?;
    let mut config = outcome.config.clone();
    config.max_len = engine.tokenizer.max_len();
    let record = TrainingRecord {
        strategy: outcome.config.strategy.to_string(),
        config,
        plan: outcome.plan.clone(),
        cross_validation: outcome.cross_validation.clone(),
        base_model: job.base_model.clone(),
        data: base_name(&job.file.name),
        columns: DataColumns {
            text_column: job.file.text_column.clone(),
            text_pair_column: job.file.pair_column.clone(),
            label_column: job.file.label_column.clone(),
        },
        valid_data: job.valid_file.as_deref().map(base_name),
        train_examples: job.train.len(),
        valid_examples: job.valid.len(),
        best_epoch: outcome.best_epoch,
        valid_metrics: outcome
            .best_epoch
            .and_then(|e| outcome.epochs.get(e - 1))
            .and_then(|e| e.valid.clone()),
        epochs: outcome.epochs.clone(),
        cancelled: outcome.cancelled,
        stopped_early: outcome.stopped_early,
        step_cost: outcome.step_cost.clone(),
        search: trials,
    };
    let classifier = Classifier::from_training(engine, &outcome);
    Ok(Trained {
        classifier,
        outcome,
        record,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Strategy;

    #[test]
    fn a_request_reads_flat_json_with_the_strategy_as_a_string() {
        let r: TrainRequest = serde_json::from_str(
            r#"{"text_column": "review", "strategy": "lora8-last2", "epochs": 3,
                "batch_size": 8, "base_model": "all-MiniLM-L6-v2"}"#,
        )
        .unwrap();
        r.validate().unwrap();
        assert_eq!(r.data.text_column.as_deref(), Some("review"));
        assert_eq!(
            r.settings.strategy,
            "lora8-last2".parse::<Strategy>().unwrap()
        );
        assert_eq!(r.settings.epochs, Some(3));
        assert_eq!(r.settings.batch_size, 8);
        assert_eq!(r.settings.seed, TrainConfig::default().seed);
        assert_eq!(r.base_model.as_deref(), Some("all-MiniLM-L6-v2"));
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_by_name() {
        let r: TrainRequest = serde_json::from_str(r#"{"batchsize": 8}"#).unwrap();
        let e = r.validate().unwrap_err().to_string();
        assert!(e.contains("unknown training option \"batchsize\""), "{e}");
        assert!(e.contains("batch_size"), "the known names are listed: {e}");
        let e = r
            .validate_named(&crate::case::camel)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("batchSize") && !e.contains("batch_size"),
            "in the caller's spelling: {e}"
        );
        let e = serde_json::from_str::<TrainRequest>(r#"{"strategy": "last0"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown strategy \"last0\""), "{e}");
        let r: TrainRequest = serde_json::from_str(r#"{"format": "xlsx"}"#).unwrap();
        let e = r.prepare(
            DataFile {
                name: "a.csv",
                bytes: b"x",
            },
            None,
            None,
        );
        assert!(matches!(e, Err(Error::Invalid(_))), "{e:?}");
    }

    #[test]
    fn a_dataset_problem_is_a_dataset_error_naming_file_and_line() {
        let r = TrainRequest::default();
        let csv = b"text,label\ngood film,pos\n,neg\nbad film,neg\n";
        let e = r
            .prepare(
                DataFile {
                    name: "reviews.csv",
                    bytes: csv,
                },
                None,
                None,
            )
            .expect_err("an empty text is a problem");
        assert_eq!(e.kind(), "dataset");
        let m = e.to_string();
        assert!(m.contains("reviews.csv") && m.contains("line 3"), "{m}");
    }
}
