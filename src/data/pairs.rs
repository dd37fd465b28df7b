//! Files of text pairs, for embedding models: pairs that belong together (`anchor,positive`, with
//! an optional `negative`), or pairs scored for similarity (`sentence1,sentence2,score`, as STS-B).
//! The header names the columns; every problem is reported with its line.

use serde::Serialize;

use super::format::{Format, decode};
use super::parse::read_named_columns;
use super::{DataError, Problem, collect_problems};

/// What a pair file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PairKind {
    /// Each row's two texts belong together (and its negative, when given, does not).
    Pairs,
    /// Each row's two texts come with a similarity score.
    Scored,
}

/// The rows of a pair file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairSet {
    pub file_name: String,
    pub kind: PairKind,
    /// `anchor` or `sentence1`.
    pub first: Vec<String>,
    /// `positive` or `sentence2`.
    pub second: Vec<String>,
    /// `negative`, when the file has that column.
    pub negatives: Option<Vec<String>>,
    /// `score`, for scored pairs.
    pub scores: Option<Vec<f64>>,
}

impl PairSet {
    pub fn len(&self) -> usize {
        self.first.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }
}

/// Header names each role is known by (lower case).
const FIRST: &[&str] = &["anchor", "query", "sentence1", "text1", "sentence_a"];
const SECOND: &[&str] = &["positive", "sentence2", "text2", "sentence_b", "document"];
const NEGATIVE: &[&str] = &["negative"];
const SCORE: &[&str] = &["score", "similarity", "label"];

fn find(columns: &[String], names: &[&str]) -> Option<usize> {
    columns
        .iter()
        .position(|c| names.contains(&c.trim().to_ascii_lowercase().as_str()))
}

/// Reads a pair file. Fails with every problem (and its line) when a row is unusable: an empty
/// text, a score that is not a finite number, a missing field.
pub fn parse_pairs(
    bytes: &[u8],
    file_name: &str,
    format: Option<Format>,
) -> Result<PairSet, DataError> {
    let file = if file_name.is_empty() {
        "pairs"
    } else {
        file_name
    };
    let text = decode(bytes).map_err(|p| collect_problems(file, vec![p]))?;
    let format = format
        .or_else(|| Format::from_file_name(file_name))
        .unwrap_or_else(|| Format::sniff(text));
    let (columns, table) = read_named_columns(text, format);
    let missing = |what: &str, names: &[&str]| {
        collect_problems(
            file,
            vec![Problem {
                line: 1,
                message: format!(
                    "no {what} column: the header must name it ({}); it has {}",
                    names.join(", "),
                    if columns.is_empty() {
                        "no columns".to_string()
                    } else {
                        columns.join(", ")
                    }
                ),
            }],
        )
    };
    let first = find(&columns, FIRST).ok_or_else(|| missing("first-text", FIRST))?;
    let second = find(&columns, SECOND).ok_or_else(|| missing("second-text", SECOND))?;
    let negative = find(&columns, NEGATIVE);
    let score = find(&columns, SCORE);
    let kind = if score.is_some() {
        PairKind::Scored
    } else {
        PairKind::Pairs
    };

    let mut problems = table.problems;
    let mut set = PairSet {
        file_name: file.to_string(),
        kind,
        first: Vec::new(),
        second: Vec::new(),
        negatives: negative.map(|_| Vec::new()),
        scores: score.map(|_| Vec::new()),
    };
    for (line, cells) in &table.rows {
        let cell = |i: usize| cells.get(i).map(|c| c.trim()).unwrap_or("");
        let mut bad = |message: String| {
            problems.push(Problem {
                line: *line,
                message,
            })
        };
        let mut ok = true;
        for (i, role) in [(first, &columns[first]), (second, &columns[second])] {
            if cell(i).is_empty() {
                bad(format!("empty text (column \"{role}\")"));
                ok = false;
            }
        }
        if let Some(n) = negative
            && cell(n).is_empty()
        {
            bad(format!("empty text (column \"{}\")", columns[n]));
            ok = false;
        }
        let value = match score {
            Some(s) => match cell(s).parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    bad(format!(
                        "score \"{}\" (column \"{}\") is not a number",
                        cell(s),
                        columns[s]
                    ));
                    ok = false;
                    None
                }
            },
            None => None,
        };
        if !ok {
            continue;
        }
        set.first.push(cell(first).to_string());
        set.second.push(cell(second).to_string());
        if let (Some(n), Some(v)) = (negative, set.negatives.as_mut()) {
            v.push(cell(n).to_string());
        }
        if let (Some(v), Some(scores)) = (value, set.scores.as_mut()) {
            scores.push(v);
        }
    }
    if problems.is_empty() && set.is_empty() {
        problems.push(Problem {
            line: 0,
            message: "no pairs: the file has a header and no rows".into(),
        });
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(collect_problems(file, problems));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scored_pairs_read_as_sts_b_writes_them() {
        let csv = b"sentence1,sentence2,score\nA man is dancing.,A man dances.,4.8\n\"Cats, again\",Dogs,0.5\n";
        let s = parse_pairs(csv, "dev.csv", None).unwrap();
        assert_eq!(s.kind, PairKind::Scored);
        assert_eq!(s.first, ["A man is dancing.", "Cats, again"]);
        assert_eq!(s.scores, Some(vec![4.8, 0.5]));
        assert_eq!(s.negatives, None);
    }

    #[test]
    fn pairs_and_triplets_read_from_csv_and_jsonl() {
        let s = parse_pairs(b"anchor,positive\nq1,d1\nq2,d2\n", "p.csv", None).unwrap();
        assert_eq!((s.kind, s.len()), (PairKind::Pairs, 2));
        let jsonl = b"{\"anchor\": \"q\", \"positive\": \"d\", \"negative\": \"n\"}\n";
        let s = parse_pairs(jsonl, "t.jsonl", None).unwrap();
        assert_eq!(s.negatives, Some(vec!["n".to_string()]));
    }

    #[test]
    fn every_bad_row_is_named_by_line() {
        let csv = b"sentence1,sentence2,score\na,b,1\n,b,2\na,b,high\n";
        let e = parse_pairs(csv, "bad.csv", None).unwrap_err().to_string();
        assert!(e.starts_with("bad.csv: 2 problems"), "{e}");
        assert!(
            e.contains("line 3: empty text (column \"sentence1\")"),
            "{e}"
        );
        assert!(
            e.contains("line 4: score \"high\" (column \"score\") is not a number"),
            "{e}"
        );
        let e = parse_pairs(b"text,label\na,b\n", "cls.csv", None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no first-text column") && e.contains("text, label"),
            "{e}"
        );
    }
}
