//! The result document every analyzer writes: `{"metadata": ..., "result": ...}`, with Thoth's
//! envelope keys so existing consumers keep reading it.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::clock::Timestamp;
use crate::error::AnalyzerError;
use crate::exit::ErrorKind;
use crate::host::{self, Distribution};

/// The whole document. `R` is the analyzer's own result type.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Document<R> {
    pub metadata: Metadata,
    pub result: Outcome<R>,
}

/// Either the analyzer's result or, when it could not finish, the failure.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Outcome<R> {
    Success(R),
    Failure(Failure),
}

/// `result` of a run that could not finish. A workflow step always has a document to upload
/// and a reason to show.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Failure {
    /// Always `true`.
    pub error: bool,
    pub error_msg: String,
    pub error_kind: ErrorKind,
    /// What the user can do about it, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl From<&AnalyzerError> for Failure {
    fn from(e: &AnalyzerError) -> Self {
        Self {
            error: true,
            error_msg: e.message.clone(),
            error_kind: e.kind,
            hint: e.hint.clone(),
        }
    }
}

/// Thoth's metadata envelope, key for key.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Metadata {
    /// The binary that wrote the document, e.g. `package-extract`.
    pub analyzer: String,
    pub analyzer_version: String,
    /// The options used, grouped per command level as Thoth's click contexts were; secrets
    /// redacted.
    pub arguments: BTreeMap<String, Value>,
    /// UTC, `%Y-%m-%dT%H:%M:%S.%f`; fixed by `SOURCE_DATE_EPOCH`.
    pub datetime: String,
    /// Seconds since the epoch; fixed by `SOURCE_DATE_EPOCH`.
    pub timestamp: i64,
    /// Whole seconds the run took; 0 with `--reproducible`.
    pub duration: u64,
    /// The machine (pod) that ran the analyzer; empty with `--reproducible`.
    pub hostname: String,
    /// `THOTH_DOCUMENT_ID`.
    pub document_id: Option<String>,
    /// `THOTH_DEPLOYMENT_NAME`.
    pub thoth_deployment_name: Option<String>,
    /// The os-release of the machine running the analyzer, filtered to Thoth's keys.
    pub os_release: Option<BTreeMap<String, String>>,
    /// The machine's distribution, shaped like Python's `distro.info()`.
    pub distribution: Distribution,
    /// Always null: no Python interpreter is involved.
    pub python: Option<Value>,
}

/// What varies between runs of the same input, and how the caller wants it pinned.
#[derive(Debug, Clone, Default)]
pub struct Reproducibility {
    /// From `SOURCE_DATE_EPOCH`.
    pub source_date_epoch: Option<Timestamp>,
    /// `--reproducible`: also blank `hostname` and `duration`, and pin time to the epoch when
    /// `SOURCE_DATE_EPOCH` is not set.
    pub reproducible: bool,
}

impl Reproducibility {
    /// Reads `SOURCE_DATE_EPOCH` from the environment.
    pub fn from_env(reproducible: bool) -> Result<Self, AnalyzerError> {
        let source_date_epoch = match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(v) if !v.trim().is_empty() => {
                Some(Timestamp::from_source_date_epoch(&v).map_err(AnalyzerError::usage)?)
            }
            _ => None,
        };
        Ok(Self {
            source_date_epoch,
            reproducible,
        })
    }

    fn pinned_time(&self) -> Option<Timestamp> {
        self.source_date_epoch
            .or(self.reproducible.then_some(Timestamp {
                seconds: 0,
                micros: 0,
            }))
    }
}

/// Who is writing the document.
#[derive(Debug, Clone, Copy)]
pub struct AnalyzerInfo {
    /// The binary's name, e.g. `package-extract`.
    pub name: &'static str,
    pub version: &'static str,
    /// The key Thoth used for group-level options in `arguments`, e.g. `thoth-package-extract`;
    /// consumers read `arguments["thoth-package-extract"]["metadata"]`.
    pub thoth_group: &'static str,
    /// The prefix of the environment variables that set options, e.g. `THOTH_PACKAGE_EXTRACT`.
    pub env_prefix: &'static str,
    /// The environment variable Thoth's templates use for the output, e.g. `THOTH_ANALYZER_OUTPUT`.
    pub output_env: &'static str,
    /// The environment variable Thoth used for `--verbose`, e.g. `THOTH_SOLVER_DEBUG`.
    pub verbose_env: &'static str,
}

impl Metadata {
    /// Metadata for a run that started at `started` and took `elapsed`.
    pub fn collect(
        info: &AnalyzerInfo,
        arguments: BTreeMap<String, Value>,
        started: Timestamp,
        elapsed: std::time::Duration,
        repro: &Reproducibility,
    ) -> Self {
        let when = repro.pinned_time().unwrap_or(started);
        let machine_os = host::read_os_release(std::path::Path::new("/"));
        let distribution = machine_os
            .as_ref()
            .map(Distribution::from_os_release)
            .unwrap_or_default();
        Self {
            analyzer: info.name.to_owned(),
            analyzer_version: info.version.to_owned(),
            arguments,
            datetime: when.to_thoth_datetime(),
            timestamp: when.seconds,
            duration: if repro.reproducible {
                0
            } else {
                elapsed.as_secs()
            },
            hostname: if repro.reproducible {
                String::new()
            } else {
                host::hostname()
            },
            document_id: non_empty_env("THOTH_DOCUMENT_ID"),
            thoth_deployment_name: non_empty_env("THOTH_DEPLOYMENT_NAME"),
            os_release: machine_os.as_ref().map(host::metadata_os_release),
            distribution,
            python: None,
        }
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The JSON Schema of an analyzer's document, for result type `R`.
pub fn document_schema<R: JsonSchema>() -> Value {
    let schema = schemars::schema_for!(Document<R>);
    serde_json::to_value(&schema).unwrap_or(Value::Null)
}
