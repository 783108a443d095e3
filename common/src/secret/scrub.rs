//! The scrub every output passes: registered values masked, user-info taken out of every URL,
//! secret query parameters masked. Each pass is linear in the text and allocates only when it
//! changes something, so a 50 MB document costs a few scans.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::Value;

use super::REDACTED;
use super::registry;

/// `text` with every secret it holds replaced by [`REDACTED`].
pub fn scrub(text: &str) -> Cow<'_, str> {
    // The URL passes first: a masked value's `<` would end the authority it stands in.
    let text = then(Cow::Borrowed(text), strip_userinfo);
    let text = then(text, mask_query_secrets);
    then(text, mask_registered)
}

/// Every string of `value` scrubbed in place, object keys included (an index URL can be a
/// key). Numbers, booleans and the structure are left alone, so the document stays valid JSON
/// whatever a secret looks like.
pub fn scrub_json(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Cow::Owned(clean) = scrub(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_json),
        Value::Object(map) => {
            let dirty: Vec<(String, String)> = map
                .keys()
                .filter_map(|k| match scrub(k) {
                    Cow::Owned(clean) => Some((k.clone(), clean)),
                    Cow::Borrowed(_) => None,
                })
                .collect();
            for (old, new) in dirty {
                if let Some(v) = map.remove(&old) {
                    map.insert(new, v);
                }
            }
            map.values_mut().for_each(scrub_json);
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn then<'t>(text: Cow<'t, str>, pass: fn(&str) -> Option<String>) -> Cow<'t, str> {
    match pass(&text) {
        Some(changed) => Cow::Owned(changed),
        None => text,
    }
}

/// Rebuilds `text` with each range replaced by [`REDACTED`]; `None` when there is none.
fn replace_ranges(text: &str, ranges: &[(usize, usize)]) -> Option<String> {
    if ranges.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for &(start, end) in ranges {
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    Some(out)
}

fn mask_registered(text: &str) -> Option<String> {
    let matcher = registry::matcher()?;
    let ranges: Vec<(usize, usize)> = matcher
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    replace_ranges(text, &ranges)
}

/// What ends a URL's authority in running text, JSON and HTML, besides the URL delimiters.
fn ends_authority(c: char) -> bool {
    matches!(c, '/' | '?' | '#' | '\\' | '"' | '\'' | '<' | '>' | '`')
        || c.is_whitespace()
        || c.is_control()
}

/// `scheme://user:password@host` and `scheme://token@host` lose their user-info, for every URL
/// of the text (a comma- or space-separated list included).
fn strip_userinfo(text: &str) -> Option<String> {
    let mut ranges = Vec::new();
    for (at, _) in text.match_indices("://") {
        let start = at + 3;
        let rest = &text[start..];
        let end = rest.find(ends_authority).unwrap_or(rest.len());
        if let Some(userinfo_end) = rest[..end].rfind('@') {
            // The user-info of this URL never reaches the next URL's, whose `://` ends this
            // authority at its `/`.
            ranges.push((start, start + userinfo_end));
        }
    }
    replace_ranges(text, &ranges)
}

/// Query parameter names that carry a credential, by how they end (`access_token`,
/// `X-Amz-Security-Token`, `X-Amz-Signature`, `X-Amz-Credential`, `sig`, `password`, ...),
/// matched without regard to case.
const SECRET_PARAMETER_SUFFIXES: &[&str] = &[
    "token=",
    "password=",
    "passwd=",
    "pwd=",
    "secret=",
    "signature=",
    "sig=",
    "credential=",
    "apikey=",
    "api_key=",
    "api-key=",
    "auth=",
    "authorization=",
];

static SECRET_PARAMETERS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::LeftmostLongest)
        .build(SECRET_PARAMETER_SUFFIXES)
        .ok()
});

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn ends_value(c: char) -> bool {
    matches!(c, '&' | '#' | ',' | ';') || ends_authority(c) && c != '/' && c != '?'
}

/// `?token=...`, `&X-Amz-Signature=...` and the like: the value is masked, the name kept.
fn mask_query_secrets(text: &str) -> Option<String> {
    let matcher = SECRET_PARAMETERS.as_ref()?;
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    for m in matcher.find_iter(text) {
        let mut name_start = m.start();
        while name_start > 0 && is_name_byte(bytes[name_start - 1]) {
            name_start -= 1;
        }
        let preceded = name_start
            .checked_sub(1)
            .map(|i| bytes[i])
            .is_some_and(|b| matches!(b, b'?' | b'&' | b';'));
        if !preceded {
            continue;
        }
        let value = &text[m.end()..];
        let len = value.find(ends_value).unwrap_or(value.len());
        if len > 0 && !value[..len].starts_with(REDACTED) {
            ranges.push((m.end(), m.end() + len));
        }
    }
    replace_ranges(text, &ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_of_a_list_loses_its_userinfo() {
        let text =
            "http://u:p@127.0.0.1:1/simple,https://tok3n@h2/x http://plain/ git+https://a:b@h3";
        assert_eq!(
            scrub(text),
            format!(
                "http://{REDACTED}@127.0.0.1:1/simple,https://{REDACTED}@h2/x http://plain/ git+https://{REDACTED}@h3"
            )
        );
        assert_eq!(
            scrub("error: \"http://user:pw@h\" is unreachable"),
            format!("error: \"http://{REDACTED}@h\" is unreachable")
        );
        // An at sign in a path or query is not user-info.
        assert_eq!(scrub("https://h/a@b?q=c@d"), "https://h/a@b?q=c@d");
        assert!(matches!(scrub("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn secret_query_parameters_are_masked() {
        let url = "https://b.s3.test/k?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F2024&X-Amz-Signature=abcdef&x-amz-security-token=tt&page=2";
        assert_eq!(
            scrub(url),
            format!(
                "https://b.s3.test/k?X-Amz-Algorithm=AWS4&X-Amz-Credential={REDACTED}&X-Amz-Signature={REDACTED}&x-amz-security-token={REDACTED}&page=2"
            )
        );
        assert_eq!(
            scrub("GET http://h/simple/?TOKEN=abc\"}"),
            format!("GET http://h/simple/?TOKEN={REDACTED}\"}}")
        );
        assert_eq!(
            scrub("a=1&sig=zz&design=ok&access_token=q"),
            format!("a=1&sig={REDACTED}&design=ok&access_token={REDACTED}")
        );
        // Not a parameter: no `?` or `&` before the name.
        assert_eq!(scrub("token=abc"), "token=abc");
    }

    #[test]
    fn registered_values_are_masked_in_text_and_json() {
        super::super::register("CANARY-scrub-unit-7f3a");
        assert_eq!(
            scrub("login failed for CANARY-scrub-unit-7f3a."),
            format!("login failed for {REDACTED}.")
        );
        let mut v = serde_json::json!({
            "http://u:CANARY-scrub-unit-7f3a@h/": ["x CANARY-scrub-unit-7f3a y", 1, true],
        });
        scrub_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({format!("http://{REDACTED}@h/"): [format!("x {REDACTED} y"), 1, true]})
        );
    }
}
