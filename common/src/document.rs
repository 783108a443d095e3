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
    /// The os-release of the machine running the analyzer, filtered to Thoth's keys. The keys
    /// Thoth's result store requires (`id`, `name`, `platform_id`, `version`, `version_id`) are
    /// always present: `""` where the machine does not say (Debian has no `platform_id`; a
    /// distroless image has no os-release at all).
    pub os_release: BTreeMap<String, String>,
    /// The machine's distribution, shaped like Python's `distro.info()`.
    pub distribution: Distribution,
    /// The Python interpreter the result is about: the solver's target interpreter. Analyzers
    /// that involve none write [`PythonInfo::none`].
    pub python: PythonInfo,
}

/// `metadata.python`, key for key Thoth's (its `sys.version_info` plus `sys.api_version` and
/// `sys.implementation.name`); every key is required by Thoth's result-store schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PythonInfo {
    /// `sys.api_version` (1013 for every CPython 3); 0 when unknown.
    pub api_version: u32,
    /// `sys.implementation.name`, e.g. `cpython`; `none` when no interpreter is involved.
    pub implementation_name: String,
    pub major: u32,
    pub minor: u32,
    pub micro: u32,
    /// `final`, `candidate`, `beta`, `alpha`; `""` when unknown.
    pub releaselevel: String,
    pub serial: u32,
}

impl PythonInfo {
    /// No interpreter is involved (package-extract, buildlog-parser, provenance-checker): a
    /// schema-valid object that says so (`implementation_name: "none"`, zeros), since Thoth's
    /// result store requires an object here. Thoth recorded the analyzer's own interpreter,
    /// which said nothing about the input either.
    pub fn none() -> Self {
        Self {
            api_version: 0,
            implementation_name: "none".to_owned(),
            major: 0,
            minor: 0,
            micro: 0,
            releaselevel: String::new(),
            serial: 0,
        }
    }

    /// A target interpreter known by its version only (e.g. the solver's `--python 3.9`): the
    /// micro version is 0 when not given, the release final.
    pub fn cpython(major: u32, minor: u32, micro: u32) -> Self {
        Self {
            api_version: 1013,
            implementation_name: "cpython".to_owned(),
            major,
            minor,
            micro,
            releaselevel: "final".to_owned(),
            serial: 0,
        }
    }
}

thread_local! {
    /// The hook an analyzer fills when its result is about a Python interpreter: the solver
    /// calls [`set_target_python`] from its analysis function (the thread the runner calls it
    /// on), and the document written at the end of that run carries it. Taken (reset) when the
    /// metadata is collected; per thread, so runs in parallel test threads do not see each
    /// other's.
    static TARGET_PYTHON: std::cell::RefCell<Option<PythonInfo>> =
        const { std::cell::RefCell::new(None) };
}

/// Records the interpreter this run's result is about, for `metadata.python`.
pub fn set_target_python(python: PythonInfo) {
    TARGET_PYTHON.with(|slot| *slot.borrow_mut() = Some(python));
}

fn take_target_python() -> Option<PythonInfo> {
    TARGET_PYTHON.with(|slot| slot.borrow_mut().take())
}

/// The os-release keys Thoth's result-store schema requires.
const REQUIRED_OS_RELEASE_KEYS: [&str; 5] = ["id", "name", "platform_id", "version", "version_id"];

fn metadata_os_release(machine_os: Option<&BTreeMap<String, String>>) -> BTreeMap<String, String> {
    let mut fields = machine_os
        .map(host::metadata_os_release)
        .unwrap_or_default();
    for key in REQUIRED_OS_RELEASE_KEYS {
        fields.entry(key.to_owned()).or_default();
    }
    fields
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
            os_release: metadata_os_release(machine_os.as_ref()),
            distribution,
            python: take_target_python().unwrap_or_else(PythonInfo::none),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn collect() -> Metadata {
        let info = AnalyzerInfo {
            name: "t",
            version: "0",
            thoth_group: "thoth-t",
            env_prefix: "T",
            output_env: "T_OUTPUT",
            verbose_env: "T_DEBUG",
        };
        Metadata::collect(
            &info,
            BTreeMap::new(),
            Timestamp {
                seconds: 0,
                micros: 0,
            },
            std::time::Duration::ZERO,
            &Reproducibility::default(),
        )
    }

    #[test]
    fn the_target_python_fills_one_document_then_none_again() {
        set_target_python(PythonInfo::cpython(3, 9, 0));
        assert_eq!(collect().python, PythonInfo::cpython(3, 9, 0));
        assert_eq!(collect().python, PythonInfo::none());
    }

    #[test]
    fn os_release_always_has_the_keys_thoths_schema_requires() {
        let debian = BTreeMap::from([("id".to_owned(), "debian".to_owned())]);
        let fields = metadata_os_release(Some(&debian));
        assert_eq!(fields["id"], "debian");
        for key in REQUIRED_OS_RELEASE_KEYS {
            assert!(fields.contains_key(key), "{key}");
            assert!(metadata_os_release(None).contains_key(key), "{key}");
        }
    }
}
