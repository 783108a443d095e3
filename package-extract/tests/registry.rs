//! Pulls from a real registry on loopback (Debian's `docker-registry`), images pushed with
//! `skopeo copy`: anonymous, basic auth, an image index with two platforms, a zstd layer.

mod support;

use serde_json::{Value, json};
use support::{Registry, comparable, extract, input_error, sample_layout, succeeded};

fn sample_ref() -> String {
    format!("oci:{}:latest", sample_layout().display())
}

#[test]
fn anonymous_pull_gives_the_same_inventory_as_the_layout() {
    let registry = Registry::start(None);
    registry.push(&sample_ref(), "sample:1.0", &[]);
    let (out, doc) = extract(
        &["-i", &format!("docker://{}/sample:1.0", registry.addr)],
        &[],
    );
    let pulled = succeeded(&out, doc);
    let (out, doc) = extract(&["-i", &sample_ref()], &[]);
    let local = succeeded(&out, doc);
    assert_eq!(comparable(&pulled), comparable(&local));
    let inspect = &pulled["result"]["skopeo-inspect"];
    assert_eq!(inspect["RepoTags"], json!(["1.0"]));
    assert!(
        inspect["Digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:"))
    );
    // A bare reference (no transport) is a registry reference too.
    let (out, doc) = extract(&["-i", &format!("{}/sample:1.0", registry.addr)], &[]);
    assert_eq!(comparable(&succeeded(&out, doc)), comparable(&local));
}

/// The registry serves a layer whose stored bytes were changed after the push: the download's
/// verification (not a second hash of ours) ends the run with an input error naming the digest.
#[test]
fn a_blob_corrupted_in_the_registry_is_rejected() {
    let registry = Registry::start(None);
    registry.push(&sample_ref(), "sample:1.0", &[]);
    let blobs = registry.storage().join("docker/registry/v2/blobs/sha256");
    // The largest blob is a layer (the config and manifest are small).
    let largest = std::fs::read_dir(&blobs)
        .expect("blob directory")
        .flat_map(|d| std::fs::read_dir(d.expect("entry").path()).expect("prefix directory"))
        .map(|e| e.expect("entry").path().join("data"))
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("a blob");
    let mut bytes = std::fs::read(&largest).expect("blob");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&largest, &bytes).expect("write blob");
    let (out, doc) = extract(
        &["-i", &format!("docker://{}/sample:1.0", registry.addr)],
        &[],
    );
    let msg = input_error(&out, &doc.expect("failure document"));
    let hex = largest
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .expect("hex");
    assert!(msg.contains("igest") && msg.contains(hex), "{msg}");
}

#[test]
fn missing_images_and_unreachable_registries_are_clear_errors() {
    let registry = Registry::start(None);
    let (out, doc) = extract(&["-i", &format!("docker://{}/nope:1", registry.addr)], &[]);
    let msg = input_error(&out, &doc.expect("failure document"));
    assert!(msg.contains("not found"), "{msg}");

    let port = support::free_port();
    let (out, doc) = extract(&["-i", &format!("docker://127.0.0.1:{port}/x:1")], &[]);
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        doc.expect("failure document")["result"]["error_kind"],
        "network"
    );
}

#[test]
fn basic_auth_from_flag_environment_and_auth_file() {
    let registry = Registry::start(Some(("alice", "s3cret-pw")));
    registry.push(&sample_ref(), "private:1", &[]);
    let image = format!("docker://{}/private:1", registry.addr);

    let (out, doc) = extract(&["-i", &image], &[]);
    let msg = input_error(&out, &doc.expect("failure document"));
    assert!(msg.contains("credentials"), "{msg}");

    let (out, doc) = extract(&["-i", &image, "-c", "alice:wrong"], &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("wrong"));
    drop(doc);

    let (out, doc) = extract(&["-i", &image, "-c", "alice:s3cret-pw"], &[]);
    let d = succeeded(&out, doc);
    assert_eq!(
        d["metadata"]["arguments"]["extract-image"]["registry_credentials"],
        "<redacted>"
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("s3cret-pw"));

    let (out, doc) = extract(
        &["-i", &image],
        &[("THOTH_REGISTRY_CREDENTIALS", "alice:s3cret-pw")],
    );
    succeeded(&out, doc);

    let dir = tempfile::tempdir().expect("tempdir");
    let auth = dir.path().join("auth.json");
    // base64("alice:s3cret-pw")
    std::fs::write(
        &auth,
        format!(
            r#"{{"auths": {{"{}": {{"auth": "YWxpY2U6czNjcmV0LXB3"}}}}}}"#,
            registry.addr
        ),
    )
    .expect("auth file");
    let (out, doc) = extract(
        &["-i", &image],
        &[("REGISTRY_AUTH_FILE", auth.to_str().expect("utf8"))],
    );
    succeeded(&out, doc);
}

/// Writes a layout whose `multi` entry is an image index: the sample for linux/amd64 and the
/// same layers under a config that says linux/arm64.
fn two_platform_layout(dir: &std::path::Path) {
    support::copy_dir(&sample_layout(), dir);
    let blob = |d: &str| {
        dir.join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let put = |bytes: &[u8]| -> (String, usize) {
        let digest = format!("sha256:{}", sha256_hex(bytes));
        std::fs::write(blob(&digest), bytes).expect("blob");
        (digest, bytes.len())
    };
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index"))
            .expect("json");
    let amd_desc = index["manifests"][0].clone();
    let amd: Value = serde_json::from_slice(
        &std::fs::read(blob(amd_desc["digest"].as_str().expect("digest"))).expect("manifest"),
    )
    .expect("json");
    let mut config: Value = serde_json::from_slice(
        &std::fs::read(blob(amd["config"]["digest"].as_str().expect("digest"))).expect("config"),
    )
    .expect("json");
    config["architecture"] = json!("arm64");
    let (cfg_digest, cfg_size) = put(&serde_json::to_vec(&config).expect("json"));
    let mut arm = amd.clone();
    arm["config"]["digest"] = json!(cfg_digest);
    arm["config"]["size"] = json!(cfg_size);
    let (arm_digest, arm_size) = put(&serde_json::to_vec(&arm).expect("json"));
    let image_index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": amd_desc["digest"], "size": amd_desc["size"], "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm_digest, "size": arm_size, "platform": {"os": "linux", "architecture": "arm64"}},
        ]
    });
    let (idx_digest, idx_size) = put(&serde_json::to_vec(&image_index).expect("json"));
    let top = json!({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": idx_digest, "size": idx_size,
         "annotations": {"org.opencontainers.image.ref.name": "multi"}}
    ]});
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&top).expect("json"),
    )
    .expect("index.json");
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    let out = child.wait_with_output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn image_indexes_resolve_by_platform_from_layouts_and_registries() {
    let dir = tempfile::tempdir().expect("tempdir");
    two_platform_layout(dir.path());
    let layout = format!("oci:{}:multi", dir.path().display());
    let registry = Registry::start(None);
    registry.push(&layout, "multi:1", &["--all"]);
    let remote = format!("docker://{}/multi:1", registry.addr);
    for image in [layout.as_str(), remote.as_str()] {
        let (out, doc) = extract(&["-i", image, "--platform", "linux/arm64"], &[]);
        assert_eq!(
            succeeded(&out, doc)["result"]["skopeo-inspect"]["Architecture"],
            "arm64",
            "{image}"
        );
        let (out, doc) = extract(&["-i", image, "--platform", "linux/amd64"], &[]);
        assert_eq!(
            succeeded(&out, doc)["result"]["skopeo-inspect"]["Architecture"],
            "amd64",
            "{image}"
        );
        let (out, doc) = extract(&["-i", image, "--platform", "linux/s390x"], &[]);
        assert_eq!(out.status.code(), Some(3), "{image}");
        let msg = doc.expect("failure document")["result"]["error_msg"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(msg.contains("linux/amd64, linux/arm64"), "{msg}");
    }
}

#[test]
fn zstd_layers_read_like_gzip_ones() {
    let registry = Registry::start(None);
    registry.push(
        &sample_ref(),
        "zstd:1",
        &["--dest-compress-format", "zstd", "--dest-compress"],
    );
    let (out, doc) = extract(&["-i", &format!("docker://{}/zstd:1", registry.addr)], &[]);
    let pulled = succeeded(&out, doc);
    let types: Vec<&str> = pulled["result"]["skopeo-inspect"]["LayersData"]
        .as_array()
        .expect("layers")
        .iter()
        .filter_map(|l| l["MIMEType"].as_str())
        .collect();
    assert!(types.iter().all(|t| t.ends_with("zstd")), "{types:?}");
    let (out, doc) = extract(&["-i", &sample_ref()], &[]);
    let local = succeeded(&out, doc);
    let strip = |v: &Value| {
        let mut c = comparable(v);
        for k in ["layers", "image_size"] {
            c.as_object_mut().expect("object").remove(k);
        }
        c["skopeo-inspect"]
            .as_object_mut()
            .expect("inspect")
            .remove("Layers");
        c
    };
    assert_eq!(strip(&pulled), strip(&local));
}
