//! solver: resolve PEP 508 requirement ranges against Python package indexes for a target
//! environment, reading metadata without installing anything.

use clap::{Args, Parser, Subcommand};
use common::{AnalyzerCli, AnalyzerError, AnalyzerInfo, GlobalArgs, OutputArgs};
use schemars::JsonSchema;
use serde::Serialize;

pub const INFO: AnalyzerInfo = AnalyzerInfo {
    name: "solver",
    version: env!("CARGO_PKG_VERSION"),
    thoth_group: "thoth-solver",
    env_prefix: "THOTH_SOLVER",
    output_env: "THOTH_SOLVER_OUTPUT",
    verbose_env: "THOTH_SOLVER_DEBUG",
};

/// Resolve Python requirements against package indexes for a target environment, without
/// installing or building anything.
#[derive(Debug, Parser)]
#[command(
    name = "solver",
    after_help = "Examples:\n  solver python -r 'requests>=2' -i http://127.0.0.1:8080/simple\n  THOTH_SOLVER_PACKAGES='flask\\nclick<8' solver python\n\nExit codes: 0 success, 2 usage, 3 bad input, 4 network, 5 internal error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every version that satisfies each requirement, with its metadata and dependencies
    /// (thoth-solver's document).
    Python(PythonArgs),
}

#[derive(Debug, Args, Serialize)]
pub struct PythonArgs {
    /// Requirements (PEP 508), separated by newlines or by a literal \n as Thoth's templates
    /// pass them; @FILE reads a requirements file.
    #[arg(short, long, env = "THOTH_SOLVER_PACKAGES")]
    pub requirements: String,

    /// Indexes for the requested packages, comma-separated.
    #[arg(short, long, env = "THOTH_SOLVER_INDEXES")]
    pub index: Option<String>,

    /// Indexes for dependency ranges, comma-separated (default: --index).
    #[arg(short, long, env = "THOTH_SOLVER_DEPENDENCY_INDEXES")]
    pub dependency_index: Option<String>,

    /// Only the given requirements; dependencies are listed but not analyzed.
    #[arg(short = 'T', long, env = "THOTH_SOLVER_NO_TRANSITIVE")]
    pub no_transitive: bool,

    /// Requirement names to skip, comma-separated (compared after name normalisation).
    #[arg(short, long, env = "THOTH_SOLVER_EXCLUDE_PACKAGES")]
    pub exclude_packages: Option<String>,

    /// Leave out file lists and most metadata fields.
    #[arg(short, long, env = "THOTH_SOLVER_LIMITED_OUTPUT")]
    pub limited_output: bool,

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
            Command::Python(a) => &a.output,
        }
    }

    fn command_arguments(&self) -> (&'static str, serde_json::Value) {
        match &self.command {
            Command::Python(a) => ("python", serde_json::to_value(a).unwrap_or_default()),
        }
    }
}

/// The solver's report. Not built yet: the analyzer answers with a failure document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {}

pub fn analyze(cli: &Cli) -> Result<common::Analysis<Report>, AnalyzerError> {
    match &cli.command {
        Command::Python(_) => Err(AnalyzerError::not_implemented("dependency solving")),
    }
}
