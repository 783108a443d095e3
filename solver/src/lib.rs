//! solver: resolve PEP 508 requirement ranges against Python package indexes for a target
//! environment, reading metadata without installing anything.

pub mod acquire;
pub mod cache;
pub mod explain;
pub mod input;
pub mod license;
pub mod lockfile;
pub mod releases;
pub mod report;
pub mod requirements_file;
pub mod resolve;
pub mod specifier;
pub mod static_metadata;
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
    after_help = "Examples:\n  solver python -r 'requests>=2' -i http://127.0.0.1:8080/simple\n  solver python -r @requirements.txt --python-version 3.11 --platform linux-aarch64\n  THOTH_SOLVER_PACKAGES='flask\\nclick<8' solver python\n\nIndexes come from -i, else PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, else pip's configuration files.\nNothing is installed or built: metadata comes from the index's metadata files, from wheels read\nwith HTTP range requests, or from sdists: their PKG-INFO when it promises static dependencies\n(Metadata-Version 2.2+), else *.egg-info/requires.txt, setup.cfg [options] or pyproject.toml\n[project] (metadata_source says which); a setup.py-only sdist stays in errors.\n\nExit codes: 0 success (per-package problems are in errors/unresolved/unparsed), 2 usage,\n3 bad input, 4 network, 5 internal error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// How `resolve` chooses among releases, for `solver resolve --help`.
const RESOLVE_RULES: &str = "\
Which releases are eligible:
  Versions match specifiers by PEP 440: ==1.2.3 matches 1.2.3+cu118 (a local label is compared
  only when the specifier has one); <=1.2.3 excludes 1.2.3.post1; <2.0 excludes 2.0's
  pre-releases unless 2.0 is one; >1.0 excludes 1.0's post-releases unless 1.0 is one, and V's
  local versions always; ==1.4.* is a release prefix; ~=2.2 is >=2.2,==2.*; ===V is V's text.
  Pre-releases (PEP 440 \"Pre-releases\"): a requirement admits pre- and dev releases when
  --pre is given, when the user asked for them (a requirement given here names a pre-release
  of the project, such as lib>=3.0rc1), when one of its own clauses names one, or when no
  final or post release on the index satisfies it (a>0.1.0 with only 1.0.0a1 above 0.1.0
  gives 1.0.0a1); otherwise they are excluded. Dependencies are judged each on its own.
  Yanked releases (PEP 592): eligible only through an exact pin (==V or ===V) among the
  requirements given here; a dependency's ==V does not make a yanked V eligible.
  Requires-Python: the whole specifier, upper bounds included, is evaluated against the
  target's Python version, as pip does (uv ignores upper bounds); a release with no file
  whose tags and Requires-Python fit the target is not a candidate.
  Indexes: a project comes from the first index that has it.
On conflict the message gives PubGrub's derivation and, for each project without an
acceptable release, why its releases were left out (yanked, pre-release, tags,
Requires-Python, local label).";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every version that satisfies each requirement, with its metadata and dependencies
    /// (thoth-solver's document).
    Python(PythonArgs),
    /// One consistent set of releases for the target, written as requirements.txt with hashes
    /// or as pylock.toml (PEP 751); on conflict, why.
    #[command(after_help = RESOLVE_RULES)]
    Resolve(ResolveArgs),
}

/// The environment the answer is for.
#[derive(Debug, Args, Serialize)]
pub struct TargetArgs {
    /// Python version of the target environment: 3.11, 3.11.4, pypy3.10 (default: the version
    /// of `python3` on PATH; without one, this option is required).
    #[arg(
        long,
        env = "THOTH_SOLVER_PYTHON_VERSION",
        conflicts_with = "environment"
    )]
    pub python_version: Option<String>,

    /// Platform of the target: linux-x86_64, manylinux_2_17_aarch64, musllinux-x86_64,
    /// macos-14.0-arm64, windows-amd64; uv's --python-platform names (x86_64-manylinux_2_28,
    /// aarch64-manylinux_2_28, x86_64-unknown-linux-gnu (glibc 2.28), aarch64-apple-darwin
    /// (macOS 13.0), x86_64-pc-windows-msvc, linux, macos (Apple silicon), windows); docker's
    /// linux/amd64, linux/arm64, linux/arm64/v8. Default: the platform of `python3` on PATH,
    /// with its glibc; without one, this machine's architecture with glibc 2.28.
    #[arg(long, env = "THOTH_SOLVER_PLATFORM", conflicts_with = "environment")]
    pub platform: Option<String>,

    /// The target's PEP 508 marker values as a JSON file (as `packaging.markers.default_environment()`
    /// prints them), or `host` to ask this machine's python3.
    #[arg(long, env = "THOTH_SOLVER_ENVIRONMENT")]
    pub environment: Option<String>,
}

impl TargetArgs {
    fn target(&self) -> Result<target::Target, AnalyzerError> {
        target::target(
            self.environment.as_deref(),
            self.python_version.as_deref(),
            self.platform.as_deref(),
        )
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LockFormat {
    /// requirements.txt with --hash lines (pip install --require-hashes -r).
    RequirementsTxt,
    /// PEP 751 pylock.toml.
    PylockToml,
}

#[derive(Debug, Args, Serialize)]
pub struct ResolveArgs {
    /// Requirements to resolve (PEP 508), as pip and uv take them: `flask>=2 'click<8'`.
    /// A file name here is refused: read files with -r.
    #[arg(value_name = "REQUIREMENT")]
    pub packages: Vec<String>,

    /// A requirements file, as pip's and uv's -r (repeatable): comments, `\` continuations,
    /// nested -r/-c relative to the file, --index-url/--extra-index-url/--pre lines; -e,
    /// URLs and paths are refused. A value that is not an existing file is requirement text
    /// (Thoth's: separated by newlines or a literal \n); @FILE always reads a file.
    #[arg(
        short,
        long,
        visible_alias = "requirement",
        value_name = "FILE",
        env = "THOTH_SOLVER_PACKAGES"
    )]
    pub requirements: Vec<String>,

    /// A constraints file, as pip's and uv's -c (repeatable): name and specifier lines that
    /// bound a project's version when something requires it, without requiring it.
    #[arg(
        short = 'c',
        long = "constraint",
        visible_alias = "constraints",
        value_name = "FILE"
    )]
    pub constraints: Vec<std::path::PathBuf>,

    /// Indexes, comma-separated, in order of preference: a project comes from the first index
    /// that has it (default: PIP_INDEX_URL / PIP_EXTRA_INDEX_URL, pip.conf).
    #[arg(short, long, env = "THOTH_SOLVER_INDEXES")]
    pub index: Option<String>,

    #[command(flatten)]
    #[serde(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    #[serde(flatten)]
    pub limit: LimitArgs,

    /// How to write the resolution. Both formats are text: the lock goes to stdout (or -o) only
    /// when resolution succeeds. On failure stdout stays empty, the explanation goes to stderr
    /// and the exit code says why (3: no solution, 4: network); a file or URL named by -o
    /// gets the JSON failure document, as every analyzer writes one. (`solver python` writes
    /// JSON documents, its failure document to stdout too.)
    #[arg(long, value_enum, default_value_t = LockFormat::RequirementsTxt)]
    pub format: LockFormat,

    /// Allow pre-releases for every requirement (by default a requirement admits them only when
    /// it names one or no final release satisfies it; see below).
    #[arg(long)]
    pub pre: bool,

    /// HTTP requests in flight at once.
    #[arg(long, default_value_t = 16, env = "THOTH_SOLVER_CONCURRENCY")]
    pub concurrency: usize,

    /// Keep index answers in this directory between runs; each is revalidated with the index
    /// (ETag / Last-Modified) before use, so nothing stale is ever served.
    #[arg(long, env = "THOTH_SOLVER_CACHE_DIR")]
    pub cache_dir: Option<std::path::PathBuf>,

    #[command(flatten)]
    #[serde(flatten)]
    pub output: OutputArgs,
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
    pub target: TargetArgs,

    /// Read each wheel's RECORD and entry points (files, import names) even when the index
    /// serves a metadata file; costs range requests per release.
    #[arg(long, env = "THOTH_SOLVER_FILES")]
    pub files: bool,

    /// HTTP requests in flight at once.
    #[arg(long, default_value_t = 16, env = "THOTH_SOLVER_CONCURRENCY")]
    pub concurrency: usize,

    /// Keep index answers in this directory between runs; each is revalidated with the index
    /// (ETag / Last-Modified) before use, so nothing stale is ever served.
    #[arg(long, env = "THOTH_SOLVER_CACHE_DIR")]
    pub cache_dir: Option<std::path::PathBuf>,

    #[command(flatten)]
    #[serde(flatten)]
    pub limit: LimitArgs,

    /// `table`: the versions described, the errors and what stayed unresolved, for people;
    /// `json`: the document. Default: the table at a terminal without -o, the document elsewhere.
    #[arg(long, value_enum, env = "THOTH_SOLVER_FORMAT")]
    // How the result is shown is no part of the analysis: the document does not record it.
    #[serde(skip)]
    pub format: Option<common::HumanFormat>,

    #[command(flatten)]
    #[serde(flatten)]
    pub output: OutputArgs,
}

/// How long a run may take.
#[derive(Debug, Args, Serialize)]
pub struct LimitArgs {
    /// Give up after this many seconds, with a failure document (exit 6, `timeout`); 0 means
    /// no limit. Each HTTP request has its own timeouts besides.
    #[arg(
        short = 't',
        long,
        value_name = "SECONDS",
        default_value_t = DEFAULT_TIMEOUT_SECONDS,
        env = "THOTH_SOLVER_TIMEOUT"
    )]
    pub timeout: u64,
}

/// The default overall time limit of `python` and `resolve`, in seconds (30 minutes: a walk
/// of a large stack over a slow index takes minutes; a hostile index that drips bytes must not
/// hold a worker forever).
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 1800;

fn deadline(seconds: u64) -> Option<std::time::Duration> {
    (seconds > 0).then(|| std::time::Duration::from_secs(seconds))
}

impl AnalyzerCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }

    fn output(&self) -> &OutputArgs {
        match &self.command {
            Command::Python(a) => &a.output,
            Command::Resolve(a) => &a.output,
        }
    }

    fn command_arguments(&self) -> (&'static str, serde_json::Value) {
        match &self.command {
            Command::Python(a) => ("python", public_arguments(serde_json::to_value(a))),
            Command::Resolve(a) => ("resolve", public_arguments(serde_json::to_value(a))),
        }
    }

    /// `resolve` writes pins, already for people; `python` its document, or a table.
    fn presentation(&self) -> common::Presentation {
        match &self.command {
            Command::Python(a) => common::Presentation::from_format(a.format),
            Command::Resolve(_) => common::Presentation::Document,
        }
    }
}

/// The arguments as the document records them: every URL of the index lists without
/// user-info (each of a comma-separated list, not only the first).
fn public_arguments(value: serde_json::Result<serde_json::Value>) -> serde_json::Value {
    let mut value = value.unwrap_or_default();
    for key in ["index", "dependency_index"] {
        if let Some(list) = value
            .get_mut(key)
            .and_then(|v| v.as_str().map(str::to_owned))
        {
            value[key] = list
                .split(',')
                .map(input::public_url)
                .collect::<Vec<_>>()
                .join(",")
                .into();
        }
    }
    value
}

pub fn analyze(cli: &Cli) -> Result<common::Analysis<Report>, AnalyzerError> {
    match &cli.command {
        Command::Python(args) => python(args),
        Command::Resolve(args) => resolve_command(args),
    }
}

fn python(args: &PythonArgs) -> Result<common::Analysis<Report>, AnalyzerError> {
    let requirements = input::requirements(&args.requirements)?;
    let target = args.target.target()?;
    record_target_python(&target);
    let environment = target.environment;
    let indexes = indexes(args.index.as_deref())?;
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
    let client = client(args.concurrency, args.cache_dir.as_deref())?;
    let report = common::deadline::run_with_deadline(deadline(args.limit.timeout), move || {
        Ok(runtime()?.block_on(walk::solve(client, &requirements, options)))
    })?;
    Ok(common::Analysis::ok(report))
}

/// The indexes named, else those pip would use.
fn indexes(named: Option<&str>) -> Result<Vec<String>, AnalyzerError> {
    let named = named.map(input::index_list).unwrap_or_default();
    Ok(if named.is_empty() {
        common::index::IndexUrls::discover(None, &[])?.all()
    } else {
        named
    })
}

fn client(
    concurrency: usize,
    cache_dir: Option<&std::path::Path>,
) -> Result<common::index::IndexClient, AnalyzerError> {
    Ok(common::index::IndexClient::new(
        common::index::IndexClientOptions {
            concurrency: concurrency.max(1),
            cache_dir: cache_dir.map(std::path::Path::to_owned),
            ..Default::default()
        },
    )?)
}

fn runtime() -> Result<tokio::runtime::Runtime, AnalyzerError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AnalyzerError::internal(format!("cannot start the async runtime: {e}")))
}

/// Thoth's `metadata.python` described the interpreter the solver ran under, which was the target;
/// here the target is data, so the document describes it.
fn record_target_python(target: &target::Target) {
    use common::python::Implementation;
    let environment = &target.environment;
    let (major, minor) = environment.python_version();
    let micro = environment
        .markers()
        .python_full_version()
        .version
        .release()
        .get(2)
        .copied()
        .unwrap_or(0);
    let narrow = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    let mut python =
        common::document::PythonInfo::cpython(narrow(major), narrow(minor), narrow(micro));
    python.implementation_name = match environment.implementation() {
        Implementation::CPython => "cpython".to_owned(),
        Implementation::PyPy => "pypy".to_owned(),
        Implementation::Other(name) => name.to_ascii_lowercase(),
    };
    if let target::Origin::Python3 {
        releaselevel,
        serial,
    } = &target.origin
    {
        python.releaselevel.clone_from(releaselevel);
        python.serial = *serial;
    }
    common::document::set_target_python(python);
}

fn resolve_command(args: &ResolveArgs) -> Result<common::Analysis<Report>, AnalyzerError> {
    // stdout holds the lock file: a failure never writes JSON there (see `--help`).
    resolve_lock(args).map_err(AnalyzerError::without_stdout_document)
}

fn resolve_lock(args: &ResolveArgs) -> Result<common::Analysis<Report>, AnalyzerError> {
    let gathered = input::gather(&args.packages, &args.requirements, &args.constraints)?;
    let parse = |text: &String| {
        let requirement = common::python::Requirement::parse(text).map_err(|e| {
            AnalyzerError::input(format!("{text:?} is not a PEP 508 requirement: {e}"))
        })?;
        if requirement.url().is_some() {
            return Err(AnalyzerError::input(format!(
                "{text:?} is a direct URL; the solver resolves names and versions from indexes"
            ))
            .with_hint("name the project and its version (name==1.2.3)"));
        }
        Ok(requirement)
    };
    let requirements = gathered
        .requirements
        .iter()
        .map(parse)
        .collect::<Result<Vec<_>, _>>()?;
    let constraints = gathered
        .constraints
        .iter()
        .map(parse)
        .collect::<Result<Vec<_>, _>>()?;
    let target = args.target.target()?;
    record_target_python(&target);
    let options = resolve::ResolveOptions {
        indexes: resolve_indexes(args.index.as_deref(), &gathered)?,
        environment: target.environment,
        prereleases: args.pre || gathered.pre,
        constraints,
    };
    let client = client(args.concurrency, args.cache_dir.as_deref())?;
    let format = args.format;
    let origin = target.origin;
    let text = common::deadline::run_with_deadline(deadline(args.limit.timeout), move || {
        resolve_to_text(client, requirements, &options, format, &origin)
    })?;
    Ok(common::Analysis::standalone(
        Report::default(),
        serde_json::Value::String(text),
    ))
}

/// `-i` wins; else the requirements files' `--index-url` (or pip's default index) followed by
/// their `--extra-index-url` lines; else pip's.
fn resolve_indexes(
    named: Option<&str>,
    files: &requirements_file::RequirementFiles,
) -> Result<Vec<String>, AnalyzerError> {
    let from_files = files.index_url.is_some() || !files.extra_index_urls.is_empty();
    if named.is_some_and(|n| !input::index_list(n).is_empty()) || !from_files {
        if from_files {
            tracing::warn!(
                "the requirements files' --index-url / --extra-index-url lines are ignored: -i names the indexes"
            );
        }
        return indexes(named);
    }
    let mut list = match &files.index_url {
        Some(url) => vec![url.clone()],
        None => common::index::IndexUrls::discover(None, &[])?
            .all()
            .into_iter()
            .take(1)
            .collect(),
    };
    list.extend(files.extra_index_urls.iter().cloned());
    Ok(list)
}

/// Resolves and writes the lock text: the part of `resolve` under the time limit.
fn resolve_to_text(
    client: common::index::IndexClient,
    requirements: Vec<common::python::Requirement>,
    options: &resolve::ResolveOptions,
    format: LockFormat,
    origin: &target::Origin,
) -> Result<String, AnalyzerError> {
    let runtime = runtime()?;
    let cache = std::sync::Arc::new(cache::IndexCache::new(client));
    let pinned = resolve::resolve(
        std::sync::Arc::clone(&cache),
        runtime.handle().clone(),
        requirements,
        options,
    )
    .map_err(|e| match e {
        resolve::ResolveError::Conflict(_) => AnalyzerError::input(e.to_string()).with_hint(
            "loosen the conflicting requirements, or check the target (--python-version, --platform)",
        ),
        resolve::ResolveError::Index(_) => AnalyzerError::network(e.to_string()),
    })?;
    let releases = pinned
        .iter()
        .map(|p| runtime.block_on(cache.releases(&p.index, &p.name)))
        .collect::<Result<Vec<_>, _>>()?;
    let indexes: Vec<String> = pinned.iter().map(|p| input::public_url(&p.index)).collect();
    let locked: Vec<lockfile::Locked<'_>> = pinned
        .iter()
        .zip(&releases)
        .zip(&indexes)
        .map(|((p, releases), index)| lockfile::Locked {
            name: &p.name,
            version: p.version.to_string(),
            index,
            files: releases
                .files_of(&p.version)
                .into_iter()
                .filter(|f| !f.is_yanked() || p.yanked_allowed)
                .collect(),
        })
        .collect();
    let env = &options.environment;
    let python = format!("{}.{}", env.python_version().0, env.python_version().1);
    let text = match format {
        LockFormat::RequirementsTxt => lockfile::requirements_txt(
            &format!(
                "resolved by solver {} for Python {python} on {}{}",
                env!("CARGO_PKG_VERSION"),
                walk::platform_string(env),
                match origin {
                    target::Origin::Given => "",
                    target::Origin::Python3 { .. } => " (the target of python3 on PATH)",
                }
            ),
            &locked,
        ),
        LockFormat::PylockToml => {
            lockfile::pylock_toml(&python, &locked).map_err(AnalyzerError::internal)?
        }
    };
    Ok(text)
}
