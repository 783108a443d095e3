//! The bytes of one cache entry: a walked layer ([`LayerIndex`]) and the size of its blob.
//!
//! ```text
//! "THOTHLYR"  8 bytes   magic: this is a layer-cache entry
//! version     4 bytes   little-endian FORMAT_VERSION
//! checksum   32 bytes   SHA-256 of the payload
//! payload               zstd of:
//!   json length 8 bytes   little-endian
//!   json                  the JSON of `Stored`
//!   contents              the captured files' bytes, one after another
//! ```
//!
//! JSON (through zstd) rather than a compact binary format: it needs no dependency the project
//! does not already have, and `zstd -d | head -c` shows it when something looks wrong. Captured
//! contents follow it raw, named in the JSON by offset and length (as base64 inside the JSON
//! they were a fifth of a warm run's decoding); digests are hex. The payload names its own key,
//! so an entry copied or renamed to another layer's name is refused as foreign.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::digest::Digest;
use crate::elf::ElfFacts;
use crate::path::ImagePath;
use crate::tree::{Entry, LayerIndex, Node};

const MAGIC: &[u8; 8] = b"THOTHLYR";
/// Raised whenever `Stored` or the meaning of a field changes: older entries are then rewritten.
/// 2: nodes externally tagged (serde reads an internally tagged enum through a buffer of each
/// value, a tenth of a warm run). 3: contents raw after the JSON.
pub const FORMAT_VERSION: u32 = 3;
const HEADER: usize = 8 + 4 + 32;
/// The most a payload may inflate to (a layer's captured files are bounded by the walk's
/// limits; this bounds a hostile entry).
const MAX_PAYLOAD: u64 = 8 << 30;
/// zstd's level for entries: fast to write, and most of an entry is paths that compress well.
const LEVEL: i32 = 3;

/// A walked layer as the cache hands it back.
#[derive(Debug, Clone)]
pub struct Cached {
    pub index: LayerIndex,
    /// Bytes of the blob as it was read.
    pub blob_size: u64,
}

/// Why an entry was not used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejected {
    #[error("not a layer-cache entry (foreign file)")]
    Foreign,
    #[error("format version {0}, this build reads version {FORMAT_VERSION}")]
    OtherVersion(u32),
    #[error("damaged or truncated (checksum mismatch)")]
    Damaged,
    #[error("unreadable: {0}")]
    Unreadable(String),
    #[error("stored under another key ({0})")]
    OtherKey(String),
}

#[derive(Serialize, Deserialize)]
struct Stored {
    key: String,
    blob_size: u64,
    uncompressed_size: u64,
    blob_digest: Option<String>,
    entries: Vec<StoredEntry>,
    whiteouts: Vec<String>,
    opaque_dirs: Vec<String>,
    warnings: Vec<String>,
    elf: Vec<(String, ElfFacts)>,
}

#[derive(Serialize, Deserialize)]
struct StoredEntry {
    path: String,
    mode: u32,
    node: StoredNode,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoredNode {
    File {
        size: u64,
        /// Base64.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Offset and length of the captured content in the payload's contents.
        content: Option<(u64, u64)>,
        /// Hex.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sha256: Option<String>,
    },
    Dir,
    Symlink {
        target: String,
    },
    Hardlink {
        target: String,
    },
    Other,
}

/// The bytes of an entry for `cached`, stored under `key`.
pub fn encode(key: &str, cached: &Cached) -> std::io::Result<Vec<u8>> {
    let index = &cached.index;
    let mut contents: Vec<u8> = Vec::new();
    let stored = Stored {
        key: key.to_owned(),
        blob_size: cached.blob_size,
        uncompressed_size: index.uncompressed_size,
        blob_digest: index.blob_digest.as_ref().map(ToString::to_string),
        entries: index
            .entries
            .iter()
            .map(|(path, e)| StoredEntry {
                path: path.as_str().to_owned(),
                mode: e.mode,
                node: match &e.node {
                    Node::File {
                        size,
                        content,
                        sha256,
                    } => StoredNode::File {
                        size: *size,
                        content: content.as_ref().map(|c| {
                            let at = contents.len() as u64;
                            contents.extend_from_slice(c);
                            (at, c.len() as u64)
                        }),
                        sha256: sha256.map(hex::encode),
                    },
                    Node::Dir => StoredNode::Dir,
                    Node::Symlink { target } => StoredNode::Symlink {
                        target: target.clone(),
                    },
                    Node::Hardlink { target } => StoredNode::Hardlink {
                        target: target.as_str().to_owned(),
                    },
                    Node::Other => StoredNode::Other,
                },
            })
            .collect(),
        whiteouts: paths(&index.whiteouts),
        opaque_dirs: paths(&index.opaque_dirs),
        warnings: index.warnings.clone(),
        elf: index
            .elf
            .iter()
            .map(|(p, f)| (p.as_str().to_owned(), ElfFacts::clone(f)))
            .collect(),
    };
    let json = serde_json::to_vec(&stored).map_err(std::io::Error::other)?;
    let mut plain = Vec::with_capacity(8 + json.len() + contents.len());
    plain.extend_from_slice(&(json.len() as u64).to_le_bytes());
    plain.extend_from_slice(&json);
    plain.extend_from_slice(&contents);
    let payload = zstd::bulk::compress(&plain, LEVEL)?;
    let mut bytes = Vec::with_capacity(HEADER + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&Sha256::digest(&payload));
    bytes.extend_from_slice(&payload);
    Ok(bytes)
}

/// The walked layer in `bytes`, checked against `key`, its entries numbered `layer`.
pub fn decode(key: &str, bytes: &[u8], layer: usize) -> Result<Cached, Rejected> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(Rejected::Foreign);
    }
    if bytes.len() < HEADER {
        return Err(Rejected::Damaged);
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != FORMAT_VERSION {
        return Err(Rejected::OtherVersion(version));
    }
    let payload = &bytes[HEADER..];
    if Sha256::digest(payload)[..] != bytes[12..HEADER] {
        return Err(Rejected::Damaged);
    }
    let unreadable = |e: String| Rejected::Unreadable(e);
    // The frame names its size (the encoder writes whole frames): one allocation of that size
    // rather than a buffer grown by doubling, within MAX_PAYLOAD.
    let size = match zstd::zstd_safe::get_frame_content_size(payload) {
        Ok(Some(size)) if size <= MAX_PAYLOAD => size,
        Ok(Some(size)) => return Err(unreadable(format!("it inflates to {size} bytes"))),
        Ok(None) | Err(_) => return Err(unreadable("no zstd frame of known size".to_owned())),
    };
    let plain = zstd::bulk::decompress(payload, usize::try_from(size).unwrap_or(usize::MAX))
        .map_err(|e| unreadable(e.to_string()))?;
    let (json, contents) = plain
        .split_first_chunk::<8>()
        .and_then(|(len, rest)| {
            let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
            (len <= rest.len()).then(|| rest.split_at(len))
        })
        .ok_or_else(|| unreadable("the JSON's length runs past the payload".to_owned()))?;
    let stored: Stored = serde_json::from_slice(json).map_err(|e| unreadable(e.to_string()))?;
    if stored.key != key {
        return Err(Rejected::OtherKey(stored.key));
    }
    restore(stored, contents, layer).map_err(unreadable)
}

fn paths(list: &[ImagePath]) -> Vec<String> {
    list.iter().map(|p| p.as_str().to_owned()).collect()
}

/// A stored path, which must already be normal: the walk only ever stores normal paths.
/// [`image_path`] for a string the caller gives away: no copy.
fn owned_image_path(text: String) -> Result<ImagePath, String> {
    ImagePath::from_normalized(text).map_err(|text| format!("the path {text:?} is not normalised"))
}

fn image_path(text: &str) -> Result<ImagePath, String> {
    let (path, _) = ImagePath::normalize(text);
    if path.as_str() == text {
        Ok(path)
    } else {
        Err(format!("the path {text:?} is not normalised"))
    }
}

fn restore(stored: Stored, contents: &[u8], layer: usize) -> Result<Cached, String> {
    let mut index = LayerIndex {
        uncompressed_size: stored.uncompressed_size,
        blob_digest: stored
            .blob_digest
            .as_deref()
            .map(Digest::parse)
            .transpose()?,
        warnings: stored.warnings,
        ..LayerIndex::default()
    };
    for e in stored.entries {
        let node = match e.node {
            StoredNode::File {
                size,
                content,
                sha256,
            } => Node::File {
                size,
                content: content
                    .map(|(at, len)| {
                        usize::try_from(at)
                            .ok()
                            .zip(usize::try_from(len).ok())
                            .and_then(|(at, len)| contents.get(at..at.checked_add(len)?))
                            .map(Arc::from)
                            .ok_or_else(|| {
                                format!("a content ({at}, {len}) lies outside the entry")
                            })
                    })
                    .transpose()?,
                sha256: sha256
                    .map(|h| {
                        let mut d = [0u8; 32];
                        hex::decode_to_slice(&h, &mut d).map(|()| d)
                    })
                    .transpose()
                    .map_err(|e| format!("bad digest: {e}"))?,
            },
            StoredNode::Dir => Node::Dir,
            StoredNode::Symlink { target } => Node::Symlink { target },
            StoredNode::Hardlink { target } => Node::Hardlink {
                target: owned_image_path(target)?,
            },
            StoredNode::Other => Node::Other,
        };
        index.entries.insert(
            owned_image_path(e.path)?,
            Entry {
                node,
                mode: e.mode,
                layer,
            },
        );
    }
    index.whiteouts = stored
        .whiteouts
        .iter()
        .map(|p| image_path(p))
        .collect::<Result<_, _>>()?;
    index.opaque_dirs = stored
        .opaque_dirs
        .iter()
        .map(|p| image_path(p))
        .collect::<Result<_, _>>()?;
    for (path, facts) in stored.elf {
        index.elf.insert(image_path(&path)?, Arc::new(facts));
    }
    Ok(Cached {
        index,
        blob_size: stored.blob_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::fixture::{Item, gzip, tar};
    use crate::layer::{Expected, Limits, index_layer};

    fn walked() -> Cached {
        let blob = gzip(&tar(&[
            Item::Dir("etc/"),
            Item::File("etc/os-release", b"ID=debian\n"),
            Item::File("usr/lib/python3/dist-packages/six.py", b"print(1)\n"),
            Item::Symlink("usr/bin/python3", "python3.11"),
            Item::Hardlink("etc/x", "etc/missing"),
            Item::File("opt/.wh.gone", b""),
            Item::File("srv/.wh..wh..opq", b""),
        ]));
        let index =
            index_layer(2, &blob[..], &Expected::default(), &Limits::default(), true).expect("ok");
        Cached {
            index,
            blob_size: blob.len() as u64,
        }
    }

    fn same(a: &LayerIndex, b: &LayerIndex) {
        assert_eq!(a.entries, b.entries);
        assert_eq!(a.whiteouts, b.whiteouts);
        assert_eq!(a.opaque_dirs, b.opaque_dirs);
        assert_eq!(a.warnings, b.warnings);
        assert_eq!(a.uncompressed_size, b.uncompressed_size);
        assert_eq!(a.blob_digest, b.blob_digest);
        assert_eq!(a.elf, b.elf);
    }

    #[test]
    fn an_entry_gives_back_the_index_it_was_made_from() {
        let cached = walked();
        let bytes = encode("k", &cached).expect("encode");
        let back = decode("k", &bytes, 2).expect("decode");
        same(&back.index, &cached.index);
        assert_eq!(back.blob_size, cached.blob_size);
        // Renumbered for where the layer sits in the image that reads it.
        let moved = decode("k", &bytes, 5).expect("decode");
        assert!(moved.index.entries.values().all(|e| e.layer == 5));
    }

    #[test]
    fn a_checksummed_entry_whose_offsets_lie_is_refused_not_trusted() {
        // Whoever writes the cache can also write a valid checksum: the contents' offsets and
        // the JSON's length are checked against the payload all the same.
        let reseal = |plain: &[u8]| {
            let payload = zstd::bulk::compress(plain, LEVEL).expect("compress");
            let mut bytes = MAGIC.to_vec();
            bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
            bytes.extend_from_slice(&Sha256::digest(&payload));
            bytes.extend_from_slice(&payload);
            bytes
        };
        let bytes = encode("k", &walked()).expect("encode");
        let plain = zstd::bulk::decompress(&bytes[HEADER..], 1 << 20).expect("inflate");
        assert!(
            decode("k", &reseal(&plain), 0).is_ok(),
            "resealed as is: accepted"
        );
        let json_len =
            usize::try_from(u64::from_le_bytes(plain[..8].try_into().expect("8"))).expect("len");
        let mut long = plain.clone();
        long[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            decode("k", &reseal(&long), 0),
            Err(Rejected::Unreadable(_))
        ));
        // Contents cut off: every offset now points past the end.
        let cut = &plain[..8 + json_len];
        let Err(Rejected::Unreadable(why)) = decode("k", &reseal(cut), 0) else {
            panic!("contents outside the entry were accepted");
        };
        assert!(why.contains("outside the entry"), "{why}");
    }

    #[test]
    fn damage_of_every_kind_is_refused() {
        let bytes = encode("k", &walked()).expect("encode");
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(decode("k", &flipped, 0).unwrap_err(), Rejected::Damaged);
        assert_eq!(
            decode("k", &bytes[..bytes.len() / 2], 0).unwrap_err(),
            Rejected::Damaged
        );
        assert_eq!(decode("k", &bytes[..20], 0).unwrap_err(), Rejected::Damaged);
        assert_eq!(
            decode("k", b"{\"json\": 1}", 0).unwrap_err(),
            Rejected::Foreign
        );
        let mut older = bytes.clone();
        older[8..12].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            decode("k", &older, 0).unwrap_err(),
            Rejected::OtherVersion(0)
        );
        assert!(matches!(
            decode("other", &bytes, 0).unwrap_err(),
            Rejected::OtherKey(_)
        ));
    }
}
