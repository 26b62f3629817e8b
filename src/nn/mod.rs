//! Neural forecasting on Burn (feature `nn`). For now: device selection and a tensor
//! check that proves each backend computes and reads back correctly; the models come
//! with the neural forecasting work.

pub mod device;

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
    let data = ta
        .matmul(tb)
        .into_data_async()
        .await
        .map_err(|e| NnError::ReadBack(format!("{e:?}")))?;
    data.convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| NnError::ReadBack(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flex_matmul() {
        let dev = device::cpu();
        let out = futures_lite_block_on(matmul_async(
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

    /// A minimal executor: the Flex backend's futures complete without waking.
    fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }
}
