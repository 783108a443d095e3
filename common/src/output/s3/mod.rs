//! The S3 sink: `-o s3://BUCKET/KEY` PUTs the document as one object, signed with AWS
//! Signature Version 4, to AWS S3 or any server that speaks its API (Ceph RGW, MinIO).
//!
//! Requests use path-style addressing (`ENDPOINT/BUCKET/KEY`), which RGW and MinIO serve on
//! any endpoint name without wildcard DNS. Retries follow the HTTP sink's policy.

mod config;
mod credentials;
mod sigv4;

use std::fmt;

use crate::error::AnalyzerError;
use crate::http::Retry;
use crate::output::http::{Attempt, RetryPolicy, answer_retry, body_snippet, with_retries};

pub(crate) use config::{Config, ProcessEnv};

/// An object to write: `s3://BUCKET/KEY`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
}

impl S3Location {
    /// Parses `s3://BUCKET/KEY` (the scheme in any case).
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .get(..5)
            .filter(|scheme| scheme.eq_ignore_ascii_case("s3://"))
            .map(|_| &text[5..])
            .ok_or_else(|| format!("{text:?} is not an s3://BUCKET/KEY URL"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || key.is_empty() {
            return Err(format!(
                "{text:?}: an S3 output needs a bucket and an object key: s3://BUCKET/KEY"
            ));
        }
        if !bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return Err(format!(
                "{text:?}: bucket name {bucket:?} may hold only letters, digits, '-', '.' and '_'"
            ));
        }
        if key.len() > 1024 {
            return Err(format!("{text:?}: an object key is at most 1024 bytes"));
        }
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        })
    }
}

impl fmt::Display for S3Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// PUTs `body` (a JSON document) to `location`, with the endpoint, region and credentials of
/// the environment and profile files.
pub fn put_document(location: &S3Location, body: &str) -> Result<(), AnalyzerError> {
    let config = Config::from_env(&ProcessEnv)?;
    put_object(&config, location, body, &RetryPolicy::default())
}

pub(crate) fn put_object(
    config: &Config,
    location: &S3Location,
    body: &str,
    policy: &RetryPolicy,
) -> Result<(), AnalyzerError> {
    put_bytes(
        config,
        location,
        body.as_bytes(),
        "application/json",
        policy,
        "document stored",
    )
}

/// Whole objects read and written by key with the environment's endpoint, region and
/// credentials: for callers other than the document sink (package-extract's layer cache).
pub struct ObjectStore {
    config: Config,
    policy: RetryPolicy,
}

impl ObjectStore {
    /// Reads the endpoint, region and credentials as the document sink does.
    pub fn from_env() -> Result<Self, AnalyzerError> {
        Ok(Self {
            config: Config::from_env(&ProcessEnv)?,
            policy: RetryPolicy::default(),
        })
    }

    /// The object's bytes, or `None` when it does not exist; an object larger than `limit`
    /// bytes is an error (its body is not read).
    pub fn get(&self, location: &S3Location, limit: u64) -> Result<Option<Vec<u8>>, AnalyzerError> {
        get_bytes(&self.config, location, limit, &self.policy)
    }

    /// Writes the object whole, in one PUT: readers see the old object or the new one, never a
    /// mix, whoever else writes the same key.
    pub fn put(
        &self,
        location: &S3Location,
        body: &[u8],
        content_type: &str,
    ) -> Result<(), AnalyzerError> {
        put_bytes(
            &self.config,
            location,
            body,
            content_type,
            &self.policy,
            "object stored",
        )
    }
}

/// A request signed for `location` with Signature Version 4: its URL and headers.
struct Signed {
    url: String,
    headers: Vec<(String, String)>,
}

fn sign(
    config: &Config,
    method: &str,
    location: &S3Location,
    payload_hash: &str,
    content_type: Option<&str>,
) -> Signed {
    let path = format!(
        "{}/{}/{}",
        endpoint_path(&config.endpoint),
        sigv4::uri_encode(&location.bucket, false),
        sigv4::uri_encode(&location.key, true)
    );
    let url = format!("{}{}", endpoint_origin(&config.endpoint), path);
    let host = host_header(&config.endpoint);
    // Signed anew for each attempt: the signature covers the time.
    let amz_date = sigv4::amz_date(crate::clock::Timestamp::now().seconds);
    let credentials = &config.fresh_credentials();
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(t) = content_type {
        headers.push(("content-type", t));
    }
    headers.extend([
        ("host", host.as_str()),
        ("x-amz-content-sha256", payload_hash),
        ("x-amz-date", amz_date.as_str()),
    ]);
    if let Some(token) = &credentials.session_token {
        headers.push(("x-amz-security-token", token.expose()));
    }
    let authorization = sigv4::authorization(
        &sigv4::Request {
            method,
            path: &path,
            query: &[],
            headers: &headers,
            payload_hash,
        },
        &sigv4::Scope {
            access_key_id: &credentials.access_key_id,
            secret_access_key: credentials.secret_access_key.expose(),
            region: &config.region,
            service: "s3",
            amz_date: &amz_date,
        },
    );
    // reqwest sends the Host header itself.
    let mut sent: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| *n != "host")
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    sent.push(("authorization".to_owned(), authorization));
    Signed { url, headers: sent }
}

fn unreachable_endpoint(
    method: &str,
    location: &S3Location,
    config: &Config,
    e: &reqwest::Error,
) -> AnalyzerError {
    AnalyzerError::network(format!(
        "{method} {location} to {} failed: {}",
        config.endpoint,
        crate::http::describe_error(e)
    ))
    .with_hint("check that the S3 endpoint (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL) is up")
}

fn put_bytes(
    config: &Config,
    location: &S3Location,
    body: &[u8],
    content_type: &str,
    policy: &RetryPolicy,
    done: &str,
) -> Result<(), AnalyzerError> {
    let payload_hash = sigv4::sha256_hex(body);
    let what = format!("PUT {location}");
    with_retries(policy, &what, |client| {
        let signed = sign(config, "PUT", location, &payload_hash, Some(content_type));
        let mut request = client.put(&signed.url).body(body.to_vec());
        for (name, value) in &signed.headers {
            request = request.header(name, value);
        }
        async move {
            match request.send().await {
                Ok(resp) if resp.status().is_success() => {
                    tracing::info!(object = %location, status = %resp.status(), "{done}");
                    Attempt::Done
                }
                Ok(resp) => {
                    let status = resp.status();
                    let retry = answer_retry(&resp);
                    let err = refusal("PUT", location, config, status, &body_snippet(resp).await);
                    match retry {
                        Retry::Never => Attempt::Fatal(err),
                        retry => Attempt::Retry(err, retry),
                    }
                }
                Err(e) => Attempt::Retry(
                    unreachable_endpoint("PUT", location, config, &e),
                    Retry::Backoff,
                ),
            }
        }
    })
}

fn get_bytes(
    config: &Config,
    location: &S3Location,
    limit: u64,
    policy: &RetryPolicy,
) -> Result<Option<Vec<u8>>, AnalyzerError> {
    let empty_hash = sigv4::sha256_hex(b"");
    let what = format!("GET {location}");
    // The attempt that succeeds leaves the body here (`with_retries` returns no value).
    let found: std::sync::Mutex<Option<Vec<u8>>> = std::sync::Mutex::new(None);
    with_retries(policy, &what, |client| {
        let signed = sign(config, "GET", location, &empty_hash, None);
        let mut request = client.get(&signed.url);
        for (name, value) in &signed.headers {
            request = request.header(name, value);
        }
        let found = &found;
        async move {
            match request.send().await {
                Ok(resp) if resp.status() == reqwest::StatusCode::NOT_FOUND => Attempt::Done,
                Ok(resp) if resp.status().is_success() => {
                    let cap = crate::http::BodyCap::new(limit, "an S3 object", None);
                    match crate::http::read_capped(resp, cap).await {
                        Ok(body) => {
                            if let Ok(mut slot) = found.lock() {
                                *slot = Some(body);
                            }
                            Attempt::Done
                        }
                        Err(crate::http::BodyError::TooLarge(e)) => {
                            Attempt::Fatal(AnalyzerError::input(e.to_string()))
                        }
                        Err(e) => {
                            Attempt::Retry(AnalyzerError::network(e.to_string()), Retry::Backoff)
                        }
                    }
                }
                Ok(resp) => {
                    let status = resp.status();
                    let retry = answer_retry(&resp);
                    let err = refusal("GET", location, config, status, &body_snippet(resp).await);
                    match retry {
                        Retry::Never => Attempt::Fatal(err),
                        retry => Attempt::Retry(err, retry),
                    }
                }
                Err(e) => Attempt::Retry(
                    unreachable_endpoint("GET", location, config, &e),
                    Retry::Backoff,
                ),
            }
        }
    })?;
    Ok(found.into_inner().unwrap_or_default())
}

/// An error answer, named by its S3 error code with what to do about it.
fn refusal(
    method: &str,
    location: &S3Location,
    config: &Config,
    status: reqwest::StatusCode,
    body: &str,
) -> AnalyzerError {
    let code = xml_element(body, "Code").unwrap_or_default();
    let message = xml_element(body, "Message").unwrap_or_default();
    let detail = match (code.is_empty(), message.is_empty()) {
        (false, false) => format!("{code}: {message}"),
        (false, true) => code.clone(),
        _ => body.trim().to_owned(),
    };
    let err = AnalyzerError::network(format!(
        "{method} {location} to {} answered {status}: {detail}",
        config.endpoint
    ));
    let source = &config.credentials.source;
    match code.as_str() {
        "SignatureDoesNotMatch" => err.with_hint(format!(
            "the server rejected the request signature: the secret access key from {source} is \
             wrong for this access key, or the region ({}) is not the one the server expects \
             (AWS_REGION)",
            config.region
        )),
        "InvalidAccessKeyId" => err.with_hint(format!(
            "the server does not know the access key id from {source}: check \
             AWS_ACCESS_KEY_ID or the profile (AWS_PROFILE)"
        )),
        "NoSuchBucket" => err.with_hint(format!(
            "bucket {:?} does not exist on {}: create it, or fix the bucket in -o",
            location.bucket, config.endpoint
        )),
        "AccessDenied" => err.with_hint(format!(
            "the credentials from {source} may not use bucket {:?} this way ({method})",
            location.bucket
        )),
        "ExpiredToken" | "InvalidToken" | "TokenRefreshRequired" => {
            err.with_hint("the session token (AWS_SESSION_TOKEN) is expired or invalid")
        }
        "RequestTimeTooSkewed" => err.with_hint("this machine's clock is off; sync it (NTP)"),
        _ => err,
    }
}

/// The text of the first `<NAME>...</NAME>` element of an S3 error body.
fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(xml[start..end].trim().to_owned())
}

/// `scheme://host[:port]` of an endpoint.
fn endpoint_origin(endpoint: &str) -> &str {
    let after_scheme = endpoint.find("://").map_or(0, |i| i + 3);
    match endpoint[after_scheme..].find('/') {
        Some(i) => &endpoint[..after_scheme + i],
        None => endpoint,
    }
}

/// The endpoint's base path (`/s3` in `https://gw/s3`), empty for none.
fn endpoint_path(endpoint: &str) -> &str {
    &endpoint[endpoint_origin(endpoint).len()..]
}

/// The `Host` header reqwest sends for the endpoint: host, and the port unless it is the
/// scheme's default.
fn host_header(endpoint: &str) -> String {
    let origin = endpoint_origin(endpoint);
    let (scheme, authority) = origin.split_once("://").unwrap_or(("https", origin));
    let authority = authority.to_ascii_lowercase();
    let default_port = if scheme.eq_ignore_ascii_case("http") {
        ":80"
    } else {
        ":443"
    };
    authority
        .strip_suffix(default_port)
        .map_or(authority.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_print() {
        let l = S3Location::parse("s3://thoth/data/ocp4/analysis/doc-1").expect("valid");
        assert_eq!(l.bucket, "thoth");
        assert_eq!(l.key, "data/ocp4/analysis/doc-1");
        assert_eq!(l.to_string(), "s3://thoth/data/ocp4/analysis/doc-1");
        assert!(S3Location::parse("S3://b/k").is_ok());
        for bad in [
            "s3://",
            "s3://bucket",
            "s3://bucket/",
            "s3:///key",
            "s3://b c/k",
            "b/k",
        ] {
            assert!(S3Location::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_split_into_origin_path_and_host() {
        assert_eq!(
            endpoint_origin("http://127.0.0.1:9000"),
            "http://127.0.0.1:9000"
        );
        assert_eq!(endpoint_origin("https://gw.test/s3"), "https://gw.test");
        assert_eq!(endpoint_path("https://gw.test/s3"), "/s3");
        assert_eq!(endpoint_path("https://gw.test"), "");
        assert_eq!(host_header("http://127.0.0.1:9000"), "127.0.0.1:9000");
        assert_eq!(host_header("http://RGW.test:80"), "rgw.test");
        assert_eq!(host_header("https://gw.test:443/s3"), "gw.test");
        assert_eq!(host_header("https://gw.test:8443"), "gw.test:8443");
    }

    #[test]
    fn error_codes_become_hints() {
        let config = Config {
            endpoint: "http://127.0.0.1:1".to_owned(),
            region: "us-east-1".to_owned(),
            credentials: config::Credentials {
                access_key_id: "AKID".to_owned(),
                secret_access_key: crate::Secret::new("s"),
                session_token: None,
                source: "the environment".to_owned(),
                expires: None,
            },
            chain: None,
        };
        let loc = S3Location::parse("s3://b/k").expect("valid");
        let body = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code>\
                    <Message>The specified bucket does not exist</Message></Error>";
        let err = refusal("PUT", &loc, &config, reqwest::StatusCode::NOT_FOUND, body);
        assert!(
            err.message
                .contains("NoSuchBucket: The specified bucket does not exist")
        );
        assert!(
            err.hint
                .unwrap_or_default()
                .contains("\"b\" does not exist")
        );
        let err = refusal(
            "PUT",
            &loc,
            &config,
            reqwest::StatusCode::FORBIDDEN,
            "<Error><Code>SignatureDoesNotMatch</Code></Error>",
        );
        assert!(err.hint.unwrap_or_default().contains("secret access key"));
        let err = refusal(
            "PUT",
            &loc,
            &config,
            reqwest::StatusCode::FORBIDDEN,
            "plain text",
        );
        assert!(err.message.ends_with("plain text"), "{}", err.message);
    }
}
