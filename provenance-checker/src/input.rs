//! `-r` / `-l` values: a path, or (as Thoth accepted) the content itself, never more than the
//! size limit (`--max-lock-size`): the parsers hold the whole document in memory.

use std::io::Read;
use std::path::Path;

use common::AnalyzerError;

use common::secret::redact_url;

/// The default `--max-lock-size`: 16 MiB, some twenty times the largest real locks seen (a
/// few hundred packages with every wheel hashed), and small enough that the largest lock
/// accepted is checked in well under 256 MiB.
pub const DEFAULT_MAX_LOCK_SIZE: u64 = 16 * 1024 * 1024;

/// An input read: its text and the file name when it was a path.
pub struct Input {
    pub text: String,
    pub name: Option<String>,
}

/// Reads `value` as a file; when no such file exists and the value looks like content (it has
/// a newline, an escaped one, or starts a JSON/TOML document), takes it as the content with
/// `\n` unescaped, as Thoth did. Either way at most `max` bytes: a larger input (or a device
/// that never ends) is an input error, read no further than the limit.
pub fn read(value: &str, what: &str, max: u64) -> Result<Input, AnalyzerError> {
    let path = Path::new(value);
    // The value is shown in messages: it may be content with credentials, or very long.
    let shown = || {
        let mut s = redact_url(value);
        if s.len() > 200 {
            let mut cut = 200;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            s.push('…');
        }
        s
    };
    match std::fs::File::open(path) {
        Ok(file) => {
            let mut bytes = Vec::new();
            file.take(max.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|e| {
                    AnalyzerError::input(format!("cannot read the {what} {}: {e}", shown()))
                })?;
            if bytes.len() as u64 > max {
                return Err(too_large(what, &shown(), max));
            }
            let text = String::from_utf8(bytes).map_err(|e| {
                AnalyzerError::input(format!("the {what} {} is not UTF-8 text: {e}", shown()))
            })?;
            Ok(Input {
                text,
                name: Some(value.to_owned()),
            })
        }
        Err(e) if path.exists() => Err(AnalyzerError::input(format!(
            "cannot read the {what} {}: {e}",
            shown()
        ))),
        Err(e) => {
            let content = value.contains('\n')
                || value.contains("\\n")
                || value.trim_start().starts_with(['{', '[']);
            if !content {
                return Err(AnalyzerError::input(format!(
                    "cannot read the {what} {}: {e}",
                    shown()
                ))
                .with_hint("give a path, or the file's content itself"));
            }
            if value.len() as u64 > max {
                return Err(too_large(what, "given as content", max));
            }
            Ok(Input {
                text: value.replace("\\n", "\n"),
                name: None,
            })
        }
    }
}

fn too_large(what: &str, shown: &str, max: u64) -> AnalyzerError {
    AnalyzerError::input(format!(
        "the {what} {shown} is larger than the limit of {max} bytes"
    ))
    .with_hint("a lock of that size is unusual; if it is genuine, raise the limit with --max-lock-size BYTES (THOTH_ADVISER_MAX_LOCK_SIZE)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_limit_is_refused_without_reading_it_all() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("Pipfile.lock");
        std::fs::write(&path, vec![b' '; 101]).expect("write");
        let path = path.to_str().expect("utf-8");
        let err = read(path, "lock file", 100).err().expect("too large");
        assert!(
            err.message.contains("larger than the limit of 100 bytes"),
            "{}",
            err.message
        );
        assert!(err.hint.expect("hint").contains("--max-lock-size"));
        assert_eq!(read(path, "lock file", 101).expect("fits").text.len(), 101);
        // A device that never ends is read up to the limit only.
        let err = read("/dev/zero", "lock file", 1000).err().expect("endless");
        assert!(
            err.message.contains("larger than the limit"),
            "{}",
            err.message
        );
    }

    #[test]
    fn content_over_the_limit_is_refused_and_credentials_never_shown() {
        let value = format!(
            "{{\"x\": \"http://alice:s3cret@127.0.0.1/\"}}{}",
            " ".repeat(100)
        );
        let err = read(&value, "lock file", 50).err().expect("too large");
        assert!(!err.message.contains("s3cret"), "{}", err.message);
        let err = read("no-such-file-http://bob:t0k@h/", "lock file", 50)
            .err()
            .expect("missing");
        assert!(!err.message.contains("t0k"), "{}", err.message);
    }
}
