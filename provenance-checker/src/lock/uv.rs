//! uv.lock: `[[package]]` with `source = { registry = URL }` (or git, path, editable, virtual,
//! url for what no index serves), `sdist` and `wheels` with `url` and `hash`.

use common::AnalyzerError;
use serde_json::Value;

use super::{
    Lock, LockFormat, LockedArtifact, LockedEntry, LockedPackage, array, dedup, filename_from_url,
    opt_str, sdist_and_wheels, str_field, toml_value,
};

pub fn read_uv_lock(text: &str) -> Result<Lock, AnalyzerError> {
    let doc = toml_value(text, "the uv.lock")?;
    let mut sources = Vec::new();
    let mut packages = Vec::new();
    for (position, entry) in array(&doc, "package").enumerate() {
        let name = str_field(entry, "name", "a [[package]] entry")?;
        let registry = entry.pointer("/source/registry").and_then(Value::as_str);
        let index = registry
            .map(|url| Lock::source_for_url(&mut sources, url))
            .transpose()?;
        let mut hashes = Vec::new();
        let mut artifacts = Vec::new();
        for file in sdist_and_wheels(entry) {
            if let Some(h) = file.get("hash").and_then(Value::as_str) {
                hashes.push(h.to_owned());
            }
            if let Some(url) = file.get("url").and_then(Value::as_str) {
                artifacts.push(LockedArtifact::new(filename_from_url(url), Some(url)));
            }
        }
        packages.push(LockedPackage {
            name: name.to_owned(),
            version: opt_str(entry, "version"),
            hashes,
            index,
            artifacts,
            direct: registry.is_none(),
            locked: LockedEntry::at(name, format!("/package/{position}")),
        });
    }
    let (packages, duplicates) = dedup(packages);
    Ok(Lock {
        format: LockFormat::Uv,
        sources,
        packages,
        lock_hash: None,
        requirements: Value::Null,
        requirements_locked: doc,
        duplicates,
        needs_default_index: false,
        trusted_hosts: Vec::new(),
    })
}
