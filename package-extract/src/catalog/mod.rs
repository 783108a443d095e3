//! One module per ecosystem, each declaring a [`Cataloger`] (see [`seam`]); [`CATALOGERS`]
//! registers them.
//!
//! [`capture`] and [`keeps_history`] are derived from the catalogers' [`Wanted`] files, so the
//! layer walk keeps what they read and nothing else: memory stays bounded by what the
//! catalogers need, not by the image size.

pub mod aicoe;
pub mod apk;
pub mod conda;
pub mod cuda;
pub mod deb;
pub mod elf;
pub mod glob;
pub mod history;
pub mod os_release;
pub mod ownership;
pub mod python;
pub mod registry;
pub mod rpm;
pub mod seam;

use std::sync::LazyLock;

pub use registry::CATALOGERS;
pub use seam::{Cataloger, Findings, Keep, Package, Scan, Wanted};

use crate::path::ImagePath;
use glob::Glob;

/// What the layer walk keeps of a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// Only its path, kind, size and mode.
    Nothing,
    /// Its bytes (up to the capture limit).
    Content,
    /// Its SHA-256.
    Digest,
}

/// Every cataloger's [`Wanted`] files, compiled once, each with its `/usr`-merge twin.
static WANTED: LazyLock<Vec<(Glob, Wanted)>> = LazyLock::new(|| {
    CATALOGERS
        .iter()
        .flat_map(|c| c.files.iter())
        .flat_map(|w| {
            let glob = Glob::new(w.glob);
            let twin = glob.usr_merge_twin();
            std::iter::once((glob, *w)).chain(twin.map(|t| (t, *w)))
        })
        .collect()
});

/// The declarations `path` matches. Called for every file of every layer: the file name
/// rejects nearly all of them before the path is split.
fn wanted(path: &ImagePath) -> impl Iterator<Item = &'static Wanted> + '_ {
    let name = path.file_name();
    let mut components: Option<Vec<&str>> = None;
    WANTED
        .iter()
        .filter(move |(glob, w)| {
            glob.may_match_name(name)
                && w.name_filter.is_none_or(|f| f(name))
                && glob.matches(components.get_or_insert_with(|| path.components().collect()))
        })
        .map(|(_, w)| w)
}

/// What the layer walk keeps of the file at `path`: what the catalogers declared.
pub fn capture(path: &ImagePath, python_files: bool) -> Capture {
    let mut digest = false;
    for w in wanted(path) {
        match w.keep {
            Keep::Content => return Capture::Content,
            Keep::Digest => digest = true,
        }
    }
    if digest && python_files {
        Capture::Digest
    } else {
        Capture::Nothing
    }
}

/// Paths whose every layer version is kept, to tell which layer introduced a package.
pub fn keeps_history(path: &ImagePath) -> bool {
    wanted(path).any(|w| w.history)
}

/// `python`, `python3`, `python3.11`, `python3.11d`, `pypy3`... (not `python3-config`).
pub fn is_python_interpreter_name(name: &str) -> bool {
    let rest = name
        .strip_prefix("python")
        .or_else(|| name.strip_prefix("pypy"));
    match rest {
        Some(rest) => rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == 'm' || c == 'd' || c == 't'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(path: &str) -> Capture {
        capture(&ImagePath::normalize(path).0, true)
    }

    #[test]
    fn keeps_what_catalogers_read() {
        assert_eq!(c("/var/lib/dpkg/status"), Capture::Content);
        assert_eq!(c("/var/lib/dpkg/status.d/base"), Capture::Content);
        assert_eq!(
            c("/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA"),
            Capture::Content
        );
        assert_eq!(
            c("/usr/lib/python3/dist-packages/six-1.16.0.egg-info"),
            Capture::Content
        );
        assert_eq!(c("/opt/venv/pyvenv.cfg"), Capture::Content);
        assert_eq!(
            c("/usr/lib/python3/site-packages/x-1.0-py3.8.egg/EGG-INFO/PKG-INFO"),
            Capture::Content
        );
        assert_eq!(c("/usr/bin/python3.11"), Capture::Content);
        for db in [
            "/var/lib/rpm/Packages",
            "/var/lib/rpm/Packages.db",
            "/var/lib/rpm/rpmdb.sqlite",
            "/usr/lib/sysimage/rpm/Packages",
            "/usr/lib/sysimage/rpm/Packages.db",
            "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        ] {
            assert_eq!(c(db), Capture::Content, "{db}");
            assert!(keeps_history(&ImagePath::normalize(db).0), "{db}");
        }
        for db in ["/lib/apk/db/installed", "/usr/lib/apk/db/installed"] {
            assert_eq!(c(db), Capture::Content, "{db}");
            assert!(keeps_history(&ImagePath::normalize(db).0), "{db}");
        }
        for kept in [
            "/opt/conda/conda-meta/numpy-2.0.1-py312h1_0.json",
            "/opt/conda/envs/ml/conda-meta/python-3.12.0-h0_0.json",
            "/var/lib/dpkg/info/libc6:amd64.list",
            "/etc/ld.so.conf.d/libc.conf",
            "/usr/local/cuda/version.json",
        ] {
            assert_eq!(c(kept), Capture::Content, "{kept}");
            assert!(!keeps_history(&ImagePath::normalize(kept).0), "{kept}");
        }
        assert_eq!(c("/opt/conda/conda-meta/history.txt"), Capture::Nothing);
        assert_eq!(c("/usr/share/man/man1/python3.11.1.gz"), Capture::Nothing);
        assert_eq!(c("/var/lib/rpm/Name"), Capture::Nothing);
        assert_eq!(c("/var/lib/rpm/rpmdb.sqlite-wal"), Capture::Nothing);
        assert_eq!(c("/usr/lib/python3/dist-packages/six.py"), Capture::Digest);
        assert_eq!(c("/usr/bin/python3-config"), Capture::Nothing);
        assert_eq!(c("/usr/share/doc/README"), Capture::Nothing);
        assert_eq!(
            capture(&ImagePath::normalize("/x.py").0, false),
            Capture::Nothing
        );
    }
}
