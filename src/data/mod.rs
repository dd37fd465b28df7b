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

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

pub use format::Format;
pub use labels::LabelSet;
pub use parse::{ParseOptions, ParsedFile, parse};
pub use split::stratified_split;

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

/// A text example with its label as written in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    pub text: String,
    pub label: String,
    /// Line where the record starts (1-based).
    pub line: usize,
}

/// Examples with class indices into a [`LabelSet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub texts: Vec<String>,
    pub labels: Vec<usize>,
    pub label_set: LabelSet,
}

impl Dataset {
    /// Indexes `examples` with `label_set`; a label outside it is a problem naming the line.
    pub fn new(examples: &[Example], label_set: LabelSet, file: &str) -> Result<Self, DataError> {
        let mut problems = Vec::new();
        let mut texts = Vec::with_capacity(examples.len());
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
                Some(&i) => {
                    texts.push(e.text.clone());
                    labels.push(i);
                }
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
            Ok(Dataset {
                texts,
                labels,
                label_set,
            })
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

    /// Examples per class, in label order.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.label_set.len()];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }

    /// The examples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        Dataset {
            texts: indices.iter().map(|&i| self.texts[i].clone()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            label_set: self.label_set.clone(),
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
