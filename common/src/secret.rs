//! Values that must never reach a document or a log line.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// What a secret is written as, wherever it would have appeared.
pub const REDACTED: &str = "<redacted>";

/// A credential given on the command line or in the environment (`USER:PASSWORD`, a token).
///
/// Its `Debug`, `Display` and `Serialize` all print [`REDACTED`], so a secret cannot leak by
/// logging or recording the options it came with; only [`Secret::expose`] gives the value, and
/// only code that hands it to a registry or index calls it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
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

/// Replaces the user-info part of a URL (`https://user:token@host/...`) with [`REDACTED`].
/// Strings that are not URLs with user-info come back unchanged.
pub fn redact_url(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let authority_start = scheme_end + 3;
    let rest = &text[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => format!("{}{REDACTED}@{}", &text[..authority_start], &rest[at + 1..]),
        None => text.to_owned(),
    }
}

/// [`redact_url`] applied to every string of a JSON value, object keys included (an index URL
/// can be a key).
pub fn redact_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact_url(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_json).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (redact_url(&k), redact_json(v)))
                .collect(),
        ),
        other => other,
    }
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
    fn json_loses_userinfo_in_values_and_keys() {
        let v = serde_json::json!({"http://u:p@h/": ["https://t@h/x", 1], "k": "plain"});
        assert_eq!(
            redact_json(v),
            serde_json::json!({format!("http://{REDACTED}@h/"): [format!("https://{REDACTED}@h/x"), 1], "k": "plain"})
        );
    }
}
