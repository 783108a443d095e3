//! PEP 751 `pylock.toml`: `[[packages]]` with `index`, `wheels`, `sdist` (each with `url` and
//! `hashes`), or `vcs` / `directory` / `archive` for what does not come from an index.

use common::AnalyzerError;
use serde_json::Value;

use super::{
    Lock, LockFormat, LockedArtifact, LockedEntry, LockedPackage, array, dedup, filename_from_url,
    opt_str, sdist_and_wheels, str_field, toml_value,
};

pub fn read_pylock(text: &str) -> Result<Lock, AnalyzerError> {
    let doc = toml_value(text, "the pylock.toml")?;
    if doc.get("lock-version").and_then(Value::as_str).is_none() {
        return Err(AnalyzerError::input(
            "the pylock.toml has no `lock-version` (PEP 751)",
        ));
    }
    let entries: Vec<Value> = array(&doc, "packages").cloned().collect();
    let mut sources = Vec::new();
    let mut packages = Vec::new();
    for (position, entry) in entries.iter().enumerate() {
        let name = str_field(entry, "name", "a [[packages]] entry")?;
        let direct = ["vcs", "directory", "archive"]
            .iter()
            .any(|k| entry.get(*k).is_some());
        let index = entry
            .get("index")
            .and_then(Value::as_str)
            .map(|url| Lock::source_for_url(&mut sources, url))
            .transpose()?;
        let mut artifacts = Vec::new();
        let mut hashes = Vec::new();
        for file in sdist_and_wheels(entry) {
            let url = file.get("url").and_then(Value::as_str);
            let filename = file
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .or_else(|| url.map(filename_from_url))
                .unwrap_or_default();
            if let Some(h) = file.get("hashes").and_then(Value::as_object) {
                hashes.extend(
                    h.iter()
                        .filter_map(|(alg, d)| d.as_str().map(|d| format!("{alg}:{d}"))),
                );
            }
            artifacts.push(LockedArtifact::new(filename, url));
        }
        packages.push(LockedPackage {
            name: name.to_owned(),
            version: opt_str(entry, "version"),
            hashes,
            index,
            artifacts,
            direct,
            locked: LockedEntry::at(name, format!("/packages/{position}")),
        });
    }
    // Packages without an `index` come from the indexes the lock names, or pip's configuration.
    let needs_default_index =
        packages.iter().any(|p| p.index.is_none() && !p.direct) && sources.is_empty();
    let (packages, duplicates) = dedup(packages);
    Ok(Lock {
        format: LockFormat::Pylock,
        sources,
        packages,
        lock_hash: None,
        requirements: Value::Null,
        requirements_locked: doc,
        duplicates,
        needs_default_index,
        trusted_hosts: Vec::new(),
    })
}
