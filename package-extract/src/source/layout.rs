//! OCI image layouts (`oci:DIR`), read through [`LayoutFs`] so the same code serves a directory
//! and a tar of one (`oci-archive:`).
//!
//! `index.json` is itself an image index: its entries are chosen by ref name
//! (`org.opencontainers.image.ref.name`), by digest (`oci:DIR@sha256:...`), or, when it lists
//! per-platform manifests, by platform, through nested indexes too.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::bounded::{self, MAX_CONFIG, MAX_MANIFEST};
use super::platform::{self, Platform, Wanted};
use super::{
    BlobStore, Image, LayerDescriptor, SourceError, layers_from_manifest, parse_json, verify,
};
use crate::digest::Digest;

/// Read access to the files of a layout.
pub trait LayoutFs: Sync {
    /// Reads a small file whole (index.json, manifests, configs), refusing more than `limit`
    /// bytes.
    fn read(&self, rel: &str, limit: u64) -> Result<Vec<u8>, SourceError>;
    /// Opens a blob as a stream.
    fn open(&self, rel: &str) -> std::io::Result<Box<dyn Read + Send + '_>>;
    /// Whether the layout holds `rel`.
    fn has(&self, rel: &str) -> bool;
}

/// A layout directory on disk. Blobs must be regular files inside it: a symlink to a device or
/// to a file elsewhere is refused, never read.
pub struct DirFs {
    root: PathBuf,
    /// `root` with its symlinks resolved, for the containment check.
    real_root: PathBuf,
}

impl DirFs {
    pub fn new(root: &Path) -> Result<Self, SourceError> {
        let real_root = root.canonicalize().map_err(|e| {
            SourceError::Input(format!("cannot open the layout {}: {e}", root.display()))
        })?;
        Ok(Self {
            root: root.to_path_buf(),
            real_root,
        })
    }

    fn regular_file(&self, rel: &str) -> std::io::Result<std::fs::File> {
        let path = self.root.join(rel);
        let real = path.canonicalize()?;
        let refuse = |why: &str| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} {why}", path.display()),
            )
        };
        if !real.starts_with(&self.real_root) {
            return Err(refuse("leads outside the layout"));
        }
        let file = std::fs::File::open(&real)?;
        if !file.metadata()?.is_file() {
            return Err(refuse("is not a regular file"));
        }
        Ok(file)
    }
}

impl LayoutFs for DirFs {
    fn read(&self, rel: &str, limit: u64) -> Result<Vec<u8>, SourceError> {
        let what = self.root.join(rel).display().to_string();
        let file = self
            .regular_file(rel)
            .map_err(|e| SourceError::Input(format!("cannot read {what}: {e}")))?;
        bounded::read_capped(file, limit, &what).map_err(|e| SourceError::Input(e.to_string()))
    }

    fn open(&self, rel: &str) -> std::io::Result<Box<dyn Read + Send + '_>> {
        let path = self.root.join(rel);
        self.regular_file(rel)
            .map(|f| Box::new(f) as Box<dyn Read + Send>)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }

    fn has(&self, rel: &str) -> bool {
        self.root.join(rel).is_file()
    }
}

/// Blobs of a layout, found by digest.
pub struct LayoutBlobs<F>(pub F);

impl<F: LayoutFs> BlobStore for LayoutBlobs<F> {
    fn open(&self, layer: &LayerDescriptor) -> std::io::Result<Box<dyn Read + Send + '_>> {
        self.0.open(&blob_path_for(&layer.locator))
    }
}

fn blob_path_for(digest: &str) -> String {
    format!("blobs/{}", digest.replacen(':', "/", 1))
}

fn blob_path(d: &Digest) -> String {
    format!("blobs/sha256/{}", d.hex())
}

fn ref_name(m: &Value) -> Option<String> {
    m.pointer("/annotations/org.opencontainers.image.ref.name")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn descriptor_digest(m: &Value) -> &str {
    m.get("digest").and_then(Value::as_str).unwrap_or_default()
}

/// Reads the image named `reference` (a ref name or a digest; or the only one, or the one for
/// the platform) from the layout.
pub fn open<F: LayoutFs>(
    fs: &F,
    name: &str,
    reference: Option<&str>,
    platform: &Platform,
    platform_given: bool,
) -> Result<Image, SourceError> {
    let index = parse_json(&fs.read("index.json", MAX_MANIFEST)?, "index.json")?;
    let manifests = index
        .get("manifests")
        .and_then(Value::as_array)
        .ok_or_else(|| SourceError::Input("index.json lists no manifests".into()))?;
    let present = |d: &str| Digest::parse(d).is_ok_and(|d| fs.has(&blob_path(&d)));
    let wanted = Wanted {
        platform,
        given: platform_given,
        present: &present,
    };
    let mut notes = Vec::new();
    let (descriptor, repo_tags) = match reference {
        Some(r) if Digest::parse(r).is_ok() => {
            // By digest: an entry of index.json, or any manifest blob of the layout.
            let synthetic = serde_json::json!({ "digest": r });
            let found = manifests.iter().find(|m| descriptor_digest(m) == r);
            (
                found.cloned().unwrap_or(synthetic),
                found.and_then(ref_name).into_iter().collect(),
            )
        }
        Some(r) => {
            let found = manifests
                .iter()
                .find(|m| ref_name(m).as_deref() == Some(r))
                .ok_or_else(|| {
                    SourceError::Input(format!(
                        "the layout has no image named {r:?}; {}",
                        list_entries(manifests)
                    ))
                })?;
            (found.clone(), vec![r.to_owned()])
        }
        None if manifests.len() == 1 => (
            manifests[0].clone(),
            ref_name(&manifests[0]).into_iter().collect(),
        ),
        None if manifests.iter().any(|m| m.get("platform").is_some())
            && manifests.iter().all(|m| ref_name(m).is_none()) =>
        {
            // index.json lists per-platform manifests (apko, imgutil): choose as in an index.
            let choice = platform::select(&index, &wanted).map_err(SourceError::Input)?;
            notes.extend(choice.note);
            (choice.descriptor.clone(), Vec::new())
        }
        None => {
            return Err(SourceError::Input(format!(
                "the layout holds {} images; name one as oci:DIR:REF or oci:DIR@DIGEST ({})",
                manifests.len(),
                list_entries(manifests)
            )));
        }
    };
    let (manifest_digest, manifest_bytes) =
        read_descriptor(fs, &descriptor, &wanted, &mut notes, 0)?;
    let manifest = parse_json(&manifest_bytes, "the image manifest")?;
    super::artifact::refuse_artifact(&manifest)?;
    let config_descriptor = manifest
        .get("config")
        .ok_or_else(|| SourceError::Input("the manifest names no config".into()))?;
    let config_digest = config_descriptor
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| SourceError::Input("the manifest names no config".into()))
        .and_then(|d| Digest::parse(d).map_err(SourceError::Input))?;
    let limit = config_descriptor
        .get("size")
        .and_then(Value::as_u64)
        .unwrap_or(MAX_CONFIG)
        .min(MAX_CONFIG);
    let config_bytes = fs.read(&blob_path(&config_digest), limit)?;
    verify(&config_bytes, &config_digest, "the image config")?;
    let config = parse_json(&config_bytes, "the image config")?;
    let layers = layers_from_manifest(&manifest, &config)?;
    Ok(Image {
        name: name.to_owned(),
        manifest_digest: Some(manifest_digest),
        manifest_size: manifest_bytes.len() as u64,
        config_size: config_bytes.len() as u64,
        config,
        layers,
        repo_tags,
        notes,
    })
}

/// The entries of index.json, by ref name when they have one, else by digest and platform.
fn list_entries(manifests: &[Value]) -> String {
    let names: Vec<String> = manifests.iter().filter_map(ref_name).collect();
    if names.len() == manifests.len() {
        return format!("names: {}", names.join(", "));
    }
    let entries: Vec<String> = manifests
        .iter()
        .map(|m| {
            let mut label = descriptor_digest(m).to_owned();
            if let Some(n) = ref_name(m) {
                label = format!("{n} ({label})");
            } else if let Some(p) = platform::describe(m) {
                label = format!("{label} ({p})");
            }
            label
        })
        .collect();
    format!("entries: {}", entries.join(", "))
}

/// Follows a descriptor to an image manifest, through nested indexes, verifying each blob.
fn read_descriptor<F: LayoutFs>(
    fs: &F,
    descriptor: &Value,
    wanted: &Wanted<'_>,
    notes: &mut Vec<String>,
    depth: usize,
) -> Result<(Digest, Vec<u8>), SourceError> {
    if depth > 4 {
        return Err(SourceError::Input("image indexes nest too deeply".into()));
    }
    let digest = descriptor
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| SourceError::Input("a manifest descriptor has no digest".into()))
        .and_then(|d| Digest::parse(d).map_err(SourceError::Input))?;
    let path = blob_path(&digest);
    if !fs.has(&path) {
        return Err(SourceError::Input(format!(
            "the manifest {digest} is named but its blob {path} is not in the layout"
        )));
    }
    let bytes = fs.read(&path, MAX_MANIFEST)?;
    verify(&bytes, &digest, "a manifest")?;
    let doc = parse_json(&bytes, "a manifest")?;
    let media_type = doc
        .get("mediaType")
        .and_then(Value::as_str)
        .or_else(|| descriptor.get("mediaType").and_then(Value::as_str))
        .unwrap_or_default();
    if platform::is_index(media_type, &doc) {
        let choice = platform::select(&doc, wanted).map_err(SourceError::Input)?;
        notes.extend(choice.note);
        return read_descriptor(fs, choice.descriptor, wanted, notes, depth + 1);
    }
    Ok((digest, bytes))
}

/// `oci:DIR[:REF]`.
pub fn open_dir(
    dir: &Path,
    reference: Option<&str>,
    platform: &Platform,
    platform_given: bool,
) -> Result<(Image, LayoutBlobs<DirFs>), SourceError> {
    if !dir.join("index.json").is_file() {
        return Err(SourceError::Input(format!(
            "{} is not an OCI image layout (no index.json); for a root filesystem use dir:{}",
            dir.display(),
            dir.display()
        )));
    }
    let fs = DirFs::new(dir)?;
    let name = format!("oci:{}", dir.display());
    let image = open(&fs, &name, reference, platform, platform_given)?;
    Ok((image, LayoutBlobs(fs)))
}
