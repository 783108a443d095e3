//! pipenv: lock and install phases, its interpreter, and its retry round.

use std::sync::LazyLock;

use crate::collector::{Collector, Line, PythonSource, Role, split_requirement};
use crate::pattern::Pattern;

static PHASE: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(?:Installing dependencies from Pipfile(?:\.lock)?|Pipfile\.lock \(\w+\) out of date|Locking \[(?:dev-)?packages\] dependencies|Creating a virtualenv for this project|Building requirements\.\.\.|Resolving dependencies\.\.\.)",
    )
});
static VERSION: LazyLock<Pattern> = LazyLock::new(|| Pattern::new(r"^pipenv, version (\S+)"));
static VENV_PYTHON: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^Using (\S+) \((\d+\.\d+\.\d+)\) to create virtualenv"));
static REQUESTED: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(r"^(?:Installing package: (\S+)|Adding (\S+) to Pipfile's \[(?:dev-)?packages\])")
});
static RETRYING: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(r"^An error occurred while installing ([^\s!]+).*Will try again\.")
});
static GAVE_UP: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^ERROR: Couldn't install package: (\S+)"));
/// `Installing requests==2.31.0...` (pipenv install NAME), before it says whether it worked.
static INSTALLING_PACKAGE: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(r"^Installing ([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?==[^\s.]\S*?)\.\.\.$")
});
static INSTALLATION_SUCCEEDED: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^(?:✔ )?Installation Succeeded$"));
static SUCCEEDED: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(?:✔ )?(?:Success!|Installation Succeeded|Successfully created virtual environment!?)$|^To activate this project's virtualenv",
    )
});

#[derive(Debug, Default)]
pub struct Pipenv {
    /// Packages that failed in the first round and were queued for the retry round (a set: a
    /// list scanned per line was quadratic on hostile input).
    retry: std::collections::BTreeSet<String>,
    retrying: bool,
    /// The package of the last `Installing X==1...` line, until pipenv says how it went.
    installing: Option<(String, String)>,
}

impl Pipenv {
    pub fn line(&mut self, line: &Line<'_>, c: &mut Collector) -> Role {
        let t = line.trimmed;
        if let Some(m) = VERSION.captures(t).and_then(|m| m.get(1)) {
            c.tool("pipenv", Some(m.as_str()));
            return Role::Unknown;
        }
        if PHASE.is_match(t) {
            // poetry says `Resolving dependencies...` too.
            if t != "Resolving dependencies..." {
                c.tool("pipenv", None);
            }
            return Role::Progress;
        }
        if let Some(m) = VENV_PYTHON.captures(t).and_then(|m| m.get(2)) {
            c.tool("pipenv", None);
            c.python_version(PythonSource::Stated, m.as_str());
            return Role::Progress;
        }
        if let Some(m) = REQUESTED.captures(t).and_then(|m| m.get(1).or(m.get(2))) {
            c.tool("pipenv", None);
            c.requirement(m.as_str());
            return Role::Progress;
        }
        if let Some(m) = RETRYING.captures(t).and_then(|m| m.get(1)) {
            c.tool("pipenv", None);
            let spec = m.as_str();
            let (name, version) = split_requirement(spec).unwrap_or((spec, None));
            if c.entry_for(name).is_none() {
                c.start_entry(name, version, version.is_some());
                c.close_entry();
            }
            c.mark(name, false);
            if self.retry.len() < crate::collector::MAX_DISTINCT {
                self.retry.insert(name.to_owned());
            }
            return Role::Progress;
        }
        if let Some(m) = INSTALLING_PACKAGE.captures(t).and_then(|m| m.get(1)) {
            if let Some((name, Some(version))) = split_requirement(m.as_str()) {
                c.tool("pipenv", None);
                c.requirement(m.as_str());
                c.start_entry(name, Some(version), true);
                c.close_entry();
                self.installing = Some((name.to_owned(), version.to_owned()));
                return Role::Progress;
            }
        }
        if INSTALLATION_SUCCEEDED.is_match(t) {
            // pipenv has added the package to the Pipfile; it is installed when the lock and
            // the install that follow succeed (older pipenv installed it first: the same end).
            if let Some((name, version)) = self.installing.take() {
                c.provisionally_installed(&name, &version);
            }
        }
        if t.starts_with("Installing initially failed dependencies") {
            self.retrying = true;
            return Role::Progress;
        }
        if let Some(m) = GAVE_UP.captures(t).and_then(|m| m.get(1)) {
            let name = split_requirement(m.as_str()).map_or(m.as_str(), |(n, _)| n);
            c.mark(name, false);
            self.retry.remove(name);
            return Role::Unknown;
        }
        if self.retrying && SUCCEEDED.is_match(t) {
            self.succeed_retries(c);
        }
        Role::Unknown
    }

    /// pipenv does not name what its retry round installed; it says only that the round ended
    /// well. What was not given up on explicitly was then installed.
    fn succeed_retries(&mut self, c: &mut Collector) {
        for name in std::mem::take(&mut self.retry) {
            c.mark(&name, true);
        }
        self.retrying = false;
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_str;

    #[test]
    fn pipenv_retry_round() {
        let r = parse_str(
            "pipenv, version 2023.12.1\n\
             Creating a virtualenv for this project...\n\
             Using /usr/bin/python3 (3.11.4) to create virtualenv...\n\
             Installing dependencies from Pipfile.lock (abc123)...\n\
             An error occurred while installing foo==1.0 --hash=sha256:aa! Will try again.\n\
             Installing initially failed dependencies...\n\
             ✔ Installation Succeeded\n",
        );
        assert!(
            r.tools
                .iter()
                .any(|t| t.name == "pipenv" && t.version.as_deref() == Some("2023.12.1"))
        );
        assert_eq!(r.python_version.as_deref(), Some("3.11.4"));
        assert_eq!(r.recovered, vec!["foo".to_owned()]);
        assert!(r.installation_successful);
    }

    #[test]
    fn pipenv_install_name_holds_only_if_the_run_ends_well() {
        let ok = parse_str(
            "Installing demo-app==0.4.0...\n\
             ✔ Installation Succeeded\n\
             Pipfile.lock not found, creating...\n\
             Locking [packages] dependencies...\n\
             Building requirements...\n\
             Resolving dependencies...\n\
             ✔ Success!\n\
             Installing dependencies from Pipfile.lock (a1b2c3)...\n",
        );
        let installed: Vec<_> = ok
            .installed
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(installed, vec![("demo-app", "0.4.0")]);
        assert!(ok.installation_successful);
        // pipenv 2024+ says "Installation Succeeded" once the Pipfile has the package, before
        // locking; a failed lock installs nothing.
        let failed = parse_str(
            "Installing demo-greeting==2.0...\n\
             ✔ Installation Succeeded\n\
             Locking [packages] dependencies...\n\
             Building requirements...\n\
             Resolving dependencies...\n\
             ✘ Locking Failed!\n\
             ERROR: Could not find a version that satisfies the requirement demo-greeting==2.0 (from versions: 1.2.0, 1.3.0)\n\
             ERROR: No matching distribution found for demo-greeting==2.0\n",
        );
        assert!(failed.installed.is_empty(), "{:?}", failed.installed);
        assert!(!failed.installation_successful);
    }
}
