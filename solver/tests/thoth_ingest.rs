//! Thoth's own ingestion reads the solver's documents: `solver python` on a loopback index;
//! thoth-storages (the cached Python 3.8 venv of `scripts/thoth-ingest/`) checks the document
//! with its result-store schema and syncs it with `sync_solver_documents`.

mod support;

use std::path::Path;
use std::process::Command;

use common::testindex::PageFormat;
use common::thoth_ingest::{self as thoth, Kind};
use serde_json::Value;
use support::{pure, start};

fn solver(args: &[&str], document_id: &str) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_solver"));
    cmd.args(args).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    cmd.envs(thoth::workflow_env(document_id));
    let out = cmd.output().expect("solver runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON document")
}

#[test]
fn thoth_storages_syncs_the_solvers_document() {
    let index = start(PageFormat::Html);
    index.add_project(
        "tinypkg",
        vec![pure("tinypkg", "1.0", &["helper>=1"], true)],
    );
    index.add_project("helper", vec![pure("helper", "1.0", &[], true)]);
    let url = index.url();
    // Thoth's solver pods are named for their interpreter, and the sync parses the name.
    let ours = solver(
        &[
            "python",
            "-r",
            "tinypkg===1.0",
            "-i",
            &url,
            "--python-version",
            "3.8",
        ],
        "solver-rhel-9-py38-231123-ours",
    );
    let outcomes = thoth::ingest(&[("solver", Kind::Solver, &ours)]);
    eprintln!("{}", outcomes[0].summary());
    eprintln!("{}", thoth::row_table(&outcomes.iter().collect::<Vec<_>>()));
    let ours = &outcomes[0];
    assert!(ours.schema_ok(), "{}", ours.summary());
    assert!(ours.synced(), "{}", ours.summary());
    for table in [
        "python_package_version",
        "python_artifact",
        "solved",
        "python_package_license",
    ] {
        assert!(ours.rows(table) > 0, "{table}: {:?}", ours.rows);
    }
}

#[test]
fn every_golden_document_passes_thoths_result_store_schema() {
    thoth::assert_golden_documents_pass_schema(
        Path::new(env!("CARGO_BIN_EXE_solver")),
        "solver",
        Kind::Solver,
    );
}
