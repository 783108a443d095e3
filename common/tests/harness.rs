//! The shared harness, exercised through a real process (`examples/harness.rs`): the envelope,
//! exit codes with their failure documents, reproducibility, redaction, and the output sinks.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

const SECRET: &str = "S3cr3t-Pa55w0rd-xyz";

fn harness() -> Command {
    // Integration tests live in target/<profile>/deps; examples in target/<profile>/examples.
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile dir");
    let path: PathBuf = profile_dir.join("examples").join("harness");
    assert!(
        path.exists(),
        "{} is missing: cargo test builds examples",
        path.display()
    );
    let mut cmd = Command::new(path);
    for var in [
        "SOURCE_DATE_EPOCH",
        "THOTH_DOCUMENT_ID",
        "THOTH_DEPLOYMENT_NAME",
        "THOTH_HARNESS_OUTPUT",
        "THOTH_HARNESS_TOKEN",
        "THOTH_HARNESS_NO_PRETTY",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("harness runs")
}

fn doc(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not a JSON document ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn success_writes_the_thoth_envelope() {
    let out = run(harness()
        .args([
            "run",
            "--metadata",
            r#"{"origin": "x", "is_external": false}"#,
        ])
        .env("THOTH_DOCUMENT_ID", "package-extract-123")
        .env("THOTH_DEPLOYMENT_NAME", "ocp4-test"));
    assert_eq!(out.status.code(), Some(0));
    let d = doc(&out);
    let m = &d["metadata"];
    for key in [
        "analyzer",
        "analyzer_version",
        "arguments",
        "datetime",
        "timestamp",
        "duration",
        "hostname",
        "document_id",
        "thoth_deployment_name",
        "os_release",
        "distribution",
        "python",
    ] {
        assert!(m.get(key).is_some(), "metadata.{key} missing: {m}");
    }
    assert_eq!(m["analyzer"], "harness");
    assert_eq!(m["analyzer_version"], "9.9.9");
    assert_eq!(m["document_id"], "package-extract-123");
    assert_eq!(m["thoth_deployment_name"], "ocp4-test");
    // No interpreter involved: the schema-valid object that says so.
    assert_eq!(m["python"]["implementation_name"], "none");
    assert_eq!(m["python"]["major"], 0);
    // Thoth's result store requires these os-release keys, present even when the machine is
    // silent about them.
    for key in ["id", "name", "platform_id", "version", "version_id"] {
        assert!(m["os_release"][key].is_string(), "os_release.{key}: {m}");
    }
    assert!(m["timestamp"].is_i64());
    assert!(m["duration"].is_u64());
    let dt = m["datetime"].as_str().expect("datetime string");
    assert_eq!(dt.len(), 26, "{dt}");
    assert_eq!(&dt[10..11], "T");
    assert_eq!(&dt[19..20], ".");
    // Thoth's click-context grouping, with JSON strings recorded as structures.
    assert_eq!(
        m["arguments"]["thoth-harness"]["metadata"],
        serde_json::json!({"origin": "x", "is_external": false})
    );
    assert_eq!(m["arguments"]["thoth-harness"]["verbose"], false);
    assert_eq!(m["arguments"]["run"]["mode"], "Ok");
    assert_eq!(m["arguments"]["run"]["output"], "-");
    assert_eq!(d["result"]["items"], serde_json::json!(["a", "b"]));
    // Pretty and key-sorted by default.
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("{\n  \"metadata\": {\n    \"analyzer\""),
        "{text}"
    );
}

#[test]
fn each_failure_kind_has_its_code_and_document() {
    for (mode, code, kind) in [
        ("input", 3, "input"),
        ("network", 4, "network"),
        ("panic", 5, "internal"),
    ] {
        let out = run(harness().args(["run", "--mode", mode]));
        assert_eq!(out.status.code(), Some(code), "mode {mode}");
        let d = doc(&out);
        assert_eq!(d["result"]["error"], true, "mode {mode}");
        assert_eq!(d["result"]["error_kind"], kind, "mode {mode}");
        assert!(
            d["result"]["error_msg"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert_eq!(d["metadata"]["analyzer"], "harness");
    }
    let out = run(harness().args(["run", "--mode", "panic"]));
    let d = doc(&out);
    assert!(
        d["result"]["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("boom in the analysis")),
        "{d}"
    );
    let input = doc(&run(harness().args(["run", "--mode", "input"])));
    assert_eq!(input["result"]["hint"], "check the path");
}

#[test]
fn metadata_defaults_to_what_thoths_graph_sync_reads() {
    let out = run(harness().args(["run"]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        doc(&out)["metadata"]["arguments"]["thoth-harness"]["metadata"],
        serde_json::json!({"environment_type": "runtime", "is_external": true, "origin": null})
    );
}

#[test]
fn findings_exit_one_with_the_result() {
    let out = run(harness().args(["run", "--mode", "findings"]));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(doc(&out)["result"]["items"], serde_json::json!(["a", "b"]));
}

#[test]
fn reproducible_runs_are_byte_identical() {
    let once = || {
        run(harness()
            .args(["run", "--reproducible"])
            .env("SOURCE_DATE_EPOCH", "1700000000"))
    };
    let (a, b) = (once(), once());
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
    let d = doc(&a);
    assert_eq!(d["metadata"]["datetime"], "2023-11-14T22:13:20.000000");
    assert_eq!(d["metadata"]["timestamp"], 1_700_000_000);
    assert_eq!(d["metadata"]["hostname"], "");
    assert_eq!(d["metadata"]["duration"], 0);

    // SOURCE_DATE_EPOCH alone pins the time but keeps the host name.
    let d = doc(&run(harness().arg("run").env("SOURCE_DATE_EPOCH", "0")));
    assert_eq!(d["metadata"]["datetime"], "1970-01-01T00:00:00.000000");

    let bad = run(harness().arg("run").env("SOURCE_DATE_EPOCH", "soon"));
    assert_eq!(bad.status.code(), Some(2));
    let d = doc(&bad);
    assert_eq!(d["result"]["error_kind"], "usage");
    assert!(
        d["result"]["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("SOURCE_DATE_EPOCH"))
    );
}

#[test]
fn no_pretty_is_one_line_from_flag_or_environment() {
    for cmd in [
        harness().args(["run", "-P"]),
        harness().arg("run").env("THOTH_HARNESS_NO_PRETTY", "True"),
    ] {
        let out = run(cmd);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert_eq!(doc(&out)["metadata"]["arguments"]["run"]["no_pretty"], true);
    }
}

#[test]
fn credentials_never_reach_documents_or_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("doc.json");
    let server = support::Server::start(vec![200]);
    let index = format!("https://bob:{SECRET}@index.test/simple");
    let metadata = format!(r#"{{"origin": "https://ci:{SECRET}@git.test/repo"}}"#);
    let cases: Vec<(Vec<String>, Option<&str>)> = vec![
        (vec!["--token".into(), format!("alice:{SECRET}")], None),
        (vec![], Some(SECRET)),
    ];
    for (extra, env_token) in cases {
        for output in [file.display().to_string(), "-".to_owned()] {
            let mut cmd = harness();
            cmd.args([
                "-vv",
                "--log-format",
                "json",
                "--metadata",
                &metadata,
                "run",
            ])
            .args(["--index", &index, "-o", &output])
            .args(&extra);
            if let Some(t) = env_token {
                cmd.env("THOTH_HARNESS_TOKEN", t);
            }
            let out = run(&mut cmd);
            assert_eq!(out.status.code(), Some(0));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains("using token"),
                "the log line was written: {stderr}"
            );
            for (what, text) in [
                ("stdout", String::from_utf8_lossy(&out.stdout).into_owned()),
                ("stderr", stderr.into_owned()),
                ("file", std::fs::read_to_string(&file).unwrap_or_default()),
            ] {
                assert!(!text.contains(SECRET), "secret leaked to {what}: {text}");
            }
        }
    }
    // And through the HTTP sink: the posted body and the URL in the log.
    let url = server
        .url
        .replace("http://", &format!("http://u:{SECRET}@"));
    let out = run(harness().args(["-vv", "run", "--token", SECRET, "-o", &url]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let posted = server.requests();
    assert_eq!(posted.len(), 1);
    assert!(!posted[0].body.contains(SECRET));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(SECRET));
    assert_eq!(
        serde_json::from_str::<Value>(&posted[0].body).expect("json")["metadata"]["arguments"]["run"]
            ["token"],
        "<redacted>"
    );
}

#[test]
fn file_output_is_written_and_a_missing_directory_is_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.json");
    let out = run(harness().arg("run").env("THOTH_HARNESS_OUTPUT", &path));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("written")).expect("json");
    assert_eq!(
        written["metadata"]["arguments"]["run"]["output"],
        path.display().to_string()
    );

    let missing = dir.path().join("nope/doc.json");
    let out = run(harness().args(["run", "-o"]).arg(&missing));
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(!missing.exists());
}

#[test]
fn usage_errors_exit_two_and_leave_a_document_where_the_workflow_expects_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("doc.json");
    let out = run(harness()
        .args(["run", "--no-such-flag"])
        .env("THOTH_HARNESS_OUTPUT", &path));
    assert_eq!(out.status.code(), Some(2));
    let d: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("written")).expect("json");
    assert_eq!(d["result"]["error_kind"], "usage");
    assert!(
        d["result"]["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("--no-such-flag"))
    );

    let out = run(harness().args(["run", "--mode", "sideways"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());

    for flag in ["--help", "--version"] {
        let out = run(harness().arg(flag));
        assert_eq!(out.status.code(), Some(0), "{flag}");
    }
    let version = run(harness().arg("--version"));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        "harness 9.9.9"
    );
}

#[test]
fn http_output_retries_server_errors_then_succeeds() {
    let server = support::Server::start(vec![503, 502, 200]);
    let out = run(harness().args(["run", "-o", &server.url]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let got = server.requests();
    assert_eq!(got.len(), 3);
    for r in &got {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/api/v1/analysis-result");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let d: Value = serde_json::from_str(&r.body).expect("posted JSON");
        assert_eq!(d["metadata"]["analyzer"], "harness");
        assert_eq!(d["result"]["items"], serde_json::json!(["a", "b"]));
    }
}

#[test]
fn http_client_errors_fail_at_once_and_unreachable_endpoints_fail_after_retries() {
    let server = support::Server::start(vec![400]);
    let out = run(harness().args(["run", "-o", &server.url]));
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(server.requests().len(), 1, "a 4xx answer is not retried");
    assert!(String::from_utf8_lossy(&out.stderr).contains("400"));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/x", closed.local_addr().expect("addr"));
    drop(closed);
    let started = std::time::Instant::now();
    let out = run(harness().args(["run", "-o", &url]));
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("gave up after 4 attempts"), "{stderr}");
    // 0.5 + 1 + 2 seconds of backoff between the four attempts.
    assert!(started.elapsed() >= std::time::Duration::from_millis(3500));
}

#[test]
fn json_schema_describes_both_success_and_failure_documents() {
    let out = run(harness().arg("--json-schema"));
    assert_eq!(out.status.code(), Some(0));
    let schema = doc(&out);
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    for mode in ["ok", "input", "panic"] {
        let d = doc(&run(harness().args(["run", "--mode", mode])));
        let errors: Vec<String> = validator.iter_errors(&d).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "mode {mode}: {errors:?}");
    }
    let mut broken = doc(&run(harness().arg("run")));
    broken["metadata"]["timestamp"] = Value::String("yesterday".into());
    assert!(!validator.is_valid(&broken));
}
