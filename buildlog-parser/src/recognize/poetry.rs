//! poetry install: `Package operations`, `- Installing name (version)` lines.

use std::sync::LazyLock;

use crate::collector::{Collector, Line, Role};
use crate::pattern::Pattern;

static VERSION: LazyLock<Pattern> = LazyLock::new(|| Pattern::new(r"^Poetry \(version (\S+)\)"));
static START: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(?:Installing dependencies from lock file|Package operations: \d+ install|Updating dependencies|Writing lock file|Installing the current project: )",
    )
});
static OPERATION: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^[•-] (Installing|Updating|Downgrading|Removing) ([A-Za-z0-9][A-Za-z0-9._-]*) \(([^)]*)\)(?::? (.*))?$",
    )
});

#[derive(Debug, Default)]
pub struct Poetry;

impl Poetry {
    pub fn line(&mut self, line: &Line<'_>, c: &mut Collector) -> Role {
        let t = line.trimmed;
        if let Some(m) = VERSION.captures(t).and_then(|m| m.get(1)) {
            c.tool("poetry", Some(m.as_str()));
            return Role::Unknown;
        }
        if START.is_match(t) {
            c.tool("poetry", None);
            return Role::Progress;
        }
        let Some(m) = OPERATION.captures(t) else {
            return Role::Unknown;
        };
        if !c.has_tool("poetry") {
            return Role::Unknown;
        }
        let (Some(op), Some(name), Some(versions)) = (m.get(1), m.get(2), m.get(3)) else {
            return Role::Unknown;
        };
        let (name, versions) = (name.as_str(), versions.as_str());
        // `Updating foo (1.0 -> 2.0)`: the version after the arrow is the one installed.
        let version = versions.rsplit("-> ").next().unwrap_or(versions).trim();
        let status = m.get(4).map_or("", |s| s.as_str()).trim();
        if op.as_str() == "Removing" {
            c.uninstalled(name);
            return Role::Progress;
        }
        // A terminal redraws one operation several times (Pending, Downloading, Installing):
        // one entry per package and version.
        let same = c
            .entry_for(name)
            .is_some_and(|e| e.package_version.as_deref() == Some(version));
        if !same {
            c.start_entry(name, Some(version), true);
            c.close_entry();
        }
        c.current_package = Some(name.to_owned());
        match status {
            // Written when the operation starts (and, on a terminal, redrawn when it ends): it
            // holds unless a failure of the package follows.
            "" => c.started_install(name, version),
            "Failed" => c.mark(name, false),
            _ => {
                c.in_progress.get_or_insert(line.number);
            }
        }
        Role::Progress
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_str;

    #[test]
    fn poetry_install() {
        let r = parse_str(
            "Poetry (version 1.8.2)\n\
             Installing dependencies from lock file\n\
             \n\
             Package operations: 3 installs, 1 update, 0 removals\n\
             \n\
             \x20 - Installing certifi (2024.2.2)\n\
             \x20 • Installing idna (3.6): Pending...\n\
             \x20 • Installing idna (3.6)\n\
             \x20 - Updating six (1.15.0 -> 1.16.0)\n\
             \x20 - Installing broken (1.0): Failed\n",
        );
        assert!(
            r.tools
                .iter()
                .any(|t| t.name == "poetry" && t.version.as_deref() == Some("1.8.2"))
        );
        let installed: Vec<_> = r
            .installed
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            installed,
            vec![("certifi", "2024.2.2"), ("idna", "3.6"), ("six", "1.16.0")]
        );
        assert_eq!(r.installation.len(), 4);
        assert_eq!(r.failed, vec!["broken".to_owned()]);
        assert!(!r.installation_successful);
    }
}
