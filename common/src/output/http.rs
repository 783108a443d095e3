//! The HTTP sink (the document POSTed as JSON), and the retry loop every network sink shares.

use std::future::Future;
use std::time::Duration;

use crate::error::AnalyzerError;
use crate::secret::redact_url;

/// How a network sink retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Per attempt.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// Wait before the first retry; doubled for each next one.
    pub backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// What one attempt came to.
pub(crate) enum Attempt {
    Done,
    /// Not worth repeating (a 4xx answer, a refused signature).
    Fatal(AnalyzerError),
    /// A connection error, a timeout, a 5xx answer: tried again after a pause.
    Retry(AnalyzerError),
}

/// Runs `attempt` with a client built for `policy`, retrying what [`Attempt::Retry`] says with
/// exponential backoff. `what` names the request in the log (no credentials in it).
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
        let client = crate::http::client_builder()
            .timeout(policy.timeout)
            .build()
            .map_err(|e| AnalyzerError::internal(format!("cannot build the HTTP client: {e}")))?;
        let mut wait = policy.backoff;
        let mut tries = 0;
        loop {
            let err = match attempt(client.clone()).await {
                Attempt::Done => return Ok(()),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Retry(e) => e,
            };
            if tries >= policy.retries {
                let hint = err.hint.clone().unwrap_or_else(|| {
                    "check that the endpoint is up, or write to a file with -o PATH".to_owned()
                });
                return Err(err.with_hint(format!("gave up after {} attempts; {hint}", tries + 1)));
            }
            tries += 1;
            tracing::warn!(request = what, error = %err, retry_in = ?wait, attempt = tries, "retrying");
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    })
}

/// The first 300 characters of an answer's body, for error messages.
pub(crate) async fn body_snippet(resp: reqwest::Response) -> String {
    let text = resp.text().await.unwrap_or_default();
    text.chars().take(300).collect()
}

/// POSTs `body` as JSON. Connection errors, timeouts and 5xx answers are retried with
/// exponential backoff; any other non-2xx answer fails at once.
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
                    let err = AnalyzerError::network(format!(
                        "POST {shown} answered {status}: {}",
                        body_snippet(resp).await
                    ));
                    if status.is_server_error() {
                        Attempt::Retry(err)
                    } else {
                        Attempt::Fatal(err)
                    }
                }
                Err(e) => Attempt::Retry(AnalyzerError::network(format!(
                    "POST {shown} failed: {}",
                    crate::http::describe_error(&e)
                ))),
            }
        }
    })
}
