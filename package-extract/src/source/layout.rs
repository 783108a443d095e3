//! OCI image layouts (`oci:DIR`), read through [`LayoutFs`] so the same code serves a directory
//! and a tar of one (`oci-archive:`).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::platform::{self, Platform};
use super::{
    BlobStore, Image, LayerDescriptor, SourceError, layers_from_manifest, parse_json, verify,
};
use crate::digest::Digest;

/// Read access to the files of a layout.
pub trait LayoutFs: Sync {
    /// Reads a small file whole (index.json, manifests, configs).
    fn read(&self, rel: &str) -> Result<Vec<u8>, SourceError>;
    /// Opens a blob as a stream.
    fn open(&self, rel: &str) -> std::io::Result<Box<dyn Read + Send + '_>>;
}

/// A layout directory on disk.
pub struct DirFs(pub PathBuf);

impl LayoutFs for DirFs {
    fn read(&self, rel: &str) -> Result<Vec<u8>, SourceError> {
        let path = self.0.join(rel);
        std::fs::read(&path)
            .map_err(|e| SourceError::Input(format!("cannot read {}: {e}", path.display())))
    }

    fn open(&self, rel: &str) -> std::io::Result<Box<dyn Read + Send + '_>> {
        let path = self.0.join(rel);
        std::fs::File::open(&path)
            .map(|f| Box::new(f) as Box<dyn Read + Send>)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
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

/// Reads the image named `reference` (or the only one) for `platform`.
pub fn open<F: LayoutFs>(
    fs: &F,
    name: &str,
    reference: Option<&str>,
    platform: &Platform,
) -> Result<Image, SourceError> {
    let index = parse_json(&fs.read("index.json")?, "index.json")?;
    let manifests = index
        .get("manifests")
        .and_then(Value::as_array)
        .ok_or_else(|| SourceError::Input("index.json lists no manifests".into()))?;
    let ref_name = |m: &Value| {
        m.pointer("/annotations/org.opencontainers.image.ref.name")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let chosen = match reference {
        Some(r) => manifests
            .iter()
            .find(|m| ref_name(m).as_deref() == Some(r))
            .ok_or_else(|| {
                let names: Vec<String> = manifests.iter().filter_map(ref_name).collect();
                SourceError::Input(format!(
                    "the layout has no image named {r:?}; it has: {}",
                    if names.is_empty() {
                        "no named images".into()
                    } else {
                        names.join(", ")
                    }
                ))
            })?,
        None if manifests.len() == 1 => &manifests[0],
        None => {
            let names: Vec<String> = manifests.iter().filter_map(ref_name).collect();
            return Err(SourceError::Input(format!(
                "the layout holds {} images; name one as oci:DIR:REF (names: {})",
                manifests.len(),
                names.join(", ")
            )));
        }
    };
    let repo_tags = ref_name(chosen).into_iter().collect();
    let (manifest_digest, manifest_bytes) = read_descriptor(fs, chosen, platform, 0)?;
    let manifest = parse_json(&manifest_bytes, "the image manifest")?;
    let config_digest = manifest
        .pointer("/config/digest")
        .and_then(Value::as_str)
        .ok_or_else(|| SourceError::Input("the manifest names no config".into()))
        .and_then(|d| Digest::parse(d).map_err(SourceError::Input))?;
    let config_bytes = fs.read(&blob_path(&config_digest))?;
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
    })
}

/// Follows a descriptor to an image manifest, through nested indexes, verifying each blob.
fn read_descriptor<F: LayoutFs>(
    fs: &F,
    descriptor: &Value,
    platform: &Platform,
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
    let bytes = fs.read(&blob_path(&digest))?;
    verify(&bytes, &digest, "a manifest")?;
    let doc = parse_json(&bytes, "a manifest")?;
    let media_type = doc
        .get("mediaType")
        .and_then(Value::as_str)
        .or_else(|| descriptor.get("mediaType").and_then(Value::as_str))
        .unwrap_or_default();
    if platform::is_index(media_type, &doc) {
        let next = platform::select(&doc, platform).map_err(SourceError::Input)?;
        return read_descriptor(fs, next, platform, depth + 1);
    }
    Ok((digest, bytes))
}

/// `oci:DIR[:REF]`.
pub fn open_dir(
    dir: &Path,
    reference: Option<&str>,
    platform: &Platform,
) -> Result<(Image, LayoutBlobs<DirFs>), SourceError> {
    if !dir.join("index.json").is_file() {
        return Err(SourceError::Input(format!(
            "{} is not an OCI image layout (no index.json); for a root filesystem use dir:{}",
            dir.display(),
            dir.display()
        )));
    }
    let fs = DirFs(dir.to_path_buf());
    let name = format!("oci:{}", dir.display());
    let image = open(&fs, &name, reference, platform)?;
    Ok((image, LayoutBlobs(fs)))
}
