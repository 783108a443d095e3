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

/// `base` joined with `<normalized>/`: the project page URL of PEP 503.
pub fn project_url(index: &Url, normalized: &str) -> Result<Url, IndexError> {
    let mut base = index.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join(&format!("{normalized}/"))
        .map_err(|e| IndexError::Config(format!("cannot build the page URL: {e}")))
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

/// `host[:port]` as credentials are keyed.
pub fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => String::new(),
    }
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
            project_url(&index, "foo-bar").expect("url").as_str(),
            "http://127.0.0.1:9/simple/foo-bar/"
        );
    }

    #[test]
    fn userinfo_is_taken_out() {
        let mut url = Url::parse("http://al%40ice:p%3Aw@127.0.0.1/simple/").expect("url");
        let creds = take_userinfo(&mut url);
        assert_eq!(creds, Some(("al@ice".to_owned(), Some("p:w".to_owned()))));
        assert_eq!(url.as_str(), "http://127.0.0.1/simple/");
    }
}
