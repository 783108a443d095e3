//! `completions SHELL` and `man` (common::completions, shared by the four binaries), checked
//! with the programs that consume them: the shells load the scripts (bash also completes with
//! it), man and groff render the page. Also `-o table` (a syft habit) is refused.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_buildlog-parser");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("binary runs")
}

fn stdout_of(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Runs `program args`, failing with what it said when it does not succeed.
fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "120")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (install it: .ci/apt-packages): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.to_str().expect("UTF-8 path").to_owned()
}

/// What bash offers for the words typed so far (the last one is being completed).
fn bash_completes(script: &str, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = words[cword - 1];
    let cur = words[cword];
    let program = format!(
        "source '{script}'; COMP_WORDS=({}); COMP_CWORD={cword}; \
         _buildlog__parser buildlog-parser '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        quoted.join(" ")
    );
    tool("bash", &["-c", &program])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_script_loads_and_completes_subcommands_options_and_shells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = write(
        dir.path(),
        "buildlog-parser.bash",
        &stdout_of(&["completions", "bash"]),
    );
    tool("bash", &["-n", &script]);

    let top = bash_completes(&script, &["buildlog-parser", ""]);
    for word in ["parse", "completions", "man", "--help", "--log-format"] {
        assert!(top.iter().any(|w| w == word), "{word} not in {top:?}");
    }
    let parse = bash_completes(&script, &["buildlog-parser", "parse", "--in"]);
    assert_eq!(parse, ["--input"], "options of the subcommand");
    let shells = bash_completes(&script, &["buildlog-parser", "completions", ""]);
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        assert!(
            shells.iter().any(|w| w == shell),
            "{shell} not in {shells:?}"
        );
    }
}

#[test]
fn zsh_and_fish_load_their_scripts_and_every_shell_has_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zsh = write(
        dir.path(),
        "_buildlog-parser",
        &stdout_of(&["completions", "zsh"]),
    );
    tool("zsh", &["-n", &zsh]);
    let fish = write(
        dir.path(),
        "buildlog-parser.fish",
        &stdout_of(&["completions", "fish"]),
    );
    tool("fish", &["--no-execute", &fish]);
    for shell in ["powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(
            script.contains("buildlog-parser") && script.contains("--input"),
            "{shell}: {script}"
        );
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("possible values: bash"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn man_page_renders_with_man_and_groff_and_documents_the_options() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = write(dir.path(), "buildlog-parser.1", &stdout_of(&["man"]));
    let shown = tool("man", &["-l", &page]);
    for text in [
        "buildlog-parser",
        "--log-format",
        "--json-schema",
        "SUBCOMMANDS",
    ] {
        assert!(shown.contains(text), "{text} not in:\n{shown}");
    }
    let groff = tool("groff", &["-man", "-Tutf8", "-P-cbou", &page]);
    assert!(groff.contains("buildlog-parser-parse(1)"), "{groff}");
    assert!(groff.contains("completions bash"), "footer: {groff}");
}

#[test]
fn man_dir_gets_one_page_per_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_arg = dir.path().to_str().expect("UTF-8 path");
    stdout_of(&["man", "--dir", dir_arg]);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "buildlog-parser-completions.1",
            "buildlog-parser-man.1",
            "buildlog-parser-parse.1",
            "buildlog-parser.1"
        ]
    );
    let parse = tool(
        "man",
        &[
            "-l",
            &dir.path().join("buildlog-parser-parse.1").to_string_lossy(),
        ],
    );
    assert!(parse.contains("--input"), "{parse}");

    let missing = run(&["man", "--dir", &format!("{dir_arg}/missing")]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not a directory"));
}

#[test]
fn syft_output_format_is_a_usage_error_that_points_to_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    for value in ["table", "cyclonedx-json=sbom.json"] {
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .args(["parse", "-o", value])
            .output()
            .expect("binary runs");
        assert_eq!(out.status.code(), Some(2), "{value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("use --format NAME -o"), "{stderr}");
    }
    let written: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert!(written.is_empty(), "nothing written: {written:?}");
}
