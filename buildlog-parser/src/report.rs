//! The result document: Thoth's keys with Thoth's meaning, plus what Thoth never reported.
//!
//! Every list is either sorted or in log order, so two runs on the same log serialise to the same
//! bytes. Optional extras are left out of the JSON when empty rather than written as `null`.

use schemars::JsonSchema;
use serde::Serialize;

/// Everything the parser learned from one build log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct BuildLogReport {
    /// The s2i and Thoth facts Thoth's parser read.
    pub info: Info,
    /// One entry per package an installer collected, in log order (Thoth: pinned `Collecting` only).
    pub installation: Vec<Installation>,
    /// The Pipfile.lock micropipenv printed, parsed; null when absent or not JSON.
    pub pipfile_lock: Option<serde_json::Value>,
    /// Thoth's configuration printed by the s2i assemble script: YAML or JSON parsed, the raw text
    /// when it does not parse, null when absent or empty.
    pub thoth_config: Option<serde_json::Value>,
    /// Packages that failed and never succeeded later, sorted, each once.
    pub failed: Vec<String>,
    /// Packages that failed at least once and succeeded in a later (or earlier) attempt, sorted.
    pub recovered: Vec<String>,
    /// True when nothing failed for good: no `failed` package and no unrecovered error.
    pub installation_successful: bool,
    /// Installers and helpers seen, sorted by name then version.
    pub tools: Vec<Tool>,
    /// The interpreter version the log shows (`3.11` or `3.11.4`), the most explicit source winning.
    pub python_version: Option<String>,
    /// Package index URLs seen, sorted, with any `user:password@` removed.
    pub indexes: Vec<String>,
    /// Top-level requirements as written (`-r` file lines, command-line arguments), sorted, unique.
    pub requirements: Vec<String>,
    /// The final installed set as the log tells it, sorted by normalised name.
    pub installed: Vec<InstalledPackage>,
    /// The adviser analysis id (first line starting with `adviser-`).
    pub adviser_id: Option<String>,
    /// buildah/podman/docker `STEP n/m:` lines, in log order.
    pub steps: Vec<Step>,
    /// Why the build failed (or nearly did), one entry per failure, in log order.
    pub errors: Vec<BuildError>,
}

/// Thoth's `info` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Info {
    pub s2i_builder_image: Option<ImageRef>,
    pub push_destination: Option<PushDestination>,
    pub push_successful: bool,
    pub thamos_version: Option<String>,
    pub adviser_run: bool,
    pub provenance_check_run: bool,
}

/// `Using IMAGE as the s2i builder image`, split on `@sha256:`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ImageRef {
    pub image: String,
    pub sha256: Option<String>,
}

/// `Pushing image IMAGE:TAG ...`; `tag` is null when the last `:` belongs to a registry port.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct PushDestination {
    pub image: String,
    pub tag: Option<String>,
}

/// Thoth's installation entry, for any package an installer collected.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Installation {
    /// The project name as the log wrote it; for a direct reference without a name (VCS URL, local
    /// path) the reference as written.
    pub package_name: String,
    pub package_version: Option<String>,
    /// URL or file name of the distribution downloaded or taken from the cache.
    pub artifact: Option<String>,
    /// Size as pip printed it, without the space: `1.2MB`, `18kB`.
    pub artifact_size: Option<String>,
    pub is_wheel: Option<bool>,
    /// True when the installer said it installed it, false when it failed, null when the log does
    /// not say.
    pub is_successful: Option<bool>,
    /// The lines that followed the entry's first line, up to its end (bounded, see `parse`).
    pub installation_log: String,
}

/// An installer or helper the log shows, with its version when the log tells it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: Option<String>,
}

/// One package of the final installed set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct InstalledPackage {
    pub name: String,
    pub version: String,
}

/// A container build step line.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Step {
    /// 1-based line number in the input.
    pub line: usize,
    pub number: u32,
    pub total: Option<u32>,
    pub instruction: String,
}

/// Why an install failed, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    NoMatchingDistribution,
    ResolutionImpossible,
    HashMismatch,
    BuildFailure,
    MetadataGenerationFailed,
    RequiresPython,
    Network,
    TlsVerification,
    DiskOrPermission,
    KilledOrTruncated,
    Other,
}

/// What a build failure lacked, when the compiler output names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MissingKind {
    Header,
    Library,
    Compiler,
}

/// A failure found in the log.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct BuildError {
    pub kind: ErrorKind,
    pub package: Option<String>,
    /// The line that decided the kind, trimmed.
    pub message: String,
    /// 1-based, inclusive, in the input as read.
    pub first_line: usize,
    pub last_line: usize,
    /// What the user can do about it.
    pub hint: String,
    /// True when the package installed in a later round (micropipenv retries, pipenv retries).
    pub recovered: bool,
    /// The last exception line of a traceback inside the failure (`UnicodeDecodeError: ...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// `resolution-impossible`: the conflicting requirements, as the resolver stated them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<String>,
    /// `resolution-impossible`: the packages whose requirements clash (what the user has to
    /// change): those the resolver could not install together, the packages declaring the
    /// conflicting dependencies, and the packages the user's own conflicting requirements name.
    /// `package` is then the package they disagree about, when the log says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub culprits: Vec<String>,
    /// `resolution-impossible`: each conflicting requirement with where it comes from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicting_requirements: Vec<ConflictingRequirement>,
    /// `hash-mismatch`: the digests the requirements allowed (`sha256:...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expected_hashes: Vec<String>,
    /// `hash-mismatch`: the digest of what was downloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual_hash: Option<String>,
    /// `build-failure`: what kind of thing was missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_kind: Option<MissingKind>,
    /// `build-failure`: the missing header, library or compiler (`Python.h`, `xyz`, `gcc`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
    /// `build-failure`: the compiler whose command failed (`gcc`), missing or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compiler: Option<String>,
}

/// One requirement in a dependency conflict, and who asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ConflictingRequirement {
    /// As the resolver wrote it: `demo-greeting==1.2.0`, `idna<4,>=2.5`, `demo-greeting (1.2.0)`.
    pub requirement: String,
    /// `user` for the user's own requirement (command line, requirements file, project), else
    /// the package that declares it as a dependency.
    pub origin: String,
    /// The version of the declaring package, when the resolver names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_version: Option<String>,
}

impl ConflictingRequirement {
    pub const USER: &str = "user";

    pub fn is_from_user(&self) -> bool {
        self.origin == Self::USER
    }
}
