//! The pretrained model on native wgpu (feature `gpu`): the shipped weights forecast
//! there as on the CPU.

use super::*;
use crate::nn::corpus::FreqCode;
use crate::nn::{block_on, device};

/// The shipped weights load on native wgpu (a software Vulkan/GL adapter such as
/// llvmpipe on a machine without a GPU) and forecast as on the CPU; read back
/// asynchronously they are the same weights.
#[test]
fn shipped_weights_agree_on_cpu_and_wgpu() {
    let _turn = super::super::train::tests::TURN
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let (gpu, name, _) = device::native_gpu().expect("a wgpu adapter (mesa-vulkan-drivers)");
    eprintln!("wgpu adapter: {name}");
    let cpu = device::cpu();
    let (a, meta) = load(shipped(), &cpu).unwrap();
    let (b, _) = load(shipped(), &gpu).unwrap();
    let hist: Vec<Vec<f64>> = (0..8)
        .map(|k| {
            (0..(40 + 60 * k))
                .map(|t| ((k + 1) * (1 + t % 7)) as f64 * 0.5)
                .collect()
        })
        .collect();
    let req: Vec<Request<'_>> = hist
        .iter()
        .map(|h| Request {
            history: h,
            freq: FreqCode::Daily,
        })
        .collect();
    let qa = block_on(predict(&a, &meta.config, &req, 28, &cpu)).unwrap();
    let qb = block_on(predict(&b, &meta.config, &req, 28, &gpu)).unwrap();
    for (x, y) in qa
        .iter()
        .flatten()
        .flatten()
        .zip(qb.iter().flatten().flatten())
    {
        assert!((x - y).abs() <= 1e-3 * (1.0 + x.abs()), "{x} vs {y}");
    }
    let back = block_on(crate::nn::to_cpu_async(&b, meta.config.init(&cpu))).unwrap();
    let qc = block_on(predict(&back, &meta.config, &req, 28, &cpu)).unwrap();
    for (x, y) in qa
        .iter()
        .flatten()
        .flatten()
        .zip(qc.iter().flatten().flatten())
    {
        assert!((x - y).abs() <= 1e-5 * (1.0 + x.abs()), "{x} vs {y}");
    }
}
