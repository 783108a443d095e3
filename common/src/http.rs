//! The HTTP client every network-facing part uses, so TLS, proxies, timeouts, body caps and
//! retries behave the same everywhere: rustls with the platform's certificate store (which
//! honours `SSL_CERT_FILE`), and the usual proxy variables.

mod body;
mod budget;
mod retry;

use std::time::Duration;

pub use body::{BodyCap, BodyError, BodyTooLarge, read_capped, read_prefix};
pub use budget::{ByteBudget, Reservation};
pub use retry::{Retry, RetryPolicy, Transient, retry_after, retrying, status_retry};

/// A `reqwest` client builder with the project's defaults.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().user_agent(concat!("thoth-analyzers/", env!("CARGO_PKG_VERSION")))
}

/// The time limits of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open the connection (TCP and TLS).
    pub connect: Duration,
    /// Between two reads of the answer: a server that stops sending fails after this.
    pub read: Duration,
    /// For the whole request, body included: a server dripping bytes fails after this.
    pub total: Duration,
}

impl Timeouts {
    /// The project's defaults for index pages and files: 10 s to connect, 30 s without a byte,
    /// 60 s in all.
    pub const INDEX: Self = Self {
        connect: Duration::from_secs(10),
        read: Duration::from_secs(30),
        total: Duration::from_secs(60),
    };
    /// For output sinks: 10 s to connect, 60 s without a byte, 60 s in all.
    pub const SINK: Self = Self {
        connect: Duration::from_secs(10),
        read: Duration::from_secs(60),
        total: Duration::from_secs(60),
    };

    /// [`client_builder`] with these limits.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        client_builder()
            .connect_timeout(self.connect)
            .read_timeout(self.read)
            .timeout(self.total)
    }
}

/// A one-line description of a request error with its causes, for error messages.
pub fn describe_error(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    crate::secret::redact_url(&text)
}
