//! `conda-packages`: the packages of every conda environment in the image (`/opt/conda`,
//! `/opt/conda/envs/*`, any directory holding `conda-meta/`), read from the JSON record conda,
//! mamba and rattler write for each linked package: `<prefix>/conda-meta/<name>-<version>-<build>.json`.
//!
//! Each record lists the files the package put in the prefix, so the Python distributions a
//! conda package installed are owned by it (`system_package: conda:<name>`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::seam::{self, Cataloger, Findings, Package, Scan, Wanted, link_dependencies};
use crate::path::ImagePath;
use crate::sbom::purl::purl;
use crate::tree::FileTree;

const RECORDS: &str = "/**/conda-meta/*.json";

pub const CATALOGER: Cataloger = Cataloger {
    name: "conda",
    files: &[Wanted::content(RECORDS)],
    keys: &["conda-packages"],
    schema: <CondaCatalog as JsonSchema>::json_schema,
    run,
};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CondaCatalog {
    /// Sorted by environment prefix, name, version, build.
    #[serde(rename = "conda-packages")]
    pub packages: Vec<CondaPackage>,
    #[serde(skip)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CondaPackage {
    pub name: String,
    pub version: String,
    /// The build string (`py312h1234567_0`).
    pub build: String,
    pub build_number: Option<u64>,
    /// The channel as the record names it (a name or a URL; credentials and `/t/<token>`
    /// segments removed).
    pub channel: Option<String>,
    /// The platform subdirectory (`linux-64`, `noarch`).
    pub subdir: Option<String>,
    /// `python` for noarch Python packages, `generic` for other noarch ones.
    pub noarch: Option<String>,
    /// The environment the package is linked into.
    pub prefix: String,
    pub license: Option<String>,
    /// The dependencies as the record writes them (`python >=3.8`).
    pub depends: Vec<String>,
    pub sha256: Option<String>,
    /// The record file.
    pub record: String,
    /// The layer that wrote the record.
    pub layer: usize,
    /// Files it installed, absolute (for ownership; not in the document).
    #[serde(skip)]
    pub files: Vec<String>,
}

/// The fields read from a record; the others (`paths_data`, `link`, ...) are ignored.
#[derive(Debug, Deserialize)]
struct Record {
    name: Option<String>,
    version: Option<String>,
    build: Option<String>,
    build_number: Option<u64>,
    channel: Option<String>,
    subdir: Option<String>,
    noarch: Option<serde_json::Value>,
    license: Option<String>,
    #[serde(default)]
    depends: Vec<String>,
    sha256: Option<String>,
    #[serde(default)]
    files: Vec<String>,
}

pub fn catalog(tree: &FileTree) -> CondaCatalog {
    let mut out = CondaCatalog::default();
    for found in seam::find(tree, RECORDS) {
        let Some(bytes) = tree.content(&found.real) else {
            continue;
        };
        let layer = tree.entry(&found.real).map_or(0, |e| e.layer);
        match read_record(&found.path, bytes, layer) {
            Ok(p) => out.packages.push(p),
            Err(why) => out.warnings.push(format!("{}: {why}", found.path)),
        }
    }
    out.packages.sort_by(|a, b| {
        (&a.prefix, &a.name, &a.version, &a.build).cmp(&(&b.prefix, &b.name, &b.version, &b.build))
    });
    out
}

fn read_record(path: &ImagePath, bytes: &[u8], layer: usize) -> Result<CondaPackage, String> {
    let record: Record =
        serde_json::from_slice(bytes).map_err(|e| format!("not a conda package record: {e}"))?;
    let name = record.name.filter(|n| !n.is_empty()).ok_or("no name")?;
    let version = record
        .version
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{name}: no version"))?;
    let prefix = path
        .parent()
        .and_then(|meta| meta.parent())
        .unwrap_or_else(ImagePath::root);
    let noarch = match record.noarch {
        Some(serde_json::Value::String(kind)) => Some(kind),
        // Old records wrote `"noarch": true` for generic noarch packages.
        Some(serde_json::Value::Bool(true)) => Some("generic".to_owned()),
        _ => None,
    };
    Ok(CondaPackage {
        files: record
            .files
            .iter()
            .map(|f| prefix.join_clamped(f).0.to_string())
            .collect(),
        build: record.build.unwrap_or_default(),
        build_number: record.build_number,
        channel: record.channel.as_deref().map(redact_channel),
        subdir: record.subdir,
        noarch,
        prefix: prefix.to_string(),
        license: record.license.filter(|l| !l.is_empty()),
        depends: record.depends,
        sha256: record.sha256,
        record: path.to_string(),
        layer,
        name,
        version,
    })
}

/// Channel URLs can carry credentials (`user:pass@`) or anaconda.org tokens (`/t/<token>/`);
/// neither reaches a document.
fn redact_channel(channel: &str) -> String {
    let url = common::secret::redact_url(channel);
    let mut parts: Vec<&str> = url.split('/').collect();
    if let Some(i) = parts.iter().position(|p| *p == "t") {
        if i + 1 < parts.len() && i > 2 {
            parts.remove(i + 1);
            parts.remove(i);
        }
    }
    parts.join("/")
}

/// The channel's name for the purl: the last path segment of its URL (`conda-forge`), or the
/// name itself; a trailing platform subdirectory is not part of it.
fn channel_name(p: &CondaPackage) -> String {
    let channel = p
        .channel
        .as_deref()
        .unwrap_or_default()
        .trim_end_matches('/');
    let channel = match &p.subdir {
        Some(subdir) => channel
            .strip_suffix(subdir.as_str())
            .map_or(channel, |c| c.trim_end_matches('/')),
        None => channel,
    };
    channel.rsplit('/').next().unwrap_or_default().to_owned()
}

fn run(scan: &Scan<'_>) -> Findings {
    let catalog = catalog(scan.tree);
    let packages = packages(&catalog.packages);
    let warnings = catalog.warnings.clone();
    Findings::of(&catalog, packages, warnings)
}

/// `pkg:conda/<name>@<version>?build=...&channel=...&subdir=...`, one per environment, with
/// `depends` linked inside the same environment.
fn packages(found: &[CondaPackage]) -> Vec<Package> {
    let mut out = Vec::new();
    for env in found.chunk_by(|a, b| a.prefix == b.prefix) {
        let mut packages: Vec<Package> = env
            .iter()
            .map(|c| {
                let channel = channel_name(c);
                let purl = purl(
                    "conda",
                    None,
                    &c.name,
                    &c.version,
                    &[
                        ("build", &c.build),
                        ("channel", &channel),
                        ("subdir", c.subdir.as_deref().unwrap_or_default()),
                    ],
                );
                let mut p = Package::new("conda", &c.name, &c.version, purl);
                p.license = c.license.clone();
                p.layer = c.layer;
                p.location = Some(c.prefix.clone());
                p.files = c.files.clone();
                p
            })
            .collect();
        let requires: Vec<Vec<String>> = env
            .iter()
            .map(|c| {
                c.depends
                    .iter()
                    .filter_map(|d| d.split_whitespace().next().map(str::to_owned))
                    .collect()
            })
            .collect();
        link_dependencies(&mut packages, &[], &requires);
        out.extend(packages);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::tree::build::LayerBuilder;

    const NUMPY: &[u8] = br#"{"name": "numpy", "version": "2.0.1", "build": "py312h1_0",
        "build_number": 0, "channel": "https://user:pw@conda.example/t/tk-123/conda-forge/linux-64",
        "subdir": "linux-64", "license": "BSD-3-Clause", "depends": ["python >=3.12,<3.13", "libzlib"],
        "files": ["lib/python3.12/site-packages/numpy-2.0.1.dist-info/METADATA"]}"#;

    #[test]
    fn records_of_every_environment() {
        let layer = LayerBuilder::new(0)
            .file("/opt/conda/conda-meta/history", b"")
            .file("/opt/conda/conda-meta/numpy-2.0.1-py312h1_0.json", NUMPY)
            .file(
                "/opt/conda/envs/ml/conda-meta/python-3.12.4-h0_0.json",
                br#"{"name": "python", "version": "3.12.4", "build": "h0_0", "subdir": "linux-64", "channel": "conda-forge"}"#,
            )
            .file("/opt/conda/envs/ml/conda-meta/broken.json", b"{")
            .file("/opt/conda/envs/ml/conda-meta/noname.json", b"{}");
        let tree = FileTree::overlay(vec![layer.index], |_| false);
        let c = catalog(&tree);
        let got: Vec<_> = c
            .packages
            .iter()
            .map(|p| (p.prefix.as_str(), p.name.as_str()))
            .collect();
        assert_eq!(
            got,
            [("/opt/conda", "numpy"), ("/opt/conda/envs/ml", "python")]
        );
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        let numpy = &c.packages[0];
        let channel = numpy.channel.as_deref().unwrap();
        assert!(
            !channel.contains("pw") && !channel.contains("tk-123"),
            "{channel}"
        );
        assert!(
            channel.ends_with("@conda.example/conda-forge/linux-64"),
            "{channel}"
        );
        assert_eq!(
            numpy.files,
            ["/opt/conda/lib/python3.12/site-packages/numpy-2.0.1.dist-info/METADATA"]
        );
        let purls: Vec<String> = packages(&c.packages).into_iter().map(|p| p.purl).collect();
        assert_eq!(
            purls,
            [
                "pkg:conda/numpy@2.0.1?build=py312h1_0&channel=conda-forge&subdir=linux-64",
                "pkg:conda/python@3.12.4?build=h0_0&channel=conda-forge&subdir=linux-64"
            ]
        );
    }
}
