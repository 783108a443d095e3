//! Tar streams for tests, including the hostile ones `tar::Builder` refuses to write.

use std::io::Write;

pub enum Item<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
}

/// An OCI layout with one image (`latest`) whose layers are `blobs` as given (compressed or
/// not); returns the layout's directory inside `dir`.
pub fn layout(dir: &std::path::Path, blobs: &[Vec<u8>]) -> std::path::PathBuf {
    use crate::digest::Digest;
    let root = dir.join("layout");
    let blob_dir = root.join("blobs/sha256");
    std::fs::create_dir_all(&blob_dir).expect("mkdir");
    let put = |bytes: &[u8]| -> (String, usize) {
        let d = Digest::of(bytes);
        std::fs::write(blob_dir.join(d.hex()), bytes).expect("blob");
        (d.to_string(), bytes.len())
    };
    let layers: Vec<serde_json::Value> = blobs
        .iter()
        .map(|b| {
            let (digest, size) = put(b);
            serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size})
        })
        .collect();
    let config = serde_json::json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "config": {}});
    let (cfg_digest, cfg_size) = put(&serde_json::to_vec(&config).expect("json"));
    let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest, "size": cfg_size},
        "layers": layers});
    let (m_digest, m_size) = put(&serde_json::to_vec(&manifest).expect("json"));
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": m_digest, "size": m_size, "annotations": {"org.opencontainers.image.ref.name": "latest"}}]});
    std::fs::write(
        root.join("index.json"),
        serde_json::to_vec(&index).expect("json"),
    )
    .expect("index");
    std::fs::write(
        root.join("oci-layout"),
        br#"{"imageLayoutVersion": "1.0.0"}"#,
    )
    .expect("oci-layout");
    root
}

/// A tar with raw names (no validation), so `../x` and `/abs` can be written.
pub fn tar(items: &[Item<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for item in items {
        let mut h = tar::Header::new_gnu();
        let (name, data, kind, link): (&str, &[u8], tar::EntryType, Option<&str>) = match item {
            Item::File(n, d) => (n, d, tar::EntryType::Regular, None),
            Item::Dir(n) => (n, b"", tar::EntryType::Directory, None),
            Item::Symlink(n, t) => (n, b"", tar::EntryType::Symlink, Some(t)),
            Item::Hardlink(n, t) => (n, b"", tar::EntryType::Link, Some(t)),
        };
        let raw = &mut h.as_old_mut().name;
        raw.fill(0);
        raw[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(t) = link {
            let l = &mut h.as_old_mut().linkname;
            l.fill(0);
            l[..t.len()].copy_from_slice(t.as_bytes());
        }
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, data).expect("append");
    }
    b.into_inner().expect("finish")
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).expect("zstd")
}
