//! Running the built checker with a clean environment, and lock files written for tests.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

/// Gives `cmd` the checker's test environment: only `PATH`, `HOME` set to `dir` (empty), no
/// pip configuration, and `env`; runs it in `dir`.
pub fn clean_env(cmd: &mut Command, dir: &Path, env: &[(&str, &str)]) {
    cmd.current_dir(dir).env_clear();
    if let Ok(path) = std::env::var("PATH") {
        cmd.env("PATH", path);
    }
    cmd.env("HOME", dir).env("PIP_CONFIG_FILE", "/dev/null");
    for (k, v) in env {
        cmd.env(k, v);
    }
}

/// Runs `provenance-checker provenance ARGS` in `dir` (see [`clean_env`]); returns the exit
/// code, the document and stderr.
pub fn run_with_stderr(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, Value, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_provenance-checker"));
    cmd.arg("provenance").args(args);
    clean_env(&mut cmd, dir, env);
    let out = cmd.output().expect("the checker runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}); stderr:\n{stderr}"));
    (out.status.code().unwrap_or(-1), doc, stderr)
}

/// [`run_with_stderr`] without stderr.
pub fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let (code, doc, _) = run_with_stderr(dir, args, env);
    (code, doc)
}

/// The findings with this id.
pub fn findings<'a>(doc: &'a Value, id: &str) -> Vec<&'a Value> {
    doc["result"]["report"]
        .as_array()
        .map(|r| r.iter().filter(|f| f["id"] == id).collect())
        .unwrap_or_default()
}

/// The ids of all findings, in order.
pub fn ids(doc: &Value) -> Vec<String> {
    doc["result"]["report"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|f| f["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A Pipfile (TOML) naming `sources` (name, url, verify_ssl) and `packages` (name, index).
pub fn pipfile(sources: &[(&str, &str, bool)], packages: &[(&str, Option<&str>)]) -> String {
    let mut text = String::new();
    for (name, url, verify) in sources {
        text.push_str(&format!(
            "[[source]]\nname = \"{name}\"\nurl = \"{url}\"\nverify_ssl = {verify}\n\n"
        ));
    }
    text.push_str("[packages]\n");
    for (name, index) in packages {
        match index {
            Some(i) => text.push_str(&format!("{name} = {{version = \"*\", index = \"{i}\"}}\n")),
            None => text.push_str(&format!("{name} = \"*\"\n")),
        }
    }
    text.push_str("\n[dev-packages]\n\n[requires]\npython_version = \"3.11\"\n");
    text
}

/// A Pipfile.lock for `pipfile_text` (its `_meta.hash` computed as pipenv does) locking
/// `packages`: (name, version, sha256 digests, index).
pub fn pipfile_lock(
    pipfile_text: &str,
    packages: &[(&str, &str, Vec<String>, Option<&str>)],
) -> String {
    let pipfile: toml::Table = toml::from_str(pipfile_text).expect("the test's Pipfile");
    let pipfile = serde_json::to_value(pipfile).expect("json");
    let hash = provenance_checker::pipenv_hash::pipfile_hash(&pipfile);
    let mut default = serde_json::Map::new();
    for (name, version, digests, index) in packages {
        let mut entry = json!({
            "version": format!("=={version}"),
            "hashes": digests.iter().map(|d| format!("sha256:{d}")).collect::<Vec<_>>(),
        });
        if let Some(i) = index {
            entry["index"] = json!(i);
        }
        default.insert((*name).to_owned(), entry);
    }
    let lock = json!({
        "_meta": {
            "hash": {"sha256": hash},
            "pipfile-spec": 6,
            "requires": pipfile["requires"],
            "sources": pipfile["source"],
        },
        "default": default,
        "develop": {},
    });
    serde_json::to_string_pretty(&lock).expect("json")
}
