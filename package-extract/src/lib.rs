//! package-extract: inventory a container image without unpacking it or running anything from it.

pub mod catalog;
pub mod digest;
pub mod elf;
pub mod identity;
pub mod inspect;
pub mod inventory;
pub mod layers;
pub mod path;
pub mod report;
pub mod sbom;
pub mod source;
pub mod tree;

use clap::{Args, Parser, Subcommand};
use common::{AnalyzerCli, AnalyzerError, AnalyzerInfo, GlobalArgs, OutputArgs, Secret};
use serde::Serialize;

use crate::inspect::SkopeoInspect;
use crate::inventory::{Options, Walked};
use crate::layers::Limits;
use crate::source::ImageRef;
use crate::source::platform::Platform;
use crate::source::registry::RegistryOptions;

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
    /// The image: docker://REF or a bare reference, oci:DIR[:REF], oci-archive:FILE[:REF],
    /// docker-archive:FILE[:REF], dir:DIR (a root filesystem), docker-daemon:NAME[:TAG].
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

    /// Do not verify the registry's TLS certificate (and allow plain HTTP).
    #[arg(long, env = "THOTH_ANALYZER_NO_TLS_VERIFY")]
    pub no_tls_verify: bool,

    /// Give up after this many seconds.
    #[arg(short, long, value_name = "SECONDS", env = "THOTH_ANALYZER_TIMEOUT")]
    pub timeout: Option<u64>,

    /// For an image index (multi-platform image): which image, as os/arch[/variant]. Defaults
    /// to the machine's platform.
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT]",
        env = "THOTH_PACKAGE_EXTRACT_PLATFORM"
    )]
    pub platform: Option<String>,

    /// Do not hash every .py file (the python-files key stays empty).
    #[arg(long, env = "THOTH_PACKAGE_EXTRACT_NO_PYTHON_FILES")]
    pub no_python_files: bool,

    /// Most entries accepted in one layer.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_entries, env = "THOTH_PACKAGE_EXTRACT_MAX_ENTRIES")]
    pub max_entries: u64,

    /// Most uncompressed bytes accepted for one layer.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_layer_bytes, env = "THOTH_PACKAGE_EXTRACT_MAX_LAYER_SIZE")]
    pub max_layer_size: u64,

    /// Largest uncompressed/compressed ratio accepted for a layer (decompression bombs).
    #[arg(long, value_name = "RATIO", default_value_t = Limits::default().max_expansion_ratio, env = "THOTH_PACKAGE_EXTRACT_MAX_EXPANSION_RATIO")]
    pub max_expansion_ratio: u64,

    /// The document to write: Thoth's, or an SBOM (CycloneDX 1.6 or SPDX 2.3 JSON).
    #[arg(long, value_enum, default_value_t = sbom::Format::Thoth, env = "THOTH_PACKAGE_EXTRACT_FORMAT")]
    pub format: sbom::Format,

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

pub use report::Report;

pub fn analyze(cli: &Cli) -> Result<common::Analysis<Report>, AnalyzerError> {
    let Command::ExtractImage(args) = &cli.command;
    let reference = ImageRef::parse(&args.image)
        .map_err(|e| AnalyzerError::usage(format!("-i/--image: {e}")))?;
    let platform = match &args.platform {
        Some(p) => p.parse::<Platform>().map_err(AnalyzerError::usage)?,
        None => Platform::host(),
    };
    let opts = Options {
        platform,
        limits: Limits {
            max_entries: args.max_entries,
            max_layer_bytes: args.max_layer_size,
            max_expansion_ratio: args.max_expansion_ratio,
            ..Limits::default()
        },
        python_files: !args.no_python_files,
        registry: RegistryOptions {
            credentials: args.registry_credentials.clone(),
            no_tls_verify: args.no_tls_verify,
        },
    };
    let timeout = args.timeout.map(std::time::Duration::from_secs);
    let walked =
        common::deadline::run_with_deadline(timeout, move || inventory::walk(&reference, &opts))?;
    let report = build_report(&walked);
    if args.format == sbom::Format::Thoth {
        return Ok(common::Analysis::ok(report));
    }
    let subject = sbom::Subject {
        name: common::secret::redact_url(&args.image),
        digest: walked
            .image
            .as_ref()
            .and_then(|i| i.manifest_digest.as_ref())
            .map(ToString::to_string),
    };
    let packages = sbom::packages(&report);
    let when = common::clock::Timestamp::for_documents().to_rfc3339_seconds();
    let document = match args.format {
        sbom::Format::SpdxJson => sbom::spdx::document(&subject, &packages, &when, INFO.version),
        _ => sbom::cyclonedx::document(&subject, &packages, &when, INFO.version),
    };
    Ok(common::Analysis::standalone(report, document))
}

/// Runs every cataloger over the overlaid tree and gathers their results.
pub fn build_report(walked: &Walked) -> Report {
    let image = walked.image.as_ref();
    let layers = image
        .map(|i| {
            i.layers
                .iter()
                .map(|l| {
                    l.digest
                        .as_ref()
                        .or(l.diff_id.as_ref())
                        .map(|d| d.hex().to_owned())
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_else(|| vec![identity::rootfs_digest(&walked.tree)]);
    let image_size = image
        .map(|i| i.layers.iter().map(|l| l.size).sum::<u64>() + i.config_size + i.manifest_size)
        .unwrap_or(0);
    let tree = &walked.tree;
    let operating_system = catalog::os_release::catalog(tree);
    let rpm = catalog::rpm::catalog(tree);
    let deb = catalog::deb::catalog(tree);
    let python = catalog::python::catalog(tree);
    let mut python = python;
    let mut elf = catalog::elf::catalog(tree);
    let owners = catalog::ownership::Owners::from_tree(tree).with_rpm(tree, &rpm.rpm_packages);
    for p in &mut python.packages {
        p.system_package = owners.owner(tree, &p.metadata_path);
    }
    for o in &mut elf.objects {
        o.system_package = owners.owner(tree, &o.path);
    }
    let apk = catalog::apk::catalog(tree);
    let cuda = catalog::cuda::catalog(tree);
    let aicoe = catalog::aicoe::catalog(tree);
    let mut warnings: Vec<String> = walked
        .layers
        .iter()
        .enumerate()
        .flat_map(|(i, l)| l.warnings.iter().map(move |w| format!("layer {i}: {w}")))
        .collect();
    for w in [
        &rpm.warnings,
        &deb.warnings,
        &python.warnings,
        &cuda.warnings,
        &aicoe.warnings,
    ] {
        warnings.extend(w.iter().cloned());
    }
    Report {
        operating_system,
        rpm,
        deb,
        python,
        apk,
        elf,
        cuda,
        aicoe,
        layers,
        image_size,
        image_size_uncompressed: walked.layers.iter().map(|l| l.uncompressed_size).sum(),
        skopeo_inspect: image.map(SkopeoInspect::from_image),
        warnings,
    }
}
