//! pdm: `pdm install` / `pdm sync` operations (`✔ Install name 1.0 successful`) and its lock.

use std::sync::LazyLock;

use crate::collector::{Collector, Line, Role};
use crate::pattern::Pattern;

static START: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(?:Synchronizing working set with resolved packages|Updating the lock file|Changes are written to pdm\.lock|STATUS: Resolving)",
    )
});
/// `✔ Install demo-app 0.4.0 successful`, `✖ Install x 1.0 failed`,
/// `✔ Update x 1.0 -> 2.0 successful`, `✔ Remove x 1.0 successful`.
static OPERATION: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(?:[✔✖] )?(Install|Update|Remove) ([A-Za-z0-9][A-Za-z0-9._-]*) (?:\S+ -> )?(\S+) (successful|failed)$",
    )
});
static VERSION: LazyLock<Pattern> = LazyLock::new(|| Pattern::new(r"^PDM, version (\S+)"));

#[derive(Debug, Default)]
pub struct Pdm;

impl Pdm {
    pub fn line(&mut self, line: &Line<'_>, c: &mut Collector) -> Role {
        let t = line.trimmed;
        if let Some(m) = VERSION.captures(t).and_then(|m| m.get(1)) {
            c.tool("pdm", Some(m.as_str()));
            return Role::Unknown;
        }
        if START.is_match(t) || t.contains("🔒 Lock successful") {
            c.tool("pdm", None);
            return Role::Progress;
        }
        if t.contains("🔒 Lock failed") {
            // The failure's explanation came before and its summary follows: one failure.
            c.tool("pdm", None);
            return Role::Unknown;
        }
        let Some(m) = OPERATION.captures(t) else {
            return Role::Unknown;
        };
        let (Some(op), Some(name), Some(version), Some(outcome)) =
            (m.get(1), m.get(2), m.get(3), m.get(4))
        else {
            return Role::Unknown;
        };
        if !c.has_tool("pdm") {
            return Role::Unknown;
        }
        let (name, version) = (name.as_str(), version.as_str());
        if op.as_str() == "Remove" {
            if outcome.as_str() == "successful" {
                c.uninstalled(name);
            }
            return Role::Progress;
        }
        c.start_entry(name, Some(version), true);
        c.close_entry();
        if outcome.as_str() == "successful" {
            c.installed(name, version);
            c.mark(name, true);
            Role::Progress
        } else {
            c.current_package = Some(name.to_owned());
            c.mark(name, false);
            Role::Unknown
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_str;

    #[test]
    fn pdm_install() {
        // Real pdm 2.29 output: testdata/buildlog-parser/pdm-2.29.3-install-success.
        let r = parse_str(
            "Synchronizing working set with resolved packages: 2 to add, 1 to update, 0 to remove\n\
             \n\
             \x20 ✔ Install demo-app 0.4.0 successful\n\
             \x20 ✔ Update demo-greeting 1.2.0 -> 1.3.0 successful\n\
             \x20 ✖ Install demo-cext 1.0.0 failed\n",
        );
        let installed: Vec<_> = r
            .installed
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            installed,
            vec![("demo-app", "0.4.0"), ("demo-greeting", "1.3.0")]
        );
        assert_eq!(r.failed, vec!["demo-cext".to_owned()]);
        assert!(!r.installation_successful);
        assert!(r.tools.iter().any(|t| t.name == "pdm"));
    }
}
