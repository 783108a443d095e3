//! The document: Thoth's provenance result (`error`, `error_msg`, `report`, `parameters`,
//! `input`) with findings in Thoth's shape, plus what is new (`statistics`, new finding ids).

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::lock::{LockFormat, Source};

/// How serious a finding is; `--fail-on` compares against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One entry of `report`: Thoth's keys, each present only where that finding has it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Finding {
    #[serde(rename = "type")]
    pub severity: Severity,
    pub id: &'static str,
    pub justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
    /// `==VERSION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_version: Option<String>,
    /// `{name: <the lock's entry>}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_locked: Option<Value>,
    /// `{name, url, verify_ssl}`; JSON null where Thoth wrote null (an unpinned package).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexes: Option<Vec<String>>,
    /// What each index holds for the package version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// New: the artifact URL in question (`ARTIFACT-URL-MISMATCH`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// New: the index's reason (`YANKED-RELEASE`) or error (`INDEX-UNREACHABLE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Finding {
    pub fn new(severity: Severity, id: &'static str, justification: impl Into<String>) -> Self {
        Self {
            severity,
            id,
            // Messages quote the lock's names and URLs: never their credentials.
            justification: common::secret::redact_url(&justification.into()),
            package_name: None,
            package_version: None,
            package_locked: None,
            source: None,
            indexes: None,
            sources: None,
            digest: None,
            url: None,
            reason: None,
        }
    }
}

/// `result` of a finished check.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {
    /// False: a check that could not finish writes the common failure document instead.
    pub error: bool,
    pub error_msg: Option<String>,
    pub report: Vec<Finding>,
    pub parameters: Parameters,
    /// Always null, as in Thoth.
    pub input: Option<Value>,
    /// New: what was checked and asked.
    pub statistics: Statistics,
    /// No index answered any request (all INDEX-UNREACHABLE): the run exits 4 (network).
    #[serde(skip)]
    #[schemars(skip)]
    pub no_index_answered: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Parameters {
    pub whitelisted_indexes: Vec<String>,
    pub project: Project,
}

/// Thoth's `Project.to_dict()`, plus the lock's format and the indexes it names.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Project {
    /// The Pipfile or pyproject.toml as JSON, when given.
    pub requirements: Value,
    /// The lock as JSON (a requirements file: its text).
    pub requirements_locked: Value,
    pub runtime_environment: Value,
    pub lock_format: LockFormat,
    pub sources: Vec<Source>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Statistics {
    /// Packages in the lock (duplicates removed).
    pub packages: usize,
    /// Packages looked up on the indexes (pinned, not VCS/path/URL).
    pub packages_checked: usize,
    /// HTTP requests sent to the indexes, retries included.
    pub index_requests: u64,
}
