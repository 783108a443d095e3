//! The control-file format of dpkg's databases: paragraphs of `Field: value` lines separated by
//! blank lines, continuation lines indented.
//!
//! Written here rather than with `deb822-fast`: that parser stops at the first malformed line
//! and returns nothing for the whole file, and it needs UTF-8. A package database of a real
//! image must still yield every readable paragraph, so this one skips a bad line with a warning
//! and reads bytes lossily (old Descriptions carry Latin-1).

/// One paragraph: its fields in file order and the line it starts on (1-based), for warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    pub line: usize,
    fields: Vec<(String, String)>,
}

impl Paragraph {
    /// A field's value; names compare case-insensitively, as dpkg does. Continuation lines are
    /// joined with `\n`, each trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A field's value with continuation lines joined by spaces (relation fields may be folded).
    pub fn get_folded(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(|v| v.split('\n').collect::<Vec<_>>().join(" "))
    }
}

/// Every paragraph of `bytes`, and a warning for each line that could not be read.
pub fn parse(bytes: &[u8]) -> (Vec<Paragraph>, Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    let mut paragraphs = Vec::new();
    let mut warnings = Vec::new();
    let mut current: Option<Paragraph> = None;
    for (index, raw) in text.split('\n').enumerate() {
        let number = index + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            paragraphs.extend(current.take());
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match current.as_mut().and_then(|p| p.fields.last_mut()) {
                Some((_, value)) => {
                    value.push('\n');
                    value.push_str(line.trim());
                }
                None => warnings.push(format!(
                    "line {number}: continuation line with no field before it: {:?}",
                    truncate(line)
                )),
            }
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if valid_name(name) => current
                .get_or_insert_with(|| Paragraph {
                    line: number,
                    fields: Vec::new(),
                })
                .fields
                .push((name.to_owned(), value.trim().to_owned())),
            _ => warnings.push(format!(
                "line {number}: not a `Field: value` line: {:?}",
                truncate(line)
            )),
        }
    }
    paragraphs.extend(current);
    (paragraphs, warnings)
}

/// dpkg field names: printable ASCII without spaces or colons, not starting with `#` or `-`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['#', '-'])
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

/// Bad lines are quoted in warnings; a binary blob must not make them huge.
fn truncate(line: &str) -> String {
    line.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_fields_and_continuations() {
        let (ps, warnings) = parse(
            b"\n\nPackage: a\nDepends: x,\n y (>= 1)\nDescription: d\n line\n .\n\n\n\nPackage: b\r\nVersion: 1\r\n",
        );
        assert!(warnings.is_empty());
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].line, 3);
        assert_eq!(ps[0].get("package"), Some("a"));
        assert_eq!(ps[0].get_folded("Depends").as_deref(), Some("x, y (>= 1)"));
        assert_eq!(ps[0].get("Description"), Some("d\nline\n."));
        assert_eq!(ps[1].get("Version"), Some("1"));
    }

    #[test]
    fn bad_lines_are_skipped_with_warnings() {
        let (ps, warnings) =
            parse(b" orphan\nPackage: a\nno colon here\nVersion: 1\n\xff\xfe: x\n");
        assert_eq!(ps.len(), 1);
        assert_eq!(ps[0].get("Version"), Some("1"));
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].starts_with("line 1:"));
        assert!(warnings[1].starts_with("line 3:"));
    }

    #[test]
    fn empty_and_binary_input_do_not_panic() {
        assert_eq!(parse(b"").0, vec![]);
        let junk: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let _ = parse(&junk);
    }
}
