//! Which indexes to ask, from where pip's and uv's users already configure them. No index is
//! built in. The main index is the first of:
//!
//! 1. the options (`--index-url` / `-i`, given by the caller);
//! 2. `PIP_INDEX_URL`;
//! 3. `UV_DEFAULT_INDEX`, else `UV_INDEX_URL` (uv lets the first win);
//! 4. `index-url` of pip's configuration files (pip's order, later files overriding earlier).
//!
//! Extra indexes add to it whichever source gave it: the options' extra indexes,
//! `PIP_EXTRA_INDEX_URL` (or, without it, pip.conf's `extra-index-url`), `UV_INDEX` (entries
//! may be `name=url`, as uv accepts) and `UV_EXTRA_INDEX_URL`, each a space-separated list.
//! Extra indexes alone are enough: the first becomes the main one. An index named twice is
//! asked once.

use std::path::{Path, PathBuf};

use super::error::IndexError;

/// The indexes to ask, the main one first, and where the setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexUrls {
    pub index_url: String,
    pub extra_index_urls: Vec<String>,
    /// `options`, `environment (VARIABLE)`, the configuration file's path, or `extra indexes
    /// only`.
    pub origin: String,
}

/// What the error says when nothing is configured: every place an index can be given.
pub const NOTHING_CONFIGURED: &str = "no package index is configured: set PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, UV_DEFAULT_INDEX / UV_INDEX_URL / UV_INDEX / UV_EXTRA_INDEX_URL, `index-url` in pip.conf's [global] section, or name one with an option";

impl IndexUrls {
    /// Every index, the main one first.
    pub fn all(&self) -> Vec<String> {
        std::iter::once(self.index_url.clone())
            .chain(self.extra_index_urls.iter().cloned())
            .collect()
    }

    /// Looks the indexes up in the process environment and pip's files.
    pub fn discover(index_url: Option<&str>, extra: &[String]) -> Result<Self, IndexError> {
        Self::discover_with(
            index_url,
            extra,
            &|k| std::env::var(k).ok(),
            std::env::var_os("HOME").map(PathBuf::from).as_deref(),
            Path::new("/etc"),
        )
    }

    /// [`Self::discover`] with the environment, home and system configuration folder given
    /// (for tests). The only error is [`IndexError::Config`] with [`NOTHING_CONFIGURED`]:
    /// configuration files that cannot be read are passed over, as pip does.
    pub fn discover_with(
        index_url: Option<&str>,
        extra: &[String],
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
        etc: &Path,
    ) -> Result<Self, IndexError> {
        let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let uv_extra: Vec<String> = split_list(&var("UV_INDEX").unwrap_or_default())
            .into_iter()
            .map(uv_index_url)
            .chain(split_list(&var("UV_EXTRA_INDEX_URL").unwrap_or_default()))
            .collect();
        let env_extra = split_list(&var("PIP_EXTRA_INDEX_URL").unwrap_or_default());
        let main = [
            (index_url.map(str::to_owned), "options"),
            (var("PIP_INDEX_URL"), "environment (PIP_INDEX_URL)"),
            (var("UV_DEFAULT_INDEX"), "environment (UV_DEFAULT_INDEX)"),
            (var("UV_INDEX_URL"), "environment (UV_INDEX_URL)"),
        ]
        .into_iter()
        .find_map(|(url, origin)| url.map(|u| (u.trim().to_owned(), origin)));
        let mut found = match main {
            Some((index_url, origin)) => Self {
                index_url,
                extra_index_urls: [extra.to_vec(), env_extra, uv_extra].concat(),
                origin: origin.to_owned(),
            },
            None => {
                let given = [extra.to_vec(), uv_extra].concat();
                match from_pip_files(&given, env_extra, env, home, etc) {
                    Some(found) => found,
                    None if !given.is_empty() => Self {
                        index_url: given[0].clone(),
                        extra_index_urls: given[1..].to_vec(),
                        origin: "extra indexes only".to_owned(),
                    },
                    None => return Err(IndexError::Config(NOTHING_CONFIGURED.to_owned())),
                }
            }
        };
        let mut seen = vec![found.index_url.clone()];
        found.extra_index_urls.retain(|u| {
            let new = !seen.contains(u);
            seen.push(u.clone());
            new
        });
        tracing::info!(
            origin = %found.origin,
            indexes = %crate::secret::redact_url(&found.all().join(" ")),
            "default indexes"
        );
        Ok(found)
    }
}

/// The main index of pip's configuration files, with `given` and (`PIP_EXTRA_INDEX_URL`, else
/// the files' `extra-index-url`) as extra indexes; `None` when no file names a main index.
fn from_pip_files(
    given: &[String],
    env_extra: Vec<String>,
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
    etc: &Path,
) -> Option<IndexUrls> {
    // pip reads these in order, later files overriding earlier ones.
    let mut files: Vec<PathBuf> = vec![etc.join("xdg/pip/pip.conf"), etc.join("pip.conf")];
    if let Some(home) = home {
        files.push(home.join(".pip/pip.conf"));
        let config_home = env("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".config"));
        files.push(config_home.join("pip/pip.conf"));
    }
    match env("PIP_CONFIG_FILE") {
        Some(f) if f == "/dev/null" || f == "os.devnull" => files.clear(),
        Some(f) => files.push(PathBuf::from(f)),
        None => {}
    }
    let mut found: Option<(String, Vec<String>, String)> = None;
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let (index, extras) = read_pip_conf(&text);
        let origin = file.display().to_string();
        match (&mut found, index) {
            (_, Some(index)) => found = Some((index, extras, origin)),
            (Some(f), None) if !extras.is_empty() => f.1 = extras,
            _ => {}
        }
    }
    let (index_url, file_extra, origin) = found?;
    Some(IndexUrls {
        index_url,
        extra_index_urls: [
            given.to_vec(),
            if env_extra.is_empty() {
                file_extra
            } else {
                env_extra
            },
        ]
        .concat(),
        origin,
    })
}

/// A `UV_INDEX` entry's URL: `name=url` or a bare URL (a URL's own `=` comes after `://`).
fn uv_index_url(entry: String) -> String {
    match entry.split_once('=') {
        Some((name, url)) if !name.contains([':', '/']) => url.to_owned(),
        _ => entry,
    }
}

/// `index-url` and `extra-index-url` of a pip.conf's `[global]` section (`[install]` overrides).
fn read_pip_conf(text: &str) -> (Option<String>, Vec<String>) {
    let mut section = String::new();
    let mut index = [None, None];
    let mut extra: [Option<String>; 2] = [None, None];
    let mut last_key: Option<(usize, bool)> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            last_key = None;
            continue;
        }
        let slot = match section.as_str() {
            "global" => Some(0),
            "install" => Some(1),
            _ => None,
        };
        // A continuation line (indented) adds to the previous value.
        if line.starts_with([' ', '\t']) {
            if let Some((s, true)) = last_key {
                let value = extra[s].get_or_insert_with(String::new);
                value.push(' ');
                value.push_str(trimmed);
            }
            continue;
        }
        last_key = None;
        let Some(slot) = slot else { continue };
        let Some((key, value)) = trimmed.split_once(['=', ':']) else {
            continue;
        };
        match key.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "index-url" | "i" => index[slot] = Some(value.trim().to_owned()),
            "extra-index-url" => {
                extra[slot] = Some(value.trim().to_owned());
                last_key = Some((slot, true));
            }
            _ => {}
        }
    }
    let [g, i] = index;
    let [ge, ie] = extra;
    (
        i.or(g).filter(|s| !s.is_empty()),
        split_list(&ie.or(ge).unwrap_or_default()),
    )
}

fn split_list(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn options_win_then_environment_then_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let etc = dir.path().join("etc");
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join(".config/pip")).expect("mkdir");
        std::fs::create_dir_all(&etc).expect("mkdir");
        std::fs::write(
            etc.join("pip.conf"),
            "[global]\nindex-url = http://127.0.0.1:1/etc/\n",
        )
        .expect("write");
        std::fs::write(
            home.join(".config/pip/pip.conf"),
            "[global]\nextra-index-url =\n    http://127.0.0.1:2/a/\n    http://127.0.0.1:3/b/\n",
        )
        .expect("write");

        let none = env_of(&[]);
        let found = IndexUrls::discover_with(None, &[], &none, Some(&home), &etc).expect("found");
        assert_eq!(found.index_url, "http://127.0.0.1:1/etc/");
        assert_eq!(
            found.extra_index_urls,
            ["http://127.0.0.1:2/a/", "http://127.0.0.1:3/b/"]
        );

        let env = env_of(&[
            ("PIP_INDEX_URL", "http://127.0.0.1:4/env/"),
            (
                "PIP_EXTRA_INDEX_URL",
                "http://127.0.0.1:5/x/ http://127.0.0.1:6/y/",
            ),
        ]);
        let found = IndexUrls::discover_with(None, &[], &env, Some(&home), &etc).expect("found");
        assert_eq!(
            found.all(),
            [
                "http://127.0.0.1:4/env/",
                "http://127.0.0.1:5/x/",
                "http://127.0.0.1:6/y/"
            ]
        );

        let found = IndexUrls::discover_with(
            Some("http://127.0.0.1:7/opt/"),
            &[],
            &env,
            Some(&home),
            &etc,
        )
        .expect("found");
        // The option replaces the main index; PIP_EXTRA_INDEX_URL still adds, as pip does.
        assert_eq!(
            found.all(),
            [
                "http://127.0.0.1:7/opt/",
                "http://127.0.0.1:5/x/",
                "http://127.0.0.1:6/y/"
            ]
        );
        assert_eq!(found.origin, "options");

        let custom = dir.path().join("custom.conf");
        std::fs::write(&custom, "[install]\nindex_url: http://127.0.0.1:8/custom/\n[global]\nindex-url=http://127.0.0.1:9/g/\n").expect("write");
        let env = env_of(&[("PIP_CONFIG_FILE", custom.to_str().expect("utf-8"))]);
        let found = IndexUrls::discover_with(None, &[], &env, Some(&home), &etc).expect("found");
        assert_eq!(
            found.index_url, "http://127.0.0.1:8/custom/",
            "[install] overrides [global]"
        );
        assert_eq!(found.origin, custom.display().to_string());
    }

    #[test]
    fn nothing_configured_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = IndexUrls::discover_with(None, &[], &env_of(&[]), Some(dir.path()), dir.path())
            .expect_err("no index");
        assert!(
            err.to_string().contains("no package index is configured"),
            "{err}"
        );
        let devnull = env_of(&[("PIP_CONFIG_FILE", "/dev/null")]);
        assert!(IndexUrls::discover_with(None, &[], &devnull, None, Path::new("/etc")).is_err());
    }

    fn all(index: Option<&str>, extra: &[&str], env: &[(&str, &str)]) -> (Vec<String>, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        let found =
            IndexUrls::discover_with(index, &extra, &env_of(env), Some(dir.path()), dir.path())
                .expect("configured");
        (found.all(), found.origin)
    }

    #[test]
    fn options_then_pip_then_uv_variables() {
        let uv = [
            ("UV_DEFAULT_INDEX", "http://127.0.0.1:1/default/"),
            ("UV_INDEX_URL", "http://127.0.0.1:2/index-url/"),
            (
                "UV_INDEX",
                "internal=http://127.0.0.1:3/a/?x=1 http://127.0.0.1:4/b/",
            ),
            ("UV_EXTRA_INDEX_URL", "http://127.0.0.1:5/c/"),
        ];
        let (urls, origin) = all(None, &[], &uv);
        assert_eq!(origin, "environment (UV_DEFAULT_INDEX)");
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:1/default/",
                "http://127.0.0.1:3/a/?x=1",
                "http://127.0.0.1:4/b/",
                "http://127.0.0.1:5/c/"
            ]
        );
        let (urls, origin) = all(None, &[], &uv[1..]);
        assert_eq!(origin, "environment (UV_INDEX_URL)");
        assert_eq!(urls[0], "http://127.0.0.1:2/index-url/");

        let mut pip = uv.to_vec();
        pip.push(("PIP_INDEX_URL", "http://127.0.0.1:6/pip/"));
        let (urls, origin) = all(None, &[], &pip);
        assert_eq!(origin, "environment (PIP_INDEX_URL)");
        assert_eq!(urls[0], "http://127.0.0.1:6/pip/");
        assert_eq!(
            urls.len(),
            4,
            "UV_INDEX/UV_EXTRA_INDEX_URL still add: {urls:?}"
        );

        let (urls, origin) = all(
            Some("http://127.0.0.1:7/opt/"),
            &["http://127.0.0.1:8/more/", "http://127.0.0.1:7/opt/"],
            &pip,
        );
        assert_eq!(origin, "options");
        assert_eq!(
            &urls[..2],
            ["http://127.0.0.1:7/opt/", "http://127.0.0.1:8/more/"]
        );
        assert_eq!(
            urls.len(),
            5,
            "the repeated main index is dropped: {urls:?}"
        );
    }

    #[test]
    fn extra_indexes_alone_are_enough() {
        let (urls, origin) = all(None, &[], &[("UV_INDEX", "http://127.0.0.1:3/a/")]);
        assert_eq!(urls, ["http://127.0.0.1:3/a/"]);
        assert_eq!(origin, "extra indexes only");
    }
}
