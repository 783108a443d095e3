//! Pipfile.lock (pipenv), with its Pipfile for the lock hash.

use common::AnalyzerError;
use serde_json::Value;

use super::{
    Lock, LockFormat, LockedEntry, LockedPackage, Source, check_source_count, dedup, pointer_token,
    toml_value,
};
use crate::pipenv_hash::pipfile_hash;

/// Reads a Pipfile.lock, and the Pipfile (TOML or JSON) when given.
pub fn read_pipfile_lock(
    lock_text: &str,
    pipfile_text: Option<&str>,
) -> Result<Lock, AnalyzerError> {
    let lock: Value = serde_json::from_str(lock_text)
        .map_err(|e| AnalyzerError::input(format!("the Pipfile.lock is not JSON: {e}")))?;
    if !lock.is_object() {
        return Err(AnalyzerError::input(
            "the Pipfile.lock is not a JSON object",
        ));
    }
    let pipfile = pipfile_text.map(read_pipfile).transpose()?;

    let meta = lock.get("_meta").cloned().unwrap_or(Value::Null);
    // The Pipfile's sources are the user's configuration; the lock's copy may be stale.
    let source_list = pipfile
        .as_ref()
        .and_then(|p| p.get("source"))
        .or_else(|| meta.get("sources"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    check_source_count(source_list.len())?;
    let sources = source_list
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Source::new(
                s.get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("index-{i}"), str::to_owned),
                s.get("url").and_then(Value::as_str).unwrap_or_default(),
                s.get("verify_ssl").and_then(Value::as_bool).unwrap_or(true),
            )
        })
        .collect();

    let mut packages = Vec::new();
    for section in ["default", "develop"] {
        let Some(entries) = lock.get(section).and_then(Value::as_object) else {
            continue;
        };
        for (name, entry) in entries {
            packages.push(package(section, name, entry));
        }
    }
    let (packages, duplicates) = dedup(packages);

    let lock_hash = pipfile.as_ref().map(|p| {
        let recorded = meta
            .pointer("/hash/sha256")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        (recorded, pipfile_hash(p))
    });
    Ok(Lock {
        format: LockFormat::Pipenv,
        sources,
        packages,
        lock_hash,
        requirements: pipfile.unwrap_or(Value::Null),
        requirements_locked: lock,
        duplicates,
        needs_default_index: false,
        trusted_hosts: Vec::new(),
    })
}

/// A Pipfile: TOML, or JSON as Thoth also accepted.
pub fn read_pipfile(text: &str) -> Result<Value, AnalyzerError> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text)
            .map_err(|e| AnalyzerError::input(format!("the Pipfile is not valid JSON: {e}")));
    }
    toml_value(text, "the Pipfile")
}

fn package(section: &str, name: &str, entry: &Value) -> LockedPackage {
    let direct = ["git", "hg", "svn", "bzr", "path", "file", "editable"]
        .iter()
        .any(|k| entry.get(*k).is_some());
    let version = entry
        .get("version")
        .and_then(Value::as_str)
        .and_then(|v| v.strip_prefix("===").or_else(|| v.strip_prefix("==")))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && !v.contains('*'));
    LockedPackage {
        name: name.to_owned(),
        version,
        hashes: entry
            .get("hashes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        index: entry
            .get("index")
            .and_then(Value::as_str)
            .map(str::to_owned),
        artifacts: Vec::new(),
        direct,
        locked: LockedEntry::at(name, format!("/{section}/{}", pointer_token(name))),
    }
}
