//! Software bills of materials: the inventory as CycloneDX 1.6 or SPDX 2.3 JSON. Every
//! cataloger's packages are in them ([`crate::catalog::Package`]: rpm, deb, apk, conda, PyPI),
//! with package URLs (distro qualifiers included) and dependency relations where the package
//! database states them.

pub mod cyclonedx;
pub mod purl;
pub mod spdx;

use sha2::{Digest as _, Sha256};

use crate::report::Report;

/// `--format`: the document to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Thoth's document (the envelope with `metadata` and `result`); `json` names it too.
    #[value(alias = "json")]
    Thoth,
    /// A package table for people (what a terminal gets when no --format or -o is given).
    Table,
    /// CycloneDX 1.6 JSON.
    CyclonedxJson,
    /// SPDX 2.3 JSON.
    SpdxJson,
}

pub use crate::catalog::Package;

/// What the SBOM describes.
pub struct Subject {
    pub name: String,
    pub digest: Option<String>,
}

/// The packages of a report, sorted by purl (and location).
pub fn packages(report: &Report) -> Vec<Package> {
    let mut out = report.packages.clone();
    out.sort_by(|a, b| (&a.purl, &a.location).cmp(&(&b.purl, &b.location)));
    out
}

/// A stable identifier for a package inside one document ([`Package::local_id`]).
pub fn local_id(p: &Package) -> String {
    p.local_id()
}

/// A UUID derived from what the document describes, so the same image gives the same SBOM.
pub fn stable_uuid(seed: &str) -> String {
    let h = Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x50; // version 5 (name-based)
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    let x = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    )
}
