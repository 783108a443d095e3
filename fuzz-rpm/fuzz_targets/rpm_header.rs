#![no_main]
use libfuzzer_sys::fuzz_target;
use package_extract::catalog::rpm::header::{Header, pgp_key_id};

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Header::parse(data) {
        let _ = h.files();
    }
    let _ = pgp_key_id(data);
});
