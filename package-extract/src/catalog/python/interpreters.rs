//! `python-interpreters`: interpreter executables on the usual paths and in every virtual
//! environment, with the version read from `pyvenv.cfg` or the binary (Thoth ran
//! `<interpreter> --version` on the host, and searched `/usr/bin` only).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::version_string::{full_version, is_elf, minor_from_libpython, minor_from_name};
use crate::catalog::is_python_interpreter_name;
use crate::path::ImagePath;
use crate::tree::{FileTree, Node};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PythonInterpreter {
    pub path: String,
    /// Where the chain of links from `path` ends, inside the image; `path` itself when it is
    /// not a link; `null` for a dangling link or a loop.
    pub link: Option<String>,
    /// Thoth's format, `"Python 3.8.10"` (only `"Python 3.8"` when the patch level could not
    /// be found); `null` when unknown.
    pub version: Option<String>,
    /// New: where `version` came from.
    pub version_source: Option<VersionSource>,
    /// New: the virtual environment's root when the interpreter is in one's `bin/`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub venv: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum VersionSource {
    /// The venv's `version` / `version_info` key.
    PyvenvCfg,
    /// CPython's version string in the interpreter binary.
    Binary,
    /// The `libpython3.X` the binary needs (minor version only).
    Libpython,
    /// The interpreter's file name, `python3.X` (minor version only).
    FileName,
}

/// Fixed places interpreters are installed; `/opt/*/bin` and venvs are added from the tree.
const BIN_DIRS: [&str; 4] = ["/usr/bin", "/usr/local/bin", "/bin", "/opt/app-root/bin"];

pub fn interpreters(tree: &FileTree) -> (Vec<PythonInterpreter>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut found = Vec::new();
    let mut scans = Scans::new();
    for (dir, venv) in bin_dirs(tree) {
        let names: Vec<ImagePath> = tree
            .children(&dir)
            .filter(|(p, _)| is_python_interpreter_name(p.file_name()))
            .map(|(p, _)| p.clone())
            .collect();
        for path in names {
            let real = tree.entry_resolved(&path);
            if matches!(real, Some((_, e)) if e.node == Node::Dir) {
                continue;
            }
            if real.is_none() {
                warnings.push(format!("{path}: dangling or looping link"));
            }
            let (version, version_source) =
                match detect_version(tree, &path, venv.as_ref(), &mut scans, &mut warnings) {
                    Some((v, s)) => (Some(v), Some(s)),
                    None => (None, None),
                };
            found.push(PythonInterpreter {
                path: path.to_string(),
                link: real.map(|(p, _)| p.to_string()),
                version,
                version_source,
                venv: venv.as_ref().map(ImagePath::to_string),
            });
        }
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    (found, warnings)
}

/// Real (link-resolved) directories to search, each with its venv root if it is a venv's
/// `bin/`. `/bin` is a link to `/usr/bin` on merged-/usr systems; resolving first lists each
/// interpreter once.
fn bin_dirs(tree: &FileTree) -> BTreeMap<ImagePath, Option<ImagePath>> {
    let mut dirs: Vec<(ImagePath, Option<ImagePath>)> = BIN_DIRS
        .iter()
        .map(|d| (ImagePath::normalize(d).0, None))
        .collect();
    let opt = ImagePath::normalize("/opt").0;
    // `/opt/NAME` need not be listed as an entry; its name is the second component of
    // everything below it.
    let tops: std::collections::BTreeSet<&str> = tree
        .descendants(&opt)
        .filter_map(|(path, _)| path.components().nth(1))
        .collect();
    dirs.extend(
        tops.into_iter()
            .map(|top| (opt.child(top).child("bin"), None)),
    );
    for (path, entry) in tree.iter() {
        if path.file_name() == "pyvenv.cfg" && matches!(entry.node, Node::File { .. }) {
            if let Some(root) = path.parent() {
                dirs.push((root.child("bin"), Some(root)));
            }
        }
    }
    let mut out: BTreeMap<ImagePath, Option<ImagePath>> = BTreeMap::new();
    for (dir, venv) in dirs {
        if let Some(real) = tree.resolve(&dir) {
            let slot = out.entry(real).or_default();
            if slot.is_none() {
                *slot = venv;
            }
        }
    }
    out
}

/// What reading a binary gave, by the binary's real path and the minor version its name gave:
/// `python3` and `python3.11` are one binary of several MiB, read once.
type Scans =
    std::collections::HashMap<(Option<ImagePath>, Option<String>), Option<(String, VersionSource)>>;

fn detect_version(
    tree: &FileTree,
    path: &ImagePath,
    venv: Option<&ImagePath>,
    scans: &mut Scans,
    warnings: &mut Vec<String>,
) -> Option<(String, VersionSource)> {
    if let Some(root) = venv {
        let cfg = root.child("pyvenv.cfg");
        match tree.content(&cfg).and_then(pyvenv_version) {
            Some(v) => return Some((format!("Python {v}"), VersionSource::PyvenvCfg)),
            None => warnings.push(format!("{cfg}: no version or version_info key")),
        }
    }
    let real = tree.resolve(path);
    let real_name = real.as_ref().map_or(path.file_name(), |p| p.file_name());
    let name_minor = minor_from_name(real_name).or_else(|| minor_from_name(path.file_name()));
    let scanned = scans
        .entry((real.clone(), name_minor.clone()))
        .or_insert_with(|| {
            let bytes = tree.content(path).filter(|b| is_elf(b))?;
            let lib_minor = minor_from_libpython(bytes);
            let minor = name_minor.as_deref().or(lib_minor.as_deref());
            if let Some(v) = full_version(bytes, minor) {
                return Some((format!("Python {v}"), VersionSource::Binary));
            }
            lib_minor.map(|m| (format!("Python {m}"), VersionSource::Libpython))
        });
    if let Some(found) = scanned {
        return Some(found.clone());
    }
    name_minor.map(|m| (format!("Python {m}"), VersionSource::FileName))
}

/// `version = 3.11.2` (venv) or `version_info = 3.11.2.final.0` (virtualenv, uv), as
/// `3.11.2`.
fn pyvenv_version(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let value = ["version", "version_info"].iter().find_map(|key| {
        text.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().to_owned())
        })
    })?;
    let numeric: Vec<&str> = value
        .split('.')
        .take(3)
        .take_while(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    (numeric.len() >= 2).then(|| numeric.join("."))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
