//! Labelled text datasets from bytes (the browser has no paths): CSV, TSV, JSONL and plain
//! `label<TAB>text` files.
//!
//! Every problem is collected with its line number and reason — never only the first, never a
//! panic — so a user can fix a file in one pass. Labels stay strings; the label set is kept in a
//! stable order (numeric when every label is a number, else lexicographic), independent of row
//! order, so a train file and a validation file agree on class indices.

pub mod columns;
pub mod format;
pub mod labels;
pub mod pairs;
pub mod parse;
pub mod split;
pub mod task;

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

pub use format::Format;
pub use labels::LabelSet;
pub use parse::{ParseOptions, ParsedFile, parse};
pub use split::{multi_label_split, random_split, stratified_split};
pub use task::Task;

/// Largest file accepted. Bigger files are refused up front with a message, instead of
/// exhausting a browser tab's memory.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// Longest text accepted in one field. The model reads only a text's first `max_len` tokens (a
/// few KB); a field of megabytes is nearly always a broken file (in a CSV, a quote that is never
/// closed makes the rest of the file one field), and tokenising it would stall a tab.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// Most classes a classifier may have. A label column with more distinct values is nearly
/// always not a label column (an id or a text), and a head of millions of outputs, with its
/// optimiser state, would not fit a tab.
pub const MAX_CLASSES: usize = 10_000;

/// `text` for a message: at most 60 characters.
pub(crate) fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// The problem with a text longer than [`MAX_TEXT_BYTES`], if it is; `column` names where it is.
pub(crate) fn text_size_problem(text: &str, column: &str) -> Option<String> {
    (text.len() > MAX_TEXT_BYTES).then(|| {
        format!(
            "the text (column \"{column}\") is {:.1} MB; one text may be at most {} MB, and the model \
             reads only its first few hundred tokens (in a CSV file, a quote that is never closed \
             makes the rest of the file one field)",
            text.len() as f64 / 1e6,
            MAX_TEXT_BYTES / (1024 * 1024)
        )
    })
}

/// One problem in a file. `line` is 1-based; 0 means the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

/// All problems found in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataError {
    pub file: String,
    pub problems: Vec<Problem>,
    /// Problems beyond those kept in `problems` (a broken file can have thousands).
    pub more: usize,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.problems.len() + self.more;
        write!(
            f,
            "{}: {total} problem{}",
            self.file,
            if total == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        if self.more > 0 {
            write!(f, "\n  ... and {} more", self.more)?;
        }
        Ok(())
    }
}

impl std::error::Error for DataError {}

/// A text example (or a pair of texts) with its label as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    pub text: String,
    /// The second text of a sentence pair (`[CLS] text [SEP] pair [SEP]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair: Option<String>,
    /// The label cell: a class, a list of labels (see [`task::split_labels`]) or a number.
    pub label: String,
    /// Line where the record starts (1-based).
    pub line: usize,
}

/// What each example of a [`Dataset`] is to predict, beside its texts.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// One class an example: [`Dataset::labels`].
    Classes,
    /// Any number of labels an example: indices into the label set, ascending.
    Multi(Vec<Vec<usize>>),
    /// A number an example.
    Scores(Vec<f32>),
}

/// Examples with their targets: class indices into a [`LabelSet`] (single-label), label lists
/// (multi-label) or numbers (regression); texts or pairs of texts.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub texts: Vec<String>,
    /// The second texts, when the examples are sentence pairs.
    pub pairs: Option<Vec<String>>,
    /// Single-label: each example's class. Empty for the other tasks (see `targets`).
    pub labels: Vec<usize>,
    /// The classes or labels; for regression, one name: the column predicted.
    pub label_set: LabelSet,
    pub targets: Targets,
}

impl Dataset {
    /// `examples`' texts (and second texts, when they are pairs) with their targets: what every
    /// constructor returns once the labels are read.
    fn of(examples: &[Example], labels: Vec<usize>, label_set: LabelSet, targets: Targets) -> Self {
        let pairs = examples.first().is_some_and(|e| e.pair.is_some()).then(|| {
            examples
                .iter()
                .map(|e| e.pair.clone().unwrap_or_default())
                .collect()
        });
        Dataset {
            texts: examples.iter().map(|e| e.text.clone()).collect(),
            pairs,
            labels,
            label_set,
            targets,
        }
    }

    /// A multi-label dataset: each example's cell read as a label list
    /// ([`task::split_labels`]), indexed with `label_set`; an unreadable list or a label outside
    /// the set is a problem naming the line.
    pub fn multi(examples: &[Example], label_set: LabelSet, file: &str) -> Result<Self, DataError> {
        let index: HashMap<&str, usize> = label_set
            .names()
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut problems = Vec::new();
        let mut lists = Vec::with_capacity(examples.len());
        for e in examples {
            match task::split_labels(&e.label) {
                Err(message) => problems.push(Problem {
                    line: e.line,
                    message,
                }),
                Ok(names) => {
                    let mut list = Vec::with_capacity(names.len());
                    for name in names {
                        match index.get(name.as_str()) {
                            Some(&i) => list.push(i),
                            None => problems.push(Problem {
                                line: e.line,
                                message: format!(
                                    "label '{}' is not one of the training labels ({})",
                                    shorten(&name),
                                    label_set.listing()
                                ),
                            }),
                        }
                    }
                    list.sort_unstable();
                    lists.push(list);
                }
            }
        }
        if !problems.is_empty() {
            return Err(collect_problems(file, problems));
        }
        Ok(Self::of(
            examples,
            Vec::new(),
            label_set,
            Targets::Multi(lists),
        ))
    }

    /// A regression dataset: each example's cell read as a number; `name` names the output (the
    /// label column's name). A cell that is not a finite number is a problem naming the line.
    pub fn regression(examples: &[Example], name: &str, file: &str) -> Result<Self, DataError> {
        let mut problems = Vec::new();
        let mut scores = Vec::with_capacity(examples.len());
        for e in examples {
            match task::parse_score(&e.label) {
                Ok(v) => scores.push(v),
                Err(why) => problems.push(Problem {
                    line: e.line,
                    message: format!("{why} (column \"{name}\" holds the numbers to predict)"),
                }),
            }
        }
        if !problems.is_empty() {
            return Err(collect_problems(file, problems));
        }
        Ok(Self::of(
            examples,
            Vec::new(),
            LabelSet::from_names(vec![name.to_string()]),
            Targets::Scores(scores),
        ))
    }

    /// Indexes `examples` with `label_set`; a label outside it is a problem naming the line.
    pub fn new(examples: &[Example], label_set: LabelSet, file: &str) -> Result<Self, DataError> {
        let mut problems = Vec::new();
        let mut labels = Vec::with_capacity(examples.len());
        let index: HashMap<&str, usize> = label_set
            .names()
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let listing = label_set.listing();
        for e in examples {
            match index.get(e.label.as_str()) {
                Some(&i) => labels.push(i),
                None => problems.push(Problem {
                    line: e.line,
                    message: format!(
                        "label '{}' is not one of the training labels ({})",
                        shorten(&e.label),
                        listing
                    ),
                }),
            }
        }
        if problems.is_empty() {
            Ok(Self::of(examples, labels, label_set, Targets::Classes))
        } else {
            Err(collect_problems(file, problems))
        }
    }

    pub fn len(&self) -> usize {
        self.texts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    pub fn task(&self) -> Task {
        match self.targets {
            Targets::Classes => Task::Single,
            Targets::Multi(_) => Task::Multi,
            Targets::Scores(_) => Task::Regression,
        }
    }

    /// Outputs the model needs: a logit a class or label, one number for regression.
    pub fn outputs(&self) -> usize {
        match self.targets {
            Targets::Scores(_) => 1,
            _ => self.label_set.len(),
        }
    }

    /// Examples per class, in label order (multi-label: the examples that have each label;
    /// regression: all of them).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.label_set.len()];
        match &self.targets {
            Targets::Classes => {
                for &l in &self.labels {
                    counts[l] += 1;
                }
            }
            Targets::Multi(lists) => {
                for &l in lists.iter().flatten() {
                    counts[l] += 1;
                }
            }
            Targets::Scores(scores) => counts = vec![scores.len()],
        }
        counts
    }

    /// The examples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let pick = |v: &Vec<String>| indices.iter().map(|&i| v[i].clone()).collect();
        Dataset {
            texts: pick(&self.texts),
            pairs: self.pairs.as_ref().map(pick),
            labels: if self.labels.is_empty() {
                Vec::new()
            } else {
                indices.iter().map(|&i| self.labels[i]).collect()
            },
            label_set: self.label_set.clone(),
            targets: match &self.targets {
                Targets::Classes => Targets::Classes,
                Targets::Multi(l) => {
                    Targets::Multi(indices.iter().map(|&i| l[i].clone()).collect())
                }
                Targets::Scores(s) => Targets::Scores(indices.iter().map(|&i| s[i]).collect()),
            },
        }
    }

    /// Tokenises every example: its text, or its pair of texts as one input.
    pub fn encode(
        &self,
        tokenizer: &crate::tokenize::TextTokenizer,
    ) -> crate::Result<Vec<crate::tokenize::Encoded>> {
        match &self.pairs {
            None => tokenizer.encode_all(&self.texts),
            Some(pairs) => tokenizer.encode_all_pairs(&self.texts, pairs),
        }
    }
}

/// How many problems a [`DataError`] keeps verbatim.
pub const MAX_PROBLEMS_KEPT: usize = 200;

pub(crate) fn collect_problems(file: &str, mut problems: Vec<Problem>) -> DataError {
    problems.sort_by_key(|p| p.line);
    let more = problems.len().saturating_sub(MAX_PROBLEMS_KEPT);
    problems.truncate(MAX_PROBLEMS_KEPT);
    DataError {
        file: file.to_string(),
        problems,
        more,
    }
}
