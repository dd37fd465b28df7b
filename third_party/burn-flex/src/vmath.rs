//! exp and erf for f32 in a form the compiler vectorises (webtune's patch to burn-flex 0.22.1).
//!
//! The published crate computes `exp` and `erf` (and GELU and its backward, made of them) with
//! libm's scalar `expf`/`erff`, one call per element: in a BERT training step on the CPU these
//! were about 12 % of the time on the pool's threads, more than every other element-wise kernel
//! together. Here both are straight-line f32 arithmetic (no branch, no table, no call), so a
//! loop over a slice becomes SIMD code: 8 lanes with AVX2 (chosen at run time on x86_64), 4 with
//! wasm's simd128, SSE2's 4 otherwise.
//!
//! Accuracy (against 40-digit mpmath by `scripts/vmath_fit.py`, against f64 by webtune's
//! `tests/training.rs`):
//! [`exp_f32`] within 1 ulp of the correctly rounded result for normal results (results below
//! f32's smallest normal, 1.2e-38, may differ from libm's subnormals), [`erf_f32`] within 3 ulp.
//! Neither uses a fused multiply-add, so every lane, every ISA and the scalar tail give the same
//! bits: results do not depend on the machine, the slice's alignment or the pool's pieces.
//!
//! The polynomials were fitted with mpmath's `chebyfit` (exp: (e^r - 1 - r)/r² on
//! [-ln2/2, ln2/2]; erf: erf(x)/x in x² on [0, 1], and erfc(x)·e^(x²) in 1/x on [1, 4]) and
//! rounded to f32; webtune's `scripts/vmath_fit.py` re-derives them and their error.

#![allow(clippy::excessive_precision)]

use core::mem::MaybeUninit;

const LOG2E: f32 = core::f32::consts::LOG2_E;
/// ln 2 split in two: `LN2_HI` has few significant bits, so `n * LN2_HI` is exact for the
/// exponents that occur, and `LN2_HI + LN2_LO` is ln 2 to f32's precision squared.
const LN2_HI: f32 = 0.693_359_375;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 · 2^23: adding it rounds an f32 of magnitude below 2^22 to an integer (to nearest), and
/// the integer is then in the low bits of the sum.
const ROUND_MAGIC: f32 = 12_582_912.0;
/// (e^r - 1 - r) / r² on [-ln2/2, ln2/2], highest degree first.
const EXP_POLY: [f32; 6] = [
    0.00019890980911441147,
    0.0013933641603216529,
    0.00833331048488617,
    0.04166646674275398,
    0.1666666716337204,
    0.5,
];
/// erf(x)/x as a polynomial in x² on |x| ≤ 1, highest degree first.
const ERF_SMALL: [f32; 8] = [
    -9.667044650996104e-06,
    0.00011265958892181516,
    -0.0008484080317430198,
    0.005221031606197357,
    -0.026865430176258087,
    0.11283782124519348,
    -0.37612637877464294,
    1.128379225730896,
];
/// erfc(x)·e^(x²) as a polynomial in 1/x on 1 ≤ x ≤ 4, highest degree first.
const ERFC_LARGE: [f32; 10] = [
    0.025032542645931244,
    -0.14789845049381256,
    0.3608618676662445,
    -0.4298337399959564,
    0.14547735452651978,
    0.28258979320526123,
    -0.39485958218574524,
    0.024847520515322685,
    0.5612146258354187,
    0.0001516556803835556,
];
/// From here on erf(x) rounds to 1 in f32 (erfc(4) = 1.5e-8, a quarter of 1.0's ulp below it).
const ERF_ONE_FROM: f32 = 4.0;

#[inline(always)]
fn horner<const N: usize>(coefficients: &[f32; N], t: f32) -> f32 {
    let mut acc = coefficients[0];
    for &c in &coefficients[1..] {
        acc = acc * t + c;
    }
    acc
}

/// e^x for f32: 1 ulp, NaN for NaN, 0 below -104, infinity above ln(f32::MAX).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    // Clamped so that the exponent arithmetic below cannot overflow; outside, the result is
    // 0 or infinity anyway (the clamp's bounds still underflow/overflow). `max`/`min` would
    // turn a NaN into a bound: a NaN input is given back at the end.
    let xc = clamp_finite(x, -104.0, 89.0);
    let k = xc * LOG2E + ROUND_MAGIC;
    let n = k - ROUND_MAGIC;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    let e = horner(&EXP_POLY, r) * r * r + r + 1.0;
    // 2^n as two factors 2^(n/2) and 2^(n - n/2), each a normal f32 for |n| ≤ 150, so the
    // result under- and overflows (to subnormals, 0 or infinity) only in the last product.
    let n = (k.to_bits() as i32).wrapping_sub(ROUND_MAGIC.to_bits() as i32);
    let n1 = n >> 1;
    let n2 = n - n1;
    let s1 = f32::from_bits(((n1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((n2 + 127) as u32) << 23);
    let y = e * s1 * s2;
    if x.is_nan() { x } else { y }
}

/// erf(x) for f32: within 3 ulp, exactly ±1 from |x| = 4, NaN for NaN.
#[inline(always)]
pub fn erf_f32(x: f32) -> f32 {
    let a = x.abs();
    // |x| < 1: x·P(x²). Both branches are computed and one selected, so that the loop has no
    // branch to stop it vectorising.
    let small = a * horner(&ERF_SMALL, a * a);
    // 1 ≤ |x| < 4: 1 - e^(-x²)·Q(1/x).
    let b = clamp_finite(a, 1.0, ERF_ONE_FROM);
    let large = 1.0 - exp_f32(-(b * b)) * horner(&ERFC_LARGE, 1.0 / b);
    let large = if a >= ERF_ONE_FROM { 1.0 } else { large };
    let y = if a < 1.0 { small } else { large };
    // |y| with x's sign; a NaN given back (the clamp made `large` finite).
    let y = f32::from_bits(y.to_bits() | (x.to_bits() & 0x8000_0000));
    if x.is_nan() { x } else { y }
}

/// GELU (the exact, erf form): x·Φ(x) = 0.5·x·(1 + erf(x/√2)).
#[inline(always)]
pub fn gelu_f32(x: f32) -> f32 {
    0.5 * x * (1.0 + erf_f32(x / core::f32::consts::SQRT_2))
}

/// GELU's derivative times the incoming gradient: g·(Φ(x) + x·φ(x)).
#[inline(always)]
pub fn gelu_backward_f32(x: f32, g: f32) -> f32 {
    const INV_SQRT_2PI: f32 = 0.398_942_280_401_432_7;
    let cdf = 0.5 * (1.0 + erf_f32(x / core::f32::consts::SQRT_2));
    let pdf = INV_SQRT_2PI * exp_f32(-0.5 * x * x);
    g * (cdf + x * pdf)
}

/// `min(max(x, lo), hi)` for a finite `x`; a NaN comes out as `lo` (callers restore it).
#[inline(always)]
fn clamp_finite(x: f32, lo: f32, hi: f32) -> f32 {
    let x = if x > lo { x } else { lo };
    if x < hi { x } else { hi }
}

/// `data[i] = f(data[i])`, vectorised (see the module's doc). `f` is one of this module's
/// functions or a closure over them: it is inlined into a copy of the loop compiled for AVX2
/// (when the CPU has it; x86_64 with std to ask) and into a portable one, and as the arithmetic
/// has no FMA both copies give the same bits.
#[inline]
pub fn map_in_place<F: Fn(f32) -> f32>(data: &mut [f32], f: F) {
    #[inline(always)]
    fn portable<F: Fn(f32) -> f32>(data: &mut [f32], f: F) {
        for x in data.iter_mut() {
            *x = f(*x);
        }
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<F: Fn(f32) -> f32>(data: &mut [f32], f: F) {
            portable(data, f)
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { avx2(data, f) };
            return;
        }
    }
    portable(data, f)
}

/// `out[i] = f(src[i])` into uninitialised memory (every element written), vectorised as
/// [`map_in_place`].
#[inline]
pub fn map_into<F: Fn(f32) -> f32>(src: &[f32], out: &mut [MaybeUninit<f32>], f: F) {
    #[inline(always)]
    fn portable<F: Fn(f32) -> f32>(src: &[f32], out: &mut [MaybeUninit<f32>], f: F) {
        for (o, &x) in out.iter_mut().zip(src) {
            o.write(f(x));
        }
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<F: Fn(f32) -> f32>(src: &[f32], out: &mut [MaybeUninit<f32>], f: F) {
            portable(src, out, f)
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { avx2(src, out, f) };
            return;
        }
    }
    portable(src, out, f)
}

/// `out[i] = f(a[i], b[i])` into uninitialised memory, vectorised as [`map_in_place`] (GELU's
/// backward).
#[inline]
pub fn zip_into<F: Fn(f32, f32) -> f32>(a: &[f32], b: &[f32], out: &mut [MaybeUninit<f32>], f: F) {
    #[inline(always)]
    fn portable<F: Fn(f32, f32) -> f32>(a: &[f32], b: &[f32], out: &mut [MaybeUninit<f32>], f: F) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            o.write(f(x, y));
        }
    }
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<F: Fn(f32, f32) -> f32>(
            a: &[f32],
            b: &[f32],
            out: &mut [MaybeUninit<f32>],
            f: F,
        ) {
            portable(a, b, out, f)
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { avx2(a, b, out, f) };
            return;
        }
    }
    portable(a, b, out, f)
}
