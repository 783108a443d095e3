//! Thoth's own ingestion applied to documents, for the analyzers' tests: thoth-storages (pinned,
//! in a Python 3.8 virtual environment built once per machine by
//! `scripts/thoth-ingest/venv.sh`) checks each document with its result-store schema and syncs
//! it into a PostgreSQL database of its own (`scripts/thoth-ingest/ingest.py`), and the outcome
//! comes back per document: schema verdict, sync verdict (or Thoth's error), rows per table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::golden::workspace_root;

/// Which of Thoth's stores and syncs a document goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// package-extract: `AnalysisResultsStore`, `sync_analysis_documents`.
    Analysis,
    /// solver: `SolverResultsStore`, `sync_solver_documents`.
    Solver,
    /// A document of thoth-solver 1.10.2 (the last on PyPI), given first the `package_license`
    /// that thoth-storages 0.74.2 requires and that release does not write, computed by
    /// Thoth's license solver as thoth-solver's later code does (see `ingest.py`).
    SolverWithLicenseAdded,
    /// provenance-checker: `ProvenanceResultsStore`, `sync_provenance_checker_documents`.
    Provenance,
    /// buildlog-parser: `BuildLogsParsedResultsStore` (Thoth has no graph sync for these).
    Buildlog,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Analysis => "analysis",
            Kind::Solver | Kind::SolverWithLicenseAdded => "solver",
            Kind::Provenance => "provenance",
            Kind::Buildlog => "buildlog",
        }
    }
}

/// What Thoth's code made of one document.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub label: String,
    /// `"ok"` or `{"type", "message"}` from the result store's schema check.
    pub schema: Value,
    /// `"ok"`, `"not synced by Thoth"`, or `{"type", "message", "where"}`: Thoth's exception
    /// and the innermost frame of Thoth's code it came from.
    pub sync: Value,
    /// Row count of every non-empty table after the sync.
    pub rows: BTreeMap<String, u64>,
    /// From [`ingest_with_values`] only: every row of those tables without its surrogate keys,
    /// as sorted JSON texts.
    pub values: BTreeMap<String, Vec<String>>,
    /// The software-environment row the analysis sync made (column -> value), if any.
    pub environment: Value,
    /// Build logs only, from [`store`]: `{"document_id", "round_trip", "listed"}` from Thoth's
    /// `BuildLogsParsedResultsStore` on an S3 server, or Thoth's error; `Null` otherwise.
    pub store: Value,
}

impl Outcome {
    pub fn schema_ok(&self) -> bool {
        self.schema == "ok"
    }

    pub fn synced(&self) -> bool {
        self.sync == "ok"
    }

    pub fn rows(&self, table: &str) -> u64 {
        self.rows.get(table).copied().unwrap_or(0)
    }

    /// One line for the test log: label, schema, sync (or the error's type and message).
    pub fn summary(&self) -> String {
        let verdict = |v: &Value| match v.as_str() {
            Some(s) => s.to_owned(),
            None => format!(
                "{}: {}",
                v["type"].as_str().unwrap_or("?"),
                v["message"].as_str().unwrap_or("?")
            ),
        };
        format!(
            "{:<28} schema {:<6} sync {}",
            self.label,
            verdict(&self.schema),
            verdict(&self.sync)
        )
    }
}

/// The interpreter of the cached virtual environment, built on first use.
pub fn venv_python() -> PathBuf {
    let script = workspace_root().join("scripts/thoth-ingest/venv.sh");
    let out = Command::new(&script)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} failed (it installs thoth-storages into a Python 3.8 venv):\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// Runs thoth-solver (from the cached venv) as Thoth's solver pods ran it: `python -r
/// REQUIREMENTS -i INDEX`, installing into a copy of the venv's `solver-target/`, with
/// `THOTH_DOCUMENT_ID` set. Returns its document.
pub fn thoth_solver(requirements: &str, index: &str, document_id: &str) -> Value {
    let python = venv_python();
    let bin = python.parent().expect("venv bin");
    let work = tempfile::tempdir().expect("tempdir");
    let target = work.path().join("target");
    let status = Command::new("cp")
        .arg("-a")
        .arg(bin.join("../solver-target"))
        .arg(&target)
        .status()
        .expect("cp runs");
    assert!(
        status.success(),
        "cannot copy the solver target environment"
    );
    let output = work.path().join(document_id);
    let out = Command::new(bin.join("thoth-solver"))
        .args(["python", "-r", requirements, "-i", index, "--virtualenv"])
        .arg(&target)
        .arg("-o")
        .arg(&output)
        .current_dir(work.path())
        .env("THOTH_DOCUMENT_ID", document_id)
        .env("THOTH_DEPLOYMENT_NAME", "thoth-ingest-test")
        .output()
        .expect("thoth-solver runs");
    assert!(
        out.status.success(),
        "thoth-solver failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read(&output).expect("thoth-solver's document");
    serde_json::from_slice(&text).expect("thoth-solver wrote JSON")
}

/// Runs Thoth's provenance check (`scripts/thoth-ingest/thoth_provenance.py`: thoth-adviser's
/// `provenance` command over thoth-python, from the cached venv) in `dir` on a Pipfile and a
/// lock, with `THOTH_DOCUMENT_ID` set. Its document, or the last line of its stderr when Thoth's
/// parsers reject the input (then it writes no document).
pub fn thoth_provenance(
    dir: &Path,
    requirements: &str,
    locked: &str,
    document_id: &str,
) -> Result<Value, String> {
    let python = venv_python();
    let script = workspace_root().join("scripts/thoth-ingest/thoth_provenance.py");
    let out = Command::new(&python)
        .arg(&script)
        .args([
            "provenance",
            "--no-pretty",
            "-r",
            requirements,
            "-l",
            locked,
        ])
        .current_dir(dir)
        .envs(workflow_env(document_id))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(stderr.trim().lines().last().unwrap_or_default().to_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{} wrote no JSON ({e}):\n{}",
            script.display(),
            String::from_utf8_lossy(&out.stdout)
        )
    }))
}

/// Runs Thoth's schema check and sync on each `(label, kind, document)`. Each document is
/// written to a file named by its `metadata.document_id` (Thoth's sync reads files by id).
pub fn ingest(documents: &[(&str, Kind, &Value)]) -> Vec<Outcome> {
    run(documents, Mode::Sync { values: false })
}

/// [`ingest`], and the rows themselves come back too ([`Outcome::values`]) for
/// [`assert_same_rows`].
pub fn ingest_with_values(documents: &[(&str, Kind, &Value)]) -> Vec<Outcome> {
    run(documents, Mode::Sync { values: true })
}

/// Runs only Thoth's result-store schema check on each document (no database).
pub fn schema_check(documents: &[(&str, Kind, &Value)]) -> Vec<Outcome> {
    run(documents, Mode::SchemaOnly)
}

/// Runs Thoth's schema check and, for build logs, Thoth's store of parsed build logs
/// (`BuildLogsParsedResultsStore`: store, list, retrieve) on a loopback S3 server.
pub fn store(documents: &[(&str, Kind, &Value)]) -> Vec<Outcome> {
    run(documents, Mode::Store)
}

/// What ingest.py does after the schema check.
#[derive(Debug, Clone, Copy)]
enum Mode {
    SchemaOnly,
    Sync { values: bool },
    Store,
}

fn run(documents: &[(&str, Kind, &Value)], mode: Mode) -> Vec<Outcome> {
    let python = venv_python();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut entries = Vec::new();
    for (i, (label, kind, doc)) in documents.iter().enumerate() {
        let id = doc["metadata"]["document_id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("document-{i}"));
        let sub = dir.path().join(i.to_string());
        std::fs::create_dir_all(&sub).expect("mkdir");
        let path = sub.join(id);
        std::fs::write(&path, doc.to_string()).expect("write document");
        entries.push(json!({
            "label": label,
            "kind": kind.as_str(),
            "path": path,
            "add_package_license": *kind == Kind::SolverWithLicenseAdded,
        }));
    }
    let manifest = dir.path().join("manifest.json");
    std::fs::write(
        &manifest,
        json!({
            "documents": entries,
            "sync": matches!(mode, Mode::Sync { .. }),
            "values": matches!(mode, Mode::Sync { values: true }),
            "store": matches!(mode, Mode::Store),
        })
        .to_string(),
    )
    .expect("write manifest");
    let script = workspace_root().join("scripts/thoth-ingest/ingest.py");
    let out = Command::new(&python)
        .arg(&script)
        .arg(&manifest)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    assert!(
        out.status.success(),
        "{} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ingest.py wrote no JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    report["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| Outcome {
            label: d["label"].as_str().unwrap_or_default().to_owned(),
            schema: d["schema"].clone(),
            sync: d["sync"].clone(),
            rows: serde_json::from_value(d["rows"].clone()).unwrap_or_default(),
            values: serde_json::from_value(d["values"].clone()).unwrap_or_default(),
            environment: d["environment"].clone(),
            store: d["store"].clone(),
        })
        .collect()
}

/// The variables Thoth's workflow templates set for every analyzer step; Thoth's result store
/// requires both (`document_id` names the stored object).
pub fn workflow_env(document_id: &str) -> [(&'static str, String); 2] {
    [
        ("THOTH_DOCUMENT_ID", document_id.to_owned()),
        ("THOTH_DEPLOYMENT_NAME", "thoth-ingest-test".to_owned()),
    ]
}

/// Every golden case of `binary` run again as a workflow step runs it (with
/// [`workflow_env`]; document id `<id_prefix>-<case>`): `(case name, full document)`.
pub fn golden_documents(binary_path: &Path, binary: &str, id_prefix: &str) -> Vec<(String, Value)> {
    crate::golden::cases(binary)
        .iter()
        .map(|case| {
            let name = case
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut cmd = crate::golden::case_command(binary_path, case);
            cmd.envs(workflow_env(&format!("{id_prefix}-{name}")));
            let out = cmd
                .output()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary_path.display()));
            let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
                panic!(
                    "golden case {name}: stdout is not JSON ({e}); stderr:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
            (name, doc)
        })
        .collect()
}

/// Runs Thoth's schema check on every golden document of `binary` and fails listing those it
/// rejects.
pub fn assert_golden_documents_pass_schema(binary_path: &Path, binary: &str, kind: Kind) {
    let docs = golden_documents(binary_path, binary, binary);
    assert!(!docs.is_empty(), "no golden cases for {binary}");
    let inputs: Vec<(&str, Kind, &Value)> = docs
        .iter()
        .map(|(name, doc)| (name.as_str(), kind, doc))
        .collect();
    let outcomes = schema_check(&inputs);
    let rejected: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.schema_ok())
        .map(Outcome::summary)
        .collect();
    eprintln!(
        "{binary}: {} golden documents checked by Thoth's result-store schema, {} rejected",
        outcomes.len(),
        rejected.len()
    );
    assert!(
        rejected.is_empty(),
        "Thoth's result-store schema rejects golden documents of {binary}:\n{}",
        rejected.join("\n")
    );
}

/// A table of the main tables' row counts, one column per outcome, for the test log.
pub fn row_table(outcomes: &[&Outcome]) -> String {
    let mut tables: Vec<&String> = outcomes.iter().flat_map(|o| o.rows.keys()).collect();
    tables.sort();
    tables.dedup();
    let mut text = format!("{:<44}", "table");
    for o in outcomes {
        text.push_str(&format!(" {:>22}", o.label));
    }
    text.push('\n');
    for table in tables {
        text.push_str(&format!("{table:<44}"));
        for o in outcomes {
            text.push_str(&format!(" {:>22}", o.rows(table)));
        }
        text.push('\n');
    }
    text
}

/// A table whose rows differ between our document and Thoth's tool's document of the same
/// input, and why. Listed differences are asserted to be there, so one that goes away fails too.
#[derive(Debug, Clone, Copy)]
pub enum RowDifference {
    /// Different row counts: `(table, ours, theirs, why)`.
    Count(&'static str, u64, u64, &'static str),
    /// Same count, and the rows differ only in `column`: `(table, column, why)`. The column is
    /// left out of the comparison of that table's rows (run timestamps, tool versions).
    Column(&'static str, &'static str, &'static str),
}

/// Asserts that Thoth's sync made the same rows in every table from `ours` as from `theirs`
/// (both from [`ingest_with_values`]), except the listed differences: counts first, then the
/// rows themselves without their surrogate keys.
pub fn assert_same_rows(ours: &Outcome, theirs: &Outcome, expected: &[RowDifference]) {
    let mut tables: Vec<&String> = ours.rows.keys().chain(theirs.rows.keys()).collect();
    tables.sort();
    tables.dedup();
    let mut problems = Vec::new();
    for table in tables {
        let (a, b) = (ours.rows(table), theirs.rows(table));
        let count = expected.iter().find_map(|d| match d {
            RowDifference::Count(t, ea, eb, why) if t == table => Some((*ea, *eb, *why)),
            _ => None,
        });
        match count {
            Some((ea, eb, why)) if (a, b) != (ea, eb) => problems.push(format!(
                "{table}: {a} rows from ours, {b} from Thoth's; expected {ea} and {eb} ({why})"
            )),
            Some(_) => continue,
            None if a != b => {
                problems.push(format!(
                    "{table}: {a} rows from ours, {b} from Thoth's, and no reason is listed"
                ));
                continue;
            }
            None => {}
        }
        let ignored: Vec<&str> = expected
            .iter()
            .filter_map(|d| match d {
                RowDifference::Column(t, column, _) if t == table => Some(*column),
                _ => None,
            })
            .collect();
        let rows = |o: &Outcome| comparable_rows(o, table, &ignored);
        let (ra, rb) = (rows(ours), rows(theirs));
        if ra != rb {
            problems.push(format!(
                "{table}: the rows differ\n  ours:    {ra:?}\n  Thoth's: {rb:?}"
            ));
        }
        // Each listed column must be a difference on its own.
        for column in &ignored {
            let others: Vec<&str> = ignored.iter().copied().filter(|c| c != column).collect();
            if comparable_rows(ours, table, &others) == comparable_rows(theirs, table, &others) {
                problems.push(format!(
                    "{table}.{column}: listed as a difference, but the rows are the same"
                ));
            }
        }
    }
    for d in expected {
        let table = match d {
            RowDifference::Count(t, ..) | RowDifference::Column(t, ..) => t,
        };
        if ours.rows(table) == 0 && theirs.rows(table) == 0 {
            problems.push(format!(
                "{table}: listed as a difference, but empty in both"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "rows of {} and {} differ:\n{}\n{}",
        ours.label,
        theirs.label,
        problems.join("\n"),
        row_table(&[ours, theirs])
    );
}

/// The rows of `table` as sorted JSON objects without the `ignored` columns.
fn comparable_rows(outcome: &Outcome, table: &str, ignored: &[&str]) -> Vec<Value> {
    let mut rows: Vec<Value> = outcome
        .values
        .get(table)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|text| {
            let mut row: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            if let Some(object) = row.as_object_mut() {
                for column in ignored {
                    object.remove(*column);
                }
            }
            row
        })
        .collect();
    rows.sort_by_key(Value::to_string);
    rows
}

/// Asserts the result-store schema verdict on a document of Thoth's own tool made on this
/// machine. Thoth's `metadata.os_release` is read from the host's `/etc/os-release`, and the
/// schema requires its `platform_id`, which only Red Hat family systems (where Thoth ran) set:
/// on a host without `PLATFORM_ID` (Debian, as CI) Thoth's own document fails the check with
/// exactly that message; elsewhere it passes.
pub fn assert_thoth_documents_schema_verdict(theirs: &Outcome) {
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    if os_release.lines().any(|l| l.starts_with("PLATFORM_ID=")) {
        assert!(theirs.schema_ok(), "{}", theirs.summary());
    } else {
        assert_eq!(
            theirs.schema["message"],
            "required key not provided @ data['metadata']['os_release']['platform_id']",
            "{}",
            theirs.summary()
        );
    }
}
