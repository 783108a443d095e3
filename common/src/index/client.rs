//! The async index client: one shared HTTP client, a bound on requests in flight, retries with
//! backoff for failures that may pass (connection errors, timeouts, 5xx), and credentials from
//! the URL or `.netrc` that never reach a log line.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{StatusCode, Url, header};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::disk_cache::{DiskCache, Validators};
use super::error::IndexError;
use super::model::{IndexFile, ProjectPage};
use super::netrc::{Credentials, Netrc};
use super::pep503::parse_html;
use super::pep691::{JSON_CONTENT_TYPE, parse_json};
use super::url::{authority, parse_url, project_url, take_userinfo};
use crate::python::{CoreMetadata, normalize_name};
use crate::secret::redact_url;

/// PEP 691 content negotiation: JSON preferred, HTML accepted.
pub const ACCEPT_PAGE: &str = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1";

/// How the client behaves; [`Default`] suits interactive use and workflow steps.
#[derive(Debug, Clone)]
pub struct IndexClientOptions {
    /// Requests in flight at once, over all indexes.
    pub concurrency: usize,
    /// Further attempts after a connection error, a timeout or a 5xx answer.
    pub retries: u32,
    /// The wait before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// The limit for one request, body included.
    pub timeout: Duration,
    /// Credentials for hosts whose URLs carry none.
    pub netrc: Option<Netrc>,
    /// Where to keep answers between runs (revalidated with ETag / Last-Modified); none keeps
    /// nothing.
    pub cache_dir: Option<std::path::PathBuf>,
}

impl Default for IndexClientOptions {
    /// 16 requests in flight, 3 retries from 250 ms, 30 s per request, `.netrc` from `NETRC`
    /// or the home folder.
    fn default() -> Self {
        Self {
            concurrency: 16,
            retries: 3,
            backoff: Duration::from_millis(250),
            timeout: Duration::from_secs(30),
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
    options: IndexClientOptions,
    requests: AtomicU64,
    /// Credentials seen in index URLs, applied to files on the same host (as pip does).
    known: Mutex<HashMap<String, Credentials>>,
    cache: Option<DiskCache>,
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
}

impl IndexClient {
    pub fn new(options: IndexClientOptions) -> Result<Self, IndexError> {
        let http = crate::http::client_builder()
            .timeout(options.timeout)
            .build()
            .map_err(|e| {
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
                options,
                requests: AtomicU64::new(0),
                known: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// HTTP requests sent so far (retries included).
    pub fn requests_made(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// The page of `project` on the index at `index_url` (e.g. `http://host/simple/`): JSON when
    /// the index offers it, HTML otherwise. A 404 is [`IndexError::NotFound`].
    pub async fn project_page(
        &self,
        index_url: &str,
        project: &str,
    ) -> Result<ProjectPage, IndexError> {
        let name = normalize_name(project);
        let url = project_url(&parse_url(index_url)?, &name)?;
        let fetched = self.get(url, ACCEPT_PAGE).await?;
        let is_json = fetched.content_type.starts_with(JSON_CONTENT_TYPE)
            || fetched.content_type.starts_with("application/json")
            || (!fetched.content_type.contains("html")
                && fetched.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'));
        let files = if is_json {
            parse_json(&fetched.body, &fetched.url, &name)
        } else {
            parse_html(&String::from_utf8_lossy(&fetched.body), &fetched.url, &name)
        }
        .map_err(|message| IndexError::Malformed {
            url: redact_url(fetched.url.as_str()),
            message,
        })?;
        Ok(ProjectPage {
            name,
            url: redact_url(fetched.url.as_str()),
            files,
        })
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
        let fetched = self.get(parse_url(&url)?, "*/*").await?;
        let expected = file
            .core_metadata
            .as_ref()
            .and_then(|c| c.hashes.get("sha256"));
        if let Some(expected) = expected {
            let actual = hex::encode(Sha256::digest(&fetched.body));
            if &actual != expected {
                return Err(IndexError::Digest {
                    url: redact_url(&url),
                    expected: expected.clone(),
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

    /// GET with credentials, the concurrency bound and retries.
    async fn get(&self, url: Url, accept: &str) -> Result<Fetched, IndexError> {
        self.get_with(url, accept, None).await
    }

    /// [`Self::get`], with a `Range` header when `range` is given.
    pub(super) async fn get_with(
        &self,
        mut url: Url,
        accept: &str,
        range: Option<&str>,
    ) -> Result<Fetched, IndexError> {
        let credentials = self.credentials_for(&mut url);
        let shown = redact_url(url.as_str());
        let cache = self.inner.cache.as_ref().filter(|_| range.is_none());
        let cached = cache.and_then(|c| c.load(url.as_str(), accept));
        let options = &self.inner.options;
        let mut attempt = 0;
        loop {
            let outcome = {
                let _permit = self
                    .inner
                    .permits
                    .acquire()
                    .await
                    .map_err(|e| IndexError::Config(e.to_string()))?;
                self.inner.requests.fetch_add(1, Ordering::Relaxed);
                let mut request = self
                    .inner
                    .http
                    .get(url.clone())
                    .header(header::ACCEPT, accept);
                if let Some(range) = range {
                    request = request.header(header::RANGE, range);
                }
                if let Some((validators, _)) = &cached {
                    if let Some(etag) = &validators.etag {
                        request = request.header(header::IF_NONE_MATCH, etag);
                    }
                    if let Some(date) = &validators.last_modified {
                        request = request.header(header::IF_MODIFIED_SINCE, date);
                    }
                }
                if let Some(c) = &credentials {
                    request = request.basic_auth(&c.login, c.password.as_ref());
                }
                send(request).await
            };
            let retryable = match &outcome {
                Ok(_) => false,
                Err(Attempt::Status(status)) => status.is_server_error(),
                Err(Attempt::Transport(_)) => true,
            };
            if retryable && attempt < options.retries {
                let wait = options.backoff.saturating_mul(1 << attempt.min(16));
                tracing::debug!(url = %shown, attempt, "retrying in {wait:?}");
                tokio::time::sleep(wait).await;
                attempt += 1;
                continue;
            }
            return match outcome {
                Ok(fetched) if fetched.status == StatusCode::NOT_MODIFIED => match cached {
                    Some((validators, body)) => Ok(Fetched {
                        status: StatusCode::OK,
                        content_type: validators.content_type,
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
                Err(Attempt::Status(StatusCode::NOT_FOUND)) => {
                    Err(IndexError::NotFound { url: shown })
                }
                Err(Attempt::Status(status)) => Err(IndexError::Status {
                    url: shown,
                    status: status.as_u16(),
                }),
                Err(Attempt::Transport(message)) => Err(IndexError::Unreachable {
                    url: shown,
                    message: if attempt > 0 {
                        format!("{message} (after {} attempts)", attempt + 1)
                    } else {
                        message
                    },
                }),
            };
        }
    }

    /// Takes credentials out of `url`; else those seen for its host in an earlier URL; else
    /// `.netrc`'s.
    fn credentials_for(&self, url: &mut Url) -> Option<Credentials> {
        let key = authority(url);
        let mut known = self
            .inner
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((login, password)) = take_userinfo(url) {
            let c = Credentials { login, password };
            known.insert(key, c.clone());
            return Some(c);
        }
        if let Some(c) = known.get(&key) {
            return Some(c.clone());
        }
        let host = url.host_str()?;
        self.inner
            .options
            .netrc
            .as_ref()?
            .credentials(host)
            .cloned()
    }
}

enum Attempt {
    Status(StatusCode),
    Transport(String),
}

async fn send(request: reqwest::RequestBuilder) -> Result<Fetched, Attempt> {
    let response = request
        .send()
        .await
        .map_err(|e| Attempt::Transport(crate::http::describe_error(&e)))?;
    let status = response.status();
    if !status.is_success() && status != StatusCode::NOT_MODIFIED {
        return Err(Attempt::Status(status));
    }
    let url = response.url().clone();
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
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body = response
        .bytes()
        .await
        .map_err(|e| Attempt::Transport(crate::http::describe_error(&e)))?;
    Ok(Fetched {
        url,
        status,
        content_type,
        content_range,
        etag,
        last_modified,
        body: body.to_vec(),
    })
}
