//! Golden documents under `testdata/buildlog-parser/`, checked against their schema and against
//! the ground truth the real installer left when the log was made (`truth.json`: its exit code;
//! `freeze.txt`: `pip freeze` afterwards; `expect-errors`: the failure the case was built to
//! produce). `scripts/buildlogs/generate.sh` makes these cases.

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
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("testdata")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|d| d.join("truth.json").is_file())
        .collect();
    cases.sort();
    // Every case is checked; the failures are reported together.
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|dir| {
            std::panic::catch_unwind(|| check_against_truth(dir))
                .err()
                .map(|p| {
                    p.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default()
                })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree with their ground truth:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(
        cases.len() >= 2,
        "only {} cases with ground truth",
        cases.len()
    );
}

fn check_against_truth(dir: &Path) {
    let truth = std::fs::read_to_string(dir.join("truth.json")).expect("truth.json");
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
        // An installer that exits 0 may still have complained (pip's legacy resolver installs
        // a conflicting set and says so); such an error is one it went on from.
        assert!(
            report.errors.iter().all(|e| e.recovered),
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
    if dir.join("installed-not-in-log").exists() {
        // The installer did not print what it installed (the file says why): what the log
        // does name must still be true.
        assert!(
            installed.is_subset(&frozen),
            "{}: installed {installed:?} not all in {frozen:?}",
            dir.display()
        );
    } else {
        assert_eq!(installed, frozen, "{}: installed set", dir.display());
    }
    if let Ok(expect) = std::fs::read_to_string(dir.join("expect-errors")) {
        assert_expected_errors(dir, &expect, &report.errors);
    }
}

/// `expect-errors` has one line per error the log must yield, in order: its kind, then
/// `key=value` facts (`package`, `missing`, `culprits` as a comma-separated set) the error must
/// state. An empty file: no error.
fn assert_expected_errors(dir: &Path, expect: &str, errors: &[buildlog_parser::BuildError]) {
    let wanted: Vec<&str> = expect.lines().filter(|l| !l.trim().is_empty()).collect();
    let found: Vec<String> = errors
        .iter()
        .map(|e| {
            format!(
                "{} package={:?} missing={:?} culprits={:?}",
                kind_name(e),
                e.package,
                e.missing,
                e.culprits
            )
        })
        .collect();
    assert_eq!(
        wanted.len(),
        errors.len(),
        "{}: want errors {wanted:?}, found {found:?}",
        dir.display()
    );
    for (line, error) in wanted.iter().zip(errors) {
        let mut words = line.split_whitespace();
        let kind = words.next().unwrap_or_default();
        assert_eq!(
            kind,
            kind_name(error),
            "{}: {line}: {found:?}",
            dir.display()
        );
        for fact in words {
            let (key, value) = fact.split_once('=').unwrap_or((fact, ""));
            let actual = match key {
                "package" => error.package.as_deref().map(common::python::normalize_name),
                "missing" => error.missing.clone(),
                "culprits" => {
                    let mut names: Vec<String> = error
                        .culprits
                        .iter()
                        .map(|c| common::python::normalize_name(c))
                        .collect();
                    names.sort();
                    let mut wanted: Vec<&str> = value.split(',').collect();
                    wanted.sort();
                    assert_eq!(names, wanted, "{}: {line}: {found:?}", dir.display());
                    continue;
                }
                other => panic!("{}: unknown fact {other} in expect-errors", dir.display()),
            };
            assert_eq!(
                actual.as_deref(),
                Some(value),
                "{}: {line}: {found:?}",
                dir.display()
            );
        }
    }
}

fn kind_name(error: &buildlog_parser::BuildError) -> String {
    serde_json::to_value(error.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
