//! apk's database, `/lib/apk/db/installed` (Alpine) or `/usr/lib/apk/db/installed` (apko's
//! usr-merged Wolfi and Chainguard images, where `/lib/apk` links to `../usr/lib/apk`): one
//! paragraph per package, `X:value` lines; `F:` names a folder and the `R:` lines after it its
//! files.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::history::first_layers;
use crate::catalog::seam::{self, Cataloger, Distro, Findings, Package, Scan, Wanted};
use crate::path::ImagePath;
use crate::sbom::purl::purl;
use crate::tree::FileTree;

/// Where apk keeps its database, the classic place first; both are looked up through the
/// image's symlinks and one real file is read once.
const DATABASES: [&str; 2] = ["/lib/apk/db/installed", "/usr/lib/apk/db/installed"];

pub const CATALOGER: Cataloger = Cataloger {
    name: "apk",
    files: &[
        Wanted::database(DATABASES[0]),
        Wanted::database(DATABASES[1]),
    ],
    keys: &["apk"],
    schema: <ApkCatalog as JsonSchema>::json_schema,
    run,
};

fn run(scan: &Scan<'_>) -> Findings {
    let catalog = catalog(scan.tree);
    let packages = packages(scan.distro, &catalog.apk);
    let warnings = catalog.warnings.clone();
    Findings::of(&catalog, packages, warnings)
}

/// The distributions built with apk that purl namespaces name; anything else that says it is
/// like Alpine is `alpine`.
const APK_DISTROS: [&str; 4] = ["alpine", "wolfi", "chainguard", "postmarketos"];

/// The purl namespace of the image's apk packages.
pub fn namespace(distro: &Distro) -> &str {
    if APK_DISTROS.contains(&distro.id.as_str()) {
        &distro.id
    } else {
        "alpine"
    }
}

/// `pkg:apk/<alpine|wolfi|...>/<name>@<version>?arch=...&distro=...`, the files the package
/// installed, and `D:` dependencies linked through `p:` provides (`so:`, `cmd:`, names).
fn packages(distro: &Distro, apks: &[ApkPackage]) -> Vec<Package> {
    let namespace = namespace(distro);
    let mut packages: Vec<Package> = apks
        .iter()
        .map(|a| {
            let purl = purl(
                "apk",
                Some(namespace),
                &a.name,
                &a.version,
                &[
                    ("arch", a.arch.as_deref().unwrap_or_default()),
                    ("distro", &distro.qualifier()),
                ],
            );
            let mut p = Package::new("apk", &a.name, &a.version, purl);
            p.license = a.license.clone();
            p.layer = a.layer;
            p.files = a.files.clone();
            p
        })
        .collect();
    // `so:libc.musl-x86_64.so.1=1.2.4` provides, `so:libc.musl-x86_64.so.1>=1` requires:
    // capabilities are compared without their versions; `!name` conflicts are not needs.
    let capability = |s: &String| -> String {
        s.split(['=', '<', '>', '~'])
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let provides: Vec<Vec<String>> = apks
        .iter()
        .map(|a| a.provides.iter().map(capability).collect())
        .collect();
    let requires: Vec<Vec<String>> = apks
        .iter()
        .map(|a| {
            a.depends
                .iter()
                .filter(|d| !d.starts_with('!'))
                .map(capability)
                .collect()
        })
        .collect();
    seam::link_dependencies(&mut packages, &provides, &requires);
    packages
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct ApkCatalog {
    /// Sorted by name, then version.
    pub apk: Vec<ApkPackage>,
    #[serde(skip)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ApkPackage {
    pub name: String,
    pub version: String,
    pub arch: Option<String>,
    /// The source package (`o:`).
    pub origin: Option<String>,
    pub license: Option<String>,
    /// `D:` dependencies, as written (`so:libc.musl-x86_64.so.1`, `cmd:sh`, names).
    pub depends: Vec<String>,
    /// `p:` what the package provides.
    pub provides: Vec<String>,
    pub installed_size: Option<u64>,
    /// `C:` the package checksum.
    pub checksum: Option<String>,
    /// Files the package installed, as absolute paths, sorted.
    pub files: Vec<String>,
    /// The first layer whose database lists this package (and every later one).
    pub layer: usize,
}

pub fn catalog(tree: &FileTree) -> ApkCatalog {
    let mut out = ApkCatalog::default();
    for found in seam::find_all(tree, &DATABASES) {
        let Some(text) = tree.content(&found.real) else {
            continue;
        };
        let mut warnings = Vec::new();
        let mut packages = parse(text, &mut warnings);
        out.warnings
            .extend(warnings.into_iter().map(|w| format!("{}: {w}", found.real)));
        let keys: Vec<(String, String)> = packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        let layers = first_layers(tree, &found.real, &keys, |bytes| {
            parse(bytes, &mut Vec::new())
                .into_iter()
                .map(|p| (p.name, p.version))
                .collect::<BTreeSet<_>>()
        });
        for (p, layer) in packages.iter_mut().zip(layers) {
            p.layer = layer;
        }
        out.apk.extend(packages);
    }
    out.apk
        .sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    out
}

/// Parses the database; damaged lines and packages without a name or version are skipped with
/// a warning.
pub fn parse(bytes: &[u8], warnings: &mut Vec<String>) -> Vec<ApkPackage> {
    let text = String::from_utf8_lossy(bytes);
    let mut packages = Vec::new();
    let mut fields: Vec<(char, String)> = Vec::new();
    let mut start_line = 1;
    for (n, line) in text.lines().chain(std::iter::once("")).enumerate() {
        if line.trim().is_empty() {
            if !fields.is_empty() {
                match package(&fields) {
                    Ok(p) => packages.push(p),
                    Err(e) => warnings.push(format!("package at line {start_line}: {e}")),
                }
                fields.clear();
            }
            start_line = n + 2;
            continue;
        }
        let mut chars = line.chars();
        match (chars.next(), chars.next()) {
            (Some(key), Some(':')) => fields.push((key, chars.as_str().to_owned())),
            _ => warnings.push(format!(
                "line {} is not KEY:VALUE: {:?}",
                n + 1,
                truncate(line)
            )),
        }
    }
    packages
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

fn package(fields: &[(char, String)]) -> Result<ApkPackage, String> {
    let first = |k: char| {
        fields
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.clone())
    };
    let name = first('P').ok_or("no P: (name) line")?;
    let version = first('V').ok_or_else(|| format!("{name} has no V: (version) line"))?;
    let mut files = Vec::new();
    let mut folder = String::new();
    for (key, value) in fields {
        match key {
            'F' => folder = value.clone(),
            'R' => {
                let rel = if folder.is_empty() {
                    value.clone()
                } else {
                    format!("{folder}/{value}")
                };
                files.push(ImagePath::normalize(&rel).0.to_string());
            }
            _ => {}
        }
    }
    files.sort();
    let words = |k: char| -> Vec<String> {
        first(k)
            .map(|v| v.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    Ok(ApkPackage {
        arch: first('A'),
        origin: first('o'),
        license: first('L'),
        depends: words('D'),
        provides: words('p'),
        installed_size: first('I').and_then(|v| v.parse().ok()),
        checksum: first('C'),
        files,
        layer: 0,
        name,
        version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(name: &str) -> Vec<u8> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/apk/");
        std::fs::read(format!("{path}{name}")).unwrap_or_else(|e| panic!("corpus apk/{name}: {e}"))
    }

    fn parsed(name: &str) -> (Vec<ApkPackage>, Vec<String>) {
        let mut warnings = Vec::new();
        let p = parse(&corpus(name), &mut warnings);
        (p, warnings)
    }

    #[test]
    fn every_corpus_database() {
        let counts = [
            ("grype-alpine-match-coverage-installed", 3, 0),
            ("osv-scalibr-alpine-installed", 15, 0),
            ("osv-scalibr-no-origin-installed", 1, 0),
            ("osv-scalibr-single-installed", 1, 0),
            ("syft-base-installed", 1, 0),
            ("syft-corrupt-installed", 1, 1),
            ("syft-extra-file-attributes-installed", 1, 0),
            ("syft-multiple-2-installed", 14, 0),
            ("trivy-alpine-installed", 15, 1),
        ];
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/apk");
        let on_disk = std::fs::read_dir(dir).expect("corpus/apk").count();
        assert_eq!(
            on_disk,
            counts.len(),
            "a new corpus file needs its assertions here"
        );
        for (name, packages, warnings) in counts {
            let (p, w) = parsed(name);
            assert_eq!(p.len(), packages, "{name}: {p:?}");
            assert_eq!(w.len(), warnings, "{name}: {w:?}");
        }
    }

    #[test]
    fn fields_and_files() {
        let (p, _) = parsed("syft-base-installed");
        let base = &p[0];
        assert_eq!(base.name, "alpine-baselayout");
        assert_eq!(base.version, "3.2.0-r6");
        assert_eq!(base.arch.as_deref(), Some("x86_64"));
        assert_eq!(base.origin.as_deref(), Some("alpine-baselayout"));
        assert_eq!(base.license.as_deref(), Some("GPL-2.0-only"));
        assert_eq!(base.installed_size, Some(409_600));
        assert_eq!(base.depends, ["/bin/sh", "so:libc.musl-x86_64.so.1"]);
        assert!(
            base.files.contains(&"/etc/fstab".to_owned()),
            "{:?}",
            base.files
        );
        let (p, _) = parsed("osv-scalibr-no-origin-installed");
        assert_eq!(
            (p[0].name.as_str(), p[0].origin.as_deref()),
            ("pkgname", None)
        );
        let (p, w) = parsed("trivy-alpine-installed");
        assert!(
            p.iter()
                .any(|x| x.name == "musl" && x.version == "1.1.14-r10"),
            "{p:?}"
        );
        assert!(w[0].contains("no V:"), "{w:?}");
        let (_, w) = parsed("syft-corrupt-installed");
        assert!(w[0].contains("not KEY:VALUE"), "{w:?}");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        for junk in [
            &b"\xff\xfe:"[..],
            b"P:\n\nV:\n",
            b":::\n\n\n",
            b"P:x\nV:1\nR:orphan\n",
        ] {
            let _ = parse(junk, &mut Vec::new());
        }
    }

    #[test]
    fn usr_merged_database_is_found_once_through_the_symlink() {
        use crate::tree::build::LayerBuilder;
        let a = LayerBuilder::new(0)
            .symlink("/lib/apk", "../usr/lib/apk")
            .file(DATABASES[1], b"P:musl\nV:1\n\n");
        let b = LayerBuilder::new(1).file(DATABASES[1], b"P:musl\nV:1\n\nP:curl\nV:8\n\nbroken\n");
        let tree = FileTree::overlay(vec![a.index, b.index], crate::catalog::keeps_history);
        let c = catalog(&tree);
        let got: Vec<_> = c.apk.iter().map(|p| (p.name.as_str(), p.layer)).collect();
        assert_eq!(got, [("curl", 1), ("musl", 0)]);
        assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
        assert!(
            c.warnings[0].starts_with("/usr/lib/apk/db/installed: line 7"),
            "{:?}",
            c.warnings
        );
        let d = |id: &str| Distro {
            id: id.into(),
            ..Distro::default()
        };
        assert_eq!(namespace(&d("wolfi")), "wolfi");
        assert_eq!(namespace(&d("chainguard")), "chainguard");
        assert_eq!(namespace(&d("ubuntu")), "alpine");
    }

    #[test]
    fn layer_of_introduction() {
        use crate::tree::build::LayerBuilder;
        let a = LayerBuilder::new(0).file(DATABASES[0], b"P:musl\nV:1\n\n");
        let b = LayerBuilder::new(1).file(DATABASES[0], b"P:musl\nV:1\n\nP:curl\nV:8\n\n");
        let tree = FileTree::overlay(vec![a.index, b.index], crate::catalog::keeps_history);
        let c = catalog(&tree);
        let layer = |n: &str| c.apk.iter().find(|p| p.name == n).map(|p| p.layer);
        assert_eq!(layer("musl"), Some(0));
        assert_eq!(layer("curl"), Some(1));
    }
}
