//! `solver resolve` and `uv pip compile` on the same loopback index and target: the same
//! releases, for every requirement set; both refuse the impossible one, and the solver says why.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use common::testindex::{PageFormat, TestFile, TestIndex};
use support::*;

/// A small ecosystem with the usual difficulties: upper bounds that force backtracking, an
/// extra, a yanked release, a pre-release, a release whose Requires-Python excludes the target,
/// platform markers, and a project published without metadata files (read by range requests).
fn publish(index: &TestIndex) {
    let file = |name: &str, version: &str, requires: &[&str]| pure(name, version, requires, true);
    index.add_project(
        "app",
        vec![
            file("app", "1.0", &["lib>=1,<3", "util[extra1]"]),
            file("app", "2.0", &["lib>=2", "util"]),
        ],
    );
    let mut yanked = file("lib", "2.6", &[]);
    yanked.yanked = Some("regression".into());
    index.add_project(
        "lib",
        vec![
            file("lib", "1.0", &[]),
            file("lib", "1.5", &[]),
            file("lib", "2.0", &["util>=1.1"]),
            file("lib", "2.5", &["util<2"]),
            yanked,
            file("lib", "3.0rc1", &[]),
        ],
    );
    let meta = metadata(
        "util",
        "1.1",
        &["helper; extra == \"extra1\""],
        "Provides-Extra: extra1\n",
    );
    let (name, content) = wheel("util", "1.1", "py3-none-any", &meta);
    let mut util11 = TestFile::new(&name, &content);
    util11.metadata = Some(meta);
    index.add_project(
        "util",
        vec![
            file("util", "1.0", &[]),
            util11,
            file("util", "2.0", &["helper>=2"]),
        ],
    );
    let mut helper2 = file("helper", "2.0", &[]);
    helper2.requires_python = Some(">=3.13".into());
    index.add_project(
        "helper",
        vec![
            file("helper", "1.0", &[]),
            file("helper", "1.5", &[]),
            helper2,
        ],
    );
    // Published without metadata files: both tools read the wheels themselves.
    index.add_project(
        "osdep",
        vec![pure(
            "osdep",
            "1.0",
            &[
                "winlib; sys_platform == \"win32\"",
                "linuxlib>=1; sys_platform == \"linux\"",
            ],
            false,
        )],
    );
    index.add_project(
        "linuxlib",
        vec![
            pure("linuxlib", "1.0", &[], false),
            pure("linuxlib", "1.2", &[], false),
        ],
    );
    let meta = metadata("winlib", "1.0", &[], "");
    let (name, content) = wheel("winlib", "1.0", "py3-none-win_amd64", &meta);
    index.add_project("winlib", vec![TestFile::new(&name, &content)]);
}

fn pins(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with("--") && l.contains("=="))
        .map(|l| l.trim_end_matches('\\').trim().to_ascii_lowercase())
        .collect()
}

/// Runs the solver with `-o FILE`; `Ok(pins)` or `Err(document)`: the lock on success, the
/// JSON failure document otherwise, in the file, and nothing on stdout either way.
fn solver(index: &str, requirements: &str) -> Result<BTreeSet<String>, serde_json::Value> {
    let home = tempfile::tempdir().expect("home");
    let written = home.path().join("out.txt");
    let out = Command::new(env!("CARGO_BIN_EXE_solver"))
        .args([
            "resolve",
            "-r",
            requirements,
            "-i",
            index,
            "--python-version",
            "3.11",
            "--platform",
            "linux-x86_64",
        ])
        .arg("-o")
        .arg(&written)
        .env_clear()
        .env("HOME", home.path())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .expect("run solver");
    assert!(out.stdout.is_empty(), "-o names a file: stdout stays empty");
    let text = std::fs::read_to_string(&written).expect("-o file written");
    if out.status.success() {
        Ok(pins(&text))
    } else {
        Err(serde_json::from_str(&text).unwrap_or_else(|_| text.clone().into()))
    }
}

/// Runs `uv pip compile` for the same target; `Ok(pins)` or `Err(stderr)`.
fn uv(index: &str, requirements: &str) -> Result<BTreeSet<String>, String> {
    let dir = tempfile::tempdir().expect("dir");
    let input = dir.path().join("requirements.in");
    std::fs::write(&input, requirements.replace("\\n", "\n")).expect("write");
    let out = Command::new("uv")
        .current_dir(dir.path())
        .args([
            "pip",
            "compile",
            "requirements.in",
            "--index-url",
            index,
            "--python-version",
            "3.11",
        ])
        .args([
            "--python-platform",
            "x86_64-manylinux_2_28",
            "--no-header",
            "--no-annotate",
            "--quiet",
            "--no-config",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("UV_CACHE_DIR", dir.path().join("cache"))
        .env("UV_NO_PROGRESS", "1")
        .output()
        .expect("uv is installed by .ci/run (PyPI uv)");
    if out.status.success() {
        Ok(pins(&String::from_utf8_lossy(&out.stdout)))
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn the_same_releases_as_uv() {
    let index = start(PageFormat::Json);
    index.serve_ranges();
    publish(&index);
    let url = index.url();
    let sets = [
        "app",
        "app==1.0",
        "lib<2\\nutil>=1.1",
        "osdep",
        "app\\nlib>=3.0rc1",
        "util[extra1]",
        "lib==2.6",
        "lib>=2.5\\nhelper",
    ];
    for set in sets {
        let ours =
            solver(&url, set).unwrap_or_else(|doc| panic!("solver failed on {set:?}: {doc:#}"));
        let theirs = uv(&url, set).unwrap_or_else(|e| panic!("uv failed on {set:?}: {e}"));
        assert_eq!(ours, theirs, "requirements {set:?}");
        assert!(!ours.is_empty());
    }
}

#[test]
fn an_impossible_set_is_refused_with_the_reason() {
    let index = start(PageFormat::Json);
    publish(&index);
    let url = index.url();
    let set = "app==2.0\\nlib<2";
    assert!(uv(&url, set).is_err(), "uv finds no resolution either");
    let doc = solver(&url, set).expect_err("no resolution");
    assert_eq!(doc["result"]["error_kind"], "input", "{doc:#}");
    let message = doc["result"]["error_msg"].as_str().expect("message");
    assert!(
        message.contains("app") && message.contains("lib"),
        "{message}"
    );
}

#[test]
fn pylock_output() {
    let index = start(PageFormat::Json);
    publish(&index);
    let home = tempfile::tempdir().expect("home");
    let out = Command::new(env!("CARGO_BIN_EXE_solver"))
        .args([
            "resolve",
            "-r",
            "app==1.0",
            "-i",
            &index.url(),
            "--python-version",
            "3.11",
            "--platform",
            "linux-x86_64",
            "--format",
            "pylock-toml",
        ])
        .env_clear()
        .env("HOME", home.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let lock: toml::Value =
        toml::from_str(&String::from_utf8_lossy(&out.stdout)).expect("pylock.toml is TOML");
    assert_eq!(lock["lock-version"].as_str(), Some("1.0"));
    let packages = lock["packages"].as_array().expect("packages");
    let app = packages
        .iter()
        .find(|p| p["name"].as_str() == Some("app"))
        .expect("app");
    assert_eq!(app["version"].as_str(), Some("1.0"));
    let wheel = &app["wheels"][0];
    assert_eq!(wheel["name"].as_str(), Some("app-1.0-py3-none-any.whl"));
    assert_eq!(wheel["hashes"]["sha256"].as_str().map(str::len), Some(64));
}
