//! Options every analyzer shares, and the logging they configure.
//!
//! Their environment variables differ per binary (Thoth's templates set `THOTH_ANALYZER_OUTPUT`
//! for package-extract but `THOTH_SOLVER_OUTPUT` for the solver), so they are attached when the
//! command is built, by [`crate::runner`], from the binary's [`crate::AnalyzerInfo`].

use clap::{ArgAction, Args, ValueEnum};
use serde::Serialize;

use crate::output::OutputTarget;

/// `--metadata` when none is given: what Thoth's scheduler passed for an image analysed on
/// request (`environment_type` "runtime", an external image, no origin). thoth-storages'
/// `sync_analysis_result` indexes `environment_type` (a missing key is a `KeyError`, `null` a
/// `TypeError`) and reads `is_external` and `origin`; the provenance sync reads `origin`.
pub const DEFAULT_METADATA: &str =
    r#"{"environment_type": "runtime", "is_external": true, "origin": null}"#;

/// Options of the top-level command (Thoth's click group).
#[derive(Debug, Clone, Args, Serialize)]
pub struct GlobalArgs {
    /// More log output on stderr: -v for progress information, -vv for debugging. RUST_LOG,
    /// when set, takes precedence.
    #[arg(short, long, action = ArgAction::Count, global = true)]
    #[serde(serialize_with = "serialize_verbosity")]
    pub verbose: u8,

    /// No progress bars and no closing summary line on stderr; errors and warnings still show.
    #[arg(short, long, global = true)]
    #[serde(skip)]
    pub quiet: bool,

    /// Line format on stderr: log lines, errors and their hints, the closing summary line.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    /// Free-form JSON recorded in the document's metadata (Thoth's workflows pass the origin and
    /// environment type here); not used by the analysis. The default carries the keys Thoth's
    /// graph sync reads (environment_type, is_external, origin); a value of your own should too.
    #[arg(long, value_name = "JSON", global = true, default_value = DEFAULT_METADATA)]
    pub metadata: Option<String>,

    /// Print the JSON Schema of this analyzer's document and exit.
    #[arg(long, global = true)]
    #[serde(skip)]
    pub json_schema: bool,
}

/// Thoth recorded `verbose` as a bool; a count above zero is `true`.
fn serialize_verbosity<S: serde::Serializer>(v: &u8, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bool(*v > 0)
}

/// Reads a verbosity from the environment: a count (`2`) or a boolean word (`True`, `yes`, `0`),
/// since Thoth's variables were booleans.
pub fn parse_verbosity(value: &str) -> Result<u8, String> {
    let v = value.trim().to_ascii_lowercase();
    if let Ok(n) = v.parse::<u8>() {
        return Ok(n);
    }
    match v.as_str() {
        "" | "false" | "no" | "off" | "n" | "f" => Ok(0),
        "true" | "yes" | "on" | "y" | "t" => Ok(1),
        _ => Err(format!("expected a count or true/false, got {value:?}")),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Options of every analysis subcommand: where the document goes and how it looks.
#[derive(Debug, Clone, Args, Serialize)]
pub struct OutputArgs {
    /// Where to write the document: - for stdout, a file path (written atomically), an
    /// http(s):// URL to POST it to, or s3://BUCKET/KEY (endpoint from AWS_ENDPOINT_URL_S3 /
    /// AWS_ENDPOINT_URL; credentials, first found: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
    /// the AWS profile's keys, its credential_process or role_arn, AWS_WEB_IDENTITY_TOKEN_FILE
    /// with AWS_ROLE_ARN, AWS_CONTAINER_CREDENTIALS_FULL_URI, instance metadata).
    #[arg(short, long, value_name = "TARGET", default_value = "-")]
    pub output: OutputTarget,

    /// Compact JSON instead of indented.
    #[arg(short = 'P', long)]
    pub no_pretty: bool,

    /// Make two runs on the same input byte-identical: blank hostname and duration, and take
    /// datetime and timestamp from SOURCE_DATE_EPOCH (the epoch when unset).
    #[arg(long)]
    pub reproducible: bool,
}

/// Installs the stderr logger. `RUST_LOG` wins over the verbosity flags. Every line, text or
/// JSON, at every level, passes the secret scrub before it reaches stderr.
pub fn init_logging(verbosity: u8, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    // The resolver library (pubgrub) logs its algorithm's steps at info: -v and -vv speak in
    // the tools' own words, and its internals show only with -vvv (or RUST_LOG).
    let default = match verbosity {
        0 => "warn",
        1 => "info,pubgrub=warn",
        2 => "debug,pubgrub=warn",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(crate::secret::ScrubbingStderr::make)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(verbosity > 1);
    // A second initialisation (tests calling run twice) is harmless; ignore it.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
