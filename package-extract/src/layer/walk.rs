//! The tar walk: every entry becomes a [`Node`] of the layer's index, `.wh.` markers become
//! whiteouts and opaque directories, and files go to [`super::capture`].

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

use super::capture::{Warnings, capture_file};
use super::limits::{ExpansionGuard, Uncompressed, classify};
use super::{Expected, LayerError};
use crate::digest::Digest;
use crate::path::ImagePath;
use crate::tree::{Entry, LayerIndex, Node};

pub(crate) fn walk<R: Read>(
    layer: usize,
    decoder: R,
    guard: &ExpansionGuard,
    index: &mut LayerIndex,
    python_files: bool,
    expected: &Expected,
) -> Result<(), LayerError> {
    let mut uncompressed = Uncompressed {
        inner: decoder,
        guard,
        bytes: 0,
        hasher: expected.uncompressed.as_ref().map(|_| Sha256::new()),
    };
    // The archive borrows the counter only for the walk; it ends before the drain below.
    let mut archive = tar::Archive::new(&mut uncompressed);
    let entries = archive
        .entries()
        .map_err(|e| classify(layer, &e, "not a tar stream"))?;
    let mut count: u64 = 0;
    let mut warnings = Warnings::default();
    for entry in entries {
        let mut entry = entry.map_err(|e| classify(layer, &e, "bad tar entry"))?;
        count += 1;
        if count > guard.limits.max_entries {
            return Err(LayerError::Limit {
                layer,
                message: format!(
                    "has more than {} entries; raise --max-entries if the image is trusted",
                    guard.limits.max_entries
                ),
            });
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let (path, clamped) = ImagePath::normalize(&raw_path);
        if clamped {
            warnings.push(
                index,
                format!("entry {raw_path:?} climbs above the image root; read as {path}"),
            );
        }
        if path.is_root() {
            continue;
        }
        let name = path.file_name();
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let Some(parent) = path.parent() else {
                continue;
            };
            if hidden == ".wh..opq" {
                index.opaque_dirs.push(parent);
            } else if !hidden.is_empty() {
                index.whiteouts.push(parent.child(hidden));
            }
            continue;
        }
        let header = entry.header();
        let mode = header.mode().unwrap_or(0o644);
        let kind = header.entry_type();
        let node = match kind {
            tar::EntryType::Directory => Node::Dir,
            tar::EntryType::Symlink => Node::Symlink {
                target: entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default(),
            },
            tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let (target, _) = ImagePath::normalize(&target);
                // The common case: the target came earlier in this layer; share its facts.
                match index.entries.get(&target) {
                    Some(Entry {
                        node: node @ Node::File { .. },
                        ..
                    }) => node.clone(),
                    _ => Node::Hardlink { target },
                }
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                let size = entry.size();
                capture_file(
                    &mut entry,
                    &path,
                    size,
                    guard.limits.max_captured_file,
                    python_files,
                    index,
                    &mut warnings,
                )
                .map_err(|e| classify(layer, &e, &format!("reading {path}")))?
            }
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            _ => Node::Other,
        };
        index.entries.insert(path, Entry { node, mode, layer });
    }
    // Read past the end-of-archive blocks so the uncompressed digest and size are complete.
    io::copy(&mut uncompressed, &mut io::sink())
        .map_err(|e| classify(layer, &e, "after the end of the tar"))?;
    index.uncompressed_size = uncompressed.bytes;
    warnings.finish(index);
    if let (Some(want), Some(hasher)) = (&expected.uncompressed, uncompressed.hasher.take()) {
        let actual = Digest::from_hash(hasher.finalize().into());
        if *want != actual {
            return Err(LayerError::DigestMismatch {
                layer,
                expected: want.clone(),
                actual,
            });
        }
    }
    Ok(())
}
