//! The one list of catalogers. Capture, the report, warnings, both SBOMs and the schema test
//! iterate it; adding an ecosystem is a module with a `CATALOGER` and one line here.
//!
//! Order matters in one way: a cataloger sees the owners of the files listed by the packages
//! of the catalogers before it (so system packages come before `python` and `elf`), and a
//! path keeps the first owner that claims it.

use schemars::JsonSchema;
use serde_json::{Map, Value};

use super::ownership::Owners;
use super::seam::{Cataloger, Distro, Findings, Package, Scan, Wanted};
use super::{aicoe, apk, conda, cuda, deb, elf, os_release, python, rpm};
use crate::tree::FileTree;

pub const CATALOGERS: &[Cataloger] = &[
    os_release::CATALOGER,
    deb::CATALOGER,
    rpm::CATALOGER,
    apk::CATALOGER,
    conda::CATALOGER,
    python::CATALOGER,
    elf::CATALOGER,
    CUDA,
    aicoe::CATALOGER,
];

/// `cuda-version` (its module is shared with other work; its declaration lives here).
const CUDA: Cataloger = Cataloger {
    name: "cuda",
    files: &[
        Wanted::content("/usr/local/cuda/version.txt"),
        Wanted::content("/usr/local/cuda/version.json"),
    ],
    keys: &["cuda-version"],
    schema: cuda::CudaCatalog::json_schema,
    run: |scan| {
        let c = cuda::catalog(scan.tree);
        Findings::of(&c, Vec::new(), c.warnings.clone())
    },
};

/// Every cataloger's findings, merged.
#[derive(Debug, Default)]
pub struct Catalogued {
    /// The result keys of every cataloger.
    pub keys: Map<String, Value>,
    /// Every package of every ecosystem, in registry order.
    pub packages: Vec<Package>,
    pub warnings: Vec<String>,
}

/// Runs every cataloger, in registry order, over the merged tree.
pub fn run(tree: &FileTree) -> Catalogued {
    let distro = Distro::from_os_release(&os_release::catalog(tree).operating_system);
    let mut owners = Owners::default();
    let mut out = Catalogued::default();
    for cataloger in CATALOGERS {
        let scan = Scan {
            tree,
            distro: &distro,
            owners: &owners,
        };
        let findings = (cataloger.run)(&scan);
        owners.claim(tree, &findings.packages);
        out.keys.extend(findings.keys);
        out.packages.extend(findings.packages);
        out.warnings.extend(findings.warnings);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::tree::build::tree_of;

    /// Every cataloger fills exactly the keys it declares, always (an image without its
    /// ecosystem gets empty values), and its schema describes exactly those keys; no two
    /// catalogers share a key.
    #[test]
    fn declared_keys_schemas_and_findings_agree() {
        let tree = tree_of(&[("/etc/hostname", b"x")]);
        let distro = Distro::default();
        let owners = Owners::default();
        let scan = Scan {
            tree: &tree,
            distro: &distro,
            owners: &owners,
        };
        let mut all = BTreeSet::new();
        for c in CATALOGERS {
            let declared: BTreeSet<&str> = c.keys.iter().copied().collect();
            let findings = (c.run)(&scan);
            let filled: BTreeSet<&str> = findings.keys.keys().map(String::as_str).collect();
            assert_eq!(filled, declared, "{}: keys filled", c.name);
            let schema = (c.schema)(&mut schemars::SchemaGenerator::default());
            let properties: BTreeSet<&str> = schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            assert_eq!(properties, declared, "{}: schema properties", c.name);
            assert!(!c.files.is_empty(), "{}: reads no files", c.name);
            for key in &declared {
                assert!(all.insert(*key), "{key} is filled by two catalogers");
            }
        }
    }

    #[test]
    fn names_are_unique() {
        let names: BTreeSet<&str> = CATALOGERS.iter().map(|c| c.name).collect();
        assert_eq!(names.len(), CATALOGERS.len());
    }
}
