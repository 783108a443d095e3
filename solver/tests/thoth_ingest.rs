//! Thoth's own ingestion reads the solver's documents: `solver python` on a loopback index;
//! thoth-storages (the cached Python 3.8 venv of `scripts/thoth-ingest/`) checks the document
//! with its result-store schema and syncs it with `sync_solver_documents`.

mod support;

use std::path::Path;
use std::process::Command;

use common::testindex::PageFormat;
use common::thoth_ingest::{self as thoth, Kind, RowDifference};
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

/// Where the rows of the two documents of the same resolution differ, and why; every other
/// table has the same rows in both databases (surrogate keys aside).
const EXPECTED_DIFFERENCES: &[RowDifference] = &[
    RowDifference::Column(
        "ecosystem_solver",
        "solver_version",
        "each document names its own tool's version",
    ),
    RowDifference::Column("solved", "datetime", "the time of each run"),
    RowDifference::Column("solved", "duration", "the length of each run"),
    RowDifference::Count(
        "import_package",
        0,
        4,
        "the index serves PEP 658 metadata, so our solver reads that alone and never downloads \
         the wheel, whose RECORD names the import packages (tinypkg, tinypkg.sub, helper, \
         helper.sub); thoth-solver installs every wheel",
    ),
    RowDifference::Count(
        "found_import_package",
        0,
        4,
        "the same import packages, linked to their package versions",
    ),
];

#[test]
fn thoth_storages_syncs_the_solvers_document_with_the_rows_of_thoth_solvers() {
    let index = start(PageFormat::Html);
    index.add_project(
        "tinypkg",
        vec![pure("tinypkg", "1.0", &["helper>=1"], true)],
    );
    index.add_project("helper", vec![pure("helper", "1.0", &[], true)]);
    let url = index.url();
    // Thoth's solver pods are named for their interpreter, and the sync parses the name; the
    // target is the interpreter thoth-solver installs into (the venv's Python 3.8).
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
    let theirs = thoth::thoth_solver("tinypkg===1.0", &url, "solver-rhel-9-py38-231123-thoth");
    let names = |doc: &Value| -> Vec<String> {
        let mut names: Vec<String> = doc["result"]["tree"]
            .as_array()
            .map(|tree| {
                tree.iter()
                    .map(|e| format!("{} {}", e["package_name"], e["package_version"]))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    };
    assert_eq!(
        names(&theirs),
        ["\"helper\" \"1.0\"", "\"tinypkg\" \"1.0\""],
        "thoth-solver's tree: {:#}",
        theirs["result"]
    );
    assert_eq!(names(&ours), names(&theirs));

    let outcomes = thoth::ingest_with_values(&[
        ("solver", Kind::Solver, &ours),
        ("thoth-solver", Kind::SolverWithLicenseAdded, &theirs),
    ]);
    for o in &outcomes {
        eprintln!("{}", o.summary());
    }
    eprintln!("{}", thoth::row_table(&outcomes.iter().collect::<Vec<_>>()));
    let (ours, theirs) = (&outcomes[0], &outcomes[1]);
    assert!(ours.schema_ok(), "{}", ours.summary());
    assert!(ours.synced(), "{}", ours.summary());
    assert!(theirs.synced(), "{}", theirs.summary());
    thoth::assert_thoth_documents_schema_verdict(theirs);
    for table in [
        "python_package_version",
        "python_artifact",
        "solved",
        "python_package_license",
    ] {
        assert!(ours.rows(table) > 0, "{table}: {:?}", ours.rows);
    }
    thoth::assert_same_rows(ours, theirs, EXPECTED_DIFFERENCES);
}

#[test]
fn every_golden_document_passes_thoths_result_store_schema() {
    thoth::assert_golden_documents_pass_schema(
        Path::new(env!("CARGO_BIN_EXE_solver")),
        "solver",
        Kind::Solver,
    );
}
