//! The layer cache (`--layer-cache DIR|s3://BUCKET/PREFIX`): the walked index of a layer,
//! stored under the layer's digest and a key of everything that shapes the walk, so an image
//! that shares layers with one already inventoried costs only its new layers.
//!
//! An entry is never trusted: its format version, a checksum over it and the key it names are
//! checked ([`entry`]); one that fails is logged, ignored, and rewritten after the walk. A
//! cache that cannot be read or written is logged and the run goes on without it: the cache
//! changes how long a run takes, never what it reports. Entries are made only from layers
//! whose bytes matched their digest, but whoever can write the cache can change what later
//! runs report: share a cache only among writers you trust, as you would the binary.

mod dir;
mod entry;
mod s3;

use sha2::{Digest as _, Sha256};

pub use self::entry::{Cached, FORMAT_VERSION};
use crate::digest::Digest;
use crate::layer::Limits;
use crate::tree::LayerIndex;

/// Where entries are kept.
#[derive(Debug)]
enum Backend {
    Dir(dir::DirCache),
    // Boxed: its client configuration dwarfs a path.
    S3(Box<s3::S3Cache>),
}

/// An open cache, for one set of walk options.
#[derive(Debug)]
pub struct LayerCache {
    backend: Backend,
    /// Hex SHA-256 of what shapes a walk (see [`walk_key`]).
    walk: String,
}

/// `--layer-cache-max-bytes` when not given: room for the layers of a few hundred images.
pub const DEFAULT_MAX_BYTES: u64 = 10 << 30;

/// Everything besides the layer's bytes that changes what its walk yields: the toolkit's
/// version (what the catalogers capture), the entry format, the capture options and the limits.
pub fn walk_key(limits: &Limits, python_files: bool) -> String {
    let Limits {
        max_entries,
        max_layer_bytes,
        max_expansion_ratio,
        ratio_grace_bytes,
        max_captured_file,
    } = limits;
    let text = format!(
        "package-extract {} format {FORMAT_VERSION} python_files={python_files} \
         max_entries={max_entries} max_layer_bytes={max_layer_bytes} \
         max_expansion_ratio={max_expansion_ratio} ratio_grace_bytes={ratio_grace_bytes} \
         max_captured_file={max_captured_file}",
        env!("CARGO_PKG_VERSION")
    );
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl LayerCache {
    /// Opens `location` (a directory, created if needed, or `s3://BUCKET/PREFIX`).
    pub fn open(
        location: &str,
        max_bytes: u64,
        limits: &Limits,
        python_files: bool,
    ) -> Result<Self, String> {
        let backend = if location
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("s3://"))
        {
            Backend::S3(Box::new(s3::S3Cache::open(location)?))
        } else if location.contains("://") {
            return Err(format!(
                "{location:?}: the layer cache is a directory or s3://BUCKET/PREFIX"
            ));
        } else {
            Backend::Dir(dir::DirCache::open(
                std::path::Path::new(location),
                max_bytes,
            )?)
        };
        Ok(Self {
            backend,
            walk: walk_key(limits, python_files),
        })
    }

    /// The entry's name: the layer's digest, then the walk key.
    fn name(&self, layer: &Digest) -> String {
        format!("sha256-{}-{}", layer.hex(), &self.walk[..32])
    }

    /// The full key an entry names inside itself.
    fn key(&self, layer: &Digest) -> String {
        format!("{layer} {}", self.walk)
    }

    /// The walked layer stored for `layer`, its entries numbered `position`; `None` on a miss
    /// or when the entry cannot be used (logged).
    pub fn get(&self, layer: &Digest, position: usize) -> Option<Cached> {
        let name = self.name(layer);
        let bytes = match &self.backend {
            Backend::Dir(d) => d.get(&name).map_err(|e| e.to_string()),
            Backend::S3(s) => s.get(&name).map_err(|e| e.message),
        };
        let bytes = match bytes {
            Ok(Some(b)) => b,
            Ok(None) => {
                tracing::debug!(%layer, "layer cache: miss");
                return None;
            }
            Err(e) => {
                tracing::warn!(%layer, "layer cache: cannot read the entry, walking the layer: {e}");
                return None;
            }
        };
        match entry::decode(&self.key(layer), &bytes, position) {
            Ok(cached) => {
                tracing::info!(%layer, "layer cache: hit");
                Some(cached)
            }
            Err(why) => {
                tracing::warn!(%layer, "layer cache: entry {name} ignored and rewritten: {why}");
                None
            }
        }
    }

    /// Stores a walked layer; a failure is logged, never fatal.
    pub fn put(&self, layer: &Digest, index: &LayerIndex, blob_size: u64) {
        let name = self.name(layer);
        let cached = Cached {
            index: index.clone(),
            blob_size,
        };
        let stored = entry::encode(&self.key(layer), &cached).map_err(|e| e.to_string());
        let stored = stored.and_then(|bytes| match &self.backend {
            Backend::Dir(d) => d.put(&name, &bytes).map_err(|e| e.to_string()),
            Backend::S3(s) => s.put(&name, &bytes).map_err(|e| e.message),
        });
        match stored {
            Ok(()) => tracing::debug!(%layer, "layer cache: stored"),
            Err(e) => tracing::warn!(%layer, "layer cache: cannot store the entry: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_that_shapes_the_walk_changes_the_key() {
        let base = Limits::default();
        let key = walk_key(&base, true);
        assert_ne!(key, walk_key(&base, false));
        for changed in [
            Limits {
                max_entries: 1,
                ..base.clone()
            },
            Limits {
                max_layer_bytes: 1,
                ..base.clone()
            },
            Limits {
                max_expansion_ratio: 1,
                ..base.clone()
            },
            Limits {
                ratio_grace_bytes: 1,
                ..base.clone()
            },
            Limits {
                max_captured_file: 1,
                ..base.clone()
            },
        ] {
            assert_ne!(key, walk_key(&changed, true));
        }
    }
}
