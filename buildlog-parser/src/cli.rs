//! The command line of buildlog-parser, compatible with thoth-buildlog-parser's `parse`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use common::{AnalyzerCli, AnalyzerInfo, GlobalArgs, OutputArgs};
use serde::Serialize;

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
    after_help = "Examples:\n  buildlog-parser parse -i build.log\n  kubectl logs pod/build-1 | buildlog-parser parse\n  buildlog-parser parse -i buildlog.json -j '$.log' -o parsed.json\n\nExit codes: 0 success, 2 usage, 3 bad input, 5 internal error."
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
        env = "THOTH_BUILDLOG_PARSER_JSONPATH"
    )]
    pub jsonpath: Option<String>,

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
            Command::Parse(a) => &a.output,
        }
    }

    fn command_arguments(&self) -> (&'static str, serde_json::Value) {
        match &self.command {
            Command::Parse(a) => ("parse", serde_json::to_value(a).unwrap_or_default()),
        }
    }
}
