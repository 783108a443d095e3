#![no_main]
use libfuzzer_sys::fuzz_target;
use package_extract::catalog::rpm::{Format, read_packages};

fuzz_target!(|data: &[u8]| {
    let _ = read_packages(data, Format::Ndb);
});
