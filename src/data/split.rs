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

/// A seeded random split of `n` examples, `n_valid` (at most `n`) to validation. Returns
/// `(train indices, validation indices)`, each sorted.
pub fn random_split(n: usize, n_valid: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    let (mut valid, mut train) = (
        order[..n_valid.min(n)].to_vec(),
        order[n_valid.min(n)..].to_vec(),
    );
    train.sort_unstable();
    valid.sort_unstable();
    (train, valid)
}

/// A seeded train/validation split of multi-label examples (`lists`: each example's labels,
/// indices below `labels`) by iterative stratification (Sechidis, Tsoumakas & Vlahavas, 2011):
/// the rarest label is placed first, each of its examples going to the split that still wants
/// the most of that label, so every label's share in validation stays near `n_valid / n`. A
/// label with at least two examples wants at least one in each split, so it is in both where it
/// can be. Examples without a label fill what each split still wants. Returns `(train indices,
/// validation indices)`, each sorted.
pub fn multi_label_split(
    lists: &[Vec<usize>],
    labels: usize,
    n_valid: usize,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let n = lists.len();
    let share = n_valid.min(n) as f64 / n.max(1) as f64;
    let mut order: Vec<usize> = (0..n).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    let mut with_label: Vec<Vec<usize>> = vec![Vec::new(); labels];
    for &i in &order {
        for &l in &lists[i] {
            with_label[l].push(i);
        }
    }
    // What each split still wants: examples, and examples of each label. [train, valid]
    let mut wanted = [n as f64 * (1.0 - share), n as f64 * share];
    let mut wanted_label: Vec<[f64; 2]> = with_label
        .iter()
        .map(|m| {
            let c = m.len() as f64;
            let v = if m.len() >= 2 && share > 0.0 {
                (c * share).max(1.0)
            } else {
                c * share
            };
            [c - v, v]
        })
        .collect();
    let mut left: Vec<usize> = with_label.iter().map(Vec::len).collect();
    let mut placed: Vec<Option<usize>> = vec![None; n];
    let mut rng = SplitMix64::new(seed ^ 0x5354_5241);
    let place = |i: usize,
                 side: usize,
                 placed: &mut [Option<usize>],
                 wanted: &mut [f64; 2],
                 wanted_label: &mut [[f64; 2]]| {
        placed[i] = Some(side);
        wanted[side] -= 1.0;
        for &l in &lists[i] {
            wanted_label[l][side] -= 1.0;
        }
    };
    // The label with the fewest examples still to place, while there is one.
    while let Some(label) = (0..labels)
        .filter(|&l| left[l] > 0)
        .min_by_key(|&l| (left[l], l))
    {
        for &i in &with_label[label] {
            if placed[i].is_some() {
                continue;
            }
            let [t, v] = wanted_label[label];
            let side = if t != v {
                usize::from(v > t)
            } else if wanted[0] != wanted[1] {
                usize::from(wanted[1] > wanted[0])
            } else {
                (rng.next_u64() & 1) as usize
            };
            place(i, side, &mut placed, &mut wanted, &mut wanted_label);
            for &l in &lists[i] {
                left[l] -= 1;
            }
        }
    }
    for &i in &order {
        if placed[i].is_none() {
            let side = usize::from(wanted[1] > wanted[0]);
            place(i, side, &mut placed, &mut wanted, &mut wanted_label);
        }
    }
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    for (i, side) in placed.into_iter().enumerate() {
        if side == Some(1) {
            valid.push(i);
        } else {
            train.push(i);
        }
    }
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
            pairs: None,
            labels,
            label_set: LabelSet::from_names(vec!["a".into(), "b".into()]),
            targets: crate::data::Targets::Classes,
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

    #[test]
    fn a_multi_label_split_keeps_every_label_in_both_sides() {
        // 200 examples; label 0 on 100, label 1 on 40, label 2 on 2 (both with label 0), label 3
        // on 5; 30 without a label.
        let lists: Vec<Vec<usize>> = (0..200)
            .map(|i| {
                let mut l = Vec::new();
                if i < 100 {
                    l.push(0);
                }
                if (60..100).contains(&i) {
                    l.push(1);
                }
                if i == 3 || i == 4 {
                    l.push(2);
                }
                if (150..155).contains(&i) {
                    l.push(3);
                }
                l
            })
            .collect();
        let (t, v) = multi_label_split(&lists, 4, 40, 7);
        assert_eq!(t.len() + v.len(), 200);
        let mut all: Vec<usize> = t.iter().chain(&v).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..200).collect::<Vec<_>>());
        assert!((38..=42).contains(&v.len()), "{}", v.len());
        let count =
            |side: &[usize], l: usize| side.iter().filter(|&&i| lists[i].contains(&l)).count();
        for l in 0..4 {
            assert!(
                count(&v, l) >= 1 && count(&t, l) >= 1,
                "label {l} on both sides"
            );
        }
        // Shares near 20 %: 20 of label 0, 8 of label 1.
        assert!((19..=21).contains(&count(&v, 0)), "{}", count(&v, 0));
        assert!((7..=9).contains(&count(&v, 1)), "{}", count(&v, 1));
        assert_eq!(multi_label_split(&lists, 4, 40, 7), (t, v.clone()));
        assert_ne!(multi_label_split(&lists, 4, 40, 8).1, v);
    }
}
