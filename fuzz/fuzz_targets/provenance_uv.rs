//! provenance-checker's Uv lock reader, then the checks, on arbitrary bytes (see
//! `provenance_lock/mod.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "provenance_lock/mod.rs"]
mod provenance_lock;

fuzz_target!(|data: &[u8]| {
    provenance_lock::run(provenance_checker::LockFormat::Uv, data);
});
