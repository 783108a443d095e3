//! A Python distribution that an rpm installed is reported once in `python-packages` and marked
//! with the rpm that owns it, as `rpm -qf` answers for the same file. The packages are built with
//! `rpmbuild` and installed for real (files and SQLite database) with `rpm --root`; one more
//! distribution is written beside them as pip would, and nothing owns it.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{extract, require, succeeded};

const SITE: &str = "/usr/lib/python3.9/site-packages";

/// A noarch spec installing one distribution's files; `%install` writes them, `%files` claims
/// the top-level paths (so rpm lists every file below them).
fn spec(name: &str, install: &str, files: &[&str]) -> String {
    let files: String = files.iter().map(|f| format!("{SITE}/{f}\n")).collect();
    format!(
        "Name: {name}\nVersion: 1.0\nRelease: 1.fx\nSummary: fixture\nLicense: MIT\n\
         BuildArch: noarch\nAutoReqProv: no\n\n%description\nFixture.\n\n\
         %install\nsp=%{{buildroot}}{SITE}\nmkdir -p $sp\n{install}\n\n%files\n{files}"
    )
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn rpm(root: &Path) -> Command {
    let mut cmd = Command::new("rpm");
    cmd.arg("--root").arg(root).args([
        "--dbpath",
        "/var/lib/rpm",
        "--define",
        "_db_backend sqlite",
    ]);
    cmd
}

/// What `rpm -qf` says owns `path`, or None when it says nothing does.
fn rpm_owner(root: &Path, path: &str) -> Option<String> {
    let out = rpm(root)
        .args(["-qf", "--qf", "%{NAME}", path])
        .output()
        .expect("rpm runs");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn rpm_installed_distributions_are_marked_with_their_rpm() {
    require("rpmbuild");
    require("rpm");
    let tmp = tempfile::tempdir().expect("tempdir");
    let top = tmp.path().join("rpmbuild");
    std::fs::create_dir_all(top.join("SPECS")).expect("mkdir");
    let specs = [
        (
            "python3-fixture-dist",
            spec(
                "python3-fixture-dist",
                "mkdir -p $sp/fixture_dist $sp/fixture_dist-1.0.dist-info\n\
                 echo 'X = 1' > $sp/fixture_dist/__init__.py\n\
                 printf 'Metadata-Version: 2.1\\nName: fixture-dist\\nVersion: 1.0\\n' > $sp/fixture_dist-1.0.dist-info/METADATA\n\
                 echo rpm > $sp/fixture_dist-1.0.dist-info/INSTALLER",
                &["fixture_dist", "fixture_dist-1.0.dist-info"],
            ),
        ),
        // The egg-info directory Fedora's and RHEL's python3-* packages carry.
        (
            "python3-fixture-egg",
            spec(
                "python3-fixture-egg",
                "mkdir -p $sp/fixture_egg-2.5-py3.9.egg-info\n\
                 printf 'Metadata-Version: 1.1\\nName: fixture-egg\\nVersion: 2.5\\n' > $sp/fixture_egg-2.5-py3.9.egg-info/PKG-INFO",
                &["fixture_egg-2.5-py3.9.egg-info"],
            ),
        ),
    ];
    for (name, text) in &specs {
        let path = top.join("SPECS").join(format!("{name}.spec"));
        std::fs::write(&path, text).expect("write spec");
        run(Command::new("rpmbuild")
            .arg("--quiet")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .args(["--define", "_build_id_links none", "-bb"])
            .arg(&path));
    }
    let root = tmp.path().join("root");
    std::fs::create_dir_all(&root).expect("mkdir");
    run(rpm(&root).arg("--initdb"));
    let mut install = rpm(&root);
    install.args(["-i", "--nodeps"]);
    for e in std::fs::read_dir(top.join("RPMS/noarch")).expect("RPMS") {
        install.arg(e.expect("entry").path());
    }
    run(&mut install);
    // A distribution pip installed: no rpm lists it.
    let pip_dist = root.join(&SITE[1..]).join("loose-3.0.dist-info");
    std::fs::create_dir_all(&pip_dist).expect("mkdir");
    std::fs::write(
        pip_dist.join("METADATA"),
        "Metadata-Version: 2.1\nName: loose\nVersion: 3.0\n",
    )
    .expect("write");
    std::fs::write(pip_dist.join("INSTALLER"), "pip\n").expect("write");

    let (out, doc) = extract(&["-i", &format!("dir:{}", root.display())], &[]);
    let doc = succeeded(&out, doc);
    let mut rpms: Vec<&str> = doc["result"]["rpm"]
        .as_array()
        .expect("rpm")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    rpms.sort_unstable();
    assert_eq!(
        rpms,
        [
            "python3-fixture-dist-1.0-1.fx.noarch",
            "python3-fixture-egg-1.0-1.fx.noarch"
        ]
    );
    let packages = doc["result"]["python-packages"]
        .as_array()
        .expect("python-packages");
    for (name, version) in [
        ("fixture-dist", "1.0"),
        ("fixture-egg", "2.5"),
        ("loose", "3.0"),
    ] {
        let found: Vec<&Value> = packages
            .iter()
            .filter(|p| p["package_name"] == name)
            .collect();
        assert_eq!(found.len(), 1, "{name} reported once: {found:?}");
        let p = found[0];
        assert_eq!(p["package_version"], version);
        let metadata = p["metadata_path"].as_str().expect("metadata_path");
        let expected = rpm_owner(&root, metadata).map(|n| format!("rpm:{n}"));
        assert_eq!(
            p["system_package"].as_str(),
            expected.as_deref(),
            "{name}: package-extract and rpm -qf {metadata} disagree"
        );
    }
    // The agreement above must not be that of two empty answers.
    let owned = packages
        .iter()
        .filter(|p| p["system_package"].is_string())
        .count();
    assert_eq!(owned, 2, "{packages:?}");
}
