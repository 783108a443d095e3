//! Serves N project pages of SIZE bytes each from a hostile loopback server
//! ([`common::hostile::HostileServer`]), without a declared length, until stdin closes: what
//! `bench/index-pages/inflight.sh` points `index_fetch` at to measure the memory of many large
//! pages in flight at once.
//!
//!   hostile_pages N SIZE_BYTES     # prints the index URL (http://127.0.0.1:PORT/simple/)

use common::hostile::{Attack, HostileServer};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(n), Some(size)) = (
        args.next().and_then(|a| a.parse::<u32>().ok()),
        args.next().and_then(|a| a.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: hostile_pages N SIZE_BYTES");
        std::process::exit(2);
    };
    let server = HostileServer::start();
    for i in 0..n {
        server.on(
            &format!("/simple/p{i}/"),
            Attack::Huge {
                len: size,
                declared: false,
            },
        );
    }
    println!("{}", server.url("/simple/"));
    // Serve until whoever started us closes our stdin.
    let _ = std::io::copy(&mut std::io::stdin(), &mut std::io::sink());
}
