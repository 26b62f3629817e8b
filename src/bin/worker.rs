//! The Web Worker's entry point: heavy work (parsing, cleaning) off the UI thread.

#[cfg(target_arch = "wasm32")]
fn main() {
    supplycast::ui::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the worker runs inside the web app");
    std::process::exit(2);
}
