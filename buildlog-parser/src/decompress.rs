//! gzip input, bounded: a build log is hostile until bounded, and a few megabytes of gzip can
//! expand to many gigabytes (41 MB of gzip held 10 GiB and kept the parser busy past 300 s).
//!
//! Two caps hold while the decoder streams, so the input is refused as soon as it crosses
//! either, after reading no more than the cap:
//! - a size cap on the decompressed bytes;
//! - a ratio cap on decompressed to compressed bytes, checked once the output is past
//!   [`RATIO_GRACE_BYTES`] (a short log compresses well, and that is no attack).

use std::cell::RefCell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The ratio cap applies only past this much output: tiny logs of repeated lines compress far
/// better than 100:1 and cost nothing to parse.
pub const RATIO_GRACE_BYTES: u64 = 16 << 20;

/// The most bytes decompressed between two checks of the caps.
const CHECK_EVERY: usize = 64 * 1024;

/// How far a compressed input may expand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecompressionLimits {
    /// Most decompressed bytes accepted.
    pub max_size: u64,
    /// Most decompressed bytes per compressed byte (checked past [`RATIO_GRACE_BYTES`]).
    pub max_ratio: u64,
}

impl DecompressionLimits {
    /// 1 GiB: a real build log is megabytes; a gigabyte is minutes of parsing already.
    pub const DEFAULT_MAX_SIZE: u64 = 1 << 30;
    /// Real pip, uv and buildah logs compress 5:1 to 30:1; 100:1 leaves room for repetitive
    /// progress output and refuses deflate bombs (which reach 1000:1) early.
    pub const DEFAULT_MAX_RATIO: u64 = 100;
}

impl Default for DecompressionLimits {
    fn default() -> Self {
        Self {
            max_size: Self::DEFAULT_MAX_SIZE,
            max_ratio: Self::DEFAULT_MAX_RATIO,
        }
    }
}

/// The compressed input crossed a cap. Carried inside an [`io::Error`] through the readers, and
/// recovered by `InputError::from`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    #[error(
        "the gzip input expands to more than {max_size} bytes (the decompressed-size cap); raise --max-decompressed-size if the log is genuinely that large"
    )]
    Size { max_size: u64 },
    #[error(
        "the gzip input expands more than {max_ratio}:1 ({produced} bytes from {compressed}), the mark of a decompression bomb; raise --max-compression-ratio if the log is genuine"
    )]
    Ratio {
        max_ratio: u64,
        produced: u64,
        compressed: u64,
    },
}

/// Remembers the cap a reader crossed, for callers that only see the error through a layer that
/// turns it into text (the JSON reader does).
#[derive(Debug, Clone, Default)]
pub struct Tripwire(Rc<RefCell<Option<LimitExceeded>>>);

impl Tripwire {
    pub fn tripped(&self) -> Option<LimitExceeded> {
        self.0.borrow().clone()
    }
}

/// A reader that is decompressed, within `limits`, when it starts with the gzip magic.
pub fn decompressed<'a, R: Read + 'a>(
    reader: R,
    limits: DecompressionLimits,
) -> io::Result<Box<dyn BufRead + 'a>> {
    decompressed_watched(reader, limits, &Tripwire::default())
}

/// [`decompressed`], recording in `tripwire` the cap the input crosses.
pub fn decompressed_watched<'a, R: Read + 'a>(
    reader: R,
    limits: DecompressionLimits,
    tripwire: &Tripwire,
) -> io::Result<Box<dyn BufRead + 'a>> {
    let mut buffered = BufReader::with_capacity(64 * 1024, Counting::new(reader));
    let head = buffered.fill_buf()?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok(Box::new(BufReader::with_capacity(
            64 * 1024,
            Bounded {
                decoder: MultiGzDecoder::new(buffered),
                produced: 0,
                limits,
                tripwire: tripwire.clone(),
            },
        )))
    } else {
        Ok(Box::new(buffered))
    }
}

/// Counts the bytes read from the compressed source.
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R> Counting<R> {
    fn new(inner: R) -> Self {
        Self { inner, count: 0 }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// The gzip decoder with the caps checked on every read.
struct Bounded<R: Read> {
    decoder: MultiGzDecoder<BufReader<Counting<R>>>,
    produced: u64,
    limits: DecompressionLimits,
    tripwire: Tripwire,
}

impl<R: Read> Bounded<R> {
    fn exceeded(&self, e: LimitExceeded) -> io::Error {
        *self.tripwire.0.borrow_mut() = Some(e.clone());
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Never hand out a byte past the size cap: ask for one more than it allows, so that an
        // input of exactly the cap passes and a larger one fails. Reads are at most a chunk, so
        // that the caps are checked often whatever buffer the caller offers.
        let room = self.limits.max_size.saturating_sub(self.produced) + 1;
        let want = buf
            .len()
            .min(CHECK_EVERY)
            .min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.decoder.read(&mut buf[..want])?;
        self.produced += n as u64;
        if self.produced > self.limits.max_size {
            return Err(self.exceeded(LimitExceeded::Size {
                max_size: self.limits.max_size,
            }));
        }
        let compressed = self.decoder.get_ref().get_ref().count.max(1);
        if self.produced > RATIO_GRACE_BYTES
            && self.produced / compressed >= self.limits.max_ratio.max(1)
        {
            return Err(self.exceeded(LimitExceeded::Ratio {
                max_ratio: self.limits.max_ratio,
                produced: self.produced,
                compressed,
            }));
        }
        Ok(n)
    }
}

/// The cap an I/O error reports, if it is one.
pub fn limit_of(e: &io::Error) -> Option<&LimitExceeded> {
    e.get_ref().and_then(|inner| inner.downcast_ref())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).expect("compress");
        enc.finish().expect("compress")
    }

    fn read_all(input: &[u8], limits: DecompressionLimits) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        decompressed(input, limits)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn size_cap_is_exact() {
        let data = vec![b'x'; 1000];
        let z = gzip(&data);
        let at = DecompressionLimits {
            max_size: 1000,
            max_ratio: 1_000_000,
        };
        assert_eq!(read_all(&z, at).expect("fits").len(), 1000);
        let below = DecompressionLimits {
            max_size: 999,
            ..at
        };
        let err = read_all(&z, below).expect_err("over the cap");
        assert_eq!(limit_of(&err), Some(&LimitExceeded::Size { max_size: 999 }));
    }

    #[test]
    fn ratio_cap_only_past_the_grace() {
        // 1000:1 but only a few kilobytes: fine.
        let small = gzip(&vec![b'a'; 8192]);
        assert!(read_all(&small, DecompressionLimits::default()).is_ok());
        // 64 MiB of one byte compresses about 1000:1: refused long before the end.
        let bomb = gzip(&vec![b'a'; 64 << 20]);
        let err = read_all(&bomb, DecompressionLimits::default()).expect_err("a bomb");
        match limit_of(&err) {
            Some(LimitExceeded::Ratio { produced, .. }) => {
                assert!(*produced < 20 << 20, "read {produced} bytes first");
            }
            other => panic!("{other:?}: {err}"),
        }
    }

    #[test]
    fn plain_text_is_not_capped() {
        let text = vec![b'a'; 4096];
        let limits = DecompressionLimits {
            max_size: 10,
            max_ratio: 1,
        };
        assert_eq!(read_all(&text, limits).expect("plain").len(), 4096);
    }
}
