//! The command line of buildlog-parser, compatible with thoth-buildlog-parser's `parse`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use common::{AnalyzerCli, AnalyzerInfo, GlobalArgs, OutputArgs};
use serde::Serialize;

use crate::decompress::DecompressionLimits;

pub const INFO: AnalyzerInfo = AnalyzerInfo {
    name: "buildlog-parser",
    version: env!("CARGO_PKG_VERSION"),
    thoth_group: "thoth-buildlog-parser",
    env_prefix: "THOTH_BUILDLOG_PARSER",
    output_env: "THOTH_BUILDLOG_PARSER_OUTPUT",
    verbose_env: "THOTH_BUILDLOG_PARSER_DEBUG",
};

/// Turn a pip / micropipenv / pipenv / uv / s2i / buildah build log into a structured document:
/// what was installed from where, what failed, and why.
#[derive(Debug, Parser)]
#[command(
    name = "buildlog-parser",
    after_help = "Examples:\n  buildlog-parser parse -i build.log\n  kubectl logs pod/build-1 | buildlog-parser parse\n  buildlog-parser parse -i buildlog.json -j '$.log' -o parsed.json\n  buildlog-parser parse -i build.log.gz --fail-on failure   # exit 1 when the build failed\n\nExit codes: 0 parsed (whatever the build did, unless --fail-on failure), 1 the build failed and --fail-on failure was given, 2 usage (bad option, invalid JSONPath, a terminal as stdin), 3 bad input (unreadable, not JSON, over a decompression cap), 4 the time limit (-t) ran out, 5 internal error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse one build log.
    Parse(ParseArgs),
}

#[derive(Debug, Args, Serialize)]
pub struct ParseArgs {
    /// The log: a file (plain text, gzip, UTF-8 or UTF-16), or - for stdin.
    #[arg(short, long, default_value = "-", env = "THOTH_BUILDLOG_PARSER_INPUT")]
    #[serde(rename = "input_stream")]
    pub input: PathBuf,

    /// The input is JSON; this RFC 9535 JSONPath selects the log string in it (Thoth's
    /// workflows pass `$.log`).
    #[arg(
        short,
        long,
        value_name = "EXPR",
        value_parser = parse_jsonpath,
        env = "THOTH_BUILDLOG_PARSER_JSONPATH"
    )]
    pub jsonpath: Option<String>,

    /// When to exit 1: `failure` when the build failed (the document is written all the same);
    /// `never` (the default) exits 0 whatever the build did, as Thoth's parser did, so that
    /// existing workflow steps still upload the document of a failed build.
    #[arg(
        long,
        value_enum,
        default_value_t = FailOn::Never,
        env = "THOTH_BUILDLOG_PARSER_FAIL_ON"
    )]
    pub fail_on: FailOn,

    /// Give up after this many seconds (0: no limit); exit 4 with a failure document.
    #[arg(
        short,
        long,
        value_name = "SECONDS",
        default_value_t = 600,
        env = "THOTH_BUILDLOG_PARSER_TIMEOUT"
    )]
    pub timeout: u64,

    /// Most bytes a compressed (gzip) input may expand to.
    #[arg(
        long,
        value_name = "BYTES",
        default_value_t = DecompressionLimits::DEFAULT_MAX_SIZE,
        env = "THOTH_BUILDLOG_PARSER_MAX_DECOMPRESSED_SIZE"
    )]
    pub max_decompressed_size: u64,

    /// Most decompressed bytes per compressed byte, checked once 16 MiB are out.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DecompressionLimits::DEFAULT_MAX_RATIO,
        value_parser = clap::value_parser!(u64).range(1..),
        env = "THOTH_BUILDLOG_PARSER_MAX_COMPRESSION_RATIO"
    )]
    pub max_compression_ratio: u64,

    /// `table`: the verdict and each failure (lines, culprits, hint) for people; `json`: the
    /// document. Default: the verdict at a terminal without -o, the document elsewhere.
    #[arg(long, value_enum, env = "THOTH_BUILDLOG_PARSER_FORMAT")]
    // How the result is shown is no part of the analysis: the document does not record it.
    #[serde(skip)]
    pub format: Option<common::HumanFormat>,

    #[command(flatten)]
    #[serde(flatten)]
    pub output: OutputArgs,
}

/// What makes the run exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// The build failed (`installation_successful` is false).
    Failure,
    /// Exit 0 whenever the log was parsed.
    Never,
}

impl ParseArgs {
    pub fn limits(&self) -> DecompressionLimits {
        DecompressionLimits {
            max_size: self.max_decompressed_size,
            max_ratio: self.max_compression_ratio,
        }
    }

    pub fn timeout(&self) -> Option<Duration> {
        (self.timeout > 0).then(|| Duration::from_secs(self.timeout))
    }
}

/// `-j`: an invalid RFC 9535 expression is a usage error (exit 2), found before any input is read.
fn parse_jsonpath(expr: &str) -> Result<String, String> {
    serde_json_path::JsonPath::parse(expr)
        .map(|_| expr.to_owned())
        .map_err(|e| format!("{e}; Thoth's templates use \"$.log\""))
}

impl AnalyzerCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }

    fn output(&self) -> &OutputArgs {
        match &self.command {
            Command::Parse(a) => &a.output,
        }
    }

    fn command_arguments(&self) -> (&'static str, serde_json::Value) {
        match &self.command {
            Command::Parse(a) => ("parse", serde_json::to_value(a).unwrap_or_default()),
        }
    }

    fn presentation(&self) -> common::Presentation {
        match &self.command {
            Command::Parse(a) => common::Presentation::from_format(a.format),
        }
    }
}
