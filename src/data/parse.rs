//! Parsing a dataset file into examples, collecting every problem with its line.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::columns::{choose, looks_like_header};
use super::format::{Format, decode};
use super::{
    DataError, Dataset, Example, LabelSet, MAX_CLASSES, Problem, collect_problems,
    text_size_problem,
};

/// How to read a file. Everything is optional: the format comes from the file name or the
/// content, the columns from the header or the values.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Used in messages and to pick the format by extension.
    pub file_name: String,
    pub format: Option<Format>,
    /// Header name or 1-based column number.
    pub text_column: Option<String>,
    pub label_column: Option<String>,
}

/// What was read: the examples, how the file was understood, and its problems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedFile {
    pub file_name: String,
    pub format: Format,
    pub has_header: bool,
    /// Header names, or "1", "2", ... without a header (JSONL: the keys).
    pub columns: Vec<String>,
    pub text_column: String,
    pub label_column: String,
    pub examples: Vec<Example>,
    /// The first rows as read (for a preview), before any checks.
    pub preview: Vec<Vec<String>>,
    pub problems: Vec<Problem>,
}

const PREVIEW_ROWS: usize = 8;
/// Most cells a JSONL file's rows may hold in all (rows × distinct keys): a 32 MB file of a
/// million rows with eight keys each fits; objects that each bring new keys do not.
const MAX_CELLS: usize = 8 << 20;
/// Rows looked at to infer columns when the header does not say.
const SAMPLE_ROWS: usize = 200;

/// Raw rows with the line each starts on.
pub(crate) struct Table {
    pub(crate) rows: Vec<(usize, Vec<String>)>,
    pub(crate) problems: Vec<Problem>,
}

/// A file whose first row (CSV/TSV) or keys (JSONL) name its columns, read as rows: the reader
/// of files whose columns say what they hold (pairs of texts, scored pairs).
pub(crate) fn read_named_columns(text: &str, format: Format) -> (Vec<String>, Table) {
    match format {
        Format::Jsonl => read_jsonl(text),
        Format::Csv | Format::Tsv | Format::Txt => {
            let delimiter = if format == Format::Csv { b',' } else { b'\t' };
            let mut table = read_delimited(text, delimiter);
            let header = if table.rows.is_empty() {
                Vec::new()
            } else {
                table.rows.remove(0).1
            };
            (header.iter().map(|c| c.trim().to_string()).collect(), table)
        }
    }
}

fn read_delimited(text: &str, delimiter: u8) -> Table {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        // TSV files (GLUE and most exports) do not quote: a stray `"` is part of the text.
        .quoting(delimiter == b',')
        .from_reader(text.as_bytes());
    let mut table = Table {
        rows: Vec::new(),
        problems: Vec::new(),
    };
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text.as_bytes());
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record
                    .position()
                    .map(|p| lines.line_at(p.byte() as usize))
                    .unwrap_or(0);
                let cells: Vec<String> = record.iter().map(str::to_string).collect();
                if cells.iter().all(|c| c.trim().is_empty()) {
                    continue; // blank line
                }
                table.rows.push((line, cells));
            }
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| lines.line_at(p.byte() as usize))
                    .unwrap_or(0);
                table.problems.push(Problem {
                    line,
                    message: format!("unreadable row: {e}"),
                });
                if !matches!(
                    e.kind(),
                    csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }
                ) {
                    break;
                }
            }
        }
    }
    table
}

/// Line numbers from byte offsets. The csv crate's own line count is off by one after CRLF
/// line ends (it counts the `\n` of a record's terminator into the next record), so lines are
/// counted here from the record's first byte, skipping a terminator left before it.
struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            pos: 0,
            line: 1,
        }
    }

    /// 1-based line of the first byte at or after `byte` that is not a line terminator.
    /// Offsets must not decrease between calls (records come in order).
    fn line_at(&mut self, mut byte: usize) -> usize {
        while byte < self.bytes.len() && matches!(self.bytes[byte], b'\r' | b'\n') {
            byte += 1;
        }
        let end = byte.min(self.bytes.len());
        if end >= self.pos {
            self.line += self.bytes[self.pos..end]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.pos = end;
        }
        self.line
    }
}

/// The non-blank lines of a line-oriented file (TXT, JSONL) with their 1-based numbers, without
/// their `\r\n` or `\n` ends.
fn non_blank_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(i, raw)| (i + 1, raw.strip_suffix('\r').unwrap_or(raw)))
        .filter(|(_, line)| !line.trim().is_empty())
}

fn read_txt(text: &str) -> Table {
    let mut table = Table {
        rows: Vec::new(),
        problems: Vec::new(),
    };
    for (line_no, line) in non_blank_lines(text) {
        match line.split_once('\t') {
            Some((label, text)) => table
                .rows
                .push((line_no, vec![label.to_string(), text.to_string()])),
            None => table.problems.push(Problem {
                line: line_no,
                message: "expected \"label<TAB>text\" (no tab found)".into(),
            }),
        }
    }
    table
}

/// JSONL: the keys of all the objects, in the order they first appear, become the columns.
fn read_jsonl(text: &str) -> (Vec<String>, Table) {
    let mut keys: Vec<String> = Vec::new();
    let mut known: HashSet<String> = HashSet::new();
    let mut objects = Vec::new();
    let mut table = Table {
        rows: Vec::new(),
        problems: Vec::new(),
    };
    for (line_no, line) in non_blank_lines(text) {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(map)) => {
                for k in map.keys() {
                    if known.insert(k.clone()) {
                        keys.push(k.clone());
                    }
                }
                objects.push((line_no, map));
            }
            Ok(_) => table.problems.push(Problem {
                line: line_no,
                message: "not a JSON object".into(),
            }),
            Err(e) => table.problems.push(Problem {
                line: line_no,
                message: format!("invalid JSON: {e}"),
            }),
        }
    }
    // Every row gets a cell for every key: objects that share no keys would multiply.
    if keys.len().saturating_mul(objects.len()) > MAX_CELLS {
        table.problems.push(Problem {
            line: 0,
            message: format!(
                "{} objects with {} different keys between them: the objects of a dataset share their keys (at most {MAX_CELLS} cells in all)",
                objects.len(),
                keys.len()
            ),
        });
        return (Vec::new(), table);
    }
    for (line, map) in objects {
        let cells = keys
            .iter()
            .map(|k| match map.get(k) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        table.rows.push((line, cells));
    }
    (keys, table)
}

/// Reads `bytes` as a labelled dataset. Fails only when the file cannot be read at all (too
/// big, binary, not UTF-8, empty); row-level problems are collected in [`ParsedFile::problems`].
pub fn parse(bytes: &[u8], opts: &ParseOptions) -> Result<ParsedFile, DataError> {
    let file = if opts.file_name.is_empty() {
        "dataset".to_string()
    } else {
        opts.file_name.clone()
    };
    let text = decode(bytes).map_err(|p| collect_problems(&file, vec![p]))?;
    let format = opts
        .format
        .or_else(|| Format::from_file_name(&opts.file_name))
        .unwrap_or_else(|| Format::sniff(text));

    let (mut columns, mut table, mut has_header) = match format {
        Format::Csv | Format::Tsv => {
            let table = read_delimited(text, if format == Format::Csv { b',' } else { b'\t' });
            (Vec::new(), table, false)
        }
        Format::Txt => (
            vec!["label".to_string(), "text".to_string()],
            read_txt(text),
            false,
        ),
        Format::Jsonl => {
            let (keys, table) = read_jsonl(text);
            (keys, table, true)
        }
    };

    if matches!(format, Format::Csv | Format::Tsv) {
        let wanted = [opts.text_column.as_deref(), opts.label_column.as_deref()];
        match table.rows.first() {
            Some((_, first)) if looks_like_header(first, &wanted) => {
                has_header = true;
                columns = first.iter().map(|c| c.trim().to_string()).collect();
                table.rows.remove(0);
            }
            Some((_, first)) => columns = (1..=first.len()).map(|i| i.to_string()).collect(),
            None => {}
        }
        // Rows whose width differs from the header's (or the first row's).
        let width = columns.len();
        table.rows.retain(|(line, cells)| {
            if cells.len() == width {
                return true;
            }
            // A field of megabytes is the likelier story (an unclosed quote swallowed the rest).
            let message = cells
                .iter()
                .zip(columns.iter().chain(std::iter::repeat(&String::new())))
                .find_map(|(cell, name)| text_size_problem(cell, name))
                .unwrap_or_else(|| format!("expected {width} fields, found {}", cells.len()));
            table.problems.push(Problem {
                line: *line,
                message,
            });
            false
        });
    }

    let preview: Vec<Vec<String>> = table
        .rows
        .iter()
        .take(PREVIEW_ROWS)
        .map(|(_, c)| c.clone())
        .collect();
    let mut parsed = ParsedFile {
        file_name: file.clone(),
        format,
        has_header,
        columns: columns.clone(),
        text_column: String::new(),
        label_column: String::new(),
        examples: Vec::new(),
        preview,
        problems: table.problems,
    };
    if table.rows.is_empty() {
        parsed.problems.push(Problem {
            line: 0,
            message: "no data rows".into(),
        });
        return Ok(parsed);
    }

    let (text_col, label_col) = if format == Format::Txt {
        (1, 0)
    } else {
        let sample: Vec<Vec<String>> = table
            .rows
            .iter()
            .take(SAMPLE_ROWS)
            .map(|(_, c)| c.clone())
            .collect();
        match choose(
            &columns,
            &sample,
            opts.text_column.as_deref(),
            opts.label_column.as_deref(),
        ) {
            Ok(c) => c,
            Err(p) => {
                parsed.problems.push(p);
                return Ok(parsed);
            }
        }
    };
    parsed.text_column = columns[text_col].clone();
    parsed.label_column = columns[label_col].clone();

    let mut empty_labels = Vec::new();
    for (line, cells) in table.rows {
        let text = cells.get(text_col).map(String::as_str).unwrap_or("");
        let label = cells.get(label_col).map(|s| s.trim()).unwrap_or("");
        if text.trim().is_empty() {
            parsed.problems.push(Problem {
                line,
                message: format!("empty text (column \"{}\")", parsed.text_column),
            });
        } else if let Some(message) = text_size_problem(text, &parsed.text_column) {
            parsed.problems.push(Problem { line, message });
        } else if label.is_empty() {
            empty_labels.push(Problem {
                line,
                message: format!("empty label (column \"{}\")", parsed.label_column),
            });
        } else {
            parsed.examples.push(Example {
                text: text.to_string(),
                label: label.to_string(),
                line,
            });
        }
    }
    if parsed.examples.is_empty() && empty_labels.len() > 1 {
        // One message for the whole column, not one per row: the wrong column was chosen.
        parsed.problems.push(Problem {
            line: 0,
            message: format!(
                "the label column \"{}\" is empty in every row ({} rows): choose the column that holds the labels",
                parsed.label_column,
                empty_labels.len()
            ),
        });
    } else {
        parsed.problems.extend(empty_labels);
    }
    Ok(parsed)
}

impl ParsedFile {
    /// Examples per label, in label order.
    pub fn class_counts(&self) -> Vec<(String, usize)> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for e in &self.examples {
            *counts.entry(e.label.as_str()).or_default() += 1;
        }
        let set = LabelSet::discover(counts.keys().copied());
        set.names()
            .iter()
            .map(|n| (n.clone(), counts[n.as_str()]))
            .collect()
    }

    /// The problems a training set adds: more classes than a classifier may have, a class with a
    /// single example (it cannot be both learned and validated), and fewer than two classes.
    fn training_problems(&self) -> Vec<Problem> {
        let counts = self.class_counts();
        if counts.len() > MAX_CLASSES {
            // Not one problem per class: a column of ids or texts would list them all.
            return vec![Problem {
                line: 0,
                message: format!(
                    "the label column \"{}\" has {} different values in {} rows; a classifier may have at most {MAX_CLASSES} classes: is it the column that holds the labels?",
                    self.label_column,
                    counts.len(),
                    self.examples.len()
                ),
            }];
        }
        let mut first_line: HashMap<&str, usize> = HashMap::new();
        for e in &self.examples {
            first_line.entry(e.label.as_str()).or_insert(e.line);
        }
        let mut problems = Vec::new();
        for (label, n) in &counts {
            if *n == 1 {
                problems.push(Problem {
                    line: first_line[label.as_str()],
                    message: format!(
                        "label \"{label}\" appears only once; a class needs at least 2 examples"
                    ),
                });
            }
        }
        if counts.len() < 2 && !self.examples.is_empty() {
            problems.push(Problem {
                line: 0,
                message: match counts.first() {
                    Some((l, _)) => {
                        format!("only one class (\"{l}\"); a classifier needs at least 2")
                    }
                    None => "no classes".into(),
                },
            });
        }
        problems
    }

    /// All problems of this file as a training set, or `None` when it is usable.
    pub fn training_error(&self) -> Option<DataError> {
        let mut problems = self.problems.clone();
        problems.extend(self.training_problems());
        (!problems.is_empty()).then(|| collect_problems(&self.file_name, problems))
    }

    /// The training dataset, with its label set discovered from the data.
    pub fn into_training_set(self) -> Result<Dataset, DataError> {
        if let Some(e) = self.training_error() {
            return Err(e);
        }
        let labels = LabelSet::discover(self.examples.iter().map(|e| e.label.as_str()));
        Dataset::new(&self.examples, labels, &self.file_name)
    }

    /// A dataset with `labels` when given (continuing a model's training), else with the label
    /// set discovered from the data.
    pub fn into_dataset(self, labels: Option<&LabelSet>) -> Result<Dataset, DataError> {
        match labels {
            Some(labels) => self.into_dataset_with(labels),
            None => self.into_training_set(),
        }
    }

    /// A dataset using another file's label set (validation or evaluation data).
    pub fn into_dataset_with(self, labels: &LabelSet) -> Result<Dataset, DataError> {
        if !self.problems.is_empty() {
            return Err(collect_problems(&self.file_name, self.problems));
        }
        Dataset::new(&self.examples, labels.clone(), &self.file_name)
    }
}
