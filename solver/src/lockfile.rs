//! A resolution written as a lock: `requirements.txt` with `--hash` lines (what
//! `pip install --require-hashes` takes) or `pylock.toml` (PEP 751).

use common::index::{Distribution, IndexFile};
use serde::Serialize;

/// One locked release with the files of it the lock lists.
pub struct Locked<'a> {
    pub name: &'a str,
    pub version: String,
    pub index: &'a str,
    pub files: Vec<&'a IndexFile>,
}

/// `requirements.txt`, names sorted, every file's sha256 listed so any of them installs.
pub fn requirements_txt(header: &str, locked: &[Locked<'_>]) -> String {
    let mut out = String::new();
    for line in header.lines() {
        out.push_str(&format!("# {line}\n"));
    }
    for l in locked {
        let mut hashes: Vec<&str> = l.files.iter().filter_map(|f| f.sha256()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        out.push_str(&format!("{}=={}", l.name, l.version));
        for h in hashes {
            out.push_str(&format!(" \\\n    --hash=sha256:{h}"));
        }
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct Pylock<'a> {
    #[serde(rename = "lock-version")]
    lock_version: &'a str,
    #[serde(rename = "created-by")]
    created_by: &'a str,
    #[serde(rename = "requires-python", skip_serializing_if = "Option::is_none")]
    requires_python: Option<String>,
    packages: Vec<PylockPackage<'a>>,
}

#[derive(Serialize)]
struct PylockPackage<'a> {
    name: &'a str,
    version: String,
    index: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sdist: Option<PylockFile>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    wheels: Vec<PylockFile>,
}

#[derive(Serialize)]
struct PylockFile {
    name: String,
    url: String,
    hashes: std::collections::BTreeMap<String, String>,
}

fn pylock_file(f: &IndexFile) -> PylockFile {
    PylockFile {
        name: f.filename.to_string(),
        url: common::secret::redact_url(&f.url),
        hashes: f
            .hashes
            .iter()
            .map(|(algorithm, digest)| (algorithm.to_owned(), digest.to_owned()))
            .collect(),
    }
}

/// `pylock.toml` for one target (`python` is its `X.Y`).
pub fn pylock_toml(python: &str, locked: &[Locked<'_>]) -> Result<String, String> {
    let lock = Pylock {
        lock_version: "1.0",
        created_by: "solver",
        requires_python: Some(format!("=={python}.*")),
        packages: locked
            .iter()
            .map(|l| PylockPackage {
                name: l.name,
                version: l.version.clone(),
                index: l.index,
                sdist: l
                    .files
                    .iter()
                    .find(|f| matches!(f.distribution, Distribution::Sdist(_)))
                    .map(|f| pylock_file(f)),
                wheels: l
                    .files
                    .iter()
                    .filter(|f| matches!(f.distribution, Distribution::Wheel(_)))
                    .map(|f| pylock_file(f))
                    .collect(),
            })
            .collect(),
    };
    toml::to_string(&lock).map_err(|e| format!("cannot write pylock.toml: {e}"))
}
