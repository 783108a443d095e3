//! The solver's part of the trust boundary: index credentials never reach a document (they are
//! dropped where the index URL is recorded, before any scrubbing), and `-t` bounds a run
//! against an index that never answers.

mod support;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::testindex::PageFormat;
use support::*;

const USER: &str = "canaryuser";
const PASSWORD: &str = "canary-s3cret";

fn run(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("home");
    Command::new(env!("CARGO_BIN_EXE_solver"))
        .args(args)
        .args(["--python-version", "3.11", "--platform", "linux-x86_64"])
        .env_clear()
        .env("HOME", home.path())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .expect("run solver")
}

fn assert_no_canary(out: &Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(PASSWORD) && !text.contains(USER),
            "a credential reached {stream}:\n{text}"
        );
    }
}

/// `python` with a credentialed index that answers and one that cannot be reached: the tree,
/// dependency and unresolved entries name both indexes without user-info.
#[test]
fn credentials_never_reach_the_walk_document() {
    let index = start(PageFormat::Json);
    index.require_auth(USER, PASSWORD);
    index.add_project("app", vec![pure("app", "1.0", &["dep"], true)]);
    index.add_project("dep", vec![pure("dep", "2.0", &[], true)]);
    let origin = index.origin();
    let host = origin.trim_start_matches("http://");
    let with_auth = format!("http://{USER}:{PASSWORD}@{host}/simple/");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_host = closed.local_addr().expect("addr").to_string();
    drop(closed);
    let dead = format!("http://{USER}:{PASSWORD}@{dead_host}/simple/");
    let indexes = format!("{with_auth},{dead}");
    let out = run(&["python", "-r", "app", "-i", &indexes]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_no_canary(&out);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let result = &doc["result"];
    // Without user-info, and without the trailing slash as Thoth records index URLs.
    let public = format!("http://{host}/simple");
    assert_eq!(result["tree"][0]["index_url"], public.as_str(), "{doc:#}");
    let resolved = &result["tree"][0]["dependencies"][0]["resolved_versions"];
    assert_eq!(resolved[0]["index"], public.as_str(), "{doc:#}");
    assert_eq!(
        resolved[1]["index"],
        format!("http://{dead_host}/simple").as_str()
    );
    let unresolved = result["unresolved"].as_array().expect("unresolved");
    assert!(
        unresolved
            .iter()
            .any(|u| u["index_url"] == format!("http://{dead_host}/simple").as_str()),
        "{doc:#}"
    );
}

/// `resolve --format pylock-toml` records the index without user-info.
#[test]
fn credentials_never_reach_the_lock() {
    let index = start(PageFormat::Json);
    index.require_auth(USER, PASSWORD);
    index.add_project("app", vec![pure("app", "1.0", &[], true)]);
    let host = index.origin().trim_start_matches("http://").to_owned();
    let with_auth = format!("http://{USER}:{PASSWORD}@{host}/simple/");
    for format in ["pylock-toml", "requirements-txt"] {
        let out = run(&["resolve", "-r", "app", "-i", &with_auth, "--format", format]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_no_canary(&out);
        if format == "pylock-toml" {
            let lock: toml::Value =
                toml::from_str(&String::from_utf8_lossy(&out.stdout)).expect("TOML");
            assert_eq!(
                lock["packages"][0]["index"].as_str(),
                Some(format!("http://{host}/simple/").as_str())
            );
        }
    }
}

/// An index that accepts the connection and never answers: `-t 2` ends the run with the
/// timeout failure document in seconds, not minutes.
#[test]
fn the_time_limit_ends_a_run_against_a_silent_index() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/simple/", listener.local_addr().expect("addr"));
    // Accept and hold connections without a byte in answer.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(64) {
            held.push(stream);
        }
    });
    for command in ["python", "resolve"] {
        let started = Instant::now();
        let out = run(&[command, "-r", "app", "-i", &url, "-t", "2"]);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(20), "{command} took {took:?}");
        assert_eq!(out.status.code(), Some(4), "{command}: timeout exit code");
        if command == "resolve" {
            // stdout holds a lock file: on failure it stays empty, the message is on stderr.
            assert!(out.stdout.is_empty(), "resolve wrote to stdout on failure");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("error:"), "{stderr}");
            continue;
        }
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(doc["result"]["error_kind"], "timeout", "{doc:#}");
    }
}
