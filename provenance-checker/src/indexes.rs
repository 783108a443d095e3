//! The indexes for packages a lock does not assign to one ("the default index"), from where
//! pip's and uv's users configure them:
//!
//! 1. `--index-url` / `--extra-index-url` (pip's option names);
//! 2. `PIP_INDEX_URL` / `PIP_EXTRA_INDEX_URL`;
//! 3. `UV_DEFAULT_INDEX`, else `UV_INDEX_URL` (uv lets the first win), with `UV_INDEX` and
//!    `UV_EXTRA_INDEX_URL` as extra indexes (space-separated; `UV_INDEX` entries may be
//!    `name=url`, as uv accepts);
//! 4. `index-url` / `extra-index-url` of pip.conf (via `common::index::IndexUrls`).
//!
//! Extra indexes from every variable are added to the main one, whichever source gave it.
//! Thoth's `-i` is not among these: it is the allow-list the lock's sources are checked against.

use std::path::{Path, PathBuf};

use common::AnalyzerError;
use common::index::{IndexError, IndexUrls};

use common::secret::redact_url;

/// Where the checker looks, named in the error when nothing is configured.
pub const WHERE_TO_CONFIGURE: &str = "give --index-url URL (and --extra-index-url URL for more), or set PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, UV_DEFAULT_INDEX / UV_INDEX_URL / UV_INDEX / UV_EXTRA_INDEX_URL, or `index-url` in pip.conf's [global] section";

/// The configured indexes, from the process environment and pip's files.
pub fn discover(index_url: Option<&str>, extra: &[String]) -> Result<IndexUrls, AnalyzerError> {
    discover_with(
        index_url,
        extra,
        &|k| std::env::var(k).ok(),
        std::env::var_os("HOME").map(PathBuf::from).as_deref(),
        Path::new("/etc"),
    )
}

/// [`discover`] with the environment, home and system configuration folder given (for tests).
pub fn discover_with(
    index_url: Option<&str>,
    extra: &[String],
    env: &dyn Fn(&str) -> Option<String>,
    home: Option<&Path>,
    etc: &Path,
) -> Result<IndexUrls, AnalyzerError> {
    let var = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let uv_extra: Vec<String> = words(var("UV_INDEX"))
        .map(uv_index_url)
        .chain(words(var("UV_EXTRA_INDEX_URL")))
        .collect();
    let main = [
        (index_url.map(str::to_owned), "options"),
        (var("PIP_INDEX_URL"), "environment (PIP_INDEX_URL)"),
        (var("UV_DEFAULT_INDEX"), "environment (UV_DEFAULT_INDEX)"),
        (var("UV_INDEX_URL"), "environment (UV_INDEX_URL)"),
    ]
    .into_iter()
    .find_map(|(url, origin)| url.map(|u| (u.trim().to_owned(), origin)));
    let found = match main {
        Some((index_url, origin)) => IndexUrls {
            index_url,
            extra_index_urls: extra
                .iter()
                .cloned()
                .chain(words(var("PIP_EXTRA_INDEX_URL")))
                .chain(uv_extra)
                .collect(),
            origin: origin.to_owned(),
        },
        // pip.conf, with PIP_EXTRA_INDEX_URL as pip applies it there.
        None => {
            let given: Vec<String> = extra.iter().cloned().chain(uv_extra).collect();
            match IndexUrls::discover_with(None, &given, env, home, etc) {
                Ok(found) => found,
                Err(IndexError::Config(_)) if !given.is_empty() => IndexUrls {
                    index_url: given[0].clone(),
                    extra_index_urls: given[1..].to_vec(),
                    origin: "extra indexes only".to_owned(),
                },
                Err(IndexError::Config(_)) => {
                    // The message names them too: stderr shows the message, the document both.
                    return Err(AnalyzerError::usage(
                        "no package index is configured for the packages the lock does not assign to one: use --index-url / --extra-index-url, PIP_INDEX_URL, UV_DEFAULT_INDEX, UV_INDEX_URL, UV_INDEX, UV_EXTRA_INDEX_URL or pip.conf",
                    )
                    .with_hint(WHERE_TO_CONFIGURE));
                }
                Err(e) => return Err(AnalyzerError::from(e)),
            }
        }
    };
    let mut found = found;
    let mut seen = vec![found.index_url.clone()];
    found.extra_index_urls.retain(|u| {
        let new = !seen.contains(u);
        seen.push(u.clone());
        new
    });
    tracing::info!(
        origin = %found.origin,
        indexes = %redact_url(&found.all().join(" ")),
        "default indexes"
    );
    Ok(found)
}

fn words(value: Option<String>) -> impl Iterator<Item = String> {
    value
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect::<Vec<_>>()
        .into_iter()
}

/// A `UV_INDEX` entry's URL: `name=url` or a bare URL (a URL's own `=` comes after `://`).
fn uv_index_url(entry: String) -> String {
    match entry.split_once('=') {
        Some((name, url)) if !name.contains([':', '/']) => url.to_owned(),
        _ => entry,
    }
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

    fn all(index: Option<&str>, extra: &[&str], env: &[(&str, &str)]) -> (Vec<String>, String) {
        let dir = tempfile::tempdir().expect("tempdir");
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        let found = discover_with(index, &extra, &env_of(env), Some(dir.path()), dir.path())
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

    #[test]
    fn nothing_configured_names_every_option_and_variable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = discover_with(None, &[], &env_of(&[]), Some(dir.path()), dir.path())
            .expect_err("nothing configured");
        let hint = err.hint.expect("a hint");
        for name in [
            "--index-url",
            "PIP_INDEX_URL",
            "UV_DEFAULT_INDEX",
            "UV_EXTRA_INDEX_URL",
        ] {
            assert!(err.message.contains(name), "{name} not in {}", err.message);
        }
        for name in [
            "--index-url",
            "--extra-index-url",
            "PIP_INDEX_URL",
            "UV_DEFAULT_INDEX",
            "UV_INDEX_URL",
            "UV_INDEX",
            "UV_EXTRA_INDEX_URL",
            "pip.conf",
        ] {
            assert!(hint.contains(name), "{name} not in {hint}");
        }
        assert!(
            !err.message.contains("give one with an option"),
            "{}",
            err.message
        );
    }
}
