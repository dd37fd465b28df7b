//! The label set: discovered from the training data, in a stable order.

use serde::{Deserialize, Serialize};

/// Class names; a class's index is its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSet(Vec<String>);

impl LabelSet {
    /// Distinct labels in a stable order: numeric when every label is an integer (so "10" comes
    /// after "9"), else lexicographic. Row order does not matter.
    pub fn discover<'a>(labels: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<String> = labels.into_iter().map(str::to_string).collect();
        names.sort();
        names.dedup();
        if names.iter().all(|n| n.parse::<i64>().is_ok()) {
            names.sort_by_key(|n| n.parse::<i64>().unwrap_or(0));
        }
        LabelSet(names)
    }

    /// A label set in the given order (from a saved model's `id2label`).
    pub fn from_names(names: Vec<String>) -> Self {
        LabelSet(names)
    }

    pub fn names(&self) -> &[String] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|n| n == name)
    }

    pub fn name(&self, index: usize) -> &str {
        &self.0[index]
    }

    /// The names for a message: all of them when there are few, else the first ones and a count.
    pub fn listing(&self) -> String {
        const SHOWN: usize = 20;
        let shown: Vec<String> = self
            .0
            .iter()
            .take(SHOWN)
            .map(|n| super::shorten(n))
            .collect();
        let mut out = shown.join(", ");
        if self.0.len() > SHOWN {
            out.push_str(&format!(" and {} more", self.0.len() - SHOWN));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_stable_and_numeric_aware() {
        let a = LabelSet::discover(["pos", "neg", "pos", "neutral"]);
        assert_eq!(a.names(), ["neg", "neutral", "pos"]);
        let b = LabelSet::discover(["10", "9", "1", "9"]);
        assert_eq!(b.names(), ["1", "9", "10"]);
        assert_eq!(b.index("10"), Some(2));
        assert_eq!(b.index("x"), None);
        assert_eq!(b.listing(), "1, 9, 10");
        let many = LabelSet::discover(
            (0..25)
                .map(|i| format!("c{i:02}"))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        assert!(
            many.listing().ends_with("c19 and 5 more"),
            "{}",
            many.listing()
        );
    }
}
