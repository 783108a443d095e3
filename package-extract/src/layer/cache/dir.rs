//! A cache directory on disk, shared by any number of processes.
//!
//! Each entry is written to a temporary file in the same directory and renamed over its name,
//! so a reader sees a whole entry or none, whoever else writes the same one. A hit sets the
//! entry's modification time to now; when the entries add up to more than the bound, the
//! least recently used go first.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The name every entry ends with; eviction touches no other file.
pub const SUFFIX: &str = ".layer";
/// Temporary files start so; one left by a killed writer is removed after [`STALE`].
const TEMP_PREFIX: &str = ".tmp-";
const STALE: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub struct DirCache {
    root: PathBuf,
    max_bytes: u64,
}

impl DirCache {
    /// Creates the directory if needed.
    pub fn open(root: &Path, max_bytes: u64) -> Result<Self, String> {
        std::fs::create_dir_all(root).map_err(|e| {
            format!(
                "cannot create the layer cache directory {}: {e}",
                root.display()
            )
        })?;
        if !std::fs::metadata(root).is_ok_and(|m| m.is_dir()) {
            return Err(format!("{} is not a directory", root.display()));
        }
        Ok(Self {
            root: root.to_path_buf(),
            max_bytes,
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.join(format!("{name}{SUFFIX}"))
    }

    /// The entry's bytes, `None` when there is none; a hit counts as a use for eviction.
    pub fn get(&self, name: &str) -> std::io::Result<Option<Vec<u8>>> {
        let path = self.path(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return Err(std::io::Error::other(format!(
                    "{} is not a regular file",
                    path.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            // Evicted between the two calls.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        // A read-only cache still serves hits; it only forgets which were recent.
        if let Ok(f) = std::fs::File::options().append(true).open(&path) {
            let _ = f.set_modified(SystemTime::now());
        }
        Ok(Some(bytes))
    }

    /// Writes the entry whole under its name, then evicts down to the bound.
    pub fn put(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(name);
        if let Ok(m) = std::fs::symlink_metadata(&path) {
            if !m.is_file() {
                return Err(std::io::Error::other(format!(
                    "{} is not a regular file; it is left alone",
                    path.display()
                )));
            }
        }
        let mut temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.root)?;
        temp.write_all(bytes)?;
        temp.as_file().sync_data()?;
        temp.persist(&path).map_err(|e| e.error)?;
        self.evict(&path)
    }

    /// Removes the least recently used entries until the rest fit the bound; `keep` (the
    /// entry just written) goes last. Other processes may evict at the same time: a file
    /// already gone is not an error.
    fn evict(&self, keep: &Path) -> std::io::Result<()> {
        let now = SystemTime::now();
        let mut entries = Vec::new();
        let mut total = 0u64;
        for item in std::fs::read_dir(&self.root)? {
            let Ok(item) = item else { continue };
            let name = item.file_name();
            let name = name.to_string_lossy();
            let Ok(meta) = item.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if name.starts_with(TEMP_PREFIX) {
                if now.duration_since(used).is_ok_and(|age| age > STALE) {
                    let _ = std::fs::remove_file(item.path());
                }
                continue;
            }
            if !name.ends_with(SUFFIX) {
                continue;
            }
            total += meta.len();
            entries.push((item.path() == keep, used, meta.len(), item.path()));
        }
        if total <= self.max_bytes {
            return Ok(());
        }
        // Oldest use first; the entry just written last of all.
        entries.sort();
        for (_, _, size, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    tracing::debug!(entry = %path.display(), "layer cache: evicted");
                    total -= size;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= size,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entries_go_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = DirCache::open(dir.path(), 250).expect("open");
        let old = SystemTime::now() - Duration::from_secs(100);
        for (i, name) in ["a", "b"].iter().enumerate() {
            cache.put(name, &[0u8; 100]).expect("put");
            let f = std::fs::File::options()
                .append(true)
                .open(cache.path(name))
                .expect("open");
            f.set_modified(old + Duration::from_secs(i as u64))
                .expect("mtime");
        }
        // `a` is used: `b` is now the least recently used.
        assert!(cache.get("a").expect("get").is_some());
        cache.put("c", &[0u8; 100]).expect("put");
        assert!(cache.get("b").expect("get").is_none());
        assert!(cache.get("a").expect("get").is_some());
        assert!(cache.get("c").expect("get").is_some());
        // A file that is not an entry is never evicted.
        std::fs::write(dir.path().join("notes.txt"), [0u8; 1000]).expect("write");
        cache.put("d", &[0u8; 100]).expect("put");
        assert!(dir.path().join("notes.txt").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_name_held_by_a_symlink_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = DirCache::open(dir.path(), 1 << 20).expect("open");
        let target = dir.path().join("target");
        std::fs::write(&target, b"mine").expect("write");
        std::os::unix::fs::symlink(&target, cache.path("x")).expect("symlink");
        assert!(cache.put("x", b"entry").is_err());
        assert!(cache.get("x").is_err());
        assert_eq!(std::fs::read(&target).expect("read"), b"mine");
    }
}
