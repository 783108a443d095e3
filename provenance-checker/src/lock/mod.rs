//! Lock files read into one model: the indexes a lock names ([`Source`]) and what it pins
//! ([`LockedPackage`]). One module per format; [`LockFormat::detect`] picks one from the file
//! name or the content.

mod pipfile;
mod poetry;
mod pylock;
mod requirements;
mod uv;

use std::path::Path;

use common::AnalyzerError;
use serde::Serialize;
use serde_json::Value;

pub use pipfile::read_pipfile_lock;
pub use poetry::read_poetry_lock;
pub use pylock::read_pylock;
pub use requirements::read_requirements;
pub use uv::read_uv_lock;

/// The lock formats the checker reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LockFormat {
    /// Pipfile.lock (with the Pipfile, for the lock hash).
    Pipenv,
    /// requirements.txt with `--hash` options.
    Requirements,
    /// PEP 751 pylock.toml.
    Pylock,
    /// poetry.lock (with pyproject.toml, for its sources).
    Poetry,
    /// uv.lock.
    Uv,
}

impl LockFormat {
    /// From the file name when it says, else from the content.
    pub fn detect(name: Option<&str>, content: &str) -> Option<Self> {
        if let Some(name) = name
            .and_then(|n| Path::new(n).file_name())
            .and_then(|n| n.to_str())
        {
            let lower = name.to_ascii_lowercase();
            if lower.ends_with("pipfile.lock")
                || (lower.starts_with("pipfile") && lower.ends_with(".lock"))
            {
                return Some(Self::Pipenv);
            }
            if lower == "pylock.toml"
                || (lower.starts_with("pylock.") && lower.ends_with(".toml"))
                || lower.ends_with(".pylock.toml")
            {
                return Some(Self::Pylock);
            }
            if lower == "poetry.lock" {
                return Some(Self::Poetry);
            }
            if lower == "uv.lock" {
                return Some(Self::Uv);
            }
            if lower.ends_with(".txt") || lower.ends_with(".in") {
                return Some(Self::Requirements);
            }
        }
        let trimmed = content.trim_start();
        if trimmed.starts_with('{') {
            return Some(Self::Pipenv);
        }
        if content.contains("lock-version") && content.contains("[[packages]]") {
            return Some(Self::Pylock);
        }
        if content.contains("[[package]]") {
            // uv writes `source = { registry = ... }`; poetry a `[metadata]` table with content-hash.
            if content.contains("content-hash") || content.contains("[metadata") {
                return Some(Self::Poetry);
            }
            if content.contains("requires-python")
                || content.contains("source = {")
                || content.starts_with("version = ")
            {
                return Some(Self::Uv);
            }
            return Some(Self::Poetry);
        }
        let looks_like_requirements = content
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .all(|l| {
                l.starts_with('-')
                    || l.starts_with('\\')
                    || l.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            });
        looks_like_requirements.then_some(Self::Requirements)
    }
}

/// An index the lock names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Source {
    pub name: String,
    pub url: String,
    pub verify_ssl: bool,
}

impl Source {
    /// Thoth's `source` object of a finding.
    pub fn to_value(&self) -> Value {
        serde_json::json!({"name": self.name, "url": self.url, "verify_ssl": self.verify_ssl})
    }
}

/// One artifact a lock names with its URL (pylock, uv, poetry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedArtifact {
    pub filename: String,
    pub url: Option<String>,
}

/// One locked package.
#[derive(Debug, Clone)]
pub struct LockedPackage {
    pub name: String,
    /// The exact version pinned; `None` when the lock does not pin one (`UNPINNED-PACKAGE`).
    pub version: Option<String>,
    /// Digests as `algorithm:hex`, as the lock wrote them.
    pub hashes: Vec<String>,
    /// The source (by name) the lock assigns the package to, if any.
    pub index: Option<String>,
    /// Artifacts the lock names by URL.
    pub artifacts: Vec<LockedArtifact>,
    /// Not from an index (VCS, path, direct URL): not looked up.
    pub direct: bool,
    /// Thoth's `package_locked`: `{name: <the lock's entry>}`.
    pub locked: Value,
}

impl LockedPackage {
    /// `==VERSION`, as Thoth writes `package_version`.
    pub fn pinned(&self) -> Option<String> {
        self.version.as_ref().map(|v| format!("=={v}"))
    }

    /// The sha256 digests (lower-case hex) among the hashes.
    pub fn sha256s(&self) -> Vec<String> {
        self.hashes
            .iter()
            .filter_map(|h| {
                h.strip_prefix("sha256:")
                    .or_else(|| h.strip_prefix("sha256="))
            })
            .map(str::to_ascii_lowercase)
            .collect()
    }
}

/// The lock, in the model the checks use, and what the document records of it.
#[derive(Debug, Clone)]
pub struct Lock {
    pub format: LockFormat,
    pub sources: Vec<Source>,
    pub packages: Vec<LockedPackage>,
    /// Pipenv only: the hash the lock records and the one computed from the Pipfile.
    pub lock_hash: Option<(String, String)>,
    /// `parameters.project.requirements`: the Pipfile / pyproject.toml as JSON, when given.
    pub requirements: Value,
    /// `parameters.project.requirements_locked`: the lock as JSON (requirements.txt: its lines).
    pub requirements_locked: Value,
    /// Duplicate names (a warning each, as Thoth logged them), already removed from `packages`.
    pub duplicates: Vec<String>,
    /// Some packages come from "the default index", which the lock does not name: pip's
    /// configuration says which ([`Lock::add_default_indexes`]).
    pub needs_default_index: bool,
    /// `--trusted-host` values: sources on these hosts do not verify TLS.
    pub trusted_hosts: Vec<String>,
}

impl Lock {
    pub fn source_named(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// Adds the default indexes (pip's configuration) in front of the lock's own.
    pub fn add_default_indexes(&mut self, urls: &[String]) {
        let mut sources = Vec::new();
        for url in urls {
            Self::source_for_url(&mut sources, url);
        }
        for s in std::mem::take(&mut self.sources) {
            if !sources.iter().any(|x: &Source| x.url == s.url) {
                sources.push(s);
            }
        }
        self.sources = sources;
        self.needs_default_index = false;
        for s in &mut self.sources {
            if self
                .trusted_hosts
                .iter()
                .any(|t| Some(t.as_str()) == host_of(&s.url))
            {
                s.verify_ssl = false;
            }
        }
    }

    /// A source for `url`, named after its position when the lock gives no name.
    fn source_for_url(sources: &mut Vec<Source>, url: &str) -> String {
        if let Some(s) = sources.iter().find(|s| s.url == url) {
            return s.name.clone();
        }
        let name = format!("index-{}", sources.len());
        sources.push(Source {
            name: name.clone(),
            url: url.to_owned(),
            verify_ssl: true,
        });
        name
    }
}

/// Reads a lock of `format`; `requirements` is the Pipfile or pyproject.toml when given.
pub fn read(
    format: LockFormat,
    lock: &str,
    requirements: Option<&str>,
) -> Result<Lock, AnalyzerError> {
    match format {
        LockFormat::Pipenv => read_pipfile_lock(lock, requirements),
        LockFormat::Requirements => read_requirements(lock),
        LockFormat::Pylock => read_pylock(lock),
        LockFormat::Poetry => read_poetry_lock(lock, requirements),
        LockFormat::Uv => read_uv_lock(lock),
    }
}

/// `host[:port]` of a URL, as `--trusted-host` names it.
fn host_of(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    authority.rsplit('@').next()
}

/// Reads TOML into JSON values, or says what is wrong where.
pub(crate) fn toml_value(text: &str, what: &str) -> Result<Value, AnalyzerError> {
    let table: toml::Table = toml::from_str(text)
        .map_err(|e| AnalyzerError::input(format!("{what} is not valid TOML: {e}")))?;
    serde_json::to_value(table).map_err(|e| AnalyzerError::input(format!("{what}: {e}")))
}

/// The entries of an array field (none when absent).
pub(crate) fn array<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// An optional string field, owned.
pub(crate) fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A package's `sdist` and `wheels` entries (pylock and uv name them alike).
pub(crate) fn sdist_and_wheels(entry: &Value) -> impl Iterator<Item = &Value> {
    entry.get("sdist").into_iter().chain(array(entry, "wheels"))
}

/// A lock's string field, or an input error naming it.
pub(crate) fn str_field<'a>(v: &'a Value, key: &str, what: &str) -> Result<&'a str, AnalyzerError> {
    v.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| AnalyzerError::input(format!("{what} has no string `{key}`")))
}

/// The file name in the last segment of an artifact URL.
pub(crate) fn filename_from_url(url: &str) -> String {
    let path = url.split(['#', '?']).next().unwrap_or(url);
    let last = path.rsplit('/').next().unwrap_or(path);
    common::index::percent_decode(last)
}

/// Keeps the first package of each normalised name, recording the others.
pub(crate) fn dedup(packages: Vec<LockedPackage>) -> (Vec<LockedPackage>, Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    let mut kept = Vec::new();
    let mut dups = Vec::new();
    for p in packages {
        if seen.insert(common::python::normalize_name(&p.name)) {
            kept.push(p);
        } else {
            dups.push(p.name);
        }
    }
    (kept, dups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_name_then_content() {
        assert_eq!(
            LockFormat::detect(Some("x/Pipfile.lock"), ""),
            Some(LockFormat::Pipenv)
        );
        assert_eq!(
            LockFormat::detect(Some("pylock.dev.toml"), ""),
            Some(LockFormat::Pylock)
        );
        assert_eq!(
            LockFormat::detect(Some("a/uv.lock"), ""),
            Some(LockFormat::Uv)
        );
        assert_eq!(
            LockFormat::detect(Some("poetry.lock"), ""),
            Some(LockFormat::Poetry)
        );
        assert_eq!(
            LockFormat::detect(Some("reqs.txt"), ""),
            Some(LockFormat::Requirements)
        );
        assert_eq!(
            LockFormat::detect(None, "{\"_meta\": {}}"),
            Some(LockFormat::Pipenv)
        );
        assert_eq!(
            LockFormat::detect(None, "lock-version = \"1.0\"\n[[packages]]\n"),
            Some(LockFormat::Pylock)
        );
        assert_eq!(
            LockFormat::detect(
                None,
                "[[package]]\nname='a'\n[metadata]\ncontent-hash='x'\n"
            ),
            Some(LockFormat::Poetry)
        );
        assert_eq!(
            LockFormat::detect(
                None,
                "version = 1\nrequires-python = \">=3.8\"\n[[package]]\n"
            ),
            Some(LockFormat::Uv)
        );
        assert_eq!(
            LockFormat::detect(None, "a==1 \\\n    --hash=sha256:00\n"),
            Some(LockFormat::Requirements)
        );
        assert_eq!(LockFormat::detect(None, "<html>"), None);
    }
}
