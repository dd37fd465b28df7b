//! The CPU backend's kernels, timed: where splitting element-wise work across the rayon pool
//! starts to pay (the default of `burn_flex::parallel::min_len`), and what the matrix products of
//! a training step reach.
//!
//!   cargo bench --bench flex_kernels                 # both tables
//!   cargo bench --bench flex_kernels -- threshold    # element-wise kernels only
//!   cargo bench --bench flex_kernels -- matmul       # the matmuls of a `last2` step only
//!
//! Threshold table: each kernel at each size, on the calling thread (`set_min_len(usize::MAX)`,
//! the published crate's path) and split across the pool (`set_min_len(1)`), the median of
//! seven timings of enough repetitions to fill 20 ms; the ratio is split / one thread. Matmul
//! table: the shapes of a step of batch 32 at 24 tokens (MiniLM: hidden 384, 12 heads, FFN 1536)
//! in GFLOP/s; `scripts/matmul_reference.py` times the same shapes in PyTorch.

use std::hint::black_box;
use std::time::{Duration, Instant};

use burn::prelude::*;
use burn::tensor::Distribution;
use burn_flex::parallel;

/// Seconds per call of `f`: the median of seven timings, each of enough calls to fill 20 ms.
fn time(mut f: impl FnMut()) -> f64 {
    f();
    let mut reps = 1usize;
    loop {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        if t.elapsed() >= Duration::from_millis(20) {
            break;
        }
        reps *= 2;
    }
    let mut samples: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[3]
}

fn threshold(device: &Device) {
    type Kernel = fn(&Tensor<2>, &Tensor<2>, &Tensor<1>) -> Tensor<2>;
    let kernels: [(&str, Kernel); 7] = [
        ("erf", |x, _, _| x.clone().erf()),
        ("exp", |x, _, _| x.clone().exp()),
        ("mul_scalar", |x, _, _| x.clone().mul_scalar(1.0001)),
        ("add", |x, y, _| x.clone() + y.clone()),
        ("mul", |x, y, _| x.clone() * y.clone()),
        ("add row [384]", |x, _, b| x.clone() + b.clone().unsqueeze()),
        ("div column [r, 1]", |x, y, _| {
            x.clone() / y.clone().slice([0..x.dims()[0], 0..1])
        }),
    ];
    let sizes = [4usize, 8, 16, 32, 64, 128, 256, 1024];
    print!("{:<18}", "kernel \\ Ki elems");
    for s in sizes {
        print!("{s:>8}");
    }
    println!("   (split time / one-thread time)");
    let only = std::env::var("KERNEL").ok();
    for (name, kernel) in kernels {
        if only.as_deref().is_some_and(|k| k != name) {
            continue;
        }
        print!("{name:<18}");
        for s in sizes {
            let rows = s * 1024 / 384;
            let x = Tensor::<2>::random([rows, 384], Distribution::Uniform(0.5, 1.5), device);
            let y = Tensor::<2>::random([rows, 384], Distribution::Uniform(0.5, 1.5), device);
            let b = Tensor::<1>::random([384], Distribution::Uniform(0.5, 1.5), device);
            parallel::set_min_len(usize::MAX);
            let one = time(|| drop(black_box(kernel(&x, &y, &b))));
            parallel::set_min_len(1);
            let split = time(|| drop(black_box(kernel(&x, &y, &b))));
            if std::env::var_os("MICROS").is_some() {
                print!("{:>8.0}/{:<6.0}", one * 1e6, split * 1e6);
            } else {
                print!("{:>8.2}", split / one);
            }
        }
        println!();
    }
    parallel::set_min_lens(parallel::DEFAULT_MIN_LEN, parallel::DEFAULT_MIN_LEN_IN_POOL);
}

fn matmul(device: &Device) {
    let (batch, seq, hidden, heads, ffn) = (32usize, 24usize, 384usize, 12usize, 1536usize);
    let tokens = batch * seq;
    let head = hidden / heads;
    // (name, lhs, rhs, lhs is a transposed view): the forward's products, and the backward's
    // (a weight's gradient is the input's transpose times the output's gradient).
    let shapes: [(&str, [usize; 3], [usize; 3], bool); 7] = [
        (
            "Q/K/V/O projection",
            [1, tokens, hidden],
            [1, hidden, hidden],
            false,
        ),
        ("FFN in", [1, tokens, hidden], [1, hidden, ffn], false),
        ("FFN out", [1, tokens, ffn], [1, ffn, hidden], false),
        (
            "FFN in, weight grad",
            [1, hidden, tokens],
            [1, tokens, ffn],
            true,
        ),
        (
            "FFN out, weight grad",
            [1, ffn, tokens],
            [1, tokens, hidden],
            true,
        ),
        (
            "attention scores",
            [batch * heads, seq, head],
            [batch * heads, head, seq],
            false,
        ),
        (
            "attention context",
            [batch * heads, seq, seq],
            [batch * heads, seq, head],
            false,
        ),
    ];
    println!(
        "{:<22} {:>16} {:>16} {:>9}",
        "matmul", "lhs", "rhs", "GFLOP/s"
    );
    for (name, l, r, transposed) in shapes {
        let a = if transposed {
            Tensor::<3>::random([l[0], l[2], l[1]], Distribution::Default, device).swap_dims(1, 2)
        } else {
            Tensor::<3>::random(l, Distribution::Default, device)
        };
        let b = Tensor::<3>::random(r, Distribution::Default, device);
        let flops = 2.0 * (l[0] * l[1] * l[2] * r[2]) as f64;
        let s = time(|| drop(black_box(a.clone().matmul(b.clone()))));
        println!(
            "{name:<22} {:>16} {:>16} {:>9.1}",
            format!("{l:?}"),
            format!("{r:?}"),
            flops / s / 1e9
        );
    }
}

fn main() {
    if std::env::var_os("INSTALL").is_some() {
        let pool = rayon::ThreadPoolBuilder::new().build().unwrap();
        return pool.install(run);
    }
    run()
}

fn run() {
    let device = Device::flex();
    let which: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let all = which.is_empty();
    println!("rayon threads: {}", rayon::current_num_threads());
    if all || which.iter().any(|w| w == "threshold") {
        threshold(&device);
    }
    if all || which.iter().any(|w| w == "matmul") {
        matmul(&device);
    }
}
