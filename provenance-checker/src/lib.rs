//! provenance-checker: check that every locked artifact comes from the index the lock says.

use clap::{Args, Parser, Subcommand, ValueEnum};
use common::{AnalyzerCli, AnalyzerError, AnalyzerInfo, GlobalArgs, OutputArgs};
use schemars::JsonSchema;
use serde::Serialize;

pub const INFO: AnalyzerInfo = AnalyzerInfo {
    name: "provenance-checker",
    version: env!("CARGO_PKG_VERSION"),
    thoth_group: "thoth-adviser",
    env_prefix: "THOTH_ADVISER",
    output_env: "THOTH_ADVISER_OUTPUT",
    verbose_env: "THOTH_ADVISER_DEBUG",
};

/// Check where every artifact of a lock file comes from, against the indexes themselves.
#[derive(Debug, Parser)]
#[command(
    name = "provenance-checker",
    after_help = "Examples:\n  provenance-checker provenance -r Pipfile -l Pipfile.lock\n  provenance-checker provenance -l requirements.txt --fail-on warning\n\nExit codes: 0 success, 1 findings at or above --fail-on, 2 usage, 3 bad input, 4 network, 5 internal error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a lock file's artifacts against the indexes it names.
    Provenance(ProvenanceArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(Debug, Args, Serialize)]
pub struct ProvenanceArgs {
    /// The Pipfile (a path, or its content as Thoth accepted).
    #[arg(short, long, env = "THOTH_ADVISER_REQUIREMENTS")]
    pub requirements: Option<String>,

    /// The lock file (a path, or its content): Pipfile.lock, requirements.txt with hashes,
    /// pylock.toml, poetry.lock, uv.lock.
    #[arg(short = 'l', long, env = "THOTH_ADVISER_REQUIREMENTS_LOCKED")]
    pub requirements_locked: String,

    /// Allowed index URLs, comma-separated; empty allows all.
    #[arg(short = 'i', long, env = "THOTH_WHITELISTED_SOURCES")]
    pub whitelisted_sources: Option<String>,

    /// Exit 1 when a finding of this severity (or worse) exists.
    #[arg(long, value_enum, default_value_t = FailOn::Error, env = "THOTH_ADVISER_FAIL_ON")]
    pub fail_on: FailOn,

    #[command(flatten)]
    #[serde(flatten)]
    pub output: OutputArgs,
}

impl AnalyzerCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }

    fn output(&self) -> &OutputArgs {
        match &self.command {
            Command::Provenance(a) => &a.output,
        }
    }

    fn command_arguments(&self) -> (&'static str, serde_json::Value) {
        match &self.command {
            Command::Provenance(a) => ("provenance", serde_json::to_value(a).unwrap_or_default()),
        }
    }
}

/// The provenance report. Not built yet: the analyzer answers with a failure document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {}

pub fn analyze(cli: &Cli) -> Result<common::Analysis<Report>, AnalyzerError> {
    match &cli.command {
        Command::Provenance(_) => Err(AnalyzerError::not_implemented("the provenance check")),
    }
}
