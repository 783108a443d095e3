//! Hostile inputs and command lines, run through the built binary as a workflow step would: each
//! ends with the documented exit code and, on failure, a failure document that says why, in
//! bounded memory. `bench/buildlog/hostile.sh` measures the same inputs with GNU time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_buildlog-parser");
/// Peak memory allowed to any run here (issue 13: every build-log attack under 256 MiB).
const MAX_PEAK_KIB: u64 = 256 * 1024;

fn testdata(case: &str) -> PathBuf {
    common::golden::testdata("buildlog-parser")
        .join(case)
        .join("input.log")
}

/// A run of the binary: its output, the document it wrote to `-o`, and its peak resident memory
/// (the kernel's high-water mark, read until the process exits).
struct Run {
    out: Output,
    doc: Option<Value>,
    peak_kib: u64,
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc_path = dir.path().join("doc.json");
    let mut cmd = Command::new(BIN);
    cmd.arg("parse")
        .args(args)
        .arg("-o")
        .arg(&doc_path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "THOTH_BUILDLOG_PARSER_FAIL_ON",
        "THOTH_BUILDLOG_PARSER_TIMEOUT",
        "THOTH_BUILDLOG_PARSER_MAX_DECOMPRESSED_SIZE",
        "THOTH_BUILDLOG_PARSER_MAX_COMPRESSION_RATIO",
        "THOTH_BUILDLOG_PARSER_JSONPATH",
        "THOTH_BUILDLOG_PARSER_OUTPUT",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    let child = cmd.spawn().expect("buildlog-parser starts");
    let (out, peak_kib) = wait_measuring(child);
    let doc = std::fs::read_to_string(&doc_path)
        .ok()
        .map(|s| serde_json::from_str(&s).expect("the document is JSON"));
    Run { out, doc, peak_kib }
}

fn wait_measuring(mut child: std::process::Child) -> (Output, u64) {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let stderr = child.stderr.take().expect("stderr");
    let stderr = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    loop {
        if let Some(hwm) = std::fs::read_to_string(&status).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        }) {
            peak = peak.max(hwm);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut out = child.wait_with_output().expect("output");
    out.stderr = stderr.join().expect("stderr thread").into_bytes();
    (out, peak)
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.out.status.code()
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }

    /// The failure document's message, after checking its kind and the exit code.
    fn failure(&self, code: i32, kind: &str) -> String {
        assert_eq!(self.code(), Some(code), "stderr: {}", self.stderr());
        let doc = self.doc.as_ref().expect("a failure document is written");
        let result = &doc["result"];
        assert_eq!(result["error"], true, "{result}");
        assert_eq!(result["error_kind"], kind, "{result}");
        result["error_msg"].as_str().expect("error_msg").to_owned()
    }

    fn report(&self) -> &Value {
        assert!(
            matches!(self.code(), Some(0 | 1)),
            "exit {:?}, stderr: {}",
            self.code(),
            self.stderr()
        );
        &self.doc.as_ref().expect("a document is written")["result"]
    }

    fn bounded(&self) {
        assert!(
            self.peak_kib > 0 && self.peak_kib < MAX_PEAK_KIB,
            "peak RSS {} KiB",
            self.peak_kib
        );
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip")
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path.display().to_string()
}

#[test]
fn a_gzip_bomb_is_refused_early() {
    let dir = tempfile::tempdir().expect("tempdir");
    // One member of 1 MiB of a repeated line compresses about 1000:1; 2,000 members are a
    // 2 GiB log in about 2 MB of gzip.
    let member = gzip(&"Collecting a\n".repeat(80_000).into_bytes());
    let bomb = member.repeat(2_000);
    let path = write(dir.path(), "bomb.log.gz", &bomb);
    let run = run(&["-i", &path], &[]);
    let msg = run.failure(3, "input");
    assert!(msg.contains("decompression bomb"), "{msg}");
    assert!(
        run.stderr().contains("decompression bomb"),
        "{}",
        run.stderr()
    );
    run.bounded();
    // The user can raise the ratio cap; the size cap still holds.
    let run = run_with_caps(&path, "100000", "4000000");
    let msg = run.failure(3, "input");
    assert!(msg.contains("more than 4000000 bytes"), "{msg}");
}

fn run_with_caps(path: &str, ratio: &str, size: &str) -> Run {
    run(
        &["-i", path, "--max-compression-ratio", ratio],
        &[("THOTH_BUILDLOG_PARSER_MAX_DECOMPRESSED_SIZE", size)],
    )
}

#[test]
fn the_size_cap_holds_and_is_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = std::fs::read(testdata("pip-22.3.1-no-matching-distribution")).expect("log");
    let path = write(dir.path(), "build.log.gz", &gzip(&log));
    let exact = log.len().to_string();
    let fits = run_with_caps(&path, "100", &exact);
    assert_eq!(fits.report()["installation_successful"], false);
    let below = (log.len() - 1).to_string();
    let over = run_with_caps(&path, "100", &below);
    let msg = over.failure(3, "input");
    assert!(msg.contains("decompressed-size cap"), "{msg}");
    assert!(
        over.doc.as_ref().expect("doc")["result"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("--max-decompressed-size")),
        "{:?}",
        over.doc
    );
}

/// Thoth's BuildLog JSON on one line, its log far above the old 1 MiB line limit.
#[test]
fn a_one_line_buildlog_json_streams_in_bounded_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let failing = std::fs::read_to_string(testdata("pip-22.3.1-missing-header")).expect("log");
    let filler = std::fs::read_to_string(testdata("pip-22.3.1-success")).expect("log");
    // About 3 MB of log ending in a real failure; its longest line alone is 2 MiB.
    let mut log = filler.repeat(3_000_000 / filler.len());
    log.push_str(&"=".repeat(2 << 20));
    log.push('\n');
    log.push_str(&failing);
    let doc = json!({
        "apiversion": "build.openshift.io/v1",
        "kind": "BuildLog",
        "metadata": {"log": "not this one", "labels": {"log": [1, 2]}},
        "log": log,
    });
    let text = doc.to_string();
    assert!(!text.contains('\n') && text.len() > 3_000_000);
    let path = write(dir.path(), "buildlog.json", text.as_bytes());
    let run = run(&["-i", &path, "-j", "$.log"], &[]);
    let report = run.report();
    assert_eq!(report["installation_successful"], false);
    assert_eq!(report["failed"], json!(["demo-cext"]));
    assert_eq!(report["errors"][0]["missing"], "nonexistent_header.h");
    run.bounded();
    // The same document gzip-compressed, and the path written with brackets.
    let gz = write(dir.path(), "buildlog.json.gz", &gzip(text.as_bytes()));
    let run = self::run(&["-i", &gz, "-j", "$['log']"], &[]);
    assert_eq!(run.report()["failed"], json!(["demo-cext"]));
    run.bounded();
}

#[test]
fn a_general_query_on_a_huge_document_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = json!({"items": [{"log": "x".repeat(40 << 20)}]}).to_string();
    let path = write(dir.path(), "buildlog.json", doc.as_bytes());
    let run = run(&["-i", &path, "-j", "$.items[0].log"], &[]);
    let msg = run.failure(3, "input");
    assert!(msg.contains("not a path of member names"), "{msg}");
    run.bounded();
    // A small document still takes any query.
    let small = json!({"items": [{"log": "Collecting a\nSuccessfully installed a-1.0\n"}]});
    let path = write(dir.path(), "small.json", small.to_string().as_bytes());
    let run = self::run(&["-i", &path, "-j", "$.items[0].log"], &[]);
    assert_eq!(
        run.report()["installed"],
        json!([{"name": "a", "version": "1.0"}])
    );
}

#[test]
fn json_that_does_not_hold_a_log_string_is_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (body, needle) in [
        (r#"{"log": 42}"#, "not a string"),
        (r#"{"other": "x"}"#, "matched nothing"),
        (r#"{"log": "x"} {"#, "not valid JSON"),
        (r#"{"log": "unterminated"#, "JSON"),
    ] {
        let path = write(dir.path(), "doc.json", body.as_bytes());
        let run = run(&["-i", &path, "-j", "$.log"], &[]);
        let msg = run.failure(3, "input");
        assert!(msg.contains(needle), "{body}: {msg}");
    }
}

#[test]
fn an_invalid_jsonpath_is_a_usage_error() {
    let log = testdata("pip-22.3.1-success").display().to_string();
    let run = run(&["-i", &log, "-j", "$.log["], &[]);
    assert_eq!(run.code(), Some(2), "{}", run.stderr());
    assert!(run.stderr().contains("$.log"), "{}", run.stderr());
    // From the workflow's environment, a failure document goes where the output variable says.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("doc.json");
    let status = Command::new(BIN)
        .args(["parse", "-i", &log])
        .env("THOTH_BUILDLOG_PARSER_JSONPATH", "log")
        .env("THOTH_BUILDLOG_PARSER_OUTPUT", &out)
        .stderr(Stdio::null())
        .status()
        .expect("runs");
    assert_eq!(status.code(), Some(2));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("document")).expect("JSON");
    assert_eq!(doc["result"]["error_kind"], "usage");
}

#[test]
fn fail_on_failure_exits_1_and_still_writes_the_document() {
    let failed = testdata("pip-22.3.1-no-matching-distribution")
        .display()
        .to_string();
    let ok = testdata("pip-22.3.1-success").display().to_string();
    let default = run(&["-i", &failed], &[]);
    assert_eq!(default.code(), Some(0), "never is the default");
    let asked = run(&["-i", &failed, "--fail-on", "failure"], &[]);
    assert_eq!(asked.code(), Some(1), "{}", asked.stderr());
    assert_eq!(asked.report()["installation_successful"], false);
    let from_env = run(
        &["-i", &failed],
        &[("THOTH_BUILDLOG_PARSER_FAIL_ON", "failure")],
    );
    assert_eq!(from_env.code(), Some(1));
    let success = run(&["-i", &ok, "--fail-on", "failure"], &[]);
    assert_eq!(success.code(), Some(0));
    let never = run(&["-i", &failed, "--fail-on", "never"], &[]);
    assert_eq!(never.code(), Some(0));
    let bad = run(&["-i", &ok, "--fail-on", "error"], &[]);
    assert_eq!(bad.code(), Some(2));
}

#[test]
fn the_time_limit_ends_a_stalled_read() {
    // stdin is a pipe that stays open and silent.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("doc.json");
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(["parse", "-t", "1", "-o"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    let stdin = child.stdin.take();
    let output = child.wait_with_output().expect("exits");
    drop(stdin);
    assert_eq!(output.status.code(), Some(4));
    assert!(started.elapsed() < Duration::from_secs(30));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("document")).expect("JSON");
    assert_eq!(doc["result"]["error_kind"], "timeout");
    assert!(
        doc["result"]["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("1 seconds")),
        "{doc}"
    );
}

/// Without `-i`, a terminal on stdin means the user forgot the log: say so instead of waiting.
#[test]
fn a_terminal_on_stdin_is_a_usage_error() {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("script(1) from util-linux is installed (bsdutils)");
    // script gives the command a pseudo-terminal on stdin and returns its exit code (-e).
    let out = Command::new(script)
        .args(["-qec", &format!("{BIN} parse"), "/dev/null"])
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("stdin is a terminal"), "{text}");
    assert!(text.contains("-i FILE"), "{text}");
}
