//! The cataloger seam: what one ecosystem declares, in one place, and what it yields.
//!
//! A [`Cataloger`] is a value: the files it reads (globs, each kept whole or as a digest, with
//! or without every layer's version), the Thoth document keys it fills with their schema, and
//! the function from the merged view ([`Scan`]) to its [`Findings`]: those keys, packages in
//! the one shape every output shares ([`Package`]), and warnings. The layer walk's capture,
//! the report, the warnings, CycloneDX, SPDX and the schema test all iterate
//! [`super::registry::CATALOGERS`]; nothing else lists ecosystems.

use std::collections::{BTreeMap, BTreeSet};

use schemars::{Schema, SchemaGenerator};
use serde::Serialize;
use serde_json::{Map, Value};

use super::glob::Glob;
use super::ownership::Owners;
use crate::path::ImagePath;
use crate::tree::FileTree;

pub struct Cataloger {
    /// Short name (`rpm`, `conda`, ...): tests and logs name the cataloger by it.
    pub name: &'static str,
    /// The files it reads. The layer walk keeps exactly these (plus their `/usr`-merge twins).
    pub files: &'static [Wanted],
    /// The result keys it fills, always (an image without the ecosystem gets empty values).
    pub keys: &'static [&'static str],
    /// The JSON Schema of those keys: an object schema whose properties are `keys`.
    pub schema: fn(&mut SchemaGenerator) -> Schema,
    /// Reads the merged view.
    pub run: fn(&Scan<'_>) -> Findings,
}

/// One file pattern a cataloger reads.
#[derive(Debug, Clone, Copy)]
pub struct Wanted {
    /// An absolute path, or a glob (`*`, `?` in a component, `**` for any components).
    pub glob: &'static str,
    pub keep: Keep,
    /// Keep every layer's version of the file, to tell which layer introduced a package
    /// ([`super::history::first_layers`]).
    pub history: bool,
    /// A further test of the file name, where a glob cannot say it (interpreter names).
    pub name_filter: Option<fn(&str) -> bool>,
}

impl Wanted {
    pub const fn content(glob: &'static str) -> Self {
        Self {
            glob,
            keep: Keep::Content,
            history: false,
            name_filter: None,
        }
    }

    /// A package database: its content and every layer's version of it.
    pub const fn database(glob: &'static str) -> Self {
        Self {
            history: true,
            ..Self::content(glob)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// The bytes (up to the capture limit).
    Content,
    /// The SHA-256 only, and only when the run asks for file digests (`python-files`).
    Digest,
}

/// What a cataloger sees: the merged tree, the distribution, and which system package owns a
/// path (from the packages of the catalogers registered before it).
pub struct Scan<'a> {
    pub tree: &'a FileTree,
    pub distro: &'a Distro,
    pub owners: &'a Owners,
}

/// A file a glob found: the path as declared or found, and where it really is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub path: ImagePath,
    pub real: ImagePath,
}

impl Scan<'_> {
    /// The files of the image matching `glob` ([`find`]).
    pub fn find(&self, glob: &str) -> Vec<Found> {
        find(self.tree, glob)
    }

    /// The system package that installed `path` (`deb:python3-six`, `conda:numpy`).
    pub fn owner(&self, path: &str) -> Option<String> {
        self.owners.owner(self.tree, path)
    }
}

/// The files matching `glob` that exist ([`find_all`] of one pattern).
pub fn find(tree: &FileTree, glob: &str) -> Vec<Found> {
    find_all(tree, &[glob])
}

/// The files matching any of `globs` that exist, each real file once (the first spelling
/// wins). A literal path is looked up through the image's symlinks, together with its
/// `/usr`-merge twin; a wildcard pattern is matched against every path of the tree.
pub fn find_all(tree: &FileTree, globs: &[&str]) -> Vec<Found> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut add = |path: ImagePath, real: ImagePath| {
        if seen.insert(real.clone()) {
            out.push(Found { path, real });
        }
    };
    for glob in globs.iter().map(|g| Glob::new(g)) {
        if let Some(path) = glob.literal() {
            let twin = glob.usr_merge_twin().and_then(|t| t.literal());
            for path in std::iter::once(path).chain(twin) {
                if let Some((real, _)) = tree.entry_resolved(&path) {
                    add(path, real);
                }
            }
            continue;
        }
        for (path, _) in tree.iter() {
            if glob.may_match_name(path.file_name()) && glob.matches_path(path) {
                let real = tree.resolve(path).unwrap_or_else(|| path.clone());
                add(path.clone(), real);
            }
        }
    }
    out
}

/// What a cataloger found.
#[derive(Debug, Default)]
pub struct Findings {
    /// Its result keys, as they go into the document.
    pub keys: Map<String, Value>,
    pub packages: Vec<Package>,
    pub warnings: Vec<String>,
}

impl Findings {
    /// The keys of a serialisable catalog (its `#[serde(skip)]` fields stay out).
    pub fn of<T: Serialize>(catalog: &T, packages: Vec<Package>, warnings: Vec<String>) -> Self {
        let keys = match serde_json::to_value(catalog) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        Self {
            keys,
            packages,
            warnings,
        }
    }
}

/// One package, in the terms every output shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The purl type: `rpm`, `deb`, `apk`, `conda`, `pypi`.
    pub ecosystem: &'static str,
    pub name: String,
    pub version: String,
    pub purl: String,
    pub license: Option<String>,
    pub layer: usize,
    /// Where it is installed, when one image can hold it in several places (a Python site
    /// directory, a conda environment prefix).
    pub location: Option<String>,
    /// The files it installed, as its database lists them (what ownership is computed from).
    pub files: Vec<String>,
    /// The packages it depends on, among those in the image, by [`Package::local_id`].
    pub depends_on: Vec<String>,
    /// The system package that installed it (`deb:python3-six`), for Python distributions.
    pub owner: Option<String>,
}

impl Package {
    pub fn new(ecosystem: &'static str, name: &str, version: &str, purl: String) -> Self {
        Self {
            ecosystem,
            name: name.to_owned(),
            version: version.to_owned(),
            purl,
            license: None,
            layer: 0,
            location: None,
            files: Vec::new(),
            depends_on: Vec::new(),
            owner: None,
        }
    }

    /// Identifies the package inside one document: its purl, and its location when it has one
    /// (the same distribution can sit in several site directories or environments).
    pub fn local_id(&self) -> String {
        match &self.location {
            Some(l) => format!("{}#{l}", self.purl),
            None => self.purl.clone(),
        }
    }

    /// How an owned file names its owner: `rpm:bash`.
    pub fn owner_name(&self) -> String {
        format!("{}:{}", self.ecosystem, self.name)
    }
}

/// Fills `depends_on` from what each package requires and provides (capabilities, names,
/// sonames: whatever the database uses), with the first provider in package order.
/// `provides[i]` and `requires[i]` belong to `packages[i]`; a package provides its own name.
/// A requirement `a | b` is met by its first alternative present.
pub fn link_dependencies(
    packages: &mut [Package],
    provides: &[Vec<String>],
    requires: &[Vec<String>],
) {
    let mut provider: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, p) in packages.iter().enumerate() {
        provider.entry(p.name.as_str()).or_insert(i);
        for cap in provides.get(i).into_iter().flatten() {
            provider.entry(cap.as_str()).or_insert(i);
        }
    }
    let edges: Vec<Vec<String>> = packages
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let mut on: Vec<String> = requires
                .get(i)
                .into_iter()
                .flatten()
                .filter_map(|r| r.split('|').find_map(|alt| provider.get(alt.trim())))
                .filter(|&&j| j != i)
                .map(|&j| packages[j].local_id())
                .collect();
            on.sort();
            on.dedup();
            on
        })
        .collect();
    for (p, on) in packages.iter_mut().zip(edges) {
        p.depends_on = on;
    }
}

/// The image's distribution as os-release names it: purl namespaces and `distro=` qualifiers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Distro {
    /// `ID` (`debian`, `rhel`, `wolfi`...), empty when unknown.
    pub id: String,
    pub version_id: Option<String>,
    pub id_like: Vec<String>,
}

impl Distro {
    pub fn from_os_release(fields: &BTreeMap<String, String>) -> Self {
        Self {
            id: fields.get("id").cloned().unwrap_or_default(),
            version_id: fields.get("version_id").cloned(),
            id_like: fields
                .get("id_like")
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
        }
    }

    /// The `distro=` qualifier: `debian-12`, `rhel-9.4`, or the bare ID.
    pub fn qualifier(&self) -> String {
        match &self.version_id {
            Some(v) if !self.id.is_empty() => format!("{}-{v}", self.id),
            _ => self.id.clone(),
        }
    }

    /// Whether the distribution is `id` or says it is like it.
    pub fn is_like(&self, id: &str) -> bool {
        self.id == id || self.id_like.iter().any(|l| l == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_go_through_provides_and_skip_self() {
        let mut ps = vec![
            Package::new("apk", "musl", "1", "pkg:apk/alpine/musl@1".into()),
            Package::new("apk", "busybox", "1", "pkg:apk/alpine/busybox@1".into()),
        ];
        link_dependencies(
            &mut ps,
            &[
                vec!["so:libc.musl-x86_64.so.1".into()],
                vec!["cmd:sh".into()],
            ],
            &[
                vec!["so:libc.musl-x86_64.so.1".into()],
                vec!["so:libc.musl-x86_64.so.1".into(), "missing".into()],
            ],
        );
        assert!(ps[0].depends_on.is_empty());
        assert_eq!(ps[1].depends_on, ["pkg:apk/alpine/musl@1"]);
    }
}
