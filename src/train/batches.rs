//! Seeded, length-bucketed training batches: shuffle, then sort by length inside windows of
//! many batches, so a batch holds texts of similar length (little padding) while the order
//! stays random from epoch to epoch.

use crate::rng::SplitMix64;

/// Batches per sorting window: large enough to group lengths well, small enough to keep the
/// epoch's order random. Measured on SST-2 `last2` (held-out part of train-2000, seeds 0-2):
/// 50 gives 81.1 % at 7.4 s/epoch, 8 gives 80.6 % at 7.5 s, unsorted batches ~81 % at 15-17 s.
const WINDOW_BATCHES: usize = 50;

/// Batches of indices `0..lengths.len()` for one epoch; every index appears exactly once.
pub fn epoch_batches(
    lengths: &[usize],
    batch_size: usize,
    seed: u64,
    epoch: usize,
) -> Vec<Vec<usize>> {
    let batch_size = batch_size.max(1);
    let mut rng = SplitMix64::new(seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64));
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    rng.shuffle(&mut order);
    let mut batches: Vec<Vec<usize>> = Vec::new();
    for window in order.chunks_mut(batch_size * WINDOW_BATCHES) {
        window.sort_by_key(|&i| lengths[i]);
        batches.extend(window.chunks(batch_size).map(<[usize]>::to_vec));
    }
    rng.shuffle(&mut batches);
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_everything_once_deterministically_and_pads_less() {
        let lengths: Vec<usize> = (0..1000).map(|i| 3 + (i * 37) % 60).collect();
        let a = epoch_batches(&lengths, 32, 0, 0);
        let mut all: Vec<usize> = a.iter().flatten().copied().collect();
        all.sort();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        assert_eq!(a, epoch_batches(&lengths, 32, 0, 0));
        assert_ne!(a, epoch_batches(&lengths, 32, 0, 1));
        let padded: usize = a
            .iter()
            .map(|b| b.len() * b.iter().map(|&i| lengths[i]).max().unwrap())
            .sum();
        let real: usize = lengths.iter().sum();
        assert!(
            (padded as f64) < 1.15 * real as f64,
            "padding overhead {padded} vs {real}"
        );
    }
}
