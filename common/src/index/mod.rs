//! The Python package index client: PEP 691 JSON and PEP 503 HTML project pages, PEP 592 yanks,
//! PEP 658/714 metadata files, hashes; credentials from URLs and `.netrc`; bounded concurrency
//! and retries. Which indexes to ask comes from options, pip's environment variables and
//! configuration files ([`IndexUrls`]); no index is built in.
//!
//! ```no_run
//! # async fn demo() -> Result<(), common::index::IndexError> {
//! use common::index::{IndexClient, IndexClientOptions, IndexUrls};
//! let indexes = IndexUrls::discover(None, &[])?;
//! let client = IndexClient::new(IndexClientOptions::default())?;
//! let page = client.project_page(&indexes.index_url, "Requests").await?;
//! for file in &page.files {
//!     println!("{} {:?} {:?}", file.filename, file.sha256(), file.yanked);
//! }
//! # Ok(()) }
//! ```

mod client;
mod config;
mod disk_cache;
mod error;
mod limits;
mod model;
mod netrc;
mod page;
mod pep503;
mod pep691;
mod ranges;
mod url;

pub use client::{ACCEPT_PAGE, IndexClient, IndexClientOptions, PageRequest};
pub use config::IndexUrls;
pub use error::IndexError;
pub use limits::{FILE_ENV, INFLIGHT_ENV, IndexLimits, METADATA_ENV, PAGE_ENV, parse_size};
pub use model::{CoreMetadataRef, Distribution, IndexFile, ProjectPage, Yanked};
pub use netrc::{Credentials, Netrc};
pub use page::{PageError, parse_page};
pub use pep503::unescape as html_unescape;
pub use pep691::JSON_CONTENT_TYPE;
pub use ranges::{ByteRange, Ranged, check_sha256};
pub use url::{percent_decode, project_name};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
