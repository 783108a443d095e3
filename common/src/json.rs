//! Deterministic JSON text: keys sorted at every level, whatever `serde_json` features other
//! crates in the build switch on (`preserve_order` would otherwise change the key order).

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Arrays longer than this print one compact element per line in the pretty layout.
pub const LONG_ARRAY: usize = 1_000;

/// Serialises `value` with object keys sorted; `pretty` gives Thoth's layout (two-space indent,
/// `": "`), otherwise compact. The text ends with a newline.
///
/// In the pretty layout an array of more than [`LONG_ARRAY`] elements lists each element
/// compact on its own line: a report of thousands of findings is read by programs, and
/// indenting every field of every element made such documents half as large again (2,000
/// findings: 1.25 MB pretty, 0.89 MB compact).
pub fn to_sorted_string(value: &Value, pretty: bool) -> String {
    let mut text = String::new();
    if pretty {
        write_pretty(value, 0, &mut text);
    } else {
        text = compact(value);
    }
    text.push('\n');
    text
}

fn compact(value: &Value) -> String {
    // Serialising a Value to a String cannot fail: all keys are strings and there is no I/O.
    serde_json::to_string(&Sorted(value))
        .unwrap_or_else(|e| format!("{{\"error\": true, \"error_msg\": \"{e}\"}}"))
}

/// `serde_json`'s pretty layout, byte for byte, but for long arrays (see [`to_sorted_string`]).
fn write_pretty(value: &Value, depth: usize, out: &mut String) {
    let indent = |out: &mut String, depth: usize| {
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push_str("{\n");
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(out, depth + 1);
                out.push_str(&compact(&Value::String(key.clone())));
                out.push_str(": ");
                write_pretty(item, depth + 1, out);
            }
            out.push('\n');
            indent(out, depth);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n");
                }
                indent(out, depth + 1);
                if items.len() > LONG_ARRAY {
                    out.push_str(&compact(item));
                } else {
                    write_pretty(item, depth + 1, out);
                }
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        }
        scalar => out.push_str(&compact(scalar)),
    }
}

struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    out.serialize_entry(k, &Sorted(v))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Sorted(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_keys_at_every_level() {
        let v = serde_json::json!({"b": 1, "a": {"z": [ {"y": 1, "x": 2} ], "c": null}});
        assert_eq!(
            to_sorted_string(&v, false),
            "{\"a\":{\"c\":null,\"z\":[{\"x\":2,\"y\":1}]},\"b\":1}\n"
        );
        assert_eq!(
            to_sorted_string(&serde_json::json!({"k": [1]}), true),
            "{\n  \"k\": [\n    1\n  ]\n}\n"
        );
    }

    #[test]
    fn the_pretty_layout_is_serde_json_s_but_for_long_arrays() {
        let v = serde_json::json!({
            "b": [{"y": [1, 2.5, -3], "x": {}}, [], "t\"\u{e9}\n", null, true],
            "a": {"c": {"d": 1e300, "e": u64::MAX}},
        });
        let sorted = Sorted(&v);
        let expected = serde_json::to_string_pretty(&sorted).expect("serialises") + "\n";
        assert_eq!(to_sorted_string(&v, true), expected);
        let long: Vec<Value> = (0..=LONG_ARRAY)
            .map(|i| serde_json::json!({"i": i, "a": [i]}))
            .collect();
        let text = to_sorted_string(&serde_json::json!({ "report": long }), true);
        assert!(
            text.starts_with("{\n  \"report\": [\n    {\"a\":[0],\"i\":0},\n"),
            "{text:.60}"
        );
        assert_eq!(text.lines().count(), LONG_ARRAY + 1 + 4);
        let short: Vec<Value> = long[..LONG_ARRAY].to_vec();
        let text = to_sorted_string(&serde_json::json!({ "report": short }), true);
        assert!(text.contains("    {\n      \"a\": [\n"), "{text:.80}");
    }
}
