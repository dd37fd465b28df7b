//! Stratified, seeded train/validation split.

use crate::rng::SplitMix64;

use super::Dataset;

/// Splits `data` so each class keeps (about) `valid_fraction` of its examples for validation,
/// at least one when it has two or more, and always at least one for training. Deterministic
/// for a given seed. Returns `(train indices, validation indices)`, each sorted.
pub fn stratified_split(
    data: &Dataset,
    valid_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut rng = SplitMix64::new(seed);
    let mut train = Vec::new();
    let mut valid = Vec::new();
    for class in 0..data.label_set.len() {
        let mut members: Vec<usize> = (0..data.len())
            .filter(|&i| data.labels[i] == class)
            .collect();
        rng.shuffle(&mut members);
        let n = members.len();
        let mut k = (n as f64 * valid_fraction).round() as usize;
        if valid_fraction > 0.0 && n >= 2 {
            k = k.max(1);
        }
        k = k.min(n.saturating_sub(1));
        valid.extend_from_slice(&members[..k]);
        train.extend_from_slice(&members[k..]);
    }
    train.sort_unstable();
    valid.sort_unstable();
    (train, valid)
}

/// The training and validation sets of a run: the user's validation set when there is one,
/// else a stratified, seeded split of `full` holding out `valid_fraction` of each class.
pub fn train_valid_sets(
    full: Dataset,
    valid: Option<Dataset>,
    valid_fraction: f64,
    seed: u64,
) -> (Dataset, Dataset) {
    match valid {
        Some(valid) => (full, valid),
        None => {
            let (t, v) = stratified_split(&full, valid_fraction, seed);
            (full.subset(&t), full.subset(&v))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::LabelSet;

    #[test]
    fn keeps_class_proportions_and_is_deterministic() {
        let labels: Vec<usize> = (0..100).map(|i| if i < 80 { 0 } else { 1 }).collect();
        let data = Dataset {
            texts: (0..100).map(|i| i.to_string()).collect(),
            labels,
            label_set: LabelSet::from_names(vec!["a".into(), "b".into()]),
        };
        let (t, v) = stratified_split(&data, 0.15, 7);
        assert_eq!(t.len() + v.len(), 100);
        assert_eq!(v.iter().filter(|&&i| data.labels[i] == 0).count(), 12);
        assert_eq!(v.iter().filter(|&&i| data.labels[i] == 1).count(), 3);
        assert_eq!(stratified_split(&data, 0.15, 7), (t.clone(), v.clone()));
        assert_ne!(stratified_split(&data, 0.15, 8).1, v);
    }
}
