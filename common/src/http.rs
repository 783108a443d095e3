//! The HTTP client every network-facing part uses, so TLS and proxies behave the same
//! everywhere: rustls with the platform's certificate store (which honours `SSL_CERT_FILE`),
//! and the usual proxy variables.

/// A `reqwest` client builder with the project's defaults.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder().user_agent(concat!("thoth-analyzers/", env!("CARGO_PKG_VERSION")))
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
