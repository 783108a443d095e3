//! Hostile layouts and archives on disk (issue 13): blobs that are symlinks to a device or out
//! of the layout, documents larger than any real one, a config longer than its descriptor, a
//! docker archive whose layer link points outside the archive. Each ends with exit 3 and a
//! failure document naming the file, quickly and in bounded memory.

mod support;

use package_extract::digest::Digest;
use package_extract::layer::fixture::{Item, gzip, layout, tar};
use serde_json::{Value, json};
use support::standin::{Measured, measure};

const MAX_RSS_KIB: u64 = 256 << 10;

fn failed(m: &Measured, needle: &str) {
    assert_eq!(
        m.out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&m.out.stderr)
    );
    let doc = m.doc.as_ref().expect("a failure document");
    let msg = doc["result"]["error_msg"].as_str().unwrap_or_default();
    assert!(msg.contains(needle), "{needle:?} not in {msg:?}");
    assert!(
        m.peak_rss_kib < MAX_RSS_KIB,
        "peak RSS {} KiB",
        m.peak_rss_kib
    );
    assert!(m.wall.as_secs() < 30, "{:?}", m.wall);
}

fn one_layer() -> Vec<u8> {
    gzip(&tar(&[Item::File("etc/os-release", b"ID=x\n")]))
}

fn image(dir: &std::path::Path) -> std::path::PathBuf {
    layout(dir, &[one_layer()])
}

fn oci(root: &std::path::Path) -> String {
    format!("oci:{}:latest", root.display())
}

/// The manifest of the layout's `latest` image, and the path of its blob.
fn manifest(root: &std::path::Path) -> (Value, std::path::PathBuf) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(root.join("index.json")).expect("index"))
            .expect("json");
    let digest =
        Digest::parse(index["manifests"][0]["digest"].as_str().expect("digest")).expect("digest");
    let path = root.join("blobs/sha256").join(digest.hex());
    let doc = serde_json::from_slice(&std::fs::read(&path).expect("manifest")).expect("json");
    (doc, path)
}

/// Replaces the manifest (index.json then names the new one).
fn put_manifest(root: &std::path::Path, manifest: &[u8]) {
    let d = Digest::of(manifest);
    std::fs::write(root.join("blobs/sha256").join(d.hex()), manifest).expect("write");
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": d.to_string(), "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": "latest"}}]});
    std::fs::write(
        root.join("index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("index");
}

#[test]
fn a_layer_blob_linked_to_a_device_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = image(tmp.path());
    let blob = root
        .join("blobs/sha256")
        .join(Digest::of(&one_layer()).hex());
    std::fs::remove_file(&blob).expect("rm");
    // A scratch character device would need root; /dev/zero is only read through the link,
    // never written.
    std::os::unix::fs::symlink("/dev/zero", &blob).expect("symlink");
    failed(&measure(&["-i", &oci(&root)]), "leads outside the layout");
}

#[test]
fn a_blob_linked_outside_the_layout_is_refused_and_one_inside_is_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = image(tmp.path());
    let blob = root
        .join("blobs/sha256")
        .join(Digest::of(&one_layer()).hex());
    let outside = tmp.path().join("elsewhere");
    std::fs::rename(&blob, &outside).expect("move");
    std::os::unix::fs::symlink(&outside, &blob).expect("symlink");
    failed(&measure(&["-i", &oci(&root)]), "leads outside the layout");
    // The same blob kept inside the layout, reached by a relative link: read.
    let inside = root.join("moved-blob");
    std::fs::rename(&outside, &inside).expect("move");
    std::fs::remove_file(&blob).expect("rm");
    std::os::unix::fs::symlink("../../moved-blob", &blob).expect("symlink");
    let m = measure(&["-i", &oci(&root)]);
    assert_eq!(
        m.out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&m.out.stderr)
    );
}

#[test]
fn a_manifest_over_4_mib_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = image(tmp.path());
    let (mut doc, _) = manifest(&root);
    doc["annotations"] = json!({"padding": "x".repeat(5 << 20)});
    put_manifest(&root, &serde_json::to_vec(&doc).expect("json"));
    failed(&measure(&["-i", &oci(&root)]), "larger than 4194304 bytes");
}

#[test]
fn a_config_longer_than_its_descriptor_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = image(tmp.path());
    let (mut doc, _) = manifest(&root);
    let real = doc["config"]["size"].as_u64().expect("size");
    doc["config"]["size"] = json!(real - 1);
    put_manifest(&root, &serde_json::to_vec(&doc).expect("json"));
    failed(
        &measure(&["-i", &oci(&root)]),
        &format!("larger than {} bytes", real - 1),
    );
}

#[test]
fn a_layer_longer_than_declared_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let root = image(tmp.path());
    let (mut doc, _) = manifest(&root);
    let real = doc["layers"][0]["size"].as_u64().expect("size");
    doc["layers"][0]["size"] = json!(real - 10);
    put_manifest(&root, &serde_json::to_vec(&doc).expect("json"));
    failed(
        &measure(&["-i", &oci(&root)]),
        &format!("longer than the {} bytes", real - 10),
    );
}

/// A docker archive whose layer member is a link climbing out of the archive: the link is
/// resolved inside the archive (clamped at its root), where nothing is found.
#[test]
fn a_docker_archive_layer_link_never_leaves_the_archive() {
    let tmp = tempfile::tempdir().expect("tmp");
    let secret_dir = tmp.path().join("outside");
    std::fs::create_dir_all(&secret_dir).expect("mkdir");
    std::fs::write(
        secret_dir.join("layer.tar"),
        tar(&[Item::File("etc/os-release", b"ID=leak\n")]),
    )
    .expect("outside");
    let config = serde_json::to_vec(&json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": []}}))
    .expect("json");
    let manifest = serde_json::to_vec(&json!([{"Config": "config.json", "RepoTags": ["x:1"],
        "Layers": ["l/layer.tar"]}]))
    .expect("json");
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in [("config.json", &config), ("manifest.json", &manifest)] {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, &data[..]).expect("append");
    }
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    h.set_mode(0o777);
    b.append_link(
        &mut h,
        "l/layer.tar",
        format!("../../../../..{}/layer.tar", secret_dir.display()),
    )
    .expect("link");
    let archive = tmp.path().join("a.tar");
    std::fs::write(&archive, b.into_inner().expect("tar")).expect("write");
    let m = measure(&["-i", &format!("docker-archive:{}", archive.display())]);
    failed(&m, "which the archive does not hold");
    assert!(!String::from_utf8_lossy(&m.out.stdout).contains("leak"));
}
