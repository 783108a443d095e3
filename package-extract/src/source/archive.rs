//! Tar archives of images: `oci-archive:` (a tar of an OCI layout) and `docker-archive:`
//! (`docker save`, `podman save`, skopeo, Jib, Bazel, kaniko). The archive is indexed once;
//! blobs are then read in place, several at a time, without extracting anything. An archive
//! compressed as a whole (`docker save | gzip`, which `docker load` accepts) is first inflated
//! into a temporary file, within the layer size limit.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::SourceError;
use super::bounded;
use super::layout::{self, LayoutBlobs, LayoutFs};
use super::platform::Platform;
use crate::path::ImagePath;

/// How many links a member may go through before it is called a loop.
const MAX_LINK_HOPS: usize = 16;

/// A member of the archive: bytes at an offset, or a link to another member.
#[derive(Debug, Clone)]
enum Member {
    File {
        offset: u64,
        size: u64,
    },
    /// Symlink or hard link, its target already made a member path (never outside the archive).
    Link(String),
}

/// Where each member of an uncompressed tar lies.
pub struct TarIndex {
    file: PathBuf,
    /// What the user named (the compressed file, when it was inflated), for messages.
    shown: PathBuf,
    members: HashMap<String, Member>,
    /// Keeps an inflated copy alive as long as the index reads from it.
    _inflated: Option<tempfile::TempPath>,
}

/// Whole-file compression, by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packing {
    Plain,
    Gzip,
    Zstd,
    Bzip2,
}

impl Packing {
    pub fn sniff(file: &Path) -> Result<Self, SourceError> {
        let mut f = File::open(file)
            .map_err(|e| SourceError::Input(format!("cannot open {}: {e}", file.display())))?;
        let mut magic = [0u8; 4];
        let n = f
            .read(&mut magic)
            .map_err(|e| SourceError::Input(format!("cannot read {}: {e}", file.display())))?;
        let m = &magic[..n];
        Ok(if m.starts_with(&[0x1f, 0x8b]) {
            Self::Gzip
        } else if m.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Self::Zstd
        } else if m.starts_with(b"BZh") {
            Self::Bzip2
        } else {
            Self::Plain
        })
    }
}

fn member_key(raw: &str) -> String {
    ImagePath::normalize(raw)
        .0
        .as_str()
        .trim_start_matches('/')
        .to_owned()
}

impl TarIndex {
    /// Indexes `file`, inflating it first when it is compressed as a whole; at most
    /// `max_inflated` bytes are written for that.
    pub fn build(file: &Path, max_inflated: u64) -> Result<Self, SourceError> {
        let packing = Packing::sniff(file)?;
        if packing == Packing::Plain {
            return Self::index(file, file, None);
        }
        let inflated = inflate(file, packing, max_inflated)?;
        let path = inflated.to_path_buf();
        Self::index(&path, file, Some(inflated))
    }

    /// Indexes a spooled engine stream (`docker-daemon:`), which it keeps alive.
    pub fn from_spool(path: tempfile::TempPath) -> Result<Self, SourceError> {
        let file = path.to_path_buf();
        Self::index(&file, Path::new("the engine's image stream"), Some(path))
    }

    fn index(
        file: &Path,
        shown: &Path,
        inflated: Option<tempfile::TempPath>,
    ) -> Result<Self, SourceError> {
        let input = |m: String| SourceError::Input(m);
        let f =
            File::open(file).map_err(|e| input(format!("cannot open {}: {e}", shown.display())))?;
        if !f.metadata().is_ok_and(|m| m.is_file()) {
            return Err(input(format!("{} is not a regular file", shown.display())));
        }
        let mut archive = tar::Archive::new(f);
        let mut members = HashMap::new();
        let entries = archive
            .entries()
            .map_err(|e| input(format!("{} is not a tar archive: {e}", shown.display())))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| input(format!("{}: bad tar entry: {e}", shown.display())))?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let key = member_key(&name);
            let member = match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Member::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                },
                kind @ (tar::EntryType::Symlink | tar::EntryType::Link) => {
                    let Some(target) = entry.link_name_bytes() else {
                        continue;
                    };
                    let target = String::from_utf8_lossy(&target).into_owned();
                    // A symlink is relative to its directory, a hard link to the archive root;
                    // both are clamped to the archive: a link never leads outside it.
                    let base = if kind == tar::EntryType::Symlink {
                        ImagePath::normalize(&key)
                            .0
                            .parent()
                            .unwrap_or_else(ImagePath::root)
                    } else {
                        ImagePath::root()
                    };
                    let resolved = base.join_clamped(&target).0;
                    Member::Link(resolved.as_str().trim_start_matches('/').to_owned())
                }
                _ => continue,
            };
            members.insert(key, member);
        }
        if members.is_empty() {
            return Err(input(format!(
                "{} holds no files: not an image archive",
                shown.display()
            )));
        }
        Ok(Self {
            file: file.to_path_buf(),
            shown: shown.to_path_buf(),
            members,
            _inflated: inflated,
        })
    }

    /// The bytes a member path stands for, following links inside the archive.
    pub fn locate(&self, rel: &str) -> Option<(u64, u64)> {
        let mut key = member_key(rel);
        for _ in 0..MAX_LINK_HOPS {
            match self.members.get(&key)? {
                Member::File { offset, size } => return Some((*offset, *size)),
                Member::Link(target) => key = target.clone(),
            }
        }
        None
    }

    /// Member paths, for format detection.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }

    pub fn shown(&self) -> &Path {
        &self.shown
    }
}

impl LayoutFs for TarIndex {
    fn read(&self, rel: &str, limit: u64) -> Result<Vec<u8>, SourceError> {
        let r = LayoutFs::open(self, rel)
            .map_err(|e| SourceError::Input(format!("{}: {e}", self.shown.display())))?;
        bounded::read_capped(r, limit, &format!("{} in {}", rel, self.shown.display()))
            .map_err(|e| SourceError::Input(e.to_string()))
    }

    fn open(&self, rel: &str) -> std::io::Result<Box<dyn Read + Send + '_>> {
        let (offset, size) = self.locate(rel).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("the archive has no {rel}"),
            )
        })?;
        let mut f = File::open(&self.file)?;
        f.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(f.take(size)))
    }

    fn has(&self, rel: &str) -> bool {
        self.locate(rel).is_some()
    }
}

/// Inflates a compressed archive into a temporary file, refusing more than `max` bytes.
fn inflate(file: &Path, packing: Packing, max: u64) -> Result<tempfile::TempPath, SourceError> {
    let shown = file.display();
    let input =
        File::open(file).map_err(|e| SourceError::Input(format!("cannot open {shown}: {e}")))?;
    let input = std::io::BufReader::new(input);
    let decoder: Box<dyn Read> = match packing {
        Packing::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
        Packing::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(input)
                .map_err(|e| SourceError::Input(format!("{shown}: not a zstd stream: {e}")))?,
        ),
        Packing::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(input)),
        Packing::Plain => Box::new(input),
    };
    let mut out = tempfile::NamedTempFile::new()
        .map_err(|e| SourceError::Input(format!("cannot create a temporary file: {e}")))?;
    let copied = std::io::copy(&mut decoder.take(max.saturating_add(1)), out.as_file_mut())
        .map_err(|e| {
            SourceError::Input(format!("{shown}: cannot decompress ({packing:?}): {e}"))
        })?;
    if copied > max {
        return Err(SourceError::Input(format!(
            "{shown} inflates to more than {max} bytes (--max-layer-size)"
        )));
    }
    tracing::info!(file = %shown, ?packing, bytes = copied, "archive inflated");
    Ok(out.into_temp_path())
}

/// `oci-archive:FILE[:REF]`.
pub fn open_oci(
    file: &Path,
    reference: Option<&str>,
    platform: &Platform,
    platform_given: bool,
    max_inflated: u64,
) -> Result<(super::Image, LayoutBlobs<TarIndex>), SourceError> {
    let index = TarIndex::build(file, max_inflated)?;
    open_oci_index(index, reference, platform, platform_given)
}

pub fn open_oci_index(
    index: TarIndex,
    reference: Option<&str>,
    platform: &Platform,
    platform_given: bool,
) -> Result<(super::Image, LayoutBlobs<TarIndex>), SourceError> {
    let shown = index.shown().display().to_string();
    if !index.has("index.json") {
        let hint = if index.has("manifest.json") || index.has("repositories") {
            " (it is a docker archive: use docker-archive:)"
        } else {
            ""
        };
        return Err(SourceError::Input(format!(
            "{shown} holds no index.json: not an OCI archive{hint}"
        )));
    }
    let image = layout::open(
        &index,
        &format!("oci-archive:{shown}"),
        reference,
        platform,
        platform_given,
    )?;
    Ok((image, LayoutBlobs(index)))
}
