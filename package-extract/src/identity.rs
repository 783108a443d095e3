//! The layer identity of an input that has no layers: a `dir:` root filesystem.
//!
//! Thoth's graph sync names an image by `layers[-1]` (its `image_sha`), so a document with
//! `layers: []` cannot be stored. A directory is read as one layer; its identity is the sha256
//! of what the walk saw, in path order: each entry's path, kind, mode, size, link target, and
//! the content kept for the catalogers. The same tree gives the same identity on any machine;
//! a file added, removed, resized, re-linked, re-moded, or a package database changed gives
//! another. (The content of files no cataloger reads is not hashed: reading every byte of a
//! root filesystem would cost more than the whole analysis.)

use sha2::{Digest as _, Sha256};

use crate::tree::{FileTree, Node};

/// Lowercase hex sha256, the same shape as a layer digest in `layers`.
pub fn rootfs_digest(tree: &FileTree) -> String {
    let mut hasher = Sha256::new();
    for (path, entry) in tree.iter() {
        hasher.update(path.as_str().as_bytes());
        hasher.update([0]);
        hasher.update(entry.mode.to_le_bytes());
        match &entry.node {
            Node::File { size, content, .. } => {
                hasher.update(b"f");
                hasher.update(size.to_le_bytes());
                if let Some(content) = content {
                    let digest: [u8; 32] = Sha256::digest(content).into();
                    hasher.update(digest);
                }
            }
            Node::Dir => hasher.update(b"d"),
            Node::Symlink { target } => {
                hasher.update(b"l");
                hasher.update(target.as_bytes());
            }
            Node::Hardlink { target } => {
                hasher.update(b"h");
                hasher.update(target.as_str().as_bytes());
            }
            Node::Other => hasher.update(b"o"),
        }
        hasher.update([0]);
    }
    let digest: [u8; 32] = hasher.finalize().into();
    hex::encode(digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::build::tree_of;

    #[test]
    fn same_tree_same_identity_and_a_change_gives_another() {
        let a = rootfs_digest(&tree_of(&[("/etc/os-release", b"ID=x\n")]));
        assert_eq!(
            a,
            rootfs_digest(&tree_of(&[("/etc/os-release", b"ID=x\n")]))
        );
        assert_eq!(a.len(), 64);
        assert_ne!(
            a,
            rootfs_digest(&tree_of(&[("/etc/os-release", b"ID=y\n")]))
        );
        assert_ne!(
            a,
            rootfs_digest(&tree_of(&[("/etc/os-releasf", b"ID=x\n")]))
        );
    }
}
