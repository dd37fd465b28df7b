//! What a training step costs the GPU, counted while it runs: the kernels it dispatches, the
//! operations burn recorded for them, the bytes webtune moves between host and device, and what
//! the device's memory pool holds.
//!
//! Dispatches come from cubecl's launch observer, which sees every kernel launch on the thread
//! that issues it, natively and in the browser alike. With burn's fusion, the fusion observer also
//! sees each tensor operation as it is recorded: without fusion each of those would be a kernel of
//! its own (a few are several, views are none), so `operations / dispatches` is what fusion
//! saves, read in one build. Bytes are counted where webtune itself uploads ([`upload`]: token
//! ids, masks, targets, cached features) and reads back (`read_f32`); burn's internal copies are
//! not in it.
//!
//! To see *why* a step costs what it does, `WEBTUNE_TRACE_DISPATCHES=1` (native runs) prints each
//! block of operations fusion runs together and the kernels it launched, to stderr
//! (`TRACE=1 ./scripts/bench dispatches` keeps one file per run): an operation alone in a block is
//! a kernel fusion did not merge, and the operation before it is usually why.
//!
//! The counters are process-wide, like the observers: two runs on wgpu at once in one process
//! would share them (the CLI and the page run one at a time).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use burn::prelude::{Device, Tensor};
use burn::tensor::TensorData;
use burn::tensor::kind::Basic;
use serde::{Deserialize, Serialize};

static UPLOADED: AtomicU64 = AtomicU64::new(0);
static DOWNLOADED: AtomicU64 = AtomicU64::new(0);

/// A tensor made from host data on `device`, its bytes counted as sent there: every tensor
/// webtune makes from host data during training goes through here.
pub fn upload<const D: usize, K: Basic>(data: TensorData, device: &Device) -> Tensor<D, K> {
    UPLOADED.fetch_add(data.as_bytes().len() as u64, Ordering::Relaxed);
    Tensor::from_data(data, device)
}

/// Counts `bytes` read back from a device.
pub fn note_download(bytes: usize) {
    DOWNLOADED.fetch_add(bytes as u64, Ordering::Relaxed);
}

/// The process's counts so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Kernels launched (0 where no cubecl runtime ran, e.g. the CPU backend).
    pub dispatches: u64,
    /// Tensor operations burn's fusion recorded (0 without fusion).
    pub operations: u64,
    pub bytes_to_device: u64,
    pub bytes_from_device: u64,
}

/// Launches so far by kernel name (cubecl's full type names).
pub fn dispatches_by_kernel() -> BTreeMap<&'static str, u64> {
    observers::start();
    observers::by_kernel()
}

impl Counts {
    /// The counts since `earlier`.
    pub fn since(self, earlier: Counts) -> Counts {
        Counts {
            dispatches: self.dispatches - earlier.dispatches,
            operations: self.operations - earlier.operations,
            bytes_to_device: self.bytes_to_device - earlier.bytes_to_device,
            bytes_from_device: self.bytes_from_device - earlier.bytes_from_device,
        }
    }
}

/// Reads the counters, starting the observers on first use.
pub fn counts() -> Counts {
    observers::start();
    Counts {
        dispatches: observers::dispatches(),
        operations: observers::operations(),
        bytes_to_device: UPLOADED.load(Ordering::Relaxed),
        bytes_from_device: DOWNLOADED.load(Ordering::Relaxed),
    }
}

/// Whether this build fuses operations on the wgpu path (crate feature `fusion`).
pub const FUSION: bool = cfg!(feature = "fusion");

/// What one training step cost the GPU, averaged over the last epoch's steps, or in a one-epoch
/// run over the steps after the first: the first steps compile kernels and, with fusion, explore
/// which operations to fuse (and natively, autotune times its candidates on each new shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepCost {
    /// Steps averaged.
    pub steps: usize,
    /// Whether burn's fusion was on.
    pub fusion: bool,
    pub dispatches_per_step: f64,
    /// Operations recorded per step; each would be a dispatch without fusion. `None` without it.
    pub operations_per_step: Option<f64>,
    pub bytes_to_device_per_step: f64,
    pub bytes_from_device_per_step: f64,
    /// The most the device's memory pool held (reserved bytes) at the end of a step.
    pub pool_reserved_peak_bytes: Option<u64>,
    /// The kernels dispatched most per step: (short name, dispatches per step), most first.
    pub top_kernels: Vec<(String, f64)>,
}

/// The counters and the launches by kernel at one moment.
#[derive(Debug, Clone)]
struct Snapshot {
    counts: Counts,
    kernels: BTreeMap<&'static str, u64>,
}

impl Snapshot {
    fn now() -> Self {
        Snapshot {
            counts: counts(),
            kernels: dispatches_by_kernel(),
        }
    }
}

/// Measures a run's steps: call [`StepMeter::epoch_starts`] at each epoch's start and
/// [`StepMeter::step_done`] after each step's loss is read.
#[derive(Debug)]
pub struct StepMeter {
    device: Device,
    /// Where the measured steps start: after the first step, then at each epoch's start; `None`
    /// before the first step ends.
    baseline: Option<Snapshot>,
    /// At the end of the last step (validation after it is not a step's cost).
    last: Option<Snapshot>,
    /// Steps since the baseline.
    steps: usize,
    pool_peak: Option<u64>,
}

impl StepMeter {
    pub fn new(device: &Device) -> Self {
        StepMeter {
            device: device.clone(),
            baseline: None,
            last: None,
            steps: 0,
            pool_peak: None,
        }
    }

    /// An epoch starts: from now on only its steps count (once a step has run).
    pub fn epoch_starts(&mut self) {
        if self.baseline.is_some() {
            self.baseline = Some(Snapshot::now());
            self.steps = 0;
        }
    }

    /// A step ended (its loss was read, so its kernels were issued).
    pub fn step_done(&mut self) {
        let now = Snapshot::now();
        if self.baseline.is_none() {
            self.baseline = Some(now.clone());
        } else {
            self.steps += 1;
        }
        self.last = Some(now);
        if let Some(usage) = self.device.memory_pool_usage() {
            self.pool_peak = Some(self.pool_peak.unwrap_or(0).max(usage.bytes_reserved));
        }
    }

    /// The average over the steps since the baseline (the last epoch's, or in a one-epoch run
    /// those after the first); `None` without such a step, or where no kernel was dispatched
    /// (the CPU backend).
    pub fn finish(&self) -> Option<StepCost> {
        let (first, last) = (self.baseline.as_ref()?, self.last.as_ref()?);
        // No step since the baseline (a run stopped as an epoch began): `last` is older than
        // the baseline, nothing to average.
        if self.steps == 0 {
            return None;
        }
        let total = last.counts.since(first.counts);
        if total.dispatches == 0 {
            return None;
        }
        let per = |v: u64| v as f64 / self.steps as f64;
        let mut by_name: BTreeMap<String, u64> = BTreeMap::new();
        for (name, n) in &last.kernels {
            let n = n - first.kernels.get(name).copied().unwrap_or(0);
            if n > 0 {
                *by_name.entry(short_kernel_name(name)).or_default() += n;
            }
        }
        let mut top: Vec<(String, u64)> = by_name.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        top.truncate(12);
        Some(StepCost {
            steps: self.steps,
            fusion: FUSION,
            dispatches_per_step: per(total.dispatches),
            operations_per_step: FUSION.then(|| per(total.operations)),
            bytes_to_device_per_step: per(total.bytes_to_device),
            bytes_from_device_per_step: per(total.bytes_from_device),
            pool_reserved_peak_bytes: self.pool_peak,
            top_kernels: top.into_iter().map(|(k, n)| (k, per(n))).collect(),
        })
    }
}

/// A kernel's type name without module paths or generic arguments:
/// `cubecl_core::x::ElemwiseKernel<f32, R>` → `ElemwiseKernel`.
fn short_kernel_name(name: &str) -> String {
    let base = name.split('<').next().unwrap_or(name);
    base.rsplit("::").next().unwrap_or(base).to_string()
}

/// The observers, installed once for the life of the process (an idle one costs a relaxed atomic
/// load per launch).
#[cfg(feature = "wgpu")]
mod observers {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex, OnceLock};

    use burn::cubecl::logging::{LaunchObservation, LaunchObserver};

    static DISPATCHES: AtomicU64 = AtomicU64::new(0);
    static OPERATIONS: AtomicU64 = AtomicU64::new(0);

    /// Launches by kernel name (a name is a `&'static str` the kernel carries: no allocation).
    static BY_KERNEL: Mutex<BTreeMap<&'static str, u64>> = Mutex::new(BTreeMap::new());

    /// Whether to print the trace (`WEBTUNE_TRACE_DISPATCHES` set natively; never in the
    /// browser, which has no environment).
    fn tracing() -> bool {
        static TRACING: OnceLock<bool> = OnceLock::new();
        *TRACING.get_or_init(|| {
            cfg!(not(target_arch = "wasm32"))
                && std::env::var_os("WEBTUNE_TRACE_DISPATCHES").is_some_and(|v| v != "0")
        })
    }

    struct Launches;
    impl LaunchObserver for Launches {
        fn launched(&self, kernel: &'static str) {
            if tracing() {
                eprintln!("    kernel {}", super::short_kernel_name(kernel));
            }
            DISPATCHES.fetch_add(1, Ordering::Relaxed);
            *BY_KERNEL
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(kernel)
                .or_default() += 1;
        }
    }

    pub fn by_kernel() -> BTreeMap<&'static str, u64> {
        BY_KERNEL.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    #[cfg(feature = "fusion")]
    struct Operations;
    #[cfg(feature = "fusion")]
    impl burn_fusion::observer::FusionObserver for Operations {
        fn registered(&self, _operation: &burn_ir::OperationIr) {
            OPERATIONS.fetch_add(1, Ordering::Relaxed);
        }
        fn block_starts(&self, block: burn_fusion::observer::BlockOperations<'_>) {
            if tracing() {
                let names: Vec<String> = block.iter().map(operation_name).collect();
                eprintln!("block of {}: {}", names.len(), names.join(" "));
            }
        }
        fn block_ran(&self) {}
    }

    /// `NumericFloat(F32, Add(BinaryOpIr { … }))` → `Add`: the innermost variant before the
    /// operation's description.
    #[cfg(feature = "fusion")]
    fn operation_name(op: &burn_ir::OperationIr) -> String {
        let debug = format!("{op:?}");
        let head = debug.split('{').next().unwrap_or(&debug);
        let variants: Vec<&str> = head
            .split(['(', ',', ' '])
            .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
            .filter(|w| !w.ends_with("Ir"))
            .collect();
        variants.last().copied().unwrap_or(head).to_string()
    }

    struct Installed {
        _launches: LaunchObservation,
        #[cfg(feature = "fusion")]
        _operations: burn_fusion::observer::FusionObservation,
    }

    static INSTALLED: OnceLock<Installed> = OnceLock::new();

    pub fn start() {
        INSTALLED.get_or_init(|| Installed {
            _launches: LaunchObservation::new(Arc::new(Launches)),
            #[cfg(feature = "fusion")]
            _operations: burn_fusion::observer::FusionObservation::new(Arc::new(Operations)),
        });
    }

    pub fn dispatches() -> u64 {
        DISPATCHES.load(Ordering::Relaxed)
    }

    pub fn operations() -> u64 {
        OPERATIONS.load(Ordering::Relaxed)
    }
}

/// Without the wgpu runtime nothing is dispatched.
#[cfg(not(feature = "wgpu"))]
mod observers {
    pub fn start() {}
    pub fn by_kernel() -> std::collections::BTreeMap<&'static str, u64> {
        Default::default()
    }
    pub fn dispatches() -> u64 {
        0
    }
    pub fn operations() -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meter_on_the_cpu_backend_reports_nothing_and_bytes_are_counted() {
        let device = Device::flex();
        let mut meter = StepMeter::new(&device);
        let before = counts();
        let _: Tensor<1> = upload(TensorData::new(vec![0f32; 10], [10]), &device);
        note_download(8);
        let moved = counts().since(before);
        // Other tests in this process may move bytes too: at least ours are there.
        assert!(moved.bytes_to_device >= 40 && moved.bytes_from_device >= 8);
        for _ in 0..3 {
            meter.step_done();
        }
        assert_eq!(meter.finish(), None, "no kernel ran on the CPU backend");
    }

    #[test]
    fn kernel_names_lose_paths_and_generics() {
        assert_eq!(
            short_kernel_name("burn_cubecl_fusion::engine::FuseTrace<f32, burn::X<u8>>"),
            "FuseTrace"
        );
        assert_eq!(short_kernel_name("matmul"), "matmul");
    }
}
