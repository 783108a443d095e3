//! `cuda-version`: the CUDA toolkit version from the files the toolkit installs.
//!
//! Thoth also ran the image's `/usr/local/cuda/bin/nvcc --version` on the host and reported
//! `nvcc_version`. Nothing from the image is ever executed here, so that key is never produced;
//! `version.json` (CUDA 11.1 and later, where `version.txt` is gone) takes its place as the
//! second source.

use schemars::JsonSchema;
use serde::Serialize;

use crate::tree::FileTree;

const VERSION_TXT: &str = "/usr/local/cuda/version.txt";
const VERSION_JSON: &str = "/usr/local/cuda/version.json";

/// `{}` when the image has no CUDA toolkit, else one key per file that names the version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CudaVersion {
    /// Thoth's key: the text after `CUDA Version` in version.txt, e.g. `10.1.243`.
    #[serde(
        rename = "/usr/local/cuda/version.txt",
        skip_serializing_if = "Option::is_none"
    )]
    pub version_txt: Option<String>,
    /// New: `cuda.version` of version.json, e.g. `11.8.0`.
    #[serde(
        rename = "/usr/local/cuda/version.json",
        skip_serializing_if = "Option::is_none"
    )]
    pub version_json: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CudaCatalog {
    #[serde(rename = "cuda-version")]
    pub cuda_version: CudaVersion,
    /// Files that exist but name no version (for the report's warnings).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

pub fn catalog(tree: &FileTree) -> CudaCatalog {
    let mut out = CudaCatalog::default();
    if let Some(bytes) = tree.content_str(VERSION_TXT) {
        out.cuda_version.version_txt = version_from_txt(&String::from_utf8_lossy(bytes));
        if out.cuda_version.version_txt.is_none() {
            out.warnings
                .push(format!("{VERSION_TXT} has no `CUDA Version` line"));
        }
    }
    if let Some(bytes) = tree.content_str(VERSION_JSON) {
        match version_from_json(bytes) {
            Ok(v) => out.cuda_version.version_json = Some(v),
            Err(why) => out.warnings.push(format!("{VERSION_JSON}: {why}")),
        }
    }
    out
}

/// Thoth's rule: the first line starting with `CUDA Version`, the rest of it trimmed.
fn version_from_txt(text: &str) -> Option<String> {
    text.lines()
        .find_map(|line| line.strip_prefix("CUDA Version"))
        .map(|rest| rest.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn version_from_json(bytes: &[u8]) -> Result<String, String> {
    let doc: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    doc.pointer("/cuda/version")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "no string at cuda.version".to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::tree::build::tree_of;

    #[test]
    fn reads_version_txt_as_thoth() {
        let tree = tree_of(&[(VERSION_TXT, b"CUDA Version 10.1.243\n")]);
        let out = catalog(&tree);
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            serde_json::json!({"cuda-version": {"/usr/local/cuda/version.txt": "10.1.243"}})
        );
        assert!(out.warnings.is_empty());
    }

    #[test]
    fn reads_version_json_of_newer_toolkits() {
        let json = br#"{"cuda": {"name": "CUDA SDK", "version": "11.8.0"}, "cuda_cudart": {"version": "11.8.89"}}"#;
        let out = catalog(&tree_of(&[(VERSION_JSON, json)]));
        assert_eq!(out.cuda_version.version_json.as_deref(), Some("11.8.0"));
        assert_eq!(out.cuda_version.version_txt, None);
    }

    #[test]
    fn no_toolkit_is_an_empty_object_and_bad_files_warn() {
        assert_eq!(
            serde_json::to_string(&catalog(&tree_of(&[("/etc/x", b"")]))).unwrap(),
            r#"{"cuda-version":{}}"#
        );
        let out = catalog(&tree_of(&[
            (VERSION_TXT, b"something else\n"),
            (VERSION_JSON, b"{not json"),
        ]));
        assert_eq!(out.cuda_version, CudaVersion::default());
        assert_eq!(out.warnings.len(), 2);
    }
}
