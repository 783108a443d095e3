//! Golden documents under `testdata/package-extract/`, and the committed JSON Schema.

use common::golden;

fn schema() -> serde_json::Value {
    common::document_schema::<package_extract::Report>()
}

#[test]
fn golden_cases() {
    golden::run_cases(
        std::path::Path::new(env!("CARGO_BIN_EXE_package-extract")),
        "package-extract",
        &schema(),
    );
}

#[test]
fn committed_schema_matches_the_types() {
    golden::assert_schema_current(
        &golden::workspace_root().join("schema/package-extract.schema.json"),
        &schema(),
    );
}
