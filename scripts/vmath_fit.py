#!/usr/bin/env python3
"""Re-derives the polynomials of third_party/burn-flex/src/vmath.rs (webtune's vectorisable exp
and erf for f32) and their worst error, evaluated as the Rust code evaluates them: every
operation rounded to f32, no fused multiply-add.

    target/ref-venv/bin/python scripts/vmath_fit.py     # needs mpmath (torch's venv has it)

Prints each coefficient list (highest degree first, as vmath.rs holds them) and the largest
distance in ulps from the correctly rounded exp / erf over dense grids. The Rust tests
(`cargo test -p burn-flex vmath`) check the same bounds against f64 arithmetic.
"""
import math
import random
import struct

import mpmath as mp

mp.mp.dps = 40


def f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def bits(x):
    return struct.unpack("i", struct.pack("f", x))[0]


def ulps(a, b):
    return abs(bits(a) - bits(b))


def horner(cs, t):
    acc = cs[0]
    for c in cs[1:]:
        acc = f32(f32(acc * t) + c)
    return acc


# exp: x = n ln2 + r, |r| <= ln2/2, e^r = 1 + r + r^2 q(r).
half_ln2 = math.log(2) / 2
exp_q = [f32(c) for c in mp.chebyfit(
    lambda r: (mp.exp(r) - 1 - r) / (r * r) if r != 0 else mp.mpf(1) / 2, [-half_ln2, half_ln2], 6)]
LOG2E, LN2_HI, LN2_LO, MAGIC = f32(1.4426950408889634), f32(0.693359375), f32(-2.12194440e-4), f32(12582912.0)


def exp32(x):
    xc = min(max(x, -104.0), 89.0)
    k = f32(f32(xc * LOG2E) + MAGIC)
    n = f32(k - MAGIC)
    r = f32(f32(xc - f32(n * LN2_HI)) - f32(n * LN2_LO))
    e = f32(f32(f32(f32(horner(exp_q, r) * r) * r) + r) + 1.0)
    n = int(n)
    n1 = n >> 1
    return f32(f32(e * 2.0 ** n1) * 2.0 ** (n - n1))


# erf: |x| < 1: x P(x^2); 1 <= |x| < 4: 1 - e^(-x^2) Q(1/x); from 4: 1.
erf_p = [f32(c) for c in mp.chebyfit(
    lambda z: mp.erf(mp.sqrt(z)) / mp.sqrt(z) if z > 0 else 2 / mp.sqrt(mp.pi), [0, 1], 8)]
erfc_q = [f32(c) for c in mp.chebyfit(lambda u: mp.erfc(1 / u) * mp.exp(1 / (u * u)), [0.25, 1], 10)]


def erf32(x):
    a = abs(x)
    if a >= 4.0:
        return math.copysign(1.0, x)
    if a < 1.0:
        y = f32(a * horner(erf_p, f32(a * a)))
    else:
        y = f32(1.0 - f32(exp32(f32(-f32(a * a))) * horner(erfc_q, f32(1.0 / a))))
    return math.copysign(y, x)


random.seed(0)
worst_exp = max(
    ulps(exp32(x), f32(mp.exp(x)))
    for x in (f32(random.uniform(-87.3, 88.7)) for _ in range(100_000)))
worst_erf = max(
    ulps(erf32(x), f32(mp.erf(x)))
    for x in [f32(i * 4.2 / 50_000) for i in range(1, 50_000)] + [f32(10.0 ** -k) for k in range(1, 30)])
print("EXP_POLY", [repr(c) for c in exp_q])
print("ERF_SMALL", [repr(c) for c in erf_p])
print("ERFC_LARGE", [repr(c) for c in erfc_q])
print(f"exp: worst {worst_exp} ulp over [-87.3, 88.7]; erf: worst {worst_erf} ulp over (0, 4.2]")
