//! Which column holds the text and which the label: chosen by the user (by name, or 1-based
//! number), recognised by name, or inferred from the values.

use super::Problem;

const TEXT_NAMES: &[&str] = &[
    "text",
    "sentence",
    "sentence1",
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
];

/// Whether a header row is recognisable: one of its cells is a known column name (or the name
/// the user asked for).
pub fn looks_like_header(cells: &[String], wanted: &[Option<&str>]) -> bool {
    cells.iter().any(|c| {
        let c = c.trim().to_ascii_lowercase();
        TEXT_NAMES.contains(&c.as_str())
            || LABEL_NAMES.contains(&c.as_str())
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
