//! SBOM output, validated by the formats' own tools: `cyclonedx-python-lib`'s JSON schema
//! validator (CycloneDX 1.6) and `pyspdxtools` from spdx-tools (SPDX 2.3).

mod support;

use std::process::Command;

use serde_json::Value;
use support::{extract, require, sample_layout};

fn write(doc: &Value) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new()
        .suffix(".json")
        .tempfile()
        .expect("tempfile");
    std::fs::write(f.path(), serde_json::to_vec_pretty(doc).expect("json")).expect("write");
    f
}

fn cyclonedx_errors(doc: &Value) -> Option<String> {
    require("python3");
    let f = write(doc);
    let script = "import sys\nfrom cyclonedx.validation.json import JsonStrictValidator\nfrom cyclonedx.schema import SchemaVersion\n\
        e = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\nprint('VALID' if e is None else e)";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(f.path())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "cyclonedx-python-lib is missing (.ci/pip-requirements): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (text != "VALID").then_some(text)
}

fn spdx_errors(doc: &Value) -> Option<String> {
    require("pyspdxtools");
    let f = write(doc);
    let out = Command::new("pyspdxtools")
        .arg("-i")
        .arg(f.path())
        .output()
        .expect("pyspdxtools runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (!out.status.success() || text.to_lowercase().contains("error")).then_some(text)
}

fn sbom(image: &str, format: &str) -> Value {
    let (out, doc) = extract(
        &["-i", image, "--format", format],
        &[("SOURCE_DATE_EPOCH", "1700000000")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    doc.expect("document")
}

#[test]
fn the_sample_image_as_valid_cyclonedx_and_spdx() {
    let image = format!("oci:{}:latest", sample_layout().display());
    let cdx = sbom(&image, "cyclonedx-json");
    assert_eq!(cyclonedx_errors(&cdx), None);
    assert_eq!(cdx["specVersion"], "1.6");
    assert_eq!(cdx["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let purls: Vec<&str> = cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .collect();
    for want in [
        "pkg:pypi/attrs@23.2.0",
        "pkg:pypi/pyyaml@6.0",
        "pkg:deb/debian/python3-six@1.16.0-4?arch=all&distro=debian-12",
        "pkg:deb/debian/netbase@6.4?arch=all&distro=debian-12",
    ] {
        assert!(purls.contains(&want), "{want} not in {purls:?}");
    }
    // Reproducible: the same image gives the same bytes.
    assert_eq!(cdx, sbom(&image, "cyclonedx-json"));

    let spdx = sbom(&image, "spdx-json");
    assert_eq!(spdx_errors(&spdx), None);
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    assert_eq!(spdx["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    let locators: Vec<&str> = spdx["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
        .filter_map(|r| r["referenceLocator"].as_str())
        .collect();
    assert!(locators.contains(&"pkg:pypi/attrs@23.2.0"));
    assert_eq!(locators.len(), purls.len());
}

#[test]
fn the_validators_reject_broken_documents() {
    let image = format!("oci:{}:latest", sample_layout().display());
    let mut cdx = sbom(&image, "cyclonedx-json");
    cdx["components"][0]["type"] = Value::from("not-a-type");
    assert!(cyclonedx_errors(&cdx).is_some());
    let mut spdx = sbom(&image, "spdx-json");
    spdx.as_object_mut().expect("object").remove("dataLicense");
    assert!(spdx_errors(&spdx).is_some());
}

#[test]
fn dependency_relations_come_from_the_package_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).expect("mkdir");
    std::fs::create_dir_all(root.join("etc")).expect("mkdir");
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .expect("write");
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: app\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:2.0-1\nDepends: libfoo (>= 1.0) | libbar, absent-lib\n\n\
         Package: libfoo\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.2-3\n\n",
    )
    .expect("write");
    let image = format!("dir:{}", root.display());
    let app = "pkg:deb/debian/app@1%3A2.0-1?arch=amd64&distro=debian-12";
    let libfoo = "pkg:deb/debian/libfoo@1.2-3?arch=amd64&distro=debian-12";
    let cdx = sbom(&image, "cyclonedx-json");
    assert_eq!(cyclonedx_errors(&cdx), None);
    let deps = cdx["dependencies"].as_array().expect("dependencies");
    let of_app = deps.iter().find(|d| d["ref"] == app).expect("app's entry");
    assert_eq!(of_app["dependsOn"], serde_json::json!([libfoo]));
    let spdx = sbom(&image, "spdx-json");
    assert_eq!(spdx_errors(&spdx), None);
    let depends = spdx["relationships"]
        .as_array()
        .expect("relationships")
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .count();
    assert_eq!(depends, 1);
}
