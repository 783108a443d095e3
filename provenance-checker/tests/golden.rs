//! Golden documents under `testdata/provenance-checker/`, and the committed JSON Schema.

use common::golden;

fn schema() -> serde_json::Value {
    common::document_schema::<provenance_checker::Report>()
}

#[test]
fn golden_cases() {
    golden::run_cases(
        std::path::Path::new(env!("CARGO_BIN_EXE_provenance-checker")),
        "provenance-checker",
        &schema(),
    );
}

#[test]
fn committed_schema_matches_the_types() {
    golden::assert_schema_current(
        &golden::workspace_root().join("schema/provenance-checker.schema.json"),
        &schema(),
    );
}
