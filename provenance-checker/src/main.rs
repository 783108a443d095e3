use std::cell::Cell;

use provenance_checker::report::{Report, Severity};

fn main() -> std::process::ExitCode {
    // The runner exits 0 or 1 for a finished check; when no index answered at all the check
    // finished without knowing anything, which the README documents as exit 4 (network).
    let no_index_answered = Cell::new(false);
    let status = common::run_from::<provenance_checker::Cli, _, _>(
        &provenance_checker::INFO,
        std::env::args_os().collect(),
        |cli| {
            let analysis = provenance_checker::analyze(cli)?;
            no_index_answered.set(analysis.result.no_index_answered);
            let line = counts(&analysis.result);
            Ok(analysis.with_summary(common::Summary::line(line)))
        },
    );
    provenance_checker::exit_status(status, no_index_answered.get()).into()
}

/// `checked 40 of 42 packages (85 index requests): 1 ERROR, 0 WARNING, 3 INFO`.
fn counts(report: &Report) -> String {
    let count = |s: Severity| report.report.iter().filter(|f| f.severity == s).count();
    let stats = &report.statistics;
    format!(
        "checked {} of {} packages ({} index requests): {} ERROR, {} WARNING, {} INFO",
        stats.packages_checked,
        stats.packages,
        stats.index_requests,
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    )
}
