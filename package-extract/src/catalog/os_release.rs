//! `operating-system`: the image's os-release file, keys lowercased, every key kept (as Thoth).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::catalog::seam::{Cataloger, Findings, Wanted};
use crate::tree::FileTree;

pub const CATALOGER: Cataloger = Cataloger {
    name: "os-release",
    files: &[
        Wanted::content(OS_RELEASE_PATHS[0]),
        Wanted::content(OS_RELEASE_PATHS[1]),
    ],
    keys: &["operating-system"],
    schema: <OsReleaseCatalog as JsonSchema>::json_schema,
    run: |scan| Findings::of(&catalog(scan.tree), Vec::new(), Vec::new()),
};

/// Where os-release lives, in the order systemd reads it. Thoth read only the first; distroless
/// and some minimal images ship only the second.
const OS_RELEASE_PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OsReleaseCatalog {
    /// `{}` when the image has no os-release file.
    #[serde(rename = "operating-system")]
    pub operating_system: BTreeMap<String, String>,
    /// Which file was read (not serialised: the key's shape is Thoth's flat map).
    #[serde(skip)]
    pub source: Option<String>,
}

/// Reads `/etc/os-release` (following links: on Debian it points to `../usr/lib/os-release`),
/// falling back to `/usr/lib/os-release`.
pub fn catalog(tree: &FileTree) -> OsReleaseCatalog {
    for path in OS_RELEASE_PATHS {
        if let Some(bytes) = tree.content_str(path) {
            // Lossy: a stray Latin-1 byte in PRETTY_NAME must not hide the ID and VERSION_ID.
            let text = String::from_utf8_lossy(bytes);
            return OsReleaseCatalog {
                operating_system: common::host::parse_os_release(&text),
                source: Some(path.to_owned()),
            };
        }
    }
    OsReleaseCatalog::default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::tree::build::{LayerBuilder, tree_of};

    const DEBIAN: &[u8] = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n";

    #[test]
    fn follows_the_debian_symlink_and_lowercases_keys() {
        let layer = LayerBuilder::new(0)
            .file("/usr/lib/os-release", DEBIAN)
            .symlink("/etc/os-release", "../usr/lib/os-release");
        let tree = FileTree::overlay(vec![layer.index], |_| false);
        let os = catalog(&tree);
        assert_eq!(os.operating_system["id"], "debian");
        assert_eq!(os.operating_system["version_id"], "12");
        assert_eq!(
            os.operating_system["pretty_name"],
            "Debian GNU/Linux 12 (bookworm)"
        );
        assert_eq!(os.source.as_deref(), Some("/etc/os-release"));
    }

    #[test]
    fn etc_wins_over_usr_lib() {
        let tree = tree_of(&[
            ("/etc/os-release", b"ID=rhel\nVERSION_ID=\"8.2\"\n"),
            ("/usr/lib/os-release", b"ID=other\n"),
        ]);
        let os = catalog(&tree).operating_system;
        assert_eq!(os["id"], "rhel");
        assert_eq!(os["version_id"], "8.2");
    }

    #[test]
    fn falls_back_to_usr_lib_when_etc_is_missing_or_dangling() {
        let layer = LayerBuilder::new(0)
            .file("/usr/lib/os-release", b"ID=alpine\n")
            .symlink("/etc/os-release", "/nowhere");
        let tree = FileTree::overlay(vec![layer.index], |_| false);
        let os = catalog(&tree);
        assert_eq!(os.operating_system["id"], "alpine");
        assert_eq!(os.source.as_deref(), Some("/usr/lib/os-release"));
    }

    #[test]
    fn missing_gives_an_empty_object() {
        let os = catalog(&tree_of(&[("/etc/hostname", b"x")]));
        assert!(os.operating_system.is_empty());
        assert_eq!(
            serde_json::to_string(&os).unwrap(),
            r#"{"operating-system":{}}"#
        );
    }
}
