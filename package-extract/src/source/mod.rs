//! Where an image comes from. Each input kind yields an [`Image`]: its manifest, its config and
//! a [`BlobStore`] that opens each layer as a stream.

pub mod archive;
pub mod artifact;
pub mod auth;
pub mod bounded;
pub mod containers_storage;
pub mod daemon;
pub mod docker_archive;
pub mod engine_http;
pub mod layout;
pub mod local;
pub mod platform;
pub mod reference;
pub mod registry;
pub mod rootfs;

use std::io::Read;

use serde_json::Value;

use crate::digest::Digest;

pub use reference::ImageRef;

/// One layer as the manifest describes it.
#[derive(Debug, Clone)]
pub struct LayerDescriptor {
    /// Of the blob as stored; absent in old docker-archive files, whose layers are named by path.
    pub digest: Option<Digest>,
    /// Of the uncompressed tar, from the config's `rootfs.diff_ids`.
    pub diff_id: Option<Digest>,
    /// Bytes of the blob: declared by the manifest, or the member's size in an archive.
    pub size: u64,
    /// Whether `size` is known; the walk then reads exactly that many bytes or fails.
    pub size_known: bool,
    pub media_type: String,
    pub annotations: Option<Value>,
    /// Where the store finds the blob (a path inside an archive or layout, or the digest).
    pub locator: String,
}

/// An image ready to be walked.
#[derive(Debug, Clone)]
pub struct Image {
    /// The reference the user gave, without credentials.
    pub name: String,
    /// Digest of the manifest (for registry and layout images).
    pub manifest_digest: Option<Digest>,
    pub manifest_size: u64,
    pub config: Value,
    pub config_size: u64,
    pub layers: Vec<LayerDescriptor>,
    pub repo_tags: Vec<String>,
    /// What the reader chose on the user's behalf (a platform, a config name), for `warnings`.
    pub notes: Vec<String>,
}

impl Image {
    /// Manifest, config and layer bytes together; `None` if the declared sizes overflow.
    pub fn total_size(&self) -> Option<u64> {
        self.layers.iter().try_fold(
            self.manifest_size.checked_add(self.config_size)?,
            |sum, l| sum.checked_add(l.size),
        )
    }
}

/// Opens layer blobs. Implementations are shared between the threads that walk layers.
pub trait BlobStore: Sync {
    fn open(&self, layer: &LayerDescriptor) -> std::io::Result<Box<dyn Read + Send + '_>>;

    /// Says which layers will be opened (the others are in the layer cache), so a store that
    /// downloads can start them all at once; nothing is fetched before this or `open`.
    fn prefetch(&self, _layers: &[&LayerDescriptor]) {}

    /// Whether the readers `open` returns fail by themselves on a blob that does not hash to
    /// its digest, so that the layer walk need not hash it again.
    fn verifies_digests(&self) -> bool {
        false
    }
}

/// Why an image could not be read; each variant maps onto an exit code.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Network(String),
}

impl From<SourceError> for common::AnalyzerError {
    fn from(e: SourceError) -> Self {
        match e {
            SourceError::Usage(m) => common::AnalyzerError::usage(m),
            SourceError::Input(m) => common::AnalyzerError::input(m),
            SourceError::Network(m) => common::AnalyzerError::network(m),
        }
    }
}

/// Reads a JSON document, saying which one was bad.
pub(crate) fn parse_json(bytes: &[u8], what: &str) -> Result<Value, SourceError> {
    serde_json::from_slice(bytes)
        .map_err(|e| SourceError::Input(format!("{what} is not valid JSON: {e}")))
}

/// Layer descriptors from an OCI / Docker v2 schema 2 manifest, paired with the config's
/// `diff_ids`.
pub fn layers_from_manifest(
    manifest: &Value,
    config: &Value,
) -> Result<Vec<LayerDescriptor>, SourceError> {
    let layers = manifest
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| SourceError::Input("the manifest lists no layers".into()))?;
    let diff_ids = diff_ids(config);
    layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let digest_text = l.get("digest").and_then(Value::as_str).unwrap_or_default();
            let digest = Digest::parse(digest_text)
                .map_err(|e| SourceError::Input(format!("layer {i} of the manifest: {e}")))?;
            let size = l.get("size").and_then(Value::as_u64);
            Ok(LayerDescriptor {
                locator: digest.to_string(),
                digest: Some(digest),
                diff_id: diff_ids.get(i).cloned().flatten(),
                size: size.unwrap_or(0),
                size_known: size.is_some(),
                media_type: l
                    .get("mediaType")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                annotations: l.get("annotations").cloned(),
            })
        })
        .collect()
}

pub(crate) fn diff_ids(config: &Value) -> Vec<Option<Digest>> {
    config
        .pointer("/rootfs/diff_ids")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .map(|d| d.as_str().and_then(|s| Digest::parse(s).ok()))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks a small blob (manifest, config) read whole against its digest.
pub(crate) fn verify(bytes: &[u8], want: &Digest, what: &str) -> Result<(), SourceError> {
    let actual = Digest::of(bytes);
    if actual == *want {
        Ok(())
    } else {
        Err(SourceError::Input(format!(
            "{what}: digest mismatch: expected {want}, the blob hashes to {actual}"
        )))
    }
}
