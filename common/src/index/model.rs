//! What an index says about a project: its files, each with the facts PEP 503/691 give.

use std::collections::BTreeMap;

use crate::python::{SdistFilename, Version, WheelFilename};

/// One project's page on one index (`<index>/<normalized-name>/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPage {
    /// The normalised project name (PEP 503), as requested.
    pub name: String,
    /// The URL the page was finally read from (after redirects), credentials removed.
    pub url: String,
    pub files: Vec<IndexFile>,
}

impl ProjectPage {
    /// The files of one version, matched by the version parsed from each filename.
    pub fn files_of(&self, version: &Version) -> impl Iterator<Item = &IndexFile> {
        self.files
            .iter()
            .filter(move |f| f.version() == Some(version))
    }

    /// The distinct versions the page lists, ascending.
    pub fn versions(&self) -> Vec<&Version> {
        let mut versions: Vec<&Version> =
            self.files.iter().filter_map(IndexFile::version).collect();
        versions.sort();
        versions.dedup();
        versions
    }
}

/// One file a project page links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    pub filename: String,
    /// Absolute, resolved against the page URL, without the hash fragment.
    pub url: String,
    /// Hash algorithm (lower case, e.g. `sha256`) to lower-case hex digest.
    pub hashes: BTreeMap<String, String>,
    /// `data-requires-python` / `requires-python`, HTML-unescaped.
    pub requires_python: Option<String>,
    /// PEP 592: `Some` when the file is yanked.
    pub yanked: Option<Yanked>,
    /// PEP 658/714: `Some` when the index serves the file's core metadata at `<url>.metadata`.
    pub core_metadata: Option<CoreMetadataRef>,
    /// The filename parsed as a wheel or an sdist.
    pub distribution: Distribution,
}

impl IndexFile {
    /// The sha256 digest the index gives, lower-case hex.
    pub fn sha256(&self) -> Option<&str> {
        self.hashes.get("sha256").map(String::as_str)
    }

    pub fn version(&self) -> Option<&Version> {
        match &self.distribution {
            Distribution::Wheel(w) => Some(w.version()),
            Distribution::Sdist(s) => Some(s.version()),
            Distribution::Other => None,
        }
    }

    pub fn is_yanked(&self) -> bool {
        self.yanked.is_some()
    }

    /// Where the PEP 658 metadata file is, when the index has one.
    pub fn core_metadata_url(&self) -> Option<String> {
        self.core_metadata
            .as_ref()
            .map(|_| format!("{}.metadata", self.url))
    }
}

/// A yanked file (PEP 592), with the index's reason when it gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Yanked {
    pub reason: Option<String>,
}

/// A PEP 658 metadata file exists; its hashes when the index gave them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CoreMetadataRef {
    pub hashes: BTreeMap<String, String>,
}

/// A filename read as a distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distribution {
    Wheel(WheelFilename),
    Sdist(SdistFilename),
    /// Neither (an `.exe` or `.egg` installer, a file named against the conventions).
    Other,
}

impl Distribution {
    /// Parses `filename` of project `project` (sdist names need the project to split off the
    /// version when the name itself has dashes).
    pub fn parse(filename: &str, project: &str) -> Self {
        if filename.ends_with(".whl") {
            return WheelFilename::parse(filename).map_or(Self::Other, Self::Wheel);
        }
        SdistFilename::parse_for(filename, project)
            .or_else(|_| SdistFilename::parse(filename))
            .map_or(Self::Other, Self::Sdist)
    }
}
