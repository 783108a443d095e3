//! Project names as PEP 503 compares them.

/// Normalises a project name the way PEP 503 does: runs of `-`, `_` and `.` become one `-`, and
/// the result is lowercase. `Foo.Bar__baz` and `foo-bar-baz` name the same project.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_separator = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            pending_separator = true;
            continue;
        }
        if pending_separator && !out.is_empty() {
            out.push('-');
        }
        pending_separator = false;
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize_name;

    #[test]
    fn collapses_separator_runs_and_lowercases() {
        assert_eq!(normalize_name("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(normalize_name("backports.weakref"), "backports-weakref");
        assert_eq!(normalize_name("typing_extensions"), "typing-extensions");
        assert_eq!(normalize_name("A-._-b"), "a-b");
        assert_eq!(normalize_name("  Django "), "django");
    }
}
