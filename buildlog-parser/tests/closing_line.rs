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
