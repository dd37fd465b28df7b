//! Choosing the compute device. Two backends, one engine: burn's wgpu runtime (WebGPU in the
//! browser; Vulkan, Metal or DX12 natively) and burn's pure-Rust `flex` CPU backend.

use std::fmt;
use std::str::FromStr;

use burn::prelude::Device;
use serde::Serialize;

use crate::{Error, Result};

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// The faster of the GPU and the CPU backend ([`decide`]: a trial of the run's own steps where
    /// it can go either way).
    Auto,
    /// burn's `flex` CPU backend.
    Cpu,
    /// burn's wgpu runtime (WebGPU in a browser), even on a software adapter.
    Wgpu,
}

impl FromStr for BackendChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(BackendChoice::Auto),
            "cpu" | "flex" => Ok(BackendChoice::Cpu),
            "wgpu" | "webgpu" | "gpu" => Ok(BackendChoice::Wgpu),
            other => Err(Error::Invalid(format!(
                "unknown backend \"{other}\" (expected auto, cpu, wgpu or webgpu)"
            ))),
        }
    }
}

/// The backend actually running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    Cpu,
    /// wgpu; in a browser this is WebGPU.
    Wgpu,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Wgpu => "wgpu",
        })
    }
}

/// The adapter behind a wgpu device, and the limits that bound what it can hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdapterSummary {
    pub name: String,
    /// `vulkan`, `metal`, `dx12`, `gl` or `webgpu`.
    pub api: String,
    /// `discrete`, `integrated`, `virtual`, `cpu` (a software adapter) or `other`.
    pub device_type: String,
    pub driver: String,
    pub vendor: String,
    pub architecture: String,
    /// A software adapter (SwiftShader, lavapipe, WARP): slower than the CPU backend.
    pub is_fallback: bool,
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
    pub max_compute_workgroup_storage_size: u32,
    pub max_compute_invocations_per_workgroup: u32,
}

/// Refuses, before anything is uploaded, a model whose largest weight does not fit in one buffer
/// binding of the GPU adapter `info` runs on (a kernel binds each weight whole): the upload would
/// otherwise fail deep in the runtime, or kill the page's wasm module. Nothing to check on the CPU.
pub fn check_model_fits(config: &crate::model::BertConfig, info: &BackendInfo) -> Result<()> {
    let Some(a) = info
        .adapter
        .as_ref()
        .filter(|_| info.backend == BackendKind::Wgpu)
    else {
        return Ok(());
    };
    let limit = match (a.max_storage_buffer_binding_size, a.max_buffer_size) {
        (0, 0) => return Ok(()), // limits unknown
        (0, b) | (b, 0) => b,
        (s, b) => s.min(b),
    };
    let (what, values) = config.largest_weight();
    let bytes = values.saturating_mul(4);
    if bytes <= limit as u128 {
        return Ok(());
    }
    let mb = |b: u128| b as f64 / (1u64 << 20) as f64;
    Err(Error::Backend(format!(
        "this model does not fit the GPU adapter ({}): {what} take {:.0} MiB, and its largest buffer binding holds {:.0} MiB; choose the CPU backend, or a smaller model",
        if a.name.is_empty() {
            "unnamed"
        } else {
            &a.name
        },
        mb(bytes),
        mb(limit as u128)
    )))
}

/// [`check_model_fits`] for a model's `config.json` as bytes; one that cannot be read passes, the
/// loader reports it (with the file's name).
pub fn check_config_fits(config: &[u8], info: &BackendInfo) -> Result<()> {
    match crate::model::BertConfig::from_json(config) {
        Ok(config) => check_model_fits(&config, info),
        Err(_) => Ok(()),
    }
}

/// [`check_config_fits`] for a model archive's files (an exported or imported model); one without
/// `config.json` passes, the import reports it.
pub fn check_archive_fits(
    files: &std::collections::BTreeMap<String, Vec<u8>>,
    info: &BackendInfo,
) -> Result<()> {
    files
        .get(crate::export::layout::CONFIG)
        .map_or(Ok(()), |config| check_config_fits(config, info))
}

impl AdapterSummary {
    /// Reads what wgpu knows of the adapter burn's runtime was set up with.
    #[cfg(feature = "wgpu")]
    pub fn from_setup(setup: &burn::tensor::wgpu::WgpuSetup) -> Self {
        use burn::tensor::wgpu::wgpu;
        let info = setup.adapter.get_info();
        let limits = setup.device.limits();
        let device_type = match info.device_type {
            wgpu::DeviceType::DiscreteGpu => "discrete",
            wgpu::DeviceType::IntegratedGpu => "integrated",
            wgpu::DeviceType::VirtualGpu => "virtual",
            wgpu::DeviceType::Cpu => "cpu",
            wgpu::DeviceType::Other => "other",
        };
        let api = match info.backend {
            wgpu::Backend::Vulkan => "vulkan",
            wgpu::Backend::Metal => "metal",
            wgpu::Backend::Dx12 => "dx12",
            wgpu::Backend::Gl => "gl",
            wgpu::Backend::BrowserWebGpu => "webgpu",
            _ => "other",
        };
        AdapterSummary {
            name: info.name.clone(),
            api: api.into(),
            device_type: device_type.into(),
            driver: [info.driver.as_str(), info.driver_info.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" "),
            vendor: if info.vendor != 0 {
                format!("0x{:04x}", info.vendor)
            } else {
                String::new()
            },
            architecture: String::new(),
            is_fallback: info.device_type == wgpu::DeviceType::Cpu,
            max_buffer_size: limits.max_buffer_size,
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_compute_workgroup_storage_size: limits.max_compute_workgroup_storage_size,
            max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
        }
    }
}

/// What runs, on what, and why it was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackendInfo {
    pub backend: BackendKind,
    pub adapter: Option<AdapterSummary>,
    pub reason: String,
    /// `auto` on an adapter that may or may not beat the CPU backend: before training, a few of
    /// the run's own steps are timed on both and the faster trains (`train::trial`).
    pub trial: bool,
}

impl BackendInfo {
    /// A one-line description for logs and the page's status line.
    pub fn describe(&self) -> String {
        match (&self.backend, &self.adapter) {
            (BackendKind::Wgpu, Some(a)) => format!(
                "wgpu/{} on {} ({}{}): {}",
                a.api,
                if a.name.is_empty() {
                    "unnamed adapter"
                } else {
                    &a.name
                },
                a.device_type,
                if a.is_fallback {
                    ", software fallback"
                } else {
                    ""
                },
                self.reason
            ),
            _ => format!("{}: {}", self.backend, self.reason),
        }
    }
}

/// A ready device plus the description of it.
#[derive(Debug, Clone)]
pub struct Backend {
    pub device: Device,
    pub info: BackendInfo,
}

/// Where webtune runs, which decides what a software adapter is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// The native CLI: a software adapter (Mesa's lavapipe, about 5 GFLOP/s) is in the CPU
    /// backend's league, so a training trial decides.
    Native,
    /// A browser: a software WebGPU adapter (SwiftShader, about 0.15 GFLOP/s) is some 50× slower
    /// than the CPU backend in wasm, so it is never tried.
    Browser,
}

/// What looking for a GPU found. The front ends gather it (natively wgpu's adapter; in the
/// browser `navigator.gpu`'s, then burn's WebGPU device's) and [`decide`] judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// No usable adapter, and why (no WebGPU in this browser, no adapter, a failed start, a
    /// build without wgpu).
    NoGpu(String),
    /// An adapter, hardware or software ([`AdapterSummary::is_fallback`]).
    Adapter(AdapterSummary),
}

/// What to run on, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub backend: BackendKind,
    pub reason: String,
    /// See [`BackendInfo::trial`].
    pub trial: bool,
}

/// The one backend policy, for the CLI and the browser alike.
///
/// - `cpu`: the CPU backend. `wgpu`: the adapter, whatever it is, or an error saying why there is
///   none.
/// - `auto` without an adapter: the CPU backend, with the reason.
/// - `auto` on a hardware adapter: the GPU, and a trial before training (burn#3317, burn#4598 and
///   transformers.js#1750 show a dispatch-bound GPU path losing to the CPU).
/// - `auto` on a software adapter: the CPU backend; natively a trial may still pick the adapter,
///   in a browser it is not tried ([`Platform`]).
pub fn decide(choice: BackendChoice, probe: &Probe, platform: Platform) -> Result<Decision> {
    let decision = |backend, reason: String, trial| Decision {
        backend,
        reason,
        trial,
    };
    let gpu_name = |a: &AdapterSummary| {
        if a.name.is_empty() {
            "unnamed adapter".to_string()
        } else {
            a.name.clone()
        }
    };
    Ok(match (choice, probe) {
        (BackendChoice::Cpu, _) => decision(BackendKind::Cpu, "requested".into(), false),
        (BackendChoice::Wgpu, Probe::NoGpu(why)) => return Err(Error::Backend(why.clone())),
        (BackendChoice::Wgpu, Probe::Adapter(_)) => {
            decision(BackendKind::Wgpu, "requested".into(), false)
        }
        (BackendChoice::Auto, Probe::NoGpu(why)) => {
            decision(BackendKind::Cpu, format!("no GPU: {why}"), false)
        }
        (BackendChoice::Auto, Probe::Adapter(a)) if !a.is_fallback => decision(
            BackendKind::Wgpu,
            format!("hardware adapter ({})", gpu_name(a)),
            true,
        ),
        (BackendChoice::Auto, Probe::Adapter(a)) => match platform {
            Platform::Browser => decision(
                BackendKind::Cpu,
                format!(
                    "the WebGPU adapter is a software fallback ({}), slower than the CPU backend",
                    gpu_name(a)
                ),
                false,
            ),
            Platform::Native => decision(
                BackendKind::Cpu,
                format!(
                    "the only wgpu adapter is a software fallback ({}), no faster than the CPU backend as a rule (a training run measures both)",
                    gpu_name(a)
                ),
                true,
            ),
        },
    })
}

/// The largest frozen-feature cache a run may build by default. Natively 2 GiB of host memory.
/// In a browser the cache lives in wasm memory (a 4 GiB address space that also holds the
/// model), so at most 1 GiB; on WebGPU each step uploads one batch of it into a GPU buffer, so it
/// is also bounded by the adapter's `maxBufferSize`.
pub fn cache_limit(info: &BackendInfo, platform: Platform) -> u64 {
    let budget: u64 = match platform {
        Platform::Native => 2 << 30,
        Platform::Browser => 1 << 30,
    };
    match &info.adapter {
        Some(a) if platform == Platform::Browser && info.backend == BackendKind::Wgpu => {
            budget.min(a.max_buffer_size.max(1 << 20))
        }
        _ => budget,
    }
}

/// The backend `d` names, with its reason and trial: `gpu` (the device the probe found) when it
/// names the GPU, else the CPU backend. Both front ends end their choice here.
pub fn apply(d: Decision, gpu: Option<Backend>) -> Backend {
    let mut backend = match (d.backend, gpu) {
        (BackendKind::Wgpu, Some(b)) => b,
        _ => cpu(""),
    };
    backend.info.reason = d.reason;
    backend.info.trial = d.trial;
    backend
}

/// A wgpu backend on `device`, the adapter described by `adapter` (reason and trial left for
/// [`apply`]).
pub fn gpu(device: Device, adapter: AdapterSummary) -> Backend {
    Backend {
        device,
        info: BackendInfo {
            backend: BackendKind::Wgpu,
            adapter: Some(adapter),
            reason: String::new(),
            trial: false,
        },
    }
}

/// The CPU backend (always available).
pub fn cpu(reason: impl Into<String>) -> Backend {
    Backend {
        device: Device::flex(),
        info: BackendInfo {
            backend: BackendKind::Cpu,
            adapter: None,
            reason: reason.into(),
            trial: false,
        },
    }
}

/// Natively, burn's wgpu runtime on wgpu's adapter, initialised once per process (burn refuses a
/// second init); what [`init_native`] probes, and the GPU side of `auto`'s training trial.
#[cfg(all(not(target_arch = "wasm32"), feature = "wgpu"))]
pub fn native_gpu() -> Result<Backend> {
    use std::sync::OnceLock;
    static WGPU: OnceLock<Result<(Device, AdapterSummary)>> = OnceLock::new();
    let (device, adapter) = WGPU
        .get_or_init(|| {
            let (device, setup) = Device::wgpu_options().init_with_setup().map_err(|e| {
                Error::Backend(format!("no wgpu adapter could be initialised: {e}"))
            })?;
            Ok((device, AdapterSummary::from_setup(&setup)))
        })
        .clone()?;
    Ok(gpu(device, adapter))
}

/// A build without the `wgpu` feature has no GPU backend.
#[cfg(all(not(target_arch = "wasm32"), not(feature = "wgpu")))]
pub fn native_gpu() -> Result<Backend> {
    Err(Error::Backend(
        "this build of webtune has no wgpu backend (built without the `wgpu` feature)".into(),
    ))
}

/// Natively: probes wgpu, [`decide`]s, and returns the backend to run on. Where the decision
/// asks for a trial, the GPU to measure against the CPU is [`native_gpu`].
#[cfg(not(target_arch = "wasm32"))]
pub fn init_native(choice: BackendChoice) -> Result<Backend> {
    let gpu = match choice {
        BackendChoice::Cpu => None,
        _ => Some(native_gpu()),
    };
    let probe = match &gpu {
        None => Probe::NoGpu("not looked for".into()),
        Some(Ok(b)) => Probe::Adapter(b.info.adapter.clone().unwrap_or_default()),
        Some(Err(e)) => Probe::NoGpu(e.message().to_string()),
    };
    let d = decide(choice, &probe, Platform::Native)?;
    Ok(apply(d, gpu.and_then(Result::ok)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(name: &str, is_fallback: bool) -> Probe {
        Probe::Adapter(AdapterSummary {
            name: name.into(),
            is_fallback,
            ..Default::default()
        })
    }

    #[test]
    fn auto_measures_a_hardware_adapter_and_skips_a_software_one_in_the_browser() {
        let gpu = adapter("NVIDIA H200", false);
        let swiftshader = adapter("SwiftShader Device (Subzero)", true);
        let lavapipe = adapter("llvmpipe (LLVM 15.0.6, 256 bits)", true);
        let none = Probe::NoGpu("this browser has no WebGPU (navigator.gpu is undefined)".into());
        for platform in [Platform::Native, Platform::Browser] {
            let d = decide(BackendChoice::Auto, &gpu, platform).unwrap();
            assert_eq!((d.backend, d.trial), (BackendKind::Wgpu, true));
            assert!(d.reason.contains("NVIDIA H200"), "{}", d.reason);
            let d = decide(BackendChoice::Auto, &none, platform).unwrap();
            assert_eq!((d.backend, d.trial), (BackendKind::Cpu, false));
            assert!(
                d.reason.contains("navigator.gpu is undefined"),
                "{}",
                d.reason
            );
        }
        let d = decide(BackendChoice::Auto, &swiftshader, Platform::Browser).unwrap();
        assert_eq!((d.backend, d.trial), (BackendKind::Cpu, false));
        assert!(
            d.reason.contains("SwiftShader") && d.reason.contains("software"),
            "{}",
            d.reason
        );
        let d = decide(BackendChoice::Auto, &lavapipe, Platform::Native).unwrap();
        assert_eq!((d.backend, d.trial), (BackendKind::Cpu, true));
        assert!(d.reason.contains("llvmpipe"), "{}", d.reason);
    }

    #[test]
    fn a_forced_backend_is_taken_as_it_is_or_fails_with_the_probes_reason() {
        let swiftshader = adapter("SwiftShader", true);
        for platform in [Platform::Native, Platform::Browser] {
            let d = decide(BackendChoice::Wgpu, &swiftshader, platform).unwrap();
            assert_eq!((d.backend, d.trial), (BackendKind::Wgpu, false));
            let d = decide(BackendChoice::Cpu, &adapter("NVIDIA H200", false), platform).unwrap();
            assert_eq!((d.backend, d.trial), (BackendKind::Cpu, false));
            let err = decide(
                BackendChoice::Wgpu,
                &Probe::NoGpu("no adapter".into()),
                platform,
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("no adapter"), "{err}");
        }
    }

    #[test]
    fn parses_choices() {
        assert_eq!(
            "WebGPU".parse::<BackendChoice>().unwrap(),
            BackendChoice::Wgpu
        );
        assert_eq!("cpu".parse::<BackendChoice>().unwrap(), BackendChoice::Cpu);
        let err = "tpu".parse::<BackendChoice>().unwrap_err().to_string();
        assert!(err.contains("unknown backend \"tpu\""), "{err}");
    }

    #[test]
    fn the_cache_limit_fits_the_platform_and_the_adapters_buffers() {
        let cpu = cpu("");
        assert_eq!(cache_limit(&cpu.info, Platform::Native), 2 << 30);
        assert_eq!(cache_limit(&cpu.info, Platform::Browser), 1 << 30);
        let mut gpu = cpu.info.clone();
        gpu.backend = BackendKind::Wgpu;
        gpu.adapter = Some(AdapterSummary {
            max_buffer_size: 256 << 20,
            ..Default::default()
        });
        assert_eq!(cache_limit(&gpu, Platform::Browser), 256 << 20);
        assert_eq!(cache_limit(&gpu, Platform::Native), 2 << 30);
    }

    /// all-MiniLM-L6-v2 (word embeddings 30522 × 384: 45 MiB) fits WebGPU's default 128 MiB
    /// binding; a multilingual large model's (250002 × 1024: 977 MiB) does not, and says so
    /// before anything is uploaded. The CPU backend has no such limit.
    #[test]
    fn a_model_larger_than_the_adapters_buffers_is_refused_up_front() {
        let config = |vocab: usize, hidden: usize| {
            crate::model::BertConfig::from_json(
                format!(
                    r#"{{"vocab_size":{vocab},"hidden_size":{hidden},"num_hidden_layers":1,
                    "num_attention_heads":8,"intermediate_size":{},"max_position_embeddings":512,
                    "type_vocab_size":2}}"#,
                    4 * hidden
                )
                .as_bytes(),
            )
            .unwrap()
        };
        let mut gpu = cpu("").info;
        gpu.backend = BackendKind::Wgpu;
        gpu.adapter = Some(AdapterSummary {
            name: "SwiftShader Device".into(),
            max_buffer_size: 256 << 20,
            max_storage_buffer_binding_size: 128 << 20,
            ..Default::default()
        });
        check_model_fits(&config(30522, 384), &gpu).unwrap();
        let e = check_model_fits(&config(250002, 1024), &gpu)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("does not fit the GPU adapter (SwiftShader Device): the word embeddings take 977 MiB, and its largest buffer binding holds 128 MiB"),
            "{e}"
        );
        check_model_fits(&config(250002, 1024), &cpu("").info).unwrap();
    }
}
