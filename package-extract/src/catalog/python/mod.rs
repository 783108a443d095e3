//! `python-packages`, `python-files` and `python-interpreters`: what Thoth got from pip's
//! internals, `os.walk` and running the image's interpreters, here read from the tree alone.

mod files;
mod interpreters;
mod packages;
mod version_string;

pub use files::{PythonFile, files};
pub use interpreters::{PythonInterpreter, VersionSource, interpreters};
pub use packages::{DistributionFormat, PythonPackage, packages};

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::is_python_interpreter_name;
use crate::catalog::seam::{Cataloger, Findings, Keep, Package, Scan, Wanted, link_dependencies};
use crate::sbom::purl::purl;
use crate::tree::FileTree;

/// Metadata files of every installed distribution, wherever its site directory is.
const fn anywhere(glob: &'static str) -> Wanted {
    Wanted::content(glob)
}

pub const CATALOGER: Cataloger = Cataloger {
    name: "python",
    files: &[
        anywhere("/**/*.dist-info/METADATA"),
        anywhere("/**/*.dist-info/RECORD"),
        anywhere("/**/*.dist-info/INSTALLER"),
        anywhere("/**/*.dist-info/entry_points.txt"),
        anywhere("/**/*.dist-info/top_level.txt"),
        anywhere("/**/*.egg-info/PKG-INFO"),
        anywhere("/**/*.egg-info/installed-files.txt"),
        anywhere("/**/*.egg-info/SOURCES.txt"),
        anywhere("/**/*.egg-info/top_level.txt"),
        // distutils' single-file `.egg-info`.
        anywhere("/**/*.egg-info"),
        // Unzipped `.egg` directories keep their metadata in `EGG-INFO/PKG-INFO`.
        anywhere("/**/EGG-INFO/PKG-INFO"),
        anywhere("/**/pyvenv.cfg"),
        // Interpreters: their version is read from the binary.
        Wanted {
            name_filter: Some(is_python_interpreter_name),
            ..Wanted::content("/**/python*")
        },
        Wanted {
            name_filter: Some(is_python_interpreter_name),
            ..Wanted::content("/**/pypy*")
        },
        Wanted {
            keep: Keep::Digest,
            ..Wanted::content("/**/*.py")
        },
    ],
    keys: &["python-packages", "python-files", "python-interpreters"],
    schema: <PythonCatalog as JsonSchema>::json_schema,
    run,
};

/// Marks each distribution with the system package that installed it (the owner of its
/// metadata file; a `.dist-info` whose INSTALLER is `conda` but that no record lists is
/// `conda:<name>`), so it is reported once, as that package's.
fn run(scan: &Scan<'_>) -> Findings {
    let mut catalog = catalog(scan.tree);
    for p in &mut catalog.packages {
        p.system_package = scan.owner(&p.metadata_path).or_else(|| {
            (p.installer.as_deref() == Some("conda"))
                .then(|| format!("conda:{}", p.normalized_name))
        });
    }
    let packages = common_packages(&catalog.packages);
    let warnings = catalog.warnings.clone();
    Findings::of(&catalog, packages, warnings)
}

/// `pkg:pypi/<normalised name>@<version>`, one per site directory, with `Requires-Dist`
/// (unconditional ones, not extras) linked to distributions of the same site directory.
fn common_packages(found: &[PythonPackage]) -> Vec<Package> {
    let mut by_site: BTreeMap<&str, Vec<&PythonPackage>> = BTreeMap::new();
    for p in found {
        by_site.entry(&p.location).or_default().push(p);
    }
    let mut out = Vec::new();
    for site in by_site.values() {
        let mut packages: Vec<Package> = site
            .iter()
            .map(|d| {
                let purl = purl("pypi", None, &d.normalized_name, &d.package_version, &[]);
                let mut p = Package::new("pypi", &d.package_name, &d.package_version, purl);
                p.license = d.license.clone();
                p.layer = d.layer;
                p.location = Some(d.location.clone());
                p.owner = d.system_package.clone();
                p
            })
            .collect();
        let provides: Vec<Vec<String>> = site
            .iter()
            .map(|d| vec![d.normalized_name.clone()])
            .collect();
        let requires: Vec<Vec<String>> = site
            .iter()
            .map(|d| {
                d.requires_dist
                    .iter()
                    .filter_map(|r| required_name(r))
                    .collect()
            })
            .collect();
        link_dependencies(&mut packages, &provides, &requires);
        out.extend(packages);
    }
    out
}

/// The normalised project name of a `Requires-Dist` that is always needed (no `extra` marker).
fn required_name(requirement: &str) -> Option<String> {
    let (spec, marker) = requirement.split_once(';').unwrap_or((requirement, ""));
    if marker.contains("extra") {
        return None;
    }
    let name: String = spec
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (!name.is_empty()).then(|| common::python::normalize_name(&name))
}

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
