//! The package-extract result: Thoth's keys with Thoth's meaning, plus new keys.

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::aicoe::AicoeCatalog;
use crate::catalog::apk::ApkCatalog;
use crate::catalog::cuda::CudaCatalog;
use crate::catalog::deb::DebCatalog;
use crate::catalog::elf::ElfCatalog;
use crate::catalog::os_release::OsReleaseCatalog;
use crate::catalog::python::PythonCatalog;
use crate::catalog::rpm::RpmCatalog;
use crate::inspect::SkopeoInspect;

/// Each cataloger owns its keys (`deb`, `python-packages`, ...) and is flattened in.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {
    #[serde(flatten)]
    pub operating_system: OsReleaseCatalog,
    #[serde(flatten)]
    pub rpm: RpmCatalog,
    #[serde(flatten)]
    pub deb: DebCatalog,
    #[serde(flatten)]
    pub python: PythonCatalog,
    #[serde(flatten)]
    pub apk: ApkCatalog,
    #[serde(flatten)]
    pub elf: ElfCatalog,
    #[serde(flatten)]
    pub cuda: CudaCatalog,
    #[serde(flatten)]
    pub aicoe: AicoeCatalog,
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
