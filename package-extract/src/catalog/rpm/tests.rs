//! Every rpm database of the shared corpus (`/work/shared/corpus/rpmdb`, provenance in its
//! SOURCES.md), the fixtures made by `scripts/rpm-fixtures/make.sh` with rpmbuild, rpm and
//! db5.3_load, and agreement with Debian's `rpm` where it can read the database.

use super::*;
use crate::tree::build::LayerBuilder;

fn corpus(rel: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../shared/corpus/rpmdb/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture(rel: &str) -> Vec<u8> {
    let path = format!(
        "{}/../testdata/package-extract/rpm/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(bytes: &[u8], format: Format) -> Vec<RpmPackage> {
    let (packages, notes) = read_packages(bytes, format).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    packages
}

fn nevras(packages: &[RpmPackage]) -> Vec<&str> {
    packages.iter().map(|p| p.nevra.as_str()).collect()
}

#[test]
fn mariner_sqlite_has_129_packages_and_curl_as_rpm_reports_it() {
    let packages = read(
        &corpus("sqlite/cbl-mariner-2.0-rpmdb.sqlite"),
        Format::Sqlite,
    );
    assert_eq!(packages.len(), 129);
    let curl = packages.iter().find(|p| p.name == "curl").unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&corpus("expected/cbl-mariner-2.0-curl.json")).unwrap();
    assert_eq!(curl.epoch, None);
    assert_eq!(expected["Epoch"], serde_json::Value::Null);
    assert_eq!(curl.name, expected["Name"]);
    assert_eq!(curl.version, expected["Version"]);
    assert_eq!(curl.release, expected["Release"]);
    assert_eq!(curl.arch.as_deref(), expected["Arch"].as_str());
    assert_eq!(curl.source_rpm.as_deref(), expected["SourceRpm"].as_str());
    assert_eq!(curl.size, expected["Size"].as_u64());
    assert_eq!(curl.license.as_deref(), expected["License"].as_str());
    assert_eq!(curl.vendor.as_deref(), expected["Vendor"].as_str());
    // go-rpmdb prints a missing label as "".
    assert_eq!(
        curl.modularity_label.as_deref().unwrap_or(""),
        expected["Modularitylabel"]
    );
    assert_eq!(curl.install_time, expected["InstallTime"].as_u64());
    let pgp = expected["PGP"].as_str().unwrap();
    assert!(pgp.ends_with("Key ID 0cd9fed33135ce90"), "{pgp}");
    assert_eq!(curl.signature_key_id.as_deref(), Some("0cd9fed33135ce90"));
    let names: Vec<String> =
        serde_json::from_slice(&corpus("expected/cbl-mariner-2.0-curl_file_names.json")).unwrap();
    assert_eq!(curl.files, names);
    let files: Vec<serde_json::Value> =
        serde_json::from_slice(&corpus("expected/cbl-mariner-2.0-curl_files.json")).unwrap();
    let paths: Vec<&str> = files.iter().filter_map(|f| f["Path"].as_str()).collect();
    assert_eq!(curl.files, paths);
    // The requires: the names are go-rpmdb's list (duplicates and all); here each once.
    let mut want: Vec<String> = expected["Requires"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    want.dedup();
    let got: Vec<&str> = curl
        .requires
        .iter()
        .map(|r| r.split(' ').next().unwrap())
        .collect();
    assert_eq!(got, want);
    assert!(
        curl.requires
            .contains(&"rpmlib(CompressedFileNames) <= 3.0.4-1".to_owned()),
        "{:?}",
        curl.requires
    );
}

#[test]
fn fedora36_sqlite_has_only_tzdata() {
    let packages = read(
        &corpus("sqlite/preflight-fedora36-tzdata-only-rpmdb.sqlite"),
        Format::Sqlite,
    );
    assert_eq!(nevras(&packages), ["tzdata-2022a-2.fc36.noarch"]);
    assert_eq!(packages[0].arch.as_deref(), Some("noarch"));
}

#[test]
fn sle15_ndb_has_35_packages() {
    let packages = read(&corpus("ndb/sle15-bci-2021-Packages.db"), Format::Ndb);
    assert_eq!(packages.len(), 35);
    let all = nevras(&packages);
    for want in [
        "filesystem-15.0-11.3.2.x86_64",
        "libselinux1-3.0-1.31.x86_64",
        "rpm-ndb-4.14.3-40.1.x86_64",
    ] {
        assert!(all.contains(&want), "{want} not in {all:?}");
    }
    let rpm = packages.iter().find(|p| p.name == "rpm-ndb").unwrap();
    assert!(
        rpm.files.iter().any(|f| f == "/usr/bin/rpm"),
        "{:?}",
        rpm.files
    );
}

#[test]
fn bdb_corpus_databases_have_their_packages() {
    let cases: [(&str, &[&str]); 5] = [
        (
            "rhel8-libuuid-only-Packages",
            &["libuuid-2.32.1-42.el8_8.x86_64"],
        ),
        (
            "preflight-ubi7-tzdata-only-Packages",
            &["tzdata-2022a-1.el8.noarch"],
        ),
        ("syft-dive-only-Packages", &["dive-0.9.2-1.x86_64"]),
        (
            "osv-scalibr-hello-epoch1-Packages",
            &["hello-0.0.1-rls.x86_64"],
        ),
        ("snyk-rpm4-empty-Packages", &[]),
    ];
    for (file, want) in cases {
        let packages = read(&corpus(&format!("bdb/{file}")), Format::Bdb);
        assert_eq!(nevras(&packages), want, "{file}");
    }
    let hello = read(
        &corpus("bdb/osv-scalibr-hello-epoch1-Packages"),
        Format::Bdb,
    );
    let hello = &hello[0];
    assert_eq!(hello.epoch, Some(1));
    assert_eq!(hello.source_rpm.as_deref(), Some("hello-0.0.1-rls.src.rpm"));
    assert_eq!(hello.license.as_deref(), Some("GPL"));
    let deps = dependencies_entry(hello);
    assert_eq!(deps.epoch.as_deref(), Some("1"));
    assert_eq!(deps.package_identifier, "hello-1:0.0.1-rls.x86_64");
    assert!(!deps.src);
}

#[test]
fn broken_databases_fail_cleanly() {
    let cases = [
        ("claircore-no_packages.sqlite", Format::Sqlite),
        ("preflight-bdb-corrupt-Packages", Format::Bdb),
        ("preflight-bdb-fail-list-pkg-Packages", Format::Bdb),
        // A `Packages` table without rpm's columns.
        (
            "preflight-sqlite-fail-list-pkg-rpmdb.sqlite",
            Format::Sqlite,
        ),
    ];
    for (file, format) in cases {
        let err = read_packages(&corpus(&format!("broken/{file}")), format);
        assert!(err.is_err(), "{file}: {err:?}");
    }
    for (file, path) in [
        (
            "preflight-sqlite-fail-list-pkg-rpmdb.sqlite",
            "/var/lib/rpm/rpmdb.sqlite",
        ),
        ("claircore-no_packages.sqlite", "/var/lib/rpm/rpmdb.sqlite"),
        ("preflight-bdb-corrupt-Packages", "/var/lib/rpm/Packages"),
        (
            "preflight-bdb-fail-list-pkg-Packages",
            "/var/lib/rpm/Packages",
        ),
    ] {
        let bytes = corpus(&format!("broken/{file}"));
        let tree = crate::tree::build::tree_of(&[(path, &bytes)]);
        let out = catalog(&tree);
        assert!(out.rpm.is_empty(), "{file}");
        assert_eq!(out.warnings.len(), 1, "{file}: {:?}", out.warnings);
        assert!(out.warnings[0].starts_with(path), "{:?}", out.warnings);
    }
    // Every format's reader on every broken file, and on the wrong format.
    for file in [
        "claircore-no_packages.sqlite",
        "preflight-bdb-corrupt-Packages",
        "preflight-bdb-fail-list-pkg-Packages",
        "preflight-sqlite-fail-list-pkg-rpmdb.sqlite",
    ] {
        let bytes = corpus(&format!("broken/{file}"));
        for format in [Format::Sqlite, Format::Ndb, Format::Bdb] {
            let _ = read_packages(&bytes, format);
        }
    }
}

#[test]
fn finds_the_database_through_the_sysimage_symlink_and_dates_packages_by_layer() {
    let db = corpus("sqlite/preflight-fedora36-tzdata-only-rpmdb.sqlite");
    let mariner = corpus("sqlite/cbl-mariner-2.0-rpmdb.sqlite");
    let base = LayerBuilder::new(0)
        .symlink("/var/lib/rpm", "../../usr/lib/sysimage/rpm")
        .file("/usr/lib/sysimage/rpm/rpmdb.sqlite", &db);
    let upper = LayerBuilder::new(1).file("/usr/lib/sysimage/rpm/rpmdb.sqlite", &mariner);
    let tree = FileTree::overlay(vec![base.index, upper.index], |p| {
        crate::catalog::keeps_history(p)
    });
    let out = catalog(&tree);
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert_eq!(out.rpm.len(), 129);
    assert!(out.rpm_packages.iter().all(|p| p.layer == 1));
    assert_eq!(
        out.rpm_packages[0].database,
        "/usr/lib/sysimage/rpm/rpmdb.sqlite"
    );

    // Same database in both layers: every package dates from the base.
    let base = LayerBuilder::new(0)
        .dir("/var/lib/rpm")
        .file("/var/lib/rpm/rpmdb.sqlite", &db);
    let upper = LayerBuilder::new(1).file("/var/lib/rpm/rpmdb.sqlite", &db);
    let tree = FileTree::overlay(vec![base.index, upper.index], |p| {
        crate::catalog::keeps_history(p)
    });
    let out = catalog(&tree);
    assert_eq!(out.rpm, ["tzdata-2022a-2.fc36.noarch"]);
    assert_eq!(out.rpm_packages[0].layer, 0);
    let deps = &out.rpm_dependencies[0];
    assert_eq!(deps.package_identifier, "tzdata-2022a-2.fc36.noarch");
    assert_eq!(deps.epoch, None);
    assert!(!deps.src);

    // No database at all: nothing, no warning.
    let out = catalog(&crate::tree::build::tree_of(&[("/etc/hostname", b"x")]));
    assert_eq!(out, RpmCatalog::default());
}

#[test]
fn report_keys_and_shapes() {
    let db = corpus("bdb/osv-scalibr-hello-epoch1-Packages");
    let tree = crate::tree::build::tree_of(&[("/var/lib/rpm/Packages", &db)]);
    let out = catalog(&tree);
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(json["rpm"], serde_json::json!(["hello-0.0.1-rls.x86_64"]));
    let deps = &json["rpm-dependencies"][0];
    for key in [
        "name",
        "version",
        "release",
        "epoch",
        "arch",
        "src",
        "package_identifier",
        "dependencies",
    ] {
        assert!(deps.get(key).is_some(), "{key} in {deps}");
    }
    assert_eq!(deps["epoch"], "1");
    let p = &json["rpm-packages"][0];
    assert_eq!(p["layer"], 0);
    assert_eq!(p["database"], "/var/lib/rpm/Packages");
    assert!(json.get("warnings").is_none());
}

/// The fixtures of `scripts/rpm-fixtures/make.sh`: one database, four encodings.
fn fixture_databases() -> Vec<(&'static str, Format, Vec<u8>)> {
    vec![
        ("sqlite", Format::Sqlite, fixture("sqlite/rpmdb.sqlite")),
        ("bdb-le-4096", Format::Bdb, fixture("bdb-le-4096/Packages")),
        ("bdb-be-4096", Format::Bdb, fixture("bdb-be-4096/Packages")),
        ("bdb-le-512", Format::Bdb, fixture("bdb-le-512/Packages")),
    ]
}

#[test]
fn fixtures_read_the_same_in_every_format() {
    let dbs = fixture_databases();
    let sqlite = read(&dbs[0].2, Format::Sqlite);
    // Database order: the key imported first, then the packages as installed.
    let all = nevras(&sqlite);
    assert_eq!(all.len(), 4);
    assert!(all[0].starts_with("gpg-pubkey-"), "{all:?}");
    let mut rest = all[1..].to_vec();
    rest.sort();
    assert_eq!(
        rest,
        [
            "fixture-big-4.2-1.fx.x86_64",
            "fixture-signed-0.1-1.x86_64",
            "fixture-small-1.0-3.fx.noarch",
        ]
    );
    assert_eq!(sqlite[0].arch, None);
    for (name, format, bytes) in &dbs[1..] {
        assert_eq!(&read(bytes, *format), &sqlite, "{name}");
    }
    // Byte order and page size really differ.
    assert_ne!(dbs[1].2, dbs[2].2);
    assert_ne!(dbs[1].2.len(), dbs[3].2.len());

    let by_name = |n: &str| sqlite.iter().find(|p| p.name == n).unwrap();
    let big = by_name("fixture-big");
    assert_eq!(big.files.len(), 402, "two directories and 400 files");
    assert!(
        big.files.contains(
            &"/usr/share/fixture-big/a-directory-with-a-rather-long-name/file-number-400-with-a-long-name.txt"
                .to_owned()
        )
    );
    let small = by_name("fixture-small");
    assert_eq!(small.epoch, Some(2));
    assert_eq!(small.vendor.as_deref(), Some("Thoth fixtures"));
    assert_eq!(small.license.as_deref(), Some("MIT"));
    assert_eq!(
        small.modularity_label.as_deref(),
        Some("fixture:1:20231114:abcdef01")
    );
    assert_eq!(
        small.files,
        [
            "/usr/share/fixture-small",
            "/usr/share/fixture-small/hello.txt"
        ]
    );
    for dep in [
        "/bin/sh",
        "/sbin/ldconfig",
        "bash >= 4.0",
        "coreutils < 99",
        "glibc = 2.36",
    ] {
        assert!(
            small.requires.contains(&dep.to_owned()),
            "{dep}: {:?}",
            small.requires
        );
    }
    assert!(small.requires.iter().any(|r| r.starts_with("rpmlib(")));
    let signed = by_name("fixture-signed");
    let key = sqlite[0].version.clone();
    let id = signed.signature_key_id.as_deref().unwrap();
    assert!(id.ends_with(&key), "{id} is the imported key {key}");
    assert_eq!(small.signature_key_id, None);

    let deps = dependencies_entry(small);
    assert_eq!(deps.package_identifier, "fixture-small-2:1.0-3.fx.noarch");
    assert_eq!(deps.epoch.as_deref(), Some("2"));
}

#[test]
fn the_big_header_lives_on_overflow_pages() {
    let sqlite = sqlite::read(&fixture("sqlite/rpmdb.sqlite")).unwrap();
    let big = sqlite.iter().map(|(_, b)| b.len()).max().unwrap();
    assert!(big > 4096 * 4, "{big}");
    for (_, _, bytes) in &fixture_databases()[1..] {
        let (pairs, notes) = bdb::read(bytes).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert!(pairs.iter().any(|(_, v)| v.len() == big));
    }
}

/// A field-by-field comparison with Debian's rpm (4.18), which reads SQLite and, with
/// `_db_backend bdb_ro`, Berkeley DB databases (not NDB). Fails when rpm is missing.
mod agreement_with_rpm {
    use super::*;
    use std::process::Command;

    const QF: &str = "%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\t%{VENDOR}\t%{LONGSIZE}\t%{INSTALLTIME}\t%{MODULARITYLABEL}\t%{RSAHEADER:pgpsig}|%{DSAHEADER:pgpsig}|%{SIGPGP:pgpsig}|%{SIGGPG:pgpsig}\t[%{FILENAMES}|]\t[%{REQUIRENEVRS}|]\n";

    fn rpm_rows(file_name: &str, bytes: &[u8], format: Format) -> Vec<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file_name), bytes).unwrap();
        let mut cmd = Command::new("rpm");
        cmd.arg("--dbpath").arg(dir.path());
        if format == Format::Bdb {
            cmd.args(["--define", "_db_backend bdb_ro"]);
        }
        let out = cmd
            .args(["-qa", "--qf", QF])
            .output()
            .expect("Debian's rpm must be installed (.ci/apt-packages)");
        assert!(out.status.success(), "{out:?}");
        let mut rows: Vec<Vec<String>> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect();
        rows.sort();
        rows
    }

    fn none(x: Option<String>) -> String {
        x.unwrap_or_else(|| "(none)".to_owned())
    }

    fn our_rows(bytes: &[u8], format: Format) -> Vec<Vec<String>> {
        let mut rows: Vec<Vec<String>> = read(bytes, format)
            .into_iter()
            .map(|p| {
                let files: String = p.files.iter().map(|f| format!("{f}|")).collect();
                vec![
                    p.name,
                    none(p.epoch.map(|e| e.to_string())),
                    p.version,
                    p.release,
                    none(p.arch),
                    none(p.source_rpm),
                    none(p.license),
                    none(p.vendor),
                    none(p.size.map(|s| s.to_string())),
                    none(p.install_time.map(|s| s.to_string())),
                    none(p.modularity_label),
                    none(p.signature_key_id),
                    files,
                    p.requires.iter().map(|r| format!("{r}|")).collect(),
                ]
            })
            .collect();
        rows.sort();
        rows
    }

    /// rpm's columns made comparable: the key id out of the `pgpsig` text, the requires
    /// each once and sorted.
    fn normalise(mut row: Vec<String>) -> Vec<String> {
        if let Some(sig) = row.get_mut(11) {
            *sig = sig
                .split('|')
                .find_map(|s| s.rsplit_once("Key ID ").map(|(_, id)| id.to_owned()))
                .unwrap_or_else(|| "(none)".to_owned());
        }
        if let Some(req) = row.get_mut(13) {
            let set: BTreeSet<&str> = req.split('|').filter(|r| !r.is_empty()).collect();
            *req = set.iter().map(|r| format!("{r}|")).collect();
        }
        row
    }

    fn compare(file_name: &str, bytes: &[u8], format: Format) {
        let theirs: Vec<Vec<String>> = rpm_rows(file_name, bytes, format)
            .into_iter()
            .map(normalise)
            .collect();
        let ours = our_rows(bytes, format);
        assert_eq!(ours.len(), theirs.len(), "{file_name}");
        for (o, t) in ours.iter().zip(&theirs) {
            assert_eq!(o.len(), t.len(), "{t:?}");
            let fields = [
                "name",
                "epoch",
                "version",
                "release",
                "arch",
                "sourcerpm",
                "license",
                "vendor",
                "size",
                "installtime",
                "modularitylabel",
                "key id",
                "files",
                "requires",
            ];
            for (i, field) in fields.iter().enumerate() {
                assert_eq!(o[i], t[i], "{file_name}: {field} of {}", t[0]);
            }
        }
    }

    #[test]
    fn corpus_sqlite_databases() {
        for f in [
            "sqlite/cbl-mariner-2.0-rpmdb.sqlite",
            "sqlite/preflight-fedora36-tzdata-only-rpmdb.sqlite",
        ] {
            compare("rpmdb.sqlite", &corpus(f), Format::Sqlite);
        }
    }

    #[test]
    fn corpus_bdb_databases() {
        for f in [
            "bdb/osv-scalibr-hello-epoch1-Packages",
            "bdb/preflight-ubi7-tzdata-only-Packages",
            "bdb/rhel8-libuuid-only-Packages",
            "bdb/syft-dive-only-Packages",
            "bdb/snyk-rpm4-empty-Packages",
        ] {
            compare("Packages", &corpus(f), Format::Bdb);
        }
    }

    #[test]
    fn fixture_databases() {
        for (_, format, bytes) in super::fixture_databases() {
            let file = if format == Format::Sqlite {
                "rpmdb.sqlite"
            } else {
                "Packages"
            };
            compare(file, &bytes, format);
        }
    }
}
