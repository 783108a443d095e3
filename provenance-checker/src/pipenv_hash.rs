//! The hash pipenv records in `Pipfile.lock`'s `_meta.hash.sha256`: sha256 of the Pipfile's
//! data as Python's `json.dumps(data, sort_keys=True, separators=(",", ":"))` writes it, where
//! `data` is `{"_meta": {"sources": [...], "requires": {...}}, "default": packages, "develop":
//! dev-packages}` plus every other table of the Pipfile except `scripts` and `pipenv`
//! (plette's `Pipfile.get_hash`, which pipenv uses).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Tables that are not part of the hash input under their own name.
const NOT_HASHED: &[&str] = &[
    "source",
    "packages",
    "dev-packages",
    "requires",
    "scripts",
    "pipenv",
    "default",
    "develop",
];

/// The lower-case hex sha256 pipenv computes for a Pipfile (already read into JSON values).
pub fn pipfile_hash(pipfile: &Value) -> String {
    let get = |key: &str, empty: Value| pipfile.get(key).cloned().unwrap_or(empty);
    let mut meta = Map::new();
    meta.insert("sources".into(), get("source", Value::Array(Vec::new())));
    meta.insert(
        "requires".into(),
        get("requires", Value::Object(Map::new())),
    );
    let mut data = Map::new();
    data.insert("_meta".into(), Value::Object(meta));
    data.insert("default".into(), get("packages", Value::Object(Map::new())));
    data.insert(
        "develop".into(),
        get("dev-packages", Value::Object(Map::new())),
    );
    if let Some(tables) = pipfile.as_object() {
        for (key, value) in tables {
            if !NOT_HASHED.contains(&key.as_str()) {
                data.insert(key.clone(), value.clone());
            }
        }
    }
    let mut text = String::new();
    python_dumps(&Value::Object(data), &mut text);
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Python's `json.dumps(v, sort_keys=True, separators=(",", ":"))`: ASCII only (`\uXXXX`
/// escapes, surrogate pairs above the BMP), keys sorted by code point.
fn python_dumps(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => out.push_str(&i.to_string()),
            (_, Some(u), _) => out.push_str(&u.to_string()),
            (_, _, Some(f)) => out.push_str(&python_float(f)),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => python_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                python_dumps(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            // Python sorts str by code point; UTF-8 byte order is the same order.
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                python_string(key, out);
                out.push(':');
                python_dumps(&map[key], out);
            }
            out.push('}');
        }
    }
}

/// `repr(float)`: the shortest round-trip digits, with `.0` on integral values.
fn python_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

fn python_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (' '..='~').contains(&c) => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_like_python() {
        let mut out = String::new();
        python_dumps(
            &serde_json::json!({"b": [1, 2.5, 3.0, true, null], "a": "é\"\n😀"}),
            &mut out,
        );
        assert_eq!(
            out,
            r#"{"a":"\u00e9\"\n\ud83d\ude00","b":[1,2.5,3.0,true,null]}"#
        );
    }

    #[test]
    fn empty_pipfile_hash_is_pipenvs() {
        // `python3 -c 'import json,hashlib; print(hashlib.sha256(json.dumps({"_meta":
        // {"sources": [], "requires": {}}, "default": {}, "develop": {}}, sort_keys=True,
        // separators=(",", ":")).encode()).hexdigest())'`
        assert_eq!(
            pipfile_hash(&serde_json::json!({})),
            "c4a01a8ec837f6ee29903083cb1f52ac64cfa12b125dc3bb4f17e08ac4acb150"
        );
    }
}
