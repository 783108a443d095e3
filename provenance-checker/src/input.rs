//! `-r` / `-l` values: a path, or (as Thoth accepted) the content itself.

use std::path::Path;

use common::AnalyzerError;

/// An input read: its text and the file name when it was a path.
pub struct Input {
    pub text: String,
    pub name: Option<String>,
}

/// Reads `value` as a file; when no such file exists and the value looks like content (it has
/// a newline, an escaped one, or starts a JSON/TOML document), takes it as the content with
/// `\n` unescaped, as Thoth did.
pub fn read(value: &str, what: &str) -> Result<Input, AnalyzerError> {
    let path = Path::new(value);
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Input {
            text,
            name: Some(value.to_owned()),
        }),
        Err(e) if path.exists() => Err(AnalyzerError::input(format!(
            "cannot read the {what} {value}: {e}"
        ))),
        Err(e) => {
            let content = value.contains('\n')
                || value.contains("\\n")
                || value.trim_start().starts_with(['{', '[']);
            if content {
                Ok(Input {
                    text: value.replace("\\n", "\n"),
                    name: None,
                })
            } else {
                Err(
                    AnalyzerError::input(format!("cannot read the {what} {value}: {e}"))
                        .with_hint("give a path, or the file's content itself"),
                )
            }
        }
    }
}
