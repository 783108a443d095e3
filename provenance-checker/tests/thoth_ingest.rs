//! Thoth's own ingestion reads the provenance checker's documents: thoth-storages (pinned,
//! Python 3.8 venv of `scripts/thoth-ingest/`) checks each with its result-store schema and
//! syncs it with `sync_provenance_checker_documents`. Three locks of the same package on a
//! loopback index: Pipfile.lock (Thoth's input), requirements.txt with hashes and pylock.toml
//! (kinds Thoth never had). Thoth's own provenance check (`scripts/thoth-ingest/
//! thoth_provenance.py`: thoth-adviser's `provenance` command over thoth-python) runs on the
//! same Pipfile and Pipfile.lock, and both documents sync to the same rows but for the listed
//! differences. It cannot read the other two inputs at all (thoth-python's Pipfile and
//! Pipfile.lock parsers reject them), and Thoth's sync, which reads
//! `parameters.project.requirements` and `requirements_locked` as a Pipfile and a Pipfile.lock,
//! fails on our documents of them with its own errors: asserted here, named in the README.

mod support;

use std::path::Path;

use common::testindex::{PageFormat, TestFile, TestIndex};
use common::thoth_ingest::{self as thoth, Kind, RowDifference};
use serde_json::Value;
use support::{pipfile, pipfile_lock, run};

fn document(dir: &Path, args: &[&str], id: &str) -> Value {
    let env = thoth::workflow_env(id);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, doc) = run(dir, args, &env);
    assert_eq!(code, 0, "{doc:#}");
    doc
}

/// Where the rows of our Pipfile.lock document and Thoth's differ, and why; every other table
/// has the same rows (surrogate keys aside).
const EXPECTED_DIFFERENCES: &[RowDifference] = &[
    RowDifference::Column("provenance_checker_run", "datetime", "the time of each run"),
    RowDifference::Column(
        "provenance_checker_run",
        "provenance_checker_name",
        "each document names its own tool: provenance-checker, and thoth-adviser, whose \
         subcommand Thoth's provenance checker was",
    ),
    RowDifference::Column(
        "provenance_checker_run",
        "provenance_checker_version",
        "each tool's own version",
    ),
];

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

    // Thoth's provenance checker on the same input: a document for the Pipfile and Pipfile.lock;
    // the other two it cannot read at all (thoth-python's Pipfile / Pipfile.lock parsers).
    let theirs = thoth::thoth_provenance(
        dir.path(),
        "Pipfile",
        "Pipfile.lock",
        "provenance-checker-thoth",
    )
    .expect("Thoth's provenance check of the Pipfile.lock");
    assert_eq!(
        thoth::thoth_provenance(dir.path(), "requirements.txt", "requirements.txt", "x")
            .expect_err("Thoth reads no requirements.txt"),
        "thoth.python.exceptions.PipfileParseError: Failed to parse provided Pipfile"
    );
    assert_eq!(
        thoth::thoth_provenance(dir.path(), "Pipfile", "pylock.toml", "x")
            .expect_err("Thoth reads no pylock.toml"),
        "thoth.python.exceptions.PipfileParseError: Failed to parse provided Pipfile.lock"
    );

    let outcomes = thoth::ingest_with_values(&[
        ("Pipfile.lock", Kind::Provenance, &pipenv),
        ("requirements.txt", Kind::Provenance, &requirements),
        ("pylock.toml", Kind::Provenance, &pylock),
        ("thoth Pipfile.lock", Kind::Provenance, &theirs),
    ]);
    for o in &outcomes {
        eprintln!("{}", o.summary());
    }
    eprintln!("{}", thoth::row_table(&outcomes.iter().collect::<Vec<_>>()));
    for o in &outcomes[..3] {
        assert!(o.schema_ok(), "{}", o.summary());
    }
    thoth::assert_thoth_documents_schema_verdict(&outcomes[3]);
    // The Pipfile.lock document: the same rows as Thoth's own document of the same lock.
    assert!(outcomes[0].synced(), "{}", outcomes[0].summary());
    assert!(outcomes[3].synced(), "{}", outcomes[3].summary());
    assert!(
        outcomes[0].rows("python_package_version_entity") > 0,
        "{:?}",
        outcomes[0].rows
    );
    thoth::assert_same_rows(&outcomes[0], &outcomes[3], EXPECTED_DIFFERENCES);
    // Thoth's sync reads `parameters.project` as a Pipfile and a Pipfile.lock, the only input
    // its provenance checker takes: the other kinds fail in the sync with its errors.
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
}

#[test]
fn every_golden_document_passes_thoths_result_store_schema() {
    thoth::assert_golden_documents_pass_schema(
        Path::new(env!("CARGO_BIN_EXE_provenance-checker")),
        "provenance-checker",
        Kind::Provenance,
    );
}
