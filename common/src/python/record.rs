//! The files an installed distribution lists: `RECORD` (PEP 376/627, CSV of path, hash, size),
//! and the older one-path-per-line lists `installed-files.txt` (pip's egg-info record) and
//! `top_level.txt`.

/// A `RECORD` hash: `algorithm=digest`, the digest in URL-safe base64 without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordHash {
    /// `sha256` normally.
    pub algorithm: String,
    /// The digest as written (URL-safe base64).
    pub digest: String,
}

impl RecordHash {
    /// The digest as lowercase hex (how indexes give sha256 hashes), or `None` if it is not
    /// valid URL-safe base64.
    pub fn to_hex(&self) -> Option<String> {
        let bytes = decode_urlsafe_base64(&self.digest)?;
        Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// One `RECORD` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordEntry {
    /// The path, relative to the site-packages directory (may start with `../` for scripts).
    pub path: String,
    /// The hash; absent for RECORD itself, `.pyc` files and installer-written files.
    pub hash: Option<RecordHash>,
    /// The size in bytes, when given.
    pub size: Option<u64>,
}

/// A parsed `RECORD`: the entries that could be read, and why the others could not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    /// Entries in file order.
    pub entries: Vec<RecordEntry>,
    /// One message per line that was skipped or only partly read, with its line number.
    pub warnings: Vec<String>,
}

/// Splits one CSV line (Python's `csv` dialect: `,` separator, `"` quoting, `""` for a quote).
fn csv_fields(line: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            }
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            ',' if !quoted => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
            }
            c => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed");
    }
    fields.push(field);
    Ok(fields)
}

fn decode_urlsafe_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    (bits < 6).then_some(out)
}

fn lossy_text<'a>(
    bytes: &'a [u8],
    warnings: &mut Vec<String>,
    what: &str,
) -> std::borrow::Cow<'a, str> {
    if let Err(err) = std::str::from_utf8(bytes) {
        warnings.push(format!(
            "the {what} is not valid UTF-8 (first bad byte at offset {}); undecodable bytes were \
             replaced by U+FFFD",
            err.valid_up_to()
        ));
    }
    String::from_utf8_lossy(bytes)
}

/// Parses a `RECORD` file. Never fails: unreadable lines are skipped with a warning, so that one
/// damaged line (a merge-conflict marker committed into a vendored virtualenv, say) does not hide
/// the rest of the files.
pub fn parse_record(bytes: &[u8]) -> Record {
    let mut record = Record::default();
    let text = lossy_text(bytes, &mut record.warnings, "RECORD");
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if ["<<<<<<<", "=======", ">>>>>>>"]
            .iter()
            .any(|marker| line.starts_with(marker))
        {
            record.warnings.push(format!(
                "line {number} is a git merge-conflict marker ({:?}); the file was committed \
                 mid-merge and its entries may be duplicated or wrong",
                line.chars().take(20).collect::<String>()
            ));
            continue;
        }
        let fields = match csv_fields(line) {
            Ok(fields) => fields,
            Err(why) => {
                record
                    .warnings
                    .push(format!("line {number} skipped: {why}"));
                continue;
            }
        };
        if fields.len() != 3 {
            record.warnings.push(format!(
                "line {number} has {} field(s), expected 3 (path,hash,size){}",
                fields.len(),
                if fields.len() < 3 {
                    "; skipped"
                } else {
                    "; extra fields ignored"
                }
            ));
            if fields.len() < 3 {
                continue;
            }
        }
        let path = fields[0].clone();
        if path.is_empty() {
            record
                .warnings
                .push(format!("line {number} has an empty path; skipped"));
            continue;
        }
        let hash = match fields[1].as_str() {
            "" => None,
            text => match text.split_once('=') {
                Some((algorithm, digest))
                    if !algorithm.is_empty() && decode_urlsafe_base64(digest).is_some() =>
                {
                    Some(RecordHash {
                        algorithm: algorithm.to_owned(),
                        digest: digest.to_owned(),
                    })
                }
                _ => {
                    record.warnings.push(format!(
                        "line {number}: hash {text:?} is not `algorithm=urlsafe-base64`; ignored"
                    ));
                    None
                }
            },
        };
        let size = match fields[2].trim() {
            "" => None,
            text => match text.parse() {
                Ok(size) => Some(size),
                Err(_) => {
                    record.warnings.push(format!(
                        "line {number}: size {text:?} is not a number; ignored"
                    ));
                    None
                }
            },
        };
        record.entries.push(RecordEntry { path, hash, size });
    }
    record
}

/// Parses a one-path-per-line list (`installed-files.txt`, `top_level.txt`): non-empty lines,
/// trimmed, in file order. Invalid UTF-8 is decoded lossily.
pub fn parse_line_list(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn entries_hashes_sizes() {
        let record = parse_record(
            b"\"a,b.py\",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\r\nx/RECORD,,\n\n",
        );
        assert!(record.warnings.is_empty(), "{:?}", record.warnings);
        assert_eq!(record.entries.len(), 2);
        assert_eq!(record.entries[0].path, "a,b.py");
        let hash = record.entries[0].hash.as_ref().unwrap();
        assert_eq!(
            hash.to_hex().unwrap(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(record.entries[0].size, Some(0));
        assert_eq!(record.entries[1].hash, None);
    }

    #[test]
    fn bad_lines_are_warnings() {
        let record = parse_record(b"a,md5,1\nb,sha256=AAAA,big\nonly-a-path\n\"open,,\nc,,,4\n");
        assert_eq!(record.entries.len(), 3);
        assert_eq!(record.entries[0].hash, None);
        assert_eq!(record.entries[1].size, None);
        assert_eq!(record.warnings.len(), 5, "{:?}", record.warnings);
        assert!(record.warnings[2].starts_with("line 3 has 1 field(s)"));
        assert!(record.warnings[3].contains("not closed"));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let record = parse_record(&bytes);
            for entry in record.entries {
                if let Some(hash) = entry.hash { let _ = hash.to_hex(); }
            }
            let _ = parse_line_list(&bytes);
        }
    }
}
