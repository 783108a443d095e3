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
    let path = format!(
        "{}/{}/{}",
        endpoint_path(&config.endpoint),
        sigv4::uri_encode(&location.bucket, false),
        sigv4::uri_encode(&location.key, true)
    );
    let url = format!("{}{}", endpoint_origin(&config.endpoint), path);
    let host = host_header(&config.endpoint);
    let payload_hash = sigv4::sha256_hex(body.as_bytes());
    let what = format!("PUT {location}");
    with_retries(policy, &what, |client| {
        // Signed anew for each attempt: the signature covers the time.
        let amz_date = sigv4::amz_date(crate::clock::Timestamp::now().seconds);
        let credentials = &config.fresh_credentials();
        let mut headers: Vec<(&str, &str)> = vec![
            ("content-type", "application/json"),
            ("host", &host),
            ("x-amz-content-sha256", &payload_hash),
            ("x-amz-date", &amz_date),
        ];
        if let Some(token) = &credentials.session_token {
            headers.push(("x-amz-security-token", token.expose()));
        }
        let authorization = sigv4::authorization(
            &sigv4::Request {
                method: "PUT",
                path: &path,
                query: &[],
                headers: &headers,
                payload_hash: &payload_hash,
            },
            &sigv4::Scope {
                access_key_id: &credentials.access_key_id,
                secret_access_key: credentials.secret_access_key.expose(),
                region: &config.region,
                service: "s3",
                amz_date: &amz_date,
            },
        );
        let mut request = client.put(&url).body(body.to_owned());
        for (name, value) in headers.iter().filter(|(n, _)| *n != "host") {
            request = request.header(*name, *value);
        }
        let request = request.header(reqwest::header::AUTHORIZATION, authorization);
        let location = &location;
        async move {
            match request.send().await {
                Ok(resp) if resp.status().is_success() => {
                    tracing::info!(object = %location, status = %resp.status(), "document stored");
                    Attempt::Done
                }
                Ok(resp) => {
                    let status = resp.status();
                    let retry = answer_retry(&resp);
                    let err = refusal(location, config, status, &body_snippet(resp).await);
                    match retry {
                        Retry::Never => Attempt::Fatal(err),
                        retry => Attempt::Retry(err, retry),
                    }
                }
                Err(e) => Attempt::Retry(
                    AnalyzerError::network(format!(
                        "PUT {location} to {} failed: {}",
                        config.endpoint,
                        crate::http::describe_error(&e)
                    ))
                    .with_hint(
                        "check that the S3 endpoint (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL) is up",
                    ),
                    Retry::Backoff,
                ),
            }
        }
    })
}

/// An error answer, named by its S3 error code with what to do about it.
fn refusal(
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
        "PUT {location} to {} answered {status}: {detail}",
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
            "the credentials from {source} may not write to bucket {:?}",
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
        let err = refusal(&loc, &config, reqwest::StatusCode::NOT_FOUND, body);
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
            &loc,
            &config,
            reqwest::StatusCode::FORBIDDEN,
            "<Error><Code>SignatureDoesNotMatch</Code></Error>",
        );
        assert!(err.hint.unwrap_or_default().contains("secret access key"));
        let err = refusal(&loc, &config, reqwest::StatusCode::FORBIDDEN, "plain text");
        assert!(err.message.ends_with("plain text"), "{}", err.message);
    }
}
