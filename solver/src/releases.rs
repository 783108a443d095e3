//! A project page grouped by release, built once per page in O(n log n): the versions in
//! ascending order and each version's files, so that asking for one version's files is a binary
//! search instead of a scan of the page (a scan per version made a page of n versions cost n²).
//!
//! Also whether a file fits the target, with the reason in words when it does not: the
//! explanations of `resolve` and the `errors` of `python` name it.

use std::sync::Arc;

use common::index::{Distribution, IndexFile, ProjectPage};
use common::python::{TargetEnvironment, Version, VersionSpecifiers};

use crate::specifier;

pub struct Releases {
    page: Arc<ProjectPage>,
    /// Indexes into `page.files` of the files with a version, ordered by version.
    order: Vec<usize>,
    /// One `(start, end)` range of `order` per distinct version, ascending.
    groups: Vec<(usize, usize)>,
}

impl Releases {
    pub fn new(page: Arc<ProjectPage>) -> Self {
        let mut order: Vec<usize> = (0..page.files.len())
            .filter(|&i| page.files[i].version().is_some())
            .collect();
        order.sort_by(|&a, &b| page.files[a].version().cmp(&page.files[b].version()));
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for (position, &file) in order.iter().enumerate() {
            match groups.last_mut() {
                Some((start, end))
                    if page.files[order[*start]].version() == page.files[file].version() =>
                {
                    *end = position + 1;
                }
                _ => groups.push((position, position + 1)),
            }
        }
        Self {
            page,
            order,
            groups,
        }
    }

    pub fn page(&self) -> &ProjectPage {
        &self.page
    }

    fn version_of(&self, group: (usize, usize)) -> &Version {
        // Every file in `order` has a version (filtered in `new`).
        self.page.files[self.order[group.0]]
            .version()
            .unwrap_or_else(|| unreachable!("files without a version are not grouped"))
    }

    fn files_in(&self, group: (usize, usize)) -> impl Iterator<Item = &IndexFile> + '_ {
        self.order[group.0..group.1]
            .iter()
            .map(|&i| &self.page.files[i])
    }

    /// The distinct versions, ascending.
    pub fn versions(&self) -> impl DoubleEndedIterator<Item = &Version> + '_ {
        self.groups.iter().map(|&g| self.version_of(g))
    }

    /// Each version with its files, ascending.
    pub fn iter(
        &self,
    ) -> impl DoubleEndedIterator<Item = (&Version, impl Iterator<Item = &IndexFile> + '_)> + '_
    {
        self.groups
            .iter()
            .map(|&g| (self.version_of(g), self.files_in(g)))
    }

    /// The files of one version (PEP 440 equality: `1.0` and `1.0.0` are one release).
    pub fn files_of(&self, version: &Version) -> Vec<&IndexFile> {
        self.groups
            .binary_search_by(|&g| self.version_of(g).cmp(version))
            .map(|i| self.files_in(self.groups[i]).collect())
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

/// Why a file cannot be installed on the target, in words; `None` when it can.
pub fn unfit(file: &IndexFile, env: &TargetEnvironment) -> Option<String> {
    match &file.distribution {
        Distribution::Wheel(w) if !w.is_compatible(env) => {
            return Some(format!(
                "{}: its tags {} do not fit the target",
                file.filename,
                w.tags()
            ));
        }
        Distribution::Other => {
            return Some(format!(
                "{}: neither a wheel nor an sdist by its name",
                file.filename
            ));
        }
        Distribution::Wheel(_) | Distribution::Sdist(_) => {}
    }
    let python = &env.markers().python_full_version().version;
    match requires_python(file.requires_python.as_deref()) {
        Some(spec) if !spec.iter().all(|s| specifier::contains(s, python)) => Some(format!(
            "{}: Requires-Python {spec} excludes Python {python}",
            file.filename
        )),
        _ => None,
    }
}

/// A file's Requires-Python; an unreadable one is ignored, as pip does.
fn requires_python(text: Option<&str>) -> Option<VersionSpecifiers> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| t.parse().ok())
}
