//! Which layer introduced a package: the first layer from which every later layer's version of
//! the database file still lists it (a package removed and installed again counts from its
//! last installation).

use std::collections::BTreeSet;

use super::{DatabaseKind, Entry, read_database};
use crate::path::ImagePath;
use crate::tree::FileTree;

/// A package as the layers' databases are compared: name, version, architecture.
type Key = (String, String, String);

/// The introducing layer of each of `current` (the entries of the file's final version).
/// Without kept history, the layer that wrote the final file is the best answer.
pub(super) fn first_layers(
    tree: &FileTree,
    path: &ImagePath,
    kind: DatabaseKind,
    current: &[Entry],
) -> Vec<usize> {
    let writer = tree.entry_resolved(path).map_or(0, |(_, e)| e.layer);
    let history = tree.history(path);
    let versions: Vec<(usize, BTreeSet<Key>)> = history
        .iter()
        .map(|(layer, bytes)| {
            let keys = read_database(bytes, kind)
                .0
                .iter()
                .map(|e| {
                    let (n, v, a) = e.key();
                    (n.to_owned(), v.to_owned(), a.to_owned())
                })
                .collect();
            (*layer, keys)
        })
        .collect();
    current
        .iter()
        .map(|entry| {
            let (n, v, a) = entry.key();
            let key = (n.to_owned(), v.to_owned(), a.to_owned());
            let mut first = writer;
            for (layer, keys) in versions.iter().rev() {
                if !keys.contains(&key) {
                    break;
                }
                first = *layer;
            }
            first
        })
        .collect()
}
