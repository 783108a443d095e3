//! `deb` and `deb-dependencies`: installed Debian packages, read from dpkg's database instead
//! of running the image's `dpkg-query` and `apt-cache` as Thoth did.
//!
//! Sources: `/var/lib/dpkg/status` (entries whose Status says the package is installed) and the
//! distroless `/var/lib/dpkg/status.d/*` (one paragraph per file, no Status field; the
//! `*.md5sums` companions are not package entries).

mod paragraph;
mod relation;

pub use relation::{Alternative, Relation, parse_relations};

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::history::first_layers;
use crate::catalog::seam::{Cataloger, Findings, Package, Scan, Wanted, link_dependencies};
use crate::path::ImagePath;
use crate::sbom::purl::purl;
use crate::tree::{FileTree, Node};
use paragraph::Paragraph;

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d";
/// `<package>[:<arch>].list`: every path the package installed.
const INFO: &str = "/var/lib/dpkg/info";

pub const CATALOGER: Cataloger = Cataloger {
    name: "deb",
    files: &[
        Wanted::database(STATUS),
        Wanted::database("/var/lib/dpkg/status.d/*"),
        Wanted::content("/var/lib/dpkg/info/*.list"),
    ],
    keys: &["deb", "deb-dependencies"],
    schema: <DebCatalog as JsonSchema>::json_schema,
    run,
};

/// An installed package: Thoth's `{name, version, arch}` plus where it came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct DebPackage {
    /// dpkg's `${binary:Package}`, as Thoth recorded it: the name with `:<arch>` for
    /// `Multi-Arch: same` packages (`libc6:amd64`), the bare name otherwise.
    pub name: String,
    /// New: dpkg's `${Package}`, the name without the architecture.
    pub plain_name: String,
    /// The full version, epoch included, as `dpkg-query -l` prints it.
    pub version: String,
    pub arch: String,
    /// New: the source package (dpkg's `${source:Package}`: the package itself when the entry
    /// has no Source field).
    pub source: String,
    /// New: the source version when the Source field gives one (`Source: name (version)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// New: the first layer from which every layer's database lists this name and version.
    pub layer: usize,
    /// New: the database file the entry was read from.
    pub status_file: String,
}

/// Thoth's `deb-dependencies` entry (it came from `apt-cache show`; here from the same
/// fields of the installed package's entry).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct DebDependencies {
    pub name: String,
    /// The version without its epoch.
    pub version: String,
    pub arch: String,
    /// As Thoth: absent when the version has no `:`, the epoch as a string when the part
    /// before `:` is a number, `null` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<Option<String>>,
    #[serde(rename = "pre-depends")]
    pub pre_depends: Vec<Relation>,
    pub depends: Vec<Relation>,
    pub replaces: Vec<Relation>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct DebCatalog {
    /// Sorted by name, arch, version, status file.
    pub deb: Vec<DebPackage>,
    /// One per `deb` entry, in the same order.
    #[serde(rename = "deb-dependencies")]
    pub deb_dependencies: Vec<DebDependencies>,
    /// Entries or lines that could not be read (for the report's warnings).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Reads every dpkg database file of the image.
pub fn catalog(tree: &FileTree) -> DebCatalog {
    let mut out = DebCatalog::default();
    let mut found: Vec<(DebPackage, DebDependencies)> = Vec::new();
    for (path, kind) in database_files(tree) {
        let Some(bytes) = tree.content(&path) else {
            continue;
        };
        let (entries, warnings) = read_database(bytes, kind);
        out.warnings
            .extend(warnings.into_iter().map(|w| format!("{path}: {w}")));
        let real = tree.resolve(&path).unwrap_or_else(|| path.clone());
        let keys: Vec<Key> = entries.iter().map(Entry::key).collect();
        let layers = first_layers(tree, &real, &keys, |bytes| {
            read_database(bytes, kind)
                .0
                .iter()
                .map(Entry::key)
                .collect()
        });
        for (entry, layer) in entries.into_iter().zip(layers) {
            found.push(entry.into_records(layer, &path));
        }
    }
    found.sort();
    (out.deb, out.deb_dependencies) = found.into_iter().unzip();
    out
}

/// A package as the layers' databases are compared: name, version, architecture.
type Key = (String, String, String);

fn run(scan: &Scan<'_>) -> Findings {
    let catalog = catalog(scan.tree);
    let packages = packages(scan, &catalog);
    let warnings = catalog.warnings.clone();
    Findings::of(&catalog, packages, warnings)
}

/// The packages in the shape every output shares: purl `pkg:deb/<distro id>/<name>@<version>`
/// with `arch` and `distro`, the files dpkg lists for them, `Depends` and `Pre-Depends` as
/// dependencies (of `a | b`, the first alternative present).
fn packages(scan: &Scan<'_>, catalog: &DebCatalog) -> Vec<Package> {
    let distro = scan.distro;
    let mut packages: Vec<Package> = catalog
        .deb
        .iter()
        .map(|d| {
            let purl = purl(
                "deb",
                Some(&distro.id),
                &d.plain_name,
                &d.version,
                &[("arch", &d.arch), ("distro", &distro.qualifier())],
            );
            let mut p = Package::new("deb", &d.plain_name, &d.version, purl);
            p.layer = d.layer;
            p.files = owned_files(scan.tree, d);
            p
        })
        .collect();
    let requires: Vec<Vec<String>> = catalog
        .deb_dependencies
        .iter()
        .map(|d| {
            d.depends
                .iter()
                .chain(&d.pre_depends)
                .map(|r| r.name.clone())
                .collect()
        })
        .collect();
    link_dependencies(&mut packages, &[], &requires);
    packages
}

/// What the package installed: dpkg's `info/<package>[:<arch>].list`, or for a distroless
/// `status.d/<name>` entry its `<name>.md5sums` companion (`<md5>  <relative path>` lines).
fn owned_files(tree: &FileTree, d: &DebPackage) -> Vec<String> {
    let info = ImagePath::normalize(INFO).0;
    let lists = [format!("{}.list", d.name), format!("{}.list", d.plain_name)];
    if let Some(text) = lists.iter().find_map(|l| tree.content(&info.child(l))) {
        return String::from_utf8_lossy(text)
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with('/') && *l != "/.")
            .map(str::to_owned)
            .collect();
    }
    if d.status_file.starts_with(STATUS_D) {
        let md5sums = ImagePath::normalize(&format!("{}.md5sums", d.status_file)).0;
        if let Some(text) = tree.content(&md5sums) {
            return String::from_utf8_lossy(text)
                .lines()
                .filter_map(|l| {
                    l.split_once("  ")
                        .map(|(_, path)| format!("/{}", path.trim()))
                })
                .collect();
        }
    }
    Vec::new()
}

/// Whether a file is the classic database (Status decides) or a distroless entry (present
/// means installed, unless it has a Status that says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DatabaseKind {
    Status,
    StatusD,
}

fn database_files(tree: &FileTree) -> Vec<(ImagePath, DatabaseKind)> {
    let mut files = vec![(ImagePath::normalize(STATUS).0, DatabaseKind::Status)];
    let dir = ImagePath::normalize(STATUS_D).0;
    files.extend(
        tree.children(&dir)
            .filter(|(p, e)| !p.file_name().ends_with(".md5sums") && !matches!(e.node, Node::Dir))
            .map(|(p, _)| (p.clone(), DatabaseKind::StatusD)),
    );
    files
}

/// An installed package as read from one paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    name: String,
    /// `Multi-Arch: same` packages are named `name:arch` by dpkg.
    multi_arch_same: bool,
    version: String,
    arch: String,
    source: String,
    source_version: Option<String>,
    pre_depends: Vec<Relation>,
    depends: Vec<Relation>,
    replaces: Vec<Relation>,
}

impl Entry {
    /// What tells two layers' versions of a package apart.
    fn key(&self) -> Key {
        (self.name.clone(), self.version.clone(), self.arch.clone())
    }

    /// dpkg's `${binary:Package}`.
    fn binary_package(&self) -> String {
        if self.multi_arch_same && !self.arch.is_empty() {
            format!("{}:{}", self.name, self.arch)
        } else {
            self.name.clone()
        }
    }

    fn into_records(self, layer: usize, path: &ImagePath) -> (DebPackage, DebDependencies) {
        let binary_package = self.binary_package();
        let (epoch, bare_version) = split_epoch(&self.version);
        let deps = DebDependencies {
            name: self.name.clone(),
            version: bare_version,
            arch: self.arch.clone(),
            epoch,
            pre_depends: self.pre_depends,
            depends: self.depends,
            replaces: self.replaces,
        };
        let package = DebPackage {
            name: binary_package,
            plain_name: self.name,
            version: self.version,
            arch: self.arch,
            source: self.source,
            source_version: self.source_version,
            layer,
            status_file: path.to_string(),
        };
        (package, deps)
    }
}

/// The installed packages of one database file, and what was wrong with it.
pub(crate) fn read_database(bytes: &[u8], kind: DatabaseKind) -> (Vec<Entry>, Vec<String>) {
    let (paragraphs, mut warnings) = paragraph::parse(bytes);
    if let Some(tool) = foreign_database(&paragraphs) {
        warnings.push(format!(
            "this is a {tool} status database, not dpkg's: none of its {} entries is reported",
            paragraphs.len()
        ));
        return (Vec::new(), warnings);
    }
    let mut entries = Vec::new();
    for p in &paragraphs {
        match read_entry(p, kind) {
            Ok(Some(entry)) => entries.push(entry),
            Ok(None) => {}
            Err(why) => warnings.push(format!("entry at line {}: {why}", p.line)),
        }
    }
    (entries, warnings)
}

/// vcpkg and opkg write files in the same format; their entries are not Debian packages.
fn foreign_database(paragraphs: &[Paragraph]) -> Option<&'static str> {
    let vcpkg = paragraphs
        .iter()
        .any(|p| p.get("Abi").is_some() && p.get("Type") == Some("Port"));
    // opkg records `Status: install user installed` and an `Installed-Time`, which dpkg never
    // writes.
    let opkg = paragraphs.iter().any(|p| p.get("Installed-Time").is_some());
    if vcpkg {
        Some("vcpkg")
    } else if opkg {
        Some("opkg")
    } else {
        None
    }
}

/// `Ok(None)` for a package that is known but not installed (removed, config files only,
/// half-installed...).
fn read_entry(p: &Paragraph, kind: DatabaseKind) -> Result<Option<Entry>, String> {
    let name = p
        .get("Package")
        .filter(|n| !n.is_empty())
        .ok_or("no Package name")?;
    match (p.get("Status"), kind) {
        (Some(status), _) => {
            if !is_installed(status, name)? {
                return Ok(None);
            }
        }
        (None, DatabaseKind::Status) => return Err(format!("{name}: no Status field")),
        (None, DatabaseKind::StatusD) => {}
    }
    let version = p
        .get("Version")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("{name}: no Version"))?;
    let (source, source_version) = match p.get("Source") {
        Some(field) => parse_source(field),
        None => (name.to_owned(), None),
    };
    let relations = |field: &str| {
        p.get_folded(field)
            .map(|v| parse_relations(&v))
            .unwrap_or_default()
    };
    Ok(Some(Entry {
        name: name.to_owned(),
        multi_arch_same: p.get("Multi-Arch") == Some("same"),
        version: version.to_owned(),
        arch: p.get("Architecture").unwrap_or_default().to_owned(),
        source,
        source_version,
        pre_depends: relations("Pre-Depends"),
        depends: relations("Depends"),
        replaces: relations("Replaces"),
    }))
}

/// `want flag status`. Installed = dpkg-query's `ii` and `hi`: wanted (installed or held),
/// no error flag, fully installed. Thoth kept only `ii` lines, which dropped held packages
/// although they are installed.
fn is_installed(status: &str, name: &str) -> Result<bool, String> {
    let words: Vec<&str> = status.split_whitespace().collect();
    let [want, flag, state] = words.as_slice() else {
        return Err(format!(
            "{name}: Status {status:?} is not `want flag status`"
        ));
    };
    if !matches!(*flag, "ok" | "reinstreq") {
        return Err(format!("{name}: Status {status:?} has an unknown flag"));
    }
    Ok(matches!(*want, "install" | "hold") && *flag == "ok" && *state == "installed")
}

/// `Source: name` or `Source: name (version)`.
fn parse_source(field: &str) -> (String, Option<String>) {
    match field.split_once('(') {
        Some((name, rest)) => (
            name.trim().to_owned(),
            Some(rest.trim_end().trim_end_matches(')').trim().to_owned()).filter(|v| !v.is_empty()),
        ),
        None => (field.trim().to_owned(), None),
    }
}

/// Thoth's rule: `E:V` with a numeric `E` gives epoch `E` and version `V`; a non-numeric `E`
/// gives a null epoch and the version unchanged; no `:` gives no epoch key.
fn split_epoch(version: &str) -> (Option<Option<String>>, String) {
    match version.split_once(':') {
        None => (None, version.to_owned()),
        Some((epoch, rest)) if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(Some(epoch.to_owned())), rest.to_owned())
        }
        Some(_) => (Some(None), version.to_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
