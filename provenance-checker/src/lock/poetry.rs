//! poetry.lock, with pyproject.toml's `[[tool.poetry.source]]` for the indexes. Packages from a
//! named source carry `[package.source]` (`type = "legacy"`, `url`, `reference`); the others come
//! from the primary source, else from pip's configuration.

use common::AnalyzerError;
use serde_json::Value;

use super::{
    Lock, LockFormat, LockedArtifact, LockedEntry, LockedPackage, Source, array,
    check_source_count, dedup, opt_str, str_field, toml_value,
};

pub fn read_poetry_lock(text: &str, pyproject: Option<&str>) -> Result<Lock, AnalyzerError> {
    let doc = toml_value(text, "the poetry.lock")?;
    let project = pyproject
        .map(|p| toml_value(p, "the pyproject.toml"))
        .transpose()?;
    let mut sources: Vec<Source> = Vec::new();
    let mut default_source: Option<String> = None;
    for s in project
        .as_ref()
        .and_then(|p| p.pointer("/tool/poetry/source"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = str_field(s, "name", "a [[tool.poetry.source]]")?.to_owned();
        let Some(url) = s.get("url").and_then(Value::as_str) else {
            continue;
        };
        let secondary = s.get("secondary").and_then(Value::as_bool).unwrap_or(false)
            || matches!(
                s.get("priority").and_then(Value::as_str),
                Some("supplemental" | "explicit" | "secondary")
            );
        let default = s.get("default").and_then(Value::as_bool).unwrap_or(false)
            || matches!(
                s.get("priority").and_then(Value::as_str),
                Some("default" | "primary")
            );
        if default || (!secondary && default_source.is_none()) {
            default_source.get_or_insert_with(|| name.clone());
        }
        check_source_count(sources.len() + 1)?;
        sources.push(Source::new(name, url, true));
    }
    let legacy_files = doc
        .pointer("/metadata/files")
        .cloned()
        .unwrap_or(Value::Null);
    let mut packages = Vec::new();
    for (position, entry) in array(&doc, "package").enumerate() {
        let name = str_field(entry, "name", "a [[package]] entry")?;
        let source = entry.get("source");
        let kind = source.and_then(|s| s.get("type")).and_then(Value::as_str);
        let direct = matches!(kind, Some("git" | "directory" | "file" | "url"));
        let index = match (kind, source) {
            (Some("legacy"), Some(s)) => {
                let url = s.get("url").and_then(Value::as_str).unwrap_or_default();
                let reference = s.get("reference").and_then(Value::as_str);
                Some(
                    match sources
                        .iter()
                        .find(|x| x.url.expose() == url || Some(x.name.as_str()) == reference)
                    {
                        Some(x) => x.name.clone(),
                        None => {
                            let name = reference
                                .map_or_else(|| format!("index-{}", sources.len()), str::to_owned);
                            check_source_count(sources.len() + 1)?;
                            sources.push(Source::new(name.clone(), url, true));
                            name
                        }
                    },
                )
            }
            _ => None,
        };
        let files = entry
            .get("files")
            .or_else(|| legacy_files.get(name))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let hashes = files
            .iter()
            .filter_map(|f| f.get("hash").and_then(Value::as_str).map(str::to_owned))
            .collect();
        let artifacts = files
            .iter()
            .filter_map(|f| f.get("file").and_then(Value::as_str))
            .map(|f| LockedArtifact::new(f.to_owned(), None))
            .collect();
        packages.push(LockedPackage {
            name: name.to_owned(),
            version: opt_str(entry, "version"),
            hashes,
            index: index.or_else(|| default_source.clone()),
            artifacts,
            direct,
            locked: LockedEntry::at(name, format!("/package/{position}")),
        });
    }
    let needs_default_index =
        default_source.is_none() && packages.iter().any(|p| p.index.is_none() && !p.direct);
    let (packages, duplicates) = dedup(packages);
    Ok(Lock {
        format: LockFormat::Poetry,
        sources,
        packages,
        lock_hash: None,
        requirements: project.unwrap_or(Value::Null),
        requirements_locked: doc,
        duplicates,
        needs_default_index,
        trusted_hosts: Vec::new(),
    })
}
