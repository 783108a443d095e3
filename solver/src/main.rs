fn main() -> std::process::ExitCode {
    common::run::<solver::Cli, _, _>(&solver::INFO, |cli| {
        let analysis = solver::analyze(cli)?;
        let line = match &analysis.standalone {
            Some(serde_json::Value::String(lock)) => resolved(lock),
            _ => walked(&analysis.result),
        };
        Ok(analysis.with_summary(common::Summary::line(line)))
    })
}

/// `resolve`: `resolved 12 packages for Python 3.12 on manylinux_2_28_x86_64`, read from the
/// lock it wrote (the requirements file's header names the target; pylock.toml's
/// `requires-python` the version).
fn resolved(lock: &str) -> String {
    let pylock = lock.lines().any(|l| l.trim() == "[[packages]]");
    let (count, target) = if pylock {
        let count = lock.lines().filter(|l| l.trim() == "[[packages]]").count();
        let python = lock
            .lines()
            .find_map(|l| l.strip_prefix("requires-python = "))
            .map(|v| format!(" for Python {}", v.trim_matches('"')));
        (count, python)
    } else {
        let count = lock
            .lines()
            .filter(|l| !l.starts_with(['#', ' ', '\t']) && l.contains("=="))
            .count();
        let target = lock
            .lines()
            .next()
            .and_then(|header| header.split_once(" for "))
            .map(|(_, target)| format!(" for {target}"));
        (count, target)
    };
    format!(
        "resolved {count} package{}{}",
        if count == 1 { "" } else { "s" },
        target.unwrap_or_default()
    )
}

/// `python`: how many package versions were described, and what could not be.
fn walked(report: &solver::report::Report) -> String {
    format!(
        "{} package versions described for {}, {} errors, {} unresolved",
        report.tree.len(),
        report.platform,
        report.errors.len(),
        report.unresolved.len()
    )
}
