//! `cuda-version`: the CUDA toolkit version from the files the toolkit installs.
//!
//! Thoth also ran the image's `/usr/local/cuda/bin/nvcc --version` on the host and reported
//! `nvcc_version`; its graph sync stores `nvcc_version`, else the `version.txt` key, as the
//! environment's CUDA version. Nothing from the image is ever executed here. CUDA 11.1 and later
//! ship `version.json` instead of `version.txt`: its `cuda_nvcc.version` is the version of the
//! nvcc component, the `V...` that `nvcc --version` prints, so it fills `nvcc_version` — and an
//! image with only `version.json` gets the CUDA version Thoth recorded for it.

use schemars::JsonSchema;
use serde::Serialize;

use crate::path::ImagePath;
use crate::tree::{FileTree, Node};

const VERSION_TXT: &str = "/usr/local/cuda/version.txt";
const VERSION_JSON: &str = "/usr/local/cuda/version.json";
const NVCC: &str = "/usr/local/cuda/bin/nvcc";

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
    /// Thoth's key: the nvcc version, here `cuda_nvcc.version` of version.json (e.g. `11.8.89`),
    /// never from running nvcc.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nvcc_version: Option<String>,
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
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(doc) => {
                out.cuda_version.version_json = component_version(&doc, "cuda");
                // version.json lists the release's components whether or not they are
                // installed: runtime images have no nvcc, and so no nvcc version.
                if has_file(tree, NVCC) {
                    out.cuda_version.nvcc_version = component_version(&doc, "cuda_nvcc");
                }
                if out.cuda_version.version_json.is_none() {
                    out.warnings
                        .push(format!("{VERSION_JSON}: no string at cuda.version"));
                }
            }
            Err(e) => out.warnings.push(format!("{VERSION_JSON}: not JSON: {e}")),
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

fn has_file(tree: &FileTree, path: &str) -> bool {
    matches!(
        tree.entry_resolved(&ImagePath::normalize(path).0),
        Some((_, entry)) if matches!(entry.node, Node::File { .. })
    )
}

/// `<component>.version` of version.json, e.g. `cuda` or `cuda_nvcc`.
fn component_version(doc: &serde_json::Value, component: &str) -> Option<String> {
    doc.get(component)?
        .get("version")?
        .as_str()
        .map(str::to_owned)
        .filter(|v| !v.trim().is_empty())
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
        // As in nvidia/cuda:11.8.0 images, trimmed.
        let json = br#"{"cuda": {"name": "CUDA SDK", "version": "11.8.0"}, "cuda_cudart": {"version": "11.8.89"}, "cuda_nvcc": {"name": "CUDA NVCC", "version": "11.8.89"}}"#;
        let out = catalog(&tree_of(&[(VERSION_JSON, json), (NVCC, b"\x7fELF")]));
        assert_eq!(
            serde_json::to_value(&out).unwrap(),
            serde_json::json!({"cuda-version": {
                "/usr/local/cuda/version.json": "11.8.0",
                "nvcc_version": "11.8.89",
            }})
        );
        assert!(out.warnings.is_empty());
    }

    #[test]
    fn a_runtime_only_toolkit_has_no_nvcc_version() {
        // Runtime images carry the release's version.json but not nvcc.
        let json = br#"{"cuda": {"version": "12.2.2"}, "cuda_nvcc": {"version": "12.2.140"}}"#;
        let out = catalog(&tree_of(&[(VERSION_JSON, json)]));
        assert_eq!(out.cuda_version.version_json.as_deref(), Some("12.2.2"));
        assert_eq!(out.cuda_version.nvcc_version, None);
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
