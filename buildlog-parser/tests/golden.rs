//! Golden documents under `testdata/buildlog-parser/`, checked against their schema and against
//! the ground truth the real installer left when the log was made (`truth.json`: its exit code;
//! `freeze.txt`: `pip freeze` afterwards).

use std::collections::BTreeSet;
use std::path::Path;

use common::golden;
use serde_json::Value;

fn schema() -> Value {
    common::document_schema::<buildlog_parser::BuildLogReport>()
}

#[test]
fn golden_cases() {
    golden::run_cases(
        Path::new(env!("CARGO_BIN_EXE_buildlog-parser")),
        "buildlog-parser",
        &schema(),
    );
}

#[test]
fn committed_schema_matches_the_types() {
    golden::assert_schema_current(
        &golden::workspace_root().join("schema/buildlog-parser.schema.json"),
        &schema(),
    );
}

#[test]
fn reports_agree_with_what_the_installers_did() {
    let root = golden::testdata("buildlog-parser");
    let mut checked = 0;
    for case in std::fs::read_dir(&root)
        .expect("testdata")
        .filter_map(Result::ok)
    {
        let dir = case.path();
        let Ok(truth) = std::fs::read_to_string(dir.join("truth.json")) else {
            continue;
        };
        let truth: Value = serde_json::from_str(&truth).expect("truth.json");
        let log = std::fs::File::open(dir.join("input.log")).expect("input.log");
        let report = buildlog_parser::parse_reader(log, None).expect("parses");
        let succeeded = truth["exit_code"] == 0;
        assert_eq!(
            report.installation_successful,
            succeeded,
            "{}: installation_successful",
            dir.display()
        );
        if succeeded {
            assert!(
                report.errors.is_empty(),
                "{}: {:?}",
                dir.display(),
                report.errors
            );
        } else {
            assert!(
                !report.errors.is_empty(),
                "{}: a failed run has an error",
                dir.display()
            );
        }
        // Every package pip freeze lists was installed by this log (the venv started empty).
        let frozen: BTreeSet<(String, String)> = std::fs::read_to_string(dir.join("freeze.txt"))
            .expect("freeze.txt")
            .lines()
            .filter_map(|l| l.split_once("=="))
            .map(|(n, v)| (common::python::normalize_name(n), v.to_owned()))
            .collect();
        let installed: BTreeSet<(String, String)> = report
            .installed
            .iter()
            .map(|p| (common::python::normalize_name(&p.name), p.version.clone()))
            .collect();
        assert_eq!(installed, frozen, "{}: installed set", dir.display());
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} cases with ground truth");
}
