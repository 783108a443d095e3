//! The state recognisers write into while the log streams past, and the small text helpers they
//! share (requirement names, distribution file names, sizes, URLs).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::python::normalize_name;

use crate::report::{ImageRef, Info, Installation, InstalledPackage, PushDestination, Step, Tool};

/// An installation entry keeps at most this many lines of log: a C extension's compiler output
/// can run to megabytes, and the report must not grow with it.
pub const MAX_ENTRY_LOG_LINES: usize = 200;
const MAX_ENTRY_LOG_BYTES: usize = 64 * 1024;
/// Installation entries kept. A real build has hundreds at most; a concatenation of thousands
/// of logs (or a hostile input) must not make the report, and the memory, grow with the input.
pub const MAX_ENTRIES: usize = 10_000;
/// Distinct keys kept in each set the report lists (indexes, requirements, installed
/// packages, failures, tool versions, steps).
pub const MAX_DISTINCT: usize = 10_000;

/// Inserts into a bounded set: a new key is dropped once the set is full.
fn bounded_insert<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, value: V) {
    if map.len() < MAX_DISTINCT || map.contains_key(&key) {
        map.insert(key, value);
    }
}

/// How trustworthy a Python version source is; higher wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PythonSource {
    /// A `cp311` wheel tag or a Pipfile.lock `python_version`.
    Hint,
    /// A `lib/python3.11/site-packages` path.
    Path,
    /// The installer said so (`pip X from ... (python 3.11)`, `Using CPython 3.11.4`).
    Stated,
}

/// One line as the recognisers see it.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// 1-based line number in the input.
    pub number: usize,
    /// Normalised text, indentation kept.
    pub text: &'a str,
    /// `text` without surrounding whitespace.
    pub trimmed: &'a str,
    /// A DEBUG or INFO record of a logging library: never evidence of a build failure.
    pub quiet: bool,
}

/// What a recogniser made of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Nothing it knows.
    Unknown,
    /// Installer progress: a new phase starts, so an open error block ends.
    Progress,
    /// Part of a block the recogniser owns (a printed lock file, configuration): no one else
    /// should read it.
    Owned,
}

impl Role {
    pub fn or(self, other: Role) -> Role {
        if self == Role::Unknown { other } else { self }
    }
}

#[derive(Debug)]
struct Entry {
    installation: Installation,
    /// The requirement pinned the version; otherwise each artifact tried (pip backtracking)
    /// updates it.
    pinned: bool,
    log_lines: usize,
    log_truncated: usize,
}

/// Facts gathered so far.
#[derive(Debug, Default)]
pub struct Collector {
    pub info: Info,
    entries: Vec<Entry>,
    /// The latest entry of each PEP 503 name, so that finding it does not scan the list.
    latest_entry: HashMap<String, usize>,
    /// Entries not kept because `MAX_ENTRIES` was reached.
    pub dropped_entries: usize,
    open_entry: Option<usize>,
    tools: BTreeMap<String, BTreeSet<Option<String>>>,
    python: Option<(PythonSource, String)>,
    indexes: BTreeSet<String>,
    requirements: BTreeSet<String>,
    installed: BTreeMap<String, InstalledPackage>,
    pub adviser_id: Option<String>,
    pub steps: Vec<Step>,
    pub pipfile_lock: Option<serde_json::Value>,
    pub thoth_config: Option<serde_json::Value>,
    /// The package the installer is working on, for errors that do not name theirs.
    pub current_package: Option<String>,
    /// The installer is between starting a package and finishing the run: if the log ends here
    /// it was cut short. Holds the line where the unfinished work started.
    pub in_progress: Option<usize>,
    /// Packages (by PEP 503 name) that failed at least once, with the name as first written.
    failures: BTreeMap<String, String>,
    /// Packages (by PEP 503 name) the installer reported as installed or already present.
    successes: BTreeSet<String>,
    /// Increments at boundaries between separate installer runs; errors never merge across.
    pub run: u32,
    /// pip's install phase under way: the line of `Installing collected packages:` and the
    /// packages it lists, in the order pip installs them.
    install_phase: Option<(usize, Vec<String>)>,
    /// Packages pip announced installing in this phase (`Running setup.py install for X`).
    announced: Vec<String>,
    /// Packages an installer said it would install, confirmed only by a run that ends well
    /// (pipenv's `Installing X==1...` + `✔ Installation Succeeded` adds X to the Pipfile; the
    /// install itself follows the lock, silently).
    provisional: Vec<InstalledPackage>,
    /// Installations an installer started and did not report the end of (poetry prints
    /// `- Installing X (1.0)` when it starts; a failure of X follows if it fails).
    started: Vec<InstalledPackage>,
}

impl Collector {
    pub fn tool(&mut self, name: &str, version: Option<&str>) {
        if self.tools.len() >= MAX_DISTINCT && !self.tools.contains_key(name) {
            return;
        }
        let versions = self.tools.entry(name.to_owned()).or_default();
        if versions.len() < MAX_DISTINCT {
            versions.insert(version.map(str::to_owned));
        }
    }

    pub fn python_version(&mut self, source: PythonSource, version: &str) {
        let better = match &self.python {
            None => true,
            Some((old_source, old)) => {
                source > *old_source
                    || (source == *old_source
                        && version.len() > old.len()
                        && version.starts_with(old.as_str()))
            }
        };
        if better {
            self.python = Some((source, version.to_owned()));
        }
    }

    pub fn index(&mut self, url: &str) {
        let url = url.trim().trim_end_matches(',');
        if !url.is_empty() && self.indexes.len() < MAX_DISTINCT {
            self.indexes.insert(strip_userinfo(url));
        }
    }

    pub fn requirement(&mut self, spec: &str) {
        let spec = spec.trim();
        if !spec.is_empty() && self.requirements.len() < MAX_DISTINCT {
            self.requirements.insert(strip_userinfo(spec));
        }
    }

    pub fn installed(&mut self, name: &str, version: &str) {
        bounded_insert(
            &mut self.installed,
            normalize_name(name),
            InstalledPackage {
                name: name.to_owned(),
                version: version.to_owned(),
            },
        );
    }

    pub fn uninstalled(&mut self, name: &str) {
        self.installed.remove(&normalize_name(name));
    }

    pub fn set_s2i_builder_image(&mut self, image: &str) {
        if self.info.s2i_builder_image.is_none() {
            let (image, sha256) = match image.split_once("@sha256:") {
                Some((image, sha)) => (image, Some(sha.to_owned())),
                None => (image, None),
            };
            self.info.s2i_builder_image = Some(ImageRef {
                image: image.to_owned(),
                sha256,
            });
        }
    }

    pub fn set_push_destination(&mut self, reference: &str) {
        // Thoth: `rsplit(":", 1)`; a `/` after the colon means the colon was a registry port.
        let destination = match reference.rsplit_once(':') {
            Some((image, tag)) if !tag.contains('/') => PushDestination {
                image: image.to_owned(),
                tag: Some(tag.to_owned()),
            },
            _ => PushDestination {
                image: reference.to_owned(),
                tag: None,
            },
        };
        self.info.push_destination = Some(destination);
    }

    /// Starts an installation entry; it receives the following lines until another starts or
    /// it is closed.
    pub fn start_entry(&mut self, name: &str, version: Option<&str>, pinned: bool) {
        self.current_package = Some(name.to_owned());
        if self.entries.len() >= MAX_ENTRIES {
            self.dropped_entries += 1;
            self.open_entry = None;
            return;
        }
        let key = normalize_name(name);
        self.latest_entry.insert(key.clone(), self.entries.len());
        self.entries.push(Entry {
            installation: Installation {
                package_name: name.to_owned(),
                package_version: version.map(str::to_owned),
                artifact: None,
                artifact_size: None,
                is_wheel: None,
                is_successful: None,
                installation_log: String::new(),
            },
            pinned,
            log_lines: 0,
            log_truncated: 0,
        });
        self.open_entry = Some(self.entries.len() - 1);
    }

    /// Appends the line that ends the open entry (Thoth keeps it in the log), then closes it.
    pub fn terminate_entry(&mut self, text: &str) {
        self.log_to_open_entry(text);
        self.open_entry = None;
    }

    pub fn open_entry_index(&self) -> Option<usize> {
        self.open_entry
    }

    pub fn close_entry(&mut self) {
        self.open_entry = None;
    }

    pub fn open_entry(&mut self) -> Option<&mut Installation> {
        let i = self.open_entry?;
        self.entries.get_mut(i).map(|e| &mut e.installation)
    }

    /// Appends a line to the open entry's log, within the bounds.
    pub fn log_to_open_entry(&mut self, text: &str) {
        let Some(entry) = self.open_entry.and_then(|i| self.entries.get_mut(i)) else {
            return;
        };
        if entry.log_lines >= MAX_ENTRY_LOG_LINES
            || entry.installation.installation_log.len() + text.len() > MAX_ENTRY_LOG_BYTES
        {
            entry.log_truncated += 1;
            return;
        }
        if entry.log_lines > 0 {
            entry.installation.installation_log.push('\n');
        }
        entry.installation.installation_log.push_str(text);
        entry.log_lines += 1;
    }

    /// The latest entry for a package, by PEP 503 name.
    pub fn entry_for(&mut self, name: &str) -> Option<&mut Installation> {
        let i = *self.latest_entry.get(&normalize_name(name))?;
        self.entries.get_mut(i).map(|e| &mut e.installation)
    }

    /// Records an artifact for the open entry (download, cache hit, local file).
    pub fn artifact(&mut self, artifact: &str, size: Option<String>) {
        let Some(i) = self.open_entry else { return };
        let Some(entry) = self.entries.get_mut(i) else {
            return;
        };
        let name = entry.installation.package_name.clone();
        let pinned = entry.pinned;
        let e = &mut entry.installation;
        e.artifact = Some(strip_userinfo(artifact));
        e.is_wheel = Some(artifact.ends_with(".whl"));
        if size.is_some() {
            e.artifact_size = size;
        }
        if !pinned {
            if let Some(version) = version_from_filename(&name, file_name(artifact)) {
                e.package_version = Some(version.to_owned());
            }
        }
    }

    /// An installation that holds if the run ends without an unrecovered failure.
    pub fn provisionally_installed(&mut self, name: &str, version: &str) {
        if self.provisional.len() < MAX_DISTINCT {
            self.provisional.push(InstalledPackage {
                name: name.to_owned(),
                version: version.to_owned(),
            });
        }
    }

    /// An installation that holds unless the package fails.
    pub fn started_install(&mut self, name: &str, version: &str) {
        if self.started.len() < MAX_DISTINCT {
            self.started.push(InstalledPackage {
                name: name.to_owned(),
                version: version.to_owned(),
            });
        }
    }

    /// Ends the log: the provisional installations hold when `run_succeeded`; the started ones
    /// unless their package failed (and never succeeded).
    pub fn settle_provisional(&mut self, run_succeeded: bool) {
        for p in std::mem::take(&mut self.started) {
            let key = normalize_name(&p.name);
            if !self.failures.contains_key(&key) || self.successes.contains(&key) {
                self.installed(&p.name, &p.version);
                self.mark(&p.name, true);
            }
        }
        let provisional = std::mem::take(&mut self.provisional);
        let failed = self
            .failures
            .keys()
            .any(|key| !self.successes.contains(key));
        if run_succeeded && !failed {
            for p in provisional {
                self.installed(&p.name, &p.version);
                self.mark(&p.name, true);
            }
        }
    }

    /// pip starts installing `names`, in this order.
    pub fn start_install_phase(&mut self, line: usize, names: Vec<String>) {
        self.install_phase = Some((line, names.into_iter().take(MAX_DISTINCT).collect()));
        self.announced.clear();
    }

    /// pip announced installing `name` (one at a time: an announced package other than the
    /// one that fails was installed).
    pub fn announce_install(&mut self, name: &str) {
        if self.install_phase.is_some() && self.announced.len() < MAX_DISTINCT {
            self.announced.push(name.to_owned());
        }
    }

    /// pip said it installed everything (or a new run started).
    pub fn end_install_phase(&mut self) {
        self.install_phase = None;
    }

    /// A failure about `failed`, starting at line `at`. If pip was installing it in its install
    /// phase, the packages pip installed before it stay installed: pip installs one at a time
    /// and rolls back only the one that failed (any pip, legacy `setup.py install` or wheel).
    /// Since pip 10 it installs in the order it lists; pip 1 listed alphabetically and installed
    /// in requirement order, announcing each `setup.py install`: the packages listed before the
    /// failing one and those announced are taken as installed, with the version the log told.
    pub fn failed_during_install(&mut self, at: usize, failed: &str) {
        let key = normalize_name(failed);
        let in_phase = self.install_phase.as_ref().is_some_and(|(start, names)| {
            at > *start && names.iter().any(|n| normalize_name(n) == key)
        });
        if !in_phase {
            return;
        }
        let Some((_, names)) = self.install_phase.take() else {
            return;
        };
        let announced = std::mem::take(&mut self.announced);
        let before = names.iter().take_while(|n| normalize_name(n) != key);
        let done: Vec<&String> = before
            .chain(announced.iter().filter(|n| normalize_name(n) != key))
            .collect();
        for name in done {
            let version = self.entry_for(name).and_then(|e| e.package_version.clone());
            if let Some(version) = version {
                self.installed(name, &version);
                self.mark(name, true);
            }
        }
    }

    pub fn has_tool(&self, name: &str) -> bool {
        self.tools.contains_key(name)
    }

    /// True when the package was reported installed at some point of the log.
    pub fn succeeded(&self, name: &str) -> bool {
        self.successes.contains(&normalize_name(name))
    }

    pub fn mark(&mut self, name: &str, successful: bool) {
        let key = normalize_name(name);
        if successful {
            if self.successes.len() < MAX_DISTINCT {
                self.successes.insert(key);
            }
        } else if self.failures.len() < MAX_DISTINCT {
            self.failures.entry(key).or_insert_with(|| name.to_owned());
        }
        if let Some(entry) = self.entry_for(name) {
            // A success is final for this attempt; a later error line about the same package
            // (pip's summary after a rollback) does not undo what the installer reported.
            if entry.is_successful != Some(true) || successful {
                entry.is_successful = Some(successful);
            }
        }
    }

    pub fn finish(mut self) -> Finished {
        let mut installation = Vec::with_capacity(self.entries.len());
        for mut entry in self.entries.drain(..) {
            if entry.log_truncated > 0 {
                entry.installation.installation_log.push_str(&format!(
                    "\n[... {} more lines not kept]",
                    entry.log_truncated
                ));
            }
            installation.push(entry.installation);
        }
        let mut tools = Vec::new();
        for (name, versions) in self.tools {
            let known = versions.iter().any(Option::is_some);
            for version in versions {
                if version.is_some() || !known {
                    tools.push(Tool {
                        name: name.clone(),
                        version,
                    });
                }
            }
        }
        let (recovered, failed): (Vec<_>, Vec<_>) = self
            .failures
            .into_iter()
            .partition(|(key, _)| self.successes.contains(key));
        let names = |list: Vec<(String, String)>| {
            let mut names: Vec<String> = list.into_iter().map(|(_, name)| name).collect();
            names.sort();
            names
        };
        Finished {
            failed: names(failed),
            recovered: names(recovered),
            installation,
            tools,
            python_version: self.python.map(|(_, v)| v),
            indexes: self.indexes.into_iter().collect(),
            requirements: self.requirements.into_iter().collect(),
            installed: self.installed.into_values().collect(),
        }
    }
}

/// The collector's lists in their final, deterministic order.
pub struct Finished {
    pub failed: Vec<String>,
    pub recovered: Vec<String>,
    pub installation: Vec<Installation>,
    pub tools: Vec<Tool>,
    pub python_version: Option<String>,
    pub indexes: Vec<String>,
    pub requirements: Vec<String>,
    pub installed: Vec<InstalledPackage>,
}

/// `https://user:secret@host/simple` -> `https://host/simple`.
pub fn strip_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    match url[authority_start..authority_end].rfind('@') {
        Some(at) => format!(
            "{}{}",
            &url[..authority_start],
            &url[authority_start + at + 1..]
        ),
        None => url.to_owned(),
    }
}

/// The last path segment of a URL or path, without query or fragment.
pub fn file_name(artifact: &str) -> &str {
    let end = artifact.find(['#', '?']).unwrap_or(artifact.len());
    let path = &artifact[..end];
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The version in a wheel or sdist file name, given the project name it belongs to.
pub fn version_from_filename<'a>(name: &str, file: &'a str) -> Option<&'a str> {
    let stem = [
        ".whl", ".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".egg",
    ]
    .iter()
    .find_map(|ext| file.strip_suffix(ext))?;
    let key = normalize_name(name);
    // Old sdists keep dashes in the name (`python-json-logger-0.1.11`): try every dash.
    for (i, _) in stem.match_indices('-') {
        if normalize_name(&stem[..i]) == key {
            let rest = &stem[i + 1..];
            let version = if file.ends_with(".whl") || file.ends_with(".egg") {
                rest.split('-').next()?
            } else {
                rest
            };
            return (!version.is_empty()).then_some(version);
        }
    }
    None
}

/// Splits a requirement like `foo[bar]>=1,<2 ; python_version < "3"` into its name and, when
/// pinned with `==`, the version. Direct references (URLs, paths) have no name: `None`.
pub fn split_requirement(spec: &str) -> Option<(&str, Option<&str>)> {
    let spec = spec.trim();
    let name_end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..name_end];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let rest = &spec[name_end..];
    if rest.starts_with([':', '/', '\\', '+']) || name.ends_with('.') {
        // `git+https:`, `c:\path`, `./dir` are references, not names.
        return None;
    }
    let rest = rest.trim_start();
    let rest = match rest.strip_prefix('[') {
        Some(extras) => extras.split_once(']').map_or("", |(_, r)| r).trim_start(),
        None => rest,
    };
    let version = rest
        .strip_prefix("==")
        .filter(|r| !r.starts_with('='))
        .map(|r| {
            let end = r
                .find(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ')'))
                .unwrap_or(r.len());
            &r[..end]
        })
        .filter(|v| !v.is_empty() && !v.contains('*'));
    Some((name, version))
}

/// `name-1.2.3` (as in `Successfully installed name-1.2.3`) to name and version.
pub fn split_name_version(token: &str) -> Option<(&str, &str)> {
    let (name, version) = token.rsplit_once('-')?;
    (!name.is_empty() && version.starts_with(|c: char| c.is_ascii_digit()))
        .then_some((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_credentials() {
        assert_eq!(
            strip_userinfo("https://u:p@h.example/simple"),
            "https://h.example/simple"
        );
        assert_eq!(
            strip_userinfo("https://h.example/a@b"),
            "https://h.example/a@b"
        );
        assert_eq!(strip_userinfo("not a url"), "not a url");
    }

    #[test]
    fn versions_from_file_names() {
        assert_eq!(
            version_from_filename(
                "aiohttp",
                "aiohttp-4.0.0a1-cp36-cp36m-manylinux1_x86_64.whl"
            ),
            Some("4.0.0a1")
        );
        assert_eq!(
            version_from_filename("python-json-logger", "python-json-logger-0.1.11.tar.gz"),
            Some("0.1.11")
        );
        assert_eq!(
            version_from_filename("sqlalchemy-utils", "SQLAlchemy-Utils-0.36.3.tar.gz"),
            Some("0.36.3")
        );
        assert_eq!(
            version_from_filename("numpy", "numpy-1.19.4.zip"),
            Some("1.19.4")
        );
        assert_eq!(version_from_filename("numpy", "scipy-1.0.zip"), None);
        assert_eq!(version_from_filename("numpy", "numpy"), None);
    }

    #[test]
    fn requirements() {
        assert_eq!(split_requirement("foo==1.0"), Some(("foo", Some("1.0"))));
        assert_eq!(
            split_requirement("Foo[bar]==2 ; python_version<'3'"),
            Some(("Foo", Some("2")))
        );
        assert_eq!(
            split_requirement("numpy<=1.19.4,>=1.19.2"),
            Some(("numpy", None))
        );
        assert_eq!(split_requirement("foo===1.0"), Some(("foo", None)));
        assert_eq!(split_requirement("git+https://x/y.git"), None);
        assert_eq!(split_requirement("c:\\users\\x"), None);
        assert_eq!(split_requirement("./local"), None);
        assert_eq!(
            split_name_version("python-json-logger-0.1.11"),
            Some(("python-json-logger", "0.1.11"))
        );
        assert_eq!(split_name_version("nodash"), None);
    }
}
