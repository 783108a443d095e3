//! package-extract: inventory a container image without unpacking it or running anything from it.

pub mod catalog;
pub mod digest;
pub mod inspect;
pub mod inventory;
pub mod layers;
pub mod path;
pub mod source;
pub mod tree;

use clap::{Args, Parser, Subcommand};
use common::{AnalyzerCli, AnalyzerError, AnalyzerInfo, GlobalArgs, OutputArgs, Secret};
use schemars::JsonSchema;
use serde::Serialize;

pub const INFO: AnalyzerInfo = AnalyzerInfo {
    name: "package-extract",
    version: env!("CARGO_PKG_VERSION"),
    thoth_group: "thoth-package-extract",
    env_prefix: "THOTH_PACKAGE_EXTRACT",
    output_env: "THOTH_ANALYZER_OUTPUT",
    verbose_env: "THOTH_PACKAGE_EXTRACT_VERBOSE",
};

/// Inventory a container image: system and Python packages, interpreters, ELF symbol versions,
/// OS release, image configuration and layers, as one JSON document.
#[derive(Debug, Parser)]
#[command(
    name = "package-extract",
    after_help = "Examples:\n  package-extract extract-image -i docker://registry.local:5000/app:1.0\n  package-extract extract-image -i oci:./layout:latest -o doc.json\n\nExit codes: 0 success, 2 usage, 3 bad input, 4 network, 5 internal error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyze one image.
    ExtractImage(ExtractImage),
}

#[derive(Debug, Args, Serialize)]
pub struct ExtractImage {
    /// The image: docker://REF or a bare reference, oci:DIR[:REF], oci-archive:FILE,
    /// docker-archive:FILE, dir:DIR, docker-daemon:NAME[:TAG].
    #[arg(short, long, env = "THOTH_ANALYZED_IMAGE")]
    pub image: String,

    /// Registry credentials as USER:PASSWORD (a token can be the password). Never recorded.
    #[arg(
        short = 'c',
        long,
        value_name = "USER:PASSWORD",
        env = "THOTH_REGISTRY_CREDENTIALS",
        hide_env_values = true
    )]
    pub registry_credentials: Option<Secret>,

    /// Do not verify the registry's TLS certificate.
    #[arg(long, env = "THOTH_ANALYZER_NO_TLS_VERIFY")]
    pub no_tls_verify: bool,

    /// Give up after this many seconds.
    #[arg(short, long, value_name = "SECONDS", env = "THOTH_ANALYZER_TIMEOUT")]
    pub timeout: Option<u64>,

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
            Command::ExtractImage(a) => &a.output,
        }
    }

    fn command_arguments(&self) -> (&'static str, serde_json::Value) {
        match &self.command {
            Command::ExtractImage(a) => {
                ("extract-image", serde_json::to_value(a).unwrap_or_default())
            }
        }
    }
}

/// The inventory of an image. Not built yet: the analyzer answers with a failure document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Report {}

pub fn analyze(cli: &Cli) -> Result<common::Analysis<Report>, AnalyzerError> {
    match &cli.command {
        Command::ExtractImage(_) => Err(AnalyzerError::not_implemented("image analysis")),
    }
}
