//! `rpm` and `rpm-dependencies`: installed RPM packages, read from the image's own rpm
//! database instead of the host's `rpm -qa` and `repoquery --deplist` as Thoth did, so any of
//! the three formats reads whatever the host has.
//!
//! The database is looked for where rpm keeps it: `/usr/lib/sysimage/rpm` (Fedora 36+,
//! openSUSE) and `/var/lib/rpm` (everything else), following the symlink one usually is to the
//! other; in each, `rpmdb.sqlite` (SQLite), `Packages.db` (NDB) or `Packages` (Berkeley DB
//! hash), the first found in that order.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::history;
use crate::catalog::seam::{Cataloger, Findings, Package, Scan, Wanted, link_dependencies};
use crate::path::ImagePath;
use crate::sbom::purl::purl;
use crate::tree::FileTree;
use header::{Header, tag};

/// Where rpm keeps its database, the newer location first.
pub const DB_DIRS: [&str; 2] = ["/usr/lib/sysimage/rpm", "/var/lib/rpm"];

/// The database files, in the order they are preferred within one directory.
pub const DB_FILES: [(&str, Format); 3] = [
    ("rpmdb.sqlite", Format::Sqlite),
    ("Packages.db", Format::Ndb),
    ("Packages", Format::Bdb),
];

pub const CATALOGER: Cataloger = Cataloger {
    name: "rpm",
    files: &[
        Wanted::database("/usr/lib/sysimage/rpm/rpmdb.sqlite"),
        Wanted::database("/usr/lib/sysimage/rpm/Packages.db"),
        Wanted::database("/usr/lib/sysimage/rpm/Packages"),
        Wanted::database("/var/lib/rpm/rpmdb.sqlite"),
        Wanted::database("/var/lib/rpm/Packages.db"),
        Wanted::database("/var/lib/rpm/Packages"),
    ],
    keys: &["rpm", "rpm-dependencies", "rpm-packages"],
    schema: <RpmCatalog as JsonSchema>::json_schema,
    run,
};

fn run(scan: &Scan<'_>) -> Findings {
    let catalog = catalog(scan.tree);
    let packages = packages(scan, &catalog.rpm_packages);
    let warnings = catalog.warnings.clone();
    Findings::of(&catalog, packages, warnings)
}

/// `pkg:rpm/<distro id>/<name>@<version>-<release>?arch=...&epoch=...&distro=...`, the files
/// each header lists, and requires linked to what provides them (capabilities and files).
fn packages(scan: &Scan<'_>, rpms: &[RpmPackage]) -> Vec<Package> {
    let distro = scan.distro;
    let mut packages: Vec<Package> = rpms
        .iter()
        .map(|r| {
            let epoch = r.epoch.map(|e| e.to_string()).unwrap_or_default();
            let purl = purl(
                "rpm",
                Some(&distro.id),
                &r.name,
                &format!("{}-{}", r.version, r.release),
                &[
                    ("arch", r.arch.as_deref().unwrap_or_default()),
                    ("epoch", &epoch),
                    ("distro", &distro.qualifier()),
                ],
            );
            let mut p = Package::new(
                "rpm",
                &r.name,
                &format!("{}-{}", r.version, r.release),
                purl,
            );
            p.license = r.license.clone();
            p.layer = r.layer;
            p.files = r.files.clone();
            p
        })
        .collect();
    let provides: Vec<Vec<String>> = rpms
        .iter()
        .map(|r| r.provides.iter().chain(&r.files).cloned().collect())
        .collect();
    let requires: Vec<Vec<String>> = rpms
        .iter()
        .map(|r| {
            r.requires
                .iter()
                .map(|q| q.split(' ').next().unwrap_or_default().to_owned())
                .collect()
        })
        .collect();
    link_dependencies(&mut packages, &provides, &requires);
    packages
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Sqlite,
    Ndb,
    Bdb,
}

/// One installed package, everything this crate reads from its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RpmPackage {
    pub name: String,
    /// The EPOCH tag as stored (null when the package has none).
    pub epoch: Option<u64>,
    pub version: String,
    pub release: String,
    /// Null for packages without one (`gpg-pubkey`).
    pub arch: Option<String>,
    /// As `rpm -qa` prints it: `name-version-release.arch`.
    pub nevra: String,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub vendor: Option<String>,
    /// Installed size in bytes (LONGSIZE, else SIZE).
    pub size: Option<u64>,
    pub modularity_label: Option<String>,
    /// Seconds since the epoch.
    pub install_time: Option<u64>,
    /// The OpenPGP key id (16 hex digits) of the header signature (RSAHEADER, DSAHEADER) or,
    /// failing that, of the header+payload one (SIGPGP, SIGGPG).
    pub signature_key_id: Option<String>,
    /// The paths the package owns (directories included).
    pub files: Vec<String>,
    /// The requires, as in `rpm-dependencies`.
    #[serde(skip)]
    pub requires: Vec<String>,
    /// The capabilities it provides (PROVIDENAME), to link requires to packages.
    #[serde(skip)]
    pub provides: Vec<String>,
    /// The first layer from which every layer's database lists this package.
    pub layer: usize,
    /// The database file it was read from.
    pub database: String,
}

/// Thoth's `rpm-dependencies` entry (it came from `repoquery --deplist`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct RpmDependencies {
    pub name: String,
    pub version: String,
    pub release: String,
    /// As dnf printed the package: null when the epoch is absent or 0, else the number.
    pub epoch: Option<String>,
    pub arch: String,
    /// `arch == "src"`.
    pub src: bool,
    /// The package as dnf printed it: `name-[epoch:]version-release.arch`.
    pub package_identifier: String,
    /// The requires as `repoquery --deplist` printed them: `name` or `name OP version`,
    /// `rpmlib(...)` ones included, sorted, each once (libsolv merges duplicates).
    pub dependencies: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RpmCatalog {
    /// `rpm -qa`: one NEVRA per package, `gpg-pubkey` entries included, in database order.
    pub rpm: Vec<String>,
    /// One per package except `gpg-pubkey` (which dnf does not list), sorted by
    /// `package_identifier`.
    #[serde(rename = "rpm-dependencies")]
    pub rpm_dependencies: Vec<RpmDependencies>,
    /// New: per package, in the order of `rpm`.
    #[serde(rename = "rpm-packages")]
    pub rpm_packages: Vec<RpmPackage>,
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Reads the image's rpm database.
pub fn catalog(tree: &FileTree) -> RpmCatalog {
    let mut out = RpmCatalog::default();
    let Some((path, real, format)) = find_database(tree, &mut out.warnings) else {
        return out;
    };
    let Some(bytes) = tree.content(&path) else {
        out.warnings.push(format!(
            "{path}: the rpm database was not captured (too large?)"
        ));
        return out;
    };
    let (packages, warnings) = match read_packages(bytes, format) {
        Ok(x) => x,
        Err(why) => {
            out.warnings
                .push(format!("{path}: cannot read the rpm database: {why}"));
            return out;
        }
    };
    out.warnings
        .extend(warnings.into_iter().map(|w| format!("{path}: {w}")));
    if packages.is_empty() {
        out.warnings
            .push(format!("{path}: the rpm database lists no packages"));
    }
    let layers = first_layers(tree, &real, format, &packages);
    for (mut p, layer) in packages.into_iter().zip(layers) {
        p.layer = layer;
        p.database = path.to_string();
        out.rpm.push(p.nevra.clone());
        if p.name != "gpg-pubkey" {
            out.rpm_dependencies.push(dependencies_entry(&p));
        }
        out.rpm_packages.push(p);
    }
    out.rpm_dependencies.sort();
    out
}

/// The database file to read (as found and as resolved), if the image has one.
fn find_database(
    tree: &FileTree,
    warnings: &mut Vec<String>,
) -> Option<(ImagePath, ImagePath, Format)> {
    let mut seen = BTreeSet::new();
    let mut found: Vec<(ImagePath, ImagePath, Format)> = Vec::new();
    for dir in DB_DIRS {
        let dir = ImagePath::normalize(dir).0;
        let Some(real_dir) = tree.resolve(&dir) else {
            continue;
        };
        if !seen.insert(real_dir.clone()) {
            continue;
        }
        for (file, format) in DB_FILES {
            let path = dir.child(file);
            if let Some((real, _)) = tree.entry_resolved(&path) {
                if file == "rpmdb.sqlite" {
                    warn_about_wal(tree, &path, warnings);
                }
                found.push((path, real, format));
            }
        }
    }
    let mut found = found.into_iter();
    let first = found.next()?;
    for (other, _, _) in found {
        warnings.push(format!(
            "{other}: another rpm database; only {} is read",
            first.0
        ));
    }
    Some(first)
}

fn warn_about_wal(tree: &FileTree, db: &ImagePath, warnings: &mut Vec<String>) {
    let wal = ImagePath::normalize(&format!("{db}-wal")).0;
    if let Some((_, entry)) = tree.entry_resolved(&wal) {
        if matches!(entry.node, crate::tree::Node::File { size, .. } if size > 0) {
            warnings.push(format!(
                "{wal}: transactions not yet checkpointed into the database are not read"
            ));
        }
    }
}

/// The packages of one database file, in database order (header number), and notes on what
/// could not be read. `Err` when the file is not a database of that format at all.
pub fn read_packages(
    bytes: &[u8],
    format: Format,
) -> Result<(Vec<RpmPackage>, Vec<String>), String> {
    let (blobs, mut notes): (Vec<(u32, Vec<u8>)>, Vec<String>) = match format {
        Format::Sqlite => (sqlite::read(bytes)?, Vec::new()),
        Format::Ndb => ndb::read(bytes).map_err(|e| e.to_string())?,
        Format::Bdb => {
            let (pairs, notes) = bdb::read(bytes).map_err(|e| e.to_string())?;
            let mut blobs: Vec<(u32, Vec<u8>)> = pairs
                .into_iter()
                .filter_map(|(k, v)| {
                    // Keys are header numbers, 4 bytes in the host's order; 0 is rpm's
                    // counter record.
                    let k: [u8; 4] = k.try_into().ok()?;
                    let n = u32::from_le_bytes(k);
                    let n = if n > 0xffffff {
                        u32::from_be_bytes(k)
                    } else {
                        n
                    };
                    (n != 0).then_some((n, v))
                })
                .collect();
            blobs.sort_by_key(|(n, _)| *n);
            (blobs, notes)
        }
    };
    let mut packages = Vec::with_capacity(blobs.len());
    for (n, blob) in blobs {
        match Header::parse(&blob) {
            Ok(h) => match package(&h) {
                Some(p) => packages.push(p),
                None => notes.push(format!("header {n}: no name, version or release")),
            },
            Err(e) => notes.push(format!("header {n}: {e}")),
        }
    }
    Ok((packages, notes))
}

/// `RPMSENSE_*` comparison bits.
const SENSE_LESS: u64 = 1 << 1;
const SENSE_GREATER: u64 = 1 << 2;
const SENSE_EQUAL: u64 = 1 << 3;
/// Weak requires: libsolv files them as recommends.
const SENSE_MISSINGOK: u64 = 1 << 19;

fn package(h: &Header) -> Option<RpmPackage> {
    let name = h.string(tag::NAME)?.to_owned();
    let version = h.string(tag::VERSION)?.to_owned();
    let release = h.string(tag::RELEASE)?.to_owned();
    let arch = h.string(tag::ARCH).map(str::to_owned);
    let nevra = match &arch {
        Some(a) => format!("{name}-{version}-{release}.{a}"),
        None => format!("{name}-{version}-{release}"),
    };
    let signature_key_id = [tag::RSAHEADER, tag::DSAHEADER, tag::SIGPGP, tag::SIGGPG]
        .iter()
        .find_map(|&t| h.bin(t).and_then(header::pgp_key_id));
    let opt = |t| h.string(t).map(str::to_owned);
    Some(RpmPackage {
        epoch: h.int(tag::EPOCH),
        source_rpm: opt(tag::SOURCERPM),
        license: opt(tag::LICENSE),
        vendor: opt(tag::VENDOR),
        size: h.int(tag::LONGSIZE).or_else(|| h.int(tag::SIZE)),
        modularity_label: opt(tag::MODULARITYLABEL),
        install_time: h.int(tag::INSTALLTIME),
        signature_key_id,
        files: h.files(),
        requires: requires(h),
        provides: h.strings(tag::PROVIDENAME).to_vec(),
        layer: 0,
        database: String::new(),
        name,
        version,
        release,
        arch,
        nevra,
    })
}

/// The requires as `repoquery --deplist` printed them.
fn requires(h: &Header) -> Vec<String> {
    let names = h.strings(tag::REQUIRENAME);
    let flags = h.ints(tag::REQUIREFLAGS);
    let versions = h.strings(tag::REQUIREVERSION);
    let mut out = BTreeSet::new();
    for (i, name) in names.iter().enumerate() {
        let f = flags.get(i).copied().unwrap_or(0);
        if f & SENSE_MISSINGOK != 0 {
            continue;
        }
        let op = match f & (SENSE_LESS | SENSE_GREATER | SENSE_EQUAL) {
            SENSE_LESS => "<",
            SENSE_GREATER => ">",
            SENSE_EQUAL => "=",
            x if x == SENSE_LESS | SENSE_EQUAL => "<=",
            x if x == SENSE_GREATER | SENSE_EQUAL => ">=",
            _ => "",
        };
        let version = versions.get(i).map(String::as_str).unwrap_or("");
        out.insert(if op.is_empty() || version.is_empty() {
            name.clone()
        } else {
            format!("{name} {op} {version}")
        });
    }
    out.into_iter().collect()
}

fn dependencies_entry(p: &RpmPackage) -> RpmDependencies {
    let arch = p.arch.clone().unwrap_or_default();
    let epoch = p.epoch.filter(|&e| e != 0).map(|e| e.to_string());
    let ev = match &epoch {
        Some(e) => format!("{e}:{}", p.version),
        None => p.version.clone(),
    };
    RpmDependencies {
        name: p.name.clone(),
        version: p.version.clone(),
        release: p.release.clone(),
        package_identifier: format!("{}-{ev}-{}.{arch}", p.name, p.release),
        epoch,
        src: arch == "src",
        arch,
        dependencies: p.requires.clone(),
    }
}

/// Which layer introduced each package (same NEVRA and install time in every later version
/// of the database).
fn first_layers(
    tree: &FileTree,
    real: &ImagePath,
    format: Format,
    current: &[RpmPackage],
) -> Vec<usize> {
    let keys: Vec<(String, Option<u64>)> = current
        .iter()
        .map(|p| (p.nevra.clone(), p.install_time))
        .collect();
    history::first_layers(tree, real, &keys, |bytes| {
        read_packages(bytes, format)
            .map(|(ps, _)| ps.into_iter().map(|p| (p.nevra, p.install_time)).collect())
            .unwrap_or_default()
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
