//! A minimal analyzer that reads one project page through the shared index client: what the
//! attack tests in `tests/hostile.rs` run as a child process, so its exit code, failure
//! document and peak memory are those of a real binary on the shared harness.

use clap::{Args, Parser, Subcommand};
use common::index::{IndexClient, IndexClientOptions, PageRequest};
use common::{Analysis, AnalyzerCli, AnalyzerError, AnalyzerInfo, GlobalArgs, OutputArgs};
use schemars::JsonSchema;
use serde::Serialize;

const INFO: AnalyzerInfo = AnalyzerInfo {
    name: "index-fetch",
    version: "9.9.9",
    thoth_group: "thoth-harness",
    env_prefix: "THOTH_INDEX_FETCH",
    output_env: "THOTH_INDEX_FETCH_OUTPUT",
    verbose_env: "THOTH_INDEX_FETCH_DEBUG",
};

#[derive(Debug, Parser)]
#[command(name = "index-fetch")]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Reads the pages of every PROJECT (concurrently, as the solver does) on the index at
    /// INDEX.
    Page(PageArgs),
}

#[derive(Debug, Args, Serialize)]
struct PageArgs {
    #[arg(long)]
    index: String,
    #[arg(long, required = true)]
    project: Vec<String>,
    #[command(flatten)]
    #[serde(flatten)]
    output: OutputArgs,
}

impl AnalyzerCli for Cli {
    fn global(&self) -> &GlobalArgs {
        &self.global
    }
    fn output(&self) -> &OutputArgs {
        let Command::Page(a) = &self.command;
        &a.output
    }
    fn command_arguments(&self) -> (&'static str, serde_json::Value) {
        let Command::Page(a) = &self.command;
        ("page", serde_json::to_value(a).unwrap_or_default())
    }
}

#[derive(Debug, Serialize, JsonSchema)]
struct Report {
    files: usize,
    versions: usize,
    /// The most body bytes the client held at once.
    peak_inflight_bytes: u64,
}

fn main() -> std::process::ExitCode {
    common::run::<Cli, _, _>(&INFO, |cli| {
        let Command::Page(args) = &cli.command;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| AnalyzerError::internal(format!("cannot start the runtime: {e}")))?;
        let client = IndexClient::new(IndexClientOptions::default())?;
        let requests = args.project.iter().map(|project| PageRequest {
            index_url: args.index.clone(),
            project: project.clone(),
        });
        let mut report = Report {
            files: 0,
            versions: 0,
            peak_inflight_bytes: 0,
        };
        for (_, page) in runtime.block_on(client.project_pages(requests)) {
            let page = page?;
            report.files += page.files.len();
            report.versions += page.versions().len();
        }
        report.peak_inflight_bytes = client.peak_inflight_bytes();
        Ok(Analysis::ok(report))
    })
}
