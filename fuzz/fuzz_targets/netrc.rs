//! `.netrc` text (the user's, but tools write it too): parsing never panics, and a lookup
//! finds a `machine` entry's credentials or the `default` ones.
#![no_main]

use common::index::Netrc;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let netrc = Netrc::parse(text);
    for host in ["127.0.0.1", "", "default", "machine"] {
        let _ = netrc.credentials(host);
    }
});
