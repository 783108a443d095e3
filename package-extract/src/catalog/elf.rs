//! ELF objects: Thoth's `system-symbols` (the version definitions of the shared libraries the
//! dynamic linker searches) and `elf-objects` (what every ELF object needs and provides).

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::glob::wildcard;
use crate::catalog::seam::{Cataloger, Findings, Scan, Wanted};
use crate::elf::ElfFacts;
use crate::path::ImagePath;
use crate::tree::FileTree;

/// ELF objects themselves are parsed by the layer walk as it meets them; this cataloger reads
/// only the linker's configuration.
pub const CATALOGER: Cataloger = Cataloger {
    name: "elf",
    files: &[
        Wanted::content("/etc/ld.so.conf"),
        Wanted::content("/etc/ld.so.conf.d/*"),
    ],
    keys: &["system-symbols", "elf-objects"],
    schema: <ElfCatalog as JsonSchema>::json_schema,
    run,
};

/// Marks each object with the system package that installed it.
fn run(scan: &Scan<'_>) -> Findings {
    let mut catalog = catalog(scan.tree);
    for o in &mut catalog.objects {
        o.system_package = scan.owner(&o.path);
    }
    let warnings = std::mem::take(&mut catalog.warnings);
    Findings::of(&catalog, Vec::new(), warnings)
}

/// The directories Thoth searched, before those `/etc/ld.so.conf` adds.
const DEFAULT_LIBRARY_DIRS: &[&str] = &[
    "/usr/lib64",
    "/lib64",
    "/usr/lib32",
    "/lib32",
    "/usr/lib",
    "/lib",
];

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct ElfCatalog {
    /// `{library path: [version definition names]}` for the shared libraries in the library
    /// directories, as Thoth's `nm -D | grep ' A '` listed them.
    #[serde(rename = "system-symbols")]
    pub system_symbols: BTreeMap<String, Vec<String>>,
    /// Every ELF object, sorted by path.
    #[serde(rename = "elf-objects")]
    pub objects: Vec<ElfObject>,
    #[serde(skip)]
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ElfObject {
    pub path: String,
    #[serde(flatten)]
    pub facts: ElfFacts,
    /// The layer that wrote the file.
    pub layer: usize,
    /// The system package that installed it, when one did.
    pub system_package: Option<String>,
}

pub fn catalog(tree: &FileTree) -> ElfCatalog {
    let mut warnings = Vec::new();
    let dirs = library_dirs(tree, &mut warnings);
    let mut system_symbols = BTreeMap::new();
    let mut objects = Vec::new();
    for (path, facts) in tree.elf_objects() {
        let in_library_dir = path.parent().is_some_and(|p| dirs.contains(&p));
        if in_library_dir && path.file_name().contains(".so") {
            let mut versions = facts.defined_versions.clone();
            versions.sort();
            versions.dedup();
            system_symbols.insert(path.to_string(), versions);
        }
        objects.push(ElfObject {
            path: path.to_string(),
            facts: facts.clone(),
            layer: tree.entry(path).map_or(0, |e| e.layer),
            system_package: None,
        });
    }
    ElfCatalog {
        system_symbols,
        objects,
        warnings,
    }
}

/// The library directories, resolved through symlinks (`/lib` -> `/usr/lib` on merged-usr
/// systems), with those `/etc/ld.so.conf` names, following its `include` lines.
fn library_dirs(tree: &FileTree, warnings: &mut Vec<String>) -> BTreeSet<ImagePath> {
    let mut dirs: Vec<String> = DEFAULT_LIBRARY_DIRS
        .iter()
        .map(|d| (*d).to_owned())
        .collect();
    let mut pending = vec![ImagePath::normalize("/etc/ld.so.conf").0];
    let mut seen = BTreeSet::new();
    while let Some(conf) = pending.pop() {
        if !seen.insert(conf.clone()) || seen.len() > 256 {
            continue;
        }
        let Some(text) = tree.content(&conf) else {
            continue;
        };
        for line in String::from_utf8_lossy(text).lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if let Some(pattern) = line.strip_prefix("include") {
                let base = conf.parent().unwrap_or_else(ImagePath::root);
                for p in pattern.split_whitespace() {
                    pending.extend(glob(tree, &base.join_clamped(p).0));
                }
            } else if line.starts_with('/') {
                dirs.push(line.to_owned());
            } else if !line.is_empty() && !line.starts_with("hwcap") {
                warnings.push(format!("{conf}: ignored line {line:?}"));
            }
        }
    }
    dirs.iter()
        .filter_map(|d| tree.resolve(&ImagePath::normalize(d).0))
        .collect()
}

/// Files matching a pattern whose last component may hold `*` and `?` (ld.so.conf includes).
fn glob(tree: &FileTree, pattern: &ImagePath) -> Vec<ImagePath> {
    let Some(dir) = pattern.parent() else {
        return Vec::new();
    };
    let name = pattern.file_name();
    if !name.contains(['*', '?']) {
        return vec![pattern.clone()];
    }
    let Some(real) = tree.resolve(&dir) else {
        return Vec::new();
    };
    tree.children(&real)
        .filter(|(p, _)| wildcard(name.as_bytes(), p.file_name().as_bytes()))
        .map(|(p, _)| p.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ld_so_conf_includes_add_directories() {
        let tree = crate::tree::build::tree_of(&[
            ("/etc/ld.so.conf", b"include /etc/ld.so.conf.d/*.conf\n"),
            ("/etc/ld.so.conf.d/x86_64-linux-gnu.conf", b"# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n"),
            ("/etc/ld.so.conf.d/libc.conf", b"/usr/local/lib\n"),
            ("/usr/lib/x86_64-linux-gnu/libz.so.1", b"x"),
        ]);
        let mut warnings = Vec::new();
        let dirs = library_dirs(&tree, &mut warnings);
        assert!(
            dirs.contains(&ImagePath::normalize("/usr/lib/x86_64-linux-gnu").0),
            "{dirs:?}"
        );
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}
