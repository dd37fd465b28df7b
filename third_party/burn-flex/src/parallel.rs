//! Element-wise kernels on the rayon pool (webtune's patch to burn-flex 0.22.1).
//!
//! The published crate runs its element-wise kernels on one thread: the SIMD add/sub/mul/div and
//! the masks below 4 Mi elements, unary math (exp, erf, sqrt, ...), ops with a scalar, broadcast
//! binary ops and most copies at any size. A transformer's training step is made of such ops on
//! tensors of 10^4 to 10^6 elements, so about half of it ran on one core.
//!
//! Here a kernel whose work is at least [`min_len`] units is cut into contiguous pieces of its
//! output, one rayon task each, and every piece runs the sequential loop of the published crate
//! on its part. A unit is one element of element-wise arithmetic ([`ARITHMETIC`]); an element of
//! exp, erf, log, ... counts [`TRANSCENDENTAL`] units, a row reduced counts its length. No
//! output element depends on another's computation (a row's sum stays one sequential sum), so
//! the results are bit for bit those of the single-threaded path, whatever the number of
//! threads: only which thread computes an element changes. Below the threshold, and with
//! [`set_min_len`]`(usize::MAX)`, the published code runs as it was.

use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicUsize, Ordering};

use alloc::vec::Vec;

#[cfg(feature = "rayon")]
use rayon::prelude::*;

/// The default of [`min_len`] on a thread outside the pool: the least work, in units of
/// [`ARITHMETIC`], that pays for handing pieces to the pool (the caller sleeps until the pool's
/// threads wake and finish: 10-15 µs natively). Measured with webtune's
/// `cargo bench --bench flex_kernels` (each kernel at 4 Ki to 1 Mi elements).
pub const DEFAULT_MIN_LEN: usize = 128 * 1024;

/// The default of [`min_len`] on a thread of the pool (code run under `ThreadPool::install`):
/// the caller computes pieces itself while the others steal the rest, nothing sleeps, so much
/// smaller kernels pay (`INSTALL=1 cargo bench --bench flex_kernels`).
pub const DEFAULT_MIN_LEN_IN_POOL: usize = 32 * 1024;

/// The cost of one element of element-wise arithmetic (add, mul, a scalar op, a select, a copy):
/// the unit of [`min_len`].
pub const ARITHMETIC: usize = 1;

/// The cost of one element of a transcendental function (exp, erf, log, tanh, sqrt, ...) in
/// units of [`ARITHMETIC`]: libm's scalar `erff` and `expf` take 10-30 times an add's time, so
/// such kernels pay for the pool from a few thousand elements.
pub const TRANSCENDENTAL: usize = 8;

/// Pieces are at least this long (and a multiple of [`ALIGN`]): below it a task costs more to
/// hand out than its work.
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
const MIN_PIECE: usize = 4 * 1024;

/// Pieces start on a multiple of this many elements: whole cache lines and SIMD lanes.
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
const ALIGN: usize = 64;

static MIN_LEN: AtomicUsize = AtomicUsize::new(DEFAULT_MIN_LEN);
static MIN_LEN_IN_POOL: AtomicUsize = AtomicUsize::new(DEFAULT_MIN_LEN_IN_POOL);

/// Sets the least work, in units of [`ARITHMETIC`], of a kernel split across the rayon pool, on
/// threads outside the pool and on the pool's own threads alike; `usize::MAX` keeps every kernel
/// on the calling thread, as the published crate did.
pub fn set_min_len(units: usize) {
    set_min_lens(units, units);
}

/// Sets the least work of a split kernel on threads outside the pool and on the pool's own.
pub fn set_min_lens(outside: usize, in_pool: usize) {
    MIN_LEN.store(outside.max(1), Ordering::Relaxed);
    MIN_LEN_IN_POOL.store(in_pool.max(1), Ordering::Relaxed);
}

/// The least work, in units of [`ARITHMETIC`], of a kernel split across the rayon pool when
/// called from this thread.
pub fn min_len() -> usize {
    #[cfg(feature = "rayon")]
    if rayon::current_thread_index().is_some() {
        return MIN_LEN_IN_POOL.load(Ordering::Relaxed);
    }
    MIN_LEN.load(Ordering::Relaxed)
}

/// Whether a kernel over `len` elements of `cost` units each is split across the pool.
#[inline]
pub fn split(len: usize, cost: usize) -> bool {
    #[cfg(feature = "rayon")]
    {
        len.saturating_mul(cost) >= min_len() && rayon::current_num_threads() > 1
    }
    #[cfg(not(feature = "rayon"))]
    {
        let _ = (len, cost);
        false
    }
}

/// The length, in elements, of each piece of a split kernel over `len` elements of `cost` units
/// each: about four pieces a thread (rayon's work stealing evens them out), at least
/// [`MIN_PIECE`] units, a multiple of [`ALIGN`] elements when a piece holds more than that.
#[cfg(feature = "rayon")]
fn piece_len(len: usize, cost: usize) -> usize {
    let pieces = rayon::current_num_threads() * 4;
    let elements = len.div_ceil(pieces).max(MIN_PIECE.div_ceil(cost.max(1)));
    if elements > ALIGN {
        elements.next_multiple_of(ALIGN)
    } else {
        elements.max(1)
    }
}

/// Calls `f(start, piece)` on pieces of `data` covering it (`start`: the piece's first index),
/// on the pool when [`split`]`(data.len(), cost)` says so, else once on the whole of it. Public
/// for host code that fills a buffer element-wise (webtune's dropout masks) with the same rule.
#[inline]
pub fn for_each_piece_mut<E, F>(data: &mut [E], cost: usize, f: F)
where
    E: Send,
    F: Fn(usize, &mut [E]) + Sync + Send,
{
    #[cfg(not(feature = "rayon"))]
    let _ = cost;
    #[cfg(feature = "rayon")]
    if split(data.len(), cost) {
        let piece = piece_len(data.len(), cost);
        data.par_chunks_mut(piece)
            .enumerate()
            .for_each(|(i, chunk)| f(i * piece, chunk));
        return;
    }
    f(0, data)
}

/// Calls `f(dst_piece, src_piece)` on matching pieces of `dst` and `src` (of equal length), on
/// the pool when [`split`]`(dst.len(), cost)` says so, else once on the whole of them.
#[inline]
pub(crate) fn zip_pieces_mut<D, S, F>(dst: &mut [D], src: &[S], cost: usize, f: F)
where
    D: Send,
    S: Sync,
    F: Fn(&mut [D], &[S]) + Sync + Send,
{
    debug_assert_eq!(dst.len(), src.len());
    #[cfg(not(feature = "rayon"))]
    let _ = cost;
    #[cfg(feature = "rayon")]
    if split(dst.len(), cost) {
        let piece = piece_len(dst.len(), cost);
        dst.par_chunks_mut(piece)
            .zip(src.par_chunks(piece))
            .for_each(|(d, s)| f(d, s));
        return;
    }
    f(dst, src)
}

/// A new vector of `len` elements of `cost` units each, written in pieces on the pool:
/// `f(start, piece)` must write every element of `piece`, which holds the output's elements
/// `start..start + piece.len()`. Callers use it where [`split`] said yes; without the `rayon`
/// feature it runs as one piece.
pub(crate) fn collect_pieces<E, F>(len: usize, cost: usize, f: F) -> Vec<E>
where
    E: Send,
    F: Fn(usize, &mut [MaybeUninit<E>]) + Sync + Send,
{
    let mut out: Vec<E> = Vec::with_capacity(len);
    let spare = &mut out.spare_capacity_mut()[..len];
    #[cfg(feature = "rayon")]
    {
        let piece = piece_len(len, cost);
        spare
            .par_chunks_mut(piece)
            .enumerate()
            .for_each(|(i, chunk)| f(i * piece, chunk));
    }
    #[cfg(not(feature = "rayon"))]
    {
        let _ = cost;
        f(0, spare);
    }
    // SAFETY: `f` wrote each of the first `len` elements (its contract); if it panicked, the
    // panic left this function before the length was set and `out` drops as empty.
    unsafe { out.set_len(len) };
    out
}

/// `op` over `src` into a new vector, in pieces on the pool (where [`split`] said yes). `op` is
/// copied into each piece, so that what it captures (a scalar) stays in a register: through a
/// reference the compiler must reload it after every store and cannot vectorise the loop.
pub(crate) fn map_collect<S, E, F>(src: &[S], cost: usize, op: F) -> Vec<E>
where
    S: Copy + Sync,
    E: Send,
    F: Fn(S) -> E + Copy + Sync + Send,
{
    collect_pieces(src.len(), cost, |start, out| {
        let op = op;
        let end = start + out.len();
        for (o, &x) in out.iter_mut().zip(&src[start..end]) {
            o.write(op(x));
        }
    })
}

#[cfg(all(test, feature = "rayon"))]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_data_once_in_order() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        pool.install(|| {
            for len in [0, 1, 63, MIN_PIECE * 3 + 7, DEFAULT_MIN_LEN * 5 + 13] {
                for cost in [ARITHMETIC, TRANSCENDENTAL, 384] {
                    let mut data = alloc::vec![0usize; len];
                    for_each_piece_mut(&mut data, cost, |start, piece| {
                        for (i, x) in piece.iter_mut().enumerate() {
                            *x += start + i + 1;
                        }
                    });
                    assert!(
                        data.iter().enumerate().all(|(i, &x)| x == i + 1),
                        "len {len}"
                    );
                    let doubled: Vec<usize> = map_collect(&data, cost, |x| 2 * x);
                    assert!(doubled.iter().enumerate().all(|(i, &x)| x == 2 * (i + 1)));
                }
            }
        });
    }
}
