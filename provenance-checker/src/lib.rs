//! provenance-checker: check that every locked artifact comes from the index the lock says,
//! asking the indexes themselves (PEP 691/503) rather than a database.
//!
//! `lock` reads the five lock formats into one model, `fetch` asks every index about every
//! pinned package, `checks` turns the answers into Thoth's findings and the new ones, `report`
//! is the document.

pub mod checks;
pub mod fetch;
pub mod indexes;
pub mod input;
pub mod lock;
pub mod pipenv_hash;
pub mod report;
pub mod summary;

use clap::{Args, Parser, Subcommand, ValueEnum};
use common::{AnalyzerCli, AnalyzerError, AnalyzerInfo, GlobalArgs, OutputArgs};
use serde::Serialize;
use serde_json::json;

pub use lock::LockFormat;
pub use report::Report;
use report::{Parameters, Project, Severity, Statistics};

pub const INFO: AnalyzerInfo = AnalyzerInfo {
    name: "provenance-checker",
    version: env!("CARGO_PKG_VERSION"),
    thoth_group: "thoth-adviser",
    env_prefix: "THOTH_ADVISER",
    output_env: "THOTH_ADVISER_OUTPUT",
    verbose_env: "THOTH_ADVISER_DEBUG",
};

const AFTER_HELP: &str = "\
Every package the lock pins is looked up on every index the lock names (one request per package
and index, concurrently); the locked digests are compared with what the indexes publish.

Examples:
  # Pipfile + Pipfile.lock (the Pipfile also checks the lock's _meta.hash)
  provenance-checker provenance -r Pipfile -l Pipfile.lock
  # requirements.txt with --hash; indexes from its -i/--extra-index-url lines, else from
  # --index-url/--extra-index-url, PIP_INDEX_URL, UV_DEFAULT_INDEX/UV_INDEX_URL/UV_INDEX, pip.conf
  provenance-checker provenance -l requirements.txt --fail-on warning
  provenance-checker provenance -l requirements.txt --index-url https://index.internal/simple
  # PEP 751, uv and poetry locks (poetry: -r names pyproject.toml for its sources)
  provenance-checker provenance -l pylock.toml
  provenance-checker provenance -l uv.lock -o report.json
  provenance-checker provenance -r pyproject.toml -l poetry.lock
  # only these indexes are allowed
  provenance-checker provenance -r Pipfile -l Pipfile.lock -i https://index.internal/simple,https://mirror.internal/simple

Findings (type/id): ERROR INVALID-LOCK-HASH, ARTIFACT-DIFFERENT-SOURCE, MISSING-PACKAGE,
INVALID-ARTIFACT-HASH, SOURCE-NOT-WHITELISTED, INDEX-UNREACHABLE, ARTIFACT-URL-MISMATCH,
DEPENDENCY-CONFUSION (WARNING when no higher version is offered elsewhere); WARNING
DIFFERENT-ARTIFACTS-ON-SOURCES, INSECURE-SOURCE, YANKED-RELEASE, UNPINNED-PACKAGE, MISSING-HASHES;
INFO ARTIFACT-POSSIBLE-DIFFERENT-SOURCE; ERROR INVALID-PACKAGE-NAME (a name that is not PEP 508 is
never looked up). A package's first finding carries its `package_locked` entry; its further
findings refer to it with {\"$ref\": \"#/result/report/<i>/package_locked/<name>\"}.

Limits: a lock (and the -r file) over --max-lock-size bytes (default 16 MiB) is refused with
exit 3; a lock naming more than 64 indexes too. A report lists at most 10,000 findings about
single artifacts (INVALID-ARTIFACT-HASH, ARTIFACT-URL-MISMATCH); beyond that one finding per
package counts the rest.

Credentials: in the index URL (https://user:token@host/...) or ~/.netrc (NETRC names another file);
they never appear in the document or the logs.

Exit codes: 0 success; 1 findings at or above --fail-on (each ERROR/WARNING finding is also
printed on stderr); 2 usage (no index configured for a lock that needs one); 3 bad input (a lock
that cannot be read, over the size limit); 4 network (no index answered at all: the document's
INDEX-UNREACHABLE findings say which); 5 internal error.";

/// Check where every artifact of a lock file comes from, against the indexes themselves.
#[derive(Debug, Parser)]
#[command(name = "provenance-checker", after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a lock file's artifacts against the indexes it names.
    #[command(after_help = AFTER_HELP)]
    Provenance(ProvenanceArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(Debug, Args, Serialize)]
pub struct ProvenanceArgs {
    /// The Pipfile (checks the lock hash and names the sources) or, for poetry.lock, the
    /// pyproject.toml: a path, or its content as Thoth accepted.
    #[arg(short, long, env = "THOTH_ADVISER_REQUIREMENTS")]
    #[serde(serialize_with = "common::secret::serialize_scrubbed")]
    pub requirements: Option<String>,

    /// The lock file (a path, or its content): Pipfile.lock, requirements.txt with hashes,
    /// pylock.toml, poetry.lock, uv.lock.
    #[arg(short = 'l', long, env = "THOTH_ADVISER_REQUIREMENTS_LOCKED")]
    #[serde(serialize_with = "common::secret::serialize_scrubbed")]
    pub requirements_locked: String,

    /// The lock's format, when neither its name nor its content says; or how the result is
    /// shown: `table` (the findings for people, anywhere) or `json` (the document, also at a
    /// terminal). Default: the findings at a terminal without -o, the document elsewhere.
    #[arg(long, value_enum, env = "THOTH_ADVISER_LOCK_FORMAT")]
    pub format: Option<FormatArg>,

    /// Allowed index URLs, comma-separated; empty allows all (Thoth's allow-list: a source of
    /// the lock outside it is SOURCE-NOT-WHITELISTED). Not an index to ask: see --index-url.
    #[arg(short = 'i', long, env = "THOTH_WHITELISTED_SOURCES")]
    #[serde(serialize_with = "common::secret::serialize_scrubbed")]
    pub whitelisted_sources: Option<String>,

    /// The index for packages the lock does not assign to one (pip's option; a requirements
    /// file's own -i line wins). Else PIP_INDEX_URL, UV_DEFAULT_INDEX, UV_INDEX_URL, pip.conf.
    #[arg(long, value_name = "URL")]
    #[serde(serialize_with = "common::secret::serialize_scrubbed")]
    pub index_url: Option<String>,

    /// A further index for those packages (repeatable; pip's option). PIP_EXTRA_INDEX_URL,
    /// UV_INDEX and UV_EXTRA_INDEX_URL add theirs.
    #[arg(long, value_name = "URL")]
    #[serde(serialize_with = "common::secret::serialize_scrubbed")]
    pub extra_index_url: Vec<String>,

    /// Largest lock file (and -r file) accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = input::DEFAULT_MAX_LOCK_SIZE, env = "THOTH_ADVISER_MAX_LOCK_SIZE")]
    pub max_lock_size: u64,

    /// Exit 1 when a finding of this severity (or worse) exists; the document is written either way.
    #[arg(long, value_enum, default_value_t = FailOn::Error, env = "THOTH_ADVISER_FAIL_ON")]
    pub fail_on: FailOn,

    /// Index requests in flight at once.
    #[arg(long, default_value_t = 16, env = "THOTH_ADVISER_CONCURRENCY")]
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
            Command::Provenance(a) => &a.output,
        }
    }

    fn command_arguments(&self) -> (&'static str, serde_json::Value) {
        match &self.command {
            Command::Provenance(a) => ("provenance", serde_json::to_value(a).unwrap_or_default()),
        }
    }

    fn presentation(&self) -> common::Presentation {
        match &self.command {
            Command::Provenance(a) => {
                common::Presentation::from_format(a.format.and_then(FormatArg::show))
            }
        }
    }
}

pub fn analyze(cli: &Cli) -> Result<common::Analysis<Report>, AnalyzerError> {
    match &cli.command {
        Command::Provenance(args) => provenance(args),
    }
}

/// `--format`: one option for the two questions a user asks with it (pip-tools and syft
/// habits): which format the lock is in, and how the result is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatArg {
    Lock(LockFormat),
    Show(common::HumanFormat),
}

impl FormatArg {
    pub fn lock(self) -> Option<LockFormat> {
        match self {
            Self::Lock(l) => Some(l),
            Self::Show(_) => None,
        }
    }

    pub fn show(self) -> Option<common::HumanFormat> {
        match self {
            Self::Show(h) => Some(h),
            Self::Lock(_) => None,
        }
    }
}

impl clap::ValueEnum for FormatArg {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Self::Lock(LockFormat::Pipenv),
            Self::Lock(LockFormat::Requirements),
            Self::Lock(LockFormat::Pylock),
            Self::Lock(LockFormat::Poetry),
            Self::Lock(LockFormat::Uv),
            Self::Show(common::HumanFormat::Table),
            Self::Show(common::HumanFormat::Json),
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        match self {
            Self::Lock(l) => l.to_possible_value(),
            Self::Show(h) => h.to_possible_value(),
        }
    }
}

/// The document records the lock format asked for (Thoth's argument); how the result was
/// shown is no part of the analysis.
impl Serialize for FormatArg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Lock(l) => l.serialize(s),
            Self::Show(_) => s.serialize_none(),
        }
    }
}

/// Reads the lock in the format given, named or detected.
pub fn read_lock(args: &ProvenanceArgs) -> Result<lock::Lock, AnalyzerError> {
    if args.requirements_locked.trim() == "null" {
        return Err(AnalyzerError::input("no lock file was given (the lock is `null`)")
            .with_hint("lock the project first (pipenv lock, pip-compile --generate-hashes, uv lock, poetry lock, pip lock)"));
    }
    let locked = input::read(&args.requirements_locked, "lock file", args.max_lock_size)?;
    let requirements = args
        .requirements
        .as_deref()
        .map(|r| input::read(r, "requirements file", args.max_lock_size))
        .transpose()?;
    let format = args
        .format
        .and_then(FormatArg::lock)
        .or_else(|| LockFormat::detect(locked.name.as_deref(), &locked.text))
        .ok_or_else(|| {
            AnalyzerError::input("cannot tell the lock file's format from its name or content")
                .with_hint("name it with --format pipenv|requirements|pylock|poetry|uv")
        })?;
    let requirements_text = requirements.as_ref().map(|r| r.text.as_str());
    let mut lock = lock::read(format, &locked.text, requirements_text)?;
    drop(locked);
    if lock.needs_default_index {
        let indexes = indexes::discover(args.index_url.as_deref(), &args.extra_index_url)?;
        lock.add_default_indexes(&indexes.all())?;
    } else if args.index_url.is_some() || !args.extra_index_url.is_empty() {
        tracing::warn!(
            "the lock assigns every package to its own indexes; --index-url/--extra-index-url are not used"
        );
    }
    Ok(lock)
}

fn provenance(args: &ProvenanceArgs) -> Result<common::Analysis<Report>, AnalyzerError> {
    let lock = read_lock(args)?;
    for name in &lock.duplicates {
        tracing::warn!(
            "package {} is locked twice; the first entry is checked",
            common::secret::redact_url(name)
        );
    }
    // Redacted as the sources' URLs are shown, so the two compare.
    let whitelist: Vec<String> = args
        .whitelisted_sources
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(common::secret::redact_url)
        .collect();
    let (answers, requests) = fetch::fetch(&lock, args.concurrency)?;
    let no_index_answered = fetch::none_answered(&answers);
    let findings = checks::check(&lock, &answers, &whitelist);
    drop(answers);
    tracing::info!(requests, findings = findings.len(), "asked the indexes");
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    };
    let fail = threshold.is_some_and(|t| findings.iter().any(|f| f.severity >= t));
    if fail || no_index_answered {
        summary::print_findings(&findings, no_index_answered);
    }
    let statistics = Statistics {
        packages: lock.packages.len(),
        packages_checked: fetch::checked_names(&lock).len(),
        index_requests: requests,
    };
    let report = Report {
        error: false,
        error_msg: None,
        report: findings,
        parameters: Parameters {
            whitelisted_indexes: whitelist,
            project: Project {
                // Redacted when the lock was read (`lock::read`); moved, not copied.
                requirements: lock.requirements,
                requirements_locked: lock.requirements_locked,
                runtime_environment: json!({}),
                lock_format: lock.format,
                sources: lock.sources,
            },
        },
        input: None,
        statistics,
        no_index_answered,
    };
    Ok(if fail {
        common::Analysis::failing(report)
    } else {
        common::Analysis::ok(report)
    })
}

/// The exit status of a run: the runner's, except that a finished check whose indexes all
/// failed exits 4 (network), as documented, with its document written all the same.
pub fn exit_status(runner: common::ExitStatus, no_index_answered: bool) -> common::ExitStatus {
    use common::ExitStatus;
    match runner {
        ExitStatus::Success | ExitStatus::Findings if no_index_answered => ExitStatus::Network,
        other => other,
    }
}
