//! Stratified, seeded train/validation split.

use crate::rng::SplitMix64;

use super::Dataset;

/// Splits `data` so class `c` gives `valid_per_class[c]` of its examples (at most all but one)
/// to validation, chosen at random with `seed`. Deterministic for a given seed. Returns
/// `(train indices, validation indices)`, each sorted. How many each class gives is the
/// caller's policy (see `train::plan::prepare`).
pub fn stratified_split(
    data: &Dataset,
    valid_per_class: &[usize],
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = SplitMix64::new(seed);
    let mut train = Vec::new();
    let mut valid = Vec::new();
    // Each class's members in one pass (not a pass a class: thousands of classes).
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); data.label_set.len()];
    for (i, &label) in data.labels.iter().enumerate() {
        by_class[label].push(i);
    }
    for (class, mut members) in by_class.into_iter().enumerate() {
        rng.shuffle(&mut members);
        let k = valid_per_class
            .get(class)
            .copied()
            .unwrap_or(0)
            .min(members.len().saturating_sub(1));
        valid.extend_from_slice(&members[..k]);
        train.extend_from_slice(&members[k..]);
    }
    train.sort_unstable();
    valid.sort_unstable();
    (train, valid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::LabelSet;

    #[test]
    fn takes_the_counts_asked_and_is_deterministic() {
        let labels: Vec<usize> = (0..100).map(|i| if i < 80 { 0 } else { 1 }).collect();
        let data = Dataset {
            texts: (0..100).map(|i| i.to_string()).collect(),
            labels,
            label_set: LabelSet::from_names(vec!["a".into(), "b".into()]),
        };
        let (t, v) = stratified_split(&data, &[12, 3], 7);
        assert_eq!(t.len() + v.len(), 100);
        assert_eq!(v.iter().filter(|&&i| data.labels[i] == 0).count(), 12);
        assert_eq!(v.iter().filter(|&&i| data.labels[i] == 1).count(), 3);
        assert_eq!(stratified_split(&data, &[12, 3], 7), (t.clone(), v.clone()));
        assert_ne!(stratified_split(&data, &[12, 3], 8).1, v);
        // A class never gives its last example.
        assert_eq!(stratified_split(&data, &[0, 50], 7).1.len(), 19);
    }
}
