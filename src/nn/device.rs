//! The only place that picks a Burn device.

use burn::tensor::Device;

/// Burn's pure-Rust CPU backend (Flex): available everywhere.
pub fn cpu() -> Device {
    Device::flex()
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
