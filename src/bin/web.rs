//! The browser app's entry point (Trunk builds it for wasm32).

#[cfg(target_arch = "wasm32")]
fn main() {
    supplycast::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("the web app runs in a browser: see the README (scripts/serve.sh)");
    std::process::exit(2);
}
