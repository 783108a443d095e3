//! The runner's own stderr lines (an error and its hint, the closing summary line), in the
//! format the user chose for the log: `error: ...` / `hint: ...` as text, or one JSON object per
//! line with the keys of the tracing JSON layer (`timestamp`, `level`, `message`, the fields,
//! `target`), so a log collector parses every line of a run. Every line passes the secret scrub.

use serde_json::{Map, Value};

use crate::cli::LogFormat;
use crate::clock::Timestamp;
use crate::secret::{eprintln_scrubbed, redact_json};

/// The level of a notice, as the tracing layer spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Info,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Self::Error => "ERROR",
            Self::Info => "INFO",
        }
    }
}

/// Where the runner's lines go and how they look.
#[derive(Debug, Clone, Copy)]
pub struct Notices {
    pub format: LogFormat,
}

impl Notices {
    pub fn new(format: LogFormat) -> Self {
        Self { format }
    }

    /// A failure in plain words: `error: MESSAGE` then `hint: HINT` as text; one ERROR object
    /// with `hint` (and the other fields) as JSON.
    pub fn error(&self, message: &str, hint: Option<&str>, fields: &[(&str, Value)]) {
        match self.format {
            LogFormat::Text => {
                eprintln_scrubbed(&format!("error: {message}"));
                if let Some(hint) = hint {
                    eprintln_scrubbed(&format!("hint: {hint}"));
                }
            }
            LogFormat::Json => {
                let mut all: Vec<(&str, Value)> = fields.to_vec();
                if let Some(hint) = hint {
                    all.push(("hint", Value::String(hint.to_owned())));
                }
                eprintln_scrubbed(&json_line(Level::Error, message, &all));
            }
        }
    }

    /// A line as it is (text), or an object of `level` (JSON).
    pub fn line(&self, level: Level, message: &str, fields: &[(&str, Value)]) {
        match self.format {
            LogFormat::Text => eprintln_scrubbed(message),
            LogFormat::Json => eprintln_scrubbed(&json_line(level, message, fields)),
        }
    }
}

/// One object as `tracing_subscriber`'s JSON layer with `flatten_event(true)` writes it.
pub fn json_line(level: Level, message: &str, fields: &[(&str, Value)]) -> String {
    let mut object = Map::new();
    object.insert(
        "timestamp".into(),
        Value::String(format!("{}Z", Timestamp::now().to_thoth_datetime())),
    );
    object.insert("level".into(), Value::String(level.as_str().into()));
    object.insert("message".into(), Value::String(message.to_owned()));
    for (key, value) in fields {
        // The layer's own keys win: a field cannot pass itself off as the message.
        if !object.contains_key(*key) {
            object.insert((*key).to_owned(), value.clone());
        }
    }
    object.insert("target".into(), Value::String("common::runner".into()));
    // Scrubbed here as values (JSON-escaped secrets too), and again as text on the way out.
    redact_json(Value::Object(object)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_have_the_tracing_keys_and_keep_their_own() {
        let line = json_line(
            Level::Error,
            "cannot open the image",
            &[
                ("hint", Value::String("check the path".into())),
                ("message", Value::String("spoofed".into())),
            ],
        );
        let v: Value = serde_json::from_str(&line).expect("one JSON object");
        assert_eq!(v["level"], "ERROR");
        assert_eq!(v["message"], "cannot open the image");
        assert_eq!(v["hint"], "check the path");
        assert_eq!(v["target"], "common::runner");
        let ts = v["timestamp"].as_str().expect("a timestamp");
        assert!(ts.ends_with('Z') && ts.len() == 27, "{ts}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn urls_in_json_lines_lose_their_credentials() {
        let line = json_line(
            Level::Info,
            "sent to https://alice:s3cr3t-token@sink.test/doc",
            &[],
        );
        assert!(!line.contains("s3cr3t-token"), "{line}");
    }
}
