//! What a person at the terminal (or reading a failed step's log) sees when the check fails:
//! one stderr line per ERROR and WARNING finding, then a count. The document holds the rest.

use crate::report::{Finding, Severity};

/// Lines printed before the rest is only counted: a hostile lock can have a finding per hash.
pub const MAX_LINES: usize = 200;

/// Prints the ERROR and WARNING findings (id, package, message) and a count line, through the
/// logger so `--log-format json` applies.
pub fn print_findings(findings: &[Finding], no_index_answered: bool) {
    let shown: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    for finding in shown.iter().take(MAX_LINES) {
        let line = line(finding);
        match finding.severity {
            Severity::Error => tracing::error!(id = finding.id, "{line}"),
            _ => tracing::warn!(id = finding.id, "{line}"),
        }
    }
    if shown.len() > MAX_LINES {
        tracing::warn!(
            "… and {} more ERROR/WARNING findings in the document",
            shown.len() - MAX_LINES
        );
    }
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    if no_index_answered {
        tracing::error!(
            errors,
            warnings,
            "no index answered: provenance is unknown ({errors} ERROR, {warnings} WARNING, {infos} INFO findings; exit 4)"
        );
    } else {
        tracing::error!(
            errors,
            warnings,
            "provenance check failed: {errors} ERROR, {warnings} WARNING, {infos} INFO findings (--fail-on decides; the document lists them all)"
        );
    }
}

/// `ID package==version: justification [digest|url]`, control characters escaped: names and
/// URLs come from the lock, and a newline in one must not forge a log line.
pub fn line(finding: &Finding) -> String {
    printable(&raw_line(finding))
}

fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_debug().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

fn raw_line(finding: &Finding) -> String {
    let mut out = finding.id.to_owned();
    if let Some(name) = &finding.package_name {
        out.push(' ');
        out.push_str(name);
        if let Some(v) = &finding.package_version {
            out.push_str(v);
        }
    }
    out.push_str(": ");
    out.push_str(&finding.justification);
    if let Some(d) = &finding.digest {
        out.push_str(&format!(" (sha256:{d})"));
    } else if let Some(u) = &finding.url {
        out.push_str(&format!(" ({u})"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_id_package_and_message_on_one_line() {
        let finding = Finding {
            package_name: Some("evil\nERROR forged".to_owned()),
            package_version: Some("==1.0".to_owned()),
            digest: Some("ab".to_owned()),
            ..Finding::new(Severity::Error, "INVALID-ARTIFACT-HASH", "not found")
        };
        assert_eq!(
            line(&finding),
            "INVALID-ARTIFACT-HASH evil\\nERROR forged==1.0: not found (sha256:ab)"
        );
    }
}
