//! The provenance-checker template of `deploy/argo/` runs the binary as a pod would: the
//! Pipfile and its lock as input artifacts, the command line and environment accepted (no
//! usage error), the document at the output artifact's path.

use std::path::Path;

use common::argo;

#[test]
fn the_template_runs_provenance_checker_as_a_pod_would() {
    let doc = argo::manifest("provenance-checker.yaml");
    let step = argo::container_step(
        &doc,
        "provenance-check",
        &[
            ("THOTH_DOCUMENT_ID", "provenance-checker-231123-cc33"),
            ("THOTH_WHITELISTED_SOURCES", "http://127.0.0.1:9/simple"),
            ("THOTH_ADVISER_METADATA", r#"{"origin": "kebechet"}"#),
            ("THOTH_DEPLOYMENT_NAME", "ocp4-stage"),
        ],
    );
    assert_eq!(step.argv[0], "provenance-checker");
    assert_eq!(
        step.output_key,
        "data/ocp4-stage/provenance-checker/provenance-checker-231123-cc33"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let pipfile = dir.path().join("Pipfile");
    let lock = dir.path().join("Pipfile.lock");
    std::fs::write(
        &pipfile,
        "[[source]]\nurl = \"http://127.0.0.1:9/simple\"\nverify_ssl = false\nname = \"local\"\n\n[packages]\nsix = \"*\"\n",
    )
    .expect("write");
    std::fs::write(
        &lock,
        r#"{"_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "requires": {}, "sources": [{"name": "local", "url": "http://127.0.0.1:9/simple", "verify_ssl": false}]}, "default": {"six": {"hashes": ["sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"], "index": "local", "version": "==1.16.0"}}, "develop": {}}"#,
    )
    .expect("write");

    let run = argo::run_step(
        &step,
        Path::new(env!("CARGO_BIN_EXE_provenance-checker")),
        &[("requirements", &pipfile), ("requirements-locked", &lock)],
    );
    run.assert_accepted("provenance-checker-231123-cc33", "ocp4-stage");
    let meta = &run.document["metadata"];
    assert_eq!(
        meta["arguments"]["thoth-adviser"]["metadata"]["origin"],
        "kebechet"
    );
}
