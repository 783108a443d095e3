//! Every real log in `../shared/corpus/pip-logs` parses to the facts it holds.
//!
//! Each file has its own assertions below; a file added to the corpus without them fails
//! `every_corpus_file_is_asserted`. A missing corpus fails too: these tests never skip.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};

use buildlog_parser::{BuildLogReport, ErrorKind, MissingKind, parse_reader};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/pip-logs");

const S2I_LOG: &str = "s2i/thoth-s2i-ubi8-py36-thamos-micropipenv-SUCCESS.log";
const THOTH_RESULT: &str = "s2i/thoth-buildlog-parser-result-success_adviser_failed.json";
const GHA_METADATA: &str = "pip-modern/als-finder-gha-metadata-generation-failed-FAILED.log";
const ASCENDS: &str = "pip-modern/ascends-pip-upgrade-already-satisfied.log";
const WINDOWS_UTF16: &str = "pip-modern/windows-utf16-pip21-vcs-reqs-truncated-during-build.log";
const CARTODB: &str = "pip-legacy/cartodb-2012-pip-log-multi-run-FAILED.txt";
const PYCASSA: &str = "pip-legacy/pycassa-2010-pip-log-develop-permission-denied-FAILED.txt";
const MINGUS: &str = "pip-legacy/python-mingus-pip-log-404-keyboardinterrupt-FAILED.txt";

/// Files with assertions in this test.
const ASSERTED: &[&str] = &[
    S2I_LOG,
    THOTH_RESULT,
    GHA_METADATA,
    ASCENDS,
    WINDOWS_UTF16,
    CARTODB,
    PYCASSA,
    MINGUS,
];

fn path(relative: &str) -> PathBuf {
    Path::new(CORPUS).join(relative)
}

fn parse(relative: &str) -> BuildLogReport {
    let p = path(relative);
    let file =
        File::open(&p).unwrap_or_else(|e| panic!("corpus file {} missing: {e}", p.display()));
    parse_reader(file, None).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

fn installed(r: &BuildLogReport) -> Vec<(&str, &str)> {
    r.installed
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect()
}

fn error_summary(r: &BuildLogReport) -> Vec<(ErrorKind, Option<&str>)> {
    r.errors
        .iter()
        .map(|e| (e.kind, e.package.as_deref()))
        .collect()
}

fn files_under(dir: &Path, out: &mut Vec<String>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("corpus dir {} missing: {e}", dir.display()));
    for entry in entries {
        let entry = entry.expect("readable corpus directory");
        let p = entry.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            let relative = p
                .strip_prefix(CORPUS)
                .expect("under the corpus")
                .to_string_lossy()
                .replace('\\', "/");
            out.push(relative);
        }
    }
}

#[test]
fn every_corpus_file_is_asserted() {
    let mut found = Vec::new();
    files_under(Path::new(CORPUS), &mut found);
    found.sort();
    assert!(!found.is_empty(), "no files in {CORPUS}");
    let asserted: BTreeSet<&str> = ASSERTED.iter().copied().collect();
    let missing: Vec<&String> = found
        .iter()
        .filter(|f| !asserted.contains(f.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "corpus files without assertions in tests/corpus.rs: {missing:?}"
    );
    for f in ASSERTED {
        assert!(
            found.iter().any(|x| x == f),
            "asserted file {f} is not in the corpus"
        );
    }
}

#[test]
fn every_log_parses_without_error_and_with_sane_line_numbers() {
    for f in ASSERTED.iter().filter(|f| **f != THOTH_RESULT) {
        let r = parse(f);
        for e in &r.errors {
            assert!(
                e.first_line >= 1 && e.first_line <= e.last_line,
                "{f}: {e:?}"
            );
            assert!(!e.hint.is_empty() && !e.message.is_empty(), "{f}: {e:?}");
        }
        // A failed package is never also recovered, and lists are sorted.
        assert!(r.failed.iter().all(|p| !r.recovered.contains(p)), "{f}");
        assert!(r.failed.windows(2).all(|w| w[0] < w[1]), "{f}");
    }
}

#[test]
fn s2i_micropipenv_success() {
    let r = parse(S2I_LOG);
    let builder = r.info.s2i_builder_image.as_ref().expect("builder image");
    assert_eq!(builder.image, "quay.io/thoth-station/s2i-thoth-ubi8-py36");
    assert_eq!(
        builder.sha256.as_deref(),
        Some("71ca5ad16e2e4705969329aa710ab9b9ecc786edefa52e8a94f645eff81b161a")
    );
    let push = r.info.push_destination.as_ref().expect("push destination");
    assert_eq!(
        push.image,
        "docker-registry.default.svc:5000/thoth-test-core/package-releases-job"
    );
    assert_eq!(push.tag.as_deref(), Some("latest"));
    assert!(r.info.push_successful);
    assert_eq!(r.info.thamos_version.as_deref(), Some("0.9.1"));
    assert!(r.info.adviser_run);
    assert!(
        !r.info.provenance_check_run,
        "the log says provenance checks were skipped"
    );
    assert_eq!(r.adviser_id.as_deref(), Some("adviser-75b40eaf"));

    // 74 `Collecting X==Y` lines, all installed, each with its artifact.
    assert_eq!(r.installation.len(), 74);
    assert!(r.installation.iter().all(|e| e.is_successful == Some(true)));
    assert!(
        r.installation
            .iter()
            .all(|e| e.artifact.is_some() && e.package_version.is_some())
    );
    let first = &r.installation[0];
    assert_eq!(
        (
            first.package_name.as_str(),
            first.package_version.as_deref(),
            first.artifact_size.as_deref(),
            first.is_wheel
        ),
        ("aiohttp", Some("4.0.0a1"), Some("1.2MB"), Some(true))
    );
    assert_eq!(
        first.installation_log,
        "Downloading https://files.example/packages/cb/58/adf4457076102c02060eed24d46abc549b3a37b5268000d6d018fe6baaf2/aiohttp-4.0.0a1-cp36-cp36m-manylinux1_x86_64.whl (1.2MB)\nInstalling collected packages: aiohttp\nSuccessfully installed aiohttp-4.0.0a1"
    );
    let alembic = r
        .installation
        .iter()
        .find(|e| e.package_name == "alembic")
        .expect("alembic");
    assert_eq!(
        (alembic.is_wheel, alembic.artifact_size.as_deref()),
        (Some(false), Some("1.1MB"))
    );
    let last = r.installation.last().expect("entries");
    assert_eq!(
        (last.package_name.as_str(), last.package_version.as_deref()),
        ("yarl", Some("1.4.2"))
    );

    assert_eq!(r.installed.len(), 74);
    assert!(installed(&r).contains(&("sqlalchemy-utils", "0.36.3")));
    assert!(
        r.requirements
            .contains(&"thoth-storages==0.22.7".to_owned())
    );

    let lock = r.pipfile_lock.as_ref().expect("Pipfile.lock block parsed");
    assert_eq!(
        lock.pointer("/_meta/pipfile-spec"),
        Some(&serde_json::json!(6))
    );
    assert_eq!(
        lock.pointer("/default/aiohttp/version"),
        Some(&serde_json::json!("==4.0.0a1"))
    );
    assert_eq!(r.indexes, vec!["https://index.example/simple".to_owned()]);
    assert_eq!(r.python_version.as_deref(), Some("3.6"));

    // The configuration lost its indentation in this capture: not valid YAML, so the raw text
    // (what Thoth's parser did on a YAML parser error).
    let config = r
        .thoth_config
        .as_ref()
        .and_then(|c| c.as_str())
        .expect("raw configuration text");
    assert!(config.starts_with("host: khemenu.thoth-station.ninja\ntls_verify: false\n"));
    assert!(config.contains("changelog_file: true"));

    assert!(
        r.errors.is_empty(),
        "thamos DEBUG lines are not build errors: {:?}",
        r.errors
    );
    assert!(r.failed.is_empty() && r.recovered.is_empty());
    assert!(r.installation_successful);
    let tools: Vec<_> = r
        .tools
        .iter()
        .map(|t| (t.name.as_str(), t.version.as_deref()))
        .collect();
    assert_eq!(
        tools,
        vec![
            ("micropipenv", None),
            ("pip", None),
            ("thamos", Some("0.9.1"))
        ]
    );
}

/// Thoth's own result document for a similar s2i build: the facts both builds share come out the
/// same, under the same keys.
#[test]
fn agrees_with_thoth_result_document_where_the_builds_overlap() {
    let thoth: serde_json::Value =
        serde_json::from_reader(File::open(path(THOTH_RESULT)).expect("Thoth result document"))
            .expect("JSON");
    let thoth = &thoth["result"];
    let ours = serde_json::to_value(parse(S2I_LOG)).expect("serialisable");

    // Every key Thoth wrote exists in ours, and `info` has exactly Thoth's keys.
    for key in thoth.as_object().expect("object").keys() {
        assert!(ours.get(key).is_some(), "missing Thoth key {key}");
    }
    let keys = |v: &serde_json::Value| {
        v.as_object()
            .map(|o| o.keys().cloned().collect::<BTreeSet<_>>())
    };
    assert_eq!(keys(&thoth["info"]), keys(&ours["info"]));

    // Same builder image (digest differs: another build), same registry namespace and tag.
    for field in ["adviser_run", "provenance_check_run", "push_successful"] {
        assert_eq!(thoth["info"][field], ours["info"][field], "info.{field}");
    }
    assert_eq!(
        thoth["info"]["s2i_builder_image"]["image"],
        ours["info"]["s2i_builder_image"]["image"]
    );
    assert_eq!(
        thoth["info"]["push_destination"]["tag"],
        ours["info"]["push_destination"]["tag"]
    );
    let image = |v: &serde_json::Value| {
        v["info"]["push_destination"]["image"]
            .as_str()
            .and_then(|s| s.rsplit_once('/'))
            .map(|(ns, _)| ns.to_owned())
    };
    assert_eq!(image(thoth), image(&ours));

    // Lock files: same spec, Python and index.
    for pointer in [
        "/_meta/pipfile-spec",
        "/_meta/requires/python_version",
        "/_meta/sources/0/url",
    ] {
        assert_eq!(
            thoth["pipfile_lock"].pointer(pointer),
            ours["pipfile_lock"].pointer(pointer),
            "{pointer}"
        );
    }
    // Packages locked in Thoth's build were installed in ours at the same versions.
    let default = thoth["pipfile_lock"]["default"]
        .as_object()
        .expect("default packages");
    assert!(!default.is_empty());
    for (name, entry) in default {
        let version = entry["version"]
            .as_str()
            .and_then(|v| v.strip_prefix("=="))
            .expect("pinned");
        let found = ours["installation"]
            .as_array()
            .expect("installation")
            .iter()
            .any(|e| {
                e["package_name"] == serde_json::json!(name)
                    && e["package_version"] == serde_json::json!(version)
            });
        assert!(
            found,
            "{name}=={version} not among our installation entries"
        );
    }
    // Thoth's success case: nothing failed, and ours says so as a bool.
    assert_eq!(thoth["failed"], ours["failed"]);
    assert_eq!(thoth["recovered"], ours["recovered"]);
    assert_eq!(ours["installation_successful"], serde_json::json!(true));
    // Installation entries carry exactly Thoth's keys.
    let entry_keys: BTreeSet<String> = [
        "artifact",
        "artifact_size",
        "installation_log",
        "is_successful",
        "is_wheel",
        "package_name",
        "package_version",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(keys(&ours["installation"][0]), Some(entry_keys));
}

#[test]
fn gha_metadata_generation_failed() {
    let r = parse(GHA_METADATA);
    // The same failure was captured twice in a row: one error, not two.
    assert_eq!(
        error_summary(&r),
        vec![(ErrorKind::MetadataGenerationFailed, None)]
    );
    let e = &r.errors[0];
    assert_eq!(
        e.first_line, 11,
        "opens at `error: subprocess-exited-with-error`"
    );
    assert_eq!(e.last_line, 114);
    assert!(
        e.cause
            .as_deref()
            .is_some_and(|c| c.starts_with("UnicodeDecodeError: 'charmap' codec"))
    );
    assert!(!r.installation_successful);
    assert!(r.installation.is_empty() && r.installed.is_empty());
}

#[test]
fn ascends_already_satisfied() {
    let r = parse(ASCENDS);
    assert!(r.errors.is_empty() && r.installation_successful);
    assert!(r.installation.is_empty(), "nothing was collected");
    assert_eq!(r.requirements, vec!["clienBBS".to_owned()]);
    assert_eq!(r.python_version.as_deref(), Some("3.6"));
    assert_eq!(
        installed(&r),
        vec![
            ("beautifulsoup4", "4.6.0"),
            ("bs4", "0.0.1"),
            ("certifi", "2018.11.29"),
            ("chardet", "3.0.4"),
            ("clienBBS", "0.55"),
            ("django", "2.0.7"),
            ("idna", "2.7"),
            ("image", "1.5.24"),
            ("lxml", "4.2.3"),
            ("pillow", "5.2.0"),
            ("pyreadline", "2.1"),
            ("pytz", "2018.5"),
            ("requests", "2.19.1"),
            ("urllib3", "1.23"),
        ]
    );
}

#[test]
fn windows_utf16_truncated() {
    let r = parse(WINDOWS_UTF16);
    let names: Vec<_> = r
        .installation
        .iter()
        .map(|e| e.package_name.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "git+https://github.com/stefmolin/login-attempt-simulator.git@2nd_edition",
            "git+https://github.com/stefmolin/ml-utils.git@2nd_edition",
            "git+https://github.com/stefmolin/stock-analysis.git@2nd_edition",
            "c:\\users\\kthompso\\onedrive - cairns regional council\\04-git\\09-hands-on-data-analysis-with-pandas-2nd-edition\\visual-aids",
            "graphviz",
            "imbalanced-learn",
            "ipympl",
            "jupyterlab",
            "matplotlib",
            "numpy",
        ]
    );
    let graphviz = &r.installation[4];
    assert_eq!(
        (
            graphviz.package_version.as_deref(),
            graphviz.artifact.as_deref(),
            graphviz.artifact_size.as_deref(),
            graphviz.is_wheel
        ),
        (
            Some("0.14.1"),
            Some("graphviz-0.14.1-py2.py3-none-any.whl"),
            Some("18kB"),
            Some(true)
        )
    );
    // pip backtracked over numpy 1.19.4 and 1.19.3; the log stops while preparing 1.19.2.
    assert_eq!(r.installation[9].package_version.as_deref(), Some("1.19.2"));
    assert_eq!(
        error_summary(&r),
        vec![(ErrorKind::KilledOrTruncated, Some("numpy"))]
    );
    assert_eq!((r.errors[0].first_line, r.errors[0].last_line), (21, 41));
    assert_eq!(r.failed, vec!["numpy".to_owned()]);
    assert!(!r.installation_successful);
    assert!(
        r.requirements
            .contains(&"numpy<=1.19.4,>=1.19.2".to_owned())
    );
    assert!(r.installed.is_empty());
}

#[test]
fn cartodb_legacy_multi_run() {
    let r = parse(CARTODB);
    assert_eq!(
        error_summary(&r),
        vec![
            (ErrorKind::DiskOrPermission, Some("python-varnish")),
            (ErrorKind::DiskOrPermission, Some("python-varnish")),
            (ErrorKind::Other, None),
            (ErrorKind::Other, None),
            (ErrorKind::Other, None),
            (ErrorKind::Other, None),
            (ErrorKind::BuildFailure, Some("hiredis")),
        ],
        "one error per failed run"
    );
    assert!(
        r.errors[2]
            .message
            .starts_with("IOError: [Errno 2] No such file or directory")
    );
    let hiredis = &r.errors[6];
    assert_eq!(
        (hiredis.missing_kind, hiredis.missing.as_deref()),
        (Some(MissingKind::Header), Some("Python.h"))
    );
    assert_eq!(hiredis.compiler.as_deref(), Some("gcc"));
    assert!(hiredis.hint.contains("python3-devel"));
    assert_eq!(
        r.failed,
        vec!["hiredis".to_owned(), "python-varnish".to_owned()]
    );
    let argparse = r
        .installation
        .iter()
        .find(|e| e.package_name == "argparse")
        .expect("argparse entry");
    assert_eq!(argparse.package_version.as_deref(), Some("1.2.1"));
    assert_eq!(
        argparse.artifact.as_deref(),
        Some("http://argparse.googlecode.com/files/argparse-1.2.1.tar.gz")
    );
    // pip 1 listed `argparse, brewery, chardet, hiredis, redis` and ran `setup.py install` for
    // argparse, redis and brewery before hiredis failed; it rolls back only hiredis. chardet
    // was already there.
    assert_eq!(
        installed(&r),
        vec![
            ("argparse", "1.2.1"),
            ("brewery", "0.6.0"),
            ("chardet", "1.0.1"),
            ("redis", "2.4.9")
        ]
    );
    assert!(!r.installation_successful);
}

#[test]
fn pycassa_permission_denied() {
    let r = parse(PYCASSA);
    assert_eq!(
        error_summary(&r),
        vec![(ErrorKind::DiskOrPermission, Some("sphinx-to-github"))]
    );
    assert!(r.errors[0].message.contains("[Errno 13] Permission denied"));
    assert_eq!(r.failed, vec!["sphinx-to-github".to_owned()]);
    assert!(!r.installation_successful);
}

#[test]
fn mingus_interrupted() {
    let r = parse(MINGUS);
    assert_eq!(
        error_summary(&r),
        vec![(ErrorKind::KilledOrTruncated, Some("hamcrest"))]
    );
    assert_eq!((r.errors[0].first_line, r.errors[0].last_line), (6, 22));
    assert_eq!(r.errors[0].message, "KeyboardInterrupt");
    assert!(!r.installation_successful);
}
