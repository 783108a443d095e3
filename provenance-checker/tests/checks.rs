//! Every finding id and every lock format, against two indexes on loopback: a "public" one
//! (PEP 691 JSON) and a "private" one (PEP 503 HTML) with overlapping names and different
//! artifacts, and a third address where nothing listens.

mod support;

use common::testindex::{PageFormat, TestFile, TestIndex};
use serde_json::Value;
use support::{findings, ids, pipfile, pipfile_lock, run};

const NOWHERE: &str = "http://127.0.0.1:1/simple/";

struct World {
    public: TestIndex,
    private: TestIndex,
    dir: tempfile::TempDir,
}

fn digest(content: &[u8]) -> String {
    TestFile::new("", content).sha256()
}

/// public: foo 1.0 (wheel + sdist), foo 2.0, shared 1.0, common 1.0, confused 9.0, yanky 1.0
/// (yanked); private: shared 1.0 (other bytes), common 1.0 (same bytes), confused 1.0.
fn world() -> World {
    let public = TestIndex::start(PageFormat::Json);
    let private = TestIndex::start(PageFormat::Html);
    public.add_project(
        "foo",
        vec![
            TestFile::new("foo-1.0-py3-none-any.whl", b"foo wheel 1.0"),
            TestFile::new("foo-1.0.tar.gz", b"foo sdist 1.0"),
            TestFile::new("foo-2.0-py3-none-any.whl", b"foo wheel 2.0"),
        ],
    );
    public.add_project(
        "shared",
        vec![TestFile::new(
            "shared-1.0-py3-none-any.whl",
            b"public shared",
        )],
    );
    private.add_project(
        "shared",
        vec![TestFile::new(
            "shared-1.0-py3-none-any.whl",
            b"private shared",
        )],
    );
    public.add_project(
        "common",
        vec![TestFile::new("common-1.0-py3-none-any.whl", b"common")],
    );
    private.add_project(
        "common",
        vec![TestFile::new("common-1.0-py3-none-any.whl", b"common")],
    );
    public.add_project(
        "confused",
        vec![TestFile::new("confused-9.0-py3-none-any.whl", b"attacker")],
    );
    private.add_project(
        "confused",
        vec![TestFile::new("confused-1.0-py3-none-any.whl", b"ours")],
    );
    public.add_project(
        "yanky",
        vec![TestFile {
            yanked: Some("security hole".into()),
            ..TestFile::new("yanky-1.0-py3-none-any.whl", b"yanky")
        }],
    );
    World {
        public,
        private,
        dir: tempfile::tempdir().expect("tempdir"),
    }
}

impl World {
    /// Runs a Pipfile + Pipfile.lock with sources public and private (and `extra` ones).
    fn pipenv(
        &self,
        packages: &[(&str, &str, Vec<String>, Option<&str>)],
        extra: &[(&str, &str, bool)],
        args: &[&str],
    ) -> (i32, Value) {
        let mut sources = vec![
            ("public", self.public.url(), true),
            ("private", self.private.url(), true),
        ];
        sources.extend(extra.iter().map(|(n, u, v)| (*n, (*u).to_owned(), *v)));
        let sources: Vec<(&str, &str, bool)> = sources
            .iter()
            .map(|(n, u, v)| (*n, u.as_str(), *v))
            .collect();
        let names: Vec<(&str, Option<&str>)> = packages.iter().map(|p| (p.0, p.3)).collect();
        let pf = pipfile(&sources, &names);
        std::fs::write(self.dir.path().join("Pipfile"), &pf).expect("write");
        std::fs::write(
            self.dir.path().join("Pipfile.lock"),
            pipfile_lock(&pf, packages),
        )
        .expect("write");
        let mut all = vec!["-r", "Pipfile", "-l", "Pipfile.lock"];
        all.extend_from_slice(args);
        run(self.dir.path(), &all, &[])
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.path().join(name), text).expect("write");
    }
}

#[test]
fn a_clean_lock_has_no_findings_and_exits_zero() {
    let w = world();
    let (code, doc) = w.pipenv(
        &[(
            "foo",
            "1.0",
            vec![digest(b"foo wheel 1.0"), digest(b"foo sdist 1.0")],
            None,
        )],
        &[],
        &[],
    );
    assert_eq!(ids(&doc), Vec::<String>::new(), "{doc:#}");
    assert_eq!(code, 0);
    let result = &doc["result"];
    assert_eq!(result["error"], false);
    assert!(result["input"].is_null());
    assert_eq!(result["parameters"]["project"]["lock_format"], "pipenv");
    assert_eq!(
        result["parameters"]["project"]["requirements"]["packages"]["foo"],
        "*"
    );
    assert_eq!(
        result["statistics"]["index_requests"], 2,
        "one request per package and index"
    );
}

#[test]
fn invalid_lock_hash_does_not_hide_other_findings() {
    let w = world();
    let pf = pipfile(&[("public", &w.public.url(), true)], &[("foo", None)]);
    let lock = pipfile_lock(&pf, &[("foo", "1.0", vec!["00".repeat(32)], None)]);
    w.write("Pipfile", &pf.replace("3.11", "3.12"));
    w.write("Pipfile.lock", &lock);
    let (code, doc) = run(w.dir.path(), &["-r", "Pipfile", "-l", "Pipfile.lock"], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        ids(&doc),
        ["INVALID-LOCK-HASH", "INVALID-ARTIFACT-HASH"],
        "{doc:#}"
    );
    let f = findings(&doc, "INVALID-LOCK-HASH")[0];
    assert_eq!(f["type"], "ERROR");
    assert!(
        f["justification"]
            .as_str()
            .is_some_and(|j| j.starts_with("Hash recorded in the lockfile ('")),
        "{f}"
    );
}

#[test]
fn different_artifacts_on_sources() {
    let w = world();
    let (code, doc) = w.pipenv(
        &[("shared", "1.0", vec![digest(b"public shared")], None)],
        &[],
        &[],
    );
    let f = findings(&doc, "DIFFERENT-ARTIFACTS-ON-SOURCES");
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["type"], "WARNING");
    assert_eq!(f[0]["package_version"], "==1.0");
    assert_eq!(
        f[0]["indexes"],
        serde_json::json!([w.public.url(), w.private.url()])
    );
    assert_eq!(
        f[0]["sources"][w.private.url()][0]["sha256"],
        digest(b"private shared")
    );
    assert_eq!(code, 0, "a warning does not fail by default");
    let (code, _) = w.pipenv(
        &[("shared", "1.0", vec![digest(b"public shared")], None)],
        &[],
        &["--fail-on", "warning"],
    );
    assert_eq!(code, 1);
}

#[test]
fn artifact_different_source() {
    let w = world();
    let (code, doc) = w.pipenv(
        &[(
            "shared",
            "1.0",
            vec![digest(b"public shared")],
            Some("private"),
        )],
        &[],
        &[],
    );
    let f = findings(&doc, "ARTIFACT-DIFFERENT-SOURCE");
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["type"], "ERROR");
    assert_eq!(f[0]["source"]["name"], "private");
    assert_eq!(f[0]["indexes"], serde_json::json!([w.public.url()]));
    assert_eq!(
        f[0]["sources"][w.public.url()][0][0],
        "shared-1.0-py3-none-any.whl"
    );
    assert_eq!(code, 1);
}

#[test]
fn artifact_possible_different_source() {
    let w = world();
    let (code, doc) = w.pipenv(
        &[("common", "1.0", vec![digest(b"common")], Some("private"))],
        &[],
        &[],
    );
    let f = findings(&doc, "ARTIFACT-POSSIBLE-DIFFERENT-SOURCE");
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["type"], "INFO");
    assert!(findings(&doc, "ARTIFACT-DIFFERENT-SOURCE").is_empty());
    // The same name on the public index, no higher version: a warning.
    assert_eq!(findings(&doc, "DEPENDENCY-CONFUSION")[0]["type"], "WARNING");
    assert_eq!(code, 0);
}

#[test]
fn missing_package() {
    let w = world();
    let (code, doc) = w.pipenv(
        &[(
            "foo",
            "1.0",
            vec![digest(b"foo wheel 1.0")],
            Some("private"),
        )],
        &[],
        &[],
    );
    let f = findings(&doc, "MISSING-PACKAGE");
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(
        f[0]["source"]["url"],
        w.private.url(),
        "workflow-helpers reads source.url"
    );
    assert_eq!(f[0]["package_name"], "foo");
    assert_eq!(code, 1);
}

#[test]
fn invalid_artifact_hash() {
    let w = world();
    let bad = "ab".repeat(32);
    let (code, doc) = w.pipenv(
        &[(
            "foo",
            "1.0",
            vec![digest(b"foo wheel 1.0"), bad.clone()],
            None,
        )],
        &[],
        &[],
    );
    let f = findings(&doc, "INVALID-ARTIFACT-HASH");
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["digest"], bad);
    assert!(
        f[0]["source"].is_null(),
        "null for a package with no explicit index, as Thoth"
    );
    assert_eq!(code, 1);
}

#[test]
fn source_not_whitelisted_and_insecure_source() {
    let w = world();
    let insecure = format!("{}/simple/", w.public.origin()).replace("/simple/", "/mirror/simple/");
    let (code, doc) = w.pipenv(
        &[("foo", "1.0", vec![digest(b"foo wheel 1.0")], None)],
        &[("mirror", &insecure, false)],
        &["-i", &format!("{},{}", w.public.url(), insecure)],
    );
    let f = findings(&doc, "SOURCE-NOT-WHITELISTED");
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["source"]["name"], "private");
    let f = findings(&doc, "INSECURE-SOURCE");
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["source"]["verify_ssl"], false);
    assert_eq!(
        doc["result"]["parameters"]["whitelisted_indexes"][0],
        w.public.url()
    );
    assert_eq!(code, 1);
}

#[test]
fn yanked_release() {
    let w = world();
    let (code, doc) = w.pipenv(&[("yanky", "1.0", vec![digest(b"yanky")], None)], &[], &[]);
    let f = findings(&doc, "YANKED-RELEASE");
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["reason"], "security hole");
    assert_eq!(f[0]["type"], "WARNING");
    assert_eq!(code, 0);
}

#[test]
fn index_unreachable() {
    let w = world();
    let (code, doc) = w.pipenv(
        &[("foo", "1.0", vec![digest(b"foo wheel 1.0")], None)],
        &[("gone", NOWHERE, true)],
        &[],
    );
    let f = findings(&doc, "INDEX-UNREACHABLE");
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["source"]["name"], "gone");
    assert!(
        f[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("127.0.0.1:1")),
        "{f:?}"
    );
    assert!(findings(&doc, "INVALID-ARTIFACT-HASH").is_empty());
    assert_eq!(code, 1);
}

#[test]
fn credentials_in_source_urls_are_used_and_never_written() {
    let w = world();
    w.private.require_auth("ci", "t0ps3cret");
    let private = w.private.url().replace("http://", "http://ci:t0ps3cret@");
    let pf = pipfile(
        &[("private", &private, true)],
        &[("confused", Some("private"))],
    );
    w.write("Pipfile", &pf);
    w.write(
        "Pipfile.lock",
        &pipfile_lock(
            &pf,
            &[("confused", "1.0", vec![digest(b"ours")], Some("private"))],
        ),
    );
    let (code, doc) = run(
        w.dir.path(),
        &["-r", "Pipfile", "-l", "Pipfile.lock", "-i", &private],
        &[],
    );
    assert_eq!((code, ids(&doc)), (0, vec![]), "{doc:#}");
    assert!(!doc.to_string().contains("t0ps3cret"), "{doc:#}");
}

#[test]
fn dependency_confusion() {
    let w = world();
    let (code, doc) = w.pipenv(
        &[("confused", "1.0", vec![digest(b"ours")], Some("private"))],
        &[],
        &[],
    );
    let f = findings(&doc, "DEPENDENCY-CONFUSION");
    assert_eq!(f.len(), 1, "{doc:#}");
    assert_eq!(f[0]["type"], "ERROR");
    assert!(
        f[0]["justification"]
            .as_str()
            .is_some_and(|j| j.contains("higher version (9.0)")),
        "{f:?}"
    );
    assert_eq!(f[0]["indexes"], serde_json::json!([w.public.url()]));
    assert_eq!(code, 1);
}

#[test]
fn requirements_with_index_lines_unpinned_and_missing_hashes() {
    let w = world();
    w.write(
        "requirements.txt",
        &format!(
            "# pip-compile output\n--index-url {}\n--extra-index-url {}\n\nfoo==1.0 \\\n    --hash=sha256:{} \\\n    --hash=sha256:{}\n    # via -r requirements.in\nshared==1.0\nyanky>=1.0 --hash=sha256:{}\n",
            w.public.url(),
            w.private.url(),
            digest(b"foo wheel 1.0"),
            digest(b"foo sdist 1.0"),
            digest(b"yanky")
        ),
    );
    let (code, doc) = run(w.dir.path(), &["-l", "requirements.txt"], &[]);
    assert_eq!(
        doc["result"]["parameters"]["project"]["lock_format"],
        "requirements"
    );
    assert_eq!(
        ids(&doc),
        [
            "MISSING-HASHES",
            "DIFFERENT-ARTIFACTS-ON-SOURCES",
            "UNPINNED-PACKAGE"
        ],
        "{doc:#}"
    );
    assert_eq!(
        findings(&doc, "MISSING-HASHES")[0]["package_name"],
        "shared"
    );
    assert_eq!(
        findings(&doc, "UNPINNED-PACKAGE")[0]["package_name"],
        "yanky"
    );
    assert_eq!(code, 0);
}

#[test]
fn requirements_take_pip_configuration_or_fail_clearly() {
    let w = world();
    w.write(
        "requirements.txt",
        &format!("foo==1.0 --hash=sha256:{}\n", digest(b"foo wheel 1.0")),
    );
    let url = w.public.url();
    let (code, doc) = run(
        w.dir.path(),
        &["-l", "requirements.txt"],
        &[("PIP_INDEX_URL", url.as_str())],
    );
    assert_eq!((code, ids(&doc)), (0, vec![]), "{doc:#}");
    let (code, doc) = run(w.dir.path(), &["-l", "requirements.txt"], &[]);
    assert_eq!(code, 2, "{doc:#}");
    assert!(
        doc["result"]["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("no package index is configured")),
        "{doc:#}"
    );
}

#[test]
fn pylock_with_artifact_url_mismatch() {
    let w = world();
    let good = format!("{}/files/foo-1.0-py3-none-any.whl", w.public.origin());
    let text = format!(
        "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n[[packages]]\nname = \"foo\"\nversion = \"1.0\"\nindex = \"{}\"\n\n[[packages.wheels]]\nname = \"foo-1.0-py3-none-any.whl\"\nurl = \"{good}\"\nhashes = {{sha256 = \"{}\"}}\n\n[packages.sdist]\nname = \"foo-1.0.tar.gz\"\nurl = \"http://127.0.0.9/evil/foo-1.0.tar.gz\"\nhashes = {{sha256 = \"{}\"}}\n\n[[packages]]\nname = \"local\"\ndirectory = {{ path = \".\" }}\n",
        w.public.url(),
        digest(b"foo wheel 1.0"),
        digest(b"foo sdist 1.0")
    );
    w.write("pylock.toml", &text);
    let (code, doc) = run(w.dir.path(), &["-l", "pylock.toml"], &[]);
    assert_eq!(ids(&doc), ["ARTIFACT-URL-MISMATCH"], "{doc:#}");
    let f = findings(&doc, "ARTIFACT-URL-MISMATCH")[0];
    assert_eq!(f["url"], "http://127.0.0.9/evil/foo-1.0.tar.gz");
    assert_eq!(
        doc["result"]["statistics"]["packages_checked"], 1,
        "the directory package is not looked up"
    );
    assert_eq!(code, 1);
}

#[test]
fn poetry_lock_with_pyproject_sources() {
    let w = world();
    w.write(
        "pyproject.toml",
        &format!(
            "[tool.poetry]\nname = \"app\"\n\n[[tool.poetry.source]]\nname = \"pub\"\nurl = \"{}\"\npriority = \"primary\"\n\n[[tool.poetry.source]]\nname = \"priv\"\nurl = \"{}\"\npriority = \"supplemental\"\n",
            w.public.url(),
            w.private.url()
        ),
    );
    w.write(
        "poetry.lock",
        &format!(
            "[[package]]\nname = \"foo\"\nversion = \"1.0\"\nfiles = [\n  {{file = \"foo-1.0-py3-none-any.whl\", hash = \"sha256:{}\"}},\n]\n\n[[package]]\nname = \"confused\"\nversion = \"1.0\"\nfiles = [\n  {{file = \"confused-1.0-py3-none-any.whl\", hash = \"sha256:{}\"}},\n]\n\n[package.source]\ntype = \"legacy\"\nurl = \"{}\"\nreference = \"priv\"\n\n[metadata]\nlock-version = \"2.0\"\ncontent-hash = \"x\"\n",
            digest(b"foo wheel 1.0"),
            digest(b"ours"),
            w.private.url()
        ),
    );
    let (code, doc) = run(
        w.dir.path(),
        &["-r", "pyproject.toml", "-l", "poetry.lock"],
        &[],
    );
    assert_eq!(
        doc["result"]["parameters"]["project"]["lock_format"],
        "poetry"
    );
    assert_eq!(ids(&doc), ["DEPENDENCY-CONFUSION"], "{doc:#}");
    assert_eq!(
        findings(&doc, "DEPENDENCY-CONFUSION")[0]["source"]["name"],
        "priv"
    );
    assert_eq!(code, 1);
}

#[test]
fn uv_lock_from_two_registries() {
    let w = world();
    let text = format!(
        "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\nname = \"foo\"\nversion = \"1.0\"\nsource = {{ registry = \"{pub_}\" }}\nsdist = {{ url = \"{o}/files/foo-1.0.tar.gz\", hash = \"sha256:{a}\", size = 1 }}\nwheels = [\n  {{ url = \"{o}/files/foo-1.0-py3-none-any.whl\", hash = \"sha256:{b}\", size = 1 }},\n]\n\n[[package]]\nname = \"shared\"\nversion = \"1.0\"\nsource = {{ registry = \"{priv}\" }}\nwheels = [\n  {{ url = \"{po}/files/shared-1.0-py3-none-any.whl\", hash = \"sha256:{c}\", size = 1 }},\n]\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = {{ virtual = \".\" }}\n",
        pub_ = w.public.url(),
        priv = w.private.url(),
        o = w.public.origin(),
        po = w.private.origin(),
        a = digest(b"foo sdist 1.0"),
        b = digest(b"foo wheel 1.0"),
        c = digest(b"public shared"),
    );
    w.write("uv.lock", &text);
    let (code, doc) = run(w.dir.path(), &["-l", "uv.lock"], &[]);
    assert_eq!(doc["result"]["parameters"]["project"]["lock_format"], "uv");
    // shared is locked from the private registry with the public artifact's digest.
    assert_eq!(
        ids(&doc),
        ["ARTIFACT-DIFFERENT-SOURCE", "DEPENDENCY-CONFUSION"],
        "{doc:#}"
    );
    assert_eq!(code, 1);
}

#[test]
fn content_instead_of_paths_and_forced_format() {
    let w = world();
    let text = format!("foo==1.0 --hash=sha256:{}\\n", digest(b"foo wheel 1.0"));
    let url = w.public.url();
    let (code, doc) = run(
        w.dir.path(),
        &["-l", &text, "--format", "requirements"],
        &[("PIP_INDEX_URL", url.as_str())],
    );
    assert_eq!((code, ids(&doc)), (0, vec![]), "{doc:#}");
}

#[test]
fn bad_input_is_a_failure_document_with_exit_3() {
    let w = world();
    w.write("Pipfile.lock", "{not json");
    let (code, doc) = run(w.dir.path(), &["-l", "Pipfile.lock"], &[]);
    assert_eq!(code, 3);
    assert_eq!(doc["result"]["error"], true);
    assert_eq!(doc["result"]["error_kind"], "input");
    let (code, doc) = run(w.dir.path(), &["-l", "missing.lock"], &[]);
    assert_eq!(code, 3, "{doc:#}");
    let (code, _) = run(w.dir.path(), &["-l", "null"], &[]);
    assert_eq!(code, 3);
    w.write("what.lock", "<html>");
    let (code, doc) = run(w.dir.path(), &["-l", "what.lock"], &[]);
    assert_eq!(code, 3);
    assert!(
        doc["result"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("--format")),
        "{doc:#}"
    );
}
