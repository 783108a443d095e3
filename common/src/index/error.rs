//! What can go wrong talking to an index, kept apart so callers can tell "the project is not
//! there" (a fact about the index) from "the index could not be asked" (a failure).

use crate::error::AnalyzerError;
use crate::http::BodyTooLarge;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The index answered 404 for the project page or file.
    #[error("not found on the index: {url}")]
    NotFound { url: String },
    /// The index answered with another error status (after retries for 5xx).
    #[error("the index answered HTTP {status} for {url}")]
    Status { url: String, status: u16 },
    /// The index could not be reached (connection refused, DNS, timeout), after retries.
    #[error("cannot reach {url}: {message}")]
    Unreachable { url: String, message: String },
    /// The page or file is not what the index protocol says it should be.
    #[error("cannot read {url}: {message}")]
    Malformed { url: String, message: String },
    /// A downloaded file does not have the digest the index announced.
    #[error("{url} has sha256 {actual}, the index announced {expected}")]
    Digest {
        url: String,
        expected: String,
        actual: String,
    },
    /// No index is configured, or a configured one is not a usable URL.
    #[error("{0}")]
    Config(String),
    /// A project name (from a lock file, a requirement) is not a PEP 508 name: nothing is
    /// asked for it.
    #[error("{name:?} is not a project name: {reason}")]
    InvalidName { name: String, reason: String },
    /// An answer was larger than its cap; reading stopped there.
    #[error(transparent)]
    TooLarge(#[from] BodyTooLarge),
    /// A page's files take more memory once parsed than its size allows; reading stopped at
    /// the file that went over.
    #[error("{url}: its first {files} files already take more than {limit} bytes of memory once read, all the room a page of its size gets (at most 16 times its size, within {budget}; for a page that declares no length, within what its body leaves of {page})", budget = super::limits::INFLIGHT_ENV, page = super::limits::PAGE_ENV)]
    PageTooLarge {
        url: String,
        files: usize,
        limit: usize,
    },
}

impl IndexError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// The index could not be asked at all (network, 5xx, 401/403, an answer over its cap):
    /// the answer says nothing about the project.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. }
                | Self::Status { .. }
                | Self::TooLarge(_)
                | Self::PageTooLarge { .. }
        )
    }
}

impl From<IndexError> for AnalyzerError {
    fn from(e: IndexError) -> Self {
        let message = e.to_string();
        match e {
            IndexError::Config(_) => AnalyzerError::usage(message).with_hint(
                "name an index with an option, PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, UV_DEFAULT_INDEX / UV_INDEX_URL, or pip.conf's [global] index-url",
            ),
            IndexError::Status { status: 401 | 403, .. } => AnalyzerError::network(message)
                .with_hint("give credentials in the index URL (https://user:token@host/...) or in ~/.netrc (NETRC names another file)"),
            IndexError::Status { status: 429, .. } => AnalyzerError::network(message)
                .with_hint("the index limits how often it may be asked: lower the concurrency, or try again later"),
            IndexError::InvalidName { .. } => AnalyzerError::input(message).with_hint(
                "a project name is letters and digits, with '.', '-' or '_' between them (PEP 508)",
            ),
            IndexError::TooLarge(e) => {
                let hint = match e.option {
                    Some(option) => format!("if the index is trusted, raise the cap: {option}=SIZE (e.g. 256MiB)"),
                    None => "the index answered with more than was asked for; check the index or the proxy in front of it".to_owned(),
                };
                AnalyzerError::network(message).with_hint(hint)
            }
            IndexError::PageTooLarge { .. } => AnalyzerError::network(message).with_hint(format!(
                "a page of very many tiny links is refused as hostile; if the index is trusted, raise {} (e.g. 1GiB)",
                super::limits::INFLIGHT_ENV
            )),
            IndexError::Malformed { .. } | IndexError::Digest { .. } => {
                AnalyzerError::network(message)
            }
            _ => AnalyzerError::network(message),
        }
    }
}
