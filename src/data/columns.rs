//! Which column holds the text and which the label: chosen by the user (by name, or 1-based
//! number), recognised by name, or inferred from the values.

use super::Problem;

const TEXT_NAMES: &[&str] = &[
    "text",
    "sentence",
    "sentence1",
    "question1",
    "premise",
    "text_a",
    "text1",
    "sentence_a",
    "review",
    "content",
    "body",
    "document",
    "utterance",
    "comment",
    "tweet",
    "message",
    "question",
    "query",
    "input",
    "phrase",
    "title",
    "description",
];
const LABEL_NAMES: &[&str] = &[
    "label",
    "labels",
    "class",
    "category",
    "target",
    "sentiment",
    "intent",
    "y",
    "tag",
    "output",
    "polarity",
    "rating",
    "stars",
    "gold_label",
    "label_text",
    "score",
    "similarity",
    "relevance",
];
/// Names of a sentence pair's second text: a column by one of these makes the examples pairs.
const PAIR_NAMES: &[&str] = &[
    "sentence2",
    "question2",
    "hypothesis",
    "text_b",
    "text2",
    "sentence_b",
    "text_pair",
];

/// Whether a header row is recognisable: one of its cells is a known column name (or the name
/// the user asked for).
pub fn looks_like_header(cells: &[String], wanted: &[Option<&str>]) -> bool {
    cells.iter().any(|c| {
        let c = c.trim().to_ascii_lowercase();
        TEXT_NAMES.contains(&c.as_str())
            || LABEL_NAMES.contains(&c.as_str())
            || PAIR_NAMES.contains(&c.as_str())
            || wanted.iter().flatten().any(|w| w.eq_ignore_ascii_case(&c))
    })
}

/// Resolves a user's column spec: a header name (case-insensitive) or a 1-based number.
fn resolve(spec: &str, names: &[String], what: &str) -> Result<usize, Problem> {
    if let Some(i) = names
        .iter()
        .position(|n| n.trim().eq_ignore_ascii_case(spec.trim()))
    {
        return Ok(i);
    }
    if let Ok(n) = spec.trim().parse::<usize>()
        && (1..=names.len()).contains(&n)
    {
        return Ok(n - 1);
    }
    Err(Problem {
        line: 1,
        message: format!(
            "no {what} column \"{spec}\" (columns: {})",
            names.join(", ")
        ),
    })
}

fn by_name(names: &[String], known: &[&str], exclude: Option<usize>) -> Option<usize> {
    // Earlier entries of `known` win ("text" over "title").
    known.iter().find_map(|k| {
        names
            .iter()
            .enumerate()
            .find(|(i, n)| Some(*i) != exclude && n.trim().eq_ignore_ascii_case(k))
            .map(|(i, _)| i)
    })
}

/// Per-column statistics over sample rows: distinct values and mean length.
fn stats(rows: &[Vec<String>], col: usize) -> (usize, f64) {
    let mut values: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.get(col))
        .map(|s| s.trim())
        .collect();
    let mean =
        values.iter().map(|v| v.chars().count()).sum::<usize>() as f64 / values.len().max(1) as f64;
    values.sort_unstable();
    values.dedup();
    (values.len(), mean)
}

/// The column of a pair's second text: the one `spec` names (empty: none), else one named as
/// pairs' second texts are ([`PAIR_NAMES`]), other than `taken`.
pub fn choose_pair(
    names: &[String],
    spec: Option<&str>,
    taken: &[usize],
) -> Result<Option<usize>, Problem> {
    match spec.map(str::trim) {
        Some("") => Ok(None),
        Some(spec) => {
            let i = resolve(spec, names, "text pair")?;
            if taken.contains(&i) {
                return Err(Problem {
                    line: 1,
                    message: format!(
                        "the text pair column \"{}\" is already the text or label column",
                        names[i]
                    ),
                });
            }
            Ok(Some(i))
        }
        None => Ok(PAIR_NAMES.iter().find_map(|k| {
            names
                .iter()
                .enumerate()
                .find(|(i, n)| !taken.contains(i) && n.trim().eq_ignore_ascii_case(k))
                .map(|(i, _)| i)
        })),
    }
}

/// Labels given as one 0/1 column each: the columns `label_spec` lists (`toxic,insult,threat`),
/// or, when the header names no label column and the task may be multi-label, every column but
/// the text (and pair) whose values are all 0/1, when there are at least two. `None`: the labels
/// are one column. Returns `(text column, label columns)`.
pub fn choose_indicators(
    names: &[String],
    rows: &[Vec<String>],
    text_spec: Option<&str>,
    label_spec: Option<&str>,
    pair_spec: Option<&str>,
    may_be_multi: bool,
) -> Option<Result<(usize, Vec<usize>), Problem>> {
    let listed = label_spec.filter(|s| s.contains(','));
    if listed.is_none() && (label_spec.is_some() || !may_be_multi) {
        return None;
    }
    if listed.is_none() && by_name(names, LABEL_NAMES, None).is_some() {
        return None;
    }
    let text = match text_spec.map(|s| resolve(s, names, "text")).transpose() {
        Ok(t) => t.or_else(|| by_name(names, TEXT_NAMES, None)),
        Err(p) => return Some(Err(p)),
    };
    let pair = pair_spec
        .filter(|s| !s.trim().is_empty())
        .and_then(|s| resolve(s, names, "text pair").ok())
        .or_else(|| {
            choose_pair(names, None, &text.into_iter().collect::<Vec<_>>())
                .ok()
                .flatten()
        });
    let labels: Vec<usize> = match listed {
        Some(list) => {
            let mut cols = Vec::new();
            for item in list.split(',') {
                match resolve(item, names, "label") {
                    Ok(i) => cols.push(i),
                    Err(p) => return Some(Err(p)),
                }
            }
            cols
        }
        None => (0..names.len())
            .filter(|&i| Some(i) != text && Some(i) != pair)
            .filter(|&i| {
                super::task::is_indicator_column(
                    rows.iter().filter_map(|r| r.get(i).map(String::as_str)),
                )
            })
            .collect(),
    };
    if listed.is_none() && labels.len() < 2 {
        return None;
    }
    let text = text.or_else(|| {
        (0..names.len())
            .filter(|i| !labels.contains(i) && Some(*i) != pair)
            .max_by(|&a, &b| stats(rows, a).1.total_cmp(&stats(rows, b).1))
    });
    Some(match text {
        Some(t) if labels.contains(&t) => Err(Problem {
            line: 1,
            message: format!("the text column \"{}\" is also a label column", names[t]),
        }),
        Some(t) => Ok((t, labels)),
        None => Err(Problem {
            line: 1,
            message: format!(
                "no column is left for the text (columns: {})",
                names.join(", ")
            ),
        }),
    })
}

/// Picks `(text, label)` column indices. `names` are header names (or "1", "2", ... without a
/// header); `rows` is a sample of the data used when names do not say.
pub fn choose(
    names: &[String],
    rows: &[Vec<String>],
    text_spec: Option<&str>,
    label_spec: Option<&str>,
) -> Result<(usize, usize), Problem> {
    if names.len() < 2 {
        return Err(Problem {
            line: 1,
            message: format!(
                "found {} column{}; a dataset needs a text column and a label column",
                names.len(),
                if names.len() == 1 { "" } else { "s" }
            ),
        });
    }
    let mut text = text_spec.map(|s| resolve(s, names, "text")).transpose()?;
    let mut label = label_spec.map(|s| resolve(s, names, "label")).transpose()?;
    if text.is_none() {
        text = by_name(names, TEXT_NAMES, label);
    }
    if label.is_none() {
        label = by_name(names, LABEL_NAMES, text);
    }
    let candidates = |exclude: Option<usize>| (0..names.len()).filter(move |&i| Some(i) != exclude);
    // By the values: the label column repeats few values; the text column is the longest.
    if label.is_none() {
        let best = candidates(text).min_by(|&a, &b| {
            let (da, la) = stats(rows, a);
            let (db, lb) = stats(rows, b);
            da.cmp(&db).then(la.total_cmp(&lb))
        });
        if let Some(i) = best {
            let (distinct, _) = stats(rows, i);
            if rows.len() >= 4 && distinct * 2 > rows.len() {
                return Err(Problem {
                    line: 1,
                    message: format!(
                        "could not tell which column holds the labels (columns: {}): choose it",
                        names.join(", ")
                    ),
                });
            }
            label = Some(i);
        }
    }
    if text.is_none() {
        text = candidates(label).max_by(|&a, &b| stats(rows, a).1.total_cmp(&stats(rows, b).1));
    }
    match (text, label) {
        (Some(t), Some(l)) if t == l => Err(Problem {
            line: 1,
            message: format!(
                "the text and label columns are the same column (\"{}\")",
                names[t]
            ),
        }),
        (Some(t), Some(l)) => Ok((t, l)),
        _ => Err(Problem {
            line: 1,
            message: format!(
                "could not tell the text and label columns apart (columns: {})",
                names.join(", ")
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn names_win_then_values_decide() {
        assert_eq!(
            choose(&s(&["label", "sentence"]), &[], None, None).unwrap(),
            (1, 0)
        );
        let rows = vec![
            s(&["this film is great fun", "pos"]),
            s(&["dull and far too long", "neg"]),
            s(&["a small wonder", "pos"]),
            s(&["not for me", "neg"]),
        ];
        assert_eq!(choose(&s(&["1", "2"]), &rows, None, None).unwrap(), (0, 1));
        assert_eq!(
            choose(&s(&["a", "b"]), &rows, Some("1"), None).unwrap(),
            (0, 1)
        );
        let err = choose(&s(&["text", "label"]), &rows, Some("review"), None).unwrap_err();
        assert_eq!(
            err.message,
            "no text column \"review\" (columns: text, label)"
        );
    }

    #[test]
    fn pairs_and_indicator_columns_by_name_or_choice() {
        let names = s(&["sentence1", "sentence2", "score"]);
        assert_eq!(choose(&names, &[], None, None).unwrap(), (0, 2));
        assert_eq!(choose_pair(&names, None, &[0, 2]).unwrap(), Some(1));
        assert_eq!(choose_pair(&names, Some(""), &[0, 2]).unwrap(), None);
        assert_eq!(choose_pair(&names, Some("2"), &[0, 2]).unwrap(), Some(1));
        let e = choose_pair(&names, Some("score"), &[0, 2]).unwrap_err();
        assert!(
            e.message.contains("already the text or label"),
            "{}",
            e.message
        );
        assert_eq!(
            choose_pair(&s(&["text", "label"]), None, &[0, 1]).unwrap(),
            None
        );

        let names = s(&["comment", "toxic", "insult", "id"]);
        let rows = vec![
            s(&["you are kind", "0", "0", "a1"]),
            s(&["you idiot", "1", "1", "a2"]),
            s(&["go away", "1", "0", "a3"]),
        ];
        assert_eq!(
            choose_indicators(&names, &rows, None, None, None, true)
                .unwrap()
                .unwrap(),
            (0, vec![1, 2])
        );
        assert!(choose_indicators(&names, &rows, None, None, None, false).is_none());
        assert_eq!(
            choose_indicators(&names, &rows, None, Some("insult,toxic"), None, false)
                .unwrap()
                .unwrap(),
            (0, vec![2, 1])
        );
        let e = choose_indicators(&names, &rows, None, Some("toxic,rude"), None, true)
            .unwrap()
            .unwrap_err();
        assert!(
            e.message.contains("no label column \"rude\""),
            "{}",
            e.message
        );
        // A label column by name: the labels are that column.
        let names = s(&["text", "label", "flag"]);
        assert!(choose_indicators(&names, &rows, None, None, None, true).is_none());
    }

    #[test]
    fn refuses_to_guess_when_no_column_repeats() {
        let rows: Vec<Vec<String>> = (0..6)
            .map(|i| s(&[&format!("text {i}"), &format!("other {i}")]))
            .collect();
        let err = choose(&s(&["a", "b"]), &rows, None, None).unwrap_err();
        assert!(
            err.message
                .contains("could not tell which column holds the labels"),
            "{}",
            err.message
        );
    }
}
