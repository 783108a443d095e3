//! The async index client: one shared HTTP client, a bound on requests in flight, the shared
//! retry policy ([`crate::http::RetryPolicy`]), a cap on every body, and credentials that go only
//! where they were given for and never reach a log line.
//!
//! Credential scope: an index URL's user-info is sent only to that index's origin (scheme, host
//! and port); `.netrc` entries only to the origins of indexes the caller asked pages from (the
//! indexes the user configured: options, environment, pip configuration, a lock's sources).
//! A file hosted elsewhere gets no credentials, and reqwest drops `Authorization` on a redirect
//! to another origin.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::{StatusCode, Url, header};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::disk_cache::{DiskCache, Validators};
use super::error::IndexError;
use super::limits::IndexLimits;
use super::model::{IndexFile, ProjectPage};
use super::netrc::{Credentials, Netrc};
use super::page::{PageError, parse_page};
use super::ranges::ByteRange;
use super::url::{origin, parse_url, project_name, project_url, take_userinfo};
use crate::http::{
    BodyCap, BodyError, BodyTooLarge, ByteBudget, Reservation, Retry, RetryPolicy, Timeouts,
    Transient, read_capped, retrying, status_retry,
};
use crate::python::CoreMetadata;
use crate::secret::redact_url;

/// PEP 691 content negotiation: JSON preferred, HTML accepted.
pub const ACCEPT_PAGE: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1";

/// How the client behaves; [`Default`] suits interactive use and workflow steps.
#[derive(Debug, Clone)]
pub struct IndexClientOptions {
    /// Requests in flight at once, over all indexes.
    pub concurrency: usize,
    /// When and how often a failed request is tried again.
    pub retry: RetryPolicy,
    /// Connect, idle-read and whole-request limits of each attempt.
    pub timeouts: Timeouts,
    /// The most bytes read for a page, a metadata file, a file.
    pub limits: IndexLimits,
    /// Credentials for configured indexes whose URLs carry none.
    pub netrc: Option<Netrc>,
    /// Where to keep answers between runs (revalidated with ETag / Last-Modified); none keeps
    /// nothing.
    pub cache_dir: Option<std::path::PathBuf>,
}

impl Default for IndexClientOptions {
    /// 16 requests in flight, [`RetryPolicy::default`], [`Timeouts::INDEX`],
    /// [`IndexLimits::from_env`], `.netrc` from `NETRC` or the home folder.
    fn default() -> Self {
        Self {
            concurrency: 16,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::INDEX,
            limits: IndexLimits::from_env(),
            netrc: Netrc::from_env(),
            cache_dir: None,
        }
    }
}

/// One project page to fetch from one index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageRequest {
    pub index_url: String,
    pub project: String,
}

/// A client for PEP 503/691 indexes. Cheap to clone; clones share the connection pool, the
/// bound on concurrency and the request count.
#[derive(Clone)]
pub struct IndexClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    permits: Semaphore,
    /// The bytes all bodies in flight may hold together ([`IndexLimits::inflight`]).
    budget: ByteBudget,
    options: IndexClientOptions,
    requests: AtomicU64,
    scope: Mutex<Scope>,
    cache: Option<DiskCache>,
}

/// Which origins may receive which credentials.
#[derive(Default)]
struct Scope {
    /// Credentials from index URLs, by the index's origin (as pip applies them to the files of
    /// the same host, but only on the same scheme and port).
    from_urls: HashMap<String, Credentials>,
    /// The origins of the indexes pages were asked from: `.netrc` applies to these only.
    indexes: HashSet<String>,
}

/// What a request is for, which decides the cap on its body.
#[derive(Debug, Clone, Copy)]
pub(super) enum Want {
    Page,
    Metadata,
    /// A range of a file; a server that ignores ranges sends the whole file.
    Range(ByteRange),
    /// A whole file, at most this many bytes.
    File(u64, &'static str),
}

/// A successful answer: the final URL (after redirects), its status, content type, range and
/// body.
pub(super) struct Fetched {
    pub(super) url: Url,
    pub(super) status: StatusCode,
    pub(super) content_type: String,
    /// `Content-Range`, for answers to range requests.
    pub(super) content_range: Option<String>,
    pub(super) etag: Option<String>,
    pub(super) last_modified: Option<String>,
    pub(super) body: Vec<u8>,
    /// The body's share of the in-flight budget, held as long as the body is.
    pub(super) _held: Reservation,
    /// For a page, the bytes its parsed files may take: what the reservation holds beyond the
    /// body (see [`page_room`]).
    pub(super) room: usize,
}

/// A parsed page may take this many times its body's size in memory (at least
/// [`MIN_PAGE_ROOM`]). Pages with digests and absolute URLs take three to four times their size
/// once parsed; a static page of bare links without digests (`<a href="x-1.0-py3-none-any.whl">`)
/// six to ten times; a page of millions of 20-byte links would take twenty times, and is
/// refused rather than read.
const PAGE_ROOM_FACTOR: u64 = 16;
const MIN_PAGE_ROOM: u64 = 1 << 20;

/// The memory the files of a page of `body` bytes may take once parsed.
fn page_room(body: u64) -> u64 {
    body.saturating_mul(PAGE_ROOM_FACTOR).max(MIN_PAGE_ROOM)
}

impl IndexClient {
    pub fn new(options: IndexClientOptions) -> Result<Self, IndexError> {
        let http = options.timeouts.client_builder().build().map_err(|e| {
            IndexError::Config(format!(
                "cannot set up HTTP: {}",
                crate::http::describe_error(&e)
            ))
        })?;
        let cache = match &options.cache_dir {
            Some(dir) => Some(DiskCache::open(dir).map_err(|e| {
                IndexError::Config(format!(
                    "cannot use {} as the index cache: {e}",
                    dir.display()
                ))
            })?),
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                cache,
                http,
                permits: Semaphore::new(options.concurrency.max(1)),
                budget: options.limits.inflight_budget(),
                options,
                requests: AtomicU64::new(0),
                scope: Mutex::new(Scope::default()),
            }),
        })
    }

    /// The most bytes that bodies of this client held at once so far (reserved, in whole KiB):
    /// never more than [`IndexLimits::inflight`].
    pub fn peak_inflight_bytes(&self) -> u64 {
        self.inner.budget.peak()
    }

    /// HTTP requests sent so far (retries included).
    pub fn requests_made(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// The page of `project` on the index at `index_url` (e.g. `http://host/simple/`): JSON when
    /// the index offers it, HTML otherwise. A 404 is [`IndexError::NotFound`]; a name that is
    /// not a PEP 508 name is [`IndexError::InvalidName`], and no request is made for it.
    ///
    /// `index_url` must be an index the user configured: its credentials, and `.netrc`'s for
    /// its origin, are used for it and for files on its origin.
    pub async fn project_page(
        &self,
        index_url: &str,
        project: &str,
    ) -> Result<ProjectPage, IndexError> {
        let name = project_name(project)?;
        let mut index = parse_url(index_url)?;
        self.configure_index(&mut index);
        let url = project_url(&index, &name);
        let fetched = self.get_with(url, ACCEPT_PAGE, None, Want::Page).await?;
        let shown = redact_url(fetched.url.as_str());
        let files = parse_page(
            &fetched.body,
            &fetched.content_type,
            &fetched.url,
            &name,
            fetched.room,
        )
        .map_err(|e| match e {
            PageError::Malformed(message) => IndexError::Malformed {
                url: shown.clone(),
                message,
            },
            PageError::TooLarge { files, limit } => IndexError::PageTooLarge {
                url: shown.clone(),
                files,
                limit,
            },
        })?;
        // The body (and its share of the in-flight budget) goes before the page's version
        // index is built: on a page of 10^6 files the two would otherwise add up.
        drop(fetched);
        Ok(ProjectPage::new(name, shown, files))
    }

    /// Fetches many pages concurrently (bounded by [`IndexClientOptions::concurrency`]); the
    /// answers come back in the order of the requests.
    pub async fn project_pages(
        &self,
        requests: impl IntoIterator<Item = PageRequest>,
    ) -> Vec<(PageRequest, Result<ProjectPage, IndexError>)> {
        let tasks = requests.into_iter().map(|request| async move {
            let page = self
                .project_page(&request.index_url, &request.project)
                .await;
            (request, page)
        });
        futures_util::future::join_all(tasks).await
    }

    /// The PEP 658 metadata file of `file`, its sha256 checked when the index gave one.
    pub async fn fetch_core_metadata_bytes(&self, file: &IndexFile) -> Result<Vec<u8>, IndexError> {
        let Some(url) = file.core_metadata_url() else {
            return Err(IndexError::NotFound {
                url: format!(
                    "{}.metadata (the index announces no metadata file)",
                    redact_url(&file.url)
                ),
            });
        };
        let fetched = self
            .get_with(parse_url(&url)?, "*/*", None, Want::Metadata)
            .await?;
        let expected = file
            .core_metadata
            .as_ref()
            .and_then(|c| c.hashes.get("sha256"));
        if let Some(expected) = expected {
            let actual = hex::encode(Sha256::digest(&fetched.body));
            if actual != expected {
                return Err(IndexError::Digest {
                    url: redact_url(&url),
                    expected: expected.to_owned(),
                    actual,
                });
            }
        }
        Ok(fetched.body)
    }

    /// [`Self::fetch_core_metadata_bytes`], parsed.
    pub async fn fetch_core_metadata(&self, file: &IndexFile) -> Result<CoreMetadata, IndexError> {
        let body = self.fetch_core_metadata_bytes(file).await?;
        CoreMetadata::parse(&body).map_err(|e| IndexError::Malformed {
            url: redact_url(&file.url),
            message: format!("its metadata file: {e}"),
        })
    }

    /// GET with credentials, the concurrency bound, retries and the body cap `want` sets; with
    /// a `Range` header when `range` is given.
    pub(super) async fn get_with(
        &self,
        mut url: Url,
        accept: &str,
        range: Option<&str>,
        want: Want,
    ) -> Result<Fetched, IndexError> {
        let credentials = self.credentials_for(&mut url);
        let shown = redact_url(url.as_str());
        let cache = self.inner.cache.as_ref().filter(|_| range.is_none());
        let cached = cache.and_then(|c| c.load(url.as_str(), accept));
        let validators = cached.as_ref().map(|(v, _)| v);
        let (outcome, attempts) = retrying(&self.inner.options.retry, &shown, || {
            self.attempt(&url, accept, range, validators, credentials.as_ref(), want)
        })
        .await;
        match outcome {
            Ok(fetched) if fetched.status == StatusCode::NOT_MODIFIED => match cached {
                Some((validators, body)) => Ok(Fetched {
                    status: StatusCode::OK,
                    content_type: validators.content_type,
                    // A body from the cache was capped when it was stored; its parse is bounded
                    // as if it had just been read.
                    room: usize::try_from(page_room(body.len() as u64)).unwrap_or(usize::MAX),
                    body,
                    ..fetched
                }),
                None => Err(IndexError::Status {
                    url: shown,
                    status: 304,
                }),
            },
            Ok(fetched) => {
                if let Some(cache) = cache.filter(|_| fetched.status == StatusCode::OK) {
                    let validators = Validators {
                        etag: fetched.etag.clone(),
                        last_modified: fetched.last_modified.clone(),
                        content_type: fetched.content_type.clone(),
                    };
                    cache.store(url.as_str(), accept, &validators, &fetched.body);
                }
                Ok(fetched)
            }
            Err(Failure::Status { status, .. }) if status == StatusCode::NOT_FOUND => {
                Err(IndexError::NotFound { url: shown })
            }
            Err(Failure::Status { status, .. }) => Err(IndexError::Status {
                url: shown,
                status: status.as_u16(),
            }),
            Err(Failure::TooLarge(e)) => Err(IndexError::TooLarge(e)),
            Err(Failure::Transport(message)) => Err(IndexError::Unreachable {
                url: shown,
                message: if attempts > 1 {
                    format!("{message} (after {attempts} attempts)")
                } else {
                    message
                },
            }),
        }
    }

    /// One request and its body, within the concurrency bound.
    async fn attempt(
        &self,
        url: &Url,
        accept: &str,
        range: Option<&str>,
        validators: Option<&Validators>,
        credentials: Option<&Credentials>,
        want: Want,
    ) -> Result<Fetched, Failure> {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|e| Failure::Transport(e.to_string()))?;
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let mut request = self
            .inner
            .http
            .get(url.clone())
            .header(header::ACCEPT, accept);
        if let Some(range) = range {
            request = request.header(header::RANGE, range);
        }
        if let Some(validators) = validators {
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, date);
            }
        }
        if let Some(c) = credentials {
            request = request.basic_auth(&c.login, c.password.as_ref());
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Transport(crate::http::describe_error(&e)))?;
        let status = response.status();
        if !status.is_success() && status != StatusCode::NOT_MODIFIED {
            return Err(Failure::Status {
                status,
                retry: status_retry(status, response.headers()),
            });
        }
        let text = |name: header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_range = text(header::CONTENT_RANGE);
        let etag = text(header::ETAG);
        let last_modified = text(header::LAST_MODIFIED);
        let content_type = text(header::CONTENT_TYPE)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let url = response.url().clone();
        // The body reserves its declared length, or its whole cap when it declares none, from
        // the budget shared with every other body in flight; a cap over the whole budget
        // becomes the budget, so one body alone over it fails naming the budget's variable.
        let cap = self.inner.budget.cap_within(self.cap(want, status));
        // A page also reserves the memory its parsed files may take (`page_room`), so that
        // pages being read and parsed together stay within the budget too.
        let page = matches!(want, Want::Page);
        let reserve = match response.content_length() {
            // Refused by `read_capped` before a byte is read.
            Some(declared) if declared > cap.limit => 0,
            Some(declared) if page => declared.saturating_add(page_room(declared)),
            Some(declared) => declared,
            None => cap.limit,
        };
        let mut held = self.inner.budget.reserve(reserve).await;
        let body = read_capped(response, cap).await.map_err(|e| match e {
            BodyError::TooLarge(e) => Failure::TooLarge(e),
            BodyError::Transport { message, .. } => Failure::Transport(message),
        })?;
        let read = body.len() as u64;
        held.shrink_to(if page {
            read.saturating_add(page_room(read))
        } else {
            read
        });
        let room = usize::try_from(held.bytes().saturating_sub(read)).unwrap_or(usize::MAX);
        Ok(Fetched {
            _held: held,
            room,
            url,
            status,
            content_type,
            content_range,
            etag,
            last_modified,
            body,
        })
    }

    /// The cap on the body of an answer with `status` to a request for `want`.
    fn cap(&self, want: Want, status: StatusCode) -> BodyCap {
        let limits = &self.inner.options.limits;
        let file = limits.file_cap();
        match want {
            Want::Page => limits.page_cap(),
            Want::Metadata => limits.metadata_cap(),
            Want::Range(range) if status == StatusCode::PARTIAL_CONTENT => {
                let asked = range.asked();
                if asked <= file.limit {
                    BodyCap::new(asked, "the range asked for", None)
                } else {
                    file
                }
            }
            Want::Range(_) => file,
            Want::File(limit, what) if limit < file.limit => BodyCap::new(limit, what, None),
            Want::File(..) => file,
        }
    }

    /// Takes the credentials out of a configured index's URL and puts its origin in the scope
    /// of `.netrc`.
    fn configure_index(&self, index: &mut Url) {
        let key = origin(index);
        let mut scope = self.scope();
        if let Some((login, password)) = take_userinfo(index) {
            scope
                .from_urls
                .insert(key.clone(), Credentials { login, password });
        }
        scope.indexes.insert(key);
    }

    /// The credentials for a request to `url`: its own user-info (taken out of it); else those
    /// of a configured index on the same origin; else `.netrc`'s, when the origin is a
    /// configured index's. Nothing for any other origin.
    fn credentials_for(&self, url: &mut Url) -> Option<Credentials> {
        if let Some((login, password)) = take_userinfo(url) {
            return Some(Credentials { login, password });
        }
        let key = origin(url);
        let scope = self.scope();
        if let Some(c) = scope.from_urls.get(&key) {
            return Some(c.clone());
        }
        if !scope.indexes.contains(&key) {
            return None;
        }
        self.inner
            .options
            .netrc
            .as_ref()?
            .credentials(url.host_str()?)
            .cloned()
    }

    fn scope(&self) -> std::sync::MutexGuard<'_, Scope> {
        self.inner
            .scope
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Why one attempt failed.
enum Failure {
    Status { status: StatusCode, retry: Retry },
    Transport(String),
    TooLarge(BodyTooLarge),
}

impl Transient for Failure {
    fn retry(&self) -> Retry {
        match self {
            Self::Status { retry, .. } => *retry,
            Self::Transport(_) => Retry::Backoff,
            Self::TooLarge(_) => Retry::Never,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Status { status, .. } => write!(f, "HTTP {status}"),
            Self::Transport(message) => f.write_str(message),
            Self::TooLarge(e) => write!(f, "{e}"),
        }
    }
}
