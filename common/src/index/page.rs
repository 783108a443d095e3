//! A project page's body to its files, whichever format the index answered with, within a bound
//! on the memory the parsed files may take.

use reqwest::Url;

use super::model::IndexFile;
use super::pep503::parse_html;
use super::pep691::{JSON_CONTENT_TYPE, parse_json};

/// Why a page's body gave no files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// The body is not a PEP 503 / PEP 691 page.
    Malformed(String),
    /// The files read so far already take more than the bound: a page of millions of tiny
    /// links would otherwise cost many times its own size once parsed.
    TooLarge { files: usize, limit: usize },
}

impl From<String> for PageError {
    fn from(message: String) -> Self {
        Self::Malformed(message)
    }
}

/// The files of a page as they are read, with the memory they take counted against a bound:
/// what each holds ([`IndexFile::heap_bytes`]) and the vector's whole capacity, since a vector
/// that doubles holds up to twice what it uses.
pub(super) struct Files {
    files: Vec<IndexFile>,
    /// What the files hold beyond their place in the vector.
    held: usize,
    limit: usize,
}

const FILE_SIZE: usize = std::mem::size_of::<IndexFile>();

impl Files {
    /// Files within `limit` bytes, with room for `expected` of them when that fits (a count
    /// of links taken from the body, so that the vector does not double on a large page).
    pub(super) fn new(limit: usize, expected: usize) -> Self {
        Self {
            files: Vec::with_capacity(expected.min(limit / FILE_SIZE / 2)),
            held: 0,
            limit,
        }
    }

    pub(super) fn push(&mut self, file: IndexFile) -> Result<(), PageError> {
        self.held = self
            .held
            .saturating_add(file.heap_bytes().saturating_sub(FILE_SIZE));
        let capacity = if self.files.len() < self.files.capacity() {
            self.files.capacity()
        } else {
            (self.files.capacity() * 2).max(4)
        };
        if self.held.saturating_add(capacity.saturating_mul(FILE_SIZE)) > self.limit {
            return Err(PageError::TooLarge {
                files: self.files.len() + 1,
                limit: self.limit,
            });
        }
        self.files.push(file);
        Ok(())
    }

    pub(super) fn into_vec(self) -> Vec<IndexFile> {
        self.files
    }
}

/// Reads the files of project `name` from `body`, the page at `page_url` answered with
/// `content_type` (lower case): PEP 691 JSON when the type says so (or, untyped, the body is an
/// object), PEP 503 HTML otherwise. Linear in the body's size; stops as soon as the files read
/// take more than `max_bytes` of memory.
pub fn parse_page(
    body: &[u8],
    content_type: &str,
    page_url: &Url,
    name: &str,
    max_bytes: usize,
) -> Result<Vec<IndexFile>, PageError> {
    let is_json = content_type.starts_with(JSON_CONTENT_TYPE)
        || content_type.starts_with("application/json")
        || (!content_type.contains("html")
            && body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'));
    if is_json {
        let mut files = Files::new(max_bytes, count(body, b"\"url\""));
        parse_json(body, page_url, name, &mut files)?;
        Ok(files.into_vec())
    } else {
        let mut files = Files::new(max_bytes, count(body, b"href"));
        parse_html(&String::from_utf8_lossy(body), page_url, name, &mut files)?;
        Ok(files.into_vec())
    }
}

/// How often `needle` occurs in `body`: at least the number of files a page can list.
fn count(body: &[u8], needle: &[u8]) -> usize {
    memchr::memmem::find_iter(body, needle).count()
}
