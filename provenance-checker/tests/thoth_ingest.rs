//! Thoth's own ingestion reads the provenance checker's documents: thoth-storages (pinned,
//! Python 3.8 venv of `scripts/thoth-ingest/`) checks each with its result-store schema and
//! syncs it with `sync_provenance_checker_documents`. Three locks of the same package on a
//! loopback index: Pipfile.lock (Thoth's input), requirements.txt with hashes and pylock.toml
//! (kinds Thoth never had). Thoth's sync stores `parameters.project.requirements` and
//! `requirements_locked` as a Pipfile and Pipfile.lock, so what it makes of the other two is
//! asserted here and named in the README.

mod support;

use std::path::Path;

use common::testindex::{PageFormat, TestFile, TestIndex};
use common::thoth_ingest::{self as thoth, Kind};
use serde_json::Value;
use support::{pipfile, pipfile_lock, run};

fn document(dir: &Path, args: &[&str], id: &str) -> Value {
    let env = thoth::workflow_env(id);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, doc) = run(dir, args, &env);
    assert_eq!(code, 0, "{doc:#}");
    doc
}

#[test]
fn thoth_storages_ingests_provenance_documents_of_every_lock_kind() {
    let index = TestIndex::start(PageFormat::Html);
    let wheel = TestFile::new("tinypkg-1.0-py3-none-any.whl", b"tinypkg wheel 1.0");
    let digest = wheel.sha256();
    index.add_project("tinypkg", vec![wheel]);
    let url = index.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let write =
        |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");

    let pipfile_text = pipfile(&[("pypi", &url, true)], &[("tinypkg", None)]);
    write("Pipfile", &pipfile_text);
    write(
        "Pipfile.lock",
        &pipfile_lock(
            &pipfile_text,
            &[("tinypkg", "1.0", vec![digest.clone()], None)],
        ),
    );
    write(
        "requirements.txt",
        &format!("--index-url {url}\ntinypkg==1.0 \\\n    --hash=sha256:{digest}\n"),
    );
    write(
        "pylock.toml",
        &format!(
            "lock-version = \"1.0\"\ncreated-by = \"test\"\n\n[[packages]]\nname = \"tinypkg\"\nversion = \"1.0\"\nindex = \"{url}\"\n\n[[packages.wheels]]\nname = \"tinypkg-1.0-py3-none-any.whl\"\nurl = \"{}/files/tinypkg-1.0-py3-none-any.whl\"\nhashes = {{sha256 = \"{digest}\"}}\n",
            index.origin()
        ),
    );

    let pipenv = document(
        dir.path(),
        &["-r", "Pipfile", "-l", "Pipfile.lock"],
        "provenance-checker-pipenv",
    );
    let requirements = document(
        dir.path(),
        &["-l", "requirements.txt"],
        "provenance-checker-requirements",
    );
    let pylock = document(
        dir.path(),
        &["-l", "pylock.toml"],
        "provenance-checker-pylock",
    );

    let outcomes = thoth::ingest(&[
        ("Pipfile.lock", Kind::Provenance, &pipenv),
        ("requirements.txt", Kind::Provenance, &requirements),
        ("pylock.toml", Kind::Provenance, &pylock),
    ]);
    for o in &outcomes {
        eprintln!("{}", o.summary());
    }
    eprintln!("{}", thoth::row_table(&outcomes.iter().collect::<Vec<_>>()));
    for o in &outcomes {
        assert!(o.schema_ok(), "{}", o.summary());
    }
    // Thoth's sync reads a Pipfile and a Pipfile.lock: the other kinds fail with its errors.
    assert_eq!(
        outcomes[1].sync["type"],
        "TypeError",
        "{}",
        outcomes[1].summary()
    );
    assert_eq!(
        outcomes[2].sync["type"],
        "KeyError",
        "{}",
        outcomes[2].summary()
    );
    assert_eq!(
        outcomes[2].sync["message"],
        "'_meta'",
        "{}",
        outcomes[2].summary()
    );
    // Not proven yet: thoth-python hashes the Pipfile with ssdeep, a C extension the pinned
    // venv lacks, so the Pipfile.lock document stops there, before the rows.
    assert_eq!(
        outcomes[0].sync["type"],
        "ModuleNotFoundError",
        "{}",
        outcomes[0].summary()
    );
}

#[test]
fn every_golden_document_passes_thoths_result_store_schema() {
    thoth::assert_golden_documents_pass_schema(
        Path::new(env!("CARGO_BIN_EXE_provenance-checker")),
        "provenance-checker",
        Kind::Provenance,
    );
}
