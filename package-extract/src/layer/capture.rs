//! What is kept of one file: its content, its digest, or the facts of an ELF object, as the
//! catalogers asked ([`crate::catalog::capture`]). One piece of code for every source of files:
//! the tar walk of a layer and the `dir:` walk of a root filesystem.

use std::io::{self, Read};
use std::sync::Arc;

use sha2::{Digest as _, Sha256};

use crate::catalog::{Capture, capture};
use crate::elf;
use crate::path::ImagePath;
use crate::tree::{LayerIndex, Node};

/// At most this many warnings are kept per layer; the rest are counted.
const MAX_WARNINGS: usize = 50;

/// The warnings of one layer: the first [`MAX_WARNINGS`] go into its index, the rest are
/// counted and summed up by [`Warnings::finish`].
#[derive(Debug, Default)]
pub struct Warnings {
    dropped: u64,
}

impl Warnings {
    pub fn push(&mut self, index: &mut LayerIndex, message: String) {
        if index.warnings.len() < MAX_WARNINGS {
            index.warnings.push(message);
        } else {
            self.dropped += 1;
        }
    }

    /// Adds the count of the warnings not kept.
    pub fn finish(self, index: &mut LayerIndex) {
        if self.dropped > 0 {
            index
                .warnings
                .push(format!("{} more warnings not shown", self.dropped));
        }
    }
}

/// Reads a regular file of `size` bytes from `file` and returns its node: with its content
/// (at most `max_captured_file` bytes), its SHA-256, or neither, as the catalogers asked; ELF
/// objects leave their facts in `index.elf`. An error is the stream's own (truncation, a limit).
pub fn capture_file<R: Read>(
    file: &mut R,
    path: &ImagePath,
    size: u64,
    max_captured_file: u64,
    python_files: bool,
    index: &mut LayerIndex,
    warnings: &mut Warnings,
) -> io::Result<Node> {
    let bare = Node::File {
        size,
        content: None,
        sha256: None,
    };
    match capture(path, python_files) {
        Capture::Nothing => {
            read_elf_facts(file, path, size, max_captured_file, index, warnings)?;
            Ok(bare)
        }
        Capture::Content if size > max_captured_file => {
            warnings.push(
                index,
                format!(
                    "{path} is {size} bytes, more than the {max_captured_file} bytes kept per file; it is listed without content"
                ),
            );
            Ok(bare)
        }
        Capture::Content => {
            let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 20));
            file.take(max_captured_file).read_to_end(&mut buf)?;
            if elf::is_elf(&buf) {
                if let Ok(facts) = elf::parse(&buf) {
                    index.elf.insert(path.clone(), Arc::new(facts));
                }
            }
            Ok(Node::File {
                size,
                content: Some(Arc::from(buf)),
                sha256: None,
            })
        }
        Capture::Digest => {
            let mut hasher = Sha256::new();
            io::copy(file, &mut HashWriter(&mut hasher))?;
            Ok(Node::File {
                size,
                content: None,
                sha256: Some(hasher.finalize().into()),
            })
        }
    }
}

/// Lets `io::copy` feed a hasher.
struct HashWriter<'a>(&'a mut Sha256);

impl io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The smallest file that can hold an ELF header.
const ELF_HEADER_SIZE: u64 = 52;

/// Reads the first bytes of a file the catalogers do not keep; an ELF object is read whole,
/// parsed, and only its facts kept.
fn read_elf_facts<R: Read>(
    entry: &mut R,
    path: &ImagePath,
    size: u64,
    max_bytes: u64,
    index: &mut LayerIndex,
    warnings: &mut Warnings,
) -> io::Result<()> {
    if size < ELF_HEADER_SIZE {
        return Ok(());
    }
    let mut head = [0u8; 4];
    entry.read_exact(&mut head)?;
    if !elf::is_elf(&head) {
        return Ok(());
    }
    // Only the headers, tables and notes are read into memory, not the code or debug data.
    let mut whole = (&head[..]).chain(entry);
    match elf::read_sparse(&mut whole, size, max_bytes) {
        Ok(sparse) => match elf::parse_from(&sparse) {
            Ok(facts) => {
                index.elf.insert(path.clone(), Arc::new(facts));
            }
            Err(e) => tracing::debug!(%path, error = %e, "not a usable ELF object"),
        },
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            tracing::debug!(%path, error = %e, "not a usable ELF object");
        }
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {
            warnings.push(index, format!("{path}: ELF facts not reported: {e}"));
        }
        // Anything else is the layer stream's own failure (truncation, a limit): the walk's.
        Err(e) => return Err(e),
    }
    Ok(())
}
