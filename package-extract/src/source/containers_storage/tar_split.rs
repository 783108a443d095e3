//! A layer's tar, rebuilt byte for byte from its tar-split metadata and the layer's files, as
//! containers/storage does for `podman save` and `skopeo copy`: the tar-split stream holds every
//! header and padding byte of the tar the layer was made from (segments), and names the files
//! whose contents follow (file entries); the contents are read from the layer's directory.
//!
//! The rebuilt stream hashes to the layer's `diff-digest` only if every byte is right, and the
//! layer walk checks that digest, so a damaged store or a wrong file ends the run.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use flate2::read::GzDecoder;
use serde::Deserialize;

/// One JSON line of a tar-split stream longer than this is refused: segments are tar headers
/// (PAX records included), kilobytes in practice.
const MAX_LINE: u64 = 16 << 20;

/// `type` of a tar-split entry.
const FILE: u8 = 1;
const SEGMENT: u8 = 2;

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    name: Option<String>,
    /// The name's bytes (base64) when they are not UTF-8.
    #[serde(default)]
    name_raw: Option<String>,
    #[serde(default)]
    size: u64,
    /// A segment's bytes (base64); for a file, its CRC-64, which the digest check supersedes.
    #[serde(default)]
    payload: Option<String>,
}

enum Pending {
    Nothing,
    Bytes(Vec<u8>, usize),
    File {
        file: io::Take<File>,
        name: PathBuf,
        left: u64,
    },
}

/// Reads the rebuilt tar of one layer.
pub struct Reassembler {
    entries: BufReader<GzDecoder<File>>,
    /// The directory holding the layer's files (`overlay/ID/diff`, `vfs/dir/ID`).
    files: PathBuf,
    pending: Pending,
    line: Vec<u8>,
}

impl Reassembler {
    pub fn open(tar_split: &Path, files: PathBuf) -> io::Result<Self> {
        let gz = GzDecoder::new(File::open(tar_split)?);
        Ok(Self {
            entries: BufReader::new(gz),
            files,
            pending: Pending::Nothing,
            line: Vec::new(),
        })
    }

    /// The next entry; `None` at the end of the stream.
    fn next_entry(&mut self) -> io::Result<Option<Entry>> {
        loop {
            self.line.clear();
            let n = (&mut self.entries)
                .take(MAX_LINE)
                .read_until(b'\n', &mut self.line)?;
            if n == 0 {
                return Ok(None);
            }
            if n as u64 == MAX_LINE && self.line.last() != Some(&b'\n') {
                return Err(invalid(format!(
                    "a tar-split entry is longer than {MAX_LINE} bytes"
                )));
            }
            if self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return serde_json::from_slice(&self.line)
                .map(Some)
                .map_err(|e| invalid(format!("a tar-split entry is not valid: {e}")));
        }
    }

    fn start(&mut self, entry: Entry) -> io::Result<()> {
        match entry.kind {
            SEGMENT => {
                let bytes = decode(entry.payload.as_deref().unwrap_or_default())?;
                self.pending = Pending::Bytes(bytes, 0);
            }
            FILE if entry.size == 0 => {}
            FILE => {
                let name = match &entry.name_raw {
                    Some(raw) => decode(raw)?,
                    None => entry.name.unwrap_or_default().into_bytes(),
                };
                let relative = inside(&name)?;
                let path = resolve(&self.files, &relative)?;
                let file = File::open(&path).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot open {} of the layer: {e}", path.display()),
                    )
                })?;
                self.pending = Pending::File {
                    file: file.take(entry.size),
                    name: relative,
                    left: entry.size,
                };
            }
            other => {
                return Err(invalid(format!(
                    "a tar-split entry has unknown type {other}"
                )));
            }
        }
        Ok(())
    }
}

impl Read for Reassembler {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match &mut self.pending {
                Pending::Bytes(bytes, at) if *at < bytes.len() => {
                    let n = buf.len().min(bytes.len() - *at);
                    buf[..n].copy_from_slice(&bytes[*at..*at + n]);
                    *at += n;
                    return Ok(n);
                }
                Pending::File { file, name, left } if *left > 0 => {
                    let n = file.read(buf)?;
                    if n == 0 {
                        return Err(invalid(format!(
                            "{} in the layer is {left} bytes shorter than the tar-split records: the store is damaged",
                            name.display()
                        )));
                    }
                    *left -= n as u64;
                    return Ok(n);
                }
                _ => match self.next_entry()? {
                    Some(entry) => {
                        self.pending = Pending::Nothing;
                        self.start(entry)?;
                    }
                    None => return Ok(0),
                },
            }
        }
    }
}

fn decode(text: &str) -> io::Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| invalid(format!("a tar-split payload is not base64: {e}")))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// A tar member name as a relative path that stays inside the layer: `.` and empty parts are
/// dropped, a leading `/` too (tar's convention), and `..` is refused.
fn inside(name: &[u8]) -> io::Result<PathBuf> {
    let path = Path::new(OsStr::from_bytes(name));
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(invalid(format!(
                    "the tar-split names {} outside the layer",
                    path.display()
                )));
            }
        }
    }
    Ok(out)
}

/// `relative` under `root`, refusing a symbolic link on the way (a directory of the layer
/// replaced by a link must not lead the read elsewhere) and anything but a regular file at the end.
fn resolve(root: &Path, relative: &Path) -> io::Result<PathBuf> {
    let mut path = root.to_path_buf();
    let parts: Vec<_> = relative.components().collect();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        let meta = std::fs::symlink_metadata(&path).map_err(|e| {
            io::Error::new(e.kind(), format!("{} of the layer: {e}", path.display()))
        })?;
        let last = i + 1 == parts.len();
        let fits = if last { meta.is_file() } else { meta.is_dir() };
        if !fits {
            return Err(invalid(format!(
                "{} of the layer is not a regular file where its tar-split records one",
                path.display()
            )));
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tar_split(lines: &[String]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for l in lines {
            writeln!(gz, "{l}").expect("write");
        }
        gz.finish().expect("gzip")
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn rebuilds_segments_and_files_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("files/etc")).expect("mkdir");
        std::fs::write(dir.path().join("files/etc/f"), b"hello").expect("write");
        let ts = dir.path().join("l.tar-split.gz");
        std::fs::write(
            &ts,
            tar_split(&[
                format!(r#"{{"type":2,"payload":"{}","position":0}}"#, b64(b"HDR")),
                r#"{"type":1,"name":"./etc/f","size":5,"payload":null,"position":1}"#.into(),
                r#"{"type":1,"name":"etc/","payload":null,"position":2}"#.into(),
                format!(r#"{{"type":2,"payload":"{}","position":3}}"#, b64(b"END")),
            ]),
        )
        .expect("write");
        let mut out = Vec::new();
        Reassembler::open(&ts, dir.path().join("files"))
            .expect("open")
            .read_to_end(&mut out)
            .expect("read");
        assert_eq!(out, b"HDRhelloEND");
    }

    #[test]
    fn refuses_names_outside_the_layer_and_short_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("files")).expect("mkdir");
        std::fs::write(dir.path().join("files/short"), b"ab").expect("write");
        std::os::unix::fs::symlink("/etc", dir.path().join("files/link")).expect("symlink");
        for (entry, needle) in [
            (r#"{"type":1,"name":"../x","size":1}"#, "outside the layer"),
            (
                r#"{"type":1,"name":"link/passwd","size":1}"#,
                "not a regular file",
            ),
            (r#"{"type":1,"name":"short","size":5}"#, "shorter"),
            (r#"{"type":7}"#, "unknown type"),
        ] {
            let ts = dir.path().join("t.gz");
            std::fs::write(&ts, tar_split(&[entry.into()])).expect("write");
            let mut out = Vec::new();
            let e = Reassembler::open(&ts, dir.path().join("files"))
                .expect("open")
                .read_to_end(&mut out)
                .expect_err(needle);
            assert!(e.to_string().contains(needle), "{e}");
        }
    }
}
