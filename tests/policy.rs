//! The Content-Security-Policy is stated three times — index.html's <meta> tag, the
//! development server's header (Trunk.toml) and, at build time, dist/_headers (written
//! from the meta tag by scripts/csp-hash.py) — and must say the same everywhere.

fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn the_serve_header_states_the_page_policy() {
    let html = read("index.html");
    let meta = html
        .split("content=\"")
        .find(|s| s.starts_with("default-src"))
        .and_then(|s| s.split('"').next())
        .expect("a CSP meta tag");
    let toml = read("Trunk.toml");
    let header = toml
        .lines()
        .find(|l| l.starts_with("headers = "))
        .and_then(|l| l.split("\"Content-Security-Policy\" = \"").nth(1))
        .and_then(|s| s.split('"').next())
        .expect("a Content-Security-Policy header in Trunk.toml's [serve]");
    assert_eq!(header, meta);
    assert!(meta.contains("connect-src 'self'") && meta.contains("worker-src 'self'"));
}
