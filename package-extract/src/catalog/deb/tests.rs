//! Every dpkg file of the shared corpus (`/work/shared/corpus/dpkg`, provenance in its
//! SOURCES.md), cataloged as it would sit in an image, plus layer attribution.

use super::*;
use crate::tree::build::{LayerBuilder, tree_of};

fn corpus(rel: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../shared/corpus/dpkg/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("corpus file {path}: {e}"))
}

fn status(rel: &str) -> DebCatalog {
    let bytes = corpus(&format!("status/{rel}"));
    catalog(&tree_of(&[(STATUS, &bytes)]))
}

fn triple(p: &DebPackage) -> (&str, &str, &str) {
    (&p.name, &p.version, &p.arch)
}

fn find<'a>(c: &'a DebCatalog, name: &str) -> (&'a DebPackage, &'a DebDependencies) {
    let i = c
        .deb
        .iter()
        .position(|p| p.plain_name == name)
        .unwrap_or_else(|| panic!("{name} not cataloged"));
    (&c.deb[i], &c.deb_dependencies[i])
}

/// Thoth's `${binary:Package}`: `Multi-Arch: same` packages carry their architecture (8 of the
/// 9 packages of this Debian 12 database), the others do not; `plain_name` is dpkg's `${Package}`.
#[test]
fn names_are_dpkg_binary_package() {
    let c = status("syft-debian12-arm64-coreutils-deps-status");
    let qualified: Vec<&str> = c
        .deb
        .iter()
        .filter(|p| p.name != p.plain_name)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(qualified.len(), 8, "{qualified:?}");
    assert!(qualified.contains(&"libc6:arm64"), "{qualified:?}");
    let (coreutils, deps) = find(&c, "coreutils");
    assert_eq!(coreutils.name, "coreutils");
    assert_eq!(deps.name, "coreutils");
    let (libc, deps) = find(&c, "libc6");
    assert_eq!(
        (libc.name.as_str(), libc.plain_name.as_str()),
        ("libc6:arm64", "libc6")
    );
    assert_eq!(
        deps.name, "libc6",
        "deb-dependencies keeps apt's plain names"
    );
}

fn rel(name: &str, version: &str) -> Relation {
    Relation {
        name: name.into(),
        version: version.into(),
        arch_qualifier: None,
        alternatives: Vec::new(),
    }
}

#[test]
fn ubuntu_1804_texlive_full_database() {
    let c = status("claircore-ubuntu1804-texlive-status");
    assert_eq!(c.deb.len(), 357);
    assert_eq!(c.deb_dependencies.len(), 357);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let epochs = c
        .deb_dependencies
        .iter()
        .filter(|d| d.epoch.is_some())
        .count();
    assert_eq!(epochs, 58);
    let (pkg, deps) = find(&c, "libxi6");
    assert_eq!(triple(pkg), ("libxi6:amd64", "2:1.7.9-1", "amd64"));
    assert_eq!(pkg.source, "libxi");
    assert_eq!(deps.version, "1.7.9-1");
    assert_eq!(deps.epoch, Some(Some("2".into())));
    assert_eq!(
        deps.depends,
        [
            rel("libc6", ">= 2.14"),
            rel("libx11-6", ">= 2:1.6.0"),
            rel("libxext6", "")
        ]
    );
    assert!(c.deb.windows(2).all(|w| w[0] <= w[1]), "sorted");
}

#[test]
fn ubuntu_1804_trivy_database_excludes_config_files_entry() {
    let c = status("trivy-ubuntu1804-status");
    assert_eq!(c.deb.len(), 90);
    assert!(!c.deb.iter().any(|p| p.name == "git"), "git is deinstalled");
    let (pkg, deps) = find(&c, "libaudit1");
    assert_eq!(
        triple(pkg),
        ("libaudit1:amd64", "1:2.8.2-1ubuntu1", "amd64")
    );
    assert_eq!(deps.epoch, Some(Some("1".into())));
    assert_eq!(
        c.deb_dependencies
            .iter()
            .filter(|d| d.epoch.is_some())
            .count(),
        13
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn deinstall_config_files_entry_is_excluded() {
    let c = status("syft-ubuntu-deinstall-config-files-status");
    assert_eq!(c.deb.len(), 1);
    assert_eq!(
        triple(&c.deb[0]),
        (
            "linux-image-6.14.0-1012-aws",
            "6.14.0-1012.12~24.04.1",
            "amd64"
        )
    );
    assert_eq!(c.deb[0].source, "linux-signed-aws-6.14");
    let deps = &c.deb_dependencies[0];
    assert_eq!(deps.epoch, None);
    assert_eq!(deps.depends[1], rel("linux-base", ">= 4.5ubuntu1~16.04.1"));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn debian10_postgresql_source_with_version() {
    let c = status("claircore-debian10-postgresql-status");
    let names: Vec<_> = c.deb.iter().map(triple).collect();
    assert_eq!(
        names,
        [
            ("postgresql-client", "11+200+deb10u5", "all"),
            ("postgresql-client-11", "11.22-0+deb10u2", "amd64"),
            ("postgresql-client-common", "200+deb10u5", "all"),
        ]
    );
    assert_eq!(c.deb[0].source, "postgresql-common");
    assert_eq!(c.deb[0].source_version.as_deref(), Some("200+deb10u5"));
    assert_eq!(c.deb[1].source_version, None);
    assert_eq!(c.deb_dependencies[1].depends[0], rel("libpq5", ">= 11.22"));
}

#[test]
fn small_debian_databases() {
    let c = status("claircore-debian10-single-status");
    assert_eq!(
        c.deb.iter().map(triple).collect::<Vec<_>>(),
        [("debian-archive-keyring", "2019.1", "all")]
    );
    assert_eq!(c.deb[0].source, "debian-archive-keyring");
    let c = status("grype-debian-match-coverage-status");
    assert_eq!(
        c.deb.iter().map(triple).collect::<Vec<_>>(),
        [("apt", "1.8.2", "amd64")]
    );
}

#[test]
fn trailing_newlines_are_harmless() {
    let c = status("osv-scalibr-trailingnewlines-status");
    assert_eq!(
        c.deb.iter().map(triple).collect::<Vec<_>>(),
        [("acl", "2.3.1-3", "amd64")]
    );
    assert_eq!(
        c.deb_dependencies[0].depends,
        [rel("libacl1", "= 2.3.1-3"), rel("libc6", ">= 2.34")]
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn transitional_dummy_with_epoch() {
    let c = status("osv-scalibr-transitional-dummy-status");
    assert_eq!(
        c.deb.iter().map(triple).collect::<Vec<_>>(),
        [("git-core", "1:2.14.2-1", "all")]
    );
    let deps = &c.deb_dependencies[0];
    assert_eq!(deps.version, "2.14.2-1");
    assert_eq!(deps.epoch, Some(Some("1".into())));
    assert_eq!(deps.depends, [rel("git", ">> 1:1.7.0.2")]);
    assert_eq!(c.deb[0].source, "git");
}

#[test]
fn valid_excerpt_with_alternatives() {
    let c = status("osv-scalibr-valid-status");
    assert_eq!(c.deb.len(), 7);
    let (pkg, deps) = find(&c, "attr");
    assert_eq!(triple(pkg), ("attr", "1:2.5.1-4", "amd64"));
    assert_eq!(deps.epoch, Some(Some("1".into())));
    let (_, deps) = find(&c, "accountsservice");
    let group = &deps.depends[0];
    assert_eq!(group.name, "default-dbus-system-bus | dbus-system-bus");
    assert_eq!(group.version, "");
    assert_eq!(group.alternatives.len(), 2);
    assert_eq!(deps.depends[1], rel("libaccountsservice0", "= 22.08.8-6"));
}

#[test]
fn debian12_arm64_coreutils_closure() {
    let c = status("syft-debian12-arm64-coreutils-deps-status");
    assert_eq!(c.deb.len(), 9);
    assert!(c.deb.iter().all(|p| p.arch == "arm64"));
    let (_, deps) = find(&c, "coreutils");
    assert_eq!(deps.epoch, None);
    assert_eq!(deps.pre_depends.len(), 5);
    assert_eq!(deps.pre_depends[1], rel("libattr1", ">= 1:2.4.44"));
    let (pkg, deps) = find(&c, "libgmp10");
    assert_eq!(pkg.version, "2:6.2.1+dfsg1-1.1");
    assert_eq!(deps.version, "6.2.1+dfsg1-1.1");
    assert_eq!(deps.epoch, Some(Some("2".into())));
}

#[test]
fn bad_entries_are_skipped_with_warnings() {
    let c = status("syft-multiple-with-bad-entries-status");
    assert_eq!(
        c.deb.iter().map(triple).collect::<Vec<_>>(),
        [
            ("tzdata", "2020a-0+deb10u1", "all"),
            ("util-linux", "2.33.1-0.1", "amd64"),
        ]
    );
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert!(
        c.warnings[0].contains("no Package name"),
        "{:?}",
        c.warnings
    );
    assert!(c.warnings[1].contains("no-version"), "{:?}", c.warnings);
    let (pkg, deps) = find(&c, "tzdata");
    assert_eq!(pkg.source, "tzdata-dev");
    assert_eq!(deps.depends[0].name, "debconf | debconf-2.0");
    assert_eq!(deps.depends[0].version, ">= 0.5");
    assert_eq!(deps.replaces.len(), 4);
    let (_, deps) = find(&c, "util-linux");
    assert_eq!(deps.pre_depends.len(), 13);
    assert_eq!(
        deps.depends,
        [rel("fdisk", ""), rel("login", ">= 1:4.5-1.1~")]
    );
    assert_eq!(deps.replaces[0], rel("bash-completion", "<< 1:2.8"));
}

#[test]
fn vcpkg_and_opkg_files_are_not_dpkg() {
    for (file, tool) in [
        ("claircore-vcpkg-status", "vcpkg"),
        ("syft-opkg-status", "opkg"),
    ] {
        let c = status(file);
        assert!(c.deb.is_empty(), "{file}");
        assert_eq!(c.warnings.len(), 1, "{file}: {:?}", c.warnings);
        assert!(c.warnings[0].contains(tool), "{:?}", c.warnings);
        assert!(c.warnings[0].starts_with(STATUS), "{:?}", c.warnings);
    }
}

#[test]
fn distroless_status_d_entries() {
    let base = corpus("distroless/static-debian11/base");
    let netbase = corpus("distroless/static-debian11/netbase");
    let tzdata = corpus("distroless/static-debian11/tzdata");
    let sqlite = corpus("distroless/syft-debian11-arm64/libsqlite3-0");
    let md5 = corpus("distroless/syft-debian11-arm64/libsqlite3-0.md5sums");
    let tree = tree_of(&[
        ("/var/lib/dpkg/status.d/base", &base),
        ("/var/lib/dpkg/status.d/netbase", &netbase),
        ("/var/lib/dpkg/status.d/tzdata", &tzdata),
        ("/var/lib/dpkg/status.d/libsqlite3-0", &sqlite),
        ("/var/lib/dpkg/status.d/libsqlite3-0.md5sums", &md5),
    ]);
    let c = catalog(&tree);
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    assert_eq!(
        c.deb.iter().map(triple).collect::<Vec<_>>(),
        [
            ("base-files", "11.1+deb11u1", "amd64"),
            ("libsqlite3-0:arm64", "3.34.1-3", "arm64"),
            ("netbase", "6.3", "all"),
            ("tzdata", "2021a-1+deb11u2", "all"),
        ]
    );
    assert_eq!(c.deb[0].status_file, "/var/lib/dpkg/status.d/base");
    assert_eq!(c.deb[1].source, "sqlite3");
    let (_, deps) = find(&c, "base-files");
    assert_eq!(deps.pre_depends, [rel("awk", "")]);
    assert_eq!(deps.replaces[1], rel("dpkg", "<= 1.15.0"));
    let (_, deps) = find(&c, "libsqlite3-0");
    assert_eq!(deps.depends, [rel("libc6", ">= 2.29")]);
}

#[test]
fn thoth_json_shape() {
    let c = status("osv-scalibr-transitional-dummy-status");
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(
        json["deb-dependencies"][0],
        serde_json::json!({
            "name": "git-core", "version": "2.14.2-1", "arch": "all", "epoch": "1",
            "pre-depends": [], "depends": [{"name": "git", "version": ">> 1:1.7.0.2"}],
            "replaces": []
        })
    );
    assert_eq!(json["deb"][0]["name"], "git-core");
    assert_eq!(json["deb"][0]["version"], "1:2.14.2-1");
    assert!(json.get("warnings").is_none());
    let c = status("osv-scalibr-trailingnewlines-status");
    let json = serde_json::to_value(&c).unwrap();
    assert!(json["deb-dependencies"][0].get("epoch").is_none());
}

#[test]
fn epoch_rules_follow_thoth() {
    assert_eq!(split_epoch("1.0"), (None, "1.0".into()));
    assert_eq!(split_epoch("3:1.0"), (Some(Some("3".into())), "1.0".into()));
    assert_eq!(split_epoch("x:1.0"), (Some(None), "x:1.0".into()));
}

#[test]
fn held_packages_count_as_installed_half_installed_do_not() {
    let db = b"Package: held\nStatus: hold ok installed\nVersion: 1\nArchitecture: all\n\n\
Package: half\nStatus: install ok half-configured\nVersion: 1\n\n\
Package: removed\nStatus: deinstall ok not-installed\nVersion: 1\n";
    let c = catalog(&tree_of(&[(STATUS, db)]));
    assert_eq!(
        c.deb.iter().map(triple).collect::<Vec<_>>(),
        [("held", "1", "all")]
    );
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn layer_is_where_the_package_was_last_introduced() {
    let l0 = b"Package: a\nStatus: install ok installed\nVersion: 1\n\n\
Package: b\nStatus: install ok installed\nVersion: 1\n";
    let l1 = b"Package: a\nStatus: install ok installed\nVersion: 1\n\n\
Package: b\nStatus: install ok installed\nVersion: 2\n\n\
Package: c\nStatus: install ok installed\nVersion: 1\n";
    let l3 = b"Package: a\nStatus: install ok installed\nVersion: 1\n\n\
Package: b\nStatus: install ok installed\nVersion: 2\n\n\
Package: c\nStatus: install ok installed\nVersion: 1\n\n\
Package: d\nStatus: install ok installed\nVersion: 1\n";
    let layers = vec![
        LayerBuilder::new(0).file(STATUS, l0).index,
        LayerBuilder::new(1).file(STATUS, l1).index,
        LayerBuilder::new(2).file("/etc/unrelated", b"x").index,
        LayerBuilder::new(3).file(STATUS, l3).index,
    ];
    let tree = FileTree::overlay(layers, crate::catalog::keeps_history);
    let c = catalog(&tree);
    let got: Vec<_> = c
        .deb
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.layer))
        .collect();
    assert_eq!(
        got,
        [("a", "1", 0), ("b", "2", 1), ("c", "1", 1), ("d", "1", 3)]
    );
}

#[test]
fn removed_then_reinstalled_counts_from_reinstallation_and_no_history_uses_writer() {
    let with = b"Package: a\nStatus: install ok installed\nVersion: 1\n";
    let without = b"Package: a\nStatus: deinstall ok config-files\nVersion: 1\n";
    let layers = vec![
        LayerBuilder::new(0).file(STATUS, with).index,
        LayerBuilder::new(1).file(STATUS, without).index,
        LayerBuilder::new(2).file(STATUS, with).index,
    ];
    let tree = FileTree::overlay(layers.clone(), crate::catalog::keeps_history);
    assert_eq!(catalog(&tree).deb[0].layer, 2);
    let tree = FileTree::overlay(layers, |_| false);
    assert_eq!(catalog(&tree).deb[0].layer, 2);
    let layers = vec![
        LayerBuilder::new(0)
            .file("/var/lib/dpkg/status.d/a", b"Package: a\nVersion: 1\n")
            .index,
        LayerBuilder::new(1).file("/etc/x", b"").index,
    ];
    let tree = FileTree::overlay(layers, crate::catalog::keeps_history);
    assert_eq!(catalog(&tree).deb[0].layer, 0);
}
