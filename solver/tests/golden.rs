//! Golden documents under `testdata/solver/`, and the committed JSON Schema.

use common::golden;

fn schema() -> serde_json::Value {
    common::document_schema::<solver::Report>()
}

#[test]
fn golden_cases() {
    golden::run_cases(
        std::path::Path::new(env!("CARGO_BIN_EXE_solver")),
        "solver",
        &schema(),
    );
}

#[test]
fn committed_schema_matches_the_types() {
    golden::assert_schema_current(
        &golden::workspace_root().join("schema/solver.schema.json"),
        &schema(),
    );
}
