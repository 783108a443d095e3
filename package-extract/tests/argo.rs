//! The Argo Workflows manifests in `deploy/argo/`: every one valid by Argo's JSON Schema, the
//! package-extract template's step run for real on the sample image, and the fan-out workflow
//! consistent with the template it calls and its gathering step run on real documents.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::argo;
use common::golden;
use serde_json::{Value, json};

#[test]
fn every_manifest_is_valid_by_the_argo_schema() {
    let schemas = argo::schemas();
    let manifests = argo::manifests();
    let mut failures = Vec::new();
    for (name, doc) in &manifests {
        for v in argo::violations(&schemas, doc) {
            failures.push(format!("{name}: {v}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let kinds: BTreeSet<&str> = manifests
        .values()
        .filter_map(|d| d["kind"].as_str())
        .collect();
    assert_eq!(kinds, BTreeSet::from(["Workflow", "WorkflowTemplate"]));

    // The check has teeth: a misspelt field and a wrongly typed value are refused.
    let mut doc = argo::manifest("inventory-images.yaml");
    let step = &mut doc["spec"]["templates"][0]["steps"][0][0];
    let items = step["withParam"].take();
    step.as_object_mut().expect("a step").remove("withParam");
    step["withParams"] = items;
    assert!(
        !argo::violations(&schemas, &doc).is_empty(),
        "withParams accepted"
    );
    let mut doc = argo::manifest("package-extract.yaml");
    doc["spec"]["templates"][0]["container"]["env"][0]["value"] = json!(5);
    assert!(
        !argo::violations(&schemas, &doc).is_empty(),
        "a number as env value accepted"
    );
}

#[test]
fn the_template_runs_package_extract_as_a_pod_would() {
    let doc = argo::manifest("package-extract.yaml");
    let image = golden::testdata("package-extract").join("sample-image");
    let reference = format!("oci:{}:latest", image.display());
    let step = argo::container_step(
        &doc,
        "extract-packages",
        &[
            ("THOTH_ANALYZED_IMAGE", &reference),
            ("THOTH_DOCUMENT_ID", "package-extract-231123-0f1e2d"),
            ("THOTH_REGISTRY_CREDENTIALS", "robot:s3cr3t-t0ken"),
            (
                "THOTH_PACKAGE_EXTRACT_METADATA",
                r#"{"environment_type": "runtime", "is_external": false, "origin": null}"#,
            ),
            ("THOTH_DEPLOYMENT_NAME", "ocp4-stage"),
        ],
    );
    assert_eq!(step.argv[0], "package-extract");
    assert_eq!(step.output, "/mnt/workdir/package-extract-231123-0f1e2d");
    assert_eq!(
        step.output_key,
        "data/ocp4-stage/analysis/package-extract-231123-0f1e2d"
    );
    let run = argo::run_step(&step, Path::new(env!("CARGO_BIN_EXE_package-extract")), &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.assert_accepted("package-extract-231123-0f1e2d", "ocp4-stage");
    let meta = &run.document["metadata"];
    assert_eq!(meta["arguments"]["extract-image"]["image"], reference);
    assert_eq!(
        meta["arguments"]["thoth-package-extract"]["metadata"]["environment_type"],
        "runtime"
    );
    assert_eq!(meta["arguments"]["thoth-package-extract"]["verbose"], true);
    assert!(
        run.document["result"]["deb"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
    );
    let text = run.document.to_string();
    assert!(
        !text.contains("s3cr3t-t0ken"),
        "the registry credentials were recorded"
    );
}

/// The steps of the fan-out call templates that exist with parameters they declare, give every
/// parameter that has no default, and file documents where the gathering step reads them.
#[test]
fn the_fan_out_calls_the_template_it_means() {
    let manifests = argo::manifests();
    let fan_out = &manifests["inventory-images.yaml"];
    let steps = argo::template(fan_out, "inventory")["steps"]
        .as_array()
        .expect("steps");
    let extract = &steps[0][0];
    assert_eq!(extract["withParam"], "{{workflow.parameters.images}}");
    let reference = &extract["templateRef"];
    let target = manifests
        .values()
        .find(|d| d["kind"] == "WorkflowTemplate" && d["metadata"]["name"] == reference["name"])
        .expect("the WorkflowTemplate the fan-out refers to");
    let template = argo::template(target, reference["template"].as_str().expect("name"));
    let declared: Vec<&Value> = template["inputs"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .collect();
    let given: Vec<(&str, &str)> = extract["arguments"]["parameters"]
        .as_array()
        .expect("arguments")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().expect("name"),
                p["value"].as_str().expect("value"),
            )
        })
        .collect();
    for (name, _) in &given {
        assert!(
            declared.iter().any(|p| p["name"] == *name),
            "the fan-out passes {name}, which the template does not declare"
        );
    }
    for p in &declared {
        assert!(
            p.get("value").is_some() || given.iter().any(|(n, _)| p["name"] == *n),
            "the fan-out leaves {} unset",
            p["name"]
        );
    }
    // Where each document lands is where the gathering step reads from.
    let step = argo::container_step(target, "extract-packages", &given);
    let gather_key = argo::template(fan_out, "gather")["inputs"]["artifacts"][0]["s3"]["key"]
        .as_str()
        .expect("gather key");
    assert_eq!(step.output_key, format!("{gather_key}/{{{{item.id}}}}"));

    // The default list of images is the shape the steps read ({id, image}).
    let images = fan_out["spec"]["arguments"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "images"))
        .and_then(|p| p["value"].as_str())
        .expect("images parameter");
    let images: Vec<Value> = serde_json::from_str(images).expect("images is a JSON list");
    assert!(
        images
            .iter()
            .all(|i| i["id"].is_string() && i["image"].is_string())
    );
}

#[test]
fn the_gathering_step_joins_the_documents_into_one_json_array() {
    let fan_out = argo::manifest("inventory-images.yaml");
    let gather = argo::template(&fan_out, "gather");
    let command: Vec<&str> = gather["container"]["command"]
        .as_array()
        .expect("command")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(command, ["/bin/sh", "-c"]);
    let script = gather["container"]["args"][0].as_str().expect("script");
    let output = gather["outputs"]["artifacts"][0]["path"]
        .as_str()
        .expect("path");

    for documents in [
        vec![],
        vec![
            ("b", json!({"result": {"n": 2}})),
            ("a", json!({"result": {"n": 1}})),
        ],
    ] {
        let root = tempfile::tempdir().expect("tempdir");
        let relocate = |t: &str| t.replace("/mnt/", &format!("{}/mnt/", root.path().display()));
        std::fs::create_dir_all(root.path().join("mnt/documents")).expect("mkdir");
        std::fs::create_dir_all(root.path().join("mnt/workdir")).expect("mkdir");
        for (id, doc) in &documents {
            std::fs::write(root.path().join("mnt/documents").join(id), doc.to_string())
                .expect("write");
        }
        let out = Command::new("/bin/sh")
            .args(["-c", &relocate(script)])
            .output()
            .expect("sh runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(relocate(output)).expect("the gathered document");
        let gathered: Vec<Value> = serde_json::from_str(&text).expect("one JSON array");
        let mut expected: Vec<Value> = documents.into_iter().map(|(_, d)| d).collect();
        expected.sort_by_key(|d| d["result"]["n"].as_i64());
        assert_eq!(gathered, expected);
    }
}
