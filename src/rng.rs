//! A small seeded generator (SplitMix64) for shuffling and splitting: the same seed gives the
//! same order natively and in wasm, whatever the platform's `rand` does.

#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// The generator's whole state: [`SplitMix64::from_state`] continues the same sequence (a
    /// checkpoint keeps it).
    pub fn state(&self) -> u64 {
        self.0
    }

    pub fn from_state(state: u64) -> Self {
        SplitMix64(state)
    }

    /// Moves past the next `draws` values at once (the state advances by a constant a draw).
    pub fn skip(&mut self, draws: u64) {
        self.0 = self
            .0
            .wrapping_add(0x9E37_79B9_7F4A_7C15u64.wrapping_mul(draws));
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), without modulo bias worth caring about for n < 2^32.
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn skipping_draws_lands_where_drawing_them_does() {
        for k in [0u64, 1, 2, 7, 1000] {
            let (mut drawn, mut skipped) = (SplitMix64::new(42), SplitMix64::new(42));
            for _ in 0..k {
                drawn.next_u64();
            }
            skipped.skip(k);
            assert_eq!(drawn.next_u64(), skipped.next_u64(), "k = {k}");
        }
    }
}
