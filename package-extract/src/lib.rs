//! package-extract: inventory a container image without unpacking it or running anything from it.

pub mod catalog;
pub mod digest;
pub mod elf;
pub mod identity;
pub mod inspect;
pub mod inventory;
pub mod layer;
pub mod path;
pub mod report;
pub mod sbom;
pub mod source;
pub mod table;
pub mod tree;

use clap::{Args, Parser, Subcommand};
use common::{AnalyzerCli, AnalyzerError, AnalyzerInfo, GlobalArgs, OutputArgs, Secret};
use serde::Serialize;

use crate::inventory::{Options, Walked};
use crate::layer::Limits;
use crate::layer::cache::LayerCache;
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
    /// The image: docker://REF or a bare reference, oci:DIR[:REF|@DIGEST],
    /// oci-archive:FILE[:REF|@DIGEST], docker-archive:FILE[:TAG] (plain, gzip, zstd or bzip2),
    /// dir:DIR (a root filesystem), docker-daemon:NAME[:TAG],
    /// containers-storage:[DRIVER@GRAPHROOT+RUNROOT]NAME (Podman's store, read from disk), or a
    /// local path without a transport (layout, archive or directory, recognised from its
    /// content). syft's oci-dir:, registry:, docker: (a daemon) and podman: (Podman's store)
    /// are accepted too.
    #[arg(short, long, env = "THOTH_ANALYZED_IMAGE")]
    #[serde(serialize_with = "serialize_reference")]
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

    /// Give up after this many seconds (the whole run: registry, layers, catalogers). Each
    /// registry connection also ends when it stalls for 60 seconds.
    #[arg(short, long, value_name = "SECONDS", default_value_t = DEFAULT_TIMEOUT_SECS, env = "THOTH_ANALYZER_TIMEOUT")]
    pub timeout: u64,

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

    /// Keep each walked layer here and reuse it for every image that shares the layer: a
    /// directory (created if needed; shared safely by concurrent processes) or
    /// s3://BUCKET/PREFIX (endpoint and credentials as for -o s3://; many pods may share one).
    /// A cached layer is not downloaded, decompressed or walked again, and the document is the
    /// same as without the cache. Entries are keyed by the layer's digest and by this version
    /// and the options that shape a walk (--no-python-files, the limits). Share a cache only
    /// among writers you trust.
    #[arg(
        long,
        value_name = "DIR|s3://BUCKET/PREFIX",
        env = "THOTH_PACKAGE_EXTRACT_LAYER_CACHE"
    )]
    // Where results were cached is no part of the analysis: the document does not record it.
    #[serde(skip)]
    pub layer_cache: Option<String>,

    /// Most bytes a --layer-cache directory holds; past this, the least recently used entries
    /// are removed (for s3://, use the bucket's lifecycle rules).
    #[arg(long, value_name = "BYTES", default_value_t = layer::cache::DEFAULT_MAX_BYTES, env = "THOTH_PACKAGE_EXTRACT_LAYER_CACHE_MAX_BYTES")]
    #[serde(skip)]
    pub layer_cache_max_bytes: u64,

    /// What to write: Thoth's document (`thoth`, or `json`), an SBOM (CycloneDX 1.6 or SPDX
    /// 2.3 JSON), or a package table for people (`table`). Without it: the table when stdout is
    /// a terminal and no -o is given, Thoth's document otherwise (pipes, files, URLs).
    #[arg(long, value_enum, env = "THOTH_PACKAGE_EXTRACT_FORMAT")]
    #[serde(serialize_with = "serialize_format")]
    pub format: Option<sbom::Format>,

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

    fn presentation(&self) -> common::Presentation {
        let Command::ExtractImage(a) = &self.command;
        match a.format {
            None => common::Presentation::Auto,
            Some(sbom::Format::Table) => common::Presentation::Human,
            Some(_) => common::Presentation::Document,
        }
    }
}

/// `--format` as recorded in `metadata.arguments`: Thoth's document when none was given (what
/// a document written without it is).
fn serialize_format<S: serde::Serializer>(
    format: &Option<sbom::Format>,
    s: S,
) -> Result<S::Ok, S::Error> {
    format.unwrap_or(sbom::Format::Thoth).serialize(s)
}

pub use report::Report;

/// `-t` when not given: an hour covers multi-gigabyte images over slow links, and a source that
/// drips bytes can no longer hold a pod forever.
pub const DEFAULT_TIMEOUT_SECS: u64 = 3600;

/// The image reference as recorded in `metadata.arguments`: never with credentials in it.
fn serialize_reference<S: serde::Serializer>(image: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&source::reference::redact(image))
}

pub fn analyze(cli: &Cli) -> Result<common::Analysis<Report>, AnalyzerError> {
    let Command::ExtractImage(args) = &cli.command;
    let reference = ImageRef::parse(&args.image)
        .map_err(|e| AnalyzerError::usage(format!("-i/--image: {e}")))?;
    let platform = match &args.platform {
        Some(p) => p.parse::<Platform>().map_err(AnalyzerError::usage)?,
        None => Platform::host(),
    };
    let limits = Limits {
        max_entries: args.max_entries,
        max_layer_bytes: args.max_layer_size,
        max_expansion_ratio: args.max_expansion_ratio,
        ..Limits::default()
    };
    let python_files = !args.no_python_files;
    let cache = args
        .layer_cache
        .as_deref()
        .filter(|l| !l.is_empty())
        .map(|location| {
            LayerCache::open(location, args.layer_cache_max_bytes, &limits, python_files)
                .map(std::sync::Arc::new)
                .map_err(|e| AnalyzerError::usage(format!("--layer-cache: {e}")))
        })
        .transpose()?;
    let opts = Options {
        platform,
        platform_given: args.platform.is_some(),
        limits,
        python_files,
        cache,
        registry: RegistryOptions {
            credentials: args.registry_credentials.clone(),
            no_tls_verify: args.no_tls_verify,
        },
    };
    let timeout = Some(std::time::Duration::from_secs(args.timeout));
    // Never dropped: the process ends once the document is written, and freeing the tree's tens
    // of thousands of entries one by one took a tenth of a run served from the layer cache.
    let walked =
        std::mem::ManuallyDrop::new(common::deadline::run_with_deadline(timeout, move || {
            inventory::walk(&reference, &opts)
        })?);
    let report = build_report(&walked);
    let reference = source::reference::redact(&args.image);
    let summary = table::summary(&report, &reference);
    let format = args.format.unwrap_or(sbom::Format::Thoth);
    if matches!(format, sbom::Format::Thoth | sbom::Format::Table) {
        return Ok(common::Analysis::ok(report).with_summary(summary));
    }
    let subject = sbom::Subject {
        name: reference,
        digest: walked
            .image
            .as_ref()
            .and_then(|i| i.manifest_digest.as_ref())
            .map(ToString::to_string),
    };
    let packages = sbom::packages(&report);
    let when = common::clock::Timestamp::for_documents().to_rfc3339_seconds();
    let document = match format {
        sbom::Format::SpdxJson => sbom::spdx::document(&subject, &packages, &when, INFO.version),
        _ => sbom::cyclonedx::document(&subject, &packages, &when, INFO.version),
    };
    Ok(common::Analysis::standalone(report, document).with_summary(summary))
}

/// Runs every cataloger over the overlaid tree and gathers their results.
pub fn build_report(walked: &Walked) -> Report {
    report::build(walked)
}
