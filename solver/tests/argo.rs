//! The solver template of `deploy/argo/` runs the binary as a pod would, with Thoth's literal
//! `\n`-joined requirements: the command line and environment are accepted (no usage error)
//! and the document lands at the output artifact's path.

use std::path::Path;

use common::argo;

#[test]
fn the_template_runs_solver_as_a_pod_would() {
    let doc = argo::manifest("solver.yaml");
    let step = argo::container_step(
        &doc,
        "solve",
        &[
            ("THOTH_SOLVER_PACKAGES", r"flask===2.0.1\nclick===8.0.1"),
            ("THOTH_DOCUMENT_ID", "solver-rhel-9-py311-231123-bb22"),
            // Nothing listens on the discard port: the solver fails fast if it gets that far.
            ("THOTH_SOLVER_INDEXES", "http://127.0.0.1:9/simple"),
            ("THOTH_DEPLOYMENT_NAME", "ocp4-stage"),
            // The target, as Thoth's solver-rhel-9-py39 image would have been.
            ("THOTH_SOLVER_PYTHON_VERSION", "3.9"),
            ("THOTH_SOLVER_PLATFORM", "linux-aarch64"),
        ],
    );
    assert_eq!(step.argv[0], "solver");
    assert_eq!(
        step.output_key,
        "data/ocp4-stage/solver/solver-rhel-9-py311-231123-bb22"
    );
    let run = argo::run_step(&step, Path::new(env!("CARGO_BIN_EXE_solver")), &[]);
    run.assert_accepted("solver-rhel-9-py311-231123-bb22", "ocp4-stage");
    let meta = &run.document["metadata"];
    assert_eq!(
        meta["arguments"]["python"]["index"],
        "http://127.0.0.1:9/simple"
    );
    // The target came from the parameters, not from the binary's defaults.
    assert_eq!(meta["arguments"]["python"]["python_version"], "3.9");
    assert_eq!(meta["arguments"]["python"]["platform"], "linux-aarch64");
    assert_eq!(meta["arguments"]["python"]["timeout"], 840);
    assert_eq!(run.document["result"]["platform"], "linux-aarch64");
    assert_eq!(
        run.document["result"]["environment"]["python_version"],
        "3.9"
    );
    // Thoth's literal \n split the requirements; the unreachable index is recorded per package.
    let unresolved = run.document["result"]["unresolved"]
        .as_array()
        .expect("unresolved");
    let names: Vec<&str> = unresolved
        .iter()
        .filter_map(|u| u["package_name"].as_str())
        .collect();
    assert_eq!(names, ["flask", "click"], "{unresolved:#?}");
    assert!(
        unresolved[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("cannot reach"))
    );
}
