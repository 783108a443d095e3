//! People first (issue 17): at a terminal without -o the package table instead of the document,
//! `--format table` / `--format json` anywhere, the closing line on stderr (not with -q), errors
//! and hints in plain words, and `--log-format json` turning every runner line into an object
//! that carries no secret. Terminal runs use script(1), which gives the command a pseudo-terminal.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_package-extract");

fn sample() -> String {
    let layout = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/package-extract/sample-image")
        .canonicalize()
        .expect("the sample image layout is in testdata");
    format!("oci:{}:latest", layout.display())
}

/// The binary with none of the workflow variables that would change its output.
fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).stdin(Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("THOTH_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn run(args: &[&str]) -> Output {
    command(args).output().expect("package-extract runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn at_terminal(args: &[&str], dir: &Path) -> (Option<i32>, String) {
    common::golden::at_terminal(BIN, args, dir)
}

/// The document of the sample image, as a pipe gets it.
fn document() -> Value {
    let out = run(&["extract-image", "-i", &sample()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("piped stdout is the JSON document")
}

/// (name, version, type, layer) of every deb and Python package the document lists.
fn expected_rows(doc: &Value) -> Vec<(String, String, &'static str, u64)> {
    let mut rows = Vec::new();
    let field = |p: &Value, k: &str| p[k].as_str().expect(k).to_owned();
    for p in doc["result"]["deb"].as_array().expect("deb") {
        rows.push((
            field(p, "name"),
            field(p, "version"),
            "deb",
            p["layer"].as_u64().expect("layer"),
        ));
    }
    for p in doc["result"]["python-packages"]
        .as_array()
        .expect("python-packages")
    {
        rows.push((
            field(p, "package_name"),
            field(p, "package_version"),
            "python",
            p["layer"].as_u64().expect("layer"),
        ));
    }
    rows
}

#[test]
fn format_table_lists_what_the_document_lists() {
    let doc = document();
    let rows = expected_rows(&doc);
    assert!(rows.len() > 10, "the sample has debs and Python packages");
    let out = run(&["extract-image", "-i", &sample(), "--format", "table"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("Image     oci:"), "{table}");
    assert!(
        table.contains("OS        Debian GNU/Linux 12 (bookworm), linux/amd64"),
        "{table}"
    );
    assert!(table.contains("Layers    3 ("), "{table}");
    let debs = rows.iter().filter(|r| r.2 == "deb").count();
    let pythons = rows.len() - debs;
    assert!(
        table.contains(&format!(
            "Packages  {} ({debs} deb, {pythons} python)",
            rows.len()
        )),
        "{table}"
    );
    let header = lines
        .iter()
        .position(|l| l.starts_with("NAME "))
        .expect("a header row");
    let body: Vec<Vec<&str>> = lines[header + 1..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(body.len(), rows.len(), "one row per package:\n{table}");
    for (name, version, kind, layer) in &rows {
        let layer = layer.to_string();
        assert!(
            body.iter().any(|cells| cells.len() >= 4
                && cells[..4] == [name.as_str(), version.as_str(), *kind, layer.as_str()]),
            "no row for {name} {version} {kind} {layer}:\n{table}"
        );
    }
    // System packages first.
    let first_python = body.iter().position(|c| c[2] == "python").expect("python");
    assert!(
        body[..first_python].iter().all(|c| c[2] == "deb"),
        "{table}"
    );
    assert!(
        !table.contains("pipe the output"),
        "asked for: no note\n{table}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "package-extract: {} packages (deb {debs}, python {pythons}) in 3 layers, ",
            rows.len()
        )) && stderr.contains("; summary written to stdout, no JSON document"),
        "{stderr}"
    );
}

#[test]
fn a_terminal_gets_the_table_and_a_pipe_or_file_the_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, shown) = at_terminal(&["extract-image", "-i", &sample()], dir.path());
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("NAME "), "{shown}");
    assert!(shown.contains("python3-certifi"), "{shown}");
    assert!(shown.contains("pipe the output, give -o FILE"), "{shown}");
    assert!(
        !shown.contains("\"metadata\""),
        "no JSON at a terminal:\n{shown}"
    );
    assert!(shown.contains("package-extract: "), "{shown}");

    // -o FILE at a terminal: the document in the file, the closing line says where.
    let (code, shown) = at_terminal(
        &["extract-image", "-i", &sample(), "-o", "out.json"],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{shown}");
    assert!(!shown.contains("NAME "), "{shown}");
    assert!(shown.contains("document written to out.json"), "{shown}");
    let file: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out.json")).expect("the document was written"),
    )
    .expect("JSON");
    assert_eq!(file["metadata"]["analyzer"], "package-extract");

    // --format json at a terminal: the document on the terminal.
    let (code, shown) = at_terminal(
        &["extract-image", "-i", &sample(), "--format", "json"],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("\"metadata\""), "{shown}");
    assert!(shown.contains("document written to stdout"), "{shown}");
}

#[test]
fn quiet_runs_end_without_the_closing_line() {
    let out = run(&["-q", "extract-image", "-i", &sample()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !text(&out.stderr).contains("package-extract:"),
        "{}",
        text(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout).expect("the document all the same");
}

#[test]
fn failures_say_what_and_what_to_do_on_stderr() {
    let missing = PathBuf::from("/nonexistent/layout");
    let image = format!("oci:{}:latest", missing.display());
    let out = run(&["extract-image", "-i", &image]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("a failure document on a pipe");
    let message = doc["result"]["error_msg"].as_str().expect("error_msg");
    assert!(
        stderr.lines().any(|l| l == format!("error: {message}")),
        "{stderr}"
    );
    if let Some(hint) = doc["result"]["hint"].as_str() {
        assert!(
            stderr.lines().any(|l| l == format!("hint: {hint}")),
            "{stderr}"
        );
    }
    assert!(!stderr.contains("kind=\"input\""), "{stderr}");
    assert!(
        stderr.contains("package-extract: failed (input error), "),
        "{stderr}"
    );

    // At a terminal the error is the answer: no JSON after it.
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, shown) = at_terminal(&["extract-image", "-i", &image], dir.path());
    assert_eq!(code, Some(3), "{shown}");
    assert!(shown.contains(&format!("error: {message}")), "{shown}");
    assert!(!shown.contains("\"metadata\""), "{shown}");
    assert!(shown.contains("no document written"), "{shown}");
}

#[test]
fn json_logs_cover_the_runner_lines_and_keep_secrets_out() {
    let canary = common::canary::canary();
    // Credentials in the reference of a registry that is not there (the discard port).
    let image = format!("docker://canary-user:{canary}@127.0.0.1:9/app:1.0");
    let out = run(&[
        "--log-format",
        "json",
        "extract-image",
        "-i",
        &image,
        "--no-tls-verify",
        "-t",
        "20",
    ]);
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(&canary), "{stderr}");
    assert!(!text(&out.stdout).contains(&canary));
    let objects: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: not JSON: {l}")))
        .collect();
    for o in &objects {
        for key in ["timestamp", "level", "message"] {
            assert!(o.get(key).is_some(), "{key} missing: {o}");
        }
    }
    let error = objects
        .iter()
        .find(|o| o["level"] == "ERROR" && o["target"] == "common::runner")
        .unwrap_or_else(|| panic!("the runner's error line: {stderr}"));
    assert!(error["kind"].is_string(), "{error}");
    let last = objects.last().expect("a closing line");
    assert_eq!(last["level"], "INFO", "{last}");
    assert!(
        last["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("package-extract: failed")),
        "{last}"
    );

    // A command line clap rejects is one object too.
    let out = run(&["--log-format", "json", "extract-image"]);
    assert_eq!(out.status.code(), Some(2));
    let usage: Value = serde_json::from_str(text(&out.stderr).trim()).expect("one object");
    assert_eq!(usage["kind"], "usage", "{usage}");
    assert!(usage["hint"].as_str().is_some_and(|h| h.contains("--help")));
}
