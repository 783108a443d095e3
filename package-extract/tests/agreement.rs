//! Agreement with the distributions' own tools: on the squashed root filesystem of a test image
//! (`umoci unpack`), `dpkg-query --admindir` lists the same deb set as package-extract, and
//! Python's `importlib.metadata` finds the same distributions in each site directory.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use support::{extract, require, sample_layout};

/// The sample image squashed by umoci, and package-extract's document for it.
fn unpacked_and_extracted() -> (tempfile::TempDir, Value) {
    require("umoci");
    let tmp = tempfile::tempdir().expect("tempdir");
    let layout = tmp.path().join("layout");
    support::copy_dir(&sample_layout(), &layout);
    let out = Command::new("umoci")
        .args(["unpack", "--image"])
        .arg(format!("{}:latest", layout.display()))
        .arg(tmp.path().join("bundle"))
        .output()
        .expect("umoci runs");
    assert!(
        out.status.success(),
        "umoci unpack: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, doc) = extract(&["-i", &format!("oci:{}:latest", layout.display())], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (tmp, doc.expect("document"))
}

#[test]
fn deb_set_matches_dpkg_query() {
    require("dpkg-query");
    let (tmp, doc) = unpacked_and_extracted();
    let admindir = tmp.path().join("bundle/rootfs/var/lib/dpkg");
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .args([
            "-W",
            "-f",
            "${db:Status-Abbrev}|${Package}|${Version}|${Architecture}\n",
        ])
        .output()
        .expect("dpkg-query runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dpkg: BTreeSet<(String, String, String)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("ii"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            (f.len() == 4).then(|| (f[1].to_owned(), f[2].to_owned(), f[3].to_owned()))
        })
        .collect();
    assert!(dpkg.len() >= 5, "dpkg-query found {dpkg:?}");
    // dpkg-query reads the status file only; distroless status.d entries are ours alone.
    let ours: BTreeSet<(String, String, String)> = doc["result"]["deb"]
        .as_array()
        .expect("deb")
        .iter()
        .filter(|p| p["status_file"] == "/var/lib/dpkg/status")
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
            (s("name"), s("version"), s("arch"))
        })
        .collect();
    assert_eq!(ours, dpkg);
    assert!(
        doc["result"]["deb"].as_array().expect("deb").iter().any(|p| p["name"] == "netbase"
            && p["status_file"] == "/var/lib/dpkg/status.d/netbase"),
        "the distroless entry is reported"
    );
}

#[test]
fn python_sets_match_importlib_metadata() {
    require("python3");
    let (tmp, doc) = unpacked_and_extracted();
    let rootfs = tmp.path().join("bundle/rootfs");
    let packages = doc["result"]["python-packages"]
        .as_array()
        .expect("python-packages");
    let locations: BTreeSet<&str> = packages
        .iter()
        .filter_map(|p| p["location"].as_str())
        .collect();
    assert!(locations.len() >= 4, "{locations:?}");
    const SCRIPT: &str = "import importlib.metadata as m, json, sys\n\
        print(json.dumps(sorted([d.metadata['Name'], d.version] for d in m.distributions(path=[sys.argv[1]]))))";
    for location in &locations {
        let dir = rootfs.join(location.trim_start_matches('/'));
        let out = Command::new("python3")
            .args(["-c", SCRIPT])
            .arg(&dir)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: BTreeSet<(String, String)> =
            serde_json::from_slice::<Vec<(String, String)>>(&out.stdout)
                .expect("json")
                .into_iter()
                .map(|(n, v)| (common::python::normalize_name(&n), v))
                .collect();
        let ours: BTreeSet<(String, String)> = packages
            .iter()
            .filter(|p| p["location"] == *location)
            .map(|p| {
                (
                    common::python::normalize_name(p["package_name"].as_str().unwrap_or_default()),
                    p["package_version"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        assert_eq!(ours, theirs, "at {location}");
    }
    // Distributions a deb installed are marked with it (from dpkg's info/*.list); pip's are not.
    let owner = |name: &str, location: &str| {
        packages
            .iter()
            .find(|p| p["package_name"] == name && p["location"] == location)
            .map(|p| p["system_package"].clone())
    };
    assert_eq!(
        owner("six", "/usr/lib/python3/dist-packages"),
        Some(Value::from("deb:python3-six"))
    );
    assert_eq!(
        owner("PyYAML", "/usr/lib/python3/dist-packages"),
        Some(Value::from("deb:python3-yaml"))
    );
    assert_eq!(
        owner("attrs", "/usr/local/lib/python3.11/site-packages"),
        Some(Value::Null)
    );
    // idna was deleted by the top layer: neither tool may see it under /usr/local.
    assert!(!packages.iter().any(|p| {
        p["package_name"] == "idna"
            && p["location"]
                .as_str()
                .is_some_and(|l| l.starts_with("/usr/local"))
    }));
}
