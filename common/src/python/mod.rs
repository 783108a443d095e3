//! Python packaging primitives shared by the analyzers.
//!
//! One concept per module: project names (PEP 503), the target interpreter and platform,
//! requirements and markers (PEP 508), wheel and sdist filenames and tags, core metadata
//! (METADATA / PKG-INFO), and the files installed next to it (RECORD, entry_points.txt, ...).
//! Versions and specifiers come from `pep440_rs`, re-exported here so the workspace names them
//! through `common::python` only.

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod corpus_tests;
mod direct_url;
mod entry_points;
mod environment;
mod marker;
mod metadata;
mod name;
mod record;
mod requirement;
mod sdist;
mod wheel;

pub use direct_url::{ArchiveInfo, DirInfo, DirectUrl, DirectUrlError, VcsInfo, parse_direct_url};
pub use entry_points::{EntryPoint, EntryPoints, parse_entry_points};
pub use environment::{
    DEFAULT_GLIBC, DEFAULT_MACOS, DEFAULT_MUSL, EnvironmentError, Implementation, Libc,
    MARKER_KEYS, TargetEnvironment, TargetPlatform,
};
pub use marker::MarkerSyntaxError;
pub use metadata::{CoreMetadata, License, MULTIPLE_USE_FIELDS, MetadataError};
pub use name::normalize_name;
pub use pep440_rs::{Operator, Version, VersionParseError, VersionSpecifier, VersionSpecifiers};
pub use record::{Record, RecordEntry, RecordHash, parse_line_list, parse_record};
pub use requirement::{Requirement, RequirementError, ThothMarkerEvaluation, check_leading_names};
pub use sdist::{SdistFilename, SdistFilenameError, SdistFormat};
pub use wheel::{BuildTag, WheelFilename, WheelFilenameError};
