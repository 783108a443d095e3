//! URL handling shared by the parsers and the client: resolving links, splitting hash
//! fragments, taking credentials out of a URL.

use std::collections::BTreeMap;

use reqwest::Url;

use super::error::IndexError;
use crate::secret::redact_url;

/// Parses an index or page URL, with an error that never shows credentials.
pub fn parse_url(text: &str) -> Result<Url, IndexError> {
    Url::parse(text)
        .map_err(|e| IndexError::Config(format!("{} is not a URL: {e}", redact_url(text))))
}

/// `name` checked as a PEP 508 project name and normalised (PEP 503). A name read from a lock
/// file or a requirement becomes a path segment of a request to a configured index; anything
/// else (`//host:port/x`, `%2e%2e/x`, `../x`) would let the file choose where the request goes.
pub fn project_name(name: &str) -> Result<String, IndexError> {
    let invalid = |reason: String| IndexError::InvalidName {
        name: redact_url(name),
        reason,
    };
    // PEP 508: ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$, case-insensitively.
    let bytes = name.as_bytes();
    let pep508 = bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !pep508 {
        return Err(invalid(
            "a name is ASCII letters and digits, with '.', '-' or '_' between them".to_owned(),
        ));
    }
    pep508_rs::PackageName::new(name.to_owned())
        .map(|n| n.to_string())
        .map_err(|e| invalid(e.to_string()))
}

/// The page URL of PEP 503, `<index>/<name>/`: `name` (a checked project name) percent-encoded
/// as one path segment appended to the index's path, never parsed as a URL of its own.
pub fn project_url(index: &Url, name: &str) -> Url {
    let mut url = index.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push(name).push("");
    }
    url
}

/// `scheme://host:port` (the port explicit or the scheme's default): what credentials are
/// scoped to.
pub fn origin(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// A link resolved against the page: the URL without its fragment, and the hashes the
/// `#<algorithm>=<hex>` fragment gives.
pub fn resolve_link(page: &Url, href: &str) -> Result<(Url, BTreeMap<String, String>), String> {
    let mut url = page
        .join(href)
        .map_err(|e| format!("bad link {href:?}: {e}"))?;
    let mut hashes = BTreeMap::new();
    if let Some((algorithm, digest)) = url.fragment().and_then(|f| f.split_once('=')) {
        hashes.insert(algorithm.to_ascii_lowercase(), digest.to_ascii_lowercase());
    }
    url.set_fragment(None);
    Ok((url, hashes))
}

/// The last path segment of `url`, percent-decoded: a file's name.
pub fn filename_of(url: &Url) -> String {
    let last = url.path().rsplit('/').next().unwrap_or_default();
    percent_decode(last)
}

/// Decodes `%XX` escapes; invalid escapes stay as written.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Removes user-info from `url`, returning it as (user, password), both percent-decoded.
pub fn take_userinfo(url: &mut Url) -> Option<(String, Option<String>)> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let user = percent_decode(url.username());
    let password = url
        .password()
        .map(percent_decode)
        .map(crate::secret::registered);
    // Setting an empty user name and no password cannot fail on URLs that had them.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    Some((user, password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_and_lose_their_fragment() {
        let page = Url::parse("http://127.0.0.1:9/simple/foo/").expect("url");
        let (url, hashes) =
            resolve_link(&page, "../../files/foo-1.0.tar.gz#SHA256=ABCD").expect("link");
        assert_eq!(url.as_str(), "http://127.0.0.1:9/files/foo-1.0.tar.gz");
        assert_eq!(hashes.get("sha256").map(String::as_str), Some("abcd"));
        let (url, hashes) =
            resolve_link(&page, "http://127.0.0.2/x/foo-1.0-py3-none-any.whl").expect("link");
        assert_eq!(url.as_str(), "http://127.0.0.2/x/foo-1.0-py3-none-any.whl");
        assert!(hashes.is_empty());
        assert_eq!(
            filename_of(&Url::parse("http://h/a/foo%2Bbar-1.0.tar.gz").expect("url")),
            "foo+bar-1.0.tar.gz"
        );
    }

    #[test]
    fn project_urls_add_the_slash() {
        let index = Url::parse("http://127.0.0.1:9/simple").expect("url");
        assert_eq!(
            project_url(&index, "foo-bar").as_str(),
            "http://127.0.0.1:9/simple/foo-bar/"
        );
        let index = Url::parse("http://127.0.0.1:9/a/simple/?x=1").expect("url");
        assert_eq!(
            project_url(&index, "foo").as_str(),
            "http://127.0.0.1:9/a/simple/foo/"
        );
        // Even an unchecked segment stays one segment of the configured index.
        for hostile in ["//2130706433:18082/x", "%2e%2e/%2e%2e/x", "../x", "?q#f"] {
            let url = project_url(&index, hostile);
            assert_eq!(url.origin(), index.origin(), "{hostile}: {url}");
            assert!(url.path().starts_with("/a/simple/"), "{hostile}: {url}");
            assert_eq!(url.path_segments().map(Iterator::count), Some(4), "{url}");
        }
    }

    #[test]
    fn names_are_checked_before_they_reach_a_url() {
        assert_eq!(project_name("Foo.Bar_baz").expect("valid"), "foo-bar-baz");
        assert_eq!(project_name("a").expect("valid"), "a");
        for hostile in [
            "//2130706433:18082/x",
            "%2e%2e/%2e%2e/x",
            "../x",
            "..",
            "",
            "foo/bar",
            "foo bar",
            "-foo",
            "http://user:pw@h/x",
        ] {
            let err = project_name(hostile).expect_err(hostile);
            assert!(matches!(err, IndexError::InvalidName { .. }), "{err}");
            assert!(!err.to_string().contains("pw@"), "{err}");
        }
    }

    #[test]
    fn origins_name_scheme_host_and_port() {
        let o = |u: &str| origin(&Url::parse(u).expect("url"));
        assert_eq!(o("http://h/simple/"), "http://h:80");
        assert_eq!(o("http://h:80/x"), o("http://h/y"));
        assert_ne!(o("https://h/x"), o("http://h/x"));
        assert_ne!(o("http://h:8080/x"), o("http://h/x"));
    }

    #[test]
    fn userinfo_is_taken_out() {
        let mut url = Url::parse("http://al%40ice:p%3Aw@127.0.0.1/simple/").expect("url");
        let creds = take_userinfo(&mut url);
        assert_eq!(creds, Some(("al@ice".to_owned(), Some("p:w".to_owned()))));
        assert_eq!(url.as_str(), "http://127.0.0.1/simple/");
    }
}
