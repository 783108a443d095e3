//! Which system package owns a file: dpkg's `/var/lib/dpkg/info/<package>[:<arch>].list` lists
//! every path a deb installed, and each rpm header lists the paths of its package. A Python distribution or an ELF object that a system package
//! installed is marked with it, so it is not mistaken for something pip put there.

use std::collections::BTreeMap;

use crate::path::ImagePath;
use crate::tree::FileTree;

const DPKG_INFO: &str = "/var/lib/dpkg/info";

/// Paths (resolved through the image's symlinks) to their owner, e.g. `deb:python3-six`.
#[derive(Debug, Default)]
pub struct Owners(BTreeMap<ImagePath, String>);

impl Owners {
    pub fn from_tree(tree: &FileTree) -> Self {
        let mut owners = BTreeMap::new();
        let info = ImagePath::normalize(DPKG_INFO).0;
        for (path, _) in tree.children(&info) {
            let Some(stem) = path.file_name().strip_suffix(".list") else {
                continue;
            };
            let package = stem.split(':').next().unwrap_or(stem);
            let Some(text) = tree.content(path) else {
                continue;
            };
            for line in String::from_utf8_lossy(text).lines() {
                let listed = ImagePath::normalize(line.trim()).0;
                if listed.is_root() {
                    continue;
                }
                // Merged-usr images list /lib/... while the file lives in /usr/lib/...
                let real = tree.resolve(&listed).unwrap_or(listed);
                owners
                    .entry(real)
                    .or_insert_with(|| format!("deb:{package}"));
            }
        }
        Self(owners)
    }

    /// Adds the paths the rpm database lists, each owned by `rpm:<name>` (a path a deb already
    /// claimed keeps its deb owner).
    #[must_use]
    pub fn with_rpm(
        mut self,
        tree: &FileTree,
        packages: &[crate::catalog::rpm::RpmPackage],
    ) -> Self {
        for package in packages {
            for file in &package.files {
                let listed = ImagePath::normalize(file).0;
                if listed.is_root() {
                    continue;
                }
                let real = tree.resolve(&listed).unwrap_or(listed);
                self.0
                    .entry(real)
                    .or_insert_with(|| format!("rpm:{}", package.name));
            }
        }
        self
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

    #[test]
    fn owners_come_from_dpkg_lists_through_symlinks() {
        let layer = LayerBuilder::new(0)
            .symlink("/lib", "usr/lib")
            .file("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", b"elf")
            .file(
                "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
                b"Name: six",
            )
            .file(
                "/var/lib/dpkg/info/zlib1g:amd64.list",
                b"/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libz.so.1.2.13\n",
            )
            .file(
                "/var/lib/dpkg/info/python3-six.list",
                b"/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO\n",
            );
        let tree = FileTree::overlay(vec![layer.index], |_| false);
        let owners = Owners::from_tree(&tree);
        assert_eq!(
            owners
                .owner(&tree, "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13")
                .as_deref(),
            Some("deb:zlib1g")
        );
        assert_eq!(
            owners
                .owner(
                    &tree,
                    "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO"
                )
                .as_deref(),
            Some("deb:python3-six")
        );
        assert_eq!(owners.owner(&tree, "/usr/local/bin/x"), None);
    }

    #[test]
    fn rpm_headers_own_their_files_and_debs_keep_theirs() {
        let layer = LayerBuilder::new(0)
            .file(
                "/usr/lib/python3.9/site-packages/requests-2.25.1-py3.9.egg-info/PKG-INFO",
                b"Name: requests",
            )
            .file("/usr/lib64/libz.so.1", b"elf")
            .file("/var/lib/dpkg/info/zlib1g.list", b"/usr/lib64/libz.so.1\n");
        let tree = FileTree::overlay(vec![layer.index], |_| false);
        let package = |name: &str, files: &[&str]| crate::catalog::rpm::RpmPackage {
            name: name.to_owned(),
            epoch: None,
            version: "1".into(),
            release: "1".into(),
            arch: Some("noarch".into()),
            nevra: format!("{name}-1-1.noarch"),
            source_rpm: None,
            license: None,
            vendor: None,
            size: None,
            modularity_label: None,
            install_time: None,
            signature_key_id: None,
            files: files.iter().map(|f| (*f).to_owned()).collect(),
            requires: Vec::new(),
            layer: 0,
            database: String::new(),
        };
        let owners = Owners::from_tree(&tree).with_rpm(
            &tree,
            &[
                package(
                    "python3-requests",
                    &[
                        "/usr/lib/python3.9/site-packages/requests-2.25.1-py3.9.egg-info",
                        "/usr/lib/python3.9/site-packages/requests-2.25.1-py3.9.egg-info/PKG-INFO",
                    ],
                ),
                package("zlib", &["/usr/lib64/libz.so.1"]),
            ],
        );
        let pkg_info = "/usr/lib/python3.9/site-packages/requests-2.25.1-py3.9.egg-info/PKG-INFO";
        assert_eq!(
            owners.owner(&tree, pkg_info).as_deref(),
            Some("rpm:python3-requests")
        );
        assert_eq!(
            owners.owner(&tree, "/usr/lib64/libz.so.1").as_deref(),
            Some("deb:zlib1g")
        );
    }
}
