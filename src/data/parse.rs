//! Parsing a dataset file into examples, collecting every problem with its line.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::columns::{choose, choose_indicators, choose_pair, looks_like_header};
use super::format::{Format, decode};
use super::task::{self, Task};
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
    /// Header name or 1-based column number; for multi-label data given as one 0/1 column a
    /// label, their names separated by commas (`toxic,insult`).
    pub label_column: Option<String>,
    /// The column of a sentence pair's second text (else one named `sentence2`, `question2`,
    /// `hypothesis`, ...; an empty name: none).
    pub pair_column: Option<String>,
    /// The task; else detected from the label column ([`task::detect`]).
    pub task: Option<Task>,
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
    /// The label column's name (several, comma-separated, for 0/1 columns a label).
    pub label_column: String,
    /// The second text's column, for sentence pairs.
    pub pair_column: Option<String>,
    /// Multi-label data in one 0/1 column a label: those columns (else empty).
    pub indicator_columns: Vec<String>,
    /// The task, as chosen or detected.
    pub task: Task,
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
    /// JSONL: the cells that held a JSON object or array (`(line, column)` → which), written as
    /// JSON text. Where a text is expected that is a problem, not a string to learn from.
    pub(crate) structured: HashMap<(usize, usize), &'static str>,
}

impl Table {
    /// The problem of a cell that should hold a text (`name`: its column), if it held JSON
    /// structure.
    pub(crate) fn structure_problem(
        &self,
        line: usize,
        column: usize,
        name: &str,
    ) -> Option<Problem> {
        self.structured.get(&(line, column)).map(|what| Problem {
            line,
            message: format!(
                "a JSON {what} where a text is expected (key \"{name}\"): write the text as a string"
            ),
        })
    }
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
        structured: HashMap::new(),
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
        structured: HashMap::new(),
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
        structured: HashMap::new(),
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
            .enumerate()
            .map(|(column, k)| match map.get(k) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => {
                    match other {
                        serde_json::Value::Object(_) => {
                            table.structured.insert((line, column), "object");
                        }
                        serde_json::Value::Array(_) => {
                            table.structured.insert((line, column), "array");
                        }
                        _ => {}
                    }
                    other.to_string()
                }
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
        let wanted: Vec<Option<&str>> = [opts.text_column.as_deref(), opts.pair_column.as_deref()]
            .into_iter()
            .chain(
                opts.label_column
                    .iter()
                    .flat_map(|l| l.split(','))
                    .map(|l| Some(l.trim())),
            )
            .collect();
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
        pair_column: None,
        indicator_columns: Vec::new(),
        task: opts.task.unwrap_or_default(),
        examples: Vec::new(),
        preview,
        problems: std::mem::take(&mut table.problems),
    };
    if table.rows.is_empty() {
        parsed.problems.push(Problem {
            line: 0,
            message: "no data rows".into(),
        });
        return Ok(parsed);
    }

    let sample: Vec<Vec<String>> = table
        .rows
        .iter()
        .take(SAMPLE_ROWS)
        .map(|(_, c)| c.clone())
        .collect();
    let chosen = if format == Format::Txt {
        Ok((1, LabelColumns::One(0), None))
    } else {
        choose_columns(&columns, &sample, opts)
    };
    let (text_col, label_cols, pair_col) = match chosen {
        Ok(c) => c,
        Err(p) => {
            parsed.problems.push(p);
            return Ok(parsed);
        }
    };
    parsed.text_column = columns[text_col].clone();
    parsed.pair_column = pair_col.map(|i| columns[i].clone());
    if let LabelColumns::Indicators(cols) = &label_cols {
        parsed.indicator_columns = cols
            .iter()
            .map(|&i| columns[i].trim().to_string())
            .collect();
    }
    parsed.label_column = match &label_cols {
        LabelColumns::One(i) => columns[*i].clone(),
        LabelColumns::Indicators(cols) => cols
            .iter()
            .map(|&i| columns[i].as_str())
            .collect::<Vec<_>>()
            .join(","),
    };
    parsed.task = match (&label_cols, opts.task) {
        (LabelColumns::Indicators(_), _) => Task::Multi,
        (_, Some(t)) => t,
        (LabelColumns::One(i), None) => task::detect(
            table
                .rows
                .iter()
                .map(|(_, c)| c.get(*i).map(String::as_str).unwrap_or("")),
        ),
    };
    if let (LabelColumns::Indicators(_), Some(t)) = (&label_cols, opts.task)
        && t != Task::Multi
    {
        parsed.problems.push(Problem {
            line: 1,
            message: format!(
                "labels in one 0/1 column each ({}) are multi-label data, not {t}",
                parsed.label_column
            ),
        });
        return Ok(parsed);
    }

    let mut empty_labels = Vec::new();
    for (line, cells) in std::mem::take(&mut table.rows) {
        let text = cells.get(text_col).map(String::as_str).unwrap_or("");
        let pair = pair_col.map(|i| cells.get(i).map(String::as_str).unwrap_or(""));
        let label = match &label_cols {
            LabelColumns::One(i) => Ok(cells.get(*i).map(|s| s.trim()).unwrap_or("").to_string()),
            LabelColumns::Indicators(cols) => indicator_labels(&cells, cols, &columns),
        };
        let label_structure = match &label_cols {
            LabelColumns::One(i) => table
                .structured
                .get(&(line, *i))
                .filter(|what| **what == "object" || parsed.task != Task::Multi),
            LabelColumns::Indicators(_) => None,
        };
        if let Some(p) = table.structure_problem(line, text_col, &parsed.text_column) {
            parsed.problems.push(p);
        } else if let Some(p) = pair_col.and_then(|i| {
            table.structure_problem(line, i, parsed.pair_column.as_deref().unwrap_or_default())
        }) {
            parsed.problems.push(p);
        } else if let Some(what) = label_structure {
            parsed.problems.push(Problem {
                line,
                message: format!(
                    "a JSON {what} where a label is expected (key \"{}\"){}",
                    parsed.label_column,
                    if parsed.task == Task::Multi {
                        ": a text's labels are a list of strings"
                    } else {
                        ""
                    }
                ),
            });
        } else if text.trim().is_empty() {
            parsed.problems.push(Problem {
                line,
                message: format!("empty text (column \"{}\")", parsed.text_column),
            });
        } else if let Some(message) = text_size_problem(text, &parsed.text_column) {
            parsed.problems.push(Problem { line, message });
        } else if let Some(pair) = pair
            && pair.trim().is_empty()
        {
            parsed.problems.push(Problem {
                line,
                message: format!(
                    "empty second text (column \"{}\")",
                    parsed.pair_column.as_deref().unwrap_or_default()
                ),
            });
        } else if let Some(message) = pair
            .and_then(|p| text_size_problem(p, parsed.pair_column.as_deref().unwrap_or_default()))
        {
            parsed.problems.push(Problem { line, message });
        } else {
            match label {
                Err(message) => parsed.problems.push(Problem { line, message }),
                // An empty multi-label cell is an example with no label.
                Ok(label) if label.is_empty() && parsed.task != Task::Multi => {
                    empty_labels.push(Problem {
                        line,
                        message: format!("empty label (column \"{}\")", parsed.label_column),
                    })
                }
                Ok(label) => parsed.examples.push(Example {
                    text: text.to_string(),
                    pair: pair.map(str::to_string),
                    label,
                    line,
                }),
            }
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
    parsed.problems.extend(parsed.column_problems());
    Ok(parsed)
}

/// Whether a text is a number and nothing else (`12`, `-3.5`, `1e3`): a column of them is ids,
/// scores or labels, not texts.
fn is_number(text: &str) -> bool {
    text.trim().parse::<f64>().is_ok_and(f64::is_finite)
}

/// Where the labels are: one column, or one 0/1 column a label.
enum LabelColumns {
    One(usize),
    Indicators(Vec<usize>),
}

/// The text, label and pair columns of a CSV, TSV or JSONL file, as chosen or inferred.
fn choose_columns(
    columns: &[String],
    sample: &[Vec<String>],
    opts: &ParseOptions,
) -> Result<(usize, LabelColumns, Option<usize>), Problem> {
    let may_be_multi = matches!(opts.task, None | Some(Task::Multi));
    let (text, labels) = match choose_indicators(
        columns,
        sample,
        opts.text_column.as_deref(),
        opts.label_column.as_deref(),
        opts.pair_column.as_deref(),
        may_be_multi,
    ) {
        Some(chosen) => {
            let (text, cols) = chosen?;
            (text, LabelColumns::Indicators(cols))
        }
        None => {
            let (text, label) = choose(
                columns,
                sample,
                opts.text_column.as_deref(),
                opts.label_column.as_deref(),
            )?;
            (text, LabelColumns::One(label))
        }
    };
    let mut taken = vec![text];
    match &labels {
        LabelColumns::One(l) => taken.push(*l),
        LabelColumns::Indicators(cols) => taken.extend(cols),
    }
    let pair = choose_pair(columns, opts.pair_column.as_deref(), &taken)?;
    Ok((text, labels, pair))
}

/// The labels of a row whose labels are 0/1 columns, as a JSON array of the names marked 1.
fn indicator_labels(cells: &[String], cols: &[usize], names: &[String]) -> Result<String, String> {
    let mut on = Vec::new();
    for &c in cols {
        let cell = cells.get(c).map(String::as_str).unwrap_or("");
        match task::indicator(cell) {
            Some(true) => on.push(names[c].trim().to_string()),
            Some(false) => {}
            None => {
                return Err(format!(
                    "\"{}\" in column \"{}\" is not 0 or 1 (each label's column says whether the text has it)",
                    super::shorten(cell.trim()),
                    names[c]
                ));
            }
        }
    }
    Ok(serde_json::to_string(&on).unwrap_or_default())
}

impl ParsedFile {
    /// Problems of the columns as a whole, which no single row shows: a text column of numbers
    /// only (the wrong column was taken for the texts), and a pair whose two texts are the same
    /// text on every row (the second column copies the first: nothing to compare).
    fn column_problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        if self.examples.is_empty() {
            return problems;
        }
        let n = self.examples.len();
        if self.examples.iter().all(|e| is_number(&e.text)) {
            problems.push(Problem {
                line: 0,
                message: format!(
                    "every text of column \"{}\" is a number ({n} rows): is it the column that holds the texts? (choose it with the text column option)",
                    self.text_column
                ),
            });
        }
        if let Some(pair_column) = &self.pair_column {
            if self
                .examples
                .iter()
                .all(|e| e.pair.as_deref().is_some_and(is_number))
            {
                problems.push(Problem {
                    line: 0,
                    message: format!(
                        "every second text (column \"{pair_column}\") is a number ({n} rows): is it the column that holds the second texts?"
                    ),
                });
            }
            if self.identical_pairs() == n {
                problems.push(Problem {
                    line: 0,
                    message: format!(
                        "the two texts are the same on every row (columns \"{}\" and \"{pair_column}\", {n} rows): a pair of a text with itself says nothing; is the second column a copy of the first?",
                        self.text_column
                    ),
                });
            }
        }
        problems
    }

    /// Sentence pairs: the examples whose two texts are the same (after trimming).
    pub fn identical_pairs(&self) -> usize {
        self.examples
            .iter()
            .filter(|e| e.pair.as_deref().is_some_and(|p| p.trim() == e.text.trim()))
            .count()
    }

    /// Examples per label, in label order: each example's class, or for multi-label data each
    /// label of each example (an unreadable list counts nothing; it is a problem of its own).
    /// Empty for regression (see [`ParsedFile::score_range`]).
    pub fn class_counts(&self) -> Vec<(String, usize)> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        match self.task {
            Task::Single => {
                for e in &self.examples {
                    *counts.entry(e.label.clone()).or_default() += 1;
                }
            }
            Task::Multi => {
                for e in &self.examples {
                    for l in task::split_labels(&e.label).unwrap_or_default() {
                        *counts.entry(l).or_default() += 1;
                    }
                }
            }
            Task::Regression => return Vec::new(),
        }
        let set = LabelSet::discover(counts.keys().map(String::as_str));
        set.names()
            .iter()
            .map(|n| (n.clone(), counts[n.as_str()]))
            .collect()
    }

    /// Regression: the smallest and largest of the values that are numbers.
    pub fn score_range(&self) -> Option<(f64, f64)> {
        if self.task != Task::Regression {
            return None;
        }
        self.examples
            .iter()
            .filter_map(|e| task::parse_score(&e.label).ok())
            .fold(None, |r, v| {
                let v = v as f64;
                Some(r.map_or((v, v), |(lo, hi): (f64, f64)| (lo.min(v), hi.max(v))))
            })
    }

    /// Multi-label: the examples with no label.
    pub fn unlabelled(&self) -> usize {
        if self.task != Task::Multi {
            return 0;
        }
        self.examples
            .iter()
            .filter(|e| task::split_labels(&e.label).is_ok_and(|l| l.is_empty()))
            .count()
    }

    /// The problems a training set adds. Single-label: more classes than a classifier may
    /// have, a class with a single example (it cannot be both learned and validated), fewer than
    /// two classes. Multi-label: an unreadable label list (at its line), no label at all, too
    /// many labels. Regression: a value that is not a number (at its line), a single value.
    fn training_problems(&self) -> Vec<Problem> {
        match self.task {
            Task::Single => self.class_problems(),
            Task::Multi => {
                let mut problems: Vec<Problem> = self
                    .examples
                    .iter()
                    .filter_map(|e| {
                        task::split_labels(&e.label).err().map(|message| Problem {
                            line: e.line,
                            message,
                        })
                    })
                    .collect();
                let counts = self.class_counts();
                // A label on every example, or (0/1 columns) on none, carries nothing to learn:
                // the model would always, or never, predict it.
                let n = self.examples.len();
                if problems.is_empty() && counts.len() <= MAX_CLASSES {
                    for (label, count) in &counts {
                        if *count == n && n > 1 {
                            problems.push(Problem {
                                line: 0,
                                message: format!(
                                    "label \"{label}\" is on every example ({n} of {n}): there is nothing to learn about it (the model would always predict it); remove it{}",
                                    if self.indicator_columns.is_empty() { "" } else { "s column" }
                                ),
                            });
                        }
                    }
                    for name in &self.indicator_columns {
                        if !counts.iter().any(|(l, _)| l == name) {
                            problems.push(Problem {
                                line: 0,
                                message: format!(
                                    "column \"{name}\" is 0 on every row: no example has that label, so a model cannot learn it; remove the column, or add examples that have it"
                                ),
                            });
                        }
                    }
                }
                if counts.len() > MAX_CLASSES {
                    problems.push(Problem {
                        line: 0,
                        message: format!(
                            "the label column \"{}\" names {} different labels; a model may have at most {MAX_CLASSES}: is it the column that holds the labels?",
                            self.label_column,
                            counts.len()
                        ),
                    });
                } else if counts.is_empty() && problems.is_empty() && !self.examples.is_empty() {
                    problems.push(Problem {
                        line: 0,
                        message: format!(
                            "no example has a label (column \"{}\"): a multi-label model needs some",
                            self.label_column
                        ),
                    });
                }
                problems
            }
            Task::Regression => {
                let mut problems: Vec<Problem> = self
                    .examples
                    .iter()
                    .filter_map(|e| {
                        task::parse_score(&e.label).err().map(|why| Problem {
                            line: e.line,
                            message: format!(
                                "{why} (column \"{}\" holds the numbers to predict)",
                                self.label_column
                            ),
                        })
                    })
                    .collect();
                if problems.is_empty()
                    && let Some((lo, hi)) = self.score_range()
                    && lo == hi
                {
                    problems.push(Problem {
                        line: 0,
                        message: format!(
                            "every value of column \"{}\" is {lo}: there is nothing to predict",
                            self.label_column
                        ),
                    });
                }
                problems
            }
        }
    }

    fn class_problems(&self) -> Vec<Problem> {
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
        match self.task {
            Task::Single => {
                let labels = LabelSet::discover(self.examples.iter().map(|e| e.label.as_str()));
                Dataset::new(&self.examples, labels, &self.file_name)
            }
            Task::Multi => {
                let names: Vec<String> = self.class_counts().into_iter().map(|(n, _)| n).collect();
                Dataset::multi(&self.examples, LabelSet::from_names(names), &self.file_name)
            }
            Task::Regression => {
                Dataset::regression(&self.examples, &self.label_column, &self.file_name)
            }
        }
    }

    /// A dataset with `labels` when given (continuing a model's training), else with the label
    /// set discovered from the data.
    pub fn into_dataset(self, labels: Option<&LabelSet>) -> Result<Dataset, DataError> {
        match labels {
            Some(labels) => self.into_dataset_with(labels),
            None => self.into_training_set(),
        }
    }

    /// A dataset using another file's label set (validation or evaluation data), read as this
    /// file's task says (parse it with the training file's task).
    pub fn into_dataset_with(self, labels: &LabelSet) -> Result<Dataset, DataError> {
        if !self.problems.is_empty() {
            return Err(collect_problems(&self.file_name, self.problems));
        }
        match self.task {
            Task::Single => Dataset::new(&self.examples, labels.clone(), &self.file_name),
            Task::Multi => Dataset::multi(&self.examples, labels.clone(), &self.file_name),
            Task::Regression => Dataset::regression(
                &self.examples,
                labels
                    .names()
                    .first()
                    .map_or(self.label_column.as_str(), String::as_str),
                &self.file_name,
            ),
        }
    }
}
