//! The HTTP sink (the document POSTed as JSON), and the retry loop every network sink shares:
//! [`crate::http::retrying`] with the sinks' timeouts, error answers read up to
//! [`ERROR_BODY_CAP`] for their message.

use std::future::Future;
use std::time::Duration;

use crate::error::AnalyzerError;
use crate::http::{Retry, Timeouts, Transient, retrying};
use crate::secret::redact_url;

/// The most of an error answer's body read for its message; the rest is never read.
pub const ERROR_BODY_CAP: usize = 64 << 10;

/// How a network sink retries: the shared policy, with 500 ms before the first retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Connect, idle-read and whole-request limits of each attempt.
    pub timeouts: Timeouts,
    pub retry: crate::http::RetryPolicy,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            timeouts: Timeouts::SINK,
            retry: crate::http::RetryPolicy {
                backoff: Duration::from_millis(500),
                ..crate::http::RetryPolicy::default()
            },
        }
    }
}

/// What one attempt came to.
pub(crate) enum Attempt {
    Done,
    /// Not worth repeating (a 4xx answer, a refused signature).
    Fatal(AnalyzerError),
    /// A connection error, a timeout, a 5xx or 429 answer: tried again after the backoff, or
    /// after the server's `Retry-After`.
    Retry(AnalyzerError, Retry),
}

/// The error of a failed attempt and whether to repeat it.
struct Failed(AnalyzerError, Retry);

impl Transient for Failed {
    fn retry(&self) -> Retry {
        self.1
    }
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

/// Runs `attempt` with a client built for `policy`, retrying what [`Attempt::Retry`] says.
/// `what` names the request in the log (no credentials in it).
pub(crate) fn with_retries<F, Fut>(
    policy: &RetryPolicy,
    what: &str,
    mut attempt: F,
) -> Result<(), AnalyzerError>
where
    F: FnMut(reqwest::Client) -> Fut,
    Fut: Future<Output = Attempt>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AnalyzerError::internal(format!("cannot start the HTTP client: {e}")))?;
    runtime.block_on(async {
        let client =
            policy.timeouts.client_builder().build().map_err(|e| {
                AnalyzerError::internal(format!("cannot build the HTTP client: {e}"))
            })?;
        let (outcome, attempts) = retrying(&policy.retry, what, || {
            let sent = attempt(client.clone());
            async move {
                match sent.await {
                    Attempt::Done => Ok(()),
                    Attempt::Fatal(e) => Err(Failed(e, Retry::Never)),
                    Attempt::Retry(e, retry) => Err(Failed(e, retry)),
                }
            }
        })
        .await;
        outcome.map_err(|Failed(err, retry)| {
            if retry == Retry::Never && attempts == 1 {
                return err;
            }
            let hint = err.hint.clone().unwrap_or_else(|| {
                "check that the endpoint is up, or write to a file with -o PATH".to_owned()
            });
            let why = match retry {
                Retry::After(wait) if wait > policy.retry.max_retry_after => format!(
                    "the server asked to wait {} s, longer than the {} s this waits",
                    wait.as_secs(),
                    policy.retry.max_retry_after.as_secs()
                ),
                _ => format!("gave up after {attempts} attempts"),
            };
            err.with_hint(format!("{why}; {hint}"))
        })
    })
}

/// The first 300 characters of an answer's body, for error messages; at most
/// [`ERROR_BODY_CAP`] bytes are read.
pub(crate) async fn body_snippet(resp: reqwest::Response) -> String {
    let body = crate::http::read_prefix(resp, ERROR_BODY_CAP).await;
    String::from_utf8_lossy(&body).chars().take(300).collect()
}

/// Whether a failed answer is worth repeating.
pub(crate) fn answer_retry(resp: &reqwest::Response) -> Retry {
    crate::http::status_retry(resp.status(), resp.headers())
}

/// POSTs `body` as JSON. Connection errors, timeouts, 5xx and 429 answers are retried with
/// exponential backoff and jitter (or after `Retry-After`); any other non-2xx answer fails at
/// once.
pub fn post_json(url: &str, body: &str, policy: &RetryPolicy) -> Result<(), AnalyzerError> {
    let shown = redact_url(url);
    let what = format!("POST {shown}");
    with_retries(policy, &what, |client| {
        let shown = &shown;
        async move {
            let sent = client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_owned())
                .send()
                .await;
            match sent {
                Ok(resp) if resp.status().is_success() => {
                    tracing::info!(url = %shown, status = %resp.status(), "document posted");
                    Attempt::Done
                }
                Ok(resp) => {
                    let status = resp.status();
                    let retry = answer_retry(&resp);
                    let err = AnalyzerError::network(format!(
                        "POST {shown} answered {status}: {}",
                        body_snippet(resp).await
                    ));
                    match retry {
                        Retry::Never => Attempt::Fatal(err),
                        retry => Attempt::Retry(err, retry),
                    }
                }
                Err(e) => Attempt::Retry(
                    AnalyzerError::network(format!(
                        "POST {shown} failed: {}",
                        crate::http::describe_error(&e)
                    )),
                    Retry::Backoff,
                ),
            }
        }
    })
}
