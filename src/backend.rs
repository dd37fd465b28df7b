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
    /// WebGPU/wgpu on a hardware adapter, else the CPU backend (with the reason reported).
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
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size as u64,
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

/// The CPU backend (always available).
pub fn cpu(reason: impl Into<String>) -> Backend {
    Backend {
        device: Device::flex(),
        info: BackendInfo {
            backend: BackendKind::Cpu,
            adapter: None,
            reason: reason.into(),
        },
    }
}

/// Initialises burn's wgpu runtime natively, once per process (burn refuses a second init).
#[cfg(all(not(target_arch = "wasm32"), feature = "wgpu"))]
fn native_wgpu() -> Result<Backend> {
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
    Ok(Backend {
        device,
        info: BackendInfo {
            backend: BackendKind::Wgpu,
            adapter: Some(adapter),
            reason: String::new(),
        },
    })
}

/// A build without the `wgpu` feature has no GPU backend.
#[cfg(all(not(target_arch = "wasm32"), not(feature = "wgpu")))]
fn native_wgpu() -> Result<Backend> {
    Err(Error::Backend(
        "this build of webtune has no wgpu backend (built without the `wgpu` feature)".into(),
    ))
}

/// Natively, for a training run's `auto`: the wgpu device when any adapter initialises, a
/// software one (lavapipe) too — the training trial (`train::trial`) judges it against the CPU
/// with the run's own steps. `None` when there is no adapter at all.
#[cfg(not(target_arch = "wasm32"))]
pub fn native_trial_candidate() -> Option<Backend> {
    native_wgpu().ok()
}

/// Natively: `cpu` → flex; `wgpu` → wgpu or an error; `auto` → wgpu on a hardware adapter,
/// else the CPU backend with the reason.
#[cfg(not(target_arch = "wasm32"))]
pub fn init_native(choice: BackendChoice) -> Result<Backend> {
    match choice {
        BackendChoice::Cpu => Ok(cpu("requested")),
        BackendChoice::Wgpu => {
            let mut b = native_wgpu()?;
            b.info.reason = "requested".into();
            Ok(b)
        }
        BackendChoice::Auto => match native_wgpu() {
            Ok(b) if b.info.adapter.as_ref().is_some_and(|a| a.is_fallback) => Ok(cpu(format!(
                "the only wgpu adapter is a software fallback ({}), slower than the CPU backend",
                b.info
                    .adapter
                    .as_ref()
                    .map(|a| a.name.as_str())
                    .unwrap_or("")
            ))),
            Ok(mut b) => {
                b.info.reason = "hardware adapter found".into();
                Ok(b)
            }
            Err(e) => Ok(cpu(format!("no GPU: {e}"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
