//! What a labelled file asks the model to learn: one class a text (`single`), any number of
//! labels a text (`multi`), or a number (`regression`); and how the label column says it.
//!
//! A multi-label cell lists its labels separated by `;` (`billing;urgent`) or as a JSON array
//! (`["billing","urgent"]`, a JSONL file's arrays arrive in that form); labels given as one 0/1
//! column each are turned into the same list by the parser. An empty cell, `[]`, or a row of
//! zeros is an example with no label, which multi-label data has (none of the tags applies).

use serde::{Deserialize, Serialize};

/// The kind of target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// One class a text: softmax and cross-entropy.
    #[default]
    Single,
    /// Any number of labels a text: a sigmoid a label and binary cross-entropy.
    Multi,
    /// A number a text: one output and squared error.
    Regression,
}

impl std::str::FromStr for Task {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "single" | "single-label" | "single_label" => Ok(Task::Single),
            "multi" | "multi-label" | "multi_label" | "multilabel" => Ok(Task::Multi),
            "regression" => Ok(Task::Regression),
            other => Err(crate::Error::Invalid(format!(
                "unknown task \"{other}\" (expected single, multi or regression)"
            ))),
        }
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Task::Single => "single",
            Task::Multi => "multi",
            Task::Regression => "regression",
        })
    }
}

impl Task {
    /// The `problem_type` of a Hugging Face `config.json` for this task.
    pub fn problem_type(self) -> &'static str {
        match self {
            Task::Single => "single_label_classification",
            Task::Multi => "multi_label_classification",
            Task::Regression => "regression",
        }
    }

    /// The task a `config.json`'s `problem_type` names (absent: single-label, transformers'
    /// default for more than one label).
    pub fn from_problem_type(problem_type: Option<&str>) -> Option<Task> {
        match problem_type {
            None | Some("single_label_classification") => Some(Task::Single),
            Some("multi_label_classification") => Some(Task::Multi),
            Some("regression") => Some(Task::Regression),
            Some(_) => None,
        }
    }
}

/// The separator of labels in a multi-label cell.
pub const LABEL_SEPARATOR: char = ';';

/// The labels of a multi-label cell, in order, without duplicates. `Err`: what is wrong with it
/// (an empty item, a JSON array that is not an array of strings or numbers).
pub fn split_labels(cell: &str) -> Result<Vec<String>, String> {
    let cell = cell.trim();
    let mut labels: Vec<String> = Vec::new();
    let mut push = |label: String| {
        if !labels.contains(&label) {
            labels.push(label);
        }
    };
    if cell.starts_with('[') {
        let value: serde_json::Value = serde_json::from_str(cell)
            .map_err(|e| format!("the label list {} is not a JSON array: {e}", quoted(cell)))?;
        let serde_json::Value::Array(items) = value else {
            return Err(format!(
                "the label list {} is not a JSON array",
                quoted(cell)
            ));
        };
        for item in items {
            let label = match item {
                serde_json::Value::String(s) => s.trim().to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                other => {
                    return Err(format!(
                        "the label list {} holds {other}: labels are strings or numbers",
                        quoted(cell)
                    ));
                }
            };
            if label.is_empty() {
                return Err(format!(
                    "the label list {} has an empty label",
                    quoted(cell)
                ));
            }
            push(label);
        }
        return Ok(labels);
    }
    if cell.is_empty() {
        return Ok(labels);
    }
    for item in cell.split(LABEL_SEPARATOR) {
        let item = item.trim();
        if item.is_empty() {
            return Err(format!(
                "the label list {} has an empty item (labels are separated by \"{LABEL_SEPARATOR}\")",
                quoted(cell)
            ));
        }
        push(item.to_string());
    }
    Ok(labels)
}

/// A regression target from a cell. `Err`: why it is not one.
pub fn parse_score(cell: &str) -> Result<f32, String> {
    let cell = cell.trim();
    match cell.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() < f32::MAX as f64 => Ok(v as f32),
        Ok(_) => Err(format!("{} is not a finite number", quoted(cell))),
        Err(_) => Err(format!("{} is not a number", quoted(cell))),
    }
}

/// The task a label column's values suggest: `multi` when a value is a JSON array or lists
/// labels with `;`; `regression` when the values are numbers (all but one in twenty at most)
/// and some has a decimal point or an
/// exponent, or there are more than [`MAX_INTEGER_CLASSES`] distinct integers that repeat (at most
/// one distinct value in two rows: ages, years); else `single` (`0`/`1` or `1`…`5` stars stay
/// classes, and integers that never repeat are ids, not targets: the user can choose regression).
pub fn detect<'a>(values: impl IntoIterator<Item = &'a str>) -> Task {
    let values: Vec<&str> = values
        .into_iter()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Task::Single;
    }
    if values
        .iter()
        .any(|v| (v.starts_with('[') && v.ends_with(']')) || v.contains(LABEL_SEPARATOR))
    {
        return Task::Multi;
    }
    // Numbers, but for a few typos (at most one value in twenty: a "high" in a column of
    // scores is then a problem at its line, not a reason to read scores as classes).
    let numbers: Vec<&str> = values
        .iter()
        .copied()
        .filter(|v| parse_score(v).is_ok())
        .collect();
    if numbers.len() * 20 >= values.len() * 19 {
        let fractional = numbers
            .iter()
            .any(|v| v.contains(['.', 'e', 'E']) || v.parse::<i64>().is_err());
        let mut distinct: Vec<&str> = numbers.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if fractional
            || (distinct.len() > MAX_INTEGER_CLASSES && distinct.len() * 2 <= numbers.len())
        {
            return Task::Regression;
        }
    }
    Task::Single
}

/// More distinct integer labels than this read as a number to predict, not classes.
pub const MAX_INTEGER_CLASSES: usize = 20;

/// Whether every value is `0` or `1` (`0.0`, `1.0`, `true`, `false` too): a label's indicator
/// column.
pub fn is_indicator_column<'a>(values: impl IntoIterator<Item = &'a str>) -> bool {
    let mut any = false;
    for v in values {
        any = true;
        if indicator(v).is_none() {
            return false;
        }
    }
    any
}

/// The value of an indicator cell: `Some(true)` for 1, `Some(false)` for 0, `None` otherwise.
pub fn indicator(cell: &str) -> Option<bool> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "1" | "1.0" | "true" => Some(true),
        "0" | "0.0" | "false" => Some(false),
        _ => None,
    }
}

fn quoted(cell: &str) -> String {
    format!("\"{}\"", super::shorten(cell))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_lists_in_every_form() {
        assert_eq!(
            split_labels("billing;urgent").unwrap(),
            ["billing", "urgent"]
        );
        assert_eq!(split_labels(" a ; b;a ").unwrap(), ["a", "b"]);
        assert_eq!(split_labels("solo").unwrap(), ["solo"]);
        assert_eq!(split_labels("").unwrap(), Vec::<String>::new());
        assert_eq!(
            split_labels(r#"["billing", "urgent"]"#).unwrap(),
            ["billing", "urgent"]
        );
        assert_eq!(split_labels("[]").unwrap(), Vec::<String>::new());
        assert_eq!(split_labels("[3, 7]").unwrap(), ["3", "7"]);
        let e = split_labels("a;;b").unwrap_err();
        assert!(e.contains("\"a;;b\" has an empty item"), "{e}");
        assert!(split_labels("a;").unwrap_err().contains("empty item"));
        let e = split_labels(r#"["a", ""]"#).unwrap_err();
        assert!(e.contains("has an empty label"), "{e}");
        let e = split_labels(r#"["a", null]"#).unwrap_err();
        assert!(e.contains("holds null"), "{e}");
        assert!(
            split_labels("[a, b]")
                .unwrap_err()
                .contains("not a JSON array")
        );
    }

    #[test]
    fn scores_are_finite_numbers() {
        assert_eq!(parse_score(" 3.8 ").unwrap(), 3.8);
        assert_eq!(parse_score("-2e1").unwrap(), -20.0);
        assert_eq!(parse_score("abc").unwrap_err(), "\"abc\" is not a number");
        assert!(
            parse_score("NaN")
                .unwrap_err()
                .contains("not a finite number")
        );
        assert!(
            parse_score("inf")
                .unwrap_err()
                .contains("not a finite number")
        );
        assert!(
            parse_score("1e300")
                .unwrap_err()
                .contains("not a finite number")
        );
    }

    #[test]
    fn the_values_suggest_the_task() {
        assert_eq!(detect(["pos", "neg"]), Task::Single);
        assert_eq!(detect(["0", "1", "1"]), Task::Single);
        assert_eq!(detect(["1", "2", "3", "4", "5"]), Task::Single);
        assert_eq!(detect(["5.0", "3.8", "0.4"]), Task::Regression);
        // One typo in twenty numbers: still a number column (the typo is a problem at its line).
        let mut typo: Vec<String> = (0..19).map(|i| format!("{}.5", i % 5)).collect();
        typo.push("high".into());
        assert_eq!(detect(typo.iter().map(String::as_str)), Task::Regression);
        assert_eq!(detect(["1.5", "high", "2.5"]), Task::Single);
        let ages: Vec<String> = (0..90).map(|i| (18 + i % 30).to_string()).collect();
        assert_eq!(detect(ages.iter().map(String::as_str)), Task::Regression);
        let ids: Vec<String> = (0..90).map(|i| i.to_string()).collect();
        assert_eq!(detect(ids.iter().map(String::as_str)), Task::Single);
        assert_eq!(detect(["a;b", "c"]), Task::Multi);
        assert_eq!(detect([r#"["a"]"#, "[]"]), Task::Multi);
        assert_eq!(detect([""]), Task::Single);
        assert!(is_indicator_column(["0", "1", "1.0", "false"]));
        assert!(!is_indicator_column(["0", "2"]));
        assert!(!is_indicator_column([]));
    }

    #[test]
    fn problem_types_round_trip() {
        for t in [Task::Single, Task::Multi, Task::Regression] {
            assert_eq!(Task::from_problem_type(Some(t.problem_type())), Some(t));
            assert_eq!(t.to_string().parse::<Task>().unwrap(), t);
        }
        assert_eq!(Task::from_problem_type(None), Some(Task::Single));
        assert_eq!(Task::from_problem_type(Some("other")), None);
        assert!("multi-label".parse::<Task>().is_ok());
        assert!("ranking".parse::<Task>().is_err());
    }
}
