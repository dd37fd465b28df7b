//! Training pairs for few-shot classification (SetFit's recipe): from a handful of labelled
//! examples, many pairs — two texts of one class ("similar", target 1) and two of different
//! classes ("dissimilar", target 0) — on which the encoder learns to put a class's texts together.
//! 16 examples give 120 distinct pairs, and 640 pairs drawn from them at the default 20
//! iterations; that is what lets 8 examples a class move a 22M-parameter encoder.

use crate::rng::SplitMix64;

/// One training pair: two example indices and the cosine similarity their embeddings should have.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelledPair {
    pub a: usize,
    pub b: usize,
    pub target: f32,
}

/// SetFit's default number of iterations: each a positive and a negative pair for every example.
pub const DEFAULT_ITERATIONS: usize = 20;

/// Pairs for `labels` (one class index per example): `iterations` rounds, in each of which every
/// example is paired once with another example of its class and once with an example of another
/// class, partners drawn with `seed`. An example is never paired with itself. Positive and negative
/// pairs are as many: an example alone in its class has no partner for a positive pair, so an
/// example of a class with several takes its place. The pairs come shuffled.
///
/// Empty when no class has two examples or there is only one class (nothing to contrast):
/// the caller refuses such a set with the reason.
pub fn fewshot_pairs(labels: &[usize], iterations: usize, seed: u64) -> Vec<LabelledPair> {
    let classes = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &c) in labels.iter().enumerate() {
        members[c].push(i);
    }
    let with_classmates: Vec<usize> = (0..labels.len())
        .filter(|&i| members[labels[i]].len() >= 2)
        .collect();
    let populated = members.iter().filter(|m| !m.is_empty()).count();
    if with_classmates.is_empty() || populated < 2 {
        return Vec::new();
    }
    let mut rng = SplitMix64::new(seed ^ 0x50_4149_5253);
    // Another member of `i`'s class (the class has at least two).
    let classmate = |i: usize, rng: &mut SplitMix64| {
        let m = &members[labels[i]];
        let j = m[rng.below(m.len() - 1)];
        // Drawing from the class less one slot and skipping `i` keeps the draw uniform.
        if j == i { m[m.len() - 1] } else { j }
    };
    // An example of another class: draws over all examples until one is outside `i`'s class
    // (at least one is, since two classes are populated).
    let stranger = |i: usize, rng: &mut SplitMix64| loop {
        let j = rng.below(labels.len());
        if labels[j] != labels[i] {
            return j;
        }
    };
    let mut pairs = Vec::with_capacity(2 * iterations * labels.len());
    for _ in 0..iterations {
        let mut positives = 0usize;
        for i in 0..labels.len() {
            if members[labels[i]].len() >= 2 {
                let j = classmate(i, &mut rng);
                pairs.push(LabelledPair {
                    a: i,
                    b: j,
                    target: 1.0,
                });
                positives += 1;
            }
            let j = stranger(i, &mut rng);
            pairs.push(LabelledPair {
                a: i,
                b: j,
                target: 0.0,
            });
        }
        // Balance: singletons gave a negative each and no positive.
        for _ in positives..labels.len() {
            let i = with_classmates[rng.below(with_classmates.len())];
            let j = classmate(i, &mut rng);
            pairs.push(LabelledPair {
                a: i,
                b: j,
                target: 1.0,
            });
        }
    }
    rng.shuffle(&mut pairs);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(pairs: &[LabelledPair], target: f32) -> usize {
        pairs.iter().filter(|p| p.target == target).count()
    }

    #[test]
    fn balanced_seeded_and_never_self_paired() {
        let labels = [0, 0, 0, 1, 1, 1, 1, 2, 2];
        let pairs = fewshot_pairs(&labels, 20, 7);
        assert_eq!(pairs.len(), 2 * 20 * labels.len());
        assert_eq!(count(&pairs, 1.0), count(&pairs, 0.0));
        for p in &pairs {
            assert_ne!(p.a, p.b);
            assert_eq!(labels[p.a] == labels[p.b], p.target == 1.0, "{p:?}");
        }
        assert_eq!(pairs, fewshot_pairs(&labels, 20, 7));
        assert_ne!(pairs, fewshot_pairs(&labels, 20, 8));
        // Every example appears as the first text of one positive and one negative per round.
        for i in 0..labels.len() {
            let n = pairs.iter().filter(|p| p.a == i).count();
            assert_eq!(n, 40, "example {i}");
        }
        // Partners are spread: each of example 0's two classmates is drawn.
        let partners: std::collections::BTreeSet<usize> = pairs
            .iter()
            .filter(|p| p.a == 0 && p.target == 1.0)
            .map(|p| p.b)
            .collect();
        assert_eq!(partners.into_iter().collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn a_class_of_one_gets_negatives_and_the_balance_holds() {
        // Class 2 has one example (index 4).
        let labels = [0, 0, 1, 1, 2];
        let pairs = fewshot_pairs(&labels, 10, 0);
        assert_eq!(count(&pairs, 1.0), count(&pairs, 0.0));
        assert!(pairs.iter().any(|p| p.a == 4 && p.target == 0.0));
        assert!(
            !pairs
                .iter()
                .any(|p| (p.a == 4 || p.b == 4) && p.target == 1.0)
        );
        for p in &pairs {
            assert_ne!(p.a, p.b);
        }
    }

    #[test]
    fn nothing_to_contrast_gives_no_pairs() {
        assert!(fewshot_pairs(&[0, 0, 0], 20, 0).is_empty(), "one class");
        assert!(
            fewshot_pairs(&[0, 1, 2], 20, 0).is_empty(),
            "all singletons"
        );
        assert!(fewshot_pairs(&[], 20, 0).is_empty());
    }
}
