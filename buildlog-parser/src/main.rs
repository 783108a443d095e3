mod cli;

use common::AnalyzerError;
use schemars::JsonSchema;
use serde::Serialize;

/// Not built yet: the analyzer answers with a failure document.
#[derive(Debug, Serialize, JsonSchema)]
struct Report {}

fn main() -> std::process::ExitCode {
    common::run::<cli::Cli, Report, _>(&cli::INFO, |_| {
        Err(AnalyzerError::not_implemented("build log parsing"))
    })
}
