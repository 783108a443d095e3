//! Thoth stores parsed build logs with `BuildLogsParsedResultsStore.store_document`
//! (thoth-storages), which has no graph sync: its one check is the result-store schema. Every
//! golden document, produced as the workflow step produces it, passes that check here (the
//! pinned thoth-storages of `scripts/thoth-ingest/`).

use std::path::Path;

use common::thoth_ingest::{self as thoth, Kind};

#[test]
fn every_golden_document_passes_thoths_result_store_schema() {
    thoth::assert_golden_documents_pass_schema(
        Path::new(env!("CARGO_BIN_EXE_buildlog-parser")),
        "buildlog-parser",
        Kind::Buildlog,
    );
}
