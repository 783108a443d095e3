//! Parts of files and whole files from an index: the range requests that read a wheel's
//! metadata from its zip directory without downloading it, and full downloads (sdists, or
//! servers that ignore ranges) checked against the index's digest.

use sha2::{Digest, Sha256};

use super::client::{IndexClient, Want};
use super::error::IndexError;
use super::model::IndexFile;
use super::url::parse_url;
use crate::secret::redact_url;

/// The bytes to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// The last `n` bytes (`bytes=-n`).
    Suffix(u64),
    /// `len` bytes from `start`.
    Span { start: u64, len: u64 },
}

impl ByteRange {
    /// The bytes asked for (at least one).
    pub fn asked(self) -> u64 {
        match self {
            Self::Suffix(n) => n.max(1),
            Self::Span { len, .. } => len.max(1),
        }
    }

    fn header(self) -> String {
        match self {
            Self::Suffix(n) => format!("bytes=-{n}"),
            Self::Span { start, len } => {
                format!("bytes={start}-{}", start.saturating_add(len.max(1) - 1))
            }
        }
    }
}

/// What a range request returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranged {
    pub body: Vec<u8>,
    /// Where `body` starts in the file.
    pub offset: u64,
    /// The file's length.
    pub total: u64,
    /// The server honoured the range (206); otherwise `body` is the whole file.
    pub partial: bool,
}

/// `bytes START-END/TOTAL` → (START, TOTAL).
fn parse_content_range(value: &str) -> Option<(u64, u64)> {
    let rest = value.trim().strip_prefix("bytes")?.trim();
    let (span, total) = rest.split_once('/')?;
    let (start, _) = span.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()?))
}

impl IndexClient {
    /// Reads `range` of the file at `url`. A partial answer larger than the range is refused
    /// while it streams. A server that ignores ranges answers with the whole file, which is
    /// returned as such (`partial` false), up to [`IndexLimits::file`](super::IndexLimits).
    pub async fn fetch_range(&self, url: &str, range: ByteRange) -> Result<Ranged, IndexError> {
        let header = range.header();
        let fetched = self
            .get_with(parse_url(url)?, "*/*", Some(&header), Want::Range(range))
            .await?;
        if fetched.status == reqwest::StatusCode::PARTIAL_CONTENT {
            let (offset, total) = fetched
                .content_range
                .as_deref()
                .and_then(parse_content_range)
                .ok_or_else(|| IndexError::Malformed {
                    url: redact_url(url),
                    message: "a partial answer without a usable Content-Range".into(),
                })?;
            return Ok(Ranged {
                body: fetched.body,
                offset,
                total,
                partial: true,
            });
        }
        let total = fetched.body.len() as u64;
        Ok(Ranged {
            body: fetched.body,
            offset: 0,
            total,
            partial: false,
        })
    }

    /// Downloads `file` whole and checks it against the sha256 the index gave. Reading stops
    /// past the smallest of `limit`, the size the page declared (PEP 700) and
    /// [`IndexLimits::file`](super::IndexLimits).
    pub async fn download(&self, file: &IndexFile, limit: u64) -> Result<Vec<u8>, IndexError> {
        let want = match file.size {
            Some(size) if size < limit => Want::File(size, "the size the index page declared"),
            _ => Want::File(limit, "a download by this analyzer"),
        };
        let fetched = self
            .get_with(parse_url(&file.url)?, "*/*", None, want)
            .await?;
        check_sha256(file, &fetched.body)?;
        Ok(fetched.body)
    }
}

/// Checks `bytes`, the whole of `file`, against the sha256 the index gave for it (if any).
pub fn check_sha256(file: &IndexFile, bytes: &[u8]) -> Result<(), IndexError> {
    if let Some(expected) = file.sha256() {
        let actual = hex::encode(Sha256::digest(bytes));
        if actual != expected {
            return Err(IndexError::Digest {
                url: redact_url(&file.url),
                expected: expected.to_owned(),
                actual,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_content_ranges() {
        assert_eq!(ByteRange::Suffix(10).header(), "bytes=-10");
        assert_eq!(ByteRange::Span { start: 5, len: 10 }.header(), "bytes=5-14");
        assert_eq!(parse_content_range("bytes 100-199/1000"), Some((100, 1000)));
        assert_eq!(parse_content_range("bytes */1000"), None);
    }
}
