//! Reads whose length an image source does not get to choose: a document (manifest, config,
//! index) read whole is capped, and a blob is held to the size its descriptor declares, so a
//! registry, engine or layout that sends more than it announced ends the run instead of
//! exhausting memory or time.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Manifests and indexes larger than this are refused (containerd's limit).
pub const MAX_MANIFEST: u64 = 4 << 20;

/// The largest image config read, whatever its descriptor declares. Real configs are a few
/// kilobytes; a long build history makes them a few megabytes.
pub const MAX_CONFIG: u64 = 64 << 20;

/// JSON members of an archive (manifest.json, repositories, configs) are documents too.
pub const MAX_DOCUMENT: u64 = MAX_CONFIG;

/// Token answers and error bodies of a registry.
pub const MAX_SMALL_BODY: u64 = 1 << 20;

/// Why a bounded read stopped.
#[derive(Debug, thiserror::Error)]
pub enum BoundError {
    #[error("{what} is larger than {limit} bytes{declared}", declared = declared_note(*.declared))]
    TooLarge {
        what: String,
        limit: u64,
        declared: Option<u64>,
    },
    #[error("{what} ends after {read} bytes, but its descriptor declares {declared}")]
    TooShort {
        what: String,
        read: u64,
        declared: u64,
    },
    #[error("cannot read {what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

fn declared_note(declared: Option<u64>) -> String {
    declared.map_or_else(String::new, |_| ", the size its descriptor declares".into())
}

/// Reads `reader` whole, failing once more than `limit` bytes arrive.
pub fn read_capped(reader: impl Read, limit: u64, what: &str) -> Result<Vec<u8>, BoundError> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| BoundError::Io {
            what: what.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(BoundError::TooLarge {
            what: what.to_owned(),
            limit,
            declared: None,
        });
    }
    Ok(bytes)
}

/// Reads a blob whose descriptor declares `declared` bytes: exactly that many, or an error.
/// `ceiling` bounds what is believed of the declaration itself.
pub fn read_declared(
    reader: impl Read,
    declared: u64,
    ceiling: u64,
    what: &str,
) -> Result<Vec<u8>, BoundError> {
    if declared > ceiling {
        return Err(BoundError::TooLarge {
            what: format!("{what} (declared {declared} bytes)"),
            limit: ceiling,
            declared: None,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(declared.min(1 << 20)).unwrap_or(0));
    SizedReader::new(reader, declared, what)
        .read_to_end(&mut bytes)
        .map_err(|e| into_bound_error(e, what))?;
    Ok(bytes)
}

fn into_bound_error(e: io::Error, what: &str) -> BoundError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<SizeMismatch>())
    {
        Some(SizeMismatch::Longer { declared }) => BoundError::TooLarge {
            what: what.to_owned(),
            limit: *declared,
            declared: Some(*declared),
        },
        Some(SizeMismatch::Shorter { read, declared }) => BoundError::TooShort {
            what: what.to_owned(),
            read: *read,
            declared: *declared,
        },
        None => BoundError::Io {
            what: what.to_owned(),
            source: e,
        },
    }
}

/// The error a [`SizedReader`] ends with.
#[derive(Debug, thiserror::Error)]
pub enum SizeMismatch {
    #[error("the blob is longer than the {declared} bytes its descriptor declares")]
    Longer { declared: u64 },
    #[error("the blob ends after {read} bytes, but its descriptor declares {declared}")]
    Shorter { read: u64, declared: u64 },
}

/// Passes exactly `declared` bytes through, and fails (instead of ending) when the source has
/// more or fewer: the walk above it then reports a size mismatch, never reads on without end.
/// With [`SizedReader::at_most`], fewer bytes are fine and `declared` is only a ceiling.
pub struct SizedReader<R> {
    inner: R,
    declared: u64,
    read: u64,
    what: String,
    checked_end: bool,
    exact: bool,
    /// Shared with whoever needs the count after the reader was moved away.
    counter: Option<Arc<AtomicU64>>,
}

impl<R: Read> SizedReader<R> {
    pub fn new(inner: R, declared: u64, what: &str) -> Self {
        Self {
            inner,
            declared,
            read: 0,
            what: what.to_owned(),
            checked_end: false,
            exact: true,
            counter: None,
        }
    }

    /// At most `ceiling` bytes, fewer accepted.
    pub fn at_most(inner: R, ceiling: u64, what: &str) -> Self {
        Self {
            exact: false,
            ..Self::new(inner, ceiling, what)
        }
    }

    /// Publishes the count of bytes read into `counter` as they pass.
    pub fn counting(mut self, counter: Arc<AtomicU64>) -> Self {
        self.counter = Some(counter);
        self
    }

    /// Bytes passed through so far.
    pub fn count(&self) -> u64 {
        self.read
    }
}

impl<R: Read> Read for SizedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.declared - self.read;
        if left == 0 {
            if !self.checked_end {
                // One byte more than declared is enough to know the blob lies.
                let mut probe = [0u8; 1];
                let n = loop {
                    match self.inner.read(&mut probe) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        other => break other?,
                    }
                };
                if n > 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        SizeMismatch::Longer {
                            declared: self.declared,
                        },
                    ));
                }
                self.checked_end = true;
            }
            return Ok(0);
        }
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 && want > 0 && !self.exact {
            return Ok(0);
        }
        if n == 0 && want > 0 {
            tracing::debug!(what = %self.what, read = self.read, declared = self.declared, "blob ended early");
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                SizeMismatch::Shorter {
                    read: self.read,
                    declared: self.declared,
                },
            ));
        }
        self.read += n as u64;
        if let Some(c) = &self.counter {
            c.store(self.read, Ordering::Relaxed);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_declared_sizes_hold() {
        assert_eq!(read_capped(&b"abc"[..], 3, "doc").expect("fits"), b"abc");
        assert!(matches!(
            read_capped(&b"abcd"[..], 3, "doc"),
            Err(BoundError::TooLarge { .. })
        ));
        // An endless source is refused after the cap, not read to its end.
        assert!(matches!(
            read_capped(io::repeat(0), 1 << 10, "doc"),
            Err(BoundError::TooLarge { .. })
        ));
        assert_eq!(
            read_declared(&b"abc"[..], 3, 10, "cfg").expect("exact"),
            b"abc"
        );
        assert!(matches!(
            read_declared(io::repeat(1), 100, 1000, "cfg"),
            Err(BoundError::TooLarge {
                declared: Some(100),
                ..
            })
        ));
        assert!(matches!(
            read_declared(&b"ab"[..], 3, 10, "cfg"),
            Err(BoundError::TooShort {
                read: 2,
                declared: 3,
                ..
            })
        ));
        assert!(matches!(
            read_declared(&b""[..], u64::MAX, 10, "cfg"),
            Err(BoundError::TooLarge { .. })
        ));
        let mut r = SizedReader::new(io::repeat(7), 5, "layer");
        let mut out = Vec::new();
        let e = r.read_to_end(&mut out).expect_err("longer than declared");
        assert!(e.to_string().contains("longer than the 5 bytes"), "{e}");
        assert_eq!(r.count(), 5);
        let counter = Arc::new(AtomicU64::new(0));
        let mut r = SizedReader::at_most(&b"abc"[..], 5, "layer").counting(Arc::clone(&counter));
        let mut out = Vec::new();
        r.read_to_end(&mut out).expect("fewer is fine");
        assert_eq!(counter.load(Ordering::Relaxed), 3);
        let mut r = SizedReader::at_most(io::repeat(0), 5, "layer");
        assert!(r.read_to_end(&mut Vec::new()).is_err());
    }
}
