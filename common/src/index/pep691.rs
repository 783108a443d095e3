//! PEP 691 project pages: `application/vnd.pypi.simple.v1+json`.

use std::collections::BTreeMap;

use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;

use super::model::{CoreMetadataRef, Distribution, IndexFile, Yanked};
use super::url::resolve_link;

/// The content type of PEP 691 JSON pages, version 1.
pub const JSON_CONTENT_TYPE: &str = "application/vnd.pypi.simple.v1+json";

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    files: Vec<File>,
}

#[derive(Deserialize)]
struct File {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: BTreeMap<String, String>,
    #[serde(rename = "requires-python", default)]
    requires_python: Option<String>,
    #[serde(default)]
    yanked: Value,
    #[serde(rename = "core-metadata", default)]
    core_metadata: Value,
    #[serde(rename = "dist-info-metadata", default)]
    dist_info_metadata: Value,
    /// PEP 700; read leniently, as the other optional keys are.
    #[serde(default)]
    size: Value,
}

/// Reads the files of project `name` from a PEP 691 JSON page fetched from `page_url`.
pub fn parse_json(body: &[u8], page_url: &Url, name: &str) -> Result<Vec<IndexFile>, String> {
    let page: Page =
        serde_json::from_slice(body).map_err(|e| format!("not a PEP 691 page: {e}"))?;
    page.files
        .into_iter()
        .map(|f| {
            let (url, mut fragment_hashes) = resolve_link(page_url, &f.url)?;
            fragment_hashes.extend(lower(f.hashes));
            let core = if f.core_metadata.is_null() {
                f.dist_info_metadata
            } else {
                f.core_metadata
            };
            Ok(IndexFile {
                size: f.size.as_u64(),
                distribution: Distribution::parse(&f.filename, name),
                filename: f.filename,
                url: url.to_string(),
                hashes: fragment_hashes,
                requires_python: f.requires_python.filter(|s| !s.trim().is_empty()),
                yanked: match f.yanked {
                    Value::Bool(true) => Some(Yanked { reason: None }),
                    Value::String(reason) => Some(Yanked {
                        reason: (!reason.is_empty()).then_some(reason),
                    }),
                    _ => None,
                },
                core_metadata: match core {
                    Value::Bool(true) => Some(CoreMetadataRef::default()),
                    Value::Object(map) => Some(CoreMetadataRef {
                        hashes: lower(
                            map.into_iter()
                                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                                .collect(),
                        ),
                    }),
                    _ => None,
                },
            })
        })
        .collect()
}

fn lower(hashes: BTreeMap<String, String>) -> BTreeMap<String, String> {
    hashes
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_ascii_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_and_their_facts() {
        let body = br#"{"meta": {"api-version": "1.1"}, "name": "foo", "files": [
            {"filename": "foo-1.0.tar.gz", "url": "../../files/foo-1.0.tar.gz", "hashes": {"sha256": "AA"}, "requires-python": ">=3.8"},
            {"filename": "foo-1.1-py3-none-any.whl", "url": "http://127.0.0.2/foo-1.1-py3-none-any.whl", "hashes": {}, "yanked": "bad build", "core-metadata": {"sha256": "cc"}},
            {"filename": "foo-1.2-py3-none-any.whl", "url": "foo-1.2-py3-none-any.whl", "hashes": {}, "yanked": true, "dist-info-metadata": true},
            {"filename": "foo-1.3-py3-none-any.whl", "url": "foo-1.3-py3-none-any.whl", "hashes": {}, "yanked": false, "core-metadata": false}
        ]}"#;
        let page = Url::parse("http://127.0.0.1:1/simple/foo/").expect("url");
        let files = parse_json(body, &page, "foo").expect("parses");
        assert_eq!(files[0].url, "http://127.0.0.1:1/files/foo-1.0.tar.gz");
        assert_eq!(files[0].sha256(), Some("aa"));
        assert_eq!(files[0].requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(
            files[1].yanked,
            Some(Yanked {
                reason: Some("bad build".to_owned())
            })
        );
        assert_eq!(
            files[1].core_metadata.as_ref().map(|c| c.hashes.len()),
            Some(1)
        );
        assert_eq!(files[2].yanked, Some(Yanked { reason: None }));
        assert!(files[2].core_metadata.is_some());
        assert_eq!(files[3].yanked, None);
        assert_eq!(files[3].core_metadata, None);
        assert!(parse_json(b"<html>", &page, "foo").is_err());
    }
}
