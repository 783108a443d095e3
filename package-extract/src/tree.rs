//! The merged view of an image's filesystem: every surviving path with its kind, size, mode,
//! the layer that put it there, and the content or digest of the files the catalogers need.
//!
//! Each layer is first walked into a [`LayerIndex`]; [`FileTree::overlay`] then applies them in
//! order with overlay semantics (whiteouts, opaque directories, a non-directory hiding what lay
//! below it).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::elf::ElfFacts;
use crate::path::ImagePath;

/// What a path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File {
        size: u64,
        /// Kept for the files catalogers read (package databases, metadata, ...).
        content: Option<Arc<[u8]>>,
        /// Kept for the files whose digest is reported (`.py` files).
        sha256: Option<[u8; 32]>,
    },
    Dir,
    Symlink {
        target: String,
    },
    /// A hard link to another path of the image (tar stores the second name as a link).
    Hardlink {
        target: ImagePath,
    },
    /// Devices, FIFOs and other kinds no cataloger reads.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub node: Node,
    pub mode: u32,
    /// Index of the layer that wrote this entry, in manifest order (0 = base).
    pub layer: usize,
}

/// What one layer did: entries it wrote, paths it deleted, directories it made opaque.
#[derive(Debug, Default, Clone)]
pub struct LayerIndex {
    pub entries: BTreeMap<ImagePath, Entry>,
    /// `.wh.NAME` markers: NAME (and everything below it) is deleted from lower layers.
    pub whiteouts: Vec<ImagePath>,
    /// `.wh..wh..opq` markers: the directory's lower-layer content is hidden.
    pub opaque_dirs: Vec<ImagePath>,
    /// Problems met while walking the layer that did not stop the analysis.
    pub warnings: Vec<String>,
    /// Bytes of the uncompressed tar stream.
    pub uncompressed_size: u64,
    /// Digest of the blob as read (compressed or not), for checks made after the walk.
    pub blob_digest: Option<crate::digest::Digest>,
    /// What the walk read from the ELF objects it met (parsed on the fly; the bytes are not kept).
    pub elf: BTreeMap<ImagePath, Arc<ElfFacts>>,
}

impl LayerIndex {
    /// Gives every entry a new layer number (for sources that learn the order after the walk).
    pub fn renumber(&mut self, layer: usize) {
        for entry in self.entries.values_mut() {
            entry.layer = layer;
        }
    }
}

/// Contents of paths whose every layer version matters (package databases: which layer
/// introduced a package is the first layer whose database lists it).
pub type History = BTreeMap<ImagePath, Vec<(usize, Arc<[u8]>)>>;

#[derive(Debug, Default, Clone)]
pub struct FileTree {
    entries: BTreeMap<ImagePath, Entry>,
    history: History,
    elf: BTreeMap<ImagePath, Arc<ElfFacts>>,
}

/// How many symlinks a lookup follows before giving up (Linux uses 40).
const MAX_SYMLINK_HOPS: usize = 40;

impl FileTree {
    /// Applies `layers` bottom-up. `keep_history` says which paths keep every layer's content.
    pub fn overlay(layers: Vec<LayerIndex>, keep_history: impl Fn(&ImagePath) -> bool) -> Self {
        let mut tree = FileTree::default();
        tree.entries.insert(
            ImagePath::root(),
            Entry {
                node: Node::Dir,
                mode: 0o755,
                layer: 0,
            },
        );
        let mut elf: BTreeMap<ImagePath, (usize, Arc<ElfFacts>)> = BTreeMap::new();
        for layer in layers {
            let number = layer.entries.values().next().map(|e| e.layer);
            if let Some(number) = number {
                for (path, facts) in layer.elf {
                    elf.insert(path, (number, facts));
                }
            }
            for dir in &layer.opaque_dirs {
                tree.remove_below(dir);
            }
            for gone in &layer.whiteouts {
                tree.entries.remove(gone);
                tree.remove_below(gone);
            }
            for (path, entry) in layer.entries {
                if entry.node != Node::Dir {
                    // A file, link or device replaces a lower directory and all it held.
                    tree.remove_below(&path);
                }
                if let Node::File {
                    content: Some(content),
                    ..
                } = &entry.node
                {
                    if keep_history(&path) {
                        tree.history
                            .entry(path.clone())
                            .or_default()
                            .push((entry.layer, Arc::clone(content)));
                    }
                }
                tree.entries.insert(path, entry);
            }
        }
        // Facts survive only where the file that had them is still the one in the tree.
        tree.elf = elf
            .into_iter()
            .filter(|(path, (layer, _))| {
                tree.entries
                    .get(path)
                    .is_some_and(|e| e.layer == *layer && matches!(e.node, Node::File { .. }))
            })
            .map(|(path, (_, facts))| (path, facts))
            .collect();
        tree
    }

    /// Every ELF object of the merged image, in path order.
    pub fn elf_objects(&self) -> impl Iterator<Item = (&ImagePath, &ElfFacts)> {
        self.elf.iter().map(|(p, f)| (p, f.as_ref()))
    }

    fn remove_below(&mut self, dir: &ImagePath) {
        let prefix = dir.descendant_prefix();
        let doomed: Vec<ImagePath> = self
            .entries
            .range(dir.clone()..)
            .skip_while(|(p, _)| *p == dir)
            .take_while(|(p, _)| p.as_str().starts_with(&prefix))
            .map(|(p, _)| p.clone())
            .collect();
        for p in doomed {
            self.entries.remove(&p);
        }
    }

    /// The entry at `path` itself (a symlink is returned as a symlink).
    pub fn entry(&self, path: &ImagePath) -> Option<&Entry> {
        self.entries.get(path)
    }

    /// Every entry, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&ImagePath, &Entry)> {
        self.entries.iter()
    }

    /// Entries strictly below `dir`, at any depth, in path order.
    pub fn descendants<'a>(
        &'a self,
        dir: &'a ImagePath,
    ) -> impl Iterator<Item = (&'a ImagePath, &'a Entry)> + 'a {
        let prefix = dir.descendant_prefix();
        self.entries
            .range(dir.clone()..)
            .skip_while(move |(p, _)| *p == dir)
            .take_while(move |(p, _)| p.as_str().starts_with(&prefix))
    }

    /// Direct children of `dir`.
    pub fn children<'a>(
        &'a self,
        dir: &'a ImagePath,
    ) -> impl Iterator<Item = (&'a ImagePath, &'a Entry)> + 'a {
        self.descendants(dir)
            .filter(move |(p, _)| p.parent().as_ref() == Some(dir))
    }

    /// Resolves every symlink and hard link along `path`, never leaving the image root.
    /// Returns `None` for a dangling path or a link loop.
    pub fn resolve(&self, path: &ImagePath) -> Option<ImagePath> {
        let mut hops = 0;
        let mut current = ImagePath::root();
        let mut pending: Vec<String> = path.components().rev().map(str::to_owned).collect();
        while let Some(part) = pending.pop() {
            let (next, _) = current.join_clamped(&part);
            match self.entries.get(&next).map(|e| &e.node) {
                Some(Node::Symlink { target }) => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return None;
                    }
                    // Re-walk the target from the link's directory (absolute: from the root).
                    let base = if target.starts_with('/') {
                        ImagePath::root()
                    } else {
                        current.clone()
                    };
                    let (resolved, _) = base.join_clamped(target);
                    current = ImagePath::root();
                    let rest: Vec<String> =
                        resolved.components().rev().map(str::to_owned).collect();
                    pending.extend(rest);
                }
                Some(Node::Hardlink { target }) => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return None;
                    }
                    current = ImagePath::root();
                    pending.extend(target.components().rev().map(str::to_owned));
                }
                // Layers need not list parent directories; a missing one is implicit.
                Some(_) | None => current = next,
            }
        }
        let exists =
            self.entries.contains_key(&current) || self.descendants(&current).next().is_some();
        exists.then_some(current)
    }

    /// The entry `path` leads to after following links.
    pub fn entry_resolved(&self, path: &ImagePath) -> Option<(ImagePath, &Entry)> {
        let real = self.resolve(path)?;
        let entry = self.entries.get(&real)?;
        Some((real, entry))
    }

    /// The kept content of the file `path` leads to.
    pub fn content(&self, path: &ImagePath) -> Option<&[u8]> {
        match &self.entry_resolved(path)?.1.node {
            Node::File {
                content: Some(c), ..
            } => Some(c),
            _ => None,
        }
    }

    pub fn content_str(&self, path: &str) -> Option<&[u8]> {
        self.content(&ImagePath::normalize(path).0)
    }

    /// Every layer's version of a path whose history was kept, bottom-up.
    pub fn history(&self, path: &ImagePath) -> &[(usize, Arc<[u8]>)] {
        self.history.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.len() <= 1
    }
}

/// Builds layer indexes by hand, for tests of catalogers and of the overlay.
#[cfg(test)]
pub mod build {
    use super::*;

    pub struct LayerBuilder {
        pub index: LayerIndex,
        layer: usize,
    }

    impl LayerBuilder {
        pub fn new(layer: usize) -> Self {
            Self {
                index: LayerIndex::default(),
                layer,
            }
        }

        fn put(mut self, path: &str, node: Node) -> Self {
            let path = ImagePath::normalize(path).0;
            self.index.entries.insert(
                path,
                Entry {
                    node,
                    mode: 0o644,
                    layer: self.layer,
                },
            );
            self
        }

        pub fn file(self, path: &str, content: &[u8]) -> Self {
            self.put(
                path,
                Node::File {
                    size: content.len() as u64,
                    content: Some(Arc::from(content)),
                    sha256: None,
                },
            )
        }

        pub fn dir(self, path: &str) -> Self {
            self.put(path, Node::Dir)
        }

        pub fn symlink(self, path: &str, target: &str) -> Self {
            self.put(
                path,
                Node::Symlink {
                    target: target.to_owned(),
                },
            )
        }

        pub fn hardlink(self, path: &str, target: &str) -> Self {
            self.put(
                path,
                Node::Hardlink {
                    target: ImagePath::normalize(target).0,
                },
            )
        }

        pub fn whiteout(mut self, path: &str) -> Self {
            self.index.whiteouts.push(ImagePath::normalize(path).0);
            self
        }

        pub fn opaque(mut self, path: &str) -> Self {
            self.index.opaque_dirs.push(ImagePath::normalize(path).0);
            self
        }
    }

    /// A tree from one layer of files: `[(path, content)]`.
    pub fn tree_of(files: &[(&str, &[u8])]) -> FileTree {
        let layer = files
            .iter()
            .fold(LayerBuilder::new(0), |b, (p, c)| b.file(p, c));
        FileTree::overlay(vec![layer.index], |_| false)
    }
}

#[cfg(test)]
mod tests {
    use super::build::LayerBuilder;
    use super::*;

    fn p(s: &str) -> ImagePath {
        ImagePath::normalize(s).0
    }

    #[test]
    fn whiteouts_delete_lower_files_and_directories() {
        let base = LayerBuilder::new(0)
            .dir("/usr/lib/python3/site-packages/six-1.0.dist-info")
            .file(
                "/usr/lib/python3/site-packages/six-1.0.dist-info/METADATA",
                b"Name: six",
            )
            .file("/usr/lib/python3/site-packages/six.py", b"x")
            .file("/etc/keep", b"k");
        let upper = LayerBuilder::new(1)
            .whiteout("/usr/lib/python3/site-packages/six-1.0.dist-info")
            .whiteout("/usr/lib/python3/site-packages/six.py");
        let tree = FileTree::overlay(vec![base.index, upper.index], |_| false);
        assert!(
            tree.entry(&p("/usr/lib/python3/site-packages/six.py"))
                .is_none()
        );
        assert!(
            tree.entry(&p(
                "/usr/lib/python3/site-packages/six-1.0.dist-info/METADATA"
            ))
            .is_none()
        );
        assert!(tree.entry(&p("/etc/keep")).is_some());
    }

    #[test]
    fn opaque_directories_hide_lower_content_but_keep_their_own() {
        let base = LayerBuilder::new(0)
            .file("/app/old", b"o")
            .file("/app/sub/x", b"x");
        let upper = LayerBuilder::new(1).opaque("/app").file("/app/new", b"n");
        let tree = FileTree::overlay(vec![base.index, upper.index], |_| false);
        let names: Vec<_> = tree
            .descendants(&p("/app"))
            .map(|(p, _)| p.to_string())
            .collect();
        assert_eq!(names, ["/app/new"]);
        assert_eq!(tree.entry(&p("/app/new")).map(|e| e.layer), Some(1));
    }

    #[test]
    fn a_file_replacing_a_directory_hides_its_content() {
        let base = LayerBuilder::new(0).dir("/opt/x").file("/opt/x/a", b"a");
        let upper = LayerBuilder::new(1).file("/opt/x", b"now a file");
        let tree = FileTree::overlay(vec![base.index, upper.index], |_| false);
        assert!(tree.entry(&p("/opt/x/a")).is_none());
        assert_eq!(tree.content_str("/opt/x"), Some(&b"now a file"[..]));
    }

    #[test]
    fn links_resolve_inside_the_root_only() {
        let layer = LayerBuilder::new(0)
            .file("/usr/bin/python3.11", b"ELF")
            .symlink("/usr/bin/python3", "python3.11")
            .symlink("/usr/local/bin/python", "/usr/bin/python3")
            .symlink("/bin", "usr/bin")
            .symlink("/escape", "../../../../usr/bin/python3")
            .symlink("/loop/a", "b")
            .symlink("/loop/b", "a")
            .hardlink("/usr/bin/py-hard", "/usr/bin/python3.11");
        let tree = FileTree::overlay(vec![layer.index], |_| false);
        let r = |s: &str| tree.resolve(&p(s)).map(|x| x.to_string());
        assert_eq!(
            r("/usr/local/bin/python").as_deref(),
            Some("/usr/bin/python3.11")
        );
        assert_eq!(r("/bin/python3").as_deref(), Some("/usr/bin/python3.11"));
        assert_eq!(r("/escape").as_deref(), Some("/usr/bin/python3.11"));
        assert_eq!(r("/loop/a"), None);
        assert_eq!(r("/nope"), None);
        assert_eq!(tree.content_str("/usr/bin/py-hard"), Some(&b"ELF"[..]));
    }

    #[test]
    fn history_keeps_each_layers_version() {
        let a = LayerBuilder::new(0).file("/var/lib/dpkg/status", b"one");
        let b = LayerBuilder::new(1).file("/var/lib/dpkg/status", b"two");
        let tree = FileTree::overlay(vec![a.index, b.index], |p| p.as_str().ends_with("status"));
        let h = tree.history(&p("/var/lib/dpkg/status"));
        assert_eq!(h.len(), 2);
        assert_eq!((h[0].0, &*h[0].1), (0, &b"one"[..]));
        assert_eq!(tree.content_str("/var/lib/dpkg/status"), Some(&b"two"[..]));
    }
}
