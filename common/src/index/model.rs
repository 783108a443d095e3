//! What an index says about a project: its files, each with the facts PEP 503/691 give.

use std::collections::BTreeMap;

use crate::python::{SdistFilename, Version, WheelFilename};

/// One project's page on one index (`<index>/<normalized-name>/`).
///
/// The files keep the page's order; an index from version to files, built once, makes
/// [`Self::files_of`] a binary search and [`Self::versions`] a walk, so asking every version
/// for its files costs O(n log n) on a page of n files, not O(n²).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPage {
    /// The normalised project name (PEP 503), as requested.
    pub name: String,
    /// The URL the page was finally read from (after redirects), credentials removed.
    pub url: String,
    pub files: Vec<IndexFile>,
    /// Positions in `files` of the files with a version, ordered by version (stable: a
    /// version's files stay in page order).
    order: Vec<usize>,
    /// One `start..end` range of `order` per distinct version, ascending. Two flat vectors
    /// rather than a vector per version: a page of 10^6 versions would otherwise hold 10^6
    /// small allocations.
    by_version: Vec<(usize, usize)>,
}

impl ProjectPage {
    pub fn new(name: String, url: String, mut files: Vec<IndexFile>) -> Self {
        let mut order: Vec<usize> = (0..files.len())
            .filter(|&i| files[i].version().is_some())
            .collect();
        order.sort_by(|&a, &b| files[a].version().cmp(&files[b].version()));
        let mut by_version: Vec<(usize, usize)> = Vec::new();
        for (position, &file) in order.iter().enumerate() {
            match by_version.last_mut() {
                Some((start, end)) if files[order[*start]].version() == files[file].version() => {
                    *end = position + 1;
                    // The files of one version share one parsed version (a page lists tens of
                    // files per release; each parsed version is an allocation of ~150 bytes).
                    if let Some(first) = files[order[*start]].version().cloned() {
                        files[file].distribution.share_version(&first);
                    }
                }
                _ => by_version.push((position, position + 1)),
            }
        }
        Self {
            name,
            url,
            files,
            order,
            by_version,
        }
    }

    /// The version of the files in `order[start..]`.
    fn version_at(&self, start: usize) -> &Version {
        self.files[self.order[start]]
            .version()
            .unwrap_or_else(|| unreachable!("only files with a version are ordered"))
    }

    /// The files of one version, matched by the version parsed from each filename, in page
    /// order.
    pub fn files_of(&self, version: &Version) -> impl Iterator<Item = &IndexFile> {
        let at = self
            .by_version
            .binary_search_by(|&(start, _)| self.version_at(start).cmp(version))
            .map_or(&[][..], |found| {
                let (start, end) = self.by_version[found];
                &self.order[start..end]
            });
        at.iter().map(|&i| &self.files[i])
    }

    /// The distinct versions the page lists, ascending.
    pub fn versions(&self) -> Vec<&Version> {
        self.by_version
            .iter()
            .map(|&(start, _)| self.version_at(start))
            .collect()
    }
}

/// One file a project page links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexFile {
    pub filename: Box<str>,
    /// Absolute, resolved against the page URL, without the hash fragment.
    pub url: Box<str>,
    /// Hash algorithm (lower case, e.g. `sha256`) to lower-case hex digest.
    pub hashes: Hashes,
    /// `data-requires-python` / `requires-python`, HTML-unescaped.
    pub requires_python: Option<Box<str>>,
    /// PEP 592: `Some` when the file is yanked.
    pub yanked: Option<Yanked>,
    /// PEP 658/714: `Some` when the index serves the file's core metadata at `<url>.metadata`.
    pub core_metadata: Option<CoreMetadataRef>,
    /// PEP 700: the file's size in bytes, when the (JSON) page gives it; a download never
    /// reads more.
    pub size: Option<u64>,
    /// The filename parsed as a wheel or an sdist.
    pub distribution: Distribution,
}

impl IndexFile {
    /// The sha256 digest the index gives, lower-case hex.
    pub fn sha256(&self) -> Option<&str> {
        self.hashes.get("sha256")
    }

    pub fn version(&self) -> Option<&Version> {
        match &self.distribution {
            Distribution::Wheel(w) => Some(w.version()),
            Distribution::Sdist(s) => Some(s.version()),
            Distribution::Other => None,
        }
    }

    /// An estimate of the memory this file takes once parsed, in bytes: its fields, what they
    /// hold on the heap, the allocator's share of each allocation, and its place in the page's
    /// version index. Used to bound what a page may cost while it is read.
    pub fn heap_bytes(&self) -> usize {
        let text = |s: &str| s.len() + ALLOCATION_OVERHEAD;
        std::mem::size_of::<Self>()
            + 3 * std::mem::size_of::<usize>()
            + text(&self.filename)
            + text(&self.url)
            + self.hashes.heap_bytes()
            + self.requires_python.as_deref().map_or(0, text)
            + self
                .yanked
                .as_ref()
                .and_then(|y| y.reason.as_deref())
                .map_or(0, text)
            + self
                .core_metadata
                .as_ref()
                .map_or(0, |c| c.hashes.heap_bytes())
            + self.distribution.heap_bytes()
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
    pub hashes: Hashes,
}

/// A file's digests: algorithm (lower case) to lower-case hex digest, sorted by algorithm.
///
/// A boxed slice rather than a `BTreeMap`: a map of one entry allocates a whole B-tree leaf
/// (some 550 bytes), which on a page of 10^6 files was half of the page's memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hashes(Box<[(Box<str>, Box<str>)]>);

impl Hashes {
    /// The digest of `algorithm` (`sha256`), when the index gave one.
    pub fn get(&self, algorithm: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(a, _)| a.as_ref().cmp(algorithm))
            .ok()
            .map(|i| self.0[i].1.as_ref())
    }

    /// Algorithm and digest pairs, by algorithm.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(a, d)| (a.as_ref(), d.as_ref()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The bytes these digests hold on the heap (for a page's memory estimate).
    pub fn heap_bytes(&self) -> usize {
        self.0.len() * std::mem::size_of::<(Box<str>, Box<str>)>()
            + self
                .0
                .iter()
                .map(|(a, d)| a.len() + d.len() + 2 * ALLOCATION_OVERHEAD)
                .sum::<usize>()
    }
}

impl From<BTreeMap<String, String>> for Hashes {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(
            map.into_iter()
                .map(|(a, d)| (a.into_boxed_str(), d.into_boxed_str()))
                .collect(),
        )
    }
}

/// What the allocator adds to each allocation (its header and rounding), for estimates.
const ALLOCATION_OVERHEAD: usize = 16;

/// A filename read as a distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distribution {
    Wheel(WheelFilename),
    Sdist(SdistFilename),
    /// Neither (an `.exe` or `.egg` installer, a file named against the conventions).
    Other,
}

/// What one parsed version takes on the heap (pep440_rs keeps it behind an `Arc`), allocator's
/// share included; an estimate, for [`IndexFile::heap_bytes`].
const VERSION_BYTES: usize = 160;

impl Distribution {
    /// An estimate of what the parsed name holds on the heap (see [`IndexFile::heap_bytes`]).
    fn heap_bytes(&self) -> usize {
        match self {
            Self::Wheel(w) => VERSION_BYTES + w.heap_bytes() + 3 * ALLOCATION_OVERHEAD,
            Self::Sdist(s) => VERSION_BYTES + s.name().len() + ALLOCATION_OVERHEAD,
            Self::Other => 0,
        }
    }

    /// Replaces the version by an equal one that shares its allocation.
    fn share_version(&mut self, version: &Version) {
        match self {
            Self::Wheel(w) => w.share_version(version),
            Self::Sdist(s) => s.share_version(version),
            Self::Other => {}
        }
    }

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

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// A page of `versions` versions listed newest first, each with an sdist and a wheel that
    /// are not adjacent, and a file that is no distribution.
    fn page(versions: usize) -> ProjectPage {
        let mut html = String::from("<a href=\"foo-setup.exe\">x</a>\n");
        for i in (0..versions).rev() {
            let _ = writeln!(html, "<a href=\"foo-1.{i}.tar.gz\">x</a>");
        }
        for i in (0..versions).rev() {
            let _ = writeln!(html, "<a href=\"foo-1.{i}-py3-none-any.whl\">x</a>");
        }
        let url = reqwest::Url::parse("http://127.0.0.1:1/simple/foo/").expect("url");
        let files = super::super::parse_page(html.as_bytes(), "text/html", &url, "foo", usize::MAX)
            .expect("parses");
        ProjectPage::new("foo".into(), url.to_string(), files)
    }

    #[test]
    fn versions_are_ascending_and_each_finds_its_files_in_page_order() {
        let page = page(20_000);
        assert_eq!(page.files.len(), 40_001);
        let versions = page.versions();
        assert_eq!(versions.len(), 20_000);
        assert!(versions.windows(2).all(|w| w[0] < w[1]));
        let mut found = 0;
        for v in &versions {
            let files: Vec<&IndexFile> = page.files_of(v).collect();
            assert_eq!(files.len(), 2, "{v}");
            assert!(files[0].filename.ends_with(".tar.gz"), "page order kept");
            assert!(files.iter().all(|f| f.version() == Some(v)));
            found += files.len();
        }
        assert_eq!(found, 40_000, "the installer has no version");
        let absent: Version = "9.9".parse().expect("version");
        assert_eq!(page.files_of(&absent).count(), 0);
    }
}
