//! One module per ecosystem; each reads the merged [`FileTree`] and fills its part of the report.
//!
//! [`capture`] is the single place that says which files' bytes the layer walk keeps, so memory
//! stays bounded by what the catalogers need, not by the image size.

pub mod aicoe;
pub mod apk;
pub mod cuda;
pub mod deb;
pub mod elf;
pub mod os_release;
pub mod ownership;
pub mod python;
pub mod rpm;

use crate::path::ImagePath;

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

/// Files that are kept whole: package databases, metadata, configuration.
pub fn capture(path: &ImagePath, python_files: bool) -> Capture {
    let s = path.as_str();
    let name = path.file_name();
    let parent_name = path
        .parent()
        .map(|p| p.file_name().to_owned())
        .unwrap_or_default();
    let content = matches!(
        s,
        "/etc/os-release"
            | "/usr/lib/os-release"
            | "/var/lib/dpkg/status"
            | "/usr/local/cuda/version.txt"
            | "/usr/local/cuda/version.json"
            | "/opt/aicoe-ci/Pipfile"
            | "/opt/aicoe-ci/Pipfile.lock"
            | "/etc/ld.so.conf"
            | "/lib/apk/db/installed"
    ) || s.starts_with("/var/lib/dpkg/status.d/")
        || (s.starts_with("/var/lib/dpkg/info/") && name.ends_with(".list"))
        || s.starts_with("/etc/ld.so.conf.d/")
        || (parent_name.ends_with(".dist-info")
            && matches!(
                name,
                "METADATA" | "RECORD" | "INSTALLER" | "entry_points.txt" | "top_level.txt"
            ))
        || (parent_name.ends_with(".egg-info")
            && matches!(
                name,
                "PKG-INFO" | "installed-files.txt" | "SOURCES.txt" | "top_level.txt"
            ))
        || name.ends_with(".egg-info")
        // Unzipped `.egg` directories keep their metadata in `EGG-INFO/PKG-INFO`.
        || (parent_name == "EGG-INFO" && name == "PKG-INFO")
        || name == "pyvenv.cfg"
        || is_python_interpreter_name(name)
        || rpm::is_database_file(s);
    if content {
        Capture::Content
    } else if python_files && name.ends_with(".py") {
        Capture::Digest
    } else {
        Capture::Nothing
    }
}

/// Paths whose every layer version is kept, to tell which layer introduced a package.
pub fn keeps_history(path: &ImagePath) -> bool {
    let s = path.as_str();
    s == "/var/lib/dpkg/status"
        || s == "/lib/apk/db/installed"
        || s.starts_with("/var/lib/dpkg/status.d/")
        || rpm::is_database_file(s)
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

    /// The report embeds these types; their schemas must generate.
    #[test]
    fn catalog_outputs_have_schemas() {
        let schemas = [
            schemars::schema_for!(os_release::OsReleaseCatalog),
            schemars::schema_for!(deb::DebCatalog),
            schemars::schema_for!(python::PythonCatalog),
            schemars::schema_for!(cuda::CudaCatalog),
            schemars::schema_for!(aicoe::AicoeCatalog),
            schemars::schema_for!(rpm::RpmCatalog),
        ];
        for schema in schemas {
            let json = serde_json::to_value(&schema).unwrap_or_default();
            assert!(json.get("properties").is_some(), "{json}");
            assert!(json["properties"].get("warnings").is_none(), "{json}");
        }
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
