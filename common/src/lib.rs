//! What the four analyzers share: the result document and its envelope, output sinks, exit
//! codes, command-line conventions, logging, and the Python packaging primitives.

pub mod cli;
pub mod clock;
pub mod completions;
pub mod deadline;
pub mod document;
pub mod error;
pub mod exit;
pub mod host;
pub mod http;
pub mod index;
pub mod json;
pub mod notice;
pub mod output;
pub mod progress;
pub mod python;
pub mod runner;
pub mod secret;
pub mod summary;

#[cfg(feature = "golden")]
pub mod argo;
/// The canary secret suite's server, helper and leak check (issue 13), for the binaries' tests.
#[cfg(feature = "golden")]
pub mod canary;
#[cfg(feature = "golden")]
pub mod golden;
/// Hostile servers on loopback and a peak-memory probe, for attack tests.
#[cfg(feature = "golden")]
pub mod hostile;
/// moto's S3 (and STS) server on loopback with authentication on, for the sinks' and caches' tests.
#[cfg(feature = "golden")]
pub mod moto;
/// A package index on loopback for tests (here and in the analyzers' tests).
#[cfg(any(test, feature = "golden"))]
pub mod testindex;
/// Thoth's own ingestion (thoth-storages, PostgreSQL) applied to documents, for tests.
#[cfg(feature = "golden")]
pub mod thoth_ingest;

pub use cli::{GlobalArgs, LogFormat, OutputArgs};
pub use document::{AnalyzerInfo, Document, Failure, Metadata, Outcome, document_schema};
pub use error::AnalyzerError;
pub use exit::{ErrorKind, ExitStatus};
pub use output::OutputTarget;
pub use runner::{Analysis, AnalyzerCli, run, run_from};
pub use secret::Secret;
pub use summary::{HumanFormat, Presentation, Summary};
