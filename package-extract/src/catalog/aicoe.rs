//! `aicoe-ci`: the Pipfile and Pipfile.lock that AICoE-CI leaves in the images it builds.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalog::seam::{Cataloger, Findings, Wanted};
use crate::tree::FileTree;

pub const CATALOGER: Cataloger = Cataloger {
    name: "aicoe-ci",
    files: &[Wanted::content(PIPFILE), Wanted::content(PIPFILE_LOCK)],
    keys: &["aicoe-ci"],
    schema: <AicoeCatalog as JsonSchema>::json_schema,
    run: |scan| {
        let c = catalog(scan.tree);
        Findings::of(&c, Vec::new(), c.warnings.clone())
    },
};

const PIPFILE: &str = "/opt/aicoe-ci/Pipfile";
const PIPFILE_LOCK: &str = "/opt/aicoe-ci/Pipfile.lock";

/// Thoth's shape: both keys always present, `null` when the file is missing or unreadable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct AicoeCi {
    /// The Pipfile (TOML) as a JSON object.
    pub requirements: Option<Map<String, Value>>,
    /// The Pipfile.lock (JSON) as written.
    pub requirements_lock: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct AicoeCatalog {
    #[serde(rename = "aicoe-ci")]
    pub aicoe_ci: AicoeCi,
    /// Files that exist but do not parse (for the report's warnings).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

pub fn catalog(tree: &FileTree) -> AicoeCatalog {
    let mut out = AicoeCatalog::default();
    if let Some(bytes) = tree.content_str(PIPFILE) {
        match parse_pipfile(bytes) {
            Ok(map) => out.aicoe_ci.requirements = Some(map),
            Err(why) => out.warnings.push(format!("{PIPFILE}: {why}")),
        }
    }
    if let Some(bytes) = tree.content_str(PIPFILE_LOCK) {
        match serde_json::from_slice(bytes) {
            Ok(value) => out.aicoe_ci.requirements_lock = Some(value),
            Err(e) => out.warnings.push(format!("{PIPFILE_LOCK}: not JSON: {e}")),
        }
    }
    out
}

fn parse_pipfile(bytes: &[u8]) -> Result<Map<String, Value>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let table: toml::Table = toml::from_str(text).map_err(|e| format!("not TOML: {e}"))?;
    Ok(table
        .into_iter()
        .map(|(k, v)| (k, toml_to_json(v)))
        .collect())
}

/// TOML to JSON by hand: serialising a TOML datetime through serde gives a private wrapper
/// object, where a string is what a reader expects.
fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::tree::build::tree_of;

    fn corpus(rel: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../shared/corpus/lockfiles/{rel}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("corpus file {path}: {e}"))
    }

    #[test]
    fn real_pipfile_and_lock_become_json() {
        let pipfile = corpus("micropipenv/install-pipenv/Pipfile");
        let lock = corpus("micropipenv/install-pipenv/Pipfile.lock");
        let out = catalog(&tree_of(&[(PIPFILE, &pipfile), (PIPFILE_LOCK, &lock)]));
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        let req = out.aicoe_ci.requirements.unwrap();
        assert!(req.contains_key("packages"), "{req:?}");
        assert!(req.contains_key("source"), "{req:?}");
        let lock = out.aicoe_ci.requirements_lock.unwrap();
        assert!(lock.pointer("/_meta/hash/sha256").is_some());
        assert!(lock.get("default").is_some());
    }

    #[test]
    fn missing_files_are_null_as_thoth() {
        let out = catalog(&tree_of(&[("/etc/x", b"")]));
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            serde_json::json!({"aicoe-ci": {"requirements": null, "requirements_lock": null}})
        );
    }

    #[test]
    fn unparsable_files_are_null_with_a_warning() {
        let out = catalog(&tree_of(&[
            (PIPFILE, b"[packages\nflask = '*'"),
            (PIPFILE_LOCK, b"{\"_meta\": "),
        ]));
        assert_eq!(out.aicoe_ci, AicoeCi::default());
        assert_eq!(out.warnings.len(), 2);
        assert!(out.warnings[0].contains("not TOML"), "{:?}", out.warnings);
    }

    #[test]
    fn toml_datetimes_become_strings() {
        let out = catalog(&tree_of(&[(
            PIPFILE,
            b"[meta]\nwhen = 1979-05-27T07:32:00Z\n",
        )]));
        let req = out.aicoe_ci.requirements.unwrap();
        assert_eq!(req["meta"]["when"], "1979-05-27T07:32:00Z");
    }
}
