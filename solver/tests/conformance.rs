//! PEP 440 / PEP 592 conformance, end to end: `solver resolve` against a loopback index of
//! generated packages, one scenario per rule, each with the answer the PEPs give; the same
//! scenarios through `uv pip compile`, which must agree except where the scenario records that
//! uv departs from the PEP (and why). The matcher's own unit tests are in `src/specifier.rs`.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use common::testindex::{PageFormat, TestFile, TestIndex};
use support::*;

const PYTHON: &str = "3.11";

fn file(name: &str, version: &str, requires: &[&str]) -> TestFile {
    pure(name, version, requires, true)
}

fn yanked(mut file: TestFile) -> TestFile {
    file.yanked = Some("broken".into());
    file
}

/// A wheel for a platform other than the target's (macOS arm64).
fn other_platform(name: &str, version: &str) -> TestFile {
    let meta = metadata(name, version, &[], "");
    let (filename, content) = wheel(name, version, "cp311-cp311-macosx_11_0_arm64", &meta);
    let mut file = TestFile::new(&filename, &content);
    file.metadata = Some(meta);
    file
}

/// A wheel built for the target (CPython 3.11 on Linux x86-64), as the CUDA indexes publish.
fn linux(name: &str, version: &str, requires: &[&str]) -> TestFile {
    let meta = metadata(name, version, requires, "");
    let (filename, content) = wheel(name, version, "cp311-cp311-linux_x86_64", &meta);
    let mut file = TestFile::new(&filename, &content);
    file.metadata = Some(meta);
    file
}

fn publish(index: &TestIndex) {
    // PyTorch's CUDA index: the local build for Linux next to a plain build for macOS.
    index.add_project(
        "torch",
        vec![
            other_platform("torch", "2.1.0"),
            linux("torch", "2.1.0+cu118", &[]),
            other_platform("torch", "2.0.1"),
            linux("torch", "2.0.1+cu118", &[]),
        ],
    );
    index.add_project("localonly", vec![file("localonly", "1.2.3+foo", &[])]);
    index.add_project(
        "needslocal",
        vec![file("needslocal", "1.0", &["exact==2.0.0"])],
    );
    index.add_project("exact", vec![file("exact", "2.0.0+foo", &[])]);
    index.add_project(
        "ple",
        vec![file("ple", "1.2.3", &[]), file("ple", "1.2.3.post1", &[])],
    );
    index.add_project(
        "pgt",
        vec![
            file("pgt", "1.2.3.post1", &[]),
            file("pgt", "1.2.3.post1+local", &[]),
        ],
    );
    index.add_project(
        "plt",
        vec![
            file("plt", "1.0", &[]),
            file("plt", "2.0a1", &[]),
            file("plt", "2.0", &[]),
        ],
    );
    index.add_project(
        "pgtpost",
        vec![
            file("pgtpost", "1.0", &[]),
            file("pgtpost", "1.0.post1", &[]),
        ],
    );
    index.add_project(
        "epoch",
        vec![file("epoch", "2.0", &[]), file("epoch", "1!1.0", &[])],
    );
    index.add_project(
        "wild",
        vec![
            file("wild", "1.4.9", &[]),
            file("wild", "1.5.0", &[]),
            file("wild", "1.40", &[]),
        ],
    );
    index.add_project(
        "compat",
        vec![
            file("compat", "2.2", &[]),
            file("compat", "2.9", &[]),
            file("compat", "3.0", &[]),
        ],
    );
    index.add_project(
        "arbitrary",
        vec![file("arbitrary", "1.0", &[]), file("arbitrary", "1.1", &[])],
    );
    index.add_project(
        "notlocal",
        vec![file("notlocal", "0.9", &[]), file("notlocal", "1.0+x", &[])],
    );
    // PEP 592.
    index.add_project(
        "pinyank",
        vec![
            file("pinyank", "1.0", &[]),
            yanked(file("pinyank", "2.0", &[])),
        ],
    );
    index.add_project("yankdep", vec![file("yankdep", "1.0", &["yanked==2.0.0"])]);
    index.add_project(
        "yanked",
        vec![
            file("yanked", "1.0.0", &[]),
            yanked(file("yanked", "2.0.0", &[])),
        ],
    );
    // PEP 440 "Pre-releases".
    index.add_project(
        "onlypre",
        vec![
            file("onlypre", "0.1.0", &[]),
            file("onlypre", "1.0.0a1", &[]),
        ],
    );
    index.add_project(
        "stable",
        vec![file("stable", "1.0", &[]), file("stable", "2.0b1", &[])],
    );
    index.add_project(
        "usesstable",
        vec![file("usesstable", "1.0", &["stable>=1.0"])],
    );
    index.add_project(
        "usesonlypre",
        vec![file("usesonlypre", "1.0", &["onlypre>0.1.0"])],
    );
    // Requires-Python with an upper bound the target is above.
    let mut capped = file("capped", "2.0", &[]);
    capped.requires_python = Some(">=3.8,<3.11".into());
    index.add_project("capped", vec![file("capped", "1.0", &[]), capped]);
}

/// What the PEPs say a requirement set resolves to.
enum Expect {
    Pins(&'static [&'static str]),
    /// No resolution; the explanation names the cause with these words.
    Refused(&'static [&'static str]),
}

/// What uv 0.13 does on the same scenario.
enum Uv {
    Agrees,
    /// uv departs from the PEP here: the pins it gives (or `None` for a refusal), and why.
    Differs(Option<&'static [&'static str]>, &'static str),
}

/// uv documents that it "only considers lower bounds" of Requires-Python; pip (and the
/// solver, which like pip resolves for one interpreter) evaluates the whole specifier against
/// the target's full version, so a release capped below the target is not installable.
const UV_REQUIRES_PYTHON: &str = "uv ignores Requires-Python upper bounds; pip does not";

struct Scenario {
    rule: &'static str,
    requirements: &'static str,
    expect: Expect,
    uv: Uv,
}

fn scenarios() -> Vec<Scenario> {
    use Expect::{Pins, Refused};
    vec![
        Scenario {
            rule: "local: torch==2.1.0 takes the +cu118 build when only it fits the target",
            requirements: "torch==2.1.0",
            expect: Pins(&["torch==2.1.0+cu118"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "local: ==V considers V+label next to a plain V that does not fit",
            requirements: "torch==2.0.1",
            expect: Pins(&["torch==2.0.1+cu118"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "local: ==1.2.3 matches 1.2.3+foo",
            requirements: "localonly==1.2.3",
            expect: Pins(&["localonly==1.2.3+foo"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "local: a transitive ==2.0.0 accepts 2.0.0+foo",
            requirements: "needslocal",
            expect: Pins(&["exact==2.0.0+foo", "needslocal==1.0"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "local: ==V+label must match the label",
            requirements: "torch==2.1.0+cpu",
            expect: Refused(&["local label", "2.1.0+cu118"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "local: !=V excludes V+label",
            requirements: "notlocal!=1.0",
            expect: Pins(&["notlocal==0.9"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "inclusive ordered: <=1.2.3 excludes 1.2.3.post1",
            requirements: "ple<=1.2.3",
            expect: Pins(&["ple==1.2.3"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "exclusive ordered: >1.2.3.post1 excludes 1.2.3.post1+local",
            requirements: "pgt>1.2.3.post1",
            expect: Refused(&["pgt"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "exclusive ordered: <2.0 excludes 2.0a1 (else the only match, eligible)",
            requirements: "plt>=1.5,<2.0",
            expect: Refused(&["plt"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "exclusive ordered: >1.0 excludes 1.0.post1",
            requirements: "pgtpost>1.0",
            expect: Refused(&["pgtpost"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "epochs: 1!1.0 is above 2.0",
            requirements: "epoch",
            expect: Pins(&["epoch==1!1.0"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "epochs: <3 leaves out epoch 1",
            requirements: "epoch<3",
            expect: Pins(&["epoch==2.0"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "wildcard: ==1.4.* is a release prefix (not 1.40)",
            requirements: "wild==1.4.*",
            expect: Pins(&["wild==1.4.9"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "compatible release: ~=2.2 is >=2.2, ==2.*",
            requirements: "compat~=2.2",
            expect: Pins(&["compat==2.9"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "arbitrary equality: ===1.0",
            requirements: "arbitrary===1.0",
            expect: Pins(&["arbitrary==1.0"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "PEP 592: a yanked release pinned exactly by the user is eligible",
            requirements: "pinyank==2.0",
            expect: Pins(&["pinyank==2.0"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "PEP 592: a yanked release is not chosen for an open range",
            requirements: "pinyank",
            expect: Pins(&["pinyank==1.0"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "PEP 592: a dependency's ==2.0.0 does not make yanked 2.0.0 eligible",
            requirements: "yankdep",
            expect: Refused(&["yanked 2.0.0 is yanked"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "pre-releases: a final release satisfies the specifier, so 2.0b1 is excluded",
            requirements: "stable",
            expect: Pins(&["stable==1.0"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "pre-releases: a specifier naming a pre-release admits them",
            requirements: "stable>=2.0b1",
            expect: Pins(&["stable==2.0b1"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "pre-releases: transitive stable range keeps finals",
            requirements: "usesstable",
            expect: Pins(&["stable==1.0", "usesstable==1.0"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "pre-releases: >0.1.0 with only 1.0.0a1 above it takes the pre-release",
            requirements: "onlypre>0.1.0",
            expect: Pins(&["onlypre==1.0.0a1"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "pre-releases: a transitive specifier only a pre-release satisfies",
            requirements: "usesonlypre",
            expect: Pins(&["onlypre==1.0.0a1", "usesonlypre==1.0"]),
            uv: Uv::Agrees,
        },
        Scenario {
            rule: "Requires-Python: an upper bound below the target excludes the release (as pip)",
            requirements: "capped",
            expect: Pins(&["capped==1.0"]),
            uv: Uv::Differs(Some(&["capped==2.0"]), UV_REQUIRES_PYTHON),
        },
        Scenario {
            rule: "Requires-Python: the explanation names it",
            requirements: "capped==2.0",
            expect: Refused(&["Requires-Python", "excludes Python 3.11"]),
            uv: Uv::Differs(Some(&["capped==2.0"]), UV_REQUIRES_PYTHON),
        },
        Scenario {
            rule: "tags: the explanation names the files that do not fit",
            requirements: "torch==2.1.0\ntorch<2.1",
            expect: Refused(&["torch"]),
            uv: Uv::Agrees,
        },
    ]
}

fn pins(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with("--") && l.contains("=="))
        .map(|l| l.trim_end_matches('\\').trim().to_ascii_lowercase())
        .collect()
}

/// `Ok(pins)` or `Err(error_msg)`.
fn solver(index: &str, requirements: &str) -> Result<BTreeSet<String>, String> {
    let home = tempfile::tempdir().expect("home");
    let out = Command::new(env!("CARGO_BIN_EXE_solver"))
        .args(["resolve", "-r", requirements, "-i", index])
        .args(["--python-version", PYTHON, "--platform", "linux-x86_64"])
        .env_clear()
        .env("HOME", home.path())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .expect("run solver");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(pins(&stdout))
    } else {
        // A failed resolution writes nothing to stdout (it would be a requirements file).
        assert!(stdout.is_empty(), "stdout on failure: {stdout}");
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn uv(index: &str, requirements: &str) -> Result<BTreeSet<String>, String> {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("requirements.in"), requirements).expect("write");
    let out = Command::new("uv")
        .current_dir(dir.path())
        .args(["pip", "compile", "requirements.in", "--index-url", index])
        .args(["--python-version", PYTHON])
        .args(["--python-platform", "x86_64-manylinux_2_28"])
        .args(["--no-header", "--no-annotate", "--quiet", "--no-config"])
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

fn expected_pins(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|p| p.to_ascii_lowercase()).collect()
}

#[test]
fn every_rule_end_to_end_and_against_uv() {
    let index = start(PageFormat::Json);
    publish(&index);
    let url = index.url();
    let mut failures = Vec::new();
    for scenario in scenarios() {
        let requirements = scenario.requirements;
        let ours = solver(&url, requirements);
        match (&scenario.expect, &ours) {
            (Expect::Pins(want), Ok(got)) if expected_pins(want) == *got => {}
            (Expect::Refused(words), Err(message)) if words.iter().all(|w| message.contains(w)) => {
            }
            _ => failures.push(format!("{}: solver gave {ours:?}", scenario.rule)),
        }
        let theirs = uv(&url, requirements);
        let agrees = match &theirs {
            Ok(p) => ours.as_ref().is_ok_and(|o| o == p),
            Err(_) => ours.is_err(),
        };
        match &scenario.uv {
            Uv::Agrees if !agrees => failures.push(format!(
                "{}: uv gave {theirs:?}, solver {ours:?}",
                scenario.rule
            )),
            Uv::Differs(uv_pins, why) => {
                let as_recorded = match (uv_pins, &theirs) {
                    (None, Err(_)) => true,
                    (Some(p), Ok(t)) => expected_pins(p) == *t,
                    _ => false,
                };
                if agrees || !as_recorded {
                    failures.push(format!(
                        "{}: recorded as a uv difference ({why}) but uv gave {theirs:?}",
                        scenario.rule
                    ));
                }
            }
            Uv::Agrees => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The walk (`solver python`) uses the same matcher and the same PEP 592 rule: a dependency's
/// `yanked==2.0.0` lists no version, the user's own `yanked==2.0.0` does; `==2.0.0` of a
/// dependency lists the local build `2.0.0+foo`.
#[test]
fn the_walk_follows_the_same_rules() {
    let index = start(PageFormat::Json);
    publish(&index);
    let walk = |requirements: &str| -> serde_json::Value {
        let home = tempfile::tempdir().expect("home");
        let out = Command::new(env!("CARGO_BIN_EXE_solver"))
            .args(["python", "-T", "-r", requirements, "-i", &index.url()])
            .args(["--python-version", PYTHON, "--platform", "linux-x86_64"])
            .env_clear()
            .env("HOME", home.path())
            .env("PIP_CONFIG_FILE", "/dev/null")
            .output()
            .expect("run solver");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let dependency_versions = |doc: &serde_json::Value| -> Vec<String> {
        doc["result"]["tree"][0]["dependencies"][0]["resolved_versions"][0]["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(|v| v.as_str().expect("text").to_owned())
            .collect()
    };
    let doc = walk("yankdep");
    assert!(dependency_versions(&doc).is_empty(), "{doc:#}");
    let doc = walk("yanked==2.0.0");
    assert_eq!(
        doc["result"]["tree"][0]["package_version"], "2.0.0",
        "{doc:#}"
    );
    let doc = walk("needslocal");
    assert_eq!(dependency_versions(&doc), ["2.0.0+foo"], "{doc:#}");
    let doc = walk("torch==2.1.0+cpu");
    let reason = doc["result"]["unresolved"][0]["reason"]
        .as_str()
        .expect("reason");
    assert!(
        reason.contains("local label") && reason.contains("2.1.0+cu118"),
        "{reason}"
    );
}
