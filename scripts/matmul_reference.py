#!/usr/bin/env python3
"""The matrix products of a training step timed in PyTorch: the shapes of `cargo bench --bench
flex_kernels -- matmul` (batch 32 at 24 tokens, MiniLM: hidden 384, 12 heads, FFN 1536), the
median of seven timings of enough calls to fill 20 ms, in GFLOP/s, on PyTorch's CPU threads (one a
core, as burn's pool). Run it beside the Rust table, in the same minute: absolute GFLOP/s on a
shared machine drift.

    target/ref-venv/bin/python scripts/matmul_reference.py
"""
import time

import torch

BATCH, SEQ, HIDDEN, HEADS, FFN = 32, 24, 384, 12, 1536
TOKENS, HEAD = BATCH * SEQ, HIDDEN // HEADS
# (name, lhs, rhs, lhs is a transposed view): as in benches/flex_kernels.rs.
SHAPES = [
    ("Q/K/V/O projection", (1, TOKENS, HIDDEN), (1, HIDDEN, HIDDEN), False),
    ("FFN in", (1, TOKENS, HIDDEN), (1, HIDDEN, FFN), False),
    ("FFN out", (1, TOKENS, FFN), (1, FFN, HIDDEN), False),
    ("FFN in, weight grad", (1, HIDDEN, TOKENS), (1, TOKENS, FFN), True),
    ("FFN out, weight grad", (1, FFN, TOKENS), (1, TOKENS, HIDDEN), True),
    ("attention scores", (BATCH * HEADS, SEQ, HEAD), (BATCH * HEADS, HEAD, SEQ), False),
    ("attention context", (BATCH * HEADS, SEQ, SEQ), (BATCH * HEADS, SEQ, HEAD), False),
]


def seconds_per_call(f):
    f()
    reps = 1
    while True:
        t = time.perf_counter()
        for _ in range(reps):
            f()
        if time.perf_counter() - t >= 0.02:
            break
        reps *= 2
    samples = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(reps):
            f()
        samples.append((time.perf_counter() - t) / reps)
    return sorted(samples)[3]


def main():
    print(f"torch {torch.__version__}, threads: {torch.get_num_threads()}")
    print(f"{'matmul':<22} {'lhs':>16} {'rhs':>16} {'GFLOP/s':>9}")
    with torch.no_grad():
        for name, l, r, transposed in SHAPES:
            a = torch.randn(l[0], l[2], l[1]).transpose(1, 2) if transposed else torch.randn(*l)
            b = torch.randn(*r)
            flops = 2.0 * l[0] * l[1] * l[2] * r[2]
            s = seconds_per_call(lambda: torch.bmm(a, b))
            print(f"{name:<22} {str(list(l)):>16} {str(list(r)):>16} {flops / s / 1e9:>9.1f}")


if __name__ == "__main__":
    main()
