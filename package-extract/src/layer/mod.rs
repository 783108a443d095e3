//! One layer, from compressed bytes to a [`LayerIndex`], in a single streaming pass: detect the
//! compression ([`decode`]), decompress under the bomb guard ([`limits`]), walk the tar
//! ([`walk`]), keep what [`crate::catalog::capture`] asks for ([`capture`]), and verify the
//! blob's digest at the end. [`pipeline`] runs those stages on three threads. Nothing is written
//! to disk, and the result is a value (a [`LayerIndex`]) that can be cached.

pub mod cache;
pub mod capture;
mod decode;
#[doc(hidden)]
pub mod fixture;
mod limits;
mod pipeline;
#[cfg(test)]
mod tests;
mod walk;

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use crate::digest::{Digest, HashingReader};
use crate::tree::LayerIndex;

use self::decode::Compression;
use self::limits::ExpansionGuard;
pub use self::limits::Limits;
pub use self::pipeline::index_layer_pipelined;
use self::walk::walk;

/// What the layer's bytes should hash to.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// Of the blob as stored (OCI and registry manifests).
    pub compressed: Option<Digest>,
    /// Of the uncompressed tar (docker-archive `diff_ids`).
    pub uncompressed: Option<Digest>,
    /// The blob reader itself fails when the bytes do not hash to `compressed`.
    pub compressed_verified_upstream: bool,
}

impl Expected {
    /// Reads `blob`, hashing it unless its source already verifies `compressed`.
    pub(crate) fn reader<R: Read>(&self, blob: R, progress: Arc<AtomicU64>) -> HashingReader<R> {
        match &self.compressed {
            Some(d) if self.compressed_verified_upstream => {
                HashingReader::verified_upstream(blob, progress, d.clone())
            }
            _ => HashingReader::with_progress(blob, progress),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("layer {layer}: digest mismatch: expected {expected}, the blob hashes to {actual}")]
    DigestMismatch {
        layer: usize,
        expected: Digest,
        actual: Digest,
    },
    #[error("layer {layer}: {message}")]
    Limit { layer: usize, message: String },
    #[error("layer {layer}: {message}")]
    Corrupt { layer: usize, message: String },
}

/// Walks one layer on the calling thread. `python_files` says whether `.py` digests are kept.
pub fn index_layer<R: Read>(
    layer: usize,
    blob: R,
    expected: &Expected,
    limits: &Limits,
    python_files: bool,
) -> Result<LayerIndex, LayerError> {
    let corrupt = |message: String| LayerError::Corrupt { layer, message };
    let consumed = Arc::new(AtomicU64::new(0));
    let mut compressed =
        BufReader::with_capacity(256 << 10, expected.reader(blob, Arc::clone(&consumed)));
    let magic = compressed
        .fill_buf()
        .map_err(|e| corrupt(format!("cannot read the blob: {e}")))?;
    let kind = Compression::sniff(magic);
    let guard = ExpansionGuard {
        limits: limits.clone(),
        consumed,
    };
    let mut index = LayerIndex::default();

    // Each decoder borrows the compressed reader, so the rest of the blob can be hashed after
    // the tar ends.
    let walked = match kind.decoder(&mut compressed) {
        Ok(decoder) => walk(layer, decoder, &guard, &mut index, python_files, expected),
        Err(e) => Err(corrupt(e.to_string())),
    };
    // A limit hit ends the layer at once, without reading the rest of the blob.
    if let Err(e @ LayerError::Limit { .. }) = walked {
        return Err(e);
    }
    let blob = match compressed.into_inner().finish() {
        Ok((digest, _)) => BlobEnd::Read(digest),
        Err(e) => BlobEnd::Failed(corrupt(format!("cannot read the blob to its end: {e}"))),
    };
    conclude(layer, walked, blob, expected, index)
}

/// How reading a layer's blob ended.
pub(crate) enum BlobEnd {
    /// To its end, with this digest.
    Read(Digest),
    /// With an error of the source (or of the reading thread).
    Failed(LayerError),
    /// The walker left first.
    Abandoned,
}

/// The verdict on a walked layer: a blob that does not hash to its digest is reported as such
/// (corruption in transit explains most other errors), then the walk's own error, if any.
pub(crate) fn conclude(
    layer: usize,
    walked: Result<(), LayerError>,
    blob: BlobEnd,
    expected: &Expected,
    mut index: LayerIndex,
) -> Result<LayerIndex, LayerError> {
    let (actual, walked) = match (blob, walked) {
        (BlobEnd::Read(d), walked) => (d, walked),
        // A source that verifies the digest itself says so by failing the read: its verdict
        // explains a tar the walk found broken.
        (BlobEnd::Failed(e), Err(_)) if expected.compressed_verified_upstream => return Err(e),
        // Otherwise the walk's error explains a blob that could not be read to its end.
        (BlobEnd::Failed(_) | BlobEnd::Abandoned, Err(e)) => return Err(e),
        (BlobEnd::Failed(e), Ok(())) => return Err(e),
        // The walker ended without a limit hit or an error but before the blob did.
        (BlobEnd::Abandoned, Ok(())) => {
            return Err(LayerError::Corrupt {
                layer,
                message: "the layer ended early".into(),
            });
        }
    };
    if let Some(want) = &expected.compressed {
        if *want != actual {
            return Err(LayerError::DigestMismatch {
                layer,
                expected: want.clone(),
                actual,
            });
        }
    }
    walked?;
    index.blob_digest = Some(actual);
    Ok(index)
}
