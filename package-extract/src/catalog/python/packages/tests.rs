//! Distribution layouts, with real metadata files from the shared corpus
//! (`/work/shared/corpus/python-metadata`, provenance in its SOURCES.md) as content.

use super::*;
use crate::tree::build::{LayerBuilder, tree_of};

fn corpus(rel: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../shared/corpus/python-metadata/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("corpus file {path}: {e}"))
}

const SITE: &str = "/usr/local/lib/python3.8/site-packages";
const DIST: &str = "/usr/lib/python3/dist-packages";

fn one<'a>(found: &'a [PythonPackage], name: &str) -> &'a PythonPackage {
    found
        .iter()
        .find(|p| p.package_name == name)
        .unwrap_or_else(|| panic!("{name} not found in {found:#?}"))
}

#[test]
fn every_layout_in_site_and_dist_packages() {
    let pygments = corpus("syft/Pygments-2.6.1.dist-info/METADATA");
    let requests = corpus("syft/requests-2.22.0.egg-info/PKG-INFO");
    let distlib = corpus("trivy/distlib-0.3.1-py3.9.egg-info");
    let setuptools = corpus("trivy/setuptools-51.3.3-py3.8.egg-info.PKG-INFO");
    let zipped = corpus("trivy/sample_package.egg");
    let tree = tree_of(&[
        (
            &format!("{SITE}/Pygments-2.6.1.dist-info/METADATA"),
            &pygments,
        ),
        (
            &format!("{SITE}/Pygments-2.6.1.dist-info/INSTALLER"),
            b"pip\n",
        ),
        (&format!("{SITE}/pygments/__init__.py"), b""),
        (
            &format!("{SITE}/requests-2.22.0-py3.8.egg-info/PKG-INFO"),
            &requests,
        ),
        (&format!("{DIST}/distlib-0.3.1-py3.9.egg-info"), &distlib),
        (
            &format!("{SITE}/setuptools-51.3.3-py3.8.egg/EGG-INFO/PKG-INFO"),
            &setuptools,
        ),
        (&format!("{SITE}/sample_package-0.1.0-py3.8.egg"), &zipped),
    ]);
    let (found, warnings) = packages(&tree);
    // These two corpus files had their trailing whitespace stripped; the metadata parser
    // repairs the Description and says so, naming the file.
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with(&format!("{DIST}/distlib-0.3.1-py3.9.egg-info: ")));
    assert!(warnings[1].contains("setuptools-51.3.3-py3.8.egg/EGG-INFO/PKG-INFO: "));
    assert!(warnings.iter().all(|w| w.contains("Description field")));
    let summary: Vec<_> = found
        .iter()
        .map(|p| {
            (
                p.package_name.as_str(),
                p.package_version.as_str(),
                p.location.as_str(),
                p.format,
            )
        })
        .collect();
    use DistributionFormat::*;
    assert_eq!(
        summary,
        [
            ("distlib", "0.3.1", DIST, EggInfoFile),
            ("Pygments", "2.6.1", SITE, DistInfo),
            ("requests", "2.22.0", SITE, EggInfo),
            ("sample_package", "0.1.0", SITE, ZippedEgg),
            ("setuptools", "51.3.3", SITE, Egg),
        ]
    );

    let p = one(&found, "Pygments");
    assert_eq!(p.normalized_name, "pygments");
    assert_eq!(p.installer.as_deref(), Some("pip"));
    assert_eq!(
        p.metadata_path,
        format!("{SITE}/Pygments-2.6.1.dist-info/METADATA")
    );
    assert_eq!(p.requires_dist.len(), 3, "{:?}", p.requires_dist);
    assert!(
        p.requires_dist
            .contains(&"lxml ; extra == 'lxml'".to_owned())
    );
    assert_eq!(p.note, None);

    let r = one(&found, "requests");
    assert_eq!(r.license.as_deref(), Some("Apache 2.0"));
    assert_eq!(r.installer, None);
    assert_eq!(
        r.metadata_path,
        format!("{SITE}/requests-2.22.0-py3.8.egg-info/PKG-INFO")
    );
    let d = one(&found, "distlib");
    assert_eq!(
        d.metadata_path,
        format!("{DIST}/distlib-0.3.1-py3.9.egg-info")
    );
    let s = one(&found, "setuptools");
    assert_eq!(
        s.metadata_path,
        format!("{SITE}/setuptools-51.3.3-py3.8.egg/EGG-INFO/PKG-INFO")
    );
    assert!(
        s.license.as_deref().unwrap_or_default().contains("MIT"),
        "{s:?}"
    );
    let z = one(&found, "sample_package");
    assert!(z.note.as_deref().unwrap_or_default().contains("zipped"));
}

#[test]
fn thoth_keys_in_json() {
    let metadata = corpus("trivy/setuptools-51.3.3.dist-info/METADATA");
    let tree = tree_of(&[(
        "/opt/app-root/lib/python3.8/site-packages/setuptools-51.3.3.dist-info/METADATA",
        &metadata,
    )]);
    let (found, _) = packages(&tree);
    let json = serde_json::to_value(&found).unwrap();
    assert_eq!(json[0]["package_name"], "setuptools");
    assert_eq!(json[0]["package_version"], "51.3.3");
    assert_eq!(
        json[0]["location"],
        "/opt/app-root/lib/python3.8/site-packages"
    );
    assert_eq!(json[0]["format"], "dist-info");
    assert_eq!(json[0]["layer"], 0);
    assert!(json[0].get("note").is_none());
}

#[test]
fn whited_out_distribution_is_not_reported() {
    let six = b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n";
    let idna = b"Metadata-Version: 2.1\nName: idna\nVersion: 3.4\n";
    let base = LayerBuilder::new(0)
        .file(&format!("{SITE}/six-1.16.0.dist-info/METADATA"), six)
        .file(&format!("{SITE}/six.py"), b"")
        .file(&format!("{SITE}/idna-3.4.dist-info/METADATA"), idna);
    let upper = LayerBuilder::new(1)
        .whiteout(&format!("{SITE}/six-1.16.0.dist-info"))
        .whiteout(&format!("{SITE}/six.py"))
        .file(&format!("{SITE}/idna-3.4.dist-info/METADATA"), idna);
    let tree = FileTree::overlay(vec![base.index, upper.index], |_| false);
    let (found, warnings) = packages(&tree);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].package_name, "idna");
    assert_eq!(found[0].layer, 1, "the upper layer rewrote its metadata");
}

#[test]
fn bad_bytes_in_metadata_warn_and_the_package_stays() {
    let tree = tree_of(&[(
        &format!("{SITE}/caf-1.0.dist-info/METADATA"),
        b"Metadata-Version: 2.1\nName: caf\nVersion: 1.0\nSummary: caf\xe9 \xff\n",
    )]);
    let (found, warnings) = packages(&tree);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (
            found[0].package_name.as_str(),
            found[0].package_version.as_str()
        ),
        ("caf", "1.0")
    );
    assert!(!warnings.is_empty());
    assert!(
        warnings[0].starts_with(&format!("{SITE}/caf-1.0.dist-info/METADATA: ")),
        "{warnings:?}"
    );
}

#[test]
fn damaged_and_empty_metadata_fall_back_to_the_name_or_are_skipped() {
    let empty = corpus("syft/empty-1.0.0-py3.8.egg-info");
    let no_version = corpus("syft/no-version-py3.8.egg-info");
    let invalid = corpus("syft/requests-2.22.0.egg-info/PKG-INFO-INVALID");
    let tree = tree_of(&[
        (&format!("{DIST}/empty-1.0.0-py3.8.egg-info"), &empty),
        (&format!("{DIST}/no-version-py3.8.egg-info"), &no_version),
        (&format!("{DIST}/mxnet-1.8.0.egg-info/PKG-INFO"), &invalid),
        (&format!("{DIST}/lost-2.0.dist-info/RECORD"), b""),
    ]);
    let (found, warnings) = packages(&tree);
    let summary: Vec<_> = found
        .iter()
        .map(|p| {
            (
                p.package_name.as_str(),
                p.package_version.as_str(),
                p.note.is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("empty", "1.0.0", true),
            ("lost", "2.0", true),
            ("mxnet", "1.8.0", false),
        ]
    );
    let joined = warnings.join("\n");
    assert!(
        joined.contains("empty-1.0.0-py3.8.egg-info: the metadata is empty"),
        "{joined}"
    );
    assert!(
        joined.contains("lost-2.0.dist-info/METADATA: metadata file missing"),
        "{joined}"
    );
    assert!(
        joined.contains("no-version-py3.8.egg-info: no name or version"),
        "{joined}"
    );
}

#[test]
fn every_site_directory_in_the_tree() {
    let m = |n: &str| format!("Metadata-Version: 2.1\nName: {n}\nVersion: 1.0\n").into_bytes();
    let (a, b, c) = (m("a"), m("b"), m("c"));
    let tree = tree_of(&[
        (
            "/opt/venv/lib/python3.11/site-packages/a-1.0.dist-info/METADATA",
            &a,
        ),
        (
            "/usr/lib/python3/dist-packages/b-1.0.dist-info/METADATA",
            &b,
        ),
        (
            "/usr/lib/python3/dist-packages/pip/_vendor/c-1.0.dist-info/METADATA",
            &c,
        ),
        (
            "/home/u/.local/lib/python3.11/site-packages/c-1.0.dist-info/METADATA",
            &c,
        ),
    ]);
    let (found, _) = packages(&tree);
    let got: Vec<_> = found
        .iter()
        .map(|p| (p.location.as_str(), p.package_name.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("/home/u/.local/lib/python3.11/site-packages", "c"),
            ("/opt/venv/lib/python3.11/site-packages", "a"),
            ("/usr/lib/python3/dist-packages", "b"),
        ]
    );
}

#[test]
fn file_name_fallback() {
    assert_eq!(
        name_from_file_name("foo_bar-1.2.3-py3.8.egg-info"),
        (Some("foo_bar".into()), Some("1.2.3".into()))
    );
    assert_eq!(name_from_file_name("x.dist-info"), (Some("x".into()), None));
    assert_eq!(name_from_file_name("no-version-py3.8.egg-info").1, None);
    assert_eq!(name_from_file_name("-1.0.egg"), (None, Some("1.0".into())));
}
