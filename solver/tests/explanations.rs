//! Issue 16: a failed resolution explains itself in the user's terms: `your requirements`,
//! project names and PEP 440 specifiers (not PubGrub's ranges or its root package "0"), then
//! why releases were left out (yanked, tags, Requires-Python). Against a loopback index; the
//! assertions are on content, not on whole strings.

mod support;

use std::process::Command;

use common::testindex::{PageFormat, TestFile, TestIndex};
use support::*;

fn index() -> TestIndex {
    let index = start(PageFormat::Json);
    index.add_project(
        "flask",
        vec![
            pure("flask", "1.1", &["click>=5"], true),
            pure("flask", "2.0", &["click>=8"], true),
            pure("flask", "2.1", &["click>=8"], true),
        ],
    );
    index.add_project(
        "click",
        vec![
            pure("click", "7.1", &[], true),
            pure("click", "8.0", &[], true),
        ],
    );
    // A dependency pins a release that is yanked (PEP 592: not eligible through a dependency).
    index.add_project(
        "pinsyanked",
        vec![pure("pinsyanked", "1.0", &["gone==2.0"], true)],
    );
    let mut gone = pure("gone", "2.0", &[], true);
    gone.yanked = Some("broken build".into());
    index.add_project("gone", vec![gone]);
    // Only a macOS wheel.
    let meta = metadata("maconly", "1.0", &[], "");
    let (filename, content) = wheel("maconly", "1.0", "cp311-cp311-macosx_11_0_arm64", &meta);
    let mut mac = TestFile::new(&filename, &content);
    mac.metadata = Some(meta);
    index.add_project("maconly", vec![mac]);
    // Every release needs an older Python than the target's.
    let mut old = pure("oldpy", "1.0", &[], true);
    old.requires_python = Some("<3.8".into());
    index.add_project("oldpy", vec![old]);
    index
}

/// The explanation `solver resolve` prints on stderr for `requirements`, which must fail.
fn explanation(index: &TestIndex, requirements: &[&str]) -> String {
    let home = tempfile::tempdir().expect("home");
    let out = Command::new(env!("CARGO_BIN_EXE_solver"))
        .arg("resolve")
        .args(requirements)
        .args(["-i", &index.url()])
        .args(["--python-version", "3.11", "--platform", "linux-x86_64"])
        .env_clear()
        .env("HOME", home.path())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .expect("run solver");
    assert_eq!(out.status.code(), Some(3), "{requirements:?} must fail");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    // Never PubGrub's own vocabulary.
    for raw in [
        "the requirements 0",
        "is forbidden",
        "is mandatory",
        "∅",
        "Not (",
    ] {
        assert!(!text.contains(raw), "{raw:?} in {text}");
    }
    text
}

fn assert_all(text: &str, words: &[&str]) {
    for w in words {
        assert!(text.contains(w), "{w:?} missing from:\n{text}");
    }
}

#[test]
fn a_dependency_against_the_users_own_bound() {
    let index = index();
    let text = explanation(&index, &["flask>=2", "click<8"]);
    assert_all(
        &text,
        &[
            "you require flask>=2",
            "depends on click>=8",
            "you require click<8",
            "your requirements cannot be satisfied.",
        ],
    );
}

#[test]
fn a_yanked_pin_through_a_dependency() {
    let index = index();
    let text = explanation(&index, &["pinsyanked"]);
    assert_all(
        &text,
        &[
            "pinsyanked",
            "depends on gone",
            "Why releases were left out:",
            "gone 2.0 is yanked (PEP 592",
            "required as `gone ==2.0`",
        ],
    );
}

#[test]
fn no_file_for_the_target_platform() {
    let index = index();
    let text = explanation(&index, &["maconly"]);
    assert_all(
        &text,
        &[
            "no release of maconly can be used",
            "Why releases were left out:",
            "maconly 1.0 has no file installable on the target",
            "macosx_11_0_arm64",
        ],
    );
}

#[test]
fn requires_python_excludes_the_target() {
    let index = index();
    let text = explanation(&index, &["oldpy>=1.0"]);
    assert_all(
        &text,
        &[
            "no release of oldpy>=1.0 can be used",
            "oldpy 1.0 has no file installable on the target",
            "Requires-Python",
        ],
    );
}
