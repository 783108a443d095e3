//! Parsers of untrusted bytes never panic: arbitrary bytes, and real inputs with bytes flipped,
//! cut or spliced, through the layer walker, the ELF reader and the apk parser. (The fuzz
//! targets in `fuzz/` search the same entry points deeper; these run in every test run.)

use package_extract::layer::fixture::{Item, gzip, tar};
use package_extract::layer::{Expected, Limits, index_layer, index_layer_pipelined};
use proptest::prelude::*;

fn limits() -> Limits {
    Limits {
        max_entries: 10_000,
        max_layer_bytes: 64 << 20,
        ..Limits::default()
    }
}

fn sample_layer() -> Vec<u8> {
    tar(&[
        Item::Dir("etc/"),
        Item::File("etc/os-release", b"ID=debian\n"),
        Item::File(
            "var/lib/dpkg/status",
            b"Package: a\nStatus: install ok installed\nVersion: 1\n\n",
        ),
        Item::Symlink("usr/bin/python3", "python3.11"),
        Item::Hardlink("x", "etc/os-release"),
        Item::File(
            "usr/lib/python3/dist-packages/a-1.dist-info/METADATA",
            b"Name: a\nVersion: 1\n",
        ),
        Item::File("lib/.wh.gone", b""),
    ])
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    for (at, value) in edits {
        if !bytes.is_empty() {
            let i = at % bytes.len();
            bytes[i] = *value;
        }
    }
    if let Some(c) = cut {
        let len = bytes.len();
        bytes.truncate(c % (len + 1));
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn layer_walker_survives_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = index_layer(0, &bytes[..], &Expected::default(), &limits(), true);
        let _ = index_layer_pipelined(0, &bytes[..], &Expected::default(), &limits(), true);
    }

    #[test]
    fn layer_walker_survives_damaged_tars(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..16),
        cut in proptest::option::of(any::<usize>()),
        compressed in any::<bool>(),
    ) {
        let plain = sample_layer();
        let blob = if compressed { gzip(&plain) } else { plain };
        let damaged = mutate(blob, &edits, cut);
        let _ = index_layer(0, &damaged[..], &Expected::default(), &limits(), true);
        let _ = index_layer_pipelined(0, &damaged[..], &Expected::default(), &limits(), true);
    }

    #[test]
    fn elf_reader_survives_damaged_objects(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..32),
        cut in proptest::option::of(any::<usize>()),
    ) {
        let libz = std::fs::read("/lib/x86_64-linux-gnu/libz.so.1").expect("libz on a Debian machine");
        let damaged = mutate(libz, &edits, cut);
        let _ = package_extract::elf::parse(&damaged);
        let mut stream = &damaged[..];
        if let Ok(sparse) = package_extract::elf::read_sparse(&mut stream, damaged.len() as u64, 64 << 20) {
            let _ = package_extract::elf::parse_from(&sparse);
        }
    }

    #[test]
    fn apk_parser_survives_arbitrary_text(text in "([PVAoLDpFRZC]:[ -~]{0,20}\n|\n|[ -~]{0,30}\n){0,40}") {
        let mut warnings = Vec::new();
        let _ = package_extract::catalog::apk::parse(text.as_bytes(), &mut warnings);
    }
}
