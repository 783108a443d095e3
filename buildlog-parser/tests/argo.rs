//! The buildlog-parser template of `deploy/argo/` runs the binary as a pod would: Thoth's
//! BuildLog JSON as the input artifact, the log taken from `$.log`, the parsed document at the
//! output artifact's path.

use std::path::Path;

use common::argo;
use common::golden;
use serde_json::json;

#[test]
fn the_template_runs_buildlog_parser_as_a_pod_would() {
    let doc = argo::manifest("buildlog-parser.yaml");
    let step = argo::container_step(
        &doc,
        "parse-buildlog",
        &[
            ("THOTH_DOCUMENT_ID", "buildlog-9f86d081884c7d65"),
            ("THOTH_OUTPUT_DOCUMENT_ID", "buildlog-parser-231123-aa11"),
            ("THOTH_DEPLOYMENT_NAME", "ocp4-stage"),
            (
                "THOTH_BUILDLOG_PARSER_METADATA",
                r#"{"origin": "build-watcher"}"#,
            ),
        ],
    );
    assert_eq!(step.argv[0], "buildlog-parser");
    assert_eq!(
        step.output_key,
        "data/ocp4-stage/buildlogs-parsed/buildlog-parser-231123-aa11"
    );
    let log = std::fs::read_to_string(
        golden::testdata("buildlog-parser").join("buildah-pip-success/input.log"),
    )
    .expect("log");
    let dir = tempfile::tempdir().expect("tempdir");
    let stored = dir.path().join("buildlog.json");
    let body = json!({"apiversion": "build.openshift.io/v1", "kind": "BuildLog", "log": log});
    std::fs::write(&stored, body.to_string()).expect("write");

    let run = argo::run_step(
        &step,
        Path::new(env!("CARGO_BIN_EXE_buildlog-parser")),
        &[("buildlog", &stored)],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.assert_accepted("buildlog-parser-231123-aa11", "ocp4-stage");
    let meta = &run.document["metadata"];
    assert_eq!(
        meta["arguments"]["thoth-buildlog-parser"]["metadata"]["origin"],
        "build-watcher"
    );
    assert!(
        run.document["result"]["installed"]
            .as_array()
            .is_some_and(|i| !i.is_empty()),
        "{}",
        run.document["result"]
    );
}
