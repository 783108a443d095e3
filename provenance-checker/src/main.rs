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
            let human = findings(&analysis.result, &line);
            Ok(analysis.with_summary(common::Summary::line(line).with_human(human)))
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

/// The human form: the counts, then one row per finding (most severe first) with what it
/// concerns and why. Text from the lock and the indexes is escaped for the terminal.
fn findings(report: &Report, counts: &str) -> String {
    use std::fmt::Write as _;
    let p = common::summary::printable;
    let mut text = format!("{counts}\n");
    if let Some(message) = &report.error_msg {
        let _ = writeln!(text, "error: {}", p(message));
    }
    let mut rows: Vec<&provenance_checker::report::Finding> = report.report.iter().collect();
    rows.sort_by_key(|f| std::cmp::Reverse(f.severity));
    if rows.is_empty() {
        text.push_str("No findings: every artifact came from an allowed index.\n");
        return text;
    }
    let package =
        |f: &provenance_checker::report::Finding| match (&f.package_name, &f.package_version) {
            // Thoth's findings carry the version as locked, `==1.0` (Pipfile.lock) or `1.0`.
            (Some(n), Some(v)) if v.starts_with(['=', '<', '>', '~', '!']) => format!("{n}{v}"),
            (Some(n), Some(v)) => format!("{n}=={v}"),
            (Some(n), None) => n.clone(),
            _ => "-".to_owned(),
        };
    let mut table = vec![vec![
        "LEVEL".to_owned(),
        "TYPE".to_owned(),
        "PACKAGE".to_owned(),
        "WHY".to_owned(),
    ]];
    table.extend(rows.into_iter().map(|f| {
        let level = match f.severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        };
        vec![
            level.to_owned(),
            f.id.to_owned(),
            p(&package(f)),
            p(&f.justification),
        ]
    }));
    text.push('\n');
    text.push_str(&common::summary::columns(&table));
    text
}
