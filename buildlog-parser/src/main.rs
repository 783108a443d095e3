use std::fmt::Write as _;

use buildlog_parser::report::BuildLogReport;

fn main() -> std::process::ExitCode {
    common::run::<buildlog_parser::cli::Cli, _, _>(&buildlog_parser::cli::INFO, |cli| {
        let analysis = buildlog_parser::analyze(cli)?;
        let line = verdict(&analysis.result);
        let human = human(&analysis.result, &line);
        Ok(analysis.with_summary(common::Summary::line(line).with_human(human)))
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
    let kind = kind_name(error);
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

/// The human form: the verdict, then each failure with its lines, culprits and hint, then
/// what was installed. Text from the log is escaped so it cannot drive the terminal.
fn human(report: &BuildLogReport, verdict: &str) -> String {
    let p = common::summary::printable;
    let mut text = format!("{}\n", p(verdict));
    if let Some(python) = &report.python_version {
        let _ = writeln!(text, "Python     {}", p(python));
    }
    if !report.tools.is_empty() {
        let tools: Vec<String> = report
            .tools
            .iter()
            .map(|t| match &t.version {
                Some(v) => p(&format!("{} {v}", t.name)),
                None => p(&t.name),
            })
            .collect();
        let _ = writeln!(text, "Tools      {}", tools.join(", "));
    }
    let _ = writeln!(
        text,
        "Installed  {} packages; failed: {}; recovered: {}",
        report.installed.len(),
        list_or_none(&report.failed),
        list_or_none(&report.recovered)
    );
    for (n, error) in report.errors.iter().enumerate() {
        let kind = kind_name(error);
        let _ = write!(
            text,
            "\n{}. {kind}{} (lines {}-{}){}\n   {}\n",
            n + 1,
            error
                .package
                .as_deref()
                .map(|pkg| format!(" of {}", p(pkg)))
                .unwrap_or_default(),
            error.first_line,
            error.last_line,
            if error.recovered { ", recovered" } else { "" },
            p(&error.message)
        );
        if !error.culprits.is_empty() {
            let _ = writeln!(text, "   culprits: {}", p(&error.culprits.join(", ")));
        }
        if !error.hint.is_empty() {
            let _ = writeln!(text, "   hint: {}", p(&error.hint));
        }
    }
    text
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        common::summary::printable(&names.join(", "))
    }
}

/// The error's kind as the document spells it (`resolution-impossible`).
fn kind_name(error: &buildlog_parser::report::BuildError) -> String {
    serde_json::to_value(error.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
