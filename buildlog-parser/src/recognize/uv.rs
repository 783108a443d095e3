//! `uv pip install` (and `uv sync`): resolution summary, `+ name==version` lines, interpreter.

use std::sync::LazyLock;

use crate::collector::{Collector, Line, PythonSource, Role};
use crate::pattern::Pattern;

static SUMMARY: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(Resolved|Prepared|Installed|Uninstalled|Audited|Built|Downloaded|Bytecode compiled) \d+ packages? in ",
    )
});
static CHANGE: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^([+~-]) ([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(\S+)"));
static INTERPRETER: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^Using (?:CPython|PyPy|GraalPy|Python) (\d+\.\d+(?:\.\d+)?)\S* (?:interpreter|environment)",
    )
});
static VERSION: LazyLock<Pattern> = LazyLock::new(|| Pattern::new(r"^uv (\d+\.\d+\.\d+)\b"));

#[derive(Debug, Default)]
pub struct Uv;

impl Uv {
    pub fn line(&mut self, line: &Line<'_>, c: &mut Collector) -> Role {
        let t = line.trimmed;
        if let Some(m) = SUMMARY.captures(t).and_then(|m| m.get(1)) {
            c.tool("uv", None);
            match m.as_str() {
                "Installed" | "Audited" => c.in_progress = None,
                _ => {
                    c.in_progress.get_or_insert(line.number);
                }
            }
            return Role::Progress;
        }
        if let Some(m) = CHANGE.captures(t) {
            let (Some(op), Some(name), Some(version)) = (m.get(1), m.get(2), m.get(3)) else {
                return Role::Unknown;
            };
            // pip never prints these; require a uv summary before to avoid stray diff lines.
            if !c.has_tool("uv") {
                return Role::Unknown;
            }
            if op.as_str() == "-" {
                c.uninstalled(name.as_str());
            } else {
                c.start_entry(name.as_str(), Some(version.as_str()), true);
                c.installed(name.as_str(), version.as_str());
                c.mark(name.as_str(), true);
                c.close_entry();
            }
            return Role::Progress;
        }
        if let Some(m) = INTERPRETER.captures(t).and_then(|m| m.get(1)) {
            c.tool("uv", None);
            c.python_version(PythonSource::Stated, m.as_str());
            return Role::Progress;
        }
        if let Some(m) = VERSION.captures(t).and_then(|m| m.get(1)) {
            c.tool("uv", Some(m.as_str()));
        }
        Role::Unknown
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_str;

    #[test]
    fn uv_install() {
        let r = parse_str(
            "uv 0.4.18 (7b55e9790 2024-10-01)\n\
             Using Python 3.12.3 environment at: .venv\n\
             Resolved 2 packages in 120ms\n\
             Prepared 2 packages in 50ms\n\
             Uninstalled 1 package in 2ms\n\
             Installed 2 packages in 10ms\n\
             \x20- idna==3.4\n\
             \x20+ idna==3.6\n\
             \x20+ requests==2.31.0\n",
        );
        assert!(
            r.tools
                .iter()
                .any(|t| t.name == "uv" && t.version.as_deref() == Some("0.4.18"))
        );
        assert_eq!(r.python_version.as_deref(), Some("3.12.3"));
        let installed: Vec<_> = r
            .installed
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(installed, vec![("idna", "3.6"), ("requests", "2.31.0")]);
        assert_eq!(r.installation.len(), 2);
        assert!(r.installation_successful);
    }
}
