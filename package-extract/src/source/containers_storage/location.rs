//! Where the store is: skopeo's `[DRIVER@GRAPHROOT+RUNROOT:OPTIONS]` prefix when given,
//! otherwise `storage.conf` as containers/storage reads it (`CONTAINERS_STORAGE_CONF`, the
//! user's file when rootless, then the system's), otherwise the built-in defaults.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use common::AnalyzerError;

/// `[DRIVER@GRAPHROOT+RUNROOT:OPTIONS]NAME` split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub driver: Option<String>,
    pub graphroot: Option<PathBuf>,
    /// The image: a name, `NAME@DIGEST`, an id or an id prefix.
    pub image: String,
}

impl Reference {
    pub fn parse(text: &str) -> Result<Self, String> {
        let example = "e.g. containers-storage:app:1.0 or containers-storage:[vfs@/var/lib/containers/storage+/run/containers/storage]app";
        let (spec, image) = match text.strip_prefix('[') {
            Some(rest) => {
                let (spec, image) = rest.split_once(']').ok_or_else(|| {
                    format!("containers-storage: the store spec lacks its closing ]; {example}")
                })?;
                (Some(spec), image)
            }
            None => (None, text),
        };
        if image.is_empty() {
            return Err(format!(
                "containers-storage: needs an image name or id; {example}"
            ));
        }
        let (mut driver, mut graphroot) = (None, None);
        if let Some(spec) = spec {
            // Options after the root (`:overlay.mount_program=...`) tune mounting; reading needs none.
            let spec = spec.split_once(':').map_or(spec, |(s, _)| s);
            let (d, roots) = match spec.split_once('@') {
                Some((d, r)) => (Some(d), r),
                None => (None, spec),
            };
            let root = roots.split_once('+').map_or(roots, |(g, _)| g);
            if let Some(d) = d.filter(|d| !d.is_empty()) {
                driver = Some(d.to_owned());
            }
            if !root.is_empty() {
                if !root.starts_with('/') {
                    return Err(format!(
                        "containers-storage: the store root {root:?} must be an absolute path; {example}"
                    ));
                }
                graphroot = Some(PathBuf::from(root));
            }
        }
        Ok(Self {
            driver,
            graphroot,
            image: image.to_owned(),
        })
    }
}

/// A store on disk, with what decided its location (for the errors).
#[derive(Debug, Clone)]
pub struct Store {
    pub graphroot: PathBuf,
    /// From the reference or `storage.conf`; `None` means: the driver whose files exist.
    pub driver: Option<String>,
    pub rootless: bool,
    /// The configuration files consulted, in order, and whether each existed.
    pub consulted: Vec<(PathBuf, bool)>,
}

/// The `[storage]` table of `storage.conf`, the keys reading needs.
#[derive(Debug, Default, serde::Deserialize)]
struct Conf {
    #[serde(default)]
    storage: ConfStorage,
}

#[derive(Debug, Default, serde::Deserialize)]
struct ConfStorage {
    driver: Option<String>,
    graphroot: Option<String>,
    rootless_storage_path: Option<String>,
}

/// The store `reference` names, or the default one of this user.
pub fn locate(reference: &Reference) -> Result<Store, AnalyzerError> {
    let rootless = std::fs::metadata("/proc/self")
        .map(|m| m.uid() != 0)
        .unwrap_or(true);
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut consulted = Vec::new();
    let mut conf = None;
    let mut from_user_file = false;
    for (path, user) in conf_candidates(rootless, home.as_deref()) {
        let exists = path.is_file();
        consulted.push((path.clone(), exists));
        if exists {
            conf = Some(read_conf(&path)?);
            from_user_file = user;
            break;
        }
    }
    let conf = conf.unwrap_or_default().storage;
    let configured = if rootless && !from_user_file {
        conf.rootless_storage_path.as_deref().map(expand)
    } else {
        conf.graphroot.as_deref().map(expand)
    };
    let graphroot = reference
        .graphroot
        .clone()
        .or(configured.map(PathBuf::from))
        .unwrap_or_else(|| default_graphroot(rootless, home.as_deref()));
    // containers/storage lets `STORAGE_DRIVER` override the file.
    let driver = reference
        .driver
        .clone()
        .or_else(|| std::env::var("STORAGE_DRIVER").ok())
        .or(conf.driver)
        .filter(|d| !d.is_empty());
    Ok(Store {
        graphroot,
        driver,
        rootless,
        consulted,
    })
}

/// The files containers/storage reads, in its order; `true` marks the user's own file, whose
/// `graphroot` applies to a rootless user (the system file's `rootless_storage_path` does).
fn conf_candidates(rootless: bool, home: Option<&Path>) -> Vec<(PathBuf, bool)> {
    if let Some(p) = std::env::var_os("CONTAINERS_STORAGE_CONF").filter(|p| !p.is_empty()) {
        return vec![(PathBuf::from(p), rootless)];
    }
    let mut files = Vec::new();
    if rootless {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| home.map(|h| h.join(".config")));
        if let Some(c) = config {
            files.push((c.join("containers/storage.conf"), true));
        }
    }
    files.push(("/etc/containers/storage.conf".into(), false));
    files.push(("/usr/share/containers/storage.conf".into(), false));
    files
}

fn read_conf(path: &Path) -> Result<Conf, AnalyzerError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AnalyzerError::input(format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| {
        AnalyzerError::input(format!(
            "{} is not valid storage.conf TOML: {e}",
            path.display()
        ))
    })
}

fn default_graphroot(rootless: bool, home: Option<&Path>) -> PathBuf {
    if !rootless {
        return "/var/lib/containers/storage".into();
    }
    std::env::var_os("XDG_DATA_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".local/share")))
        .unwrap_or_else(|| PathBuf::from(".local/share"))
        .join("containers/storage")
}

/// `$HOME`, `$UID` and `$USER` in a configured path, as containers/storage expands them.
fn expand(path: &str) -> String {
    let uid = std::fs::metadata("/proc/self")
        .map(|m| m.uid().to_string())
        .unwrap_or_default();
    let mut out = path.to_owned();
    for (var, value) in [
        ("$HOME", std::env::var("HOME").unwrap_or_default()),
        ("$UID", uid),
        ("$USER", std::env::var("USER").unwrap_or_default()),
    ] {
        out = out.replace(var, &value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_skopeo_store_specs() {
        let r = Reference::parse("[vfs@/s/root+/s/run]app:1").expect("full spec");
        assert_eq!(r.driver.as_deref(), Some("vfs"));
        assert_eq!(r.graphroot.as_deref(), Some(Path::new("/s/root")));
        assert_eq!(r.image, "app:1");
        let r = Reference::parse("[/s/root]app").expect("root only");
        assert_eq!(
            (r.driver, r.graphroot),
            (None, Some(PathBuf::from("/s/root")))
        );
        let r = Reference::parse("[overlay@/r+/run:overlay.mountopt=nodev]x@sha256:ab")
            .expect("options");
        assert_eq!(r.driver.as_deref(), Some("overlay"));
        assert_eq!(r.image, "x@sha256:ab");
        let r = Reference::parse("docker.io/library/alpine:3.10").expect("plain");
        assert_eq!((r.driver, r.graphroot), (None, None));
        assert!(Reference::parse("[vfs@relative+/run]app").is_err());
        assert!(Reference::parse("[vfs@/r").is_err());
        assert!(Reference::parse("[vfs@/r]").is_err());
    }

    #[test]
    fn expands_configured_paths() {
        let home = std::env::var("HOME").unwrap_or_default();
        assert_eq!(expand("$HOME/s"), format!("{home}/s"));
    }
}
