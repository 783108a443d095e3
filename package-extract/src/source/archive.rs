//! Tar archives of images: `oci-archive:` (a tar of an OCI layout) and `docker-archive:`
//! (`docker save` / `podman save`). The archive is indexed once; blobs are then read in place,
//! several at a time, without extracting anything.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::layout::{self, LayoutBlobs, LayoutFs};
use super::platform::Platform;
use super::{BlobStore, Image, LayerDescriptor, SourceError, diff_ids, parse_json};
use crate::digest::Digest;
use crate::path::ImagePath;

/// Where each member of an uncompressed tar lies.
pub struct TarIndex {
    file: PathBuf,
    members: HashMap<String, (u64, u64)>,
}

impl TarIndex {
    pub fn build(file: &Path) -> Result<Self, SourceError> {
        let input = |m: String| SourceError::Input(m);
        let mut f =
            File::open(file).map_err(|e| input(format!("cannot open {}: {e}", file.display())))?;
        let mut magic = [0u8; 4];
        let n = f
            .read(&mut magic)
            .map_err(|e| input(format!("cannot read {}: {e}", file.display())))?;
        if magic[..n].starts_with(&[0x1f, 0x8b])
            || magic[..n].starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        {
            return Err(input(format!(
                "{} is compressed; image archives are read uncompressed (decompress it first, e.g. with gunzip)",
                file.display()
            )));
        }
        f.seek(SeekFrom::Start(0))
            .map_err(|e| input(e.to_string()))?;
        let mut archive = tar::Archive::new(f);
        let mut members = HashMap::new();
        let entries = archive
            .entries()
            .map_err(|e| input(format!("{} is not a tar archive: {e}", file.display())))?;
        for entry in entries {
            let entry =
                entry.map_err(|e| input(format!("{}: bad tar entry: {e}", file.display())))?;
            if !matches!(
                entry.header().entry_type(),
                tar::EntryType::Regular | tar::EntryType::Continuous
            ) {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let key = ImagePath::normalize(&name)
                .0
                .as_str()
                .trim_start_matches('/')
                .to_owned();
            members.insert(key, (entry.raw_file_position(), entry.size()));
        }
        if members.is_empty() {
            return Err(input(format!(
                "{} holds no files: not an image archive",
                file.display()
            )));
        }
        Ok(Self {
            file: file.to_path_buf(),
            members,
        })
    }

    fn locate(&self, rel: &str) -> Option<(u64, u64)> {
        let key = ImagePath::normalize(rel)
            .0
            .as_str()
            .trim_start_matches('/')
            .to_owned();
        self.members.get(&key).copied()
    }

    pub fn has(&self, rel: &str) -> bool {
        self.locate(rel).is_some()
    }
}

impl LayoutFs for TarIndex {
    fn read(&self, rel: &str) -> Result<Vec<u8>, SourceError> {
        let mut r = self
            .open(rel)
            .map_err(|e| SourceError::Input(format!("{}: {e}", self.file.display())))?;
        let mut buf = Vec::new();
        r.read_to_end(&mut buf)
            .map_err(|e| SourceError::Input(format!("{}: {rel}: {e}", self.file.display())))?;
        Ok(buf)
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
}

/// `oci-archive:FILE[:REF]`.
pub fn open_oci(
    file: &Path,
    reference: Option<&str>,
    platform: &Platform,
) -> Result<(Image, LayoutBlobs<TarIndex>), SourceError> {
    let index = TarIndex::build(file)?;
    if !index.has("index.json") {
        return Err(SourceError::Input(format!(
            "{} holds no index.json: not an OCI archive (a docker save file? use docker-archive:)",
            file.display()
        )));
    }
    let image = layout::open(
        &index,
        &format!("oci-archive:{}", file.display()),
        reference,
        platform,
    )?;
    Ok((image, LayoutBlobs(index)))
}

/// Blobs of a docker archive, found by their member path.
pub struct DockerBlobs(TarIndex);

impl BlobStore for DockerBlobs {
    fn open(&self, layer: &LayerDescriptor) -> std::io::Result<Box<dyn Read + Send + '_>> {
        self.0.open(&layer.locator)
    }
}

/// `docker-archive:FILE[:REF]`: `manifest.json` lists, per image, its config file, tags and
/// layer files (`<id>/layer.tar` in the classic format, `blobs/sha256/<hex>` since Docker 25).
pub fn open_docker(
    file: &Path,
    reference: Option<&str>,
) -> Result<(Image, DockerBlobs), SourceError> {
    let index = TarIndex::build(file)?;
    if !index.has("manifest.json") {
        return Err(SourceError::Input(format!(
            "{} holds no manifest.json: not a docker archive (an OCI archive? use oci-archive:)",
            file.display()
        )));
    }
    let manifest = parse_json(&index.read("manifest.json")?, "manifest.json")?;
    let images = manifest
        .as_array()
        .ok_or_else(|| SourceError::Input("manifest.json is not a list of images".into()))?;
    let tags = |m: &Value| -> Vec<String> {
        m.get("RepoTags")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let chosen = match reference {
        Some(r) => images.iter().find(|m| {
            tags(m)
                .iter()
                .any(|t| t == r || t.rsplit_once('/').map(|(_, n)| n) == Some(r))
        }),
        None if images.len() == 1 => images.first(),
        None => {
            let all: Vec<String> = images.iter().flat_map(tags).collect();
            return Err(SourceError::Input(format!(
                "the archive holds {} images; name one as docker-archive:FILE:TAG (tags: {})",
                images.len(),
                all.join(", ")
            )));
        }
    }
    .ok_or_else(|| {
        SourceError::Input(format!(
            "the archive has no image tagged {:?}",
            reference.unwrap_or_default()
        ))
    })?;
    let config_path = chosen
        .get("Config")
        .and_then(Value::as_str)
        .ok_or_else(|| SourceError::Input("manifest.json names no Config".into()))?;
    let config_bytes = index.read(config_path)?;
    // In the classic format the config file is named by its digest; check it when it is.
    let stem = Path::new(config_path)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if let Ok(d) = Digest::parse(&format!("sha256:{stem}")) {
        super::verify(&config_bytes, &d, "the image config")?;
    } else if let Some(hex) = config_path.strip_prefix("blobs/sha256/") {
        if let Ok(d) = Digest::parse(&format!("sha256:{hex}")) {
            super::verify(&config_bytes, &d, "the image config")?;
        }
    }
    let config = parse_json(&config_bytes, "the image config")?;
    let ids = diff_ids(&config);
    let layer_files: Vec<&str> = chosen
        .get("Layers")
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if layer_files.is_empty() {
        return Err(SourceError::Input("manifest.json lists no layers".into()));
    }
    let mut layers = Vec::with_capacity(layer_files.len());
    for (i, rel) in layer_files.iter().enumerate() {
        let (_, size) = index.locate(rel).ok_or_else(|| {
            SourceError::Input(format!(
                "manifest.json names layer {rel}, which the archive does not hold"
            ))
        })?;
        // Docker 25+ stores layers as content-addressed blobs; their name is their digest.
        let digest = rel
            .strip_prefix("blobs/sha256/")
            .and_then(|hex| Digest::parse(&format!("sha256:{hex}")).ok());
        layers.push(LayerDescriptor {
            digest,
            diff_id: ids.get(i).cloned().flatten(),
            size,
            media_type: String::new(),
            annotations: None,
            locator: (*rel).to_owned(),
        });
    }
    let image = Image {
        name: format!("docker-archive:{}", file.display()),
        manifest_digest: None,
        manifest_size: 0,
        config_size: config_bytes.len() as u64,
        config,
        layers,
        repo_tags: tags(chosen),
    };
    Ok((image, DockerBlobs(index)))
}
