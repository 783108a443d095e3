//! Text that has passed the scrub: the only thing the output sinks accept.

use serde_json::Value;

use super::scrub::{scrub, scrub_json};
use crate::json::to_sorted_string;

/// Output text with every secret taken out. The sinks take this type, not a `&str`, so nothing
/// reaches stdout, a file, an HTTP endpoint or an S3 object without passing the scrub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrubbed(String);

impl Scrubbed {
    /// A text output (a requirements file, a pylock.toml, a message), scrubbed as text.
    pub fn text(text: &str) -> Self {
        Self(scrub(text).into_owned())
    }

    /// A JSON document, scrubbed string by string before it is serialised (sorted keys, pretty
    /// or compact), so it stays valid JSON whatever a secret looks like.
    pub fn json(mut document: Value, pretty: bool) -> Self {
        scrub_json(&mut document);
        Self(to_sorted_string(&document, pretty))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Scrubbed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
