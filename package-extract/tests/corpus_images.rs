//! Every image of `../shared/corpus/images/` (real files other projects keep as fixtures: docker
//! save of every era, skopeo, ctr export, kaniko, Jib, Bazel, apko, imgutil, regclient), read
//! as `EXPECTED.md` there says: the exit code, and the package sets for the images that can be
//! analysed, or the class of error (what the message must name) for those that cannot.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use support::{extract, package_set as set};

fn corpus(rel: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/images");
    let path = root.join(rel);
    // `DIR:REF` or `FILE:TAG`: the file is what must exist.
    let file = root.join(rel.split(':').next().unwrap_or(rel));
    assert!(
        file.exists(),
        "{} is missing: the tests read the shared corpus beside the repository",
        path.display()
    );
    path.display().to_string()
}

/// What a run must give.
enum Expect {
    /// Exit 0; the OS (`ID`, `VERSION_ID`) and the apk and deb sets as name=version.
    Inventory {
        os: Option<(&'static str, &'static str)>,
        /// `None`: not checked.
        apk: Option<&'static [&'static str]>,
        /// Count of deb packages, and some that must be among them.
        deb: (usize, &'static [&'static str]),
        /// A text that must be among `warnings`.
        warning: Option<&'static str>,
    },
    /// A failure document with this exit code whose `error_msg` holds every needle.
    Error(i32, &'static [&'static str]),
}

const EMPTY: Expect = Expect::Inventory {
    os: None,
    apk: Some(&[]),
    deb: (0, &[]),
    warning: None,
};

const ALPINE_310: &[&str] = &[
    "alpine-baselayout=3.1.2-r0",
    "alpine-keys=2.1-r2",
    "apk-tools=2.10.4-r2",
    "busybox=1.30.1-r3",
    "ca-certificates-cacert=20190108-r0",
    "libc-utils=0.7.1-r0",
    "libcrypto1.1=1.1.1d-r2",
    "libssl1.1=1.1.1d-r2",
    "libtls-standalone=2.9.1-r0",
    "musl=1.1.22-r3",
    "musl-utils=1.1.22-r3",
    "scanelf=1.2.3-r0",
    "ssl_client=1.30.1-r3",
    "zlib=1.2.11-r1",
];

const ALPINE_318: &[&str] = &[
    "alpine-baselayout=3.4.3-r1",
    "alpine-baselayout-data=3.4.3-r1",
    "alpine-keys=2.4-r1",
    "apk-tools=2.14.4-r0",
    "busybox=1.36.1-r7",
    "busybox-binsh=1.36.1-r7",
    "ca-certificates-bundle=20241121-r1",
    "libc-utils=0.7.2-r5",
    "libcrypto3=3.1.8-r0",
    "libssl3=3.1.8-r0",
    "musl=1.2.4-r3",
    "musl-utils=1.2.4-r3",
    "scanelf=1.3.7-r1",
    "ssl_client=1.36.1-r7",
    "zlib=1.2.13-r1",
];

const APKO: Expect = Expect::Inventory {
    os: Some(("replaces", "1.0.0")),
    // Read from the usr-merged `/usr/lib/apk/db/installed` (`/lib/apk -> ../usr/lib/apk`).
    apk: Some(&["pretend-baselayout=1.0.0-r0", "replayout=1.0.0-r0"]),
    deb: (0, &[]),
    warning: None,
};

fn table() -> Vec<(&'static str, Vec<String>, Expect)> {
    let a = |s: &str| s.to_owned();
    vec![
        (
            "trivy-alpine-310-gz",
            vec![a("docker-archive:trivy-alpine-310-gz/alpine-310.tar.gz")],
            Expect::Inventory {
                os: Some(("alpine", "3.10.4")),
                apk: Some(ALPINE_310),
                deb: (0, &[]),
                warning: None,
            },
        ),
        (
            "snyk-pnpm-alpine",
            vec![a("oci-archive:snyk-pnpm-alpine/pnpmlockv6.tar")],
            Expect::Inventory {
                os: Some(("alpine", "3.18.12")),
                apk: Some(ALPINE_318),
                deb: (0, &[]),
                warning: None,
            },
        ),
        (
            "snyk-skopeo-nodes-fake",
            vec![a("docker-archive:snyk-skopeo-nodes-fake/nodes-fake.tar")],
            Expect::Inventory {
                os: Some(("shesek", "0.0.1")),
                apk: Some(&[]),
                deb: (
                    84,
                    &[
                        "adduser=3.118",
                        "debian-archive-keyring=2019.1",
                        "gzip=1.9-3",
                        "libgcrypt20=1.8.4-5",
                        "zlib1g=1:1.2.11.dfsg-1",
                    ],
                ),
                warning: None,
            },
        ),
        (
            "apko-golden amd64",
            vec![
                a("oci:apko-golden/golden"),
                a("--platform"),
                a("linux/amd64"),
            ],
            APKO,
        ),
        (
            "apko-golden arm64",
            vec![
                a("oci:apko-golden/golden"),
                a("--platform"),
                a("linux/arm64"),
            ],
            APKO,
        ),
        (
            "jib-image",
            vec![a("docker-archive:jib-image/jib-image.tar")],
            EMPTY,
        ),
        (
            "jib-docker-save",
            vec![a("docker-archive:jib-docker-save/docker-save.tar")],
            EMPTY,
        ),
        (
            "rules-docker-symlinked-layer",
            vec![a(
                "docker-archive:rules-docker-symlinked-layer/image_with_symlinked_layer.tar",
            )],
            EMPTY,
        ),
        (
            "ggcr-config-name-not-digest",
            vec![a(
                "docker-archive:ggcr-config-name-not-digest/source_image_with_empty_layer_history.tar",
            )],
            Expect::Inventory {
                os: None,
                apk: Some(&[]),
                deb: (0, &[]),
                warning: Some("its content hashes to sha256:05b5ec12"),
            },
        ),
        (
            "ggcr-legacy-no-manifest",
            vec![a("docker-archive:ggcr-legacy-no-manifest/no_manifest.tar")],
            Expect::Inventory {
                os: None,
                apk: Some(&[]),
                deb: (0, &[]),
                warning: Some("legacy docker archive"),
            },
        ),
        (
            "ggcr-foreign-layer",
            vec![a("docker-archive:ggcr-foreign-layer/foreign.tar")],
            EMPTY,
        ),
        (
            "ggcr-whiteout-dir",
            vec![a("docker-archive:ggcr-whiteout-dir/whiteout_dir.tar")],
            EMPTY,
        ),
        (
            "ggcr-bundle 1",
            vec![a("docker-archive:ggcr-bundle/test_bundle.tar:test_image_1")],
            EMPTY,
        ),
        (
            "ggcr-bundle 2",
            vec![a("docker-archive:ggcr-bundle/test_bundle.tar:test_image_2")],
            EMPTY,
        ),
        (
            "ggcr-bundle no tag",
            vec![a("docker-archive:ggcr-bundle/test_bundle.tar")],
            Expect::Error(3, &["test_image_1", "test_image_2"]),
        ),
        (
            "rules-docker-small-linux",
            vec![a("docker-archive:rules-docker-small-linux/small_linux.tar")],
            EMPTY,
        ),
        (
            "snyk-kaniko-busybox",
            vec![a("docker-archive:snyk-kaniko-busybox/kaniko-busybox.tar")],
            EMPTY,
        ),
        (
            "snyk-docker25-hello-world docker",
            vec![a(
                "docker-archive:snyk-docker25-hello-world/hello-world.tar",
            )],
            EMPTY,
        ),
        (
            "snyk-docker25-hello-world oci",
            vec![a("oci-archive:snyk-docker25-hello-world/hello-world.tar")],
            EMPTY,
        ),
        (
            "oras-hello-world oci",
            vec![a("oci-archive:oras-hello-world/hello-world.tar")],
            EMPTY,
        ),
        (
            "oras-hello-world docker",
            vec![a("docker-archive:oras-hello-world/hello-world.tar")],
            EMPTY,
        ),
        (
            "stereoscope-valid-oci",
            vec![a("oci-archive:stereoscope-valid-oci/valid-oci.tar")],
            EMPTY,
        ),
        (
            "trivy-test-image-tag",
            vec![a("oci:trivy-test-image-tag/test_image_tag.oci")],
            EMPTY,
        ),
        (
            "trivy-test-image-tag named",
            vec![a("oci:trivy-test-image-tag/test_image_tag.oci:0.0.1")],
            EMPTY,
        ),
        (
            "ggcr-index-one-image",
            vec![a("oci:ggcr-index-one-image/test_index_one_image")],
            EMPTY,
        ),
        (
            "imgutil-my-previous-image",
            vec![a("oci:imgutil-my-previous-image/my-previous-image")],
            EMPTY,
        ),
        (
            "dive-oci-zstd",
            vec![a("oci-archive:dive-oci-zstd/test-oci-zstd-image.tar")],
            EMPTY,
        ),
        (
            "scalibr-basic",
            vec![a("docker-archive:scalibr-basic/basic.tar")],
            EMPTY,
        ),
        (
            "scalibr-permissions",
            vec![a("docker-archive:scalibr-permissions/permissions.tar")],
            EMPTY,
        ),
        (
            "scalibr-symlink-attack",
            vec![a(
                "docker-archive:scalibr-symlink-attack/symlink-attack.tar",
            )],
            EMPTY,
        ),
        (
            "scalibr-symlink-cycle",
            vec![a("docker-archive:scalibr-symlink-cycle/symlink-cycle.tar")],
            EMPTY,
        ),
        (
            "scalibr-symlink-depth-exceeded",
            vec![a(
                "docker-archive:scalibr-symlink-depth-exceeded/symlink-depth-exceeded.tar",
            )],
            EMPTY,
        ),
        (
            "snyk-ctr-busybox-armv7 platform",
            vec![
                a("oci-archive:snyk-ctr-busybox-armv7/busybox.armv7.tar"),
                a("--platform"),
                a("linux/arm/v7"),
            ],
            EMPTY,
        ),
        (
            "snyk-ctr-busybox-armv7 docker",
            vec![a("docker-archive:snyk-ctr-busybox-armv7/busybox.armv7.tar")],
            EMPTY,
        ),
        (
            "snyk-ctr-busybox-armv7 no platform",
            vec![a("oci-archive:snyk-ctr-busybox-armv7/busybox.armv7.tar")],
            Expect::Inventory {
                os: None,
                apk: Some(&[]),
                deb: (0, &[]),
                warning: Some("only linux/arm/v7"),
            },
        ),
        (
            "snyk-ctr-busybox-armv7 wrong platform",
            vec![
                a("oci-archive:snyk-ctr-busybox-armv7/busybox.armv7.tar"),
                a("--platform"),
                a("linux/amd64"),
            ],
            Expect::Error(3, &["linux/amd64", "present are: linux/arm/v7"]),
        ),
        (
            "ggcr-index-no-platform 1",
            vec![a("oci:ggcr-index-no-platform/test_gc_index:1")],
            EMPTY,
        ),
        (
            "ggcr-index-no-platform 3",
            vec![a("oci:ggcr-index-no-platform/test_gc_index:3")],
            Expect::Inventory {
                os: None,
                apk: Some(&[]),
                deb: (0, &[]),
                warning: Some("without a platform"),
            },
        ),
        (
            "ggcr-index-no-platform 4",
            vec![a("oci:ggcr-index-no-platform/test_gc_index:4")],
            Expect::Inventory {
                os: None,
                apk: Some(&[]),
                deb: (0, &[]),
                warning: Some("without a platform"),
            },
        ),
        (
            "ggcr-index-no-platform no ref",
            vec![a("oci:ggcr-index-no-platform/test_gc_index")],
            Expect::Error(3, &["names: 1, 3, 4"]),
        ),
        (
            "snyk-skopeo-nginx-edited",
            vec![a("docker-archive:snyk-skopeo-nginx-edited/nginx.tar")],
            Expect::Error(3, &["layer 0", "digest mismatch", "598b423d"]),
        ),
        (
            "regclient-artifacts a3",
            vec![a("oci:regclient-artifacts/external:a3")],
            Expect::Error(3, &["artifact", "application/example.sbom"]),
        ),
        (
            "regclient-artifacts a4",
            vec![a("oci:regclient-artifacts/external:a4")],
            Expect::Error(3, &["artifact", "application/example.sbom"]),
        ),
        (
            "regclient-artifacts referrers",
            vec![a(
                "oci:regclient-artifacts/external:sha256-dfae8f425735a5e3a72e40d6609e03079995511d48157c74d54801ff4430491e",
            )],
            Expect::Error(3, &["artifact"]),
        ),
        (
            "regclient-artifacts no ref",
            vec![a("oci:regclient-artifacts/external")],
            Expect::Error(3, &["a3", "a4", "sha256-dfae"]),
        ),
        (
            "imgutil-busybox-sparse",
            vec![a("oci:imgutil-busybox-sparse/busybox-sparse")],
            Expect::Error(3, &["layer 0", "405fecb6", "missing"]),
        ),
        (
            "cimage-fake-layer",
            vec![a(
                "oci:cimage-fake-layer/delete_image_only_one_image:latest",
            )],
            Expect::Error(3, &["a527179158cd", "larger than 585 bytes"]),
        ),
    ]
}

#[test]
fn every_corpus_image_gives_its_expected_result() {
    let mut failures = Vec::new();
    for (label, args, expect) in table() {
        let mut argv: Vec<String> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            // The first argument is TRANSPORT:PATH inside the corpus.
            if i == 0 {
                let (transport, rel) = a.split_once(':').expect("transport");
                argv.push("-i".into());
                argv.push(format!("{transport}:{}", corpus(rel)));
            } else {
                argv.push(a.clone());
            }
        }
        let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
        let (out, doc) = extract(&refs, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let Some(doc) = doc else {
            failures.push(format!(
                "{label}: no document (exit {:?}): {stderr}",
                out.status.code()
            ));
            continue;
        };
        let r = &doc["result"];
        match expect {
            Expect::Inventory {
                os,
                apk,
                deb,
                warning,
            } => {
                if out.status.code() != Some(0) {
                    failures.push(format!(
                        "{label}: exit {:?}: {}",
                        out.status.code(),
                        r["error_msg"]
                    ));
                    continue;
                }
                let got_os = (
                    r["operating-system"]["id"].as_str().unwrap_or_default(),
                    r["operating-system"]["version_id"]
                        .as_str()
                        .unwrap_or_default(),
                );
                if let Some(want) = os {
                    if got_os != want {
                        failures.push(format!("{label}: OS {got_os:?}, want {want:?}"));
                    }
                }
                let want_apk: Option<BTreeSet<String>> =
                    apk.map(|a| a.iter().map(|s| (*s).to_owned()).collect());
                if want_apk.as_ref().is_some_and(|w| set(&r["apk"]) != *w) {
                    failures.push(format!(
                        "{label}: apk {:?}, want {want_apk:?}",
                        set(&r["apk"])
                    ));
                }
                let debs = set(&r["deb"]);
                if debs.len() != deb.0 || !deb.1.iter().all(|d| debs.contains(*d)) {
                    failures.push(format!(
                        "{label}: {} deb packages, want {} with {:?}",
                        debs.len(),
                        deb.0,
                        deb.1
                    ));
                }
                for key in ["rpm", "python-packages"] {
                    if r[key].as_array().is_some_and(|a| !a.is_empty()) {
                        failures.push(format!("{label}: unexpected {key}"));
                    }
                }
                if let Some(w) = warning {
                    let warnings = r["warnings"].to_string();
                    if !warnings.contains(w) {
                        failures.push(format!("{label}: no warning with {w:?} in {warnings}"));
                    }
                }
            }
            Expect::Error(code, needles) => {
                let msg = r["error_msg"].as_str().unwrap_or_default();
                if out.status.code() != Some(code) || r["error"] != true {
                    failures.push(format!(
                        "{label}: exit {:?} ({msg}), want {code}",
                        out.status.code()
                    ));
                    continue;
                }
                for n in needles {
                    if !msg.contains(n) {
                        failures.push(format!("{label}: {n:?} not in {msg:?}"));
                    }
                }
            }
        }
        assert!(!stderr.contains("panicked"), "{label}: {stderr}");
    }
    assert!(
        failures.is_empty(),
        "{} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A path without a transport is recognised from its content: a compressed docker archive, an
/// OCI archive, a layout directory.
#[test]
fn bare_local_paths_are_recognised() {
    for (rel, os) in [
        ("trivy-alpine-310-gz/alpine-310.tar.gz", Some("alpine")),
        ("snyk-pnpm-alpine/pnpmlockv6.tar", Some("alpine")),
        ("trivy-test-image-tag/test_image_tag.oci", None),
    ] {
        let (out, doc) = extract(&["-i", &corpus(rel)], &[]);
        let doc = support::succeeded(&out, doc);
        if let Some(os) = os {
            assert_eq!(doc["result"]["operating-system"]["id"], os, "{rel}");
        }
    }
}
