//! `docker save` archives from an untrusted file: the input is split at 0xFF bytes into
//! `manifest.json` and blobs, stored in a tar under their digest (`blobs/sha256/<hex>`, the
//! current layout) and as `<hex>.json` (the older one), so that seeds made of real manifests
//! resolve. The archive is then opened as `docker-archive:` is, with and without a tag: each must
//! end in an image or an error, never a panic or a hang.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use package_extract::digest::Digest;
use package_extract::layer::fixture::{Item, tar};
use package_extract::source::docker_archive;

fuzz_target!(|data: &[u8]| {
    let parts: Vec<&[u8]> = data.split(|b| *b == 0xff).collect();
    let names: Vec<(String, &[u8])> = parts
        .iter()
        .skip(1)
        .flat_map(|p| {
            let hex = Digest::of(p).hex().to_owned();
            [
                (format!("blobs/sha256/{hex}"), *p),
                (format!("{hex}.json"), *p),
            ]
        })
        .collect();
    let mut items = vec![Item::File("manifest.json", parts[0])];
    items.extend(names.iter().map(|(n, b)| Item::File(n, b)));
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(&tar(&items)).expect("write the archive");
    for reference in [None, Some("latest"), Some("app:1")] {
        let _ = docker_archive::open_file(file.path(), reference, 16 << 20);
    }
});
