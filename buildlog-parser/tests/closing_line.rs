//! The line every run ends with on stderr (issue 17): the verdict, and for a failed build the
//! failure that decided it, its lines and the culprits; `-q` leaves it out.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_buildlog-parser");

fn parse(case: &str, extra: &[&str]) -> Output {
    let log = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/buildlog-parser")
        .join(case)
        .join("input.log");
    let mut cmd = Command::new(BIN);
    cmd.args(extra).arg("parse").arg("-i").arg(&log);
    for (key, _) in std::env::vars() {
        if key.starts_with("THOTH_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd.output().expect("buildlog-parser runs")
}

#[test]
fn a_failed_build_ends_with_its_culprit() {
    let out = parse("pdm-2.29.3-lock-conflict", &[]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().last().expect("a closing line on stderr");
    assert!(
        line.starts_with(
            "buildlog-parser: build failed: resolution-impossible of demo-greeting (lines 3-11): "
        ),
        "{stderr}"
    );
    assert!(
        line.contains("; culprits: demo-left, demo-right, "),
        "{line}"
    );
    assert!(line.ends_with("; document written to stdout"), "{line}");
}

#[test]
fn a_successful_build_says_so_and_quiet_says_nothing() {
    let out = parse("buildah-pip-success", &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("buildlog-parser: build succeeded, 2 packages installed, "),
        "{stderr}"
    );
    let quiet = parse("buildah-pip-success", &["-q"]);
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    let result = |o: &Output| {
        serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("the document")["result"]
            .clone()
    };
    assert_eq!(result(&quiet), result(&out), "-q changes stderr only");
}

/// At a terminal without -o: the verdict and each failure with its lines, culprits and hint,
/// then how to get the document; `--format table` gives the same into a pipe, `--format json`
/// the document at a terminal.
#[test]
fn a_terminal_gets_the_verdict_and_a_pipe_the_document() {
    let log = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/buildlog-parser/pdm-2.29.3-lock-conflict/input.log");
    let log = log.to_str().expect("UTF-8 path");
    let dir = tempfile::tempdir().expect("dir");
    let (code, screen) = common::golden::at_terminal(BIN, &["parse", "-i", log], dir.path());
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.starts_with("build failed: resolution-impossible of demo-greeting (lines 3-11)"),
        "{screen}"
    );
    assert!(
        screen.contains("1. resolution-impossible of demo-greeting (lines 3-11)"),
        "{screen}"
    );
    assert!(
        screen.contains("   culprits: demo-left, demo-right"),
        "{screen}"
    );
    assert!(screen.contains("   hint: "), "{screen}");
    assert!(
        screen.contains("--format json for the JSON document"),
        "{screen}"
    );
    assert!(!screen.contains("\"installation_successful\""), "{screen}");

    let (_, json) =
        common::golden::at_terminal(BIN, &["parse", "-i", log, "--format", "json"], dir.path());
    assert!(json.contains("\"installation_successful\""), "{json}");

    let table = Command::new(BIN)
        .args(["parse", "-i", log, "--format", "table"])
        .env_remove("THOTH_BUILDLOG_PARSER_FORMAT")
        .output()
        .expect("buildlog-parser runs");
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("   culprits: demo-left, demo-right"),
        "{table}"
    );
    assert!(
        !table.contains("--format json for the JSON document"),
        "{table}"
    );

    let piped = parse("pdm-2.29.3-lock-conflict", &[]);
    serde_json::from_slice::<serde_json::Value>(&piped.stdout).expect("a pipe gets the document");
}
