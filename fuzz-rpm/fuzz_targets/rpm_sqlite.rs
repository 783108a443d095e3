#![no_main]
use libfuzzer_sys::fuzz_target;
use package_extract::catalog::rpm::{Format, read_packages};

// An rpmdb.sqlite from an image: SQLite opens the bytes in memory, the header blobs it yields go
// through the header parser.
fuzz_target!(|data: &[u8]| {
    let _ = read_packages(data, Format::Sqlite);
});
