//! Which indexes to ask, from where users already configure them: options first, then
//! `PIP_INDEX_URL` / `PIP_EXTRA_INDEX_URL`, then pip's configuration files. No index is built in.

use std::path::{Path, PathBuf};

use super::error::IndexError;

/// The indexes to ask, the main one first, and where the setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexUrls {
    pub index_url: String,
    pub extra_index_urls: Vec<String>,
    /// `options`, `environment`, or the configuration file's path.
    pub origin: String,
}

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
    /// (for tests).
    pub fn discover_with(
        index_url: Option<&str>,
        extra: &[String],
        env: &dyn Fn(&str) -> Option<String>,
        home: Option<&Path>,
        etc: &Path,
    ) -> Result<Self, IndexError> {
        if let Some(index) = index_url {
            return Ok(Self {
                index_url: index.to_owned(),
                extra_index_urls: extra.to_vec(),
                origin: "options".to_owned(),
            });
        }
        let env_extra = split_list(&env("PIP_EXTRA_INDEX_URL").unwrap_or_default());
        if let Some(index) = env("PIP_INDEX_URL").filter(|s| !s.trim().is_empty()) {
            return Ok(Self {
                index_url: index.trim().to_owned(),
                extra_index_urls: [extra.to_vec(), env_extra].concat(),
                origin: "environment (PIP_INDEX_URL)".to_owned(),
            });
        }
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
        match found {
            Some((index_url, file_extra, origin)) => Ok(Self {
                index_url,
                extra_index_urls: [
                    extra.to_vec(),
                    if env_extra.is_empty() { file_extra } else { env_extra },
                ]
                .concat(),
                origin,
            }),
            None => Err(IndexError::Config(
                "no package index is configured: give one with an option, PIP_INDEX_URL, or `index-url` in pip.conf's [global] section".to_owned(),
            )),
        }
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
        assert_eq!(found.all(), ["http://127.0.0.1:7/opt/"]);
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
}
