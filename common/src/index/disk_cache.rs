//! An optional on-disk cache of index answers, revalidated on every use: the next run asks with
//! `If-None-Match` / `If-Modified-Since` and takes the stored body on `304 Not Modified`, so a
//! repeated solve of a large stack transfers almost nothing yet never serves a stale page.
//! Entries are written atomically (temporary file, then rename); a damaged entry is a miss.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A stored answer and the validators to revalidate it with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: String,
}

#[derive(Debug, Clone)]
pub(super) struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    /// One entry per URL and `Accept` header (a JSON and an HTML page are different answers).
    fn paths(&self, url: &str, accept: &str) -> (PathBuf, PathBuf) {
        let key = hex::encode(Sha256::digest(format!("{url}\n{accept}")));
        (
            self.dir.join(format!("{key}.json")),
            self.dir.join(format!("{key}.body")),
        )
    }

    pub fn load(&self, url: &str, accept: &str) -> Option<(Validators, Vec<u8>)> {
        let (meta, body) = self.paths(url, accept);
        let validators: Validators = serde_json::from_slice(&std::fs::read(meta).ok()?).ok()?;
        Some((validators, std::fs::read(body).ok()?))
    }

    /// Stores an answer that can be revalidated; others are not worth keeping.
    pub fn store(&self, url: &str, accept: &str, validators: &Validators, body: &[u8]) {
        if validators.etag.is_none() && validators.last_modified.is_none() {
            return;
        }
        let (meta, body_path) = self.paths(url, accept);
        let written = serde_json::to_vec(validators)
            .map_err(std::io::Error::other)
            .and_then(|json| {
                // The body first: a validator file never points at a missing or older body.
                write_atomically(&self.dir, &body_path, body)?;
                write_atomically(&self.dir, &meta, &json)
            });
        if let Err(e) = written {
            tracing::warn!(
                "cannot write the index cache in {}: {e}",
                self.dir.display()
            );
        }
    }
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.persist(path).map(drop).map_err(|e| e.error)
}
