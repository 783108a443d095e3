//! The one retry policy of every network client (index pages and files, HTTP and S3 sinks):
//! exponential backoff with jitter (so many clients failing together do not retry together),
//! `Retry-After` honoured on 429 and 503 up to a cap, connection errors, timeouts and 5xx
//! retried, any other 4xx answered at once. Built on `backon`.

use std::future::Future;
use std::time::{Duration, SystemTime};

use backon::{ExponentialBuilder, Retryable};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How often and how long to wait before trying a request again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    /// The wait before the first retry, doubled for each further one; jitter adds up to as much
    /// again.
    pub backoff: Duration,
    /// The longest wait backoff alone gives.
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured: a server asking for a longer wait is not retried
    /// (the error says what it asked for).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries from 250 ms (at most 10 s apart), `Retry-After` up to 60 s.
    fn default() -> Self {
        Self {
            retries: 3,
            backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// What a failed attempt says about trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A refusal that will not change (4xx, a bad answer).
    Never,
    /// A failure that may pass (connection error, timeout, 5xx): after the backoff.
    Backoff,
    /// The server said when (`Retry-After` on 429 or 503).
    After(Duration),
}

/// An error that knows whether the request is worth repeating.
pub trait Transient {
    fn retry(&self) -> Retry;
}

/// Runs `attempt` until it succeeds, fails with [`Retry::Never`], or `policy` is spent. Returns
/// the last outcome and the number of attempts made. `what` names the request in log lines
/// (without credentials).
pub async fn retrying<T, E, F, Fut>(
    policy: &RetryPolicy,
    what: &str,
    attempt: F,
) -> (Result<T, E>, u32)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Transient + std::fmt::Display,
{
    let backoff = ExponentialBuilder::default()
        .with_min_delay(policy.backoff)
        .with_max_delay(policy.max_backoff)
        .with_max_times(usize::try_from(policy.retries).unwrap_or(usize::MAX))
        .with_jitter();
    let cap = policy.max_retry_after;
    let mut attempts = 1;
    let outcome = attempt
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(|e: &E| e.retry() != Retry::Never)
        .adjust(|e: &E, next| match (e.retry(), next) {
            (Retry::After(asked), Some(_)) if asked > cap => None,
            (Retry::After(asked), Some(backoff)) => Some(asked.max(backoff)),
            (_, next) => next,
        })
        .notify(|e: &E, wait| {
            attempts += 1;
            tracing::warn!(request = what, error = %e, retry_in = ?wait, attempt = attempts, "retrying");
        })
        .await;
    (outcome, attempts)
}

/// Whether an answer with `status` is worth repeating, and when.
pub fn status_retry(status: StatusCode, headers: &HeaderMap) -> Retry {
    match status {
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            retry_after(headers, SystemTime::now()).map_or(Retry::Backoff, Retry::After)
        }
        StatusCode::REQUEST_TIMEOUT => Retry::Backoff,
        s if s.is_server_error() => Retry::Backoff,
        _ => Retry::Never,
    }
}

/// The wait a `Retry-After` header asks for: delay-seconds, or an HTTP-date (a date in the past
/// is no wait).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_str(value).expect("header"));
        h
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            retry_after(&headers(&later), now),
            Some(Duration::from_secs(90))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(retry_after(&headers(&earlier), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn statuses_are_classified() {
        let none = HeaderMap::new();
        assert_eq!(
            status_retry(StatusCode::TOO_MANY_REQUESTS, &none),
            Retry::Backoff
        );
        assert_eq!(
            status_retry(StatusCode::SERVICE_UNAVAILABLE, &headers("3")),
            Retry::After(Duration::from_secs(3))
        );
        assert_eq!(
            status_retry(StatusCode::TOO_MANY_REQUESTS, &headers("2")),
            Retry::After(Duration::from_secs(2))
        );
        assert_eq!(status_retry(StatusCode::BAD_GATEWAY, &none), Retry::Backoff);
        assert_eq!(status_retry(StatusCode::FORBIDDEN, &none), Retry::Never);
        assert_eq!(
            status_retry(StatusCode::NOT_FOUND, &headers("1")),
            Retry::Never
        );
    }

    #[derive(Debug)]
    struct Failure(Retry);

    impl std::fmt::Display for Failure {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }

    impl Transient for Failure {
        fn retry(&self) -> Retry {
            self.0
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            retries: 3,
            backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(4),
            max_retry_after: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn retries_what_may_pass_and_honours_retry_after() {
        let (outcome, attempts) = retrying(&policy(), "t", || async {
            Err::<(), _>(Failure(Retry::Backoff))
        })
        .await;
        assert!(outcome.is_err());
        assert_eq!(attempts, 4, "one attempt and three retries");

        let (_, attempts) = retrying(&policy(), "t", || async {
            Err::<(), _>(Failure(Retry::Never))
        })
        .await;
        assert_eq!(attempts, 1, "a refusal is not repeated");

        // The waits are the server's, longer than the backoff would be.
        let start = std::time::Instant::now();
        let mut left = 2;
        let (outcome, attempts) = retrying(&policy(), "t", || {
            left -= 1;
            let fail = left >= 0;
            async move {
                if fail {
                    Err(Failure(Retry::After(Duration::from_millis(150))))
                } else {
                    Ok(7)
                }
            }
        })
        .await;
        assert_eq!(outcome.ok(), Some(7));
        assert_eq!(attempts, 3);
        assert!(
            start.elapsed() >= Duration::from_millis(300),
            "{:?}",
            start.elapsed()
        );

        let (_, attempts) = retrying(&policy(), "t", || async {
            Err::<(), _>(Failure(Retry::After(Duration::from_secs(3600))))
        })
        .await;
        assert_eq!(attempts, 1, "a wait over the cap is not made");
    }
}
