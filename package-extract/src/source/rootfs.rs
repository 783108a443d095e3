//! `dir:DIR`: a root filesystem on disk, read as one layer. Links are recorded, never followed,
//! so nothing outside DIR is read.

use std::path::Path;

use crate::catalog::{Capture, capture};
use crate::layer::Limits;
use crate::layer::capture::{Warnings, capture_file};
use crate::path::ImagePath;
use crate::source::SourceError;
use crate::tree::{Entry, LayerIndex, Node};

pub fn index_dir(
    root: &Path,
    limits: &Limits,
    python_files: bool,
) -> Result<LayerIndex, SourceError> {
    let meta = std::fs::metadata(root)
        .map_err(|e| SourceError::Input(format!("cannot read {}: {e}", root.display())))?;
    if !meta.is_dir() {
        return Err(SourceError::Input(format!(
            "{} is not a directory; dir: takes a root filesystem",
            root.display()
        )));
    }
    let mut index = LayerIndex::default();
    let mut stack = vec![(root.to_path_buf(), ImagePath::root())];
    let mut count = 0u64;
    let progress = common::progress::counter("files walked");
    let mut warnings = Warnings::default();
    while let Some((dir, image_dir)) = stack.pop() {
        let listing = match std::fs::read_dir(&dir) {
            Ok(l) => l,
            Err(e) => {
                warnings.push(&mut index, format!("cannot list {image_dir}: {e}"));
                continue;
            }
        };
        for item in listing {
            let Ok(item) = item else { continue };
            count += 1;
            progress.inc(1);
            if count > limits.max_entries {
                return Err(SourceError::Input(format!(
                    "{} has more than {} entries; raise --max-entries",
                    root.display(),
                    limits.max_entries
                )));
            }
            let name = item.file_name().to_string_lossy().into_owned();
            let path = image_dir.child(&name);
            let Ok(meta) = item.path().symlink_metadata() else {
                continue;
            };
            let mode = mode_of(&meta);
            let kind = meta.file_type();
            let node = if kind.is_symlink() {
                let target = std::fs::read_link(item.path())
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Node::Symlink { target }
            } else if kind.is_dir() {
                stack.push((item.path(), path.clone()));
                Node::Dir
            } else if kind.is_file() {
                capture_from_disk(
                    &item.path(),
                    &path,
                    meta.len(),
                    limits,
                    python_files,
                    &mut index,
                    &mut warnings,
                )
            } else {
                Node::Other
            };
            index.uncompressed_size += meta.len();
            index.entries.insert(
                path,
                Entry {
                    node,
                    mode,
                    layer: 0,
                },
            );
        }
    }
    warnings.finish(&mut index);
    Ok(index)
}

/// A file of the root filesystem, captured by the same code as a file of a layer. A file that
/// cannot be read is listed without content, with a warning when its content was wanted.
fn capture_from_disk(
    on_disk: &Path,
    path: &ImagePath,
    size: u64,
    limits: &Limits,
    python_files: bool,
    index: &mut LayerIndex,
    warnings: &mut Warnings,
) -> Node {
    let bare = Node::File {
        size,
        content: None,
        sha256: None,
    };
    let wanted = !matches!(capture(path, python_files), Capture::Nothing);
    let captured = std::fs::File::open(on_disk).and_then(|mut f| {
        capture_file(
            &mut f,
            path,
            size,
            limits.max_captured_file,
            python_files,
            index,
            warnings,
        )
    });
    match captured {
        Ok(node) => node,
        Err(e) => {
            if wanted {
                warnings.push(index, format!("cannot read {path}: {e}"));
            }
            bare
        }
    }
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    0o644
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_without_following_links() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("etc")).expect("mkdir");
        std::fs::write(root.join("etc/os-release"), "ID=test\n").expect("write");
        std::fs::write(root.join("app.py"), "x = 1\n").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", root.join("escape")).expect("symlink");
        let idx = index_dir(root, &Limits::default(), true).expect("walk");
        let p = |s: &str| ImagePath::normalize(s).0;
        assert!(
            matches!(&idx.entries[&p("/etc/os-release")].node, Node::File { content: Some(c), .. } if &c[..] == b"ID=test\n")
        );
        assert!(matches!(
            &idx.entries[&p("/app.py")].node,
            Node::File {
                sha256: Some(_),
                ..
            }
        ));
        #[cfg(unix)]
        assert_eq!(
            idx.entries[&p("/escape")].node,
            Node::Symlink {
                target: "/etc/passwd".into()
            }
        );
        assert!(index_dir(&root.join("etc/os-release"), &Limits::default(), true).is_err());
    }
}
