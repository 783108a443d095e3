//! SBOM output, validated by the formats' own tools: `cyclonedx-python-lib`'s JSON schema
//! validator (CycloneDX 1.6) and `pyspdxtools` from spdx-tools (SPDX 2.3).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use support::{extract, require, sample_layout};

fn write(doc: &Value) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new()
        .suffix(".json")
        .tempfile()
        .expect("tempfile");
    std::fs::write(f.path(), serde_json::to_vec_pretty(doc).expect("json")).expect("write");
    f
}

fn cyclonedx_errors(doc: &Value) -> Option<String> {
    require("python3");
    let f = write(doc);
    let script = "import sys\nfrom cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\n\
        e = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\nprint('VALID' if e is None else e)";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(f.path())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "cyclonedx-python-lib is missing (.ci/pip-requirements): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (text != "VALID").then_some(text)
}

fn spdx_errors(doc: &Value) -> Option<String> {
    require("pyspdxtools");
    let f = write(doc);
    let out = Command::new("pyspdxtools")
        .arg("-i")
        .arg(f.path())
        .output()
        .expect("pyspdxtools runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (!out.status.success() || text.to_lowercase().contains("error")).then_some(text)
}

fn sbom(image: &str, format: &str) -> Value {
    let (out, doc) = extract(
        &["-i", image, "--format", format],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    doc.expect("document")
}

#[test]
fn the_sample_image_as_valid_cyclonedx_and_spdx() {
    let image = format!("oci:{}:latest", sample_layout().display());
    let cdx = sbom(&image, "cyclonedx-json");
    assert_eq!(cyclonedx_errors(&cdx), None);
    assert_eq!(cdx["specVersion"], "1.6");
    assert_eq!(cdx["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let purls: Vec<&str> = cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    for want in [
        "pkg:pypi/attrs@23.2.0",
        "pkg:pypi/pyyaml@6.0",
        "pkg:deb/debian/python3-six@1.16.0-4?arch=all&distro=debian-12",
        "pkg:deb/debian/netbase@6.4?arch=all&distro=debian-12",
    ] {
        assert!(purls.contains(&want), "{want} not in {purls:?}");
    }
    // Reproducible: the same image gives the same bytes.
    assert_eq!(cdx, sbom(&image, "cyclonedx-json"));

    let spdx = sbom(&image, "spdx-json");
    assert_eq!(spdx_errors(&spdx), None);
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(spdx["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    let locators: Vec<&str> = spdx["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
        .filter_map(|r| r["referenceLocator"].as_str())
        .collect();
    assert!(locators.contains(&"pkg:pypi/attrs@23.2.0"));
    assert_eq!(locators.len(), purls.len());
}

#[test]
fn the_validators_reject_broken_documents() {
    let image = format!("oci:{}:latest", sample_layout().display());
    let mut cdx = sbom(&image, "cyclonedx-json");
    cdx["components"][0]["type"] = Value::from("not-a-type");
    assert!(cyclonedx_errors(&cdx).is_some());
    let mut spdx = sbom(&image, "spdx-json");
    spdx.as_object_mut().expect("object").remove("dataLicense");
    assert!(spdx_errors(&spdx).is_some());
}

#[test]
fn dependency_relations_come_from_the_package_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).expect("mkdir");
    std::fs::create_dir_all(root.join("etc")).expect("mkdir");
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .expect("write");
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: app\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:2.0-1\nDepends: libfoo (>= 1.0) | libbar, absent-lib\n\n\
         Package: libfoo\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.2-3\n\n",
    )
    .expect("write");
    let image = format!("dir:{}", root.display());
    let app = "pkg:deb/debian/app@1%3A2.0-1?arch=amd64&distro=debian-12";
    let libfoo = "pkg:deb/debian/libfoo@1.2-3?arch=amd64&distro=debian-12";
    let cdx = sbom(&image, "cyclonedx-json");
    assert_eq!(cyclonedx_errors(&cdx), None);
    let deps = cdx["dependencies"].as_array().expect("dependencies");
    let of_app = deps.iter().find(|d| d["ref"] == app).expect("app's entry");
    assert_eq!(of_app["dependsOn"], serde_json::json!([libfoo]));
    let spdx = sbom(&image, "spdx-json");
    assert_eq!(spdx_errors(&spdx), None);
    let depends = spdx["relationships"]
        .as_array()
        .expect("relationships")
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .count();
    assert_eq!(depends, 1);
}

// ---------------------------------------------------------------------------------------------
// Every cataloger in every output, table-driven from the registry.

/// `umoci` packs `rootfs` into a one-layer OCI layout, as `scripts/sample-image/build.sh`
/// does (unpack, fill, repack; this umoci's `insert` writes a truncated tar). Returns the
/// `oci:` reference.
fn layout_of(rootfs: &Path, dir: &Path) -> String {
    require("umoci");
    let layout = dir.join("layout");
    let bundle = dir.join("bundle");
    let image = format!("{}:latest", layout.display());
    let run = |cmd: &str, args: &[&str]| {
        let out = Command::new(cmd).args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{cmd} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let layout_arg = layout.display().to_string();
    let bundle_arg = bundle.display().to_string();
    run("umoci", &["init", "--layout", &layout_arg]);
    run("umoci", &["new", "--image", &image]);
    run("umoci", &["unpack", "--image", &image, &bundle_arg]);
    let from = format!("{}/.", rootfs.display());
    let to = format!("{bundle_arg}/rootfs/");
    run("cp", &["-a", &from, &to]);
    run("umoci", &["repack", "--image", &image, &bundle_arg]);
    format!("oci:{image}")
}

fn put(root: &Path, path: &str, bytes: &[u8]) {
    let target = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
    std::fs::write(&target, bytes).expect("write");
}

fn corpus(rel: &str) -> Vec<u8> {
    let path = common::golden::workspace_root()
        .join("../shared/corpus")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("corpus file {}: {e}", path.display()))
}

fn copy_corpus_dir(rel: &str, root: &Path, to: &str) {
    let from = common::golden::workspace_root()
        .join("../shared/corpus")
        .join(rel);
    support::copy_dir(&from, &root.join(to.trim_start_matches('/')));
}

/// One row: a cataloger, the root filesystem of an image in which it finds something (real
/// databases from the corpus or made by real tools) and raises a warning, the result key
/// listing its packages, and their purl type.
struct Row {
    cataloger: &'static str,
    build: fn(&Path),
    packages: Option<(&'static str, &'static str)>,
    warning: Option<&'static str>,
}

const ROWS: &[Row] = &[
    Row {
        cataloger: "os-release",
        build: |root| {
            put(
                root,
                "/usr/lib/os-release",
                b"ID=debian\nVERSION_ID=\"12\"\n",
            )
        },
        packages: None,
        warning: None,
    },
    Row {
        cataloger: "deb",
        build: |root| {
            put(root, "/etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n");
            let mut status = corpus("dpkg/status/syft-debian12-arm64-coreutils-deps-status");
            status.extend_from_slice(b"\nPackage: no-version\nStatus: install ok installed\n\n");
            put(root, "/var/lib/dpkg/status", &status);
        },
        packages: Some(("deb", "deb")),
        warning: Some("no-version: no Version"),
    },
    Row {
        cataloger: "rpm",
        build: |root| {
            // Small on purpose: rpm_images_give_sboms_with_every_rpm reads the big ones.
            put(root, "/etc/os-release", b"ID=fedora\nVERSION_ID=36\n");
            let db = corpus("rpmdb/sqlite/preflight-fedora36-tzdata-only-rpmdb.sqlite");
            put(root, "/usr/lib/sysimage/rpm/rpmdb.sqlite", &db);
            put(
                root,
                "/usr/lib/sysimage/rpm/rpmdb.sqlite-wal",
                b"uncheckpointed",
            );
        },
        packages: Some(("rpm-packages", "rpm")),
        warning: Some("not yet checkpointed"),
    },
    Row {
        cataloger: "apk",
        build: |root| {
            put(
                root,
                "/etc/os-release",
                b"ID=wolfi\nVERSION_ID=\"20230201\"\n",
            );
            let mut db = corpus("apk/syft-multiple-2-installed");
            db.extend_from_slice(b"\nP:broken\nnot a field\n");
            put(root, "/usr/lib/apk/db/installed", &db);
            // apko's usr-merged layout: the database is found through the link.
            std::fs::create_dir_all(root.join("lib")).expect("mkdir");
            std::os::unix::fs::symlink("../usr/lib/apk", root.join("lib/apk")).expect("symlink");
        },
        packages: Some(("apk", "apk")),
        warning: Some("is not KEY:VALUE"),
    },
    Row {
        cataloger: "conda",
        build: |root| {
            let fixtures = conda_fixtures();
            support::copy_dir(&fixtures.join("rootfs/opt"), &root.join("opt"));
            put(
                root,
                "/opt/conda/envs/ml/conda-meta/broken-1-0.json",
                b"{\"name\":",
            );
        },
        packages: Some(("conda-packages", "conda")),
        warning: Some("not a conda package record"),
    },
    Row {
        cataloger: "python",
        build: |root| {
            let site = "/usr/lib/python3.11/site-packages";
            copy_corpus_dir(
                "python-metadata/syft/Pygments-2.6.1.dist-info",
                root,
                &format!("{site}/Pygments-2.6.1.dist-info"),
            );
            copy_corpus_dir(
                "python-metadata/syft/requests-2.22.0.egg-info",
                root,
                &format!("{site}/requests-2.22.0.egg-info"),
            );
            copy_corpus_dir(
                "python-metadata/syft/dicttoxml.egg-info",
                root,
                &format!("{site}/dicttoxml.egg-info"),
            );
        },
        packages: Some(("python-packages", "pypi")),
        warning: Some("dicttoxml.egg-info: no name or version"),
    },
    Row {
        cataloger: "elf",
        build: |root| {
            put(
                root,
                "/etc/ld.so.conf",
                b"/usr/local/lib\nnot-a-directory\n",
            )
        },
        packages: None,
        warning: Some("ignored line \"not-a-directory\""),
    },
    Row {
        cataloger: "cuda",
        build: |root| put(root, "/usr/local/cuda/version.txt", b"no version here\n"),
        packages: None,
        warning: Some("has no `CUDA Version` line"),
    },
    Row {
        cataloger: "aicoe-ci",
        build: |root| put(root, "/opt/aicoe-ci/Pipfile", b"[packages\n"),
        packages: None,
        warning: Some("/opt/aicoe-ci/Pipfile: not TOML"),
    },
];

/// The conda fixtures (`scripts/conda-fixtures/make.py`), made once per test binary.
fn conda_fixtures() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir").keep();
        support::conda_fixtures(&dir.join("fx"))
    })
    .clone()
}

fn purls_of_type<'a>(purls: impl Iterator<Item = &'a str>, kind: &str) -> usize {
    let prefix = format!("pkg:{kind}/");
    purls.filter(|p| p.starts_with(&prefix)).count()
}

#[test]
fn every_cataloger_reaches_every_output() {
    let names: Vec<&str> = package_extract::catalog::CATALOGERS
        .iter()
        .map(|c| c.name)
        .collect();
    let rows: Vec<&str> = ROWS.iter().map(|r| r.cataloger).collect();
    assert_eq!(
        rows, names,
        "one row per registered cataloger, in registry order"
    );
    for row in ROWS {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("rootfs");
        std::fs::create_dir_all(&root).expect("mkdir");
        (row.build)(&root);
        let image = layout_of(&root, dir.path());
        let (out, doc) = extract(&["-i", &image], &[]);
        let doc = support::succeeded(&out, doc);
        let result = &doc["result"];
        let cataloger = package_extract::catalog::CATALOGERS
            .iter()
            .find(|c| c.name == row.cataloger)
            .expect("registered");
        for key in cataloger.keys {
            assert!(result.get(*key).is_some(), "{}: no {key}", row.cataloger);
        }
        if let Some(warning) = row.warning {
            let warnings = result["warnings"].as_array().expect("warnings");
            assert!(
                warnings
                    .iter()
                    .any(|w| w.as_str().is_some_and(|w| w.contains(warning))),
                "{}: {warning:?} not in {warnings:?}",
                row.cataloger
            );
        }
        let Some((key, kind)) = row.packages else {
            continue;
        };
        let listed = result[key].as_array().expect("a list").len();
        assert!(listed > 0, "{}: no packages", row.cataloger);
        let cdx = sbom(&image, "cyclonedx-json");
        assert_eq!(cyclonedx_errors(&cdx), None, "{}", row.cataloger);
        let components = cdx["components"].as_array().expect("components");
        let in_cdx = purls_of_type(components.iter().filter_map(|c| c["purl"].as_str()), kind);
        let spdx = sbom(&image, "spdx-json");
        assert_eq!(spdx_errors(&spdx), None, "{}", row.cataloger);
        let in_spdx = purls_of_type(
            spdx["packages"]
                .as_array()
                .expect("packages")
                .iter()
                .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
                .filter_map(|r| r["referenceLocator"].as_str()),
            kind,
        );
        assert_eq!(
            (in_cdx, in_spdx),
            (listed, listed),
            "{}: {key} lists {listed}",
            row.cataloger
        );
        eprintln!("{}: {listed} in {key}, CycloneDX and SPDX", row.cataloger);
    }
}

/// The repository's rpm images (the databases of `bench/package-extract/rpm-images.sh`:
/// SQLite from CBL-Mariner 2.0, Berkeley DB written by `scripts/rpm-fixtures/make.sh`, NDB from
/// SLE 15 BCI): both SBOMs list every package of `rpm-packages`, with rpm purls.
#[test]
fn rpm_images_give_sboms_with_every_rpm() {
    let repo = common::golden::workspace_root();
    let images: [(&str, Vec<u8>, &str, &str, usize); 3] = [
        (
            "/var/lib/rpm/rpmdb.sqlite",
            corpus("rpmdb/sqlite/cbl-mariner-2.0-rpmdb.sqlite"),
            "ID=mariner\nVERSION_ID=\"2.0\"\n",
            "pkg:rpm/mariner/bash@5.1.8-1.cm2?arch=x86_64&distro=mariner-2.0",
            129,
        ),
        (
            "/var/lib/rpm/Packages",
            std::fs::read(repo.join("testdata/package-extract/rpm/bdb-le-4096/Packages"))
                .expect("rpm fixture"),
            "ID=\"centos\"\nVERSION_ID=\"8\"\n",
            "pkg:rpm/centos/fixture-small@1.0-3.fx?arch=noarch&distro=centos-8&epoch=2",
            4,
        ),
        (
            "/usr/lib/sysimage/rpm/Packages.db",
            corpus("rpmdb/ndb/sle15-bci-2021-Packages.db"),
            "ID=\"sles\"\nVERSION_ID=\"15.3\"\n",
            "pkg:rpm/sles/bash@4.4-19.6.1?arch=x86_64&distro=sles-15.3",
            35,
        ),
    ];
    for (path, db, os_release, a_purl, count) in images {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("rootfs");
        put(&root, path, &db);
        put(&root, "/etc/os-release", os_release.as_bytes());
        let image = layout_of(&root, dir.path());
        let (out, doc) = extract(&["-i", &image], &[]);
        let doc = support::succeeded(&out, doc);
        assert_eq!(
            doc["result"]["rpm-packages"].as_array().map(Vec::len),
            Some(count),
            "{path}"
        );
        let cdx = sbom(&image, "cyclonedx-json");
        assert_eq!(cyclonedx_errors(&cdx), None, "{path}");
        let purls: Vec<&str> = cdx["components"]
            .as_array()
            .expect("components")
            .iter()
            .filter_map(|c| c["purl"].as_str())
            .collect();
        assert_eq!(purls_of_type(purls.iter().copied(), "rpm"), count, "{path}");
        assert!(purls.contains(&a_purl), "{a_purl} not in {purls:?}");
        let spdx = sbom(&image, "spdx-json");
        assert_eq!(spdx_errors(&spdx), None, "{path}");
        let rpm_packages = spdx["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
            .filter_map(|r| r["referenceLocator"].as_str())
            .filter(|l| l.starts_with("pkg:rpm/"))
            .count();
        assert_eq!(rpm_packages, count, "{path}");
    }
}

/// apko's own output (`../shared/corpus/images/apko-golden`): its linux/amd64 manifest, config
/// and layer, byte for byte, in a layout whose index names that one image (the corpus index
/// lists two platforms without ref names). The database is at `/usr/lib/apk/db/installed`
/// and `/lib/apk` links to `../usr/lib/apk`; apko's SBOMs list the same two packages.
#[test]
fn apko_usr_merged_database_gives_its_apk_packages() {
    let golden =
        common::golden::workspace_root().join("../shared/corpus/images/apko-golden/golden");
    let manifest = "69f0237c7f8cf0b8a329d1bf1d6870c870c4ec323e39d3a6da59596632d0f2f4";
    let dir = tempfile::tempdir().expect("tempdir");
    let layout = dir.path().join("layout");
    support::copy_dir(&golden.join("blobs"), &layout.join("blobs"));
    std::fs::copy(golden.join("oci-layout"), layout.join("oci-layout")).expect("oci-layout");
    let size = std::fs::metadata(golden.join("blobs/sha256").join(manifest))
        .expect("the amd64 manifest")
        .len();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{manifest}"),
            "size": size,
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }],
    });
    std::fs::write(layout.join("index.json"), index.to_string()).expect("index.json");
    let image = format!("oci:{}:latest", layout.display());
    let (out, doc) = extract(&["-i", &image], &[]);
    let doc = support::succeeded(&out, doc);
    let apk: Vec<(&str, &str, u64)> = doc["result"]["apk"]
        .as_array()
        .expect("apk")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default(),
                p["version"].as_str().unwrap_or_default(),
                p["layer"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        apk,
        [
            ("pretend-baselayout", "1.0.0-r0", 0),
            ("replayout", "1.0.0-r0", 0)
        ]
    );
    let cdx = sbom(&image, "cyclonedx-json");
    assert_eq!(cyclonedx_errors(&cdx), None);
    let purls: Vec<&str> = cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:apk/alpine/pretend-baselayout@1.0.0-r0?arch=x86_64&distro=replaces-1.0.0",
            "pkg:apk/alpine/replayout@1.0.0-r0?arch=x86_64&distro=replaces-1.0.0"
        ]
    );
}
