//! A URL that may carry credentials, printed only redacted.

use std::fmt;

use serde::{Serialize, Serializer};

use super::redact_url;

/// An index, artifact or sink URL as the user or a lock file gave it, user-info and query
/// tokens included. `Display`, `Debug` and `Serialize` show it redacted; only
/// [`RedactedUrl::expose`] gives the URL to send a request to. Its password is registered as a
/// secret when it is made, so it is masked even where it appears outside the URL.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RedactedUrl(String);

impl RedactedUrl {
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        super::register_url_credentials(&url);
        Self(url)
    }

    /// The URL with its credentials, for the request only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(&self.0))
    }
}

impl fmt::Debug for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedactedUrl({self})")
    }
}

impl Serialize for RedactedUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl std::str::FromStr for RedactedUrl {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}
