//! Neural forecasting on Burn (feature `nn`): global models trained across all SKUs
//! ([`models`]: DeepAR-style LSTM/GRU, PatchTST, MLP), their training windows
//! ([`data`]), the training loop, prediction and model files ([`train`]), and the
//! hold-out benchmark against the statistical models ([`bench`]). [`device`] is the only
//! place that picks a device.

pub mod bench;
pub mod corpus;
pub mod data;
pub mod device;
pub mod models;
pub mod pretrained;
pub mod scenario;
pub mod train;

use burn::tensor::{Device, Tensor, TensorData};
use thiserror::Error;

/// Why a Burn computation failed.
#[derive(Debug, Error)]
pub enum NnError {
    /// The GPU device could not be initialised.
    #[error("cannot initialise the GPU device: {0}")]
    DeviceInit(String),
    /// Reading a result back from the device failed.
    #[error("cannot read the result back from the device: {0}")]
    ReadBack(String),
    /// There is not enough data to train on.
    #[error("cannot train: {0}")]
    NoData(String),
    /// A model file could not be written or read.
    #[error("{0}")]
    Model(String),
    /// A saved model does not fit the data or the forecast asked of it.
    #[error("{0}")]
    Mismatch(String),
}

/// Awaits natively (see [`block_on`]); the benchmark is native-only.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn block_on_native<F: std::future::Future>(f: F) -> F::Output {
    block_on(f)
}

/// Runs a future to completion on the current thread. Burn's CPU backend (and its
/// native wgpu read-back, which blocks inside) completes without waking, so a
/// polling loop is all that is needed natively; the browser awaits instead.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::yield_now();
    }
}

/// Multiplies two small matrices on `device` and reads the product back
/// asynchronously (the only way that works in a browser).
///
/// # Shapes
/// - `a`: `[m, k]` row-major, `b`: `[k, n]` row-major, result `[m, n]` row-major.
pub async fn matmul_async(
    device: &Device,
    a: &[f32],
    b: &[f32],
    m: usize,
    k: usize,
    n: usize,
) -> Result<Vec<f32>, NnError> {
    let ta = Tensor::<2>::from_data(TensorData::new(a.to_vec(), [m, k]), device);
    let tb = Tensor::<2>::from_data(TensorData::new(b.to_vec(), [k, n]), device);
    read_back(ta.matmul(tb)).await
}

/// Reads a tensor back as `f32`s, asynchronously: the only way on WebGPU, and the one
/// read-back every model here uses.
pub(crate) async fn read_back<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, NnError> {
    t.into_data_async()
        .await
        .map_err(|e| NnError::ReadBack(format!("{e:?}")))?
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| NnError::ReadBack(format!("{e:?}")))
}

/// Writes a model file: an 8-byte magic, the metadata's length (u64, little-endian)
/// and its postcard bytes, then the module's Burn record (burnpack). The same bytes are
/// written natively and in the browser.
pub(crate) fn pack<M: burn::module::Module, T: serde::Serialize>(
    magic: &[u8; 8],
    meta: &T,
    module: &M,
) -> Result<Vec<u8>, NnError> {
    let head = postcard::to_allocvec(meta).map_err(|e| NnError::Model(e.to_string()))?;
    let record = module
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| NnError::Model(format!("{e:?}")))?;
    let mut out = Vec::with_capacity(16 + head.len() + record.len());
    out.extend_from_slice(magic);
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(&record);
    Ok(out)
}

/// Splits what [`pack`] wrote into (magic, metadata bytes, record); `None` when the
/// file is too short for its own header (lengths read with checked arithmetic).
pub(crate) fn unpack(bytes: &[u8]) -> Option<(&[u8], &[u8], burn::store::ModuleRecord)> {
    let magic = bytes.get(..8)?;
    let n = usize::try_from(u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?)).ok()?;
    let end = n.checked_add(16)?;
    let head = bytes.get(16..end)?;
    let record = burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(
        bytes.get(end..)?.to_vec(),
    ))
    .ok()?;
    Some((magic, head, record))
}

/// Every float parameter of a module, flattened, with its shape, in visiting order
/// (the module's structure, so two modules of one configuration line up).
pub(crate) fn flat_params<M: burn::module::Module>(module: &M) -> Vec<(Tensor<1>, Vec<usize>)> {
    use burn::module::{ModuleVisitor, Param};
    struct Collect(Vec<(Tensor<1>, Vec<usize>)>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val();
            let dims = t.dims().to_vec();
            let n = dims.iter().product::<usize>();
            self.0.push((t.reshape([n]), dims));
        }
    }
    let mut c = Collect(Vec::new());
    module.visit(&mut c);
    c.0
}

/// Copies a module's weights onto the CPU, reading every parameter back
/// asynchronously (the only way on WebGPU, where a synchronous read-back — as
/// `into_record` does — cannot work), into `fresh`: the same module built on the CPU.
/// Parameters are matched in visiting order, which is the module's structure.
pub async fn to_cpu_async<M: burn::module::Module>(module: &M, fresh: M) -> Result<M, NnError> {
    use burn::module::{ModuleMapper, Param};
    struct Fill(std::vec::IntoIter<(Vec<f32>, Vec<usize>)>, Device, bool);
    impl ModuleMapper for Fill {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let dev = self.1.clone();
            match self.0.next() {
                Some((values, dims)) if dims.len() == D => param.map(|_| {
                    let shape: [usize; D] = std::array::from_fn(|i| dims[i]);
                    Tensor::<D>::from_data(TensorData::new(values, shape), &dev)
                }),
                _ => {
                    self.2 = true;
                    param
                }
            }
        }
    }
    let params = flat_params(module);
    let mut read = Vec::with_capacity(params.len());
    for (t, dims) in params {
        read.push((read_back(t).await?, dims));
    }
    let count = read.len();
    let mut fill = Fill(read.into_iter(), device::cpu(), false);
    let out = fresh.map(&mut fill);
    if fill.2 || fill.0.next().is_some() {
        return Err(NnError::Model(format!(
            "the module's {count} parameters do not match the CPU copy's"
        )));
    }
    Ok(out)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn flex_matmul() {
        let dev = device::cpu();
        let out = block_on(matmul_async(
            &dev,
            &[1.0, 2.0, 3.0, 4.0],
            &[5.0, 6.0, 7.0, 8.0],
            2,
            2,
            2,
        ))
        .unwrap();
        assert_eq!(out, vec![19.0, 22.0, 43.0, 50.0]);
    }
}
