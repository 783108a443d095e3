//! The bounds of one layer: how many entries, how many bytes, what expansion ratio, and the
//! reader that enforces the byte and ratio bounds as the stream is decompressed.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest as _, Sha256};

use super::LayerError;

/// Bounds that end hostile input with a clear error instead of exhausting the machine.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Entries in one layer.
    pub max_entries: u64,
    /// Uncompressed bytes of one layer.
    pub max_layer_bytes: u64,
    /// Uncompressed / compressed, checked once a layer has expanded past `ratio_grace_bytes`.
    pub max_expansion_ratio: u64,
    pub ratio_grace_bytes: u64,
    /// The largest file whose content is kept; larger ones are listed without content.
    pub max_captured_file: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 2_000_000,
            max_layer_bytes: 64 << 30,
            max_expansion_ratio: 200,
            ratio_grace_bytes: 256 << 20,
            max_captured_file: 256 << 20,
        }
    }
}

pub(crate) struct ExpansionGuard {
    pub(crate) limits: Limits,
    /// Compressed bytes read so far (slightly ahead of the decoder, by the read buffer).
    pub(crate) consumed: Arc<AtomicU64>,
}

/// Counts uncompressed bytes, hashes them when a `diff_id` is to be checked, and stops a
/// decompression bomb by size and by ratio.
pub(crate) struct Uncompressed<'a, R> {
    pub(crate) inner: R,
    pub(crate) guard: &'a ExpansionGuard,
    pub(crate) bytes: u64,
    pub(crate) hasher: Option<Sha256>,
}

impl<R: Read> Read for Uncompressed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        let l = &self.guard.limits;
        if self.bytes > l.max_layer_bytes {
            return Err(io::Error::other(LimitHit(format!(
                "expands beyond {} bytes (the layer size limit); raise --max-layer-size if the image is trusted",
                l.max_layer_bytes
            ))));
        }
        if self.bytes > l.ratio_grace_bytes {
            let compressed = self.guard.consumed.load(Ordering::Relaxed).max(1);
            if self.bytes / compressed > l.max_expansion_ratio {
                return Err(io::Error::other(LimitHit(format!(
                    "expands more than {}x ({} bytes from {} compressed): a decompression bomb? Raise --max-expansion-ratio if the image is trusted",
                    l.max_expansion_ratio, self.bytes, compressed
                ))));
            }
        }
        Ok(n)
    }
}

#[derive(Debug)]
struct LimitHit(String);

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitHit {}

/// Turns an I/O error from deep inside the decoder stack into the layer error it stands for.
pub(crate) fn classify(layer: usize, e: &io::Error, what: &str) -> LayerError {
    if let Some(hit) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<LimitHit>())
    {
        return LayerError::Limit {
            layer,
            message: hit.0.clone(),
        };
    }
    let message = if e.kind() == io::ErrorKind::UnexpectedEof {
        format!("{what}: the layer is truncated ({e})")
    } else {
        format!("{what}: {e}")
    };
    LayerError::Corrupt { layer, message }
}
