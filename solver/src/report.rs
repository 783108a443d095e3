//! The solver's document: thoth-solver's `result` key for key, plus what it could not say
//! (which artifacts exist and whether they fit the target, where the metadata came from).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::acquire::MetadataSource;
use crate::license::PackageLicense;

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Report {
    pub tree: Vec<TreeEntry>,
    pub errors: Vec<ErrorEntry>,
    pub unparsed: Vec<Unparsed>,
    pub unresolved: Vec<Unresolved>,
    /// The target's PEP 508 marker values.
    pub environment: Map<String, Value>,
    /// Packages installed in the solving environment: none, nothing is installed.
    pub environment_packages: Vec<EnvironmentPackage>,
    /// `sysconfig.get_platform()` of the target, e.g. `linux-x86_64`.
    pub platform: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EnvironmentPackage {
    pub package_name: String,
    pub package_version: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TreeEntry {
    /// The distribution's own spelling (metadata `Name`).
    pub package_name: String,
    /// Metadata `Version`.
    pub package_version: String,
    pub package_version_requested: String,
    pub index_url: String,
    pub importlib_metadata: ImportlibMetadata,
    pub dependencies: Vec<Dependency>,
    pub package_license: PackageLicense,
    /// sha256 of every artifact of this version on the index.
    pub sha256: Vec<String>,
    /// Import names, from the `__init__.py` files the wheel's RECORD lists.
    pub packages: Vec<String>,
    /// Every artifact of this version, and whether it fits the target.
    pub artifacts: Vec<Artifact>,
    /// Where the metadata was read from.
    pub metadata_source: MetadataSource,
    /// The file the metadata was read from.
    pub metadata_artifact: String,
    /// Problems met while reading the metadata (repaired encoding, unreadable lines, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ImportlibMetadata {
    /// Header fields; multiple-use fields as lists.
    pub metadata: Map<String, Value>,
    /// `Requires-Dist`, or null without any.
    pub requires: Option<Vec<String>>,
    pub entry_points: Vec<common::python::EntryPoint>,
    /// From the wheel's RECORD; null when only a metadata file was read.
    pub files: Option<Vec<FileEntry>>,
    pub version: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FileEntry {
    pub hash: Option<FileHash>,
    pub size: Option<u64>,
    pub path: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FileHash {
    pub mode: String,
    pub value: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Dependency {
    pub package_name: String,
    pub normalized_package_name: String,
    pub specifier: Option<String>,
    pub resolved_versions: Vec<ResolvedVersions>,
    pub extras: Vec<String>,
    pub extra: Vec<String>,
    pub marker: Option<String>,
    pub marker_evaluated: Option<String>,
    pub marker_evaluation_result: bool,
    pub marker_evaluation_error: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ResolvedVersions {
    pub index: String,
    pub versions: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorEntry {
    pub package_name: String,
    pub index_url: String,
    pub package_version: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub details: ErrorDetails,
    pub is_provided_package: bool,
    pub is_provided_package_version: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorDetails {
    pub message: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Unparsed {
    pub requirement: String,
    pub details: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Unresolved {
    pub package_name: String,
    pub version_spec: String,
    pub index_url: String,
    /// The index has the project at all.
    pub is_provided_package: bool,
    /// For `==` and `===` pins: the index has that exact version. Null otherwise.
    pub is_provided_package_version: Option<bool>,
    /// Why nothing was resolved (new).
    pub reason: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Artifact {
    pub filename: String,
    pub url: String,
    pub sha256: Option<String>,
    pub requires_python: Option<String>,
    pub yanked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub yanked_reason: Option<String>,
    /// `wheel` or `sdist`.
    pub kind: String,
    /// The wheel's `python-abi-platform` tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The target can install it: Requires-Python holds, and a wheel's tags fit.
    pub fits_target: bool,
}
