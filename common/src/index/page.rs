//! A project page's body to its files, whichever format the index answered with.

use reqwest::Url;

use super::model::IndexFile;
use super::pep503::parse_html;
use super::pep691::{JSON_CONTENT_TYPE, parse_json};

/// Reads the files of project `name` from `body`, the page at `page_url` answered with
/// `content_type` (lower case): PEP 691 JSON when the type says so (or, untyped, the body is an
/// object), PEP 503 HTML otherwise. Linear in the body's size.
pub fn parse_page(
    body: &[u8],
    content_type: &str,
    page_url: &Url,
    name: &str,
) -> Result<Vec<IndexFile>, String> {
    let is_json = content_type.starts_with(JSON_CONTENT_TYPE)
        || content_type.starts_with("application/json")
        || (!content_type.contains("html")
            && body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'));
    if is_json {
        parse_json(body, page_url, name)
    } else {
        parse_html(&String::from_utf8_lossy(body), page_url, name)
    }
}
