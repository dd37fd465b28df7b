//! How the CLI process runs burn's CPU backend: on its own thread pool, with freed memory kept.
//! Both only change speed, never a result (`tests/training.rs` checks that splitting kernels
//! across threads changes no bit of a run).

/// Runs `f` on a thread of the rayon pool that burn's CPU backend (and gemm) compute on, instead
/// of beside it. From a thread outside the pool, every kernel split across threads sleeps until
/// the pool's threads wake and finish (10-15 µs each, hundreds of times a step); from one of the
/// pool's threads, the caller computes a share itself and nothing sleeps, so smaller kernels pay
/// for splitting too (`burn_flex::parallel::DEFAULT_MIN_LEN_IN_POOL`). The pool has a thread a
/// core, as rayon's global pool would. Measured (`cargo bench --bench flex_kernels`, README
/// "Where the time goes").
pub fn on_the_cpu_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("webtune-cpu-{i}"))
        // The main thread's 8 MiB, not a worker's default 2 MiB: model loading and the
        // autodiff graph recurse.
        .stack_size(8 << 20)
        .build()
    {
        Ok(pool) => pool.install(f),
        // No pool (threads refused by the system): the calling thread and rayon's global pool.
        Err(_) => f(),
    }
}

/// Keeps freed memory in the process instead of handing it back to the system (glibc). A
/// training step frees and allocates the same few hundred megabytes of tensors every time; with
/// glibc's defaults the large ones are unmapped and mapped again, and the kernel zeroes every
/// page of them on first touch: about a quarter of the calling thread's samples in a `last2`
/// step went to page faults (`./scripts/profile`, before this). Memory still stays flat across
/// steps: the same sizes come back every step (`./scripts/bench`'s memory run).
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's allocator thresholds; called before any thread starts.
    unsafe {
        // Allocations up to 256 MiB come from the heap, not their own mapping...
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        // ...and the heap's free top is kept up to 1 GiB.
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}
