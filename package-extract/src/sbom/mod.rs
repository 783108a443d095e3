//! Software bills of materials: the inventory as CycloneDX 1.6 or SPDX 2.3 JSON, with package
//! URLs for deb, apk and PyPI packages (distro qualifiers included) and dependency relations
//! where the package database states them.

pub mod cyclonedx;
pub mod purl;
pub mod spdx;

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use crate::report::Report;

/// `--format`: the document to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Thoth's document (the envelope with `metadata` and `result`).
    Thoth,
    /// CycloneDX 1.6 JSON.
    CyclonedxJson,
    /// SPDX 2.3 JSON.
    SpdxJson,
}

/// One package, in the terms both formats share.
#[derive(Debug, Clone)]
pub struct Package {
    pub ecosystem: &'static str,
    pub name: String,
    pub version: String,
    pub purl: String,
    pub license: Option<String>,
    pub layer: usize,
    /// Where a Python distribution lives.
    pub location: Option<String>,
    /// purls of the packages this one depends on (only those present in the image).
    pub depends_on: Vec<String>,
}

/// What the SBOM describes.
pub struct Subject {
    pub name: String,
    pub digest: Option<String>,
}

/// The packages of a report, sorted by purl, with dependency edges resolved inside the image.
pub fn packages(report: &Report) -> Vec<Package> {
    let os = &report.operating_system.operating_system;
    let distro_id = os.get("id").cloned().unwrap_or_default();
    let distro = match os.get("version_id") {
        Some(v) if !distro_id.is_empty() => format!("{distro_id}-{v}"),
        _ => distro_id.clone(),
    };
    let mut out = Vec::new();
    let deb_purls: BTreeMap<&str, String> = report
        .deb
        .deb
        .iter()
        .map(|p| {
            let purl = purl::purl(
                "deb",
                Some(&distro_id),
                &p.name,
                &p.version,
                &[("arch", &p.arch), ("distro", &distro)],
            );
            (p.name.as_str(), purl)
        })
        .collect();
    for (p, deps) in report.deb.deb.iter().zip(&report.deb.deb_dependencies) {
        let mut depends_on: Vec<String> = deps
            .depends
            .iter()
            .chain(&deps.pre_depends)
            .filter_map(|r| {
                // Of `a | b`, the first alternative present in the image.
                r.name
                    .split('|')
                    .map(str::trim)
                    .find_map(|n| deb_purls.get(n).cloned())
            })
            .collect();
        depends_on.sort();
        depends_on.dedup();
        out.push(Package {
            ecosystem: "deb",
            name: p.name.clone(),
            version: p.version.clone(),
            purl: deb_purls.get(p.name.as_str()).cloned().unwrap_or_default(),
            license: None,
            layer: p.layer,
            location: None,
            depends_on,
        });
    }
    let apk_purls: BTreeMap<&str, String> = report
        .apk
        .apk
        .iter()
        .map(|p| {
            let arch = p.arch.as_deref().unwrap_or_default();
            (
                p.name.as_str(),
                purl::purl(
                    "apk",
                    Some("alpine"),
                    &p.name,
                    &p.version,
                    &[("arch", arch), ("distro", &distro)],
                ),
            )
        })
        .collect();
    for p in &report.apk.apk {
        let mut depends_on: Vec<String> = p
            .depends
            .iter()
            .filter_map(|d| apk_purls.get(d.as_str()).cloned())
            .collect();
        depends_on.sort();
        depends_on.dedup();
        out.push(Package {
            ecosystem: "apk",
            name: p.name.clone(),
            version: p.version.clone(),
            purl: apk_purls.get(p.name.as_str()).cloned().unwrap_or_default(),
            license: p.license.clone(),
            layer: p.layer,
            location: None,
            depends_on,
        });
    }
    for p in &report.python.packages {
        out.push(Package {
            ecosystem: "pypi",
            name: p.package_name.clone(),
            version: p.package_version.clone(),
            purl: purl::purl("pypi", None, &p.normalized_name, &p.package_version, &[]),
            license: p.license.clone(),
            layer: p.layer,
            location: Some(p.location.clone()),
            depends_on: Vec::new(),
        });
    }
    out.sort_by(|a, b| (&a.purl, &a.location).cmp(&(&b.purl, &b.location)));
    out
}

/// A stable identifier for a package inside one document: purl plus location (the same
/// distribution can sit in several site directories).
pub fn local_id(p: &Package) -> String {
    match &p.location {
        Some(l) => format!("{}#{l}", p.purl),
        None => p.purl.clone(),
    }
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
