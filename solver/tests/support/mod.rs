//! Small real distributions for tests, made in memory: wheels (zip files with a `.dist-info`
//! directory, CRCs and RECORD as installers check them) and sdists (`.tar.gz` with PKG-INFO),
//! published on loopback indexes.

#![allow(dead_code)]

use std::io::Write;

use common::testindex::{PageFormat, TestFile, TestIndex};

/// A zip archive with deflated members and a correct central directory.
pub fn zip(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in members {
        let mut enc =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(content).expect("deflate");
        let data = enc.finish().expect("deflate");
        let mut crc = flate2::Crc::new();
        crc.update(content);
        let offset = out.len() as u32;
        let common = |buf: &mut Vec<u8>| {
            buf.extend_from_slice(&20u16.to_le_bytes()); // version needed
            buf.extend_from_slice(&0u16.to_le_bytes()); // flags
            buf.extend_from_slice(&8u16.to_le_bytes()); // deflate
            buf.extend_from_slice(&0u32.to_le_bytes()); // time, date
            buf.extend_from_slice(&crc.sum().to_le_bytes());
            buf.extend_from_slice(&(data.len() as u32).to_le_bytes());
            buf.extend_from_slice(&(content.len() as u32).to_le_bytes());
            buf.extend_from_slice(&(name.len() as u16).to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend_from_slice(&[0; 6]); // comment length, disk, internal attributes
        central.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// Core metadata text for a release.
pub fn metadata(name: &str, version: &str, requires: &[&str], extra: &str) -> Vec<u8> {
    let mut text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    for r in requires {
        text.push_str(&format!("Requires-Dist: {r}\n"));
    }
    text.push_str(extra);
    text.into_bytes()
}

fn urlsafe_sha256(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(bytes))
}

/// A wheel of `name` `version` with tag `tag` holding package `import_name`, the given
/// metadata, an entry point and a RECORD.
pub fn wheel(name: &str, version: &str, tag: &str, meta: &[u8]) -> (String, Vec<u8>) {
    let dist = name.replace('-', "_");
    let dist_info = format!("{dist}-{version}.dist-info");
    let mut members: Vec<(String, Vec<u8>)> = vec![
        (
            format!("{dist}/__init__.py"),
            format!("__version__ = '{version}'\n").into_bytes(),
        ),
        (format!("{dist}/sub/__init__.py"), Vec::new()),
        (format!("{dist_info}/METADATA"), meta.to_vec()),
        (
            format!("{dist_info}/WHEEL"),
            format!("Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tag}\n")
                .into_bytes(),
        ),
        (
            format!("{dist_info}/entry_points.txt"),
            format!("[console_scripts]\n{name} = {dist}:main\n").into_bytes(),
        ),
    ];
    // Incompressible bytes after the metadata, so the metadata is not in the wheel's last 64 KiB
    // and reading it takes its own range request, as with real wheels.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let payload: Vec<u8> = (0..80_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    members.push((format!("{dist}/data.bin"), payload));
    let mut record = String::new();
    for (path, content) in &members {
        record.push_str(&format!(
            "{path},sha256={},{}\n",
            urlsafe_sha256(content),
            content.len()
        ));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    members.push((format!("{dist_info}/RECORD"), record.into_bytes()));
    (format!("{dist}-{version}-{tag}.whl"), zip(&members))
}

/// An sdist `.tar.gz` with `PKG-INFO` (and a setup.py nobody runs).
pub fn sdist(name: &str, version: &str, pkg_info: &[u8]) -> (String, Vec<u8>) {
    let dir = format!("{}-{version}", name.replace('-', "_"));
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (path, content) in [
        (format!("{dir}/PKG-INFO"), pkg_info.to_vec()),
        (
            format!("{dir}/setup.py"),
            b"raise SystemExit('never run')\n".to_vec(),
        ),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, path, &content[..])
            .expect("tar");
    }
    let gz = tar.into_inner().expect("tar");
    (format!("{dir}.tar.gz"), gz.finish().expect("gzip"))
}

/// A pure-Python wheel file for an index, with its metadata file when `metadata_file`.
pub fn pure(name: &str, version: &str, requires: &[&str], metadata_file: bool) -> TestFile {
    let meta = metadata(name, version, requires, "License: MIT\n");
    let (filename, content) = wheel(name, version, "py3-none-any", &meta);
    let mut file = TestFile::new(&filename, &content);
    if metadata_file {
        file.metadata = Some(meta);
    }
    file
}

pub fn start(format: PageFormat) -> TestIndex {
    TestIndex::start(format)
}
