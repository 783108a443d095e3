use std::fmt::Write as _;

use buildlog_parser::report::BuildLogReport;

fn main() -> std::process::ExitCode {
    common::run::<buildlog_parser::cli::Cli, _, _>(&buildlog_parser::cli::INFO, |cli| {
        let analysis = buildlog_parser::analyze(cli)?;
        let line = verdict(&analysis.result);
        Ok(analysis.with_summary(common::Summary::line(line)))
    })
}

/// The closing line: the verdict, and the failure that decided it (kind, package, lines,
/// what the log said, and who to blame in a conflict).
fn verdict(report: &BuildLogReport) -> String {
    let installed = report.installed.len();
    if report.installation_successful {
        return match report.errors.len() {
            0 => format!("build succeeded, {installed} packages installed"),
            n => {
                format!("build succeeded, {installed} packages installed ({n} failures recovered)")
            }
        };
    }
    let Some(error) = report.errors.iter().find(|e| !e.recovered) else {
        return format!("build failed: {}", report.failed.join(", "));
    };
    let kind = serde_json::to_value(error.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut line = format!("build failed: {kind}");
    if let Some(package) = &error.package {
        let _ = write!(line, " of {package}");
    }
    let _ = write!(
        line,
        " (lines {}-{}): {}",
        error.first_line, error.last_line, error.message
    );
    if !error.culprits.is_empty() {
        let _ = write!(line, "; culprits: {}", error.culprits.join(", "));
    }
    line
}
