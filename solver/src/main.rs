fn main() -> std::process::ExitCode {
    common::run::<solver::Cli, _, _>(&solver::INFO, |cli| {
        let analysis = solver::analyze(cli)?;
        let summary = match &analysis.standalone {
            Some(serde_json::Value::String(lock)) => common::Summary::line(resolved(lock)),
            _ => {
                let line = walked(&analysis.result);
                let human = table(&analysis.result, &line);
                common::Summary::line(line).with_human(human)
            }
        };
        Ok(analysis.with_summary(summary))
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

/// `python`'s human form: one row per package version described (its dependencies), then
/// the errors and what stayed unresolved, each with its reason.
fn table(report: &solver::report::Report, line: &str) -> String {
    use std::fmt::Write as _;
    let p = common::summary::printable;
    let mut text = format!("{}\n", p(line));
    if !report.tree.is_empty() {
        let mut rows = vec![vec![
            "NAME".to_owned(),
            "VERSION".to_owned(),
            "DEPENDS ON".to_owned(),
        ]];
        rows.extend(report.tree.iter().map(|t| {
            let deps: Vec<String> = t
                .dependencies
                .iter()
                .map(|d| match &d.specifier {
                    Some(spec) if !spec.is_empty() => format!("{}{spec}", d.package_name),
                    _ => d.package_name.clone(),
                })
                .collect();
            vec![
                p(&t.package_name),
                p(&t.package_version),
                p(&deps.join(", ")),
            ]
        }));
        text.push('\n');
        text.push_str(&common::summary::columns(&rows));
    }
    if !report.errors.is_empty() {
        text.push_str("\nErrors:\n");
        for e in &report.errors {
            let _ = writeln!(
                text,
                "  {} {}: {}: {}",
                p(&e.package_name),
                p(&e.package_version),
                p(&e.kind),
                p(&e.details.message)
            );
        }
    }
    if !report.unresolved.is_empty() {
        text.push_str("\nUnresolved:\n");
        for u in &report.unresolved {
            let _ = writeln!(
                text,
                "  {}{}: {}",
                p(&u.package_name),
                p(&u.version_spec),
                p(&u.reason)
            );
        }
    }
    text
}
