//! The CLI's input files: gzip decompressed as they are read, and a file (or a gzip
//! that inflates) beyond the size limit refused with its size and how to proceed, before
//! memory runs out.
// Native only: the wasm test build compiles every test target for wasm32 first.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_supplycast"))
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("supplycast-cli-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn big_and_inflating_files_are_refused_with_their_size() {
    let store = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sample_store.csv");
    let text = std::fs::read(&store).unwrap();
    // The sample store gzipped reads as the plain file does.
    let gz = tmp("sample_store.csv.gz");
    std::fs::write(&gz, gzip(&text)).unwrap();
    let ok = bin().arg("ingest").arg(&gz).output().unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // 3 MB of one repeated line compresses to a few kB: under a 2 MB limit it is
    // refused while inflating, and a plain file over the limit before it is read.
    let mut big = b"date,sku,quantity\n".to_vec();
    while big.len() < 3 << 20 {
        big.extend_from_slice(b"2024-01-01,A,1\n");
    }
    let bomb = tmp("bomb.csv.gz");
    std::fs::write(&bomb, gzip(&big)).unwrap();
    assert!(std::fs::metadata(&bomb).unwrap().len() < 100_000);
    let plain = tmp("big.csv");
    std::fs::write(&plain, &big).unwrap();
    for (file, says) in [
        (&bomb, "more than 2 MB when decompressed"),
        (&plain, "more than 2 MB;"),
    ] {
        let out = bin()
            .arg("forecast")
            .arg(file)
            .env("SUPPLYCAST_MAX_INPUT_MB", "2")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(says) && err.contains("the limit is 2 MB"),
            "{err}"
        );
    }
    // Under the default limit the same file is read.
    let out = bin().arg("ingest").arg(&bomb).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A file that says gzip and is not: named.
    let broken = tmp("broken.csv.gz");
    std::fs::write(&broken, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    let out = bin().arg("ingest").arg(&broken).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid gzip file"));
}
