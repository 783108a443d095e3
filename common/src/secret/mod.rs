//! Values that must never reach a document, a generated file or a log line.
//!
//! Two layers keep them out, on purpose:
//!
//! - **Types at the source.** A credential is held in a [`Secret`] (a password, a token,
//!   `USER:PASSWORD`) or a [`RedactedUrl`] (a URL that may carry user-info or query tokens) from
//!   the moment it is read. Their `Display`, `Debug` and `Serialize` are redacted, so recording
//!   the options, logging a value or putting it in an error cannot show it; only `expose()`
//!   gives the value, to the code that sends it to a server. Making one registers the value.
//! - **A scrub at the boundary.** Every byte the binaries write passes [`scrub`]: documents and
//!   SBOMs ([`Scrubbed::json`], string by string), text outputs such as a requirements file or a
//!   pylock.toml ([`Scrubbed::text`]), and stderr: every log line at every level and format
//!   ([`ScrubbingStderr`]) and the runner's messages ([`eprintln_scrubbed`]). The sinks accept
//!   only [`Scrubbed`] text, so the HTTP and S3 sinks send what was scrubbed. The scrub masks
//!   every registered value wherever it appears verbatim (as given, JSON-escaped,
//!   percent-encoded: one Aho-Corasick pass), takes the user-info out of every URL of a string
//!   (lists too), and masks secret query parameters (`token`, `X-Amz-Signature`, `sig`, ...).
//!
//! The types are how code is meant to carry secrets; the scrub is the last line of defence for
//! the string a type did not cover: a URL copied from a lock file into a finding, a server's
//! error body that echoes a token, a library's log line. The runner registers the secrets of
//! the command line and the environment before anything else runs
//! ([`register_process_inputs`]); readers of credential files (`.netrc`, docker config and its
//! helpers, pip.conf, AWS profiles) register what they read.

mod inputs;
mod registry;
mod scrub;
mod scrubbed;
mod stderr;
mod url;

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

pub use inputs::{register_process_inputs, register_url_credentials};
pub use registry::{MIN_SECRET_CHARS, register, register_pair, registered};
pub use scrub::{scrub, scrub_json};
pub use scrubbed::Scrubbed;
pub use stderr::{ScrubbingStderr, eprintln_scrubbed, write_stderr};
pub use url::RedactedUrl;

/// What a secret is written as, wherever it would have appeared.
pub const REDACTED: &str = "<redacted>";

/// A credential given on the command line or in the environment (`USER:PASSWORD`, a token), or
/// read from a credential file.
///
/// Its `Debug`, `Display` and `Serialize` all print [`REDACTED`], so a secret cannot leak by
/// logging or recording the options it came with; only [`Secret::expose`] gives the value, and
/// only code that hands it to a registry or index calls it. Making one registers the value (and
/// the password of a `USER:PASSWORD`) with the scrub, so it is masked wherever it appears.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        register_pair(&value);
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

/// `text` with the user-info of every URL (`https://user:token@host/...` becomes
/// `https://<redacted>@host/...`), secret query parameters and registered secrets replaced by
/// [`REDACTED`]: [`scrub`], as an owned string. Text without them comes back unchanged.
pub fn redact_url(text: &str) -> String {
    scrub(text).into_owned()
}

/// [`scrub_json`] on an owned value: every string scrubbed, object keys included (an index URL
/// can be a key).
pub fn redact_json(mut value: serde_json::Value) -> serde_json::Value {
    scrub_json(&mut value);
    value
}

/// For `#[serde(serialize_with = "common::secret::serialize_scrubbed")]` on an option that may
/// hold credentialed URLs (a `String`, an `Option<String>`, a `Vec<String>`, ...): the value is
/// recorded with every string scrubbed, so `metadata.arguments` never shows a credential even
/// before the boundary scrub.
pub fn serialize_scrubbed<T, S>(value: &T, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Serialize + ?Sized,
    S: Serializer,
{
    let mut value = serde_json::to_value(value).map_err(serde::ser::Error::custom)?;
    scrub_json(&mut value);
    value.serialize(serializer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s: Secret = "alice:hunter2".parse().expect("infallible");
        assert_eq!(format!("{s}"), REDACTED);
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(format!("{:?}", Some(&s)), format!("Some({REDACTED})"));
        assert_eq!(
            serde_json::to_string(&s).expect("serialises"),
            format!("\"{REDACTED}\"")
        );
        assert_eq!(s.expose(), "alice:hunter2");
    }

    #[test]
    fn urls_lose_their_userinfo() {
        assert_eq!(
            redact_url("https://bob:t0k3n@index.test/simple/"),
            format!("https://{REDACTED}@index.test/simple/")
        );
        assert_eq!(
            redact_url("http://token@127.0.0.1:8080"),
            format!("http://{REDACTED}@127.0.0.1:8080")
        );
        assert_eq!(
            redact_url("https://index.test/simple/?q=a@b"),
            "https://index.test/simple/?q=a@b"
        );
        assert_eq!(redact_url("/mnt/workdir/doc"), "/mnt/workdir/doc");
        assert_eq!(redact_url("user@host"), "user@host");
    }

    #[test]
    fn options_serialize_scrubbed() {
        #[derive(Serialize)]
        struct Args {
            #[serde(serialize_with = "serialize_scrubbed")]
            one: String,
            #[serde(serialize_with = "serialize_scrubbed")]
            maybe: Option<String>,
            #[serde(serialize_with = "serialize_scrubbed")]
            none: Option<String>,
            #[serde(serialize_with = "serialize_scrubbed")]
            many: Vec<String>,
        }
        let args = Args {
            one: "http://u:p@a/x,http://v:q@b/y".to_owned(),
            maybe: Some("-i https://t@h/simple/\na==1".to_owned()),
            none: None,
            many: vec!["https://h/f?token=zzz".to_owned(), "plain".to_owned()],
        };
        assert_eq!(
            serde_json::to_value(&args).expect("serialises"),
            serde_json::json!({
                "one": format!("http://{REDACTED}@a/x,http://{REDACTED}@b/y"),
                "maybe": format!("-i https://{REDACTED}@h/simple/\na==1"),
                "none": null,
                "many": [format!("https://h/f?token={REDACTED}"), "plain"],
            })
        );
    }

    /// The forms provenance-checker's own redaction wrote before it used this one.
    #[test]
    fn every_url_of_a_text_and_secret_query_values() {
        let text = "-i http://alice:s3cret@127.0.0.1:9/simple/\n--extra-index-url https://bob:t0k@10.0.0.1/x/ a==1";
        assert_eq!(
            redact_url(text),
            format!(
                "-i http://{REDACTED}@127.0.0.1:9/simple/\n--extra-index-url https://{REDACTED}@10.0.0.1/x/ a==1"
            )
        );
        assert_eq!(
            redact_url("https://h/f.whl?X-Amz-Signature=abc&X-Amz-Date=1&token=zzz#sha256=00 next"),
            format!(
                "https://h/f.whl?X-Amz-Signature={REDACTED}&X-Amz-Date=1&token={REDACTED}#sha256=00 next"
            )
        );
        assert_eq!(redact_url("plain text, user@host"), "plain text, user@host");
    }

    #[test]
    fn json_loses_userinfo_in_values_and_keys() {
        let v = serde_json::json!({"http://u:p@h/": ["https://t@h/x", 1], "k": "plain"});
        assert_eq!(
            redact_json(v),
            serde_json::json!({format!("http://{REDACTED}@h/"): [format!("https://{REDACTED}@h/x"), 1], "k": "plain"})
        );
    }
}
