//! Lock files read into one model: the indexes a lock names ([`Source`]) and what it pins
//! ([`LockedPackage`]). One module per format; [`LockFormat::detect`] picks one from the file
//! name or the content.

mod pipfile;
mod poetry;
mod pylock;
mod requirements;
mod uv;

use std::path::Path;
use std::str::FromStr;

use common::AnalyzerError;
use serde::Serialize;
use serde_json::Value;

use common::secret::{RedactedUrl, redact_json, redact_url};

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

/// Most indexes one lock may name: every package is asked on every index, so the requests grow
/// with their product. Real locks name one to a handful.
pub const MAX_SOURCES: usize = 64;

/// An index the lock names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Source {
    pub name: String,
    #[schemars(with = "String")]
    pub url: RedactedUrl,
    pub verify_ssl: bool,
}

impl Source {
    pub fn new(name: impl Into<String>, url: &str, verify_ssl: bool) -> Self {
        Self {
            name: name.into(),
            url: RedactedUrl::new(url),
            verify_ssl,
        }
    }

    /// Thoth's `source` object of a finding (the URL redacted).
    pub fn to_value(&self) -> Value {
        serde_json::json!({"name": redact_url(&self.name), "url": self.url.to_string(), "verify_ssl": self.verify_ssl})
    }
}

/// One artifact a lock names with its URL (pylock, uv, poetry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedArtifact {
    pub filename: String,
    /// Redacted when read: only ever compared and shown.
    pub url: Option<String>,
}

impl LockedArtifact {
    pub fn new(filename: String, url: Option<&str>) -> Self {
        Self {
            filename,
            url: url.map(redact_url),
        }
    }
}

/// Where a package's lock entry (Thoth's `package_locked` value) is in the document, built
/// redacted: the lock's index and artifact URLs may carry credentials.
#[derive(Debug, Clone)]
pub enum LockedEntry {
    /// The lock is recorded as JSON (`parameters.project.requirements_locked`): the entry is
    /// there, once, and findings refer to it by this JSON Pointer into the document.
    At { key: String, pointer: String },
    /// The lock is recorded as text (requirements.txt): `{name: <the entry>}`, carried by the
    /// package's first finding.
    Inline(Value),
}

impl LockedEntry {
    /// An entry of a requirements file, carried inline.
    pub fn inline(name: &str, entry: Value) -> Self {
        let mut map = serde_json::Map::new();
        map.insert(name.to_owned(), entry);
        Self::Inline(redact_json(Value::Object(map)))
    }

    /// The entry at `pointer` (RFC 6901, e.g. `/default/flask`, `/packages/3`) of the lock as
    /// recorded.
    pub fn at(name: &str, pointer: String) -> Self {
        Self::At {
            key: redact_url(name),
            pointer: format!("#/result/parameters/project/requirements_locked{pointer}"),
        }
    }
}

/// One RFC 6901 reference token.
pub(crate) fn pointer_token(segment: &str) -> String {
    redact_url(segment).replace('~', "~0").replace('/', "~1")
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
    pub locked: LockedEntry,
}

impl LockedPackage {
    /// The PEP 503 normalised project name, when the lock's name is a valid PEP 508 name; the
    /// reason otherwise. Only a valid name becomes a path segment of an index URL: a lock
    /// could otherwise choose the host and path (`//2130706433:18082/x`, `../x`).
    pub fn project(&self) -> Result<String, String> {
        pep508_rs::PackageName::from_str(&self.name)
            .map(|n| n.to_string())
            .map_err(|e| e.to_string())
    }

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
    pub fn add_default_indexes(&mut self, urls: &[String]) -> Result<(), AnalyzerError> {
        let mut sources = Vec::new();
        for url in urls {
            Self::source_for_url(&mut sources, url)?;
        }
        for s in std::mem::take(&mut self.sources) {
            if !sources.iter().any(|x: &Source| x.url == s.url) {
                sources.push(s);
            }
        }
        check_source_count(sources.len())?;
        self.sources = sources;
        self.needs_default_index = false;
        for s in &mut self.sources {
            if self
                .trusted_hosts
                .iter()
                .any(|t| Some(t.as_str()) == host_of(s.url.expose()))
            {
                s.verify_ssl = false;
            }
        }
        Ok(())
    }

    /// A source for `url`, named after its position when the lock gives no name. Refuses a
    /// lock naming more than [`MAX_SOURCES`] indexes (the scan stays bounded too).
    fn source_for_url(sources: &mut Vec<Source>, url: &str) -> Result<String, AnalyzerError> {
        if let Some(s) = sources.iter().find(|s| s.url.expose() == url) {
            return Ok(s.name.clone());
        }
        check_source_count(sources.len() + 1)?;
        let name = format!("index-{}", sources.len());
        sources.push(Source::new(name.clone(), url, true));
        Ok(name)
    }
}

/// The input error for a lock that names too many indexes.
pub(crate) fn check_source_count(count: usize) -> Result<(), AnalyzerError> {
    if count > MAX_SOURCES {
        return Err(AnalyzerError::input(format!(
            "the lock names more than {MAX_SOURCES} indexes; every package would be asked on each"
        ))
        .with_hint("a lock names its project's few indexes; check where this one came from"));
    }
    Ok(())
}

/// Reads a lock of `format`; `requirements` is the Pipfile or pyproject.toml when given.
pub fn read(
    format: LockFormat,
    lock: &str,
    requirements: Option<&str>,
) -> Result<Lock, AnalyzerError> {
    let mut lock = match format {
        LockFormat::Pipenv => read_pipfile_lock(lock, requirements),
        LockFormat::Requirements => read_requirements(lock),
        LockFormat::Pylock => read_pylock(lock),
        LockFormat::Poetry => read_poetry_lock(lock, requirements),
        LockFormat::Uv => read_uv_lock(lock),
    }
    // Parser messages quote the offending line, which may hold a credentialed URL.
    .map_err(|mut e| {
        e.message = redact_url(&e.message);
        e
    })?;
    // What the document records of the inputs is redacted here, once, for every format.
    lock.requirements = redact_json(std::mem::take(&mut lock.requirements));
    lock.requirements_locked = redact_json(std::mem::take(&mut lock.requirements_locked));
    Ok(lock)
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
    fn parse_errors_quote_no_credentials() {
        for (format, text) in [
            (
                LockFormat::Pylock,
                "lock-version = \"1.0\"\nindex = \"http://u:SECRET@h/\" x\n",
            ),
            (
                LockFormat::Requirements,
                "foo @ http://u:SECRET@h/x.whl ; ??\n",
            ),
            (
                LockFormat::Pipenv,
                "{\"default\": {\"http://u:SECRET@h/\": }}",
            ),
        ] {
            let err = read(format, text, None).expect_err("malformed");
            assert!(
                !err.message.contains("SECRET"),
                "{format:?}: {}",
                err.message
            );
        }
    }

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
