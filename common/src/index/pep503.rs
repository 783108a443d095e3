//! PEP 503 project pages: HTML with one `<a>` per file, as static indexes serve them.
//!
//! Pages come from every kind of server, so the reader looks only at `<base>` and `<a>` tags
//! and their attributes, and takes everything else as text it can ignore.

use std::collections::BTreeMap;

use reqwest::Url;

use super::model::{CoreMetadataRef, Distribution, IndexFile, Yanked};
use super::page::{Files, PageError};
use super::url::{filename_of, resolve_link};

/// Reads the files of project `name` from the HTML of the page at `page_url` into `files`.
pub(super) fn parse_html(
    html: &str,
    page_url: &Url,
    name: &str,
    files: &mut Files,
) -> Result<(), PageError> {
    let mut base = page_url.clone();
    for tag in tags(html) {
        match tag.name.as_str() {
            "base" => {
                if let Some(href) = tag.attr("href") {
                    base = page_url
                        .join(href)
                        .map_err(|e| format!("bad <base href={href:?}>: {e}"))?;
                }
            }
            "a" => {
                let Some(href) = tag.attr("href") else {
                    continue;
                };
                let (url, hashes) = resolve_link(&base, href)?;
                let filename = filename_of(&url);
                if filename.is_empty() {
                    continue;
                }
                let core = tag
                    .attr("data-core-metadata")
                    .or_else(|| tag.attr("data-dist-info-metadata"));
                files.push(IndexFile {
                    size: None,
                    distribution: Distribution::parse(&filename, name),
                    filename: filename.into(),
                    url: url.as_str().into(),
                    hashes: hashes.into(),
                    requires_python: tag
                        .attr("data-requires-python")
                        .filter(|s| !s.trim().is_empty())
                        .map(Into::into),
                    yanked: tag.attr("data-yanked").map(|reason| Yanked {
                        reason: (!reason.is_empty()).then(|| reason.to_owned()),
                    }),
                    core_metadata: core.and_then(core_metadata_attr),
                })?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// `data-core-metadata="true"` or `="sha256=<hex>"`; `"false"` means there is none.
fn core_metadata_attr(value: &str) -> Option<CoreMetadataRef> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("false") {
        return None;
    }
    let mut hashes = BTreeMap::new();
    if let Some((algorithm, digest)) = value.split_once('=') {
        hashes.insert(algorithm.to_ascii_lowercase(), digest.to_ascii_lowercase());
    }
    Some(CoreMetadataRef {
        hashes: hashes.into(),
    })
}

struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The start tags of `html`, with lower-case names and unescaped attribute values, one at a
/// time (a page of a million links is never held as a million tags). Comments are skipped.
fn tags(html: &str) -> impl Iterator<Item = Tag> + '_ {
    let mut rest = html;
    std::iter::from_fn(move || {
        while let Some(lt) = rest.find('<') {
            rest = &rest[lt + 1..];
            if let Some(after) = rest.strip_prefix("!--") {
                rest = after.find("-->").map_or("", |end| &after[end + 3..]);
                continue;
            }
            let name_len = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            if name_len == 0 {
                continue;
            }
            let name = rest[..name_len].to_ascii_lowercase();
            let (attrs, consumed) = attributes(&rest[name_len..]);
            // A tag cut off by the end of the page consumes all that is left.
            rest = rest.get(name_len + consumed..).unwrap_or("");
            return Some(Tag { name, attrs });
        }
        None
    })
}

/// Attributes up to the closing `>`; returns them and the bytes consumed.
fn attributes(text: &str) -> (Vec<(String, String)>, usize) {
    let bytes = text.as_bytes();
    let mut attrs = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
            i += 1;
        }
        if i >= bytes.len() {
            return (attrs, i);
        }
        if bytes[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < bytes.len()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
            && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        let key = text[start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                let quote = bytes[i];
                let begin = i + 1;
                let end = text[begin..]
                    .bytes()
                    .position(|b| b == quote)
                    .map_or(bytes.len(), |p| begin + p);
                value = unescape(&text[begin..end]);
                i = (end + 1).min(bytes.len());
            } else {
                let begin = i;
                while i < bytes.len() && bytes[i] != b'>' && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = unescape(&text[begin..i]);
            }
        }
        if !key.is_empty() {
            attrs.push((key, value));
        } else if i == start {
            // Nothing read (the byte at `start` is an ASCII delimiter): step over it. Stepping
            // after a value (`<a ="x"é`) could land inside the next character.
            i += 1;
        }
    }
}

/// HTML character references: the named ones index pages use and numeric ones.
pub fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&end| end <= 12).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's files, unbounded.
    fn parse_html(html: &str, page: &Url, name: &str) -> Result<Vec<IndexFile>, PageError> {
        let mut files = Files::new(usize::MAX, 0);
        super::parse_html(html, page, name, &mut files)?;
        Ok(files.into_vec())
    }

    #[test]
    fn a_tag_cut_off_by_the_end_of_the_page_is_no_panic() {
        // Found by the index_page fuzz target.
        let url = Url::parse("http://127.0.0.1/simple/foo/").expect("url");
        assert!(parse_html("2<z=<zI", &url, "foo").is_ok());
    }

    #[test]
    fn a_value_without_a_name_before_a_multibyte_character_is_no_panic() {
        // Found by the index_page fuzz target (a key-less `="..."` followed by U+FFFD).
        let url = Url::parse("http://127.0.0.1/simple/foo/").expect("url");
        let html = ")<e A\u{fffd}/=\"\u{fffd}\u{fffd}=\"\u{fffd}=\"V";
        assert!(parse_html(html, &url, "foo").is_ok());
        let files =
            parse_html("<a =\"x\"\u{e9} href=\"foo-1.0.tar.gz\">", &url, "foo").expect("parses");
        assert_eq!(files.len(), 1, "the attribute after it is still read");
    }

    #[test]
    fn reading_stops_once_the_files_take_more_than_the_bound() {
        let url = Url::parse("http://127.0.0.1/simple/foo/").expect("url");
        let html = "<a href=\"foo-1.0.tar.gz\">x</a>\n".repeat(10_000);
        let mut files = Files::new(100_000, 0);
        let Err(PageError::TooLarge { files: read, limit }) =
            super::parse_html(&html, &url, "foo", &mut files)
        else {
            panic!("10,000 files do not fit 100,000 bytes");
        };
        assert_eq!(limit, 100_000);
        assert!((100..1_000).contains(&read), "stopped early: {read} files");
        assert_eq!(
            parse_html(&html, &url, "foo").expect("unbounded").len(),
            10_000
        );
    }

    const PAGE: &str = r#"<!DOCTYPE html>
<html><head><title>Links for foo</title></head><body>
<h1>Links for foo</h1>
<!-- <a href="commented-out-1.0.tar.gz">x</a> -->
<a href="../../files/foo-1.0.tar.gz#sha256=AA11" data-requires-python="&gt;=3.8,&lt;4">foo-1.0.tar.gz</a><br/>
<A HREF='http://127.0.0.2/f/foo-1.1-py3-none-any.whl#sha256=bb22' data-yanked="broken &amp; bad" data-dist-info-metadata="sha256=cc33">foo-1.1-py3-none-any.whl</A>
<a href="foo-1.2-py3-none-any.whl" data-yanked data-core-metadata="true" data-dist-info-metadata="false">foo-1.2-py3-none-any.whl</a>
<a href=foo-1.3.zip data-core-metadata=false>foo-1.3.zip</a>
</body></html>"#;

    #[test]
    fn reads_links_and_their_attributes() {
        let page = Url::parse("http://127.0.0.1:1/simple/foo/").expect("url");
        let files = parse_html(PAGE, &page, "foo").expect("parses");
        assert_eq!(files.len(), 4, "{files:#?}");
        assert_eq!(&*files[0].url, "http://127.0.0.1:1/files/foo-1.0.tar.gz");
        assert_eq!(files[0].sha256(), Some("aa11"));
        assert_eq!(files[0].requires_python.as_deref(), Some(">=3.8,<4"));
        assert!(matches!(files[0].distribution, Distribution::Sdist(_)));
        assert_eq!(files[0].yanked, None);
        assert_eq!(
            &*files[1].url,
            "http://127.0.0.2/f/foo-1.1-py3-none-any.whl"
        );
        assert_eq!(
            files[1].yanked,
            Some(Yanked {
                reason: Some("broken & bad".to_owned())
            })
        );
        assert_eq!(
            files[1]
                .core_metadata
                .as_ref()
                .and_then(|c| c.hashes.get("sha256")),
            Some("cc33")
        );
        assert_eq!(files[2].yanked, Some(Yanked { reason: None }));
        assert!(
            files[2].core_metadata.is_some(),
            "data-core-metadata wins over the old name"
        );
        assert_eq!(
            files[2].core_metadata_url().as_deref(),
            Some("http://127.0.0.1:1/simple/foo/foo-1.2-py3-none-any.whl.metadata")
        );
        assert_eq!(&*files[3].filename, "foo-1.3.zip");
        assert_eq!(files[3].core_metadata, None);
        assert_eq!(
            files[3].version().map(ToString::to_string).as_deref(),
            Some("1.3")
        );
    }

    #[test]
    fn base_tag_changes_the_resolution() {
        let page = Url::parse("http://127.0.0.1:1/simple/foo/").expect("url");
        let html = r#"<base href="/mirror/"><a href="foo-1.0.tar.gz">x</a>"#;
        let files = parse_html(html, &page, "foo").expect("parses");
        assert_eq!(&*files[0].url, "http://127.0.0.1:1/mirror/foo-1.0.tar.gz");
    }

    #[test]
    fn unescapes_references() {
        assert_eq!(
            unescape("&lt;3&#44;&#x3e;=2 &amp;&unknown; & x"),
            "<3,>=2 &&unknown; & x"
        );
    }
}
