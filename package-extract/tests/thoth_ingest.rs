//! Thoth's own ingestion reads package-extract's documents: thoth-storages (pinned, Python 3.8
//! venv) checks each with its result-store schema and syncs it into PostgreSQL with
//! `sync_analysis_documents` (see `scripts/thoth-ingest/`). Inputs: the Debian sample image, an
//! RPM image and a `dir:` root filesystem made here with umoci and a real rpmdb, an Alpine image
//! of the shared corpus, a CUDA 11.8 root filesystem with only `version.json`, and the RPM image
//! run through the Argo template with its default `--metadata`. Debian documents fail inside
//! thoth-storages (`DebReplaces.from_properties` does not exist); the test shows a document in
//! the shape Thoth's own package-extract wrote fails at the same line with the same error.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::argo;
use common::thoth_ingest::{self as thoth, Kind, Outcome};
use serde_json::{Value, json};
use support::{extract, require, sample_layout, succeeded};

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(path: &Path, text: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// A root filesystem holding the committed SQLite rpmdb (made by scripts/rpm-fixtures with
/// rpmbuild and rpm) and an os-release, turned into an OCI image `layout:rpm` by umoci.
fn rpm_image(tmp: &Path) -> (PathBuf, PathBuf) {
    require("umoci");
    let rootfs = tmp.join("rpm-rootfs");
    let db = common::golden::testdata("package-extract").join("rpm/sqlite/rpmdb.sqlite");
    write(
        &rootfs.join("var/lib/rpm/rpmdb.sqlite"),
        &std::fs::read(db).expect("rpmdb fixture"),
    );
    write(
        &rootfs.join("etc/os-release"),
        b"NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=39\nPLATFORM_ID=\"platform:f39\"\n",
    );
    let layout = tmp.join("rpm-layout");
    let image = format!("{}:rpm", layout.display());
    let bundle = tmp.join("rpm-bundle");
    run(Command::new("umoci")
        .args(["init", "--layout"])
        .arg(&layout));
    run(Command::new("umoci").args(["new", "--image", &image]));
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image", &image])
        .arg(&bundle));
    support::copy_dir(&rootfs, &bundle.join("rootfs"));
    run(Command::new("umoci")
        .args(["repack", "--image", &image])
        .arg(&bundle));
    (layout, rootfs)
}

/// A CUDA 11.8 toolkit as nvidia/cuda:11.8.0-devel images lay it out (only `version.json`,
/// no `version.txt`), with nvcc present.
fn cuda_rootfs(tmp: &Path) -> PathBuf {
    let root = tmp.join("cuda-rootfs");
    write(
        &root.join("etc/os-release"),
        b"NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"22.04\"\n",
    );
    write(
        &root.join("usr/local/cuda/version.json"),
        br#"{"cuda": {"name": "CUDA SDK", "version": "11.8.0"}, "cuda_nvcc": {"name": "CUDA NVCC", "version": "11.8.89"}}"#,
    );
    write(&root.join("usr/local/cuda/bin/nvcc"), b"\x7fELF");
    root
}

/// package-extract with its default `--metadata`, as a workflow step runs it.
fn document(image: &str, id: &str) -> Value {
    let env = thoth::workflow_env(id);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (out, doc) = extract(&["-i", image], &env);
    succeeded(&out, doc)
}

/// Thoth's `deb-dependencies` for a root filesystem, as thoth-package-extract built them from
/// `apt-cache show` (its documented shape): the fields come from dpkg-query over the image's
/// own database; `version` without the epoch, `epoch` present only when there is one;
/// each relation `{name, version}` with the text inside the parentheses, alternatives unsplit.
fn thoth_deb_dependencies(rootfs: &Path) -> Value {
    // dpkg-query reads one status file: join status and the distroless status.d/ entries.
    let dpkg = rootfs.join("var/lib/dpkg");
    let admindir = rootfs.with_file_name("dpkg-admindir");
    let mut status = std::fs::read(dpkg.join("status")).unwrap_or_default();
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dpkg.join("status.d"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    parts.retain(|p| p.extension().is_none());
    parts.sort();
    for part in parts {
        // Distroless entries carry no Status line; dpkg-query lists installed packages only.
        let entry = std::fs::read(part).expect("status.d entry");
        status.extend_from_slice(b"\n");
        if !entry.windows(8).any(|w| w == b"Status: ") {
            status.extend_from_slice(b"Status: install ok installed\n");
        }
        status.extend(entry);
    }
    write(&admindir.join("status"), &status);
    let listing = run(Command::new("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .args([
            "-W",
            "-f",
            "${Package}\t${Version}\t${Architecture}\t${Pre-Depends}\t${Depends}\t${Replaces}\n",
        ]));
    let relations = |text: &str| -> Value {
        text.split(", ")
            .filter(|r| !r.trim().is_empty())
            .map(|r| match r.split_once(" (") {
                Some((name, rest)) => {
                    json!({"name": name.trim(), "version": rest.trim_end_matches(')').trim()})
                }
                None => json!({"name": r.trim(), "version": ""}),
            })
            .collect()
    };
    listing
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let mut entry = json!({
                "name": f[0], "arch": f[2], "pre-depends": relations(f[3]),
                "depends": relations(f[4]), "replaces": relations(f[5]),
            });
            match f[1].split_once(':') {
                Some((epoch, version)) => {
                    entry["epoch"] = json!(epoch);
                    entry["version"] = json!(version);
                }
                None => entry["version"] = json!(f[1]),
            }
            entry
        })
        .collect()
}

/// A document in the shape thoth-package-extract 1.3 wrote for the Debian sample image: its
/// metadata key for key (THOTH-DOCUMENTS §1.2, values of its 2022 example), its result keys,
/// `deb-dependencies` from the image's dpkg database. Constructed, not produced by Thoth's tool,
/// which cannot run here: the releases that read deb packages (1.1 to 1.3) were published only
/// as a container image built from git, never to PyPI, and neither is reachable from CI; PyPI
/// holds only 1.0.0 (2018), which has no deb collector, needs the fabric8 `mercator` Go binary
/// (packaged nowhere CI can install from) and writes `{mercator, rpm, rpm-dependencies,
/// layers}` without the `operating-system` that thoth-storages' sync reads first.
fn thoth_shaped_debian_document(ours: &Value, rootfs: &Path) -> Value {
    let r = &ours["result"];
    json!({
        "metadata": {
            "analyzer": "thoth-package-extract",
            "analyzer_version": "1.3.0",
            "arguments": {
                "extract-image": {"image": "oci:sample-image:latest", "no_pretty": false,
                    "no_tls_verify": false, "output": "/mnt/workdir/package-extract-thoth-debian",
                    "registry_credentials": null, "timeout": null},
                "thoth-package-extract": {
                    "metadata": {"environment_type": "runtime", "is_external": false, "origin": null},
                    "verbose": false}
            },
            "datetime": "2022-01-06T11:21:26.759528",
            "distribution": {"codename": "", "id": "fedora", "like": "", "version": "32",
                "version_parts": {"build_number": "", "major": "32", "minor": ""}},
            "document_id": "package-extract-thoth-debian",
            "duration": 62,
            "hostname": "package-extract-thoth-debian-583709264",
            "os_release": {"id": "fedora", "name": "Fedora", "platform_id": "platform:f32",
                "version": "32 (Container Image)", "version_id": "32"},
            "python": {"api_version": 1013, "implementation_name": "cpython", "major": 3,
                "micro": 10, "minor": 8, "releaselevel": "final", "serial": 0},
            "thoth_deployment_name": "ocp4-stage",
            "timestamp": 1641468086
        },
        "result": {
            "aicoe-ci": {"requirements": null, "requirements_lock": null},
            "cuda-version": {},
            "deb": [],
            "deb-dependencies": thoth_deb_dependencies(rootfs),
            "image_size": r["image_size"],
            "layers": r["layers"],
            "operating-system": r["operating-system"],
            "python-files": [],
            "python-interpreters": [],
            "python-packages": [],
            "rpm": [],
            "rpm-dependencies": [],
            "skopeo-inspect": r["skopeo-inspect"],
            "system-symbols": {}
        }
    })
}

fn unpack_sample(tmp: &Path) -> PathBuf {
    let layout = tmp.join("sample-layout");
    support::copy_dir(&sample_layout(), &layout);
    let bundle = tmp.join("sample-bundle");
    run(Command::new("umoci")
        .args(["unpack", "--rootless", "--image"])
        .arg(format!("{}:latest", layout.display()))
        .arg(&bundle));
    bundle.join("rootfs")
}

fn by_label<'a>(outcomes: &'a [Outcome], label: &str) -> &'a Outcome {
    outcomes
        .iter()
        .find(|o| o.label == label)
        .unwrap_or_else(|| panic!("no outcome {label}"))
}

#[test]
fn thoth_storages_ingests_package_extract_documents() {
    require("umoci");
    require("dpkg-query");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (rpm_layout, rpm_rootfs) = rpm_image(tmp.path());
    let rpm_ref = format!("oci:{}:rpm", rpm_layout.display());
    // A gzip-compressed `docker save` archive: package-extract reads it decompressed.
    let gz = common::golden::corpus("images/trivy-alpine-310-gz/alpine-310.tar.gz");
    let alpine = tmp.path().join("alpine-310.tar");
    let tar = Command::new("gzip")
        .arg("-dc")
        .arg(&gz)
        .output()
        .expect("gzip runs");
    assert!(tar.status.success(), "gzip -dc {}", gz.display());
    std::fs::write(&alpine, &tar.stdout).expect("write archive");

    let debian = document(
        &format!("oci:{}:latest", sample_layout().display()),
        "package-extract-debian",
    );
    let rpm = document(&rpm_ref, "package-extract-rpm");
    let apk = document(
        &format!("docker-archive:{}", alpine.display()),
        "package-extract-apk",
    );
    let dir = document(
        &format!("dir:{}", rpm_rootfs.display()),
        "package-extract-dir",
    );
    let cuda = document(
        &format!("dir:{}", cuda_rootfs(tmp.path()).display()),
        "package-extract-cuda",
    );
    // The Argo template with its own default --metadata.
    let manifest = argo::manifest("package-extract.yaml");
    let step = argo::container_step(
        &manifest,
        "extract-packages",
        &[
            ("THOTH_ANALYZED_IMAGE", &rpm_ref),
            ("THOTH_DOCUMENT_ID", "package-extract-argo"),
            ("THOTH_DEPLOYMENT_NAME", "thoth-ingest-test"),
        ],
    );
    let argo_run = argo::run_step(&step, Path::new(env!("CARGO_BIN_EXE_package-extract")), &[]);
    assert_eq!(argo_run.code, Some(0), "{}", argo_run.stderr);
    let thoth_debian = thoth_shaped_debian_document(&debian, &unpack_sample(tmp.path()));

    let outcomes = thoth::ingest(&[
        ("debian", Kind::Analysis, &debian),
        ("debian (Thoth's shape)", Kind::Analysis, &thoth_debian),
        ("rpm", Kind::Analysis, &rpm),
        ("apk", Kind::Analysis, &apk),
        ("dir", Kind::Analysis, &dir),
        ("cuda 11.8 dir", Kind::Analysis, &cuda),
        ("rpm via Argo defaults", Kind::Analysis, &argo_run.document),
    ]);
    for o in &outcomes {
        eprintln!("{}", o.summary());
    }
    eprintln!("{}", thoth::row_table(&outcomes.iter().collect::<Vec<_>>()));

    for o in &outcomes {
        assert!(o.schema_ok(), "schema: {}", o.summary());
    }
    for label in [
        "rpm",
        "apk",
        "dir",
        "cuda 11.8 dir",
        "rpm via Argo defaults",
    ] {
        let o = by_label(&outcomes, label);
        assert!(o.synced(), "{}", o.summary());
        assert_eq!(o.rows("package_extract_run"), 1, "{label}");
        assert_eq!(o.environment["environment_type"], "RUNTIME", "{label}");
    }
    // Every rpm of the database became a row, with its dependencies.
    let rpms = rpm["result"]["rpm-dependencies"]
        .as_array()
        .expect("rpm-dependencies");
    assert!(!rpms.is_empty());
    let rpm_outcome = by_label(&outcomes, "rpm");
    assert_eq!(rpm_outcome.rows("rpm_package_version"), rpms.len() as u64);
    assert_eq!(rpm_outcome.rows("found_rpm"), rpms.len() as u64);
    assert!(rpm_outcome.rows("rpm_requirement") > 0);
    // The Alpine image: apk packages have no table in Thoth; its ELF symbols do.
    assert!(by_label(&outcomes, "apk").rows("versioned_symbol") > 0);
    // dir: has a layer identity, which Thoth stores as the image's sha.
    let dir_layers = dir["result"]["layers"].as_array().expect("layers");
    assert_eq!(dir_layers.len(), 1);
    assert_eq!(
        by_label(&outcomes, "dir").environment["image_sha"],
        dir_layers[0]
    );
    // CUDA 11.8: only version.json, and Thoth's graph records the nvcc version.
    assert_eq!(
        by_label(&outcomes, "cuda 11.8 dir").environment["cuda_version"],
        "11.8.89"
    );
    // Debian: thoth-storages itself is broken, for its own tool's documents too.
    let ours = by_label(&outcomes, "debian");
    let theirs = by_label(&outcomes, "debian (Thoth's shape)");
    assert_eq!(ours.sync["type"], "AttributeError", "{}", ours.summary());
    assert!(
        ours.sync["where"]
            .as_str()
            .is_some_and(|w| w.contains("DebReplaces.from_properties")),
        "{}",
        ours.sync
    );
    assert_eq!(ours.sync, theirs.sync, "both fail the same way");
}

#[test]
fn every_golden_document_passes_thoths_result_store_schema() {
    thoth::assert_golden_documents_pass_schema(
        Path::new(env!("CARGO_BIN_EXE_package-extract")),
        "package-extract",
        Kind::Analysis,
    );
}
