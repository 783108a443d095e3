//! Times the two single-threaded steps a layer cannot avoid, with the crates and features the
//! layer walk uses: sha256 of the blob, and inflating it. The largest gzip layer's inflate time
//! is the floor of package-extract's wall time on that image.
//!
//!   cargo run --release -p package-extract --example inflate -- BLOB...

use std::io::Read;
use std::time::Instant;

use sha2::{Digest as _, Sha256};

fn main() -> std::io::Result<()> {
    for path in std::env::args().skip(1) {
        let blob = std::fs::read(&path)?;
        let start = Instant::now();
        let digest = Sha256::digest(&blob);
        let hashed = start.elapsed();
        let start = Instant::now();
        let mut decoder = flate2::read::MultiGzDecoder::new(&blob[..]);
        let mut buf = vec![0u8; 1 << 20];
        let mut out = 0u64;
        loop {
            let n = decoder.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out += n as u64;
        }
        let inflated = start.elapsed();
        println!(
            "{path}: {} bytes, sha256 {:.2} s ({}...), inflate {:.2} s to {out} bytes ({:.0} MB/s of output)",
            blob.len(),
            hashed.as_secs_f64(),
            &hex::encode(digest)[..12],
            inflated.as_secs_f64(),
            out as f64 / inflated.as_secs_f64() / 1e6,
        );
    }
    Ok(())
}
