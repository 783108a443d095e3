//! `direct_url.json` (PEP 610): where a distribution installed from a URL, a VCS or a local
//! directory came from, instead of an index.

use serde::Deserialize;

/// The VCS part of `direct_url.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VcsInfo {
    /// `git`, `hg`, `bzr` or `svn`.
    pub vcs: String,
    /// The exact commit installed.
    pub commit_id: String,
    /// The branch, tag or ref the user asked for.
    pub requested_revision: Option<String>,
}

/// The archive part of `direct_url.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ArchiveInfo {
    /// `algorithm=hexdigest` (deprecated form).
    pub hash: Option<String>,
    /// Algorithm to hex digest.
    pub hashes: Option<std::collections::BTreeMap<String, String>>,
}

/// The local-directory part of `direct_url.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DirInfo {
    /// Installed in editable (development) mode.
    #[serde(default)]
    pub editable: bool,
}

/// A parsed `direct_url.json`; PEP 610 requires exactly one of the three `*_info` keys, which
/// [`parse_direct_url`] checks.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DirectUrl {
    /// The URL installed from.
    pub url: String,
    /// Set for VCS installs.
    pub vcs_info: Option<VcsInfo>,
    /// Set for archive (sdist or wheel URL) installs.
    pub archive_info: Option<ArchiveInfo>,
    /// Set for local directory installs.
    pub dir_info: Option<DirInfo>,
    /// The subdirectory of the source holding the project, if not its root.
    pub subdirectory: Option<String>,
}

/// Why `direct_url.json` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DirectUrlError {
    /// Not JSON of the PEP 610 shape.
    #[error("direct_url.json is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// Zero or several of `vcs_info`, `archive_info`, `dir_info`.
    #[error(
        "direct_url.json must have exactly one of vcs_info, archive_info, dir_info; it has {0}"
    )]
    InfoCount(usize),
}

/// Parses `direct_url.json`.
pub fn parse_direct_url(bytes: &[u8]) -> Result<DirectUrl, DirectUrlError> {
    let parsed: DirectUrl = serde_json::from_slice(bytes)?;
    let count = usize::from(parsed.vcs_info.is_some())
        + usize::from(parsed.archive_info.is_some())
        + usize::from(parsed.dir_info.is_some());
    if count != 1 {
        return Err(DirectUrlError::InfoCount(count));
    }
    Ok(parsed)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let d = parse_direct_url(br#"{"url": "file:///src/x", "dir_info": {"editable": true}}"#)
            .unwrap();
        assert_eq!(d.dir_info, Some(DirInfo { editable: true }));
        let d = parse_direct_url(
            br#"{"url": "https://h.example/x.whl", "archive_info": {"hashes": {"sha256": "ab"}}}"#,
        )
        .unwrap();
        assert_eq!(
            d.archive_info.and_then(|a| a.hashes).map(|h| h.len()),
            Some(1)
        );
        assert!(matches!(
            parse_direct_url(br#"{"url": "x"}"#).unwrap_err(),
            DirectUrlError::InfoCount(0)
        ));
        assert!(matches!(
            parse_direct_url(b"not json").unwrap_err(),
            DirectUrlError::Json(_)
        ));
    }
}
