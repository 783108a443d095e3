//! Which layer introduced a package: the first layer from which every later layer's version of
//! the database file still lists it (a package removed and installed again counts from its
//! last installation). One helper for every cataloger whose [`super::seam::Wanted`] keeps
//! history (dpkg, rpm, apk).

use std::collections::BTreeSet;

use crate::path::ImagePath;
use crate::tree::FileTree;

/// The introducing layer of each key of `current` (the packages of the file's final version,
/// as `key_of` identifies them), given how to read the keys of any layer's version. Without
/// kept history, the layer that wrote the final file is the best answer.
pub fn first_layers<K: Ord>(
    tree: &FileTree,
    real: &ImagePath,
    current: &[K],
    keys_of: impl Fn(&[u8]) -> BTreeSet<K>,
) -> Vec<usize> {
    let writer = tree.entry_resolved(real).map_or(0, |(_, e)| e.layer);
    let versions: Vec<(usize, BTreeSet<K>)> = tree
        .history(real)
        .iter()
        .map(|(layer, bytes)| (*layer, keys_of(bytes)))
        .collect();
    current
        .iter()
        .map(|key| {
            let mut first = writer;
            for (layer, keys) in versions.iter().rev() {
                if !keys.contains(key) {
                    break;
                }
                first = *layer;
            }
            first
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::build::LayerBuilder;

    #[test]
    fn reinstalled_packages_count_from_their_last_installation() {
        let path = "/var/lib/db";
        let layers = [&b"a b"[..], b"a", b"a b", b"a b c"]
            .iter()
            .enumerate()
            .map(|(i, c)| LayerBuilder::new(i).file(path, c).index)
            .collect();
        let tree = FileTree::overlay(layers, |_| true);
        let keys = |b: &[u8]| {
            String::from_utf8_lossy(b)
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        };
        let current: Vec<String> = ["a", "b", "c"].map(str::to_owned).to_vec();
        let real = ImagePath::normalize(path).0;
        assert_eq!(first_layers(&tree, &real, &current, keys), [0, 2, 3]);
    }
}
