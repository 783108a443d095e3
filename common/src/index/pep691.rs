//! PEP 691 project pages: `application/vnd.pypi.simple.v1+json`.

use std::collections::BTreeMap;

use reqwest::Url;
use serde::Deserialize;
use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;

use super::model::{CoreMetadataRef, Distribution, IndexFile, Yanked};
use super::page::{Files, PageError};
use super::url::resolve_link;

/// The content type of PEP 691 JSON pages, version 1.
pub const JSON_CONTENT_TYPE: &str = "application/vnd.pypi.simple.v1+json";

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

/// Reads the files of project `name` from a PEP 691 JSON page fetched from `page_url` into
/// `files`. The `files` array streams: each entry becomes an [`IndexFile`] (and is counted
/// against the bound) before the next is read, so the page is never held twice over.
pub(super) fn parse_json(
    body: &[u8],
    page_url: &Url,
    name: &str,
    files: &mut Files,
) -> Result<(), PageError> {
    let mut stopped = None;
    let seed = PageSeed {
        page_url,
        name,
        files,
        stopped: &mut stopped,
    };
    let mut reader = serde_json::Deserializer::from_slice(body);
    let parsed = seed.deserialize(&mut reader).and_then(|()| reader.end());
    match (stopped, parsed) {
        (Some(stop), _) => Err(stop),
        (None, Ok(())) => Ok(()),
        (None, Err(e)) => Err(PageError::Malformed(format!("not a PEP 691 page: {e}"))),
    }
}

/// The page object: only `files` is read, the other keys are skipped.
struct PageSeed<'a> {
    page_url: &'a Url,
    name: &'a str,
    files: &'a mut Files,
    /// Why reading stopped, when it was not the JSON's fault.
    stopped: &'a mut Option<PageError>,
}

impl<'de> DeserializeSeed<'de> for PageSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PageSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a PEP 691 project page (an object with a `files` array)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "files" {
                map.next_value_seed(FilesSeed {
                    page_url: self.page_url,
                    name: self.name,
                    files: self.files,
                    stopped: self.stopped,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

/// The `files` array, one entry at a time.
struct FilesSeed<'a> {
    page_url: &'a Url,
    name: &'a str,
    files: &'a mut Files,
    stopped: &'a mut Option<PageError>,
}

impl<'de> DeserializeSeed<'de> for FilesSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FilesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of files")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(file) = seq.next_element::<File>()? {
            let pushed = index_file(file, self.page_url, self.name)
                .map_err(PageError::Malformed)
                .and_then(|file| self.files.push(file));
            if let Err(stop) = pushed {
                *self.stopped = Some(stop);
                return Err(A::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// One entry of the `files` array as the index client keeps it.
fn index_file(f: File, page_url: &Url, name: &str) -> Result<IndexFile, String> {
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
        filename: f.filename.into(),
        url: url.as_str().into(),
        hashes: fragment_hashes.into(),
        requires_python: f
            .requires_python
            .filter(|s| !s.trim().is_empty())
            .map(Into::into),
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
                )
                .into(),
            }),
            _ => None,
        },
    })
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

    /// The page's files, unbounded.
    fn parse_json(body: &[u8], page: &Url, name: &str) -> Result<Vec<IndexFile>, PageError> {
        let mut files = Files::new(usize::MAX, 0);
        super::parse_json(body, page, name, &mut files)?;
        Ok(files.into_vec())
    }

    #[test]
    fn the_files_array_streams_within_the_bound() {
        let url = Url::parse("http://127.0.0.1/simple/foo/").expect("url");
        let entry = r#"{"filename": "foo-1.0.tar.gz", "url": "foo-1.0.tar.gz"}"#;
        let body = format!(
            r#"{{"meta": {{"api-version": "1.0"}}, "files": [{}], "name": "foo"}}"#,
            vec![entry; 10_000].join(",")
        );
        let mut files = Files::new(100_000, 0);
        let Err(PageError::TooLarge { files: read, .. }) =
            super::parse_json(body.as_bytes(), &url, "foo", &mut files)
        else {
            panic!("10,000 files do not fit 100,000 bytes");
        };
        assert!((100..1_000).contains(&read), "stopped early: {read} files");
        assert_eq!(
            parse_json(body.as_bytes(), &url, "foo")
                .expect("unbounded")
                .len(),
            10_000
        );
        let Err(PageError::Malformed(message)) = parse_json(b"{\"files\": [1]}", &url, "foo")
        else {
            panic!("a number is no file");
        };
        assert!(message.starts_with("not a PEP 691 page"), "{message}");
        assert!(
            parse_json(b"{\"files\": []} x", &url, "foo").is_err(),
            "trailing bytes"
        );
    }

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
        assert_eq!(&*files[0].url, "http://127.0.0.1:1/files/foo-1.0.tar.gz");
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
