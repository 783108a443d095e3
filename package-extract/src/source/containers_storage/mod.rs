//! `containers-storage:[DRIVER@GRAPHROOT+RUNROOT]NAME`: an image in Podman's, Buildah's and
//! CRI-O's local store, read from disk with no service running. The image is found in
//! `<driver>-images/images.json`, its config and manifest are the `=`-prefixed big-data files
//! beside it, and each layer's tar is rebuilt exactly from `<driver>-layers/ID.tar-split.gz` and
//! the layer's files (`overlay/ID/diff`, `vfs/dir/ID`): the same bytes `skopeo copy` and
//! `podman save` export, checked against the layer's recorded `diff-digest` as they are walked.

mod location;
mod records;
mod tar_split;

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::AnalyzerError;

use super::bounded::{MAX_CONFIG, MAX_DOCUMENT, MAX_MANIFEST, read_capped};
use super::{BlobStore, Image, LayerDescriptor};
use crate::digest::Digest;
pub use location::{Reference, Store};
use records::{ImageRecord, LayerRecord};

/// The graph drivers whose layer files this reader knows.
const SUPPORTED: &[&str] = &["overlay", "vfs"];

/// Drivers containers/storage may have used, in its order of preference, for finding the
/// store's driver when neither the reference nor `storage.conf` names one.
const KNOWN: &[&str] = &["overlay", "btrfs", "zfs", "vfs", "aufs", "devicemapper"];

const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";

/// Opens `text` (what follows `containers-storage:`).
pub fn open(text: &str) -> Result<(Image, StoreBlobs), AnalyzerError> {
    let reference = Reference::parse(text).map_err(AnalyzerError::usage)?;
    let store = location::locate(&reference)?;
    let driver = driver(&store)?;
    let images_dir = store.graphroot.join(format!("{driver}-images"));
    let images: Vec<ImageRecord> = read_catalogue(&images_dir.join("images.json"), &store)?;
    let record = records::find(&images, &reference.image)
        .map_err(|e| {
            AnalyzerError::input(format!("{e} (store {}, driver {driver})", store.graphroot.display()))
                .with_hint("list the store's images with `podman images` (with the same --root and --storage-driver)")
        })?
        .clone();
    check_id(&record.id, "image")?;
    let layers: Vec<LayerRecord> = read_catalogue(
        &store.graphroot.join(format!("{driver}-layers/layers.json")),
        &store,
    )?;
    let chain = match record.layer.as_deref().filter(|l| !l.is_empty()) {
        Some(top) => records::chain(&layers, top).map_err(AnalyzerError::input)?,
        None => Vec::new(),
    };

    let big_data = |key: &str, limit: u64| -> Result<Vec<u8>, AnalyzerError> {
        let file = images_dir.join(&record.id).join(big_data_file(key));
        let f = std::fs::File::open(&file).map_err(|e| {
            AnalyzerError::input(format!(
                "image {} has no {key} in the store ({}): {e}",
                record.id,
                file.display()
            ))
        })?;
        read_capped(f, limit, key).map_err(|e| AnalyzerError::input(e.to_string()))
    };
    let config_digest = Digest::parse(&format!("sha256:{}", record.id))
        .map_err(|e| AnalyzerError::input(format!("image id {}: {e}", record.id)))?;
    let config_bytes = big_data(&config_digest.to_string(), MAX_CONFIG)?;
    super::verify(&config_bytes, &config_digest, "the image config")?;
    let config = super::parse_json(&config_bytes, "the image config")?;
    // The manifest the image was pulled or committed with (by digest when named so).
    let manifest_key = manifest_key(&record, &reference.image);
    let manifest = big_data(&manifest_key, MAX_MANIFEST).ok();

    let descriptors = chain
        .iter()
        .copied()
        .map(descriptor)
        .collect::<Result<Vec<_>, _>>()?;
    let want: Vec<_> = super::diff_ids(&config);
    let have: Vec<_> = descriptors.iter().map(|d| d.diff_id.clone()).collect();
    if !want.is_empty() && want != have {
        return Err(AnalyzerError::input(format!(
            "image {}: its config lists {} layers (rootfs.diff_ids) but the store's chain holds {} with other digests: the store is inconsistent",
            record.id,
            want.len(),
            have.len()
        )));
    }
    let image = Image {
        name: format!("containers-storage:{text}"),
        manifest_digest: manifest.as_deref().map(Digest::of),
        manifest_size: manifest.as_ref().map_or(0, |m| m.len() as u64),
        config_size: config_bytes.len() as u64,
        config,
        layers: descriptors,
        repo_tags: record.names.clone(),
        notes: Vec::new(),
    };
    tracing::info!(image = %record.id, driver, store = %store.graphroot.display(), layers = image.layers.len(), "containers-storage image found");
    Ok((
        image,
        StoreBlobs {
            layers_dir: store.graphroot.join(format!("{driver}-layers")),
            files: match driver {
                "overlay" => LayerFiles::Overlay(store.graphroot.join("overlay")),
                _ => LayerFiles::Vfs(store.graphroot.join("vfs/dir")),
            },
        },
    ))
}

/// The store's driver: as configured, else the one whose catalogue exists.
fn driver(store: &Store) -> Result<&'static str, AnalyzerError> {
    let name = match &store.driver {
        Some(d) => d.clone(),
        None => {
            if !store.graphroot.is_dir() {
                return Err(no_store(store));
            }
            KNOWN
                .iter()
                .find(|d| {
                    store
                        .graphroot
                        .join(format!("{d}-images/images.json"))
                        .is_file()
                })
                .map(|d| (*d).to_owned())
                .ok_or_else(|| no_store(store))?
        }
    };
    let name = if name == "overlay2" {
        "overlay".to_owned()
    } else {
        name
    };
    SUPPORTED
        .iter()
        .find(|d| **d == name)
        .copied()
        .ok_or_else(|| {
            AnalyzerError::input(format!(
                "the store at {} uses the {name} driver, which package-extract does not read (it reads {})",
                store.graphroot.display(),
                SUPPORTED.join(" and ")
            ))
            .with_hint("export the image with `podman save --format oci-archive -o image.tar NAME` and read oci-archive:image.tar")
        })
}

fn no_store(store: &Store) -> AnalyzerError {
    let consulted: Vec<String> = store
        .consulted
        .iter()
        .map(|(p, exists)| format!("{}{}", p.display(), if *exists { "" } else { " (absent)" }))
        .collect();
    AnalyzerError::input(format!(
        "no containers-storage store at {} ({} user; storage.conf files consulted: {})",
        store.graphroot.display(),
        if store.rootless { "a rootless" } else { "the root" },
        consulted.join(", ")
    ))
    .with_hint("the store's location and driver come from storage.conf (or CONTAINERS_STORAGE_CONF), or name them as containers-storage:[DRIVER@GRAPHROOT]NAME, like podman's --root and --storage-driver vfs")
}

fn read_catalogue<T: serde::de::DeserializeOwned>(
    path: &Path,
    store: &Store,
) -> Result<Vec<T>, AnalyzerError> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => no_store(store),
        std::io::ErrorKind::PermissionDenied => AnalyzerError::input(format!(
            "permission denied reading {}: {e}",
            path.display()
        ))
        .with_hint(if store.rootless {
            "this store belongs to another user (root's is /var/lib/containers/storage): run as that user, or read your own rootless store (~/.local/share/containers/storage)"
        } else {
            "the store's files are not readable by this user"
        }),
        _ => AnalyzerError::input(format!("cannot read {}: {e}", path.display())),
    })?;
    let bytes = read_capped(file, MAX_DOCUMENT, &path.display().to_string())
        .map_err(|e| AnalyzerError::input(e.to_string()))?;
    // An empty catalogue file is what a fresh store writes before its first image.
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        AnalyzerError::input(format!(
            "{} is not a valid store catalogue: {e}",
            path.display()
        ))
    })
}

/// The file name containers/storage gives a big-data item: the key itself when it is only
/// lower-case letters, digits and dots (`manifest`), else `=` and the key's base64.
fn big_data_file(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b == b'.' || b.is_ascii_digit() || b.is_ascii_lowercase())
    {
        return key.to_owned();
    }
    format!("={}", base64::engine::general_purpose::STANDARD.encode(key))
}

fn manifest_key(record: &ImageRecord, asked: &str) -> String {
    asked
        .split_once('@')
        .map(|(_, d)| format!("manifest-{d}"))
        .filter(|k| record.big_data_names.contains(k))
        .unwrap_or_else(|| "manifest".to_owned())
}

/// Ids name files and directories: anything but 64 hex digits could leave the store.
fn check_id(id: &str, what: &str) -> Result<(), AnalyzerError> {
    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(AnalyzerError::input(format!(
            "the store names {what} {id:?}, which is not a 64-digit hex id"
        )))
    }
}

fn descriptor(layer: &LayerRecord) -> Result<LayerDescriptor, AnalyzerError> {
    check_id(&layer.id, "layer")?;
    let diff_id = layer
        .diff_digest
        .as_deref()
        .map(Digest::parse)
        .transpose()
        .map_err(|e| AnalyzerError::input(format!("layer {}: diff-digest: {e}", layer.id)))?;
    Ok(LayerDescriptor {
        // The blob is the uncompressed tar; its digest is the diff_id, checked by the walk.
        digest: None,
        diff_id,
        size: layer.diff_size.unwrap_or(0),
        size_known: layer.diff_size.is_some(),
        media_type: OCI_LAYER_TAR.to_owned(),
        annotations: None,
        locator: layer.id.clone(),
    })
}

/// Where a driver keeps a layer's files.
#[derive(Debug, Clone)]
enum LayerFiles {
    Overlay(PathBuf),
    /// Full snapshots: a layer's own files (those its tar-split names) are there as written.
    Vfs(PathBuf),
}

/// Rebuilds layer tars from the store.
pub struct StoreBlobs {
    layers_dir: PathBuf,
    files: LayerFiles,
}

impl BlobStore for StoreBlobs {
    fn open(&self, layer: &LayerDescriptor) -> std::io::Result<Box<dyn Read + Send + '_>> {
        let id = &layer.locator;
        let tar_split = self.layers_dir.join(format!("{id}.tar-split.gz"));
        if !tar_split.is_file() {
            return Err(std::io::Error::other(format!(
                "layer {id} has no tar-split record ({}), so its tar cannot be rebuilt exactly; export the image with `podman save --format oci-archive`",
                tar_split.display()
            )));
        }
        let files = match &self.files {
            LayerFiles::Overlay(root) => root.join(id).join("diff"),
            LayerFiles::Vfs(root) => root.join(id),
        };
        Ok(Box::new(tar_split::Reassembler::open(&tar_split, files)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_big_data_files_as_the_store_does() {
        // Seen in a store podman 4 filled: the config of image af341c….
        assert_eq!(
            big_data_file(
                "sha256:af341ccd2df8b0e2d67cf8dd32e087bfda4e5756ebd1c76bbf3efa0dc246590e"
            ),
            "=c2hhMjU2OmFmMzQxY2NkMmRmOGIwZTJkNjdjZjhkZDMyZTA4N2JmZGE0ZTU3NTZlYmQxYzc2YmJmM2VmYTBkYzI0NjU5MGU="
        );
        assert_eq!(big_data_file("manifest"), "manifest");
    }

    #[test]
    fn refuses_ids_that_are_paths() {
        assert!(check_id("../../etc", "layer").is_err());
        assert!(check_id(&"a".repeat(64), "layer").is_ok());
    }
}
