//! `entry_points.txt`: the INI file of console scripts and plugins a distribution declares.

use serde::Serialize;

/// One entry point, in the `{name, value, group}` shape `importlib.metadata` gives and Thoth's
/// documents record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct EntryPoint {
    /// The name (`pygmentize`).
    pub name: String,
    /// The object reference, `module:attr [extras]` (`pygments.cmdline:main`).
    pub value: String,
    /// The section (`console_scripts`).
    pub group: String,
}

/// The entry points that could be read and why other lines could not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntryPoints {
    /// Entries in file order.
    pub entries: Vec<EntryPoint>,
    /// One message per skipped line, with its line number.
    pub warnings: Vec<String>,
}

/// Parses `entry_points.txt`: `[group]` sections of `name = value` lines; `#` and `;` start
/// comment lines. As in `importlib.metadata`, only `=` separates name and value and both are
/// trimmed. Never fails: lines outside a section or without `=` are skipped with a warning.
pub fn parse_entry_points(bytes: &[u8]) -> EntryPoints {
    let mut result = EntryPoints::default();
    if let Err(err) = std::str::from_utf8(bytes) {
        result.warnings.push(format!(
            "entry_points.txt is not valid UTF-8 (first bad byte at offset {}); undecodable bytes \
             were replaced by U+FFFD",
            err.valid_up_to()
        ));
    }
    let text = String::from_utf8_lossy(bytes);
    let mut group: Option<String> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(inner) = line.strip_prefix('[') {
            match inner.strip_suffix(']') {
                Some(name) if !name.trim().is_empty() => group = Some(name.trim().to_owned()),
                _ => {
                    result
                        .warnings
                        .push(format!("line {number}: malformed section header {line:?}"));
                    group = None;
                }
            }
            continue;
        }
        let Some(current) = &group else {
            result.warnings.push(format!(
                "line {number} is outside any [group] section; skipped"
            ));
            continue;
        };
        match line.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => result.entries.push(EntryPoint {
                name: name.trim().to_owned(),
                value: value.trim().to_owned(),
                group: current.clone(),
            }),
            _ => result
                .warnings
                .push(format!("line {number} is not `name = value`; skipped")),
        }
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn groups_and_entries() {
        let parsed = parse_entry_points(
            b"# comment\n[console_scripts]\npygmentize = pygments.cmdline:main\n\n\
              [pygments.lexers]\nfoo=pkg.mod:Lexer [extra1]\n; other comment\n",
        );
        assert!(parsed.warnings.is_empty());
        assert_eq!(
            parsed.entries,
            vec![
                EntryPoint {
                    name: "pygmentize".into(),
                    value: "pygments.cmdline:main".into(),
                    group: "console_scripts".into()
                },
                EntryPoint {
                    name: "foo".into(),
                    value: "pkg.mod:Lexer [extra1]".into(),
                    group: "pygments.lexers".into()
                },
            ]
        );
        let json = serde_json::to_value(&parsed.entries[0]).unwrap();
        assert_eq!(json["group"], "console_scripts");
    }

    #[test]
    fn bad_lines_are_warnings() {
        let parsed = parse_entry_points(
            b"orphan = x:y\n[broken\n[ok]\nno equals sign\n= novalue\nfine = a:b\n",
        );
        assert_eq!(parsed.entries.len(), 1);
        assert_eq!(parsed.entries[0].name, "fine");
        assert_eq!(parsed.warnings.len(), 4, "{:?}", parsed.warnings);
        assert!(parsed.warnings[0].starts_with("line 1 is outside"));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_entry_points(&bytes);
        }
    }
}
