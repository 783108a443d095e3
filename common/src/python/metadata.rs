//! Core metadata (`METADATA` in wheels and `.dist-info`, `PKG-INFO` in sdists and `.egg-info`):
//! the email-header format of the core metadata specification.
//!
//! Written here rather than taken from `python-pkginfo`: that crate fails on what real installed
//! packages contain (bytes that are not UTF-8, headers broken by a stray description line), and
//! an inventory must still report the package. This parser follows Python's `email` parser, which
//! `importlib.metadata` (and so Thoth's solver) uses: headers until the first empty line, lines
//! starting with whitespace continue the previous header, and the first line that is neither
//! ends the headers and starts the body. Two repairs go beyond it, because real files need them
//! and `importlib.metadata` silently drops the fields that follow: in metadata before 2.1 (which
//! has no body) empty or unindented lines followed by more known headers continue the current
//! field, and an empty line inside a `Description` header followed by indented lines or by a
//! known header continues it (files whose trailing whitespace was stripped: a description given
//! as a header cannot also be the body). Every repair is recorded in
//! [`CoreMetadata::warnings`].

use serde_json::{Map, Value};

/// Fields that may appear more than once; [`CoreMetadata::to_json_map`] gives them as arrays.
pub const MULTIPLE_USE_FIELDS: [&str; 14] = [
    "Classifier",
    "Dynamic",
    "License-File",
    "Obsoletes",
    "Obsoletes-Dist",
    "Platform",
    "Project-URL",
    "Provides",
    "Provides-Dist",
    "Provides-Extra",
    "Requires",
    "Requires-Dist",
    "Requires-External",
    "Supported-Platform",
];

/// Every field of the core metadata specification (1.0 to 2.4) in its canonical spelling.
const KNOWN_FIELDS: [&str; 31] = [
    "Metadata-Version",
    "Name",
    "Version",
    "Dynamic",
    "Platform",
    "Supported-Platform",
    "Summary",
    "Description",
    "Description-Content-Type",
    "Keywords",
    "Home-page",
    "Download-URL",
    "Author",
    "Author-email",
    "Maintainer",
    "Maintainer-email",
    "License",
    "License-Expression",
    "License-File",
    "Classifier",
    "Requires-Dist",
    "Requires-Python",
    "Requires-External",
    "Project-URL",
    "Provides-Extra",
    "Provides-Dist",
    "Obsoletes-Dist",
    "Requires",
    "Provides",
    "Obsoletes",
    "Import-Name",
];

/// Why bytes could not be read as core metadata at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// Nothing but whitespace (an empty `.egg-info` file, for example).
    #[error("the metadata is empty")]
    Empty,
    /// A zip archive (a zipped `.egg` or a wheel) was given instead of the metadata file in it.
    #[error(
        "this is a zip archive (a zipped .egg or a wheel), not a metadata file; read its PKG-INFO or METADATA member"
    )]
    ZipArchive,
    /// The first line is not a `Field: value` header, so this is not the email-header format.
    #[error("line 1 is not a `Field: value` header: {0:?}")]
    NotHeaders(String),
}

/// How the package's licence is declared, in the order of preference of the specification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum License {
    /// `License-Expression`: an SPDX expression (metadata 2.4).
    Expression(String),
    /// `License`: free text (older metadata); `UNKNOWN`, which setuptools wrote for "not given",
    /// does not count.
    Text(String),
    /// Only `License :: ...` trove classifiers, as written.
    Classifiers(Vec<String>),
}

/// Parsed core metadata: the header fields in file order, the description, and what had to be
/// repaired to read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CoreMetadata {
    fields: Vec<(String, String)>,
    description: Option<String>,
    /// What was wrong with the input and how it was read anyway (invalid UTF-8, a missing
    /// separator line, repeated single-use fields, missing required fields, ...).
    pub warnings: Vec<String>,
}

/// The canonical spelling of a field name, or the name as written when it is not a known field.
fn canonical_field(name: &str) -> String {
    KNOWN_FIELDS
        .iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_owned(), |known| (*known).to_owned())
}

/// Python's `email` header test: a run of printable ASCII other than `:` and space, then `:`.
fn header_name(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    (!name.is_empty() && name.bytes().all(|b| (0x21..=0x7e).contains(&b))).then_some((name, value))
}

/// Whether a line is a header of a field of the specification.
fn is_known_header(line: &str) -> bool {
    !line.starts_with([' ', '\t'])
        && header_name(line)
            .is_some_and(|(name, _)| KNOWN_FIELDS.iter().any(|k| k.eq_ignore_ascii_case(name)))
}

/// Removes the indentation writers put on continuation lines: up to 8 spaces (distutils'
/// `rfc822_escape`) or one tab, then the `|` that distlib and distutils2 add after it, when every
/// non-empty continuation line of the field carries one.
fn unfold(first: &str, continuation: &[&str]) -> String {
    let dedent = |line: &str| -> String {
        if let Some(rest) = line.strip_prefix('\t') {
            return rest.to_owned();
        }
        let spaces = line.bytes().take(8).take_while(|b| *b == b' ').count();
        line[spaces..].to_owned()
    };
    let mut lines: Vec<String> = continuation.iter().map(|l| dedent(l)).collect();
    if !lines.is_empty() && lines.iter().all(|l| l.starts_with('|')) {
        for line in &mut lines {
            line.remove(0);
        }
    }
    let mut value = first.trim().to_owned();
    for line in lines {
        value.push('\n');
        value.push_str(line.trim_end());
    }
    value.truncate(value.trim_end().len());
    value
}

/// A header being read: its name, the text after `:`, its continuation lines, and (count, first
/// line number) of lines taken into it although they were not indented.
struct Field<'a> {
    name: String,
    first: &'a str,
    continuation: Vec<&'a str>,
    rescued: Option<(usize, usize)>,
}

impl Field<'_> {
    fn finish(self, warnings: &mut Vec<String>) -> (String, String) {
        if let Some((count, line)) = self.rescued {
            warnings.push(format!(
                "{count} line(s) from line {line} on are empty or not indented, yet headers follow \
                 them; they were read as part of the {} field (damaged or whitespace-stripped \
                 metadata)",
                self.name
            ));
        }
        (self.name, unfold(self.first, &self.continuation))
    }
}

/// Metadata before 2.1 has no message body: the description is a header, so an empty line
/// followed by more headers is damage, not the start of a body.
fn legacy_metadata_version(version: &str) -> bool {
    let mut parts = version.trim().split('.');
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) < (2, 1)
}

impl CoreMetadata {
    /// Parses METADATA / PKG-INFO bytes. Never panics; input that is damaged but readable gives
    /// a result with [`Self::warnings`], input that is not core metadata at all gives an error.
    pub fn parse(bytes: &[u8]) -> Result<Self, MetadataError> {
        let mut warnings = Vec::new();
        if bytes.starts_with(b"PK\x03\x04") {
            return Err(MetadataError::ZipArchive);
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(err) => {
                warnings.push(format!(
                    "the metadata is not valid UTF-8 (first bad byte at offset {}); \
                     undecodable bytes were replaced by U+FFFD",
                    err.valid_up_to()
                ));
                String::from_utf8_lossy(bytes)
            }
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        if text.trim().is_empty() {
            return Err(MetadataError::Empty);
        }
        let lines: Vec<&str> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        if let Some(first) = lines.first() {
            if header_name(first).is_none() {
                let shown: String = first.chars().take(80).collect();
                return Err(MetadataError::NotHeaders(shown));
            }
        }

        // For each line, whether a header of a known field starts at or after it: a damaged
        // legacy file "resumes" its headers there.
        let mut known_header_from = vec![false; lines.len() + 1];
        for index in (0..lines.len()).rev() {
            known_header_from[index] =
                is_known_header(lines[index]) || known_header_from[index + 1];
        }

        let mut fields: Vec<(String, String)> = Vec::new();
        let mut current: Option<Field<'_>> = None;
        let mut body_start = None;
        for (index, line) in lines.iter().enumerate() {
            if !line.is_empty() && line.starts_with([' ', '\t']) {
                if let Some(field) = current.as_mut() {
                    field.continuation.push(line);
                }
                continue;
            }
            if let Some((name, value)) = header_name(line) {
                if let Some(field) = current.take() {
                    fields.push(field.finish(&mut warnings));
                }
                current = Some(Field {
                    name: canonical_field(name),
                    first: value,
                    continuation: Vec::new(),
                    rescued: None,
                });
                continue;
            }
            // An empty line or a line that is neither a header nor a continuation.
            let legacy = fields
                .iter()
                .find(|(name, _)| name == "Metadata-Version")
                .is_none_or(|(_, version)| legacy_metadata_version(version));
            let next = lines[index + 1..].iter().position(|l| !l.is_empty());
            let next_is_indented =
                next.is_some_and(|offset| lines[index + 1 + offset].starts_with([' ', '\t']));
            let next_is_known_header =
                next.is_some_and(|offset| is_known_header(lines[index + 1 + offset]));
            let in_description = current.as_ref().is_some_and(|f| f.name == "Description");
            let rescue = (legacy && known_header_from[index + 1])
                || (line.is_empty()
                    && in_description
                    && (next_is_indented || next_is_known_header));
            if rescue {
                if let Some(field) = current.as_mut() {
                    field.continuation.push(line);
                    let (count, _) = field.rescued.get_or_insert((0, index + 1));
                    *count += 1;
                    continue;
                }
            }
            if !line.is_empty() {
                let shown: String = line.chars().take(60).collect();
                warnings.push(format!(
                    "line {} ({shown:?}) is neither a header nor a continuation line and no \
                     empty line precedes it; it and everything after it were read as the \
                     description body, as Python's email parser does",
                    index + 1
                ));
                body_start = Some(index);
            } else {
                body_start = Some(index + 1);
            }
            break;
        }
        if let Some(field) = current.take() {
            fields.push(field.finish(&mut warnings));
        }

        let body = body_start
            .and_then(|start| lines.get(start..))
            .map(|rest| rest.join("\n"))
            .filter(|body| !body.trim().is_empty());
        let header_description = fields.iter().position(|(name, _)| name == "Description");
        let description = match (header_description, body) {
            (Some(index), Some(_)) => {
                warnings.push(
                    "a Description header and a message body are both present; the header is kept"
                        .to_owned(),
                );
                Some(fields.remove(index).1)
            }
            (Some(index), None) => Some(fields.remove(index).1),
            (None, body) => body,
        };

        for (name, count) in count_single_use(&fields) {
            warnings.push(format!(
                "{name} appears {count} times but may appear once; the first value is used"
            ));
        }
        for required in ["Metadata-Version", "Name", "Version"] {
            if !fields.iter().any(|(name, _)| name == required) {
                warnings.push(format!("the required field {required} is missing"));
            }
        }
        Ok(Self {
            fields,
            description,
            warnings,
        })
    }

    /// The header fields in file order, names canonical (`Home-page`, `Author-email`, ...;
    /// unknown fields as written); the Description is not among them, see
    /// [`Self::description`].
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The first value of a field, the name compared case-insensitively.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(field))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a field, in file order.
    pub fn get_all(&self, field: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(field))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// `Metadata-Version`.
    pub fn metadata_version(&self) -> Option<&str> {
        self.get("Metadata-Version")
    }

    /// `Name`, trimmed.
    pub fn name(&self) -> Option<&str> {
        self.get("Name").map(str::trim).filter(|n| !n.is_empty())
    }

    /// `Version`, trimmed (parse it with [`super::Version`] when a PEP 440 version is needed;
    /// legacy packages have versions that are not).
    pub fn version(&self) -> Option<&str> {
        self.get("Version").map(str::trim).filter(|v| !v.is_empty())
    }

    /// `Requires-Dist` values, as written.
    pub fn requires_dist(&self) -> Vec<&str> {
        self.get_all("Requires-Dist")
    }

    /// `Requires-Python`.
    pub fn requires_python(&self) -> Option<&str> {
        self.get("Requires-Python").map(str::trim)
    }

    /// `Summary`.
    pub fn summary(&self) -> Option<&str> {
        self.get("Summary")
    }

    /// The description: the `Description` header or, as metadata 2.1+ writes it, the body.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The licence: `License-Expression`, else `License` (unless empty or `UNKNOWN`), else the
    /// `License :: ...` classifiers.
    pub fn license(&self) -> Option<License> {
        if let Some(expression) = self.get("License-Expression").map(str::trim) {
            if !expression.is_empty() {
                return Some(License::Expression(expression.to_owned()));
            }
        }
        if let Some(text) = self.get("License").map(str::trim) {
            if !text.is_empty() && text != "UNKNOWN" {
                return Some(License::Text(text.to_owned()));
            }
        }
        let classifiers: Vec<String> = self
            .get_all("Classifier")
            .into_iter()
            .filter(|c| c.starts_with("License ::"))
            .map(str::to_owned)
            .collect();
        (!classifiers.is_empty()).then_some(License::Classifiers(classifiers))
    }

    /// The metadata as the JSON object Thoth's solver records from `importlib_metadata.metadata`:
    /// field names as keys, multiple-use fields ([`MULTIPLE_USE_FIELDS`], and unknown fields that
    /// are repeated) as arrays of strings, others as strings (the first value), the description
    /// under `Description`.
    pub fn to_json_map(&self) -> Map<String, Value> {
        let mut map = Map::new();
        for (name, value) in &self.fields {
            let multiple = MULTIPLE_USE_FIELDS.contains(&name.as_str())
                || (!KNOWN_FIELDS.contains(&name.as_str())
                    && self.fields.iter().filter(|(n, _)| n == name).count() > 1);
            if multiple {
                if let Value::Array(values) = map
                    .entry(name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()))
                {
                    values.push(Value::String(value.clone()));
                }
            } else {
                map.entry(name.clone())
                    .or_insert_with(|| Value::String(value.clone()));
            }
        }
        if let Some(description) = &self.description {
            map.insert("Description".to_owned(), Value::String(description.clone()));
        }
        map
    }
}

/// Known single-use fields that appear more than once, with their counts, in file order.
fn count_single_use(fields: &[(String, String)]) -> Vec<(String, usize)> {
    let mut repeated: Vec<(String, usize)> = Vec::new();
    for (name, _) in fields {
        if !KNOWN_FIELDS.contains(&name.as_str()) || MULTIPLE_USE_FIELDS.contains(&name.as_str()) {
            continue;
        }
        match repeated.iter_mut().find(|(n, _)| n == name) {
            Some((_, count)) => *count += 1,
            None => repeated.push((name.clone(), 1)),
        }
    }
    repeated.retain(|(_, count)| *count > 1);
    repeated
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn headers_body_and_case() {
        let m = CoreMetadata::parse(
            b"Metadata-Version: 2.1\r\nname: Foo\r\nVERSION: 1.0\r\nhome-page: https://x\r\n\
              Classifier: A\r\nClassifier: B\r\nX-Custom: 1\r\nX-Custom: 2\r\n\r\nBody line\r\n",
        )
        .unwrap();
        assert_eq!(m.name(), Some("Foo"));
        assert_eq!(m.version(), Some("1.0"));
        assert_eq!(m.fields()[1].0, "Name");
        assert_eq!(m.fields()[3].0, "Home-page");
        assert_eq!(m.description(), Some("Body line\n"));
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
        let json = m.to_json_map();
        assert_eq!(json["Classifier"], serde_json::json!(["A", "B"]));
        assert_eq!(json["X-Custom"], serde_json::json!(["1", "2"]));
        assert_eq!(json["Home-page"], "https://x");
        assert_eq!(json["Description"], "Body line\n");
    }

    #[test]
    fn continuation_styles() {
        let m = CoreMetadata::parse(
            b"Metadata-Version: 1.0\nName: a\nVersion: 1\nDescription: first\n        |second\n        |\n        |  indented\nLicense: Line one\n        line two\n",
        )
        .unwrap();
        assert_eq!(m.description(), Some("first\nsecond\n\n  indented"));
        assert_eq!(m.get("license"), Some("Line one\nline two"));
    }

    #[test]
    fn repairs_are_warnings() {
        let m = CoreMetadata::parse(b"Name: a\nName: b\nVersion: \xff1\n").unwrap();
        assert_eq!(m.name(), Some("a"));
        assert_eq!(m.version(), Some("\u{fffd}1"));
        assert!(m.warnings.iter().any(|w| w.contains("not valid UTF-8")));
        assert!(
            m.warnings
                .iter()
                .any(|w| w.contains("Name appears 2 times"))
        );
        assert!(
            m.warnings
                .iter()
                .any(|w| w.contains("Metadata-Version is missing"))
        );
        assert_eq!(
            CoreMetadata::parse(b" \n\n").unwrap_err(),
            MetadataError::Empty
        );
        assert!(matches!(
            CoreMetadata::parse(b"just some text\n").unwrap_err(),
            MetadataError::NotHeaders(_)
        ));
    }

    #[test]
    fn license_preference() {
        let parse = |s: &str| CoreMetadata::parse(s.as_bytes()).unwrap().license();
        assert_eq!(
            parse("Name: a\nLicense: MIT\nLicense-Expression: Apache-2.0\n"),
            Some(License::Expression("Apache-2.0".into()))
        );
        assert_eq!(
            parse(
                "Name: a\nLicense: UNKNOWN\nClassifier: License :: OSI Approved :: MIT License\n"
            ),
            Some(License::Classifiers(vec![
                "License :: OSI Approved :: MIT License".into()
            ]))
        );
        assert_eq!(parse("Name: a\n"), None);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = CoreMetadata::parse(&bytes);
        }

        #[test]
        fn header_like_text_never_panics(text in "([A-Za-z-]{1,12}: [^\n]{0,20}\n|[ \t]+[^\n]{0,10}\n|\n|[^\n]{0,15}\n){0,20}") {
            if let Ok(m) = CoreMetadata::parse(text.as_bytes()) {
                let _ = m.to_json_map();
                let _ = m.license();
            }
        }
    }
}
