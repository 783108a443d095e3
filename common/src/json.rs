//! Deterministic JSON text: keys sorted at every level, whatever `serde_json` features other
//! crates in the build switch on (`preserve_order` would otherwise change the key order).

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Serialises `value` with object keys sorted; `pretty` gives Thoth's layout (two-space indent,
/// `": "`), otherwise compact. The text ends with a newline.
pub fn to_sorted_string(value: &Value, pretty: bool) -> String {
    let sorted = Sorted(value);
    let mut text = if pretty {
        serde_json::to_string_pretty(&sorted)
    } else {
        serde_json::to_string(&sorted)
    }
    // Serialising a Value to a String cannot fail: all keys are strings and there is no I/O.
    .unwrap_or_else(|e| format!("{{\"error\": true, \"error_msg\": \"{e}\"}}"));
    text.push('\n');
    text
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
}
