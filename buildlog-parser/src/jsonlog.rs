//! The log inside a JSON document (`-j/--jsonpath`, Thoth's BuildLog JSON under `$.log`).
//!
//! A path of member names only (`$.log`, `$.a.b`, `$['log']`) is followed with a streaming
//! reader: the document is never held, and the log string is decoded as it is read and handed
//! to the parser line by line, so a 50 MB log on one JSON line costs what the plain-text log
//! does. Any other RFC 9535 query needs the whole document: it is read into memory up to
//! [`MAX_JSON_IN_MEMORY`] and refused beyond, with a message that says how to stream instead.

use std::io::Read;

use struson::reader::{JsonReader, JsonStreamReader, ReaderError, ReaderSettings, ValueType};

use crate::input::InputError;

/// The largest document a general JSONPath query reads into memory (the document, its parsed
/// tree and the selected string all live at once, so peak memory is about three times this).
pub const MAX_JSON_IN_MEMORY: u64 = 32 << 20;

/// Nesting deeper than this is refused (struson's default; serde_json's is the same).
const MAX_NESTING: u32 = 128;

/// A validated JSONPath expression, in the form it is evaluated.
#[derive(Debug, Clone)]
pub enum LogPath {
    /// Only member names from the root: streamed.
    Members(Vec<String>),
    /// Anything else: evaluated on the document in memory.
    Query(Box<serde_json_path::JsonPath>),
}

impl LogPath {
    /// Parses `expr`; an invalid expression is the user's mistake (a usage error).
    pub fn parse(expr: &str) -> Result<Self, InputError> {
        let query = serde_json_path::JsonPath::parse(expr).map_err(|e| InputError::JsonPath {
            expr: expr.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(match member_names(expr) {
            Some(names) => LogPath::Members(names),
            None => LogPath::Query(Box::new(query)),
        })
    }
}

/// `$.a.b`, `$['a']`, `$["a"]` and mixes of them, as member names; `None` for anything else
/// (wildcards, indexes, filters, descendants, escapes), which the general query handles.
fn member_names(expr: &str) -> Option<Vec<String>> {
    let mut rest = expr.strip_prefix('$')?;
    let mut names = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let name = &after[..end];
            let mut chars = name.chars();
            let first = chars.next()?;
            let shorthand = |c: char| c == '_' || c.is_ascii_alphanumeric() || !c.is_ascii();
            if first.is_ascii_digit() || !shorthand(first) || !chars.all(shorthand) {
                return None;
            }
            names.push(name.to_owned());
            rest = &after[end..];
        } else {
            let after = rest.strip_prefix('[')?;
            let quote = after.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
            let body = &after[1..];
            let end = body.find(quote)?;
            let name = &body[..end];
            if name.contains('\\') || name.chars().any(char::is_control) {
                return None;
            }
            names.push(name.to_owned());
            rest = body[end + 1..].strip_prefix(']')?;
        }
    }
    Some(names)
}

/// Follows `names` through the JSON document read from `reader` and calls `parse` with a
/// reader of the selected string's decoded text. The rest of the document is checked to be
/// JSON but not kept; when a name repeats in an object the first member is used.
pub fn stream_log<R: Read, T>(
    reader: R,
    names: &[String],
    expr: &str,
    parse: impl FnOnce(&mut dyn Read) -> Result<T, InputError>,
) -> Result<T, InputError> {
    let settings = ReaderSettings {
        track_path: false,
        max_nesting_depth: Some(MAX_NESTING),
        ..ReaderSettings::default()
    };
    let mut json = JsonStreamReader::new_custom(reader, settings);
    let mut parse = Some(parse);
    let mut outcome = None;
    descend(&mut json, names, expr, &mut parse, &mut outcome)?;
    json.consume_trailing_whitespace().map_err(json_error)?;
    outcome.unwrap_or_else(|| {
        Err(InputError::NoMatch {
            expr: expr.to_owned(),
        })
    })
}

fn descend<R: Read, T, F>(
    json: &mut JsonStreamReader<R>,
    names: &[String],
    expr: &str,
    parse: &mut Option<F>,
    outcome: &mut Option<Result<T, InputError>>,
) -> Result<(), InputError>
where
    F: FnOnce(&mut dyn Read) -> Result<T, InputError>,
{
    let Some((wanted, deeper)) = names.split_first() else {
        // The selected value.
        return match json.peek().map_err(json_error)? {
            ValueType::String => {
                let f = parse.take().expect("one value is selected");
                let mut text = json.next_string_reader().map_err(json_error)?;
                let result = f(&mut text);
                let failed = result.is_err();
                *outcome = Some(result);
                if failed {
                    // The string reader may be mid-token: the document cannot be read on.
                    return Err(outcome.take().and_then(Result::err).expect("an error"));
                }
                drop(text);
                Ok(())
            }
            other => {
                *outcome = Some(Err(InputError::NotAString {
                    expr: expr.to_owned(),
                    found: value_type_name(other),
                }));
                json.skip_value().map_err(json_error)
            }
        };
    };
    if json.peek().map_err(json_error)? != ValueType::Object {
        return json.skip_value().map_err(json_error);
    }
    json.begin_object().map_err(json_error)?;
    let mut seen = false;
    while json.has_next().map_err(json_error)? {
        if !seen && json.next_name().map_err(json_error)? == wanted.as_str() {
            seen = true;
            descend(json, deeper, expr, parse, outcome)?;
        } else {
            if seen {
                json.skip_name().map_err(json_error)?;
            }
            json.skip_value().map_err(json_error)?;
        }
    }
    json.end_object().map_err(json_error)
}

fn json_error(e: ReaderError) -> InputError {
    match e {
        ReaderError::IoError { error, .. } => InputError::from(error),
        other => InputError::Json(other.to_string()),
    }
}

fn value_type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::Array => "array",
        ValueType::Object => "object",
        ValueType::String => "string",
        ValueType::Number => "number",
        ValueType::Boolean => "boolean",
        ValueType::Null => "null",
    }
}

/// Evaluates a general query on a document already in memory.
pub fn select_log(json_text: &str, expr: &str, path: &LogPath) -> Result<String, InputError> {
    let query = match path {
        LogPath::Query(q) => q.as_ref().clone(),
        LogPath::Members(_) => {
            serde_json_path::JsonPath::parse(expr).map_err(|e| InputError::JsonPath {
                expr: expr.to_owned(),
                reason: e.to_string(),
            })?
        }
    };
    let value: serde_json::Value =
        serde_json::from_str(json_text).map_err(|e| InputError::Json(e.to_string()))?;
    let nodes = query.query(&value).all();
    match nodes.as_slice() {
        [] => Err(InputError::NoMatch {
            expr: expr.to_owned(),
        }),
        [serde_json::Value::String(s)] => Ok(s.clone()),
        [other] => Err(InputError::NotAString {
            expr: expr.to_owned(),
            found: json_type(other),
        }),
        several => Err(InputError::SeveralMatches {
            expr: expr.to_owned(),
            count: several.len(),
        }),
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_are_streamed() {
        assert_eq!(member_names("$.log"), Some(vec!["log".to_owned()]));
        assert_eq!(
            member_names("$.a['b c'][\"d\"]"),
            Some(vec!["a".into(), "b c".into(), "d".into()])
        );
        assert_eq!(member_names("$"), Some(vec![]));
        for general in ["$..log", "$.*", "$[0]", "$.a[?@.b]", "$['a\\'b']", "$.1a"] {
            assert_eq!(member_names(general), None, "{general}");
        }
    }

    fn stream(doc: &str, expr: &str) -> Result<String, InputError> {
        let LogPath::Members(names) = LogPath::parse(expr)? else {
            panic!("{expr} is not a member path");
        };
        stream_log(doc.as_bytes(), &names, expr, |r| {
            let mut s = String::new();
            r.read_to_string(&mut s)?;
            Ok(s)
        })
    }

    #[test]
    fn streams_the_selected_string() {
        let doc = r#"{"metadata": {"log": 1, "x": [1, {"log": "no"}]}, "log": "a\nb\u00e9\n", "z": null}"#;
        assert_eq!(stream(doc, "$.log").expect("found"), "a\nb\u{e9}\n");
        assert_eq!(
            stream(r#"{"a": {"b": "deep"}}"#, "$.a.b").expect("found"),
            "deep"
        );
        assert!(matches!(
            stream(r#"{"a": 1}"#, "$.log"),
            Err(InputError::NoMatch { .. })
        ));
        assert!(matches!(
            stream(r#"[{"log": "x"}]"#, "$.log"),
            Err(InputError::NoMatch { .. })
        ));
        assert!(matches!(
            stream(r#"{"log": {"text": "x"}}"#, "$.log"),
            Err(InputError::NotAString {
                found: "object",
                ..
            })
        ));
        assert!(matches!(
            stream(r#"{"log": "x"} trailing"#, "$.log"),
            Err(InputError::Json(_))
        ));
        assert!(matches!(
            stream(r#"{"log": "x""#, "$.log"),
            Err(InputError::Json(_) | InputError::Io(_))
        ));
    }
}
