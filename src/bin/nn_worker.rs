//! The neural worker's entry point: a separate wasm holding Burn, loaded only when the
//! merchant trains a model (built with `--features nn`).

#[cfg(all(target_arch = "wasm32", feature = "nn"))]
fn main() {
    supplycast::ui::nn_worker::start();
}

#[cfg(not(all(target_arch = "wasm32", feature = "nn")))]
fn main() {
    eprintln!("the neural worker runs inside the web app (wasm32, feature nn)");
    std::process::exit(2);
}
