//! The only place that picks a Burn device.
//!
//! A software adapter (llvmpipe, SwiftShader, a "fallback" adapter) is no GPU: training
//! there is orders of magnitude slower than Burn's CPU backend (20 Adam steps of a
//! small LSTM: 199 s on SwiftShader WebGPU against 0.6 s on Flex in the same browser),
//! so the automatic choice takes the CPU then. Forcing the GPU still uses it.

use burn::tensor::Device;

/// What the merchant (or the command line) asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Choice {
    /// A real GPU when there is one, else the CPU.
    Auto,
    /// The GPU, even a software one.
    Gpu,
    /// The CPU.
    Cpu,
}

impl Choice {
    /// Reads "auto", "gpu", "cpu".
    pub fn parse(s: &str) -> Option<Choice> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Choice::Auto,
            "gpu" | "wgpu" | "webgpu" => Choice::Gpu,
            "cpu" | "flex" => Choice::Cpu,
            _ => return None,
        })
    }
}

/// Burn's pure-Rust CPU backend (Flex): available everywhere.
pub fn cpu() -> Device {
    Device::flex()
}

/// Whether an adapter described by its wgpu device type (`Debug` form) is software.
pub fn is_software(device_type: &str, name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    device_type == "Cpu"
        || n.contains("llvmpipe")
        || n.contains("swiftshader")
        || n.contains("lavapipe")
}

/// The native wgpu device (Vulkan, Metal, DX12 or GL) with its adapter's description
/// and whether it is software.
#[cfg(all(feature = "gpu", not(target_arch = "wasm32")))]
pub fn native_gpu() -> Result<(Device, String, bool), super::NnError> {
    // wgpu's runtime can be set up once per process ("Service already initialized" on
    // a second try): the first answer is kept and handed out again.
    static GPU: std::sync::OnceLock<Result<(Device, String, bool), String>> =
        std::sync::OnceLock::new();
    GPU.get_or_init(|| {
        let (dev, setup) = Device::wgpu_options()
            .init_with_setup()
            .map_err(|e| e.to_string())?;
        let info = setup.adapter.get_info();
        let kind = format!("{:?}", info.device_type);
        let software = is_software(&kind, &info.name);
        Ok((
            dev,
            format!("{} ({:?}, {kind})", info.name, info.backend),
            software,
        ))
    })
    .clone()
    .map_err(super::NnError::DeviceInit)
}

/// Picks the native device for `choice`, saying which and why.
#[cfg(not(target_arch = "wasm32"))]
pub fn native(choice: Choice) -> Result<(Device, String), super::NnError> {
    match choice {
        Choice::Cpu => Ok((cpu(), "CPU (Burn Flex), as asked".into())),
        #[cfg(feature = "gpu")]
        Choice::Gpu => {
            let (d, name, software) = native_gpu()?;
            Ok((
                d,
                format!(
                    "GPU {name}, as asked{}",
                    if software {
                        " (a software adapter: expect it to be slow)"
                    } else {
                        ""
                    }
                ),
            ))
        }
        #[cfg(feature = "gpu")]
        Choice::Auto => match native_gpu() {
            Ok((d, name, false)) => Ok((d, format!("GPU {name}"))),
            Ok((_, name, true)) => Ok((
                cpu(),
                format!("CPU (Burn Flex): the only GPU adapter, {name}, is a software renderer"),
            )),
            Err(e) => Ok((cpu(), format!("CPU (Burn Flex): no GPU ({e})"))),
        },
        #[cfg(not(feature = "gpu"))]
        Choice::Gpu => Err(super::NnError::DeviceInit(
            "this build has no GPU backend: build with `--features gpu`".into(),
        )),
        #[cfg(not(feature = "gpu"))]
        Choice::Auto => Ok((
            cpu(),
            "CPU (Burn Flex): this build has no GPU backend".into(),
        )),
    }
}

/// The browser's WebGPU adapter, initialised once (a second initialisation fails, so
/// callers keep the returned device).
#[cfg(target_arch = "wasm32")]
pub async fn webgpu() -> Result<Device, super::NnError> {
    use burn::tensor::wgpu::WgpuBackend;
    Device::wgpu_options()
        .graphics_api(WgpuBackend::WebGpu)
        .init_async()
        .await
        .map_err(|e| super::NnError::DeviceInit(e.to_string()))
}
