//! The indexes for packages a lock does not assign to one ("the default index"), from where
//! pip's and uv's users configure them: `--index-url` / `--extra-index-url` (pip's option
//! names), then the variables and pip.conf as `common::index::IndexUrls` reads them
//! (`PIP_INDEX_URL`, `UV_DEFAULT_INDEX`, `UV_INDEX_URL`, `UV_INDEX`, `UV_EXTRA_INDEX_URL`, ...).
//! Thoth's `-i` is not among these: it is the allow-list the lock's sources are checked against.

use common::AnalyzerError;
use common::index::{IndexError, IndexUrls};

/// Where the checker looks, named in the error when nothing is configured.
pub const WHERE_TO_CONFIGURE: &str = "give --index-url URL (and --extra-index-url URL for more), or set PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, UV_DEFAULT_INDEX / UV_INDEX_URL / UV_INDEX / UV_EXTRA_INDEX_URL, or `index-url` in pip.conf's [global] section";

/// The configured indexes, from the options, the process environment and pip's files.
pub fn discover(index_url: Option<&str>, extra: &[String]) -> Result<IndexUrls, AnalyzerError> {
    IndexUrls::discover(index_url, extra).map_err(nothing_configured)
}

/// Nothing configured is a usage error that names this binary's options too.
fn nothing_configured(err: IndexError) -> AnalyzerError {
    match err {
        // The message names them too: stderr shows the message, the document both.
        IndexError::Config(_) => AnalyzerError::usage(
            "no package index is configured for the packages the lock does not assign to one: use --index-url / --extra-index-url, PIP_INDEX_URL, UV_DEFAULT_INDEX, UV_INDEX_URL, UV_INDEX, UV_EXTRA_INDEX_URL or pip.conf",
        )
        .with_hint(WHERE_TO_CONFIGURE),
        other => AnalyzerError::from(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_configured_names_every_option_and_variable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = IndexUrls::discover_with(None, &[], &|_| None, Some(dir.path()), dir.path())
            .map_err(nothing_configured)
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
