use std::io::{self, Read};

use super::fixture::{Item, gzip, tar, zstd};
use super::*;
use crate::path::ImagePath;
use crate::tree::Node;

fn p(s: &str) -> ImagePath {
    ImagePath::normalize(s).0
}

/// Runs both walkers and checks they agree: the same index, or the same error.
fn both(
    layer: usize,
    blob: &[u8],
    expected: &Expected,
    limits: &Limits,
    python_files: bool,
) -> Result<LayerIndex, LayerError> {
    let serial = index_layer(layer, blob, expected, limits, python_files);
    let pipelined = index_layer_pipelined(layer, blob, expected, limits, python_files);
    match (&serial, &pipelined) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.entries, b.entries);
            assert_eq!(a.whiteouts, b.whiteouts);
            assert_eq!(a.opaque_dirs, b.opaque_dirs);
            assert_eq!(a.warnings, b.warnings);
            assert_eq!(a.uncompressed_size, b.uncompressed_size);
            assert_eq!(a.blob_digest, b.blob_digest);
        }
        // A limit can trip a few reads apart: only the byte counts may differ.
        (Err(a @ LayerError::Limit { .. }), Err(b @ LayerError::Limit { .. })) => {
            let shape = |e: &LayerError| e.to_string().replace(|c: char| c.is_ascii_digit(), "");
            assert_eq!(shape(a), shape(b));
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!("the walkers disagree: serial {a:?}, pipelined {b:?}"),
    }
    serial
}

fn sample() -> Vec<u8> {
    tar(&[
        Item::Dir("etc/"),
        Item::File("etc/os-release", b"ID=debian\n"),
        Item::File("usr/lib/python3/dist-packages/six.py", b"print(1)\n"),
        Item::File("usr/share/doc/big.txt", b"not kept"),
        Item::Symlink("usr/bin/python3", "python3.11"),
        Item::Hardlink("etc/os-release-link", "etc/os-release"),
        Item::File("opt/.wh.gone", b""),
        Item::File("srv/.wh..wh..opq", b""),
    ])
}

#[test]
fn every_compression_gives_the_same_index() {
    let plain = sample();
    for blob in [plain.clone(), gzip(&plain), zstd(&plain)] {
        let expected = Expected {
            compressed: Some(Digest::of(&blob)),
            uncompressed: Some(Digest::of(&plain)),
            compressed_verified_upstream: false,
        };
        let idx = both(3, &blob[..], &expected, &Limits::default(), true).expect("indexes");
        assert_eq!(idx.uncompressed_size, plain.len() as u64);
        let e = &idx.entries[&p("/etc/os-release")];
        assert_eq!(e.layer, 3);
        assert!(matches!(&e.node, Node::File { content: Some(c), .. } if &c[..] == b"ID=debian\n"));
        assert!(matches!(
            &idx.entries[&p("/usr/lib/python3/dist-packages/six.py")].node,
            Node::File { content: None, sha256: Some(d), .. } if Digest::from_hash(*d) == Digest::of(b"print(1)\n")
        ));
        assert!(matches!(
            &idx.entries[&p("/usr/share/doc/big.txt")].node,
            Node::File {
                content: None,
                sha256: None,
                size: 8
            }
        ));
        assert_eq!(
            idx.entries[&p("/usr/bin/python3")].node,
            Node::Symlink {
                target: "python3.11".into()
            }
        );
        // A hard link to a file earlier in the layer shares its content.
        assert_eq!(
            idx.entries[&p("/etc/os-release-link")].node,
            idx.entries[&p("/etc/os-release")].node
        );
        assert_eq!(idx.whiteouts, vec![p("/opt/gone")]);
        assert_eq!(idx.opaque_dirs, vec![p("/srv")]);
        assert!(!idx.entries.contains_key(&p("/opt/.wh.gone")));
    }
}

#[test]
fn python_file_digests_can_be_turned_off() {
    let idx = both(
        0,
        &sample()[..],
        &Expected::default(),
        &Limits::default(),
        false,
    )
    .expect("indexes");
    assert!(matches!(
        &idx.entries[&p("/usr/lib/python3/dist-packages/six.py")].node,
        Node::File { sha256: None, .. }
    ));
}

#[test]
fn escaping_names_stay_inside_the_root_with_a_warning() {
    let blob = tar(&[
        Item::File("../../etc/passwd", b"x"),
        Item::File("/abs/file", b"y"),
        Item::Symlink("evil", "../../../../etc/shadow"),
    ]);
    let idx = both(0, &blob[..], &Expected::default(), &Limits::default(), true).expect("indexes");
    assert!(idx.entries.contains_key(&p("/etc/passwd")));
    assert!(idx.entries.contains_key(&p("/abs/file")));
    assert!(
        idx.warnings.iter().any(|w| w.contains("climbs above")),
        "{:?}",
        idx.warnings
    );
}

#[test]
fn a_wrong_digest_is_an_error() {
    let blob = gzip(&sample());
    let expected = Expected {
        compressed: Some(Digest::of(b"something else")),
        uncompressed: None,
        compressed_verified_upstream: false,
    };
    let err = both(1, &blob[..], &expected, &Limits::default(), true).expect_err("mismatch");
    assert!(
        matches!(err, LayerError::DigestMismatch { layer: 1, .. }),
        "{err}"
    );
    let expected = Expected {
        compressed: None,
        uncompressed: Some(Digest::of(b"other")),
        compressed_verified_upstream: false,
    };
    let err = both(1, &blob[..], &expected, &Limits::default(), true).expect_err("mismatch");
    assert!(err.to_string().contains("digest mismatch"), "{err}");
}

/// A source that verifies the digest itself is trusted for it, and its read errors (its
/// verdict on a mismatch) end the layer.
#[test]
fn a_digest_verified_upstream_is_not_computed_again() {
    let blob = gzip(&sample());
    let vouched = Digest::of(b"what the registry client checked");
    let expected = Expected {
        compressed: Some(vouched.clone()),
        uncompressed: None,
        compressed_verified_upstream: true,
    };
    let idx = both(0, &blob[..], &expected, &Limits::default(), true).expect("indexes");
    assert_eq!(idx.blob_digest, Some(vouched));

    struct FailsAtTheEnd<'a>(&'a [u8]);
    impl Read for FailsAtTheEnd<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Err(io::Error::other("digest mismatch reported by the source"));
            }
            let n = self.0.read(buf)?;
            Ok(n)
        }
    }
    for result in [
        index_layer(0, FailsAtTheEnd(&blob), &expected, &Limits::default(), true),
        index_layer_pipelined(0, FailsAtTheEnd(&blob), &expected, &Limits::default(), true),
    ] {
        let err = result.expect_err("the source's error ends the layer");
        assert!(err.to_string().contains("reported by the source"), "{err}");
    }
}

#[test]
fn a_truncated_layer_is_an_error() {
    let blob = gzip(&sample());
    let cut = &blob[..blob.len() / 2];
    let err = both(0, cut, &Expected::default(), &Limits::default(), true).expect_err("truncated");
    assert!(matches!(err, LayerError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for junk in [
        &b"\x1f\x8bnot gzip at all"[..],
        b"\x28\xb5\x2f\xfdjunk",
        b"plain junk that is no tar",
    ] {
        let r = both(0, junk, &Expected::default(), &Limits::default(), true);
        if let Ok(idx) = r {
            assert!(idx.entries.is_empty());
        }
    }
}

#[test]
fn a_decompression_bomb_stops_at_the_ratio() {
    let zeros = vec![0u8; 8 << 20];
    let blob = tar(&[Item::File("zeros", &zeros)]);
    let bomb = gzip(&blob);
    let limits = Limits {
        ratio_grace_bytes: 1 << 20,
        max_expansion_ratio: 50,
        ..Limits::default()
    };
    let err = both(0, &bomb[..], &Expected::default(), &limits, true).expect_err("bomb");
    assert!(matches!(err, LayerError::Limit { .. }), "{err}");
    assert!(err.to_string().contains("decompression bomb"), "{err}");
    let limits = Limits {
        max_layer_bytes: 1 << 20,
        ..Limits::default()
    };
    let err = both(0, &bomb[..], &Expected::default(), &limits, true).expect_err("size");
    assert!(err.to_string().contains("layer size limit"), "{err}");
}

#[test]
fn entry_count_is_bounded() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let items: Vec<Item<'_>> = names.iter().map(|n| Item::File(n, b"")).collect();
    let blob = tar(&items);
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    let err = both(0, &blob[..], &Expected::default(), &limits, true).expect_err("too many");
    assert!(err.to_string().contains("more than 10 entries"), "{err}");
}

#[test]
fn oversized_captures_are_listed_without_content() {
    let blob = tar(&[Item::File("var/lib/dpkg/status", &[b'x'; 100])]);
    let limits = Limits {
        max_captured_file: 10,
        ..Limits::default()
    };
    let idx = both(0, &blob[..], &Expected::default(), &limits, true).expect("indexes");
    assert!(matches!(
        &idx.entries[&p("/var/lib/dpkg/status")].node,
        Node::File {
            content: None,
            size: 100,
            ..
        }
    ));
    assert_eq!(idx.warnings.len(), 1);
}
