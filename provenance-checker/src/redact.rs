//! Credentials copied from lock files and options, removed where the values are built.
//!
//! A lock may carry credentials in every URL it names (index URLs, artifact URLs, a
//! requirements file's `-i` and `--extra-index-url` lines), several to a string, and signed
//! artifact URLs carry their secret in the query. `common::secret::redact_url` rewrites only the
//! first URL of a string, so the lock's values are redacted here, URL by URL, when the model is
//! built; the boundary scrubber of `common` stays the last line of defence.

use common::secret::REDACTED;
use serde_json::Value;

/// Query parameters whose value is a credential (signed URLs, token links).
const SECRET_QUERY_KEYS: &[&str] = &[
    "token",
    "access_token",
    "auth",
    "password",
    "passwd",
    "secret",
    "signature",
    "sig",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
];

/// Characters that end a URL's authority or query value inside running text.
fn ends_token(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '"' | '\'' | '<' | '>' | '`' | '\\')
}

/// `text` with the user-info of every URL in it replaced by [`REDACTED`], and the values of
/// secret query parameters too. Text without `://` comes back unchanged (and unallocated by
/// the caller's [`redact_value`]).
pub fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let authority_start = at + 3;
        out.push_str(&rest[..authority_start]);
        let tail = &rest[authority_start..];
        let authority_end = tail
            .find(|c: char| ends_token(c) || matches!(c, '/' | '?' | '#'))
            .unwrap_or(tail.len());
        let authority = &tail[..authority_end];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                out.push_str(REDACTED);
                out.push_str(&authority[userinfo_end..]);
            }
            None => out.push_str(authority),
        }
        // The rest of this URL: path, query (secret values redacted) and fragment.
        let url_tail = &tail[authority_end..];
        let url_end = url_tail.find(ends_token).unwrap_or(url_tail.len());
        out.push_str(&redact_query(&url_tail[..url_end]));
        rest = &url_tail[url_end..];
    }
    out.push_str(rest);
    out
}

/// A URL's path-query-fragment with the values of [`SECRET_QUERY_KEYS`] redacted.
fn redact_query(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if SECRET_QUERY_KEYS.contains(&key.to_ascii_lowercase().as_str()) => {
                format!("{key}={REDACTED}")
            }
            _ => pair.to_owned(),
        })
        .collect();
    let mut out = format!("{path}?{}", pairs.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// [`redact_text`] applied to every string of a JSON value, object keys included.
pub fn redact_value(value: Value) -> Value {
    match value {
        Value::String(s) if s.contains("://") => Value::String(redact_text(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_value).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let k = if k.contains("://") {
                        redact_text(&k)
                    } else {
                        k
                    };
                    (k, redact_value(v))
                })
                .collect(),
        ),
        other => other,
    }
}

/// Serialises an option's text with every URL's credentials redacted (`-i` lists, `-l` given
/// as content).
pub fn serialize_text<S: serde::Serializer>(
    value: &Option<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(text) => serializer.serialize_str(&redact_text(text)),
        None => serializer.serialize_none(),
    }
}

/// [`serialize_text`] for a required option.
pub fn serialize_required_text<S: serde::Serializer>(
    value: &str,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_text(value))
}

/// [`serialize_text`] for a repeated option.
pub fn serialize_texts<S: serde::Serializer>(
    values: &[String],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(values.iter().map(|v| redact_text(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_of_a_string_loses_its_userinfo() {
        let text = "-i http://alice:s3cret@127.0.0.1:9/simple/\n--extra-index-url https://bob:t0k@10.0.0.1/x/ a==1";
        let out = redact_text(text);
        assert!(!out.contains("s3cret") && !out.contains("t0k") && !out.contains("alice"));
        assert_eq!(
            out,
            format!(
                "-i http://{REDACTED}@127.0.0.1:9/simple/\n--extra-index-url https://{REDACTED}@10.0.0.1/x/ a==1"
            )
        );
        assert_eq!(
            redact_text("http://u:p@a/x,http://v:q@b/y"),
            format!("http://{REDACTED}@a/x,http://{REDACTED}@b/y")
        );
        assert_eq!(
            redact_text("plain text, user@host"),
            "plain text, user@host"
        );
    }

    #[test]
    fn secret_query_values_are_redacted() {
        let out = redact_text(
            "https://h/f.whl?X-Amz-Signature=abc&X-Amz-Date=1&token=zzz#sha256=00 next",
        );
        assert_eq!(
            out,
            format!(
                "https://h/f.whl?X-Amz-Signature={REDACTED}&X-Amz-Date=1&token={REDACTED}#sha256=00 next"
            )
        );
    }

    #[test]
    fn json_values_and_keys_are_redacted() {
        let v = serde_json::json!({"http://u:p@h/": ["https://t@h/x", 1, "plain"]});
        assert_eq!(
            redact_value(v),
            serde_json::json!({format!("http://{REDACTED}@h/"): [format!("https://{REDACTED}@h/x"), 1, "plain"]})
        );
    }
}
