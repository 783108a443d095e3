//! pip's and uv's habits in `solver resolve` (issue 17): requirements files with `-r` (nested
//! includes, `-c` constraints, index lines), a file name given as a requirement, nothing on
//! stdout when resolution fails, uv's and docker's platform spellings, and the machine's
//! `python3` as the default target. Against a loopback index.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use common::testindex::{PageFormat, TestFile, TestIndex};
use support::*;

/// A wheel of `name` `version` for one platform tag only.
fn native(name: &str, version: &str, tag: &str) -> TestFile {
    let meta = metadata(name, version, &[], "");
    let (filename, content) = wheel(name, version, tag, &meta);
    let mut file = TestFile::new(&filename, &content);
    file.metadata = Some(meta);
    file
}

fn index() -> TestIndex {
    let index = start(PageFormat::Json);
    index.add_project(
        "app",
        vec![
            pure("app", "1.0", &["lib>=1"], true),
            pure("app", "2.0", &["lib>=2"], true),
        ],
    );
    index.add_project(
        "lib",
        vec![
            pure("lib", "1.0", &[], true),
            pure("lib", "2.0", &[], true),
            pure("lib", "3.0", &[], true),
        ],
    );
    index.add_project("unused", vec![pure("unused", "1.0", &[], true)]);
    index.add_project(
        "native",
        vec![
            native("native", "1.0", "cp311-cp311-manylinux_2_17_x86_64"),
            native("native", "2.0", "cp311-cp311-manylinux_2_28_aarch64"),
        ],
    );
    index
}

/// `solver resolve ARGS` in `dir`, with a clean environment and `path` as PATH.
fn resolve_with_path(dir: &Path, path: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_solver"))
        .current_dir(dir)
        .arg("resolve")
        .args(args)
        .env_clear()
        .env("HOME", dir)
        .env("PATH", path)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .expect("run solver")
}

fn resolve(dir: &Path, args: &[&str]) -> Output {
    resolve_with_path(dir, &std::env::var("PATH").unwrap_or_default(), args)
}

const TARGET: [&str; 4] = ["--python-version", "3.11", "--platform", "linux-x86_64"];

fn pins(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "solver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("=="))
        .map(|l| l.trim_end_matches('\\').trim().to_owned())
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn requirements_files_with_includes_constraints_and_index_lines() {
    let index = index();
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir(dir.path().join("more")).expect("mkdir");
    std::fs::write(
        dir.path().join("requirements.in"),
        format!(
            "# the application\napp \\\n  >=1   # any\n-r more/extra.txt\n--index-url {}\n",
            index.url()
        ),
    )
    .expect("write");
    std::fs::write(dir.path().join("more/extra.txt"), "-c ../pins.txt\n").expect("write");
    // A constraint bounds lib; it does not require unused.
    std::fs::write(dir.path().join("pins.txt"), "lib<3\nunused==1.0\n").expect("write");
    let mut args = vec!["-r", "requirements.in"];
    args.extend(TARGET);
    let out = resolve(dir.path(), &args);
    assert_eq!(pins(&out), ["app==2.0", "lib==2.0"]);

    // -r repeats, and -c on the command line does what the file's -c does.
    std::fs::write(dir.path().join("a.txt"), "app<2\n").expect("write");
    std::fs::write(dir.path().join("c.txt"), "lib<2\n").expect("write");
    let url = index.url();
    let mut args = vec![
        "-r",
        "a.txt",
        "--requirement",
        "lib",
        "--constraints",
        "c.txt",
        "-i",
        &url,
    ];
    args.extend(TARGET);
    assert_eq!(pins(&resolve(dir.path(), &args)), ["app==1.0", "lib==1.0"]);
}

#[test]
fn a_file_name_is_not_a_requirement() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("requirements.in"), "app\n").expect("write");
    for name in ["requirements.in", "missing.txt"] {
        let out = resolve(dir.path(), &[name, "-i", "http://127.0.0.1:9/simple/"]);
        assert_eq!(out.status.code(), Some(2), "{name}: usage error");
        assert!(out.stdout.is_empty());
        assert!(
            stderr(&out).contains(&format!("did you mean -r {name}?")),
            "{}",
            stderr(&out)
        );
    }
    // -r with a file name that does not exist says so, instead of asking for a project.
    let out = resolve(
        dir.path(),
        &["-r", "requirments.in", "-i", "http://127.0.0.1:9/"],
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("requirments.in does not exist"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn editables_and_urls_are_refused_with_file_and_line() {
    let dir = tempfile::tempdir().expect("dir");
    for (text, expected) in [
        ("app\n-e .\n", "requirements.txt:2: editable"),
        (
            "app @ http://127.0.0.1:9/app-1.0.tar.gz\n",
            "requirements.txt:1: \"app @ http://127.0.0.1:9/app-1.0.tar.gz\" is a URL",
        ),
        (
            "--find-links /wheels\napp\n",
            "--find-links is not supported",
        ),
    ] {
        std::fs::write(dir.path().join("requirements.txt"), text).expect("write");
        let out = resolve(
            dir.path(),
            &["-r", "requirements.txt", "-i", "http://127.0.0.1:9/simple/"],
        );
        assert_eq!(out.status.code(), Some(3), "{text:?}");
        assert!(out.stdout.is_empty());
        assert!(
            stderr(&out).contains(expected),
            "{text:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn nothing_on_stdout_when_resolution_fails() {
    let index = index();
    let dir = tempfile::tempdir().expect("dir");
    let url = index.url();
    for format in ["requirements-txt", "pylock-toml"] {
        let mut args = vec!["app==2.0", "lib<2", "-i", &url, "--format", format];
        args.extend(TARGET);
        let out = resolve(dir.path(), &args);
        assert_eq!(out.status.code(), Some(3), "{format}: no solution");
        assert!(
            out.stdout.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let err = stderr(&out);
        assert!(err.contains("error: no set of releases"), "{err}");
        assert!(err.contains("you require lib<2"), "{err}");
        assert!(err.contains("hint:"), "{err}");
    }
    // -o FILE gets the JSON failure document (the workflow has something to upload).
    let written = dir.path().join("requirements.txt");
    let written_arg = written.display().to_string();
    let mut args = vec!["app==2.0", "lib<2", "-i", &url, "-o", &written_arg];
    args.extend(TARGET);
    let out = resolve(dir.path(), &args);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&written).expect("written")).expect("JSON");
    assert_eq!(doc["result"]["error_kind"], "input", "{doc:#}");
}

#[test]
fn uv_and_docker_platform_spellings() {
    let index = index();
    let dir = tempfile::tempdir().expect("dir");
    let url = index.url();
    for (platform, expected) in [
        ("aarch64-manylinux_2_28", "native==2.0"),
        ("aarch64-unknown-linux-gnu", "native==2.0"),
        ("linux/arm64", "native==2.0"),
        ("linux/arm64/v8", "native==2.0"),
        ("x86_64-manylinux_2_28", "native==1.0"),
        ("x86_64-unknown-linux-gnu", "native==1.0"),
        ("linux/amd64", "native==1.0"),
        ("linux", "native==1.0"),
    ] {
        let out = resolve(
            dir.path(),
            &[
                "native",
                "-i",
                &url,
                "--python-version",
                "3.11",
                "--platform",
                platform,
            ],
        );
        assert_eq!(pins(&out), [expected], "{platform}");
    }
    let out = resolve(
        dir.path(),
        &["native", "-i", &url, "--platform", "linux/mips64"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("linux/arm64"), "{}", stderr(&out));
}

#[test]
fn the_default_target_is_the_machines_python3() {
    let python3 = Command::new("python3")
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .expect("python3 is on the machine (.ci installs it)");
    let version = String::from_utf8_lossy(&python3.stdout).trim().to_owned();
    let index = index();
    let dir = tempfile::tempdir().expect("dir");
    let url = index.url();
    let out = resolve(dir.path(), &["lib", "-i", &url]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        text.contains(&format!("for Python {version} on "))
            && text.contains("(the target of python3 on PATH)"),
        "{text}"
    );
    // The document records the interpreter chosen.
    let doc = Command::new(env!("CARGO_BIN_EXE_solver"))
        .args(["python", "-T", "-r", "lib==1.0", "-i", &url])
        .env_clear()
        .env("HOME", dir.path())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .expect("run");
    let doc: serde_json::Value = serde_json::from_slice(&doc.stdout).expect("JSON");
    let python = &doc["metadata"]["python"];
    assert_eq!(
        format!("{}.{}", python["major"], python["minor"]),
        version,
        "{python}"
    );
    assert_eq!(
        doc["result"]["environment"]["python_version"], version,
        "{doc:#}"
    );

    // Without a python3 on PATH and no --python-version: a usage error that asks for one,
    // rather than an answer for a guessed interpreter.
    let empty = tempfile::tempdir().expect("empty PATH");
    let out = resolve_with_path(
        dir.path(),
        &empty.path().display().to_string(),
        &["lib", "-i", &url],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        stderr(&out).contains("no Python version for the target")
            && stderr(&out).contains("--python-version"),
        "{}",
        stderr(&out)
    );
    // The version given, the platform from this machine: resolves.
    let out = resolve_with_path(
        dir.path(),
        &empty.path().display().to_string(),
        &["lib", "-i", &url, "--python-version", "3.12"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("for Python 3.12 on "),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `python` at a terminal without -o: one row per version described with what it depends
/// on, then how to get the document; `--format json` gives the document there.
#[test]
fn python_at_a_terminal_shows_a_table() {
    let index = index();
    let dir = tempfile::tempdir().expect("dir");
    let url = index.url();
    let bin = env!("CARGO_BIN_EXE_solver");
    let args = [
        "python",
        "-r",
        "app==2.0",
        "-i",
        &url,
        "--python-version",
        "3.11",
        "--platform",
        "linux-x86_64",
    ];
    let (code, screen) = common::golden::at_terminal(bin, &args, dir.path());
    assert_eq!(code, Some(0), "{screen}");
    let row = screen
        .lines()
        .find(|l| l.starts_with("app "))
        .unwrap_or_else(|| panic!("no app row: {screen}"));
    assert!(row.contains("2.0") && row.contains("lib>=2"), "{row}");
    assert!(
        screen.contains("NAME") && screen.contains("DEPENDS ON"),
        "{screen}"
    );
    assert!(
        screen.contains("--format json for the JSON document"),
        "{screen}"
    );
    assert!(!screen.contains("\"tree\""), "{screen}");

    let mut json = args.to_vec();
    json.extend(["--format", "json"]);
    let (_, screen) = common::golden::at_terminal(bin, &json, dir.path());
    assert!(screen.contains("\"tree\""), "{screen}");
}
