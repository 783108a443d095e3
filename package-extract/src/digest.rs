//! Content digests (`sha256:<hex>`) and a reader that computes one while the bytes pass.

use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest as _, Sha256};

/// A `sha256:<64 hex>` content digest, the only algorithm registries use for image blobs.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    hex: String,
}

impl Digest {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (algorithm, hex) = text
            .split_once(':')
            .ok_or_else(|| format!("digest {text:?} has no algorithm prefix"))?;
        if algorithm != "sha256" {
            return Err(format!(
                "digest {text:?} uses {algorithm}; only sha256 is supported"
            ));
        }
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("digest {text:?} is not 64 hex digits"));
        }
        Ok(Self {
            hex: hex.to_ascii_lowercase(),
        })
    }

    pub fn of(bytes: &[u8]) -> Self {
        Self::from_hash(Sha256::digest(bytes).into())
    }

    pub fn from_hash(hash: [u8; 32]) -> Self {
        Self {
            hex: hex::encode(hash),
        }
    }

    /// The hex part, as Thoth listed layers.
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// Hashes and counts what is read through it.
pub struct HashingReader<R> {
    inner: R,
    hash: Hash,
    count: u64,
    /// Shared with whoever needs progress while a decoder owns this reader.
    progress: Option<Arc<AtomicU64>>,
}

enum Hash {
    Computed(Sha256),
    /// Vouched for by the source, which fails the read itself when the bytes disagree.
    Known(Digest),
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hash: Hash::Computed(Sha256::new()),
            count: 0,
            progress: None,
        }
    }

    /// Also publishes the running byte count to `progress`.
    pub fn with_progress(inner: R, progress: Arc<AtomicU64>) -> Self {
        Self {
            progress: Some(progress),
            ..Self::new(inner)
        }
    }

    /// Counts without hashing, for a reader that already fails when its bytes do not hash to
    /// `digest` (a registry download verified as it arrives): hashing twice checks nothing more.
    pub fn verified_upstream(inner: R, progress: Arc<AtomicU64>, digest: Digest) -> Self {
        Self {
            hash: Hash::Known(digest),
            ..Self::with_progress(inner, progress)
        }
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Reads what is left, so the digest covers the whole stream, and returns it.
    pub fn finish(mut self) -> io::Result<(Digest, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        let digest = match self.hash {
            Hash::Computed(h) => Digest::from_hash(h.finalize().into()),
            Hash::Known(d) => d,
        };
        Ok((digest, self.count))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Hash::Computed(h) = &mut self.hash {
            h.update(&buf[..n]);
        }
        self.count += n as u64;
        if let Some(p) = &self.progress {
            p.store(self.count, Ordering::Relaxed);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let d = Digest::parse(
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        )
        .expect("valid");
        assert_eq!(d, Digest::of(b""));
        assert!(Digest::parse("md5:abc").is_err());
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse("nocolon").is_err());
    }

    #[test]
    fn hashing_reader_covers_unread_bytes() {
        let mut r = HashingReader::new(&b"hello world"[..]);
        let mut five = [0; 5];
        r.read_exact(&mut five).expect("read");
        let (d, n) = r.finish().expect("finish");
        assert_eq!(n, 11);
        assert_eq!(d, Digest::of(b"hello world"));
    }
}
