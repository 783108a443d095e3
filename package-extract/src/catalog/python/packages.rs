//! `python-packages`: every distribution installed in a `site-packages` or `dist-packages`
//! directory, found from its metadata (Thoth asked pip's `freeze`, and only for
//! `site-packages`, so Debian's `dist-packages` went unseen).

use std::collections::BTreeSet;

use common::python::{CoreMetadata, License, normalize_name};
use schemars::JsonSchema;
use serde::Serialize;

use crate::path::ImagePath;
use crate::tree::{FileTree, Node};

/// How the distribution is installed, which decides where its metadata is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DistributionFormat {
    /// `NAME-VER.dist-info/METADATA` (pip, wheels).
    DistInfo,
    /// `NAME-VER.egg-info/PKG-INFO` (setuptools `install`).
    EggInfo,
    /// `NAME-VER.egg-info` as a single file (distutils, Debian's python packages).
    EggInfoFile,
    /// `NAME-VER.egg/EGG-INFO/PKG-INFO` (easy_install, unzipped).
    Egg,
    /// A zipped `NAME-VER.egg`: only its file name is read.
    ZippedEgg,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PythonPackage {
    /// Thoth's fields: the name and version from the metadata (falling back to the directory
    /// or file name) and the site directory.
    pub package_name: String,
    pub package_version: String,
    pub location: String,
    /// New: PEP 503 normalised name.
    pub normalized_name: String,
    /// New.
    pub format: DistributionFormat,
    /// New: the METADATA / PKG-INFO file read (the `.egg` file itself when zipped).
    pub metadata_path: String,
    /// New: the INSTALLER file of a `.dist-info` (`pip`, `uv`, `conda`, ...).
    pub installer: Option<String>,
    /// New: `Requires-Dist` as written.
    pub requires_dist: Vec<String>,
    /// New: `License-Expression`, else `License`, else the licence classifiers joined by `; `.
    pub license: Option<String>,
    /// New: the layer that wrote the metadata file.
    pub layer: usize,
    /// The system package that installed this distribution (`deb:python3-six`), when one did.
    pub system_package: Option<String>,
    /// New: why the record is less certain than usual (name from the file name, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

const SITE_DIRS: [&str; 2] = ["site-packages", "dist-packages"];

/// Every distribution and the warnings met reading their metadata.
pub fn packages(tree: &FileTree) -> (Vec<PythonPackage>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut found: Vec<PythonPackage> = candidates(tree)
        .into_iter()
        .filter_map(|(site, name)| read_distribution(tree, &site, &name, &mut warnings))
        .collect();
    found.sort_by(|a, b| {
        (
            &a.location,
            &a.normalized_name,
            &a.package_version,
            &a.metadata_path,
        )
            .cmp(&(
                &b.location,
                &b.normalized_name,
                &b.package_version,
                &b.metadata_path,
            ))
    });
    (found, warnings)
}

/// `(site directory, distribution entry name)` for every path below a site directory whose
/// first component there is a distribution. Layers need not list directories, so they are
/// found from the paths under them.
fn candidates(tree: &FileTree) -> BTreeSet<(ImagePath, String)> {
    let mut out = BTreeSet::new();
    for (path, _) in tree.iter() {
        let s = path.as_str();
        // Cheap test first: most of an image is not below a site directory.
        if !(s.contains("/site-packages/") || s.contains("/dist-packages/")) {
            continue;
        }
        let parts: Vec<&str> = path.components().collect();
        for (i, part) in parts.iter().enumerate() {
            let Some(child) = parts.get(i + 1) else {
                break;
            };
            if SITE_DIRS.contains(part) && format_of_name(child).is_some() {
                let site = ImagePath::normalize(&parts[..=i].join("/")).0;
                out.insert((site, (*child).to_owned()));
            }
        }
    }
    out
}

fn format_of_name(name: &str) -> Option<DistributionFormat> {
    if name.ends_with(".dist-info") {
        Some(DistributionFormat::DistInfo)
    } else if name.ends_with(".egg-info") {
        Some(DistributionFormat::EggInfo)
    } else if name.ends_with(".egg") {
        Some(DistributionFormat::Egg)
    } else {
        None
    }
}

fn read_distribution(
    tree: &FileTree,
    site: &ImagePath,
    name: &str,
    warnings: &mut Vec<String>,
) -> Option<PythonPackage> {
    let dist = site.child(name);
    let is_file = matches!(
        tree.entry_resolved(&dist).map(|(_, e)| &e.node),
        Some(Node::File { .. })
    );
    let (format, metadata_path) = match format_of_name(name)? {
        DistributionFormat::DistInfo => (DistributionFormat::DistInfo, dist.child("METADATA")),
        DistributionFormat::EggInfo if is_file => (DistributionFormat::EggInfoFile, dist.clone()),
        DistributionFormat::EggInfo => (DistributionFormat::EggInfo, dist.child("PKG-INFO")),
        _ if is_file => (DistributionFormat::ZippedEgg, dist.clone()),
        _ => (DistributionFormat::Egg, dist.child("EGG-INFO/PKG-INFO")),
    };
    let (file_name, file_version) = name_from_file_name(name);
    let mut note = None;
    let metadata = if format == DistributionFormat::ZippedEgg {
        note = Some(
            "zipped .egg: name and version are from the file name (archive members are not read)"
                .to_owned(),
        );
        None
    } else {
        read_metadata(tree, &metadata_path, warnings)
    };
    let meta_name = metadata.as_ref().and_then(CoreMetadata::name);
    let meta_version = metadata.as_ref().and_then(CoreMetadata::version);
    if note.is_none() && (meta_name.is_none() || meta_version.is_none()) {
        note = Some("name or version taken from the directory or file name".to_owned());
    }
    let (Some(package_name), Some(package_version)) = (
        meta_name.map(str::to_owned).or(file_name),
        meta_version.map(str::to_owned).or(file_version),
    ) else {
        warnings.push(format!(
            "{dist}: no name or version in its metadata or its name; not reported"
        ));
        return None;
    };
    let layer = tree
        .entry_resolved(&metadata_path)
        .or_else(|| tree.entry_resolved(&dist))
        .map_or(0, |(_, e)| e.layer);
    let installer = (format == DistributionFormat::DistInfo)
        .then(|| tree.content(&dist.child("INSTALLER")))
        .flatten()
        .map(|b| String::from_utf8_lossy(b).trim().to_owned())
        .filter(|s| !s.is_empty());
    Some(PythonPackage {
        normalized_name: normalize_name(&package_name),
        package_name,
        package_version,
        location: site.to_string(),
        format,
        metadata_path: metadata_path.to_string(),
        installer,
        requires_dist: metadata
            .as_ref()
            .map(|m| {
                m.requires_dist()
                    .into_iter()
                    .map(|r| r.trim().to_owned())
                    .collect()
            })
            .unwrap_or_default(),
        license: metadata
            .as_ref()
            .and_then(CoreMetadata::license)
            .map(license_text),
        layer,
        system_package: None,
        note,
    })
}

/// Parses the metadata file; damage goes to `warnings`, prefixed with the file's path.
fn read_metadata(
    tree: &FileTree,
    path: &ImagePath,
    warnings: &mut Vec<String>,
) -> Option<CoreMetadata> {
    let Some(bytes) = tree.content(path) else {
        warnings.push(format!("{path}: metadata file missing or not kept"));
        return None;
    };
    match CoreMetadata::parse(bytes) {
        Ok(metadata) => {
            warnings.extend(metadata.warnings.iter().map(|w| format!("{path}: {w}")));
            Some(metadata)
        }
        Err(e) => {
            warnings.push(format!("{path}: {e}"));
            None
        }
    }
}

/// `NAME-VER[-pyX.Y[-platform]].{dist-info,egg-info,egg}`: installers escape `-` in names as
/// `_`, so the first `-` ends the name. A second part that does not start with a digit is not
/// a version (`no-version-py3.8.egg-info`).
fn name_from_file_name(file_name: &str) -> (Option<String>, Option<String>) {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    let mut parts = stem.split('-');
    let name = parts.next().filter(|n| !n.is_empty()).map(str::to_owned);
    let version = parts
        .next()
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_owned);
    (name, version)
}

fn license_text(license: License) -> String {
    match license {
        License::Expression(s) | License::Text(s) => s,
        License::Classifiers(c) => c.join("; "),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
