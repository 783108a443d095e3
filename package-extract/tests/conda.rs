//! conda environments: an image built from real conda tooling (`scripts/conda-fixtures/make.py`:
//! packages bundled by conda-package-handling, a channel indexed by rattler, two prefixes
//! installed by py-rattler), whose `conda-meta` records are the ground truth.

mod support;

use serde_json::{Value, json};
use support::{extract, succeeded};

/// What `conda-packages` must say of a record rattler wrote, in the image at `prefix`.
fn expected(record: &Value, prefix: &str, layer: u64, file: &str) -> Value {
    json!({
        "name": record["name"],
        "version": record["version"],
        "build": record["build"],
        "build_number": record["build_number"],
        "channel": record["channel"],
        "subdir": record["subdir"],
        "noarch": record.get("noarch").cloned().unwrap_or(Value::Null),
        "prefix": prefix,
        "license": record["license"],
        "depends": record["depends"],
        "sha256": record["sha256"],
        "record": format!("{prefix}/conda-meta/{file}"),
        "layer": layer,
    })
}

#[test]
fn two_environments_from_real_conda_tooling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = support::conda_fixtures(&dir.path().join("fx"));
    let mut want = Vec::new();
    for (prefix, layer) in [("/opt/conda", 0), ("/opt/conda/envs/ml", 1)] {
        let meta = fx.join("rootfs").join(&prefix[1..]).join("conda-meta");
        let mut files: Vec<_> = std::fs::read_dir(&meta)
            .expect("conda-meta")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        files.sort();
        for file in files {
            let record: Value =
                serde_json::from_slice(&std::fs::read(meta.join(&file)).expect("record"))
                    .expect("rattler writes JSON");
            want.push(expected(&record, prefix, layer, &file));
        }
    }
    assert_eq!(want.len(), 5, "the script installs 3 + 2 packages");
    let image = format!("oci:{}:latest", fx.join("layout").display());
    let (out, doc) = extract(&["-i", &image], &[]);
    let doc = succeeded(&out, doc);
    let result = &doc["result"];
    let mut got = result["conda-packages"]
        .as_array()
        .expect("conda-packages")
        .clone();
    let key = |v: &Value| (v["prefix"].to_string(), v["name"].to_string());
    got.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(Value::from(got), Value::from(want));

    // The Python distributions conda installed are reported once each, owned by their package;
    // the noarch one was linked into the environment's lib/python3.12/site-packages.
    let python: Vec<(&str, &str, &str)> = result["python-packages"]
        .as_array()
        .expect("python-packages")
        .iter()
        .map(|p| {
            (
                p["location"].as_str().unwrap_or_default(),
                p["package_name"].as_str().unwrap_or_default(),
                p["system_package"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        python,
        [
            (
                "/opt/conda/envs/ml/lib/python3.12/site-packages",
                "demo-py",
                "conda:demo-py"
            ),
            (
                "/opt/conda/lib/python3.12/site-packages",
                "demo-tool",
                "conda:demo-tool"
            ),
        ]
    );

    // The SBOM: purls with build, channel and subdir; depends linked inside each environment.
    let (out, cdx) = extract(&["-i", &image, "--format", "cyclonedx-json"], &[]);
    let cdx = succeeded(&out, cdx);
    let purls: Vec<&str> = cdx["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["purl"].as_str())
        .filter(|p| p.starts_with("pkg:conda/"))
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:conda/demo-py@2.0?build=pyhd8ed1ab_0&channel=demo-channel&subdir=noarch",
            "pkg:conda/demo-tool@0.4?build=py312_0&channel=demo-channel&subdir=linux-64",
            "pkg:conda/libdemo@1.2.3?build=h0_1&channel=demo-channel&subdir=linux-64",
            "pkg:conda/python@3.12.0?build=h0_0&channel=demo-channel&subdir=linux-64",
            "pkg:conda/python@3.12.0?build=h0_0&channel=demo-channel&subdir=linux-64",
        ]
    );
    let tool = "pkg:conda/demo-tool@0.4?build=py312_0&channel=demo-channel&subdir=linux-64";
    let deps = cdx["dependencies"].as_array().expect("dependencies");
    let of_tool = deps
        .iter()
        .find(|d| d["ref"].as_str().is_some_and(|r| r.starts_with(tool)))
        .expect("demo-tool's entry");
    let on: Vec<&str> = of_tool["dependsOn"]
        .as_array()
        .expect("dependsOn")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        on,
        [
            "pkg:conda/libdemo@1.2.3?build=h0_1&channel=demo-channel&subdir=linux-64#/opt/conda",
            "pkg:conda/python@3.12.0?build=h0_0&channel=demo-channel&subdir=linux-64#/opt/conda",
        ]
    );
}
