//! pip's and uv's ways of naming the default index, and the documented exit codes with what a
//! person sees on stderr, against indexes on loopback.

mod support;

use common::testindex::{PageFormat, TestFile, TestIndex};
use serde_json::Value;
use support::{findings, ids, run_with_stderr as run};

const NOWHERE: &str = "http://127.0.0.1:1/simple/";

/// An index with foo 1.0, and a requirements file pinning it without naming an index.
fn setup() -> (TestIndex, tempfile::TempDir) {
    let index = TestIndex::start(PageFormat::Json);
    index.add_project(
        "foo",
        vec![TestFile::new("foo-1.0-py3-none-any.whl", b"foo")],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("requirements.txt"),
        format!(
            "foo==1.0 --hash=sha256:{}\n",
            TestFile::new("", b"foo").sha256()
        ),
    )
    .expect("write");
    (index, dir)
}

/// requirements.txt checked with `--index-url INDEX --extra-index-url EXTRA`.
fn with_options(
    dir: &std::path::Path,
    index: &str,
    extra: &str,
    env: &[(&str, &str)],
) -> (i32, Value, String) {
    let args = [
        "-l",
        "requirements.txt",
        "--index-url",
        index,
        "--extra-index-url",
        extra,
    ];
    run(dir, &args, env)
}

fn source_urls(doc: &Value) -> Vec<String> {
    doc["result"]["parameters"]["project"]["sources"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(|s| s["url"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn index_url_and_extra_index_url_options_name_the_default_indexes() {
    let (index, dir) = setup();
    let extra = TestIndex::start(PageFormat::Html);
    let (code, doc, stderr) = with_options(
        dir.path(),
        &index.url(),
        &extra.url(),
        &[("PIP_INDEX_URL", NOWHERE)],
    );
    assert_eq!(code, 0, "{stderr}\n{doc:#}");
    assert_eq!(source_urls(&doc), [index.url(), extra.url()]);
    assert_eq!(index.requests().len(), 1);
    assert_eq!(extra.requests().len(), 1, "the extra index is asked too");
    assert_eq!(
        doc["metadata"]["arguments"]["provenance"]["index_url"],
        index.url()
    );
}

#[test]
fn uv_variables_come_after_pip_variables() {
    let (index, dir) = setup();
    for var in [
        "UV_DEFAULT_INDEX",
        "UV_INDEX_URL",
        "UV_INDEX",
        "UV_EXTRA_INDEX_URL",
    ] {
        let value = if var == "UV_INDEX" {
            format!("internal={}", index.url())
        } else {
            index.url()
        };
        let (code, doc, stderr) = run(dir.path(), &["-l", "requirements.txt"], &[(var, &value)]);
        assert_eq!(code, 0, "{var}: {stderr}\n{doc:#}");
        assert_eq!(source_urls(&doc), [index.url()], "{var}");
    }
    // PIP_INDEX_URL wins over UV_DEFAULT_INDEX; UV_INDEX still adds its index.
    let other = TestIndex::start(PageFormat::Json);
    let (_, doc, _) = run(
        dir.path(),
        &["-l", "requirements.txt"],
        &[
            ("PIP_INDEX_URL", &other.url()),
            ("UV_DEFAULT_INDEX", NOWHERE),
            ("UV_INDEX", &index.url()),
        ],
    );
    assert_eq!(source_urls(&doc), [other.url(), index.url()]);
}

#[test]
fn no_index_names_every_option_and_variable() {
    let (_index, dir) = setup();
    let (code, doc, stderr) = run(dir.path(), &["-l", "requirements.txt"], &[]);
    assert_eq!(code, 2, "{stderr}");
    let result = &doc["result"];
    assert_eq!(result["error_kind"], "usage");
    // The unit tests check that it names every option and variable.
    assert_eq!(
        result["hint"],
        provenance_checker::indexes::WHERE_TO_CONFIGURE,
        "{result}"
    );
    assert!(
        !result["error_msg"]
            .as_str()
            .unwrap_or_default()
            .contains("give one with an option"),
        "{result}"
    );
}

#[test]
fn every_index_unreachable_exits_4_and_says_which() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("requirements.txt"),
        format!(
            "-i {NOWHERE}\n--extra-index-url http://127.0.0.1:2/other/\nfoo==1.0 --hash=sha256:{}\n",
            "0".repeat(64)
        ),
    )
    .expect("write");
    let (code, doc, stderr) = run(
        dir.path(),
        &["-l", "requirements.txt", "--fail-on", "never"],
        &[],
    );
    assert_eq!(code, 4, "{stderr}\n{doc:#}");
    let unreachable = findings(&doc, "INDEX-UNREACHABLE");
    let urls: Vec<&str> = unreachable
        .iter()
        .filter_map(|f| f["source"]["url"].as_str())
        .collect();
    assert_eq!(urls, [NOWHERE, "http://127.0.0.1:2/other/"], "{doc:#}");
    assert_eq!(
        doc["result"]["error"], false,
        "the findings document, not a failure"
    );
    assert!(stderr.contains("no index answered"), "{stderr}");
    assert!(stderr.contains("INDEX-UNREACHABLE"), "{stderr}");
}

#[test]
fn one_reachable_index_keeps_exit_1_for_the_unreachable_finding() {
    let (index, dir) = setup();
    let (code, doc, stderr) = with_options(dir.path(), &index.url(), NOWHERE, &[]);
    assert_eq!(ids(&doc), ["INDEX-UNREACHABLE"], "{doc:#}");
    assert_eq!(code, 1, "{stderr}");
}

#[test]
fn a_failing_run_says_why_on_stderr() {
    let (index, dir) = setup();
    std::fs::write(
        dir.path().join("requirements.txt"),
        format!("foo==1.0 --hash=sha256:{}\nbar==2.0\n", "ab".repeat(32)),
    )
    .expect("write");
    let (code, doc, stderr) = run(
        dir.path(),
        &["-l", "requirements.txt", "--index-url", &index.url()],
        &[],
    );
    assert_eq!(code, 1, "{doc:#}");
    let lines: Vec<&str> = stderr.lines().collect();
    let line_with = |needle: &str| lines.iter().find(|l| l.contains(needle)).copied();
    let invalid = line_with("INVALID-ARTIFACT-HASH").unwrap_or_else(|| panic!("{stderr}"));
    assert!(invalid.contains("foo==1.0"), "{invalid}");
    assert!(
        invalid.contains("Hash for the given artifact was not found"),
        "{invalid}"
    );
    assert!(invalid.contains(&"ab".repeat(32)), "{invalid}");
    let hashes = line_with("MISSING-HASHES").unwrap_or_else(|| panic!("{stderr}"));
    assert!(hashes.contains("bar==2.0"), "{hashes}");
    assert!(
        line_with("1 ERROR, 1 WARNING, 0 INFO").is_some(),
        "no count line: {stderr}"
    );
    // Passing runs print nothing of the sort.
    let (code, _, stderr) = run(
        dir.path(),
        &[
            "-l",
            "requirements.txt",
            "--index-url",
            &index.url(),
            "--fail-on",
            "never",
        ],
        &[],
    );
    assert_eq!(code, 0);
    assert!(!stderr.contains("INVALID-ARTIFACT-HASH"), "{stderr}");
}

/// At a terminal without -o: the counts and one row per finding, most severe first, then how
/// to get the document; `--format table` into a pipe gives the rows too, and `--format
/// pipenv|requirements|...` still names the lock's format.
#[test]
fn a_terminal_gets_the_findings_table() {
    let (index, dir) = setup();
    std::fs::write(
        dir.path().join("requirements.txt"),
        format!("foo==1.0 --hash=sha256:{}\nbar==2.0\n", "ab".repeat(32)),
    )
    .expect("write");
    let url = index.url();
    let args = ["provenance", "-l", "requirements.txt", "--index-url", &url];
    let bin = env!("CARGO_BIN_EXE_provenance-checker");
    let (code, screen) = common::golden::at_terminal(bin, &args, dir.path());
    assert_eq!(code, Some(1), "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    let row = |id: &str| {
        lines
            .iter()
            // A table row: LEVEL then TYPE (the log lines on stderr say the id too).
            .position(|l| l.split_whitespace().nth(1) == Some(id))
            .unwrap_or_else(|| panic!("no {id} row: {screen}"))
    };
    let (error, warning) = (row("INVALID-ARTIFACT-HASH"), row("MISSING-HASHES"));
    assert!(
        lines[error].starts_with("ERROR") && lines[error].contains("foo==1.0"),
        "{screen}"
    );
    assert!(
        lines[warning].starts_with("WARNING") && lines[warning].contains("bar==2.0"),
        "{screen}"
    );
    assert!(error < warning, "most severe first: {screen}");
    assert!(
        screen.contains("--format json for the JSON document"),
        "{screen}"
    );
    assert!(!screen.contains("\"report\""), "{screen}");

    let mut with_format = args.to_vec();
    with_format.extend(["--format", "requirements"]);
    let (_, doc, _) = run(dir.path(), &with_format[1..], &[]);
    assert_eq!(
        doc["result"]["report"].as_array().map(Vec::len),
        Some(2),
        "{doc:#}"
    );
    assert_eq!(
        doc["metadata"]["arguments"]["provenance"]["format"], "requirements",
        "{doc:#}"
    );

    let mut table = args.to_vec();
    table.extend(["--format", "table"]);
    let (_, screen) = common::golden::at_terminal(bin, &table, dir.path());
    assert!(
        !screen.contains("--format json for the JSON document"),
        "{screen}"
    );
    assert!(screen.contains("MISSING-HASHES"), "{screen}");
}
