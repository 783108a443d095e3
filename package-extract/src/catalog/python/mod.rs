//! `python-packages`, `python-files` and `python-interpreters`: what Thoth got from pip's
//! internals, `os.walk` and running the image's interpreters, here read from the tree alone.

mod files;
mod interpreters;
mod packages;
mod version_string;

pub use files::{PythonFile, files};
pub use interpreters::{PythonInterpreter, VersionSource, interpreters};
pub use packages::{DistributionFormat, PythonPackage, packages};

use schemars::JsonSchema;
use serde::Serialize;

use crate::tree::FileTree;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PythonCatalog {
    /// Sorted by location, normalised name, version, metadata path.
    #[serde(rename = "python-packages")]
    pub packages: Vec<PythonPackage>,
    /// Sorted by path; empty when the walk computed no digests.
    #[serde(rename = "python-files")]
    pub files: Vec<PythonFile>,
    /// Sorted by path.
    #[serde(rename = "python-interpreters")]
    pub interpreters: Vec<PythonInterpreter>,
    /// Damaged metadata, unreadable configuration, dangling links (for the report's warnings).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

pub fn catalog(tree: &FileTree) -> PythonCatalog {
    let (packages, mut warnings) = packages(tree);
    let (interpreters, interpreter_warnings) = interpreters(tree);
    warnings.extend(interpreter_warnings);
    PythonCatalog {
        packages,
        files: files(tree),
        interpreters,
        warnings,
    }
}
