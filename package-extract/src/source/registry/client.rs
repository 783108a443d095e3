//! The registry conversation (OCI distribution spec): the `/v2/` challenge, a token from the
//! realm when the registry asks for one, then manifests and blobs of one repository. Every body
//! is read against a bound, and credentials go only where [`super::scope`] allows.

use std::time::Duration;

use common::Secret;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode, Url};
use serde_json::Value;

use super::scope::{self, Challenge};
use crate::source::SourceError;
use crate::source::auth::Credentials;
use crate::source::bounded::{MAX_MANIFEST, MAX_SMALL_BODY};

/// A connection that stalls longer than this ends the request (the whole run is bounded by
/// `-t`).
const READ_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// One repository of one registry.
pub struct RegistryClient {
    http: reqwest::Client,
    /// `scheme://host[:port]`.
    base: Url,
    repository: String,
    /// What to send with every registry request once the challenge is answered.
    authorization: Option<Secret>,
    /// Why given credentials were kept back from the realm, for the error when access fails.
    withheld: Option<String>,
}

impl RegistryClient {
    pub fn new(
        registry: &str,
        repository: &str,
        plain_http: bool,
        no_tls_verify: bool,
    ) -> Result<Self, SourceError> {
        let scheme = if plain_http { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{registry}/"))
            .map_err(|e| SourceError::Input(format!("{registry:?} is not a registry host: {e}")))?;
        let http = common::http::client_builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(READ_TIMEOUT)
            .tls_danger_accept_invalid_certs(no_tls_verify)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| SourceError::Network(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            repository: repository.to_owned(),
            authorization: None,
            withheld: None,
        })
    }

    /// Answers the registry's challenge, if any, with `credentials`.
    pub async fn authenticate(
        &mut self,
        credentials: Option<&Credentials>,
    ) -> Result<(), SourceError> {
        let ping = self.url("v2/")?;
        let response = self.send(self.http.get(ping.clone())).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(());
        }
        let header = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        match scope::parse_challenge(&header) {
            Some(Challenge::Basic) => {
                self.authorization = match credentials {
                    Some(Credentials::Basic { username, password }) => {
                        use base64::Engine as _;
                        let pair = format!("{username}:{}", password.expose());
                        Some(Secret::new(format!(
                            "Basic {}",
                            base64::engine::general_purpose::STANDARD.encode(pair)
                        )))
                    }
                    Some(Credentials::Token(t)) => {
                        Some(Secret::new(format!("Bearer {}", t.expose())))
                    }
                    None => None,
                };
                Ok(())
            }
            Some(Challenge::Bearer { realm, service }) => {
                self.fetch_token(&realm, service.as_deref(), credentials)
                    .await
            }
            None => Ok(()),
        }
    }

    async fn fetch_token(
        &mut self,
        realm: &str,
        service: Option<&str>,
        credentials: Option<&Credentials>,
    ) -> Result<(), SourceError> {
        let mut url = Url::parse(realm).map_err(|e| {
            SourceError::Input(format!(
                "the registry's token realm {:?} is not a URL: {e}",
                common::secret::redact_url(realm)
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(SourceError::Input(format!(
                "the registry's token realm {} is not http(s)",
                common::secret::redact_url(realm)
            )));
        }
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("scope", &format!("repository:{}:pull", self.repository));
            if let Some(s) = service {
                query.append_pair("service", s);
            }
        }
        let mut request = self.http.get(url.clone());
        if let Some(c) = credentials {
            match scope::may_send_credentials(&self.base, &url) {
                Ok(()) => {
                    request = match c {
                        Credentials::Basic { username, password } => {
                            request.basic_auth(username, Some(password.expose()))
                        }
                        Credentials::Token(t) => request.bearer_auth(t.expose()),
                    }
                }
                Err(why) => {
                    tracing::warn!("{why}");
                    self.withheld = Some(why);
                }
            }
        }
        let response = self.send(request).await?;
        let status = response.status();
        let body = read_capped(response, MAX_SMALL_BODY, "the token answer").await?;
        if !status.is_success() {
            return Err(SourceError::Input(format!(
                "the registry's token service refused the request ({status}){}; give -c USER:PASSWORD or log in with podman/docker",
                self.withheld_note()
            )));
        }
        let doc: Value = serde_json::from_slice(&body)
            .map_err(|e| SourceError::Input(format!("the token answer is not JSON: {e}")))?;
        let token = doc
            .get("token")
            .or_else(|| doc.get("access_token"))
            .and_then(Value::as_str)
            .ok_or_else(|| SourceError::Input("the token answer holds no token".into()))?;
        self.authorization = Some(Secret::new(format!("Bearer {token}")));
        Ok(())
    }

    fn withheld_note(&self) -> String {
        self.withheld
            .as_ref()
            .map_or_else(String::new, |w| format!(" ({w})"))
    }

    fn url(&self, path: &str) -> Result<Url, SourceError> {
        self.base
            .join(path)
            .map_err(|e| SourceError::Input(format!("bad registry path {path:?}: {e}")))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Response, SourceError> {
        request.send().await.map_err(|e| {
            SourceError::Network(format!(
                "cannot reach the registry {}: {}",
                self.base.as_str().trim_end_matches('/'),
                common::http::describe_error(&e)
            ))
        })
    }

    /// GET of a repository path with the registry's authorization; non-success answers become
    /// errors that name `what`.
    async fn get(
        &self,
        path: &str,
        accept: Option<&str>,
        what: &str,
    ) -> Result<Response, SourceError> {
        let url = self.url(&format!("v2/{}/{path}", self.repository))?;
        let mut request = self.http.get(url);
        if let Some(a) = accept {
            request = request.header(ACCEPT, a);
        }
        if let Some(auth) = &self.authorization {
            request = request.header(AUTHORIZATION, auth.expose());
        }
        let response = self.send(request).await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = read_capped(response, MAX_SMALL_BODY, "the error answer")
            .await
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        let detail = common::secret::redact_url(text.trim());
        let detail: String = detail.chars().take(300).collect();
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => SourceError::Input(format!(
                "the registry refused the credentials for {what} ({status}: {detail}){}; give -c USER:PASSWORD or log in with podman/docker",
                self.withheld_note()
            )),
            StatusCode::NOT_FOUND => {
                SourceError::Input(format!("{what} was not found in the registry ({detail})"))
            }
            s if s.is_server_error() => {
                SourceError::Network(format!("the registry failed for {what}: {status}"))
            }
            _ => SourceError::Input(format!(
                "the registry answered {status} for {what}: {detail}"
            )),
        })
    }

    /// A manifest by tag or digest: its bytes (at most [`MAX_MANIFEST`]) and the digest the
    /// registry announced for it.
    pub async fn manifest(
        &self,
        reference: &str,
        what: &str,
    ) -> Result<(Vec<u8>, Option<String>), SourceError> {
        let response = self
            .get(
                &format!("manifests/{reference}"),
                Some(MANIFEST_TYPES),
                what,
            )
            .await?;
        let announced = response
            .headers()
            .get("docker-content-digest")
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let bytes = read_capped(response, MAX_MANIFEST, &format!("the manifest of {what}")).await?;
        Ok((bytes, announced))
    }

    /// A blob's response, its body not yet read.
    pub async fn blob(&self, digest: &str, what: &str) -> Result<Response, SourceError> {
        self.get(&format!("blobs/{digest}"), None, what).await
    }
}

/// Reads a body whole, refusing it once it passes `limit` (announced or actual).
pub async fn read_capped(
    mut response: Response,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, SourceError> {
    let too_large = || SourceError::Input(format!("{what} is larger than {limit} bytes"));
    let announced = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|h| h.to_str().ok())
        .and_then(|s| s.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        SourceError::Network(format!(
            "reading {what}: {}",
            common::http::describe_error(&e)
        ))
    })? {
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
