//! The package-extract result: Thoth's keys with Thoth's meaning, plus new keys.

use schemars::JsonSchema;
use serde::Serialize;

use crate::inspect::SkopeoInspect;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {
    /// Layer digests in manifest order, without `sha256:` (as Thoth listed them).
    pub layers: Vec<String>,
    /// Compressed bytes: layer blobs, config and manifest (as Thoth measured).
    pub image_size: u64,
    /// Bytes of the uncompressed layer tars.
    pub image_size_uncompressed: u64,
    /// The fields `skopeo inspect` prints; null for a root filesystem (`dir:`).
    #[serde(rename = "skopeo-inspect")]
    pub skopeo_inspect: Option<SkopeoInspect>,
    /// Problems that did not stop the analysis (clamped paths, oversized files, ...).
    pub warnings: Vec<String>,
}
