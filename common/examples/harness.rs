//! A minimal analyzer on the shared harness, used by `common`'s integration tests to reach
//! every path a real binary can take (success, findings, each failure kind, a panic).

use clap::{Args, Parser, Subcommand, ValueEnum};
use common::{Analysis, AnalyzerCli, AnalyzerError, AnalyzerInfo, GlobalArgs, OutputArgs, Secret};
use schemars::JsonSchema;
use serde::Serialize;

const INFO: AnalyzerInfo = AnalyzerInfo {
    name: "harness",
    version: "9.9.9",
    thoth_group: "thoth-harness",
    env_prefix: "THOTH_HARNESS",
    output_env: "THOTH_HARNESS_OUTPUT",
    verbose_env: "THOTH_HARNESS_DEBUG",
};

#[derive(Debug, Parser)]
#[command(name = "harness")]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Run(RunArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, Serialize)]
enum Mode {
    Ok,
    Findings,
    Input,
    Network,
    Panic,
}

#[derive(Debug, Args, Serialize)]
struct RunArgs {
    #[arg(long, value_enum, default_value_t = Mode::Ok)]
    mode: Mode,
    #[arg(long, env = "THOTH_HARNESS_TOKEN", hide_env_values = true)]
    token: Option<Secret>,
    #[arg(long)]
    index: Option<String>,
    #[command(flatten)]
    #[serde(flatten)]
    output: OutputArgs,
}

impl AnalyzerCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }
    fn output(&self) -> &OutputArgs {
        let Command::Run(a) = &self.command;
        &a.output
    }
    fn command_arguments(&self) -> (&'static str, serde_json::Value) {
        let Command::Run(a) = &self.command;
        ("run", serde_json::to_value(a).unwrap_or_default())
    }
}

#[derive(Debug, Serialize, JsonSchema)]
struct Report {
    items: Vec<String>,
}

fn main() -> std::process::ExitCode {
    common::run::<Cli, _, _>(&INFO, |cli| {
        let Command::Run(args) = &cli.command;
        if let Some(token) = &args.token {
            // What a careless log line would do: the harness must keep it redacted.
            tracing::info!(?token, "using token {token}");
        }
        let report = Report {
            items: vec!["a".into(), "b".into()],
        };
        match args.mode {
            Mode::Ok => Ok(Analysis::ok(report)),
            Mode::Findings => Ok(Analysis::failing(report)),
            Mode::Input => {
                Err(AnalyzerError::input("no such input: /nope").with_hint("check the path"))
            }
            Mode::Network => Err(AnalyzerError::network("index unreachable")),
            Mode::Panic => panic!("boom in the analysis"),
        }
    })
}
