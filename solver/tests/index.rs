//! `solver python` against real indexes on loopback: a PEP 691 JSON index with metadata files
//! and a PEP 503 HTML index without them (metadata read from the wheels by range requests, or
//! from whole wheels when ranges are not served), sdists with static and dynamic metadata,
//! pre-releases, yanks, markers, extras, cycles, failing and unreachable indexes.

mod support;

use std::process::Command;

use common::testindex::{PageFormat, TestFile, TestIndex};
use serde_json::Value;
use support::*;

/// Runs the solver with no pip configuration from the machine, returns (exit code, document).
fn solve(args: &[&str]) -> (i32, Value) {
    solve_with(args, &[])
}

/// [`solve`] with these environment variables.
fn solve_with(args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let home = tempfile::tempdir().expect("home");
    let out = Command::new(env!("CARGO_BIN_EXE_solver"))
        .args(["python"])
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .expect("run solver");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), doc)
}

/// The indexes every test uses: `alpha` (three releases, a pre-release, a yanked one; depends on
/// beta, on gamma for an extra, on winonly on Windows), `beta` (its newer release depends back
/// on alpha: a cycle), `gamma` (only an sdist with static metadata), `dynamic` (only an sdist
/// whose dependencies are dynamic), `winonly` (only a Windows wheel), `native` (CPython 3.11
/// manylinux and Windows wheels).
fn publish(index: &TestIndex, metadata_files: bool) {
    let alpha_requires = [
        "beta>=1.0",
        "gamma[speed]; extra == \"fast\"",
        "winonly; sys_platform == \"win32\"",
    ];
    let mut yanked = pure("alpha", "3.0", &alpha_requires, metadata_files);
    yanked.yanked = Some("broken".into());
    index.add_project(
        "alpha",
        vec![
            pure("alpha", "1.0", &["beta"], metadata_files),
            pure("alpha", "2.0", &alpha_requires, metadata_files),
            pure("alpha", "2.1rc1", &alpha_requires, metadata_files),
            yanked,
        ],
    );
    index.add_project(
        "beta",
        vec![
            pure("beta", "1.0", &[], metadata_files),
            pure("beta", "1.5", &["alpha>=2"], metadata_files),
        ],
    );
    let (name, content) = sdist(
        "gamma",
        "0.1",
        b"Metadata-Version: 2.2\nName: gamma\nVersion: 0.1\nLicense-Expression: Apache-2.0\nProvides-Extra: speed\n",
    );
    index.add_project("gamma", vec![TestFile::new(&name, &content)]);
    let (name, content) = sdist(
        "dynamic",
        "1.0",
        b"Metadata-Version: 2.2\nName: dynamic\nVersion: 1.0\nDynamic: Requires-Dist\n",
    );
    index.add_project("dynamic", vec![TestFile::new(&name, &content)]);
    let meta = metadata("winonly", "1.0", &[], "");
    let (name, content) = wheel("winonly", "1.0", "py3-none-win_amd64", &meta);
    index.add_project("winonly", vec![TestFile::new(&name, &content)]);
    let meta = metadata("native", "1.0", &[], "Requires-Python: >=3.11\n");
    let (a, a_content) = wheel("native", "1.0", "cp311-cp311-manylinux_2_17_x86_64", &meta);
    let (b, b_content) = wheel("native", "1.0", "cp311-cp311-win_amd64", &meta);
    let mut linux = TestFile::new(&a, &a_content);
    linux.requires_python = Some(">=3.11".into());
    index.add_project("native", vec![linux, TestFile::new(&b, &b_content)]);
}

fn entries<'a>(doc: &'a Value, name: &str) -> Vec<&'a Value> {
    doc["result"]["tree"]
        .as_array()
        .expect("tree")
        .iter()
        .filter(|e| e["package_name"] == name)
        .collect()
}

fn versions(doc: &Value, name: &str) -> Vec<String> {
    entries(doc, name)
        .iter()
        .map(|e| e["package_version"].as_str().expect("version").to_owned())
        .collect()
}

const TARGET: [&str; 4] = ["--python-version", "3.11", "--platform", "linux-x86_64"];

fn with_target<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(TARGET);
    all
}

#[test]
fn json_index_with_metadata_files() {
    let index = start(PageFormat::Json);
    publish(&index, true);
    let url = index.url();
    let (code, doc) = solve(&with_target(&["-r", "alpha>=1\\nnative", "-i", &url]));
    assert_eq!(code, 0, "{doc:#}");
    let result = &doc["result"];
    // Every version the range allows, pre-releases included, the yanked one not.
    assert_eq!(versions(&doc, "alpha"), ["1.0", "2.0", "2.1rc1"]);
    // Transitively: beta's releases, and through the extra gamma's; the cycle ends.
    assert_eq!(versions(&doc, "beta"), ["1.0", "1.5"]);
    assert_eq!(versions(&doc, "gamma"), ["0.1"]);
    let alpha2 = entries(&doc, "alpha")[1];
    assert_eq!(alpha2["metadata_source"], "metadata-file");
    // Recorded as Thoth records it: without the trailing slash.
    assert_eq!(alpha2["index_url"], url.trim_end_matches('/'));
    assert_eq!(
        alpha2["package_license"]["license"]["identifier_spdx"],
        "MIT"
    );
    assert_eq!(
        alpha2["importlib_metadata"]["files"],
        Value::Null,
        "a metadata file has no RECORD"
    );
    let deps = alpha2["dependencies"].as_array().expect("deps");
    let beta = deps
        .iter()
        .find(|d| d["package_name"] == "beta")
        .expect("beta");
    assert_eq!(
        beta["resolved_versions"][0]["versions"],
        serde_json::json!(["1.0", "1.5"])
    );
    assert_eq!(beta["specifier"], ">=1.0");
    let gamma = deps
        .iter()
        .find(|d| d["package_name"] == "gamma")
        .expect("gamma");
    assert_eq!(gamma["extra"], serde_json::json!(["fast"]));
    assert_eq!(gamma["extras"], serde_json::json!(["speed"]));
    assert_eq!(gamma["marker_evaluated"], "python_version >= \"0.0\"");
    assert_eq!(gamma["marker_evaluation_result"], true);
    let win = deps
        .iter()
        .find(|d| d["package_name"] == "winonly")
        .expect("winonly");
    assert_eq!(win["marker_evaluation_result"], false);
    // Thoth walks dependencies whatever their markers: winonly is there, and does not fit.
    let winonly = entries(&doc, "winonly");
    assert_eq!(winonly[0]["artifacts"][0]["fits_target"], false);
    // gamma: from its sdist, static metadata.
    let gamma = entries(&doc, "gamma")[0];
    assert_eq!(gamma["metadata_source"], "sdist");
    assert_eq!(
        gamma["package_license"]["license"]["identifier_spdx"],
        "Apache-2.0"
    );
    // native: the Linux wheel fits 3.11 on linux-x86_64, the Windows one does not.
    let native = entries(&doc, "native")[0];
    let fits: Vec<(String, bool)> = native["artifacts"]
        .as_array()
        .expect("artifacts")
        .iter()
        .map(|a| {
            (
                a["filename"].as_str().expect("f").to_owned(),
                a["fits_target"].as_bool().expect("b"),
            )
        })
        .collect();
    assert!(
        fits.contains(&(
            "native-1.0-cp311-cp311-manylinux_2_17_x86_64.whl".into(),
            true
        )),
        "{fits:?}"
    );
    assert!(
        fits.contains(&("native-1.0-cp311-cp311-win_amd64.whl".into(), false)),
        "{fits:?}"
    );
    assert_eq!(native["sha256"].as_array().map(Vec::len), Some(2));
    assert_eq!(result["platform"], "linux-x86_64");
    assert_eq!(result["environment"]["python_version"], "3.11");
    assert!(
        result["errors"].as_array().expect("errors").is_empty(),
        "{:#}",
        result["errors"]
    );
}

#[test]
fn html_index_read_by_range_requests() {
    let index = start(PageFormat::Html);
    index.serve_ranges();
    publish(&index, false);
    let (code, doc) = solve(&with_target(&[
        "-r",
        "alpha==2.0",
        "-i",
        &index.url(),
        "-T",
    ]));
    assert_eq!(code, 0, "{doc:#}");
    assert_eq!(
        versions(&doc, "alpha"),
        ["2.0"],
        "{:#}",
        doc["result"]["errors"]
    );
    assert!(
        versions(&doc, "beta").is_empty(),
        "-T analyzes only the requirements"
    );
    let alpha = entries(&doc, "alpha")[0];
    assert_eq!(alpha["metadata_source"], "wheel-range");
    // The wheel was read, so its RECORD, entry points and import names are known.
    let files = alpha["importlib_metadata"]["files"]
        .as_array()
        .expect("files");
    assert!(
        files
            .iter()
            .any(|f| f["path"] == "alpha/__init__.py" && f["hash"]["mode"] == "sha256")
    );
    assert_eq!(alpha["packages"], serde_json::json!(["alpha", "alpha.sub"]));
    assert_eq!(
        alpha["importlib_metadata"]["entry_points"][0]["group"],
        "console_scripts"
    );
    // No file was downloaded whole: only ranges of it.
    let requests = index.requests();
    assert!(
        requests.iter().filter(|r| r.starts_with("/files/")).count() >= 2,
        "{requests:?}"
    );
}

#[test]
fn servers_without_ranges_and_the_files_option() {
    let index = start(PageFormat::Json);
    publish(&index, true);
    // With --files the wheel is read even though a metadata file exists; the server ignores
    // ranges, so the whole wheel comes, checked against its digest.
    let (code, doc) = solve(&with_target(&[
        "-r",
        "beta==1.0",
        "-i",
        &index.url(),
        "--files",
    ]));
    assert_eq!(code, 0, "{doc:#}");
    let beta = entries(&doc, "beta")[0];
    assert_eq!(beta["metadata_source"], "wheel-download");
    assert_eq!(beta["packages"], serde_json::json!(["beta", "beta.sub"]));
}

#[test]
fn dynamic_sdists_unresolved_and_unparsed_requirements() {
    let index = start(PageFormat::Json);
    publish(&index, true);
    let (code, doc) = solve(&with_target(&[
        "-r",
        "dynamic\\nno-such-project>=1\\nalpha==9.0\\nalpha===3.0\\nthis is not a requirement",
        "-i",
        &index.url(),
        "-T",
    ]));
    assert_eq!(code, 0, "{doc:#}");
    let result = &doc["result"];
    let error = &result["errors"][0];
    assert_eq!(error["package_name"], "dynamic");
    assert_eq!(error["type"], "metadata_unavailable");
    assert!(
        error["details"]["message"]
            .as_str()
            .expect("m")
            .contains("dynamic"),
        "{error}"
    );
    let unresolved = result["unresolved"].as_array().expect("unresolved");
    let missing = unresolved
        .iter()
        .find(|u| u["package_name"] == "no-such-project")
        .expect("missing");
    assert_eq!(missing["is_provided_package"], false);
    let nine = unresolved
        .iter()
        .find(|u| u["version_spec"] == "==9.0")
        .expect("9.0");
    assert_eq!(nine["is_provided_package"], true);
    assert_eq!(nine["is_provided_package_version"], false);
    // An exact pin takes a yanked release (PEP 592).
    assert_eq!(versions(&doc, "alpha"), ["3.0"]);
    assert_eq!(
        result["unparsed"][0]["requirement"],
        "this is not a requirement"
    );
}

#[test]
fn failing_and_unreachable_indexes() {
    let index = start(PageFormat::Json);
    publish(&index, true);
    index.fail("/simple/beta/", 100, 403);
    index.fail("/simple/gamma/", 100, 500);
    index.route(
        "/simple/broken/",
        200,
        "application/vnd.pypi.simple.v1+json",
        b"{not json",
    );
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = format!("http://{}/simple/", closed.local_addr().expect("addr"));
    drop(closed);
    let (code, doc) = solve(&with_target(&[
        "-r",
        "beta\\ngamma\\nbroken",
        "-i",
        &format!("{},{dead}", index.url()),
    ]));
    assert_eq!(code, 0, "{doc:#}");
    let unresolved = doc["result"]["unresolved"].as_array().expect("unresolved");
    let reason = |name: &str, index: &str| -> String {
        unresolved
            .iter()
            .find(|u| u["package_name"] == name && u["index_url"] == index.trim_end_matches('/'))
            .map(|u| u["reason"].as_str().expect("reason").to_owned())
            .unwrap_or_else(|| panic!("{name} on {index} not unresolved: {unresolved:#?}"))
    };
    assert!(reason("beta", &index.url()).contains("403"));
    assert!(reason("gamma", &index.url()).contains("500"));
    assert!(reason("broken", &index.url()).contains("cannot read"));
    assert!(reason("beta", &dead).contains("cannot reach"));
    // 500 is retried, 403 is not.
    let requests = index.requests();
    assert!(requests.iter().filter(|r| *r == "/simple/gamma/").count() > 1);
    assert_eq!(requests.iter().filter(|r| *r == "/simple/beta/").count(), 1);
}

/// uv's variables name the index as pip's do (common's discovery: UV_DEFAULT_INDEX, else
/// UV_INDEX_URL, with UV_INDEX and UV_EXTRA_INDEX_URL as extra indexes).
#[test]
fn uv_index_variables_name_the_index() {
    let index = start(PageFormat::Json);
    publish(&index, true);
    let url = index.url();
    let dead = "http://127.0.0.1:1/simple/";
    let named = format!("internal={url}");
    let cases: [&[(&str, &str)]; 3] = [
        &[("UV_INDEX_URL", &url), ("UV_EXTRA_INDEX_URL", dead)],
        &[("UV_DEFAULT_INDEX", &url), ("UV_INDEX_URL", dead)],
        &[("UV_INDEX", &named)],
    ];
    for env in cases {
        let (code, doc) = solve_with(&with_target(&["-r", "alpha==1.0"]), env);
        assert_eq!(code, 0, "{env:?}: {doc:#}");
        assert_eq!(
            entries(&doc, "alpha")[0]["index_url"],
            url.trim_end_matches('/'),
            "{env:?}"
        );
        assert_eq!(entries(&doc, "alpha")[0]["package_version"], "1.0");
        // An extra index is asked too: the dead one is recorded as unreachable.
        let asked_dead = doc["result"]["unresolved"].as_array().is_some_and(|u| {
            u.iter()
                .any(|e| e["index_url"] == dead.trim_end_matches('/'))
        });
        assert_eq!(
            asked_dead,
            env.iter().any(|(k, _)| *k == "UV_EXTRA_INDEX_URL"),
            "{env:?}"
        );
    }
}

#[test]
fn no_index_anywhere_is_a_usage_error() {
    let (code, doc) = solve(&["-r", "alpha"]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["result"]["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("PIP_INDEX_URL"),
        "{doc:#}"
    );
}

#[test]
fn limited_output_and_exclusions() {
    let index = start(PageFormat::Json);
    publish(&index, true);
    let (code, doc) = solve(&with_target(&[
        "-r",
        "alpha==1.0",
        "-i",
        &index.url(),
        "-l",
        "-e",
        "BETA",
    ]));
    assert_eq!(code, 0, "{doc:#}");
    assert!(versions(&doc, "beta").is_empty(), "beta is excluded");
    let alpha = entries(&doc, "alpha")[0];
    let keys: Vec<&String> = alpha["importlib_metadata"]["metadata"]
        .as_object()
        .expect("m")
        .keys()
        .collect();
    assert!(!keys.iter().any(|k| *k == "License"), "{keys:?}");
    assert!(keys.iter().any(|k| *k == "Requires-Dist"), "{keys:?}");
}
