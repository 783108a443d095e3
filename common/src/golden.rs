//! Golden-file testing for documents: `testdata/<binary>/<case>/` holds the input and
//! `expected.json`. Volatile metadata is dropped before comparing, a mismatch prints a readable
//! diff, and expectations are rewritten only when `UPDATE_GOLDEN=1` is set, so updating them is
//! an explicit act reviewed in the diff.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::json::to_sorted_string;

/// The metadata keys that differ from run to run or machine to machine.
pub const VOLATILE_METADATA: &[&str] = &[
    "datetime",
    "timestamp",
    "duration",
    "hostname",
    "os_release",
    "distribution",
];

/// The workspace root (the parent of `common/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `testdata/<binary>` under the workspace root.
pub fn testdata(binary: &str) -> PathBuf {
    workspace_root().join("testdata").join(binary)
}

/// `../shared/corpus/<rel>` beside the workspace; panics (fails the test) when it is missing,
/// because a test that silently skips proves nothing.
pub fn corpus(rel: &str) -> PathBuf {
    let path = workspace_root().join("../shared/corpus").join(rel);
    assert!(
        path.exists(),
        "corpus file {} is missing: the shared corpus must sit beside the repository",
        path.display()
    );
    path
}

/// Whether expectations should be rewritten.
pub fn updating() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

/// Removes the volatile metadata keys from a document.
pub fn strip_volatile(doc: &mut Value) {
    if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in VOLATILE_METADATA {
            meta.remove(*key);
        }
    }
}

/// Compares `actual` (volatile metadata removed) with the JSON file at `expected`, or rewrites
/// that file when `UPDATE_GOLDEN=1`. Panics with a unified diff on a mismatch.
pub fn assert_golden(expected: &Path, actual: &Value) {
    let mut actual = actual.clone();
    strip_volatile(&mut actual);
    assert_text_golden(expected, &to_sorted_string(&actual, true));
}

/// Compares `actual` text with the file at `expected`, or rewrites it when `UPDATE_GOLDEN=1`.
pub fn assert_text_golden(expected: &Path, actual: &str) {
    if updating() {
        if let Some(dir) = expected.parent() {
            std::fs::create_dir_all(dir).expect("create the golden file's directory");
        }
        std::fs::write(expected, actual).expect("write the golden file");
        return;
    }
    let want = std::fs::read_to_string(expected).unwrap_or_else(|e| {
        panic!(
            "cannot read golden file {}: {e}\nrun the test with UPDATE_GOLDEN=1 to create it",
            expected.display()
        )
    });
    if want != actual {
        let diff = similar::TextDiff::from_lines(want.as_str(), actual)
            .unified_diff()
            .context_radius(3)
            .header("expected", "actual")
            .to_string();
        panic!(
            "{} differs from the actual output:\n{diff}\nIf the change is intended, rerun with UPDATE_GOLDEN=1 and review the diff.",
            expected.display()
        );
    }
}

/// Validates `doc` against a JSON Schema; panics listing every violation.
pub fn assert_valid(schema: &Value, doc: &Value) {
    let validator = jsonschema::validator_for(schema).expect("the schema itself is valid");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "document does not match its schema:\n{}",
        errors.join("\n")
    );
}

/// Checks that the committed schema at `path` equals the one generated from the types (or
/// rewrites it when `UPDATE_GOLDEN=1`).
pub fn assert_schema_current(path: &Path, generated: &Value) {
    assert_text_golden(path, &to_sorted_string(generated, true));
}

/// Runs every case under `testdata/<binary>/` through the built binary and checks its document.
///
/// A case is a directory holding:
/// - `cmd`: the arguments, one per line (no shell involved);
/// - `env` (optional): `KEY=VALUE` lines; the binary otherwise runs with an empty environment
///   (but `PATH`), so the host cannot change the result;
/// - `exit-code` (optional, default 0);
/// - `expected.json`: the document with volatile metadata removed.
///
/// The binary runs with the case directory as its working directory, so inputs are named
/// relative to it and the recorded arguments are the same on every machine. Every document is
/// also validated against `schema`. All cases run; the failures are reported together.
pub fn run_cases(binary_path: &Path, binary: &str, schema: &Value) {
    let cases = cases(binary);
    assert!(
        !cases.is_empty(),
        "no golden cases under {}",
        testdata(binary).display()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let outcome = std::panic::catch_unwind(|| run_case(binary_path, case, schema));
        if let Err(panic) = outcome {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failures.push(format!("case {}:\n{text}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The golden case directories under `testdata/<binary>/`, in name order.
pub fn cases(binary: &str) -> Vec<PathBuf> {
    let root = testdata(binary);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("cmd").is_file())
        .collect();
    cases.sort();
    cases
}

/// The command a golden case runs: its arguments, in its directory, with an empty environment
/// (but `PATH`) plus the case's `env` lines.
pub fn case_command(binary_path: &Path, case: &Path) -> std::process::Command {
    let read = |name: &str| std::fs::read_to_string(case.join(name)).ok();
    let args: Vec<String> = read("cmd")
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let mut cmd = std::process::Command::new(binary_path);
    cmd.args(&args).current_dir(case).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    for line in read("env").unwrap_or_default().lines() {
        if let Some((k, v)) = line.split_once('=') {
            cmd.env(k, v);
        }
    }
    cmd
}

fn run_case(binary_path: &Path, case: &Path, schema: &Value) {
    let read = |name: &str| std::fs::read_to_string(case.join(name)).ok();
    let mut cmd = case_command(binary_path, case);
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let expected_code: i32 = read("exit-code")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary_path.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(expected_code),
        "exit code of {args:?}; stderr:\n{stderr}"
    );
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr:\n{stderr}"));
    assert_valid(schema, &doc);
    assert_golden(&case.join("expected.json"), &doc);
}

/// Runs `bin args` on a pseudo-terminal (stdout and stderr both, through script(1)) in `dir`,
/// without the workflow variables that change output; returns the exit code and what the
/// terminal showed.
pub fn at_terminal(bin: &str, args: &[&str], dir: &Path) -> (Option<i32>, String) {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("script(1) from util-linux is installed (bsdutils)");
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut line = quote(bin);
    for a in args {
        line.push(' ');
        line.push_str(&quote(a));
    }
    let mut cmd = std::process::Command::new(script);
    // script's own typescript goes nowhere: the terminal's text is its stdout.
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(dir)
        .stdin(std::process::Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("THOTH_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().expect("script runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_keys_are_dropped() {
        let mut doc = serde_json::json!({"metadata": {"datetime": "x", "hostname": "h", "analyzer": "a"}, "result": {}});
        strip_volatile(&mut doc);
        assert_eq!(doc["metadata"], serde_json::json!({"analyzer": "a"}));
    }

    #[test]
    fn mismatch_panics_with_a_diff() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("expected.json");
        std::fs::write(&path, "{\n  \"a\": 1\n}\n").expect("write");
        let outcome = std::panic::catch_unwind(|| {
            assert_text_golden(&path, "{\n  \"a\": 2\n}\n");
        });
        let message = outcome.expect_err("mismatch must fail");
        let text = message
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(
            text.contains("-  \"a\": 1") && text.contains("+  \"a\": 2"),
            "{text}"
        );
    }
}
