//! Thoth stores parsed build logs with `BuildLogsParsedResultsStore.store_document`
//! (thoth-storages) in its S3 object store; there is no graph sync for them, and the store's one
//! check is the result-store schema. Every golden document, produced as the workflow step
//! produces it, goes that path for real here (the pinned thoth-storages of
//! `scripts/thoth-ingest/`, moto's S3 server on loopback standing in for Ceph): it is stored
//! under its document id, listed, and read back unchanged.

use std::path::Path;

use common::thoth_ingest::{self as thoth, Kind};
use serde_json::Value;

#[test]
fn thoths_build_log_store_takes_every_golden_document() {
    let binary = Path::new(env!("CARGO_BIN_EXE_buildlog-parser"));
    let docs = thoth::golden_documents(binary, "buildlog-parser", "buildlog-parser");
    assert!(!docs.is_empty(), "no golden cases");
    let inputs: Vec<(&str, Kind, &Value)> = docs
        .iter()
        .map(|(name, doc)| (name.as_str(), Kind::Buildlog, doc))
        .collect();
    let outcomes = thoth::store(&inputs);
    let mut failures = Vec::new();
    for (o, (_, doc)) in outcomes.iter().zip(&docs) {
        let stored = &o.store;
        if !o.schema_ok()
            || stored["document_id"] != doc["metadata"]["document_id"]
            || stored["round_trip"] != true
            || stored["listed"] != true
        {
            failures.push(format!("{}: {stored}", o.summary()));
        }
    }
    eprintln!(
        "buildlog-parser: {} golden documents stored by Thoth's BuildLogsParsedResultsStore, {} refused",
        outcomes.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
