//! solver: resolve PEP 508 requirement ranges against Python package indexes for a target
//! environment, reading metadata without installing anything.

pub mod acquire;
pub mod input;
pub mod license;
pub mod report;
pub mod target;
pub mod walk;
pub mod zip_directory;

pub use report::Report;

use clap::{Args, Parser, Subcommand};
use common::{AnalyzerCli, AnalyzerError, AnalyzerInfo, GlobalArgs, OutputArgs};
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
    after_help = "Examples:\n  solver python -r 'requests>=2' -i http://127.0.0.1:8080/simple\n  solver python -r @requirements.txt --python-version 3.11 --platform linux-aarch64\n  THOTH_SOLVER_PACKAGES='flask\\nclick<8' solver python\n\nIndexes come from -i, else PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, else pip's configuration files.\nNothing is installed or built: metadata comes from the index's metadata files, from wheels read\nwith HTTP range requests, or from sdists whose PKG-INFO declares static dependencies.\n\nExit codes: 0 success (per-package problems are in errors/unresolved/unparsed), 2 usage,\n3 bad input, 4 network, 5 internal error."
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

    /// Python version of the target environment: 3.11, 3.11.4, pypy3.10 (default 3.12).
    #[arg(
        long,
        env = "THOTH_SOLVER_PYTHON_VERSION",
        conflicts_with = "environment"
    )]
    pub python_version: Option<String>,

    /// Platform of the target: linux-x86_64, manylinux_2_17_aarch64, musllinux-x86_64,
    /// macos-14.0-arm64, windows-amd64 (default: this machine's, with glibc 2.28).
    #[arg(long, env = "THOTH_SOLVER_PLATFORM", conflicts_with = "environment")]
    pub platform: Option<String>,

    /// The target's PEP 508 marker values as a JSON file (as `packaging.markers.default_environment()`
    /// prints them), or `host` to ask this machine's python3.
    #[arg(long, env = "THOTH_SOLVER_ENVIRONMENT")]
    pub environment: Option<String>,

    /// Read each wheel's RECORD and entry points (files, import names) even when the index
    /// serves a metadata file; costs range requests per release.
    #[arg(long, env = "THOTH_SOLVER_FILES")]
    pub files: bool,

    /// HTTP requests in flight at once.
    #[arg(long, default_value_t = 16, env = "THOTH_SOLVER_CONCURRENCY")]
    pub concurrency: usize,

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

pub fn analyze(cli: &Cli) -> Result<common::Analysis<Report>, AnalyzerError> {
    match &cli.command {
        Command::Python(args) => python(args),
    }
}

fn python(args: &PythonArgs) -> Result<common::Analysis<Report>, AnalyzerError> {
    let requirements = input::requirements(&args.requirements)?;
    let environment = target::target(
        args.environment.as_deref(),
        args.python_version.as_deref(),
        args.platform.as_deref(),
    )?;
    let named = args
        .index
        .as_deref()
        .map(input::index_list)
        .unwrap_or_default();
    let indexes = if named.is_empty() {
        common::index::IndexUrls::discover(None, &[])?.all()
    } else {
        named
    };
    let dependency_indexes = match args.dependency_index.as_deref().map(input::index_list) {
        Some(list) if !list.is_empty() => list,
        _ => indexes.clone(),
    };
    let exclude = args
        .exclude_packages
        .as_deref()
        .map(input::index_list)
        .unwrap_or_default()
        .iter()
        .map(|n| common::python::normalize_name(n))
        .collect();
    let options = walk::WalkOptions {
        indexes,
        dependency_indexes,
        transitive: !args.no_transitive,
        exclude,
        limited_output: args.limited_output,
        files: args.files,
        environment,
    };
    let client = common::index::IndexClient::new(common::index::IndexClientOptions {
        concurrency: args.concurrency.max(1),
        ..Default::default()
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AnalyzerError::internal(format!("cannot start the async runtime: {e}")))?;
    let report = runtime.block_on(walk::solve(client, &requirements, options));
    Ok(common::Analysis::ok(report))
}
