//! Which system package owns a file. Every cataloger's packages list the files they installed
//! (dpkg's `info/*.list`, rpm headers, apk's `R:` lines, conda's `conda-meta` records); the
//! report claims them in registry order, so a Python distribution or an ELF object a system
//! package installed is marked with it and not mistaken for something pip put there.

use std::collections::BTreeMap;

use super::seam::Package;
use crate::path::ImagePath;
use crate::tree::FileTree;

/// Paths (resolved through the image's symlinks) to their owner, e.g. `deb:python3-six`.
#[derive(Debug, Default)]
pub struct Owners(BTreeMap<ImagePath, String>);

impl Owners {
    /// Adds the files `packages` list; a path already claimed keeps its first owner.
    pub fn claim(&mut self, tree: &FileTree, packages: &[Package]) {
        for package in packages.iter().filter(|p| !p.files.is_empty()) {
            let owner = package.owner_name();
            for file in &package.files {
                let listed = ImagePath::normalize(file).0;
                if listed.is_root() {
                    continue;
                }
                // Merged-usr images list /lib/... while the file lives in /usr/lib/...
                let real = tree.resolve(&listed).unwrap_or(listed);
                self.0.entry(real).or_insert_with(|| owner.clone());
            }
        }
    }

    /// The owner of `path` (resolved through symlinks first).
    pub fn owner(&self, tree: &FileTree, path: &str) -> Option<String> {
        let p = ImagePath::normalize(path).0;
        let real = tree.resolve(&p).unwrap_or(p);
        self.0.get(&real).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::build::LayerBuilder;

    fn package(ecosystem: &'static str, name: &str, files: &[&str]) -> Package {
        let mut p = Package::new(ecosystem, name, "1", format!("pkg:{ecosystem}/{name}@1"));
        p.files = files.iter().map(|f| (*f).to_owned()).collect();
        p
    }

    #[test]
    fn owners_resolve_through_symlinks_and_the_first_claim_wins() {
        let layer = LayerBuilder::new(0)
            .symlink("/lib", "usr/lib")
            .file("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", b"elf")
            .file("/usr/lib64/libz.so.1", b"elf");
        let tree = FileTree::overlay(vec![layer.index], |_| false);
        let mut owners = Owners::default();
        owners.claim(
            &tree,
            &[package(
                "deb",
                "zlib1g",
                &[
                    "/.",
                    "/lib/x86_64-linux-gnu/libz.so.1.2.13",
                    "/usr/lib64/libz.so.1",
                ],
            )],
        );
        owners.claim(&tree, &[package("rpm", "zlib", &["/usr/lib64/libz.so.1"])]);
        let of = |p: &str| owners.owner(&tree, p);
        assert_eq!(
            of("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13").as_deref(),
            Some("deb:zlib1g")
        );
        assert_eq!(
            of("/lib/x86_64-linux-gnu/libz.so.1.2.13").as_deref(),
            Some("deb:zlib1g")
        );
        assert_eq!(of("/usr/lib64/libz.so.1").as_deref(), Some("deb:zlib1g"));
        assert_eq!(of("/usr/local/bin/x"), None);
    }
}
