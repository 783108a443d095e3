//! `python-files`: the SHA-256 of every `.py` file, computed by the layer walk.

use schemars::JsonSchema;
use serde::Serialize;

use crate::tree::{FileTree, Node};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct PythonFile {
    pub filepath: String,
    /// Lowercase hex.
    pub sha256: String,
}

/// Every file with a digest, in path order. A hard link to a digested file is reported under
/// its own name too, as `os.walk` saw both names.
pub fn files(tree: &FileTree) -> Vec<PythonFile> {
    tree.iter()
        .filter_map(|(path, entry)| {
            let digest = match &entry.node {
                Node::File {
                    sha256: Some(d), ..
                } => Some(*d),
                Node::Hardlink { .. } if path.as_str().ends_with(".py") => {
                    match tree.entry_resolved(path).map(|(_, e)| &e.node) {
                        Some(Node::File {
                            sha256: Some(d), ..
                        }) => Some(*d),
                        _ => None,
                    }
                }
                _ => None,
            }?;
            Some(PythonFile {
                filepath: path.to_string(),
                sha256: hex::encode(digest),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::path::ImagePath;
    use crate::tree::build::LayerBuilder;
    use crate::tree::{Entry, FileTree};

    #[test]
    fn digests_in_path_order_with_hard_links() {
        let mut layer = LayerBuilder::new(0)
            .file("/app/readme.txt", b"x")
            .hardlink("/app/b.py", "/app/z.py");
        for (path, byte) in [("/app/z.py", 0xab_u8), ("/app/a.py", 0x01)] {
            layer.index.entries.insert(
                ImagePath::normalize(path).0,
                Entry {
                    node: Node::File {
                        size: 1,
                        content: None::<Arc<[u8]>>,
                        sha256: Some([byte; 32]),
                    },
                    mode: 0o644,
                    layer: 0,
                },
            );
        }
        let tree = FileTree::overlay(vec![layer.index], |_| false);
        let got = files(&tree);
        let paths: Vec<_> = got.iter().map(|f| f.filepath.as_str()).collect();
        assert_eq!(paths, ["/app/a.py", "/app/b.py", "/app/z.py"]);
        assert_eq!(got[0].sha256, "01".repeat(32));
        assert_eq!(got[1].sha256, "ab".repeat(32));
    }
}
