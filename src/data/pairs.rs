//! Files of text pairs, for embedding models: pairs that belong together (`anchor,positive`, with
//! an optional `negative`), or pairs scored for similarity (`sentence1,sentence2,score`, as STS-B).
//! The header names the columns; every problem is reported with its line.

use serde::Serialize;

use super::format::{Format, decode};
use super::parse::read_named_columns;
use super::{DataError, Problem, collect_problems, text_size_problem};

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
    /// The line each row starts on (1-based), for messages about a row.
    pub lines: Vec<usize>,
    /// The file's columns (its header), and the ones read for each role, by name: what the page
    /// shows in its column selects.
    pub columns: Vec<String>,
    pub chosen: PairColumns,
}

/// Columns a caller names instead of the header's usual names: a header name or a 1-based column
/// number each (a file without a header still needs one, since the roles are read by name). An
/// empty `negative` or `score` means none, even where the header has one of the usual names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PairColumns {
    pub first: Option<String>,
    pub second: Option<String>,
    pub negative: Option<String>,
    pub score: Option<String>,
}

impl PairSet {
    pub fn len(&self) -> usize {
        self.first.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// Rows whose two texts are the same text (after trimming): a text paired with itself
    /// teaches an embedding model nothing and scores as a perfect retrieval.
    pub fn identical(&self) -> usize {
        self.first
            .iter()
            .zip(&self.second)
            .filter(|(a, b)| a.trim() == b.trim())
            .count()
    }

    /// The range the scores lie in: `declared` when given (a score outside it is a problem at its
    /// line), else `[0, 1]` when every score is in it, else `[0, 5]` (STS-B's) when every score
    /// is in that, else a problem asking for the range.
    pub fn score_range(&self, declared: Option<[f64; 2]>) -> Result<[f64; 2], DataError> {
        let Some(scores) = &self.scores else {
            return Ok([0.0, 1.0]);
        };
        let within = |r: [f64; 2], v: f64| (r[0]..=r[1]).contains(&v);
        let range = match declared {
            Some(r) => r,
            None if scores.iter().all(|&v| within([0.0, 1.0], v)) => [0.0, 1.0],
            None if scores.iter().all(|&v| within([0.0, 5.0], v)) => [0.0, 5.0],
            None => {
                let (i, v) = scores
                    .iter()
                    .enumerate()
                    .find(|&(_, &v)| !within([0.0, 5.0], v))
                    .map_or((0, 0.0), |(i, &v)| (i, v));
                return Err(collect_problems(
                    &self.file_name,
                    vec![Problem {
                        line: self.lines.get(i).copied().unwrap_or(0),
                        message: format!(
                            "score {v} is outside [0, 1] and [0, 5]: declare the scores' range (score_range, --score-range MIN,MAX)"
                        ),
                    }],
                ));
            }
        };
        let problems: Vec<Problem> = scores
            .iter()
            .zip(&self.lines)
            .filter(|&(&v, _)| !within(range, v))
            .map(|(&v, &line)| Problem {
                line,
                message: format!(
                    "score {v} is outside the declared range [{}, {}]",
                    range[0], range[1]
                ),
            })
            .collect();
        if problems.is_empty() {
            Ok(range)
        } else {
            Err(collect_problems(&self.file_name, problems))
        }
    }
}

/// The column `spec` names (a header name, any case, or a 1-based number; empty: none), else the
/// first of the usual `names` the header has. `Err`: what to tell the user.
fn column(columns: &[String], spec: Option<&str>, names: &[&str]) -> Result<Option<usize>, String> {
    let Some(spec) = spec.map(str::trim) else {
        return Ok(find(columns, names));
    };
    if spec.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = spec.parse::<usize>() {
        return if (1..=columns.len()).contains(&n) {
            Ok(Some(n - 1))
        } else {
            Err(format!(
                "column {n} does not exist: the file has {} columns",
                columns.len()
            ))
        };
    }
    columns
        .iter()
        .position(|c| c.trim().eq_ignore_ascii_case(spec))
        .map(Some)
        .ok_or_else(|| {
            format!(
                "no column \"{spec}\": the header has {}",
                if columns.is_empty() {
                    "no columns".to_string()
                } else {
                    columns.join(", ")
                }
            )
        })
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

/// A file's columns as its header names them (the first line; JSONL: its first record's keys),
/// without reading the rows. `None` when the file cannot be read as text.
pub fn header_columns(
    bytes: &[u8],
    file_name: &str,
    format: Option<Format>,
) -> Option<Vec<String>> {
    let text = decode(bytes).ok()?;
    let format = format
        .or_else(|| Format::from_file_name(file_name))
        .unwrap_or_else(|| Format::sniff(text));
    let first_line = text.lines().next().unwrap_or("");
    Some(read_named_columns(first_line, format).0)
}

/// Whether a file's header names a pair file's two texts (so the page reads it as pairs, not
/// as labelled texts), and whether it has scores. `None` when it does not, or cannot be read.
pub fn header_kind(bytes: &[u8], file_name: &str, format: Option<Format>) -> Option<PairKind> {
    let columns = header_columns(bytes, file_name, format)?;
    (find(&columns, FIRST).is_some() && find(&columns, SECOND).is_some()).then(|| {
        if find(&columns, SCORE).is_some() {
            PairKind::Scored
        } else {
            PairKind::Pairs
        }
    })
}

/// Reads a pair file. Fails with every problem (and its line) when a row is unusable: an empty
/// text, a score that is not a finite number, a missing field.
pub fn parse_pairs(
    bytes: &[u8],
    file_name: &str,
    format: Option<Format>,
    named: &PairColumns,
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
    let (columns, mut table) = read_named_columns(text, format);
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
    let named_column = |spec: &Option<String>, names: &[&str]| {
        column(&columns, spec.as_deref(), names)
            .map_err(|message| collect_problems(file, vec![Problem { line: 1, message }]))
    };
    let first = named_column(&named.first, FIRST)?.ok_or_else(|| missing("first-text", FIRST))?;
    let second =
        named_column(&named.second, SECOND)?.ok_or_else(|| missing("second-text", SECOND))?;
    let negative = named_column(&named.negative, NEGATIVE)?;
    let score = named_column(&named.score, SCORE)?;
    let kind = if score.is_some() {
        PairKind::Scored
    } else {
        PairKind::Pairs
    };

    let mut problems = std::mem::take(&mut table.problems);
    let mut set = PairSet {
        file_name: file.to_string(),
        kind,
        first: Vec::new(),
        second: Vec::new(),
        negatives: negative.map(|_| Vec::new()),
        scores: score.map(|_| Vec::new()),
        lines: Vec::new(),
        chosen: PairColumns {
            first: Some(columns[first].clone()),
            second: Some(columns[second].clone()),
            negative: negative.map(|i| columns[i].clone()),
            score: score.map(|i| columns[i].clone()),
        },
        columns: columns.clone(),
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
        for i in [Some(first), Some(second), negative].into_iter().flatten() {
            if let Some(p) = table.structure_problem(*line, i, &columns[i]) {
                bad(p.message);
                ok = false;
            } else if let Some(message) = text_size_problem(cell(i), &columns[i]) {
                bad(message);
                ok = false;
            }
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
        set.lines.push(*line);
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
    if problems.is_empty() && set.identical() == set.len() {
        problems.push(Problem {
            line: 0,
            message: format!(
                "the two texts are the same on every row (columns \"{}\" and \"{}\", {} rows): a text paired with itself teaches nothing and scores perfectly; is the second column a copy of the first?",
                columns[first],
                columns[second],
                set.len()
            ),
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
        let s = parse_pairs(csv, "dev.csv", None, &PairColumns::default()).unwrap();
        assert_eq!(s.kind, PairKind::Scored);
        assert_eq!(s.first, ["A man is dancing.", "Cats, again"]);
        assert_eq!(s.scores, Some(vec![4.8, 0.5]));
        assert_eq!(s.negatives, None);
    }

    #[test]
    fn pairs_and_triplets_read_from_csv_and_jsonl() {
        let s = parse_pairs(
            b"anchor,positive\nq1,d1\nq2,d2\n",
            "p.csv",
            None,
            &PairColumns::default(),
        )
        .unwrap();
        assert_eq!((s.kind, s.len()), (PairKind::Pairs, 2));
        let jsonl = b"{\"anchor\": \"q\", \"positive\": \"d\", \"negative\": \"n\"}\n";
        let s = parse_pairs(jsonl, "t.jsonl", None, &PairColumns::default()).unwrap();
        assert_eq!(s.negatives, Some(vec!["n".to_string()]));
    }

    #[test]
    fn columns_can_be_named_or_numbered() {
        let csv = b"question,answer,rating\nq1,a1,3\nq2,a2,1\n";
        let named = PairColumns {
            first: Some("Question".into()),
            second: Some("2".into()),
            score: Some("rating".into()),
            ..PairColumns::default()
        };
        let s = parse_pairs(csv, "qa.csv", None, &named).unwrap();
        assert_eq!(
            (s.kind, s.first.clone(), s.second.clone()),
            (
                PairKind::Scored,
                vec!["q1".to_string(), "q2".into()],
                vec!["a1".to_string(), "a2".into()]
            )
        );
        assert_eq!(s.lines, vec![2, 3]);
        assert_eq!(s.columns, ["question", "answer", "rating"]);
        assert_eq!(
            s.chosen,
            PairColumns {
                first: Some("question".into()),
                second: Some("answer".into()),
                negative: None,
                score: Some("rating".into()),
            }
        );
        // An empty name: no such column, even where the header has one of the usual names.
        let plain = parse_pairs(
            b"anchor,positive,negative,score\nq,d,n,1\n",
            "t.csv",
            None,
            &PairColumns {
                negative: Some(String::new()),
                score: Some(" ".into()),
                ..PairColumns::default()
            },
        )
        .unwrap();
        assert_eq!(
            (plain.kind, &plain.negatives, &plain.scores),
            (PairKind::Pairs, &None, &None)
        );
        assert_eq!((plain.chosen.negative, plain.chosen.score), (None, None));
        let e = parse_pairs(
            csv,
            "qa.csv",
            None,
            &PairColumns {
                first: Some("query".into()),
                ..named.clone()
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("line 1: no column \"query\": the header has question, answer, rating"),
            "{e}"
        );
        let e = parse_pairs(
            csv,
            "qa.csv",
            None,
            &PairColumns {
                second: Some("9".into()),
                ..named
            },
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("column 9 does not exist: the file has 3 columns"),
            "{e}"
        );
    }

    #[test]
    fn the_score_range_is_inferred_or_declared_and_outliers_are_named_by_line() {
        let read = |csv: &[u8]| parse_pairs(csv, "s.csv", None, &PairColumns::default()).unwrap();
        let unit = read(b"sentence1,sentence2,score\na,b,0.2\nc,d,1\n");
        assert_eq!(unit.score_range(None).unwrap(), [0.0, 1.0]);
        let sts = read(b"sentence1,sentence2,score\na,b,4.5\nc,d,1\n");
        assert_eq!(sts.score_range(None).unwrap(), [0.0, 5.0]);
        let e = sts.score_range(Some([0.0, 1.0])).unwrap_err().to_string();
        assert!(
            e.contains("line 2: score 4.5 is outside the declared range [0, 1]"),
            "{e}"
        );
        let odd = read(b"sentence1,sentence2,score\na,b,3\nc,d,-2\n");
        let e = odd.score_range(None).unwrap_err().to_string();
        assert!(
            e.contains("line 3: score -2 is outside [0, 1] and [0, 5]"),
            "{e}"
        );
        assert_eq!(odd.score_range(Some([-5.0, 5.0])).unwrap(), [-5.0, 5.0]);
        assert_eq!(
            header_kind(b"anchor,positive\nq,d\n", "p.csv", None),
            Some(PairKind::Pairs)
        );
        assert_eq!(header_kind(b"text,label\nq,d\n", "p.csv", None), None);
    }

    #[test]
    fn every_bad_row_is_named_by_line() {
        let csv = b"sentence1,sentence2,score\na,b,1\n,b,2\na,b,high\n";
        let e = parse_pairs(csv, "bad.csv", None, &PairColumns::default())
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.csv: 2 problems"), "{e}");
        assert!(
            e.contains("line 3: empty text (column \"sentence1\")"),
            "{e}"
        );
        assert!(
            e.contains("line 4: score \"high\" (column \"score\") is not a number"),
            "{e}"
        );
        let e = parse_pairs(
            b"text,label\na,b\n",
            "cls.csv",
            None,
            &PairColumns::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("no first-text column") && e.contains("text, label"),
            "{e}"
        );
    }
}
