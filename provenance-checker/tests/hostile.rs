//! Hostile locks against real indexes on loopback: each ends in a bounded document or a clear
//! refusal, in bounded memory (the child's peak RSS, measured by GNU time), and never sends a
//! request the lock chose the URL of.

mod support;

use std::path::Path;
use std::process::Command;

use common::testindex::{PageFormat, TestFile, TestIndex};
use serde_json::{Value, json};
use support::{findings, ids};

/// The peak memory every attack must stay under (issue 13).
const PEAK_LIMIT_KIB: u64 = 256 * 1024;
const TIME: &str = "/usr/bin/time";

struct Outcome {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    peak_kib: u64,
}

impl Outcome {
    fn doc(&self) -> Value {
        serde_json::from_slice(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr:\n{}", self.stderr))
    }
}

/// Runs `provenance-checker provenance ARGS` in `dir` under GNU time, with only `PATH`, an
/// empty `HOME`, no pip configuration and `env`.
fn run_measured(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    assert!(
        Path::new(TIME).exists(),
        "{TIME} is missing: install GNU time (`apt-get install time`, listed in .ci/apt-packages)"
    );
    let rss_file = dir.join("peak-rss-kib");
    let mut cmd = Command::new(TIME);
    cmd.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_file)
        .arg(env!("CARGO_BIN_EXE_provenance-checker"))
        .arg("provenance")
        .args(args);
    support::clean_env(&mut cmd, dir, env);
    let out = cmd.output().expect("GNU time runs the checker");
    let peak = std::fs::read_to_string(&rss_file).expect("GNU time wrote the peak RSS");
    let peak_kib = peak
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no peak RSS in {peak:?}"));
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        peak_kib,
    }
}

/// A distinct, well-formed sha256 digest for `i`, published nowhere.
fn digest_for(i: usize) -> String {
    format!("{i:064x}")
}

/// A Pipfile.lock (no Pipfile) pinning `big==1.0` to `index` with `n` digests.
fn lock_with_hashes(index: &str, n: usize) -> String {
    let hashes: Vec<String> = (0..n)
        .map(|i| format!("sha256:{}", digest_for(i)))
        .collect();
    serde_json::to_string(&json!({
        "_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "requires": {},
                  "sources": [{"name": "internal", "url": index, "verify_ssl": true}]},
        "default": {"big": {"version": "==1.0", "index": "internal", "hashes": hashes}},
        "develop": {},
    }))
    .expect("json")
}

fn index_with_big() -> TestIndex {
    let index = TestIndex::start(PageFormat::Json);
    index.add_project(
        "big",
        vec![TestFile::new("big-1.0-py3-none-any.whl", b"the real wheel")],
    );
    index
}

/// Resolves a `{"$ref": "#/..."}` against the document.
fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("not a local reference: {reference}"));
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("{reference} points at nothing"))
}

fn assert_hashes_linear(n: usize, max_document: usize) {
    let index = index_with_big();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Pipfile.lock"),
        lock_with_hashes(&index.url(), n),
    )
    .expect("write");
    // The default layout (pretty: a report of more than 1,000 findings lists one per line).
    let out = run_measured(dir.path(), &["-l", "Pipfile.lock"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.len() < max_document,
        "{n} hashes: the document is {} bytes (limit {max_document})",
        out.stdout.len()
    );
    assert!(
        out.peak_kib < PEAK_LIMIT_KIB,
        "{n} hashes: peak RSS {} KiB",
        out.peak_kib
    );
    let doc = out.doc();
    let invalid = findings(&doc, "INVALID-ARTIFACT-HASH");
    assert_eq!(invalid.len(), n, "one finding per unknown digest");
    // Each names its own digest; the first carries the entry, the others refer to it.
    let digests: std::collections::BTreeSet<&str> = invalid
        .iter()
        .map(|f| f["digest"].as_str().expect("a digest"))
        .collect();
    assert_eq!(digests.len(), n);
    assert!(digests.contains(digest_for(n - 1).as_str()));
    // The hashes appear once, in the lock as recorded; every finding refers to that entry.
    let report = doc["result"]["report"].as_array().expect("report");
    assert!(
        report
            .iter()
            .all(|f| f["package_locked"]["big"]["hashes"].is_null()),
        "no finding repeats the hashes"
    );
    let reference = invalid[n - 1]["package_locked"]["big"]["$ref"]
        .as_str()
        .expect("a reference");
    assert_eq!(
        reference,
        "#/result/parameters/project/requirements_locked/default/big"
    );
    assert_eq!(
        resolve(&doc, reference)["hashes"].as_array().map(Vec::len),
        Some(n)
    );
    // The source is named once too: the first finding carries it, the others refer to it.
    assert_eq!(invalid[0]["source"]["name"], "internal");
    let source_ref = invalid[n - 1]["source"]["$ref"]
        .as_str()
        .expect("a reference to the source");
    assert_eq!(resolve(&doc, source_ref), &invalid[0]["source"]);
    // stderr: a bounded list of lines and the count.
    assert!(
        out.stderr.contains("INVALID-ARTIFACT-HASH big==1.0"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("{n} ERROR")),
        "no count line: {}",
        out.stderr
    );
    assert!(
        out.stderr.lines().count() < 220,
        "stderr has {} lines",
        out.stderr.lines().count()
    );
}

#[test]
fn two_thousand_hashes_give_a_document_under_a_megabyte() {
    assert_hashes_linear(2_000, 1_000_000);
}

#[test]
fn five_thousand_hashes_finish_in_bounded_memory() {
    assert_hashes_linear(5_000, 2_500_000);
}

fn assert_refused_as_too_large(out: &Outcome, limit: u64) {
    assert_eq!(out.code, 3, "{}", out.stderr);
    let doc = out.doc();
    let result = &doc["result"];
    assert_eq!(result["error"], true);
    assert_eq!(result["error_kind"], "input");
    assert!(
        result["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("larger than the limit of {limit} bytes"))),
        "{result}"
    );
    assert!(
        result["hint"]
            .as_str()
            .is_some_and(|h| h.contains("--max-lock-size")),
        "{result}"
    );
    assert!(
        out.peak_kib < PEAK_LIMIT_KIB,
        "peak RSS {} KiB",
        out.peak_kib
    );
}

#[test]
fn a_105_mb_pipfile_lock_is_refused_at_the_default_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("Pipfile.lock");
    // Sparse: 105 MB that cost no disk; only the limit's worth is ever read.
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(105_000_000).expect("set_len");
    let out = run_measured(dir.path(), &["-l", "Pipfile.lock"], &[]);
    assert_refused_as_too_large(&out, provenance_checker::input::DEFAULT_MAX_LOCK_SIZE);
    assert!(
        out.peak_kib < 64 * 1024,
        "reading stops at the limit: {} KiB",
        out.peak_kib
    );
}

#[test]
fn the_limit_is_an_option_and_a_variable() {
    let index = index_with_big();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Pipfile.lock"),
        lock_with_hashes(&index.url(), 20),
    )
    .expect("write");
    let out = run_measured(
        dir.path(),
        &["-l", "Pipfile.lock", "--max-lock-size", "1000"],
        &[],
    );
    assert_refused_as_too_large(&out, 1000);
    let out = run_measured(
        dir.path(),
        &["-l", "Pipfile.lock"],
        &[("THOTH_ADVISER_MAX_LOCK_SIZE", "999")],
    );
    assert_refused_as_too_large(&out, 999);
    let out = run_measured(
        dir.path(),
        &["-l", "Pipfile.lock", "--max-lock-size", "100000"],
        &[],
    );
    assert_eq!(
        out.code, 1,
        "under the limit the check runs: {}",
        out.stderr
    );
}

#[test]
fn names_that_are_not_pep508_never_become_requests() {
    let index = TestIndex::start(PageFormat::Json);
    index.add_project(
        "good",
        vec![TestFile::new("good-1.0-py3-none-any.whl", b"good")],
    );
    // Where `//2130706433:PORT/x` (127.0.0.1 in decimal) would send the request.
    let elsewhere = TestIndex::start(PageFormat::Json);
    let port = elsewhere
        .origin()
        .rsplit(':')
        .next()
        .expect("a port")
        .trim_end_matches('/')
        .to_owned();
    let hostile = [
        format!("//2130706433:{port}/x"),
        "%2e%2e/%2e%2e/x".to_owned(),
        "../x".to_owned(),
    ];
    let mut default = serde_json::Map::new();
    for name in &hostile {
        default.insert(
            name.clone(),
            json!({"version": "==1.0", "hashes": [format!("sha256:{}", digest_for(1))]}),
        );
    }
    default.insert(
        "good".into(),
        json!({"version": "==1.0", "hashes": [format!("sha256:{}", TestFile::new("", b"good").sha256())]}),
    );
    let lock = json!({
        "_meta": {"sources": [{"name": "internal", "url": index.url(), "verify_ssl": true}]},
        "default": default,
    });
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("Pipfile.lock"), lock.to_string()).expect("write");
    let out = run_measured(dir.path(), &["-l", "Pipfile.lock"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.doc();
    let invalid = findings(&doc, "INVALID-PACKAGE-NAME");
    assert_eq!(invalid.len(), 3, "{doc:#}");
    for f in &invalid {
        assert_eq!(f["type"], "ERROR");
        assert!(hostile.iter().any(|h| f["package_name"] == *h), "{f}");
    }
    assert_eq!(
        ids(&doc),
        ["INVALID-PACKAGE-NAME"; 3],
        "the valid package is clean: {doc:#}"
    );
    assert_eq!(
        elsewhere.requests(),
        Vec::<String>::new(),
        "the lock chose a host"
    );
    let asked = index.requests();
    assert!(
        asked.iter().all(|r| r.contains("/simple/good/")),
        "only the valid name was asked for: {asked:?}"
    );
    assert_eq!(doc["result"]["statistics"]["packages_checked"], 1);
}

#[test]
fn requirements_txt_names_are_checked_as_requirements() {
    // pip's parser refuses such a line before any request: an input error naming the line.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("requirements.txt"),
        "-i http://127.0.0.1:1/simple/\n../x==1.0 --hash=sha256:00\n",
    )
    .expect("write");
    let out = run_measured(dir.path(), &["-l", "requirements.txt"], &[]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.doc()["result"]["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("line 2")),
        "{}",
        out.stderr
    );
}

/// Every byte the run wrote: the document and stderr.
fn assert_no_canary(out: &Outcome, canaries: &[&str]) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    for canary in canaries {
        assert!(
            !stdout.contains(canary),
            "{canary} in the document:\n{stdout}"
        );
        assert!(
            !out.stderr.contains(canary),
            "{canary} on stderr:\n{}",
            out.stderr
        );
    }
}

#[test]
fn pylock_index_and_wheel_credentials_reach_no_output() {
    let index = TestIndex::start(PageFormat::Json);
    index.require_auth("alice", "CANARYindex");
    index.add_project(
        "foo",
        vec![TestFile::new("foo-1.0-py3-none-any.whl", b"foo")],
    );
    let with_auth = index.url().replace("http://", "http://alice:CANARYindex@");
    let wheel = format!(
        "{}files/foo-1.0-py3-none-any.whl?X-Amz-Signature=CANARYsig",
        index.origin().replace("http://", "http://bob:CANARYwheel@") + "/"
    );
    let sha = TestFile::new("", b"foo").sha256();
    let pylock = format!(
        "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n[[packages]]\nname = \"foo\"\nversion = \"1.0\"\nindex = \"{with_auth}\"\n\n[[packages.wheels]]\nname = \"foo-1.0-py3-none-any.whl\"\nurl = \"{wheel}\"\nhashes = {{sha256 = \"{sha}\"}}\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("pylock.toml"), &pylock).expect("write");
    let out = run_measured(
        dir.path(),
        &[
            "-l",
            "pylock.toml",
            "-i",
            &format!("{with_auth},http://carol:CANARYallow@127.0.0.1:1/x/"),
            "--fail-on",
            "never",
            "-vv",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.doc();
    // The credentials were used (the index demands them) ...
    assert!(
        !ids(&doc).contains(&"INDEX-UNREACHABLE".to_owned()),
        "{doc:#}"
    );
    // ... and the URL mismatch finding shows the redacted wheel URL.
    let mismatch = findings(&doc, "ARTIFACT-URL-MISMATCH");
    assert_eq!(mismatch.len(), 1, "{doc:#}");
    // The exact placeholders: user-info and secret query values become `<redacted>`, the rest
    // of each URL stays as the lock wrote it.
    let redacted_origin = index.origin().replace("http://", "http://<redacted>@");
    assert_eq!(
        mismatch[0]["url"],
        format!("{redacted_origin}/files/foo-1.0-py3-none-any.whl?X-Amz-Signature=<redacted>"),
        "{doc:#}"
    );
    let redacted_index = index.url().replace("http://", "http://<redacted>@");
    let reference = mismatch[0]["package_locked"]["foo"]["$ref"]
        .as_str()
        .expect("a reference");
    assert_eq!(resolve(&doc, reference)["index"], redacted_index, "{doc:#}");
    assert_eq!(
        doc["metadata"]["arguments"]["provenance"]["whitelisted_sources"],
        format!("{redacted_index},http://<redacted>@127.0.0.1:1/x/"),
        "{doc:#}"
    );
    assert_no_canary(&out, &["CANARY"]);
}

#[test]
fn requirements_txt_credentials_reach_no_output() {
    let first = TestIndex::start(PageFormat::Json);
    let second = TestIndex::start(PageFormat::Html);
    first.require_auth("u1", "CANARYone");
    second.require_auth("u2", "CANARYtwo");
    first.add_project("a", vec![TestFile::new("a-1.0-py3-none-any.whl", b"a")]);
    second.add_project("b", vec![TestFile::new("b-1.0-py3-none-any.whl", b"b")]);
    let a = TestFile::new("", b"a").sha256();
    let b = TestFile::new("", b"b").sha256();
    let text = format!(
        "-i {}\n--extra-index-url {}\na==1.0 --hash=sha256:{a}\nb==1.0 --hash=sha256:{b}\n",
        first.url().replace("http://", "http://u1:CANARYone@"),
        second.url().replace("http://", "http://u2:CANARYtwo@"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("requirements.txt"), &text).expect("write");
    // By path, and as content (recorded in metadata.arguments).
    let as_content = format!("--requirements-locked={text}");
    for lock in [&["-l", "requirements.txt"][..], &[as_content.as_str()][..]] {
        let mut args = lock.to_vec();
        args.extend(["--format", "requirements", "--fail-on", "never"]);
        let out = run_measured(dir.path(), &args, &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let doc = out.doc();
        assert!(
            !ids(&doc).contains(&"INDEX-UNREACHABLE".to_owned()),
            "{doc:#}"
        );
        let locked = doc["result"]["parameters"]["project"]["requirements_locked"]
            .as_str()
            .expect("the requirements text");
        assert_eq!(
            locked,
            format!(
                "-i {}\n--extra-index-url {}\na==1.0 --hash=sha256:{a}\nb==1.0 --hash=sha256:{b}\n",
                first.url().replace("http://", "http://<redacted>@"),
                second.url().replace("http://", "http://<redacted>@"),
            ),
            "the exact placeholders"
        );
        assert_no_canary(&out, &["CANARY"]);
    }
}

#[test]
fn findings_about_single_artifacts_stop_at_the_report_limit_and_count_the_rest() {
    let limit = provenance_checker::checks::MAX_ARTIFACT_FINDINGS;
    let index = index_with_big();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Pipfile.lock"),
        lock_with_hashes(&index.url(), limit + 5),
    )
    .expect("write");
    let out = run_measured(dir.path(), &["-l", "Pipfile.lock", "-P"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let doc = out.doc();
    let invalid = findings(&doc, "INVALID-ARTIFACT-HASH");
    assert_eq!(
        invalid.len(),
        limit + 1,
        "the limit, and one finding counting the rest"
    );
    let rest = invalid[limit];
    assert!(rest["digest"].is_null(), "{rest}");
    assert_eq!(
        rest["justification"],
        "Hashes for 5 further artifacts were not found"
    );
    assert!(
        rest["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&format!("at most {limit}"))),
        "{rest}"
    );
    assert!(
        out.peak_kib < PEAK_LIMIT_KIB,
        "peak RSS {} KiB",
        out.peak_kib
    );
}
