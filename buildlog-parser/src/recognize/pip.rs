//! pip, from the 0.8-era `pip-log.txt` to the newest release: what it collected, downloaded,
//! built, installed, where from, and which pip and Python ran.

use std::sync::LazyLock;

use crate::collector::{
    Collector, Line, PythonSource, Role, file_name, split_name_version, split_requirement,
    version_from_filename,
};
use crate::pattern::Pattern;

/// Names of installers whose own upgrade (`Successfully installed pip-24.0`) tells their version.
const INSTALLERS: &[&str] = &["pip", "micropipenv", "pipenv", "uv", "poetry", "thamos"];

static COLLECTING: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(Collecting|Downloading/unpacking|Obtaining|Processing|Checking out) (\S+)(.*)$",
    )
});
static DOWNLOADING: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(?:Downloading from URL|Downloading|Using cached|File was already downloaded) (\S+)(?: \(([\d.]+) ?([kKMGT]i?B|bytes)\))?",
    )
});
static PROGRESS_SIZE: LazyLock<Pattern> = LazyLock::new(|| {
    // pip >= 22: `━━━━ 1.2/1.2 MB 3.4 MB/s eta 0:00:00`; pip 19-21: `|████| 1.2 MB 3.4 MB/s`.
    Pattern::new(
        r"(?:^[━╸╺╾╼\s-]*[\d.]+/([\d.]+) ([kMGT]i?B)|\|[█▉▊▋▌▍▎▏ ]*\| ([\d.]+) ([kMGT]i?B))",
    )
});
static ALREADY: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^Requirement already (?:satisfied|up-to-date)(?:, skipping upgrade)?: (\S+)(?: in (\S.*?))?(?: \(([^()\s]+)\))?$",
    )
});
static SITE_PYTHON: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"[/\\]python(\d\.\d+)[/\\]"));
static WHEEL_TAG: LazyLock<Pattern> = LazyLock::new(|| Pattern::new(r"-cp(\d)(\d{1,2})-"));
static BUILDING: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(?:Building wheel for|Running setup\.py (?:install|develop|bdist_wheel) for|Running setup\.py egg_info for package|Created wheel for|Stored in directory|Building editable for) (\S+?)(?::|\s|$)",
    )
});
static INSTALLING: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^Installing collected packages: (.*)$"));
static SUCCESS: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^Successfully installed (.*)$"));
static UNINSTALLED: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^Successfully uninstalled (\S+)"));
static ATTEMPT_UNINSTALL: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(r"^(?:Attempting uninstall|Found existing installation|Uninstalling) ")
});
static INDEXES: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^Looking in (?:indexes|links): (.*)$"));
static INDEX_OPTION: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(r"(?:--(?:extra-)?index-url|--find-links|(?:^|\s)-[if])[= ]+(\S+)")
});
static PIP_VERSION: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^pip (\d[\w.]*) from (\S.*?) \(python (\d+\.\d+)\)"));
static UPGRADE_NOTICE: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"(?:You are using pip version (\d[\w.]*)[,;] however version|A new release of pip (?:is )?available: (\d[\w.]*) -> )",
    )
});
static SOURCE_VERSION: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(r"^Source in \S+ has version (\S+), which satisfies requirement (\S+)")
});
/// Legacy `pip-log.txt` files hold several runs, each announced by this header.
static RUN_HEADER: LazyLock<Pattern> = LazyLock::new(|| Pattern::new(r"^\S*pip\S* run on "));

#[derive(Debug, Default)]
pub struct Pip;

impl Pip {
    pub fn line(&mut self, line: &Line<'_>, c: &mut Collector) -> Role {
        let t = line.trimmed;
        if t.is_empty() {
            return Role::Unknown;
        }
        if let Some(m) = COLLECTING.captures(t) {
            return collecting(line, &m, c);
        }
        if let Some(m) = DOWNLOADING.captures(t) {
            let artifact = m.get(1).map_or("", |a| a.as_str());
            let size = match (m.get(2), m.get(3)) {
                (Some(n), Some(u)) => Some(format!("{}{}", n.as_str(), u.as_str())),
                _ => None,
            };
            // pip >= 23.3 fetches PEP 658 metadata first; that file is not the artifact.
            if !artifact.ends_with(".metadata") {
                wheel_tag_python(artifact, c);
                c.artifact(artifact, size);
            }
            return Role::Unknown;
        }
        if let Some(m) = PROGRESS_SIZE.captures(t) {
            let size = match (m.get(1).or(m.get(3)), m.get(2).or(m.get(4))) {
                (Some(n), Some(u)) => Some(format!("{}{}", n.as_str(), u.as_str())),
                _ => None,
            };
            if let Some(entry) = c.open_entry() {
                if entry.artifact_size.is_none() {
                    entry.artifact_size = size;
                }
            }
            return Role::Unknown;
        }
        if let Some(m) = ALREADY.captures(t) {
            c.tool("pip", None);
            let spec = m.get(1).map_or("", |s| s.as_str());
            if let Some((name, pinned)) = split_requirement(spec) {
                let version = m.get(3).map(|v| v.as_str()).or(pinned);
                if let Some(version) = version {
                    c.installed(name, version);
                }
                c.mark(name, true);
            }
            if let Some(path) = m.get(2) {
                if let Some(v) = SITE_PYTHON.captures(path.as_str()).and_then(|v| v.get(1)) {
                    c.python_version(PythonSource::Path, v.as_str());
                }
            }
            if is_top_level(t) {
                c.requirement(spec);
            }
            return Role::Progress;
        }
        if let Some(m) = BUILDING.captures(t).and_then(|m| m.get(1)) {
            c.current_package = Some(m.as_str().to_owned());
            if t.starts_with("Running setup.py install for") {
                c.announce_install(m.as_str());
            }
            c.in_progress.get_or_insert(line.number);
            // `...: finished with status 'error'` (pip 19 to 22) and `... error` (pip 9 to 18)
            // are the failure itself, for the classifier to read.
            if t.ends_with("status 'error'") || t.ends_with("... error") {
                return Role::Unknown;
            }
            return Role::Progress;
        }
        if let Some(m) = INSTALLING.captures(t).and_then(|m| m.get(1)) {
            c.tool("pip", None);
            let names: Vec<String> = m
                .as_str()
                .split(',')
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect();
            c.current_package = names.first().cloned();
            c.start_install_phase(line.number, names);
            c.in_progress.get_or_insert(line.number);
            return Role::Progress;
        }
        if let Some(m) = SUCCESS.captures(t).and_then(|m| m.get(1)) {
            c.tool("pip", None);
            for token in m.as_str().split_whitespace() {
                let Some((name, version)) = split_name_version(token) else {
                    continue;
                };
                c.installed(name, version);
                c.mark(name, true);
                if INSTALLERS.contains(&name.to_ascii_lowercase().as_str()) {
                    c.tool(&name.to_ascii_lowercase(), Some(version));
                }
            }
            c.terminate_entry(line.text);
            c.end_install_phase();
            c.in_progress = None;
            c.current_package = None;
            return Role::Progress;
        }
        if let Some(m) = UNINSTALLED.captures(t).and_then(|m| m.get(1)) {
            if let Some((name, _)) = split_name_version(m.as_str().trim_end_matches(':')) {
                c.uninstalled(name);
            }
            return Role::Progress;
        }
        if ATTEMPT_UNINSTALL.is_match(t) {
            return Role::Progress;
        }
        if let Some(m) = INDEXES.captures(t).and_then(|m| m.get(1)) {
            c.tool("pip", None);
            for url in m.as_str().split(", ") {
                c.index(url);
            }
            return Role::Progress;
        }
        if t.contains("pip") || t.contains("uv ") {
            for m in INDEX_OPTION.captures_iter(t).filter_map(|m| m.get(1)) {
                if m.as_str().contains("://") {
                    c.index(m.as_str());
                }
            }
        }
        if let Some(m) = PIP_VERSION.captures(t) {
            c.tool("pip", m.get(1).map(|v| v.as_str()));
            if let Some(v) = m.get(3) {
                c.python_version(PythonSource::Stated, v.as_str());
            }
            return Role::Unknown;
        }
        if let Some(m) = UPGRADE_NOTICE.captures(t) {
            c.tool("pip", m.get(1).or(m.get(2)).map(|v| v.as_str()));
            return Role::Unknown;
        }
        if let Some(m) = SOURCE_VERSION.captures(t) {
            if let (Some(version), Some(spec)) = (m.get(1), m.get(2)) {
                if let Some((name, _)) = split_requirement(spec.as_str()) {
                    if let Some(entry) = c.entry_for(name) {
                        entry.package_version = Some(version.as_str().to_owned());
                    }
                }
            }
            return Role::Unknown;
        }
        if RUN_HEADER.is_match(t) {
            c.tool("pip", None);
            c.end_install_phase();
            c.close_entry();
            c.in_progress = None;
            c.current_package = None;
            c.run += 1;
            return Role::Progress;
        }
        if t == "Cleaning up..." || t.starts_with("Successfully downloaded ") {
            c.in_progress = None;
            return Role::Progress;
        }
        Role::Unknown
    }
}

/// `Collecting`, its legacy spelling `Downloading/unpacking`, `Obtaining` (editables),
/// `Processing` (local files) and the legacy `Checking out X from VCS`.
fn collecting(line: &Line<'_>, m: &regex::Captures<'_>, c: &mut Collector) -> Role {
    let verb = m.get(1).map_or("", |v| v.as_str());
    let mut spec = m.get(2).map_or("", |s| s.as_str());
    let rest = m.get(3).map_or("", |s| s.as_str());
    if verb == "Processing" {
        // A local path may contain spaces (`c:\users\me\onedrive - work\pkg`).
        let start = m.get(2).map_or(0, |s| s.start());
        spec = line.trimmed[start..].trim_end();
    }
    c.tool("pip", None);
    let (name, version, artifact) = match verb {
        "Processing" => {
            // An archive names its project before the first `-<digit>`; a directory does not.
            let file = file_name(spec);
            let named = file
                .match_indices('-')
                .find(|(i, _)| file[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
                .map(|(i, _)| &file[..i])
                .and_then(|name| Some((name, version_from_filename(name, file)?)));
            match named {
                Some((name, version)) => (name.to_owned(), Some(version.to_owned()), Some(spec)),
                None => (spec.to_owned(), None, Some(spec)),
            }
        }
        "Checking out" => (spec.to_owned(), None, None),
        _ => match split_requirement(spec) {
            Some((name, version)) => (name.to_owned(), version.map(str::to_owned), None),
            // A direct reference without a name: the egg fragment if any, else as written.
            None => match spec.split_once("#egg=") {
                Some((_, egg)) => (
                    egg.split('&').next().unwrap_or(egg).to_owned(),
                    None,
                    Some(spec),
                ),
                None => (spec.to_owned(), None, Some(spec)),
            },
        },
    };
    if verb != "Processing" && is_top_level(rest) {
        c.requirement(spec);
    }
    c.start_entry(&name, version.as_deref(), version.is_some());
    if let Some(artifact) = artifact {
        c.artifact(artifact, None);
    }
    c.in_progress = Some(line.number);
    Role::Progress
}

/// A requirement the user asked for (from a requirements file or the command line) rather than
/// one pulled in by another package: no `(from ...)`, or `(from -r file ...)`.
fn is_top_level(text: &str) -> bool {
    match text.find("(from ") {
        None => true,
        Some(i) => text[i + 6..].starts_with("-r "),
    }
}

/// `-cp36-` in a wheel name is a hint of the interpreter (only a hint: pure wheels say nothing).
fn wheel_tag_python(artifact: &str, c: &mut Collector) {
    if let Some(m) = WHEEL_TAG.captures(file_name(artifact)) {
        if let (Some(major), Some(minor)) = (m.get(1), m.get(2)) {
            c.python_version(
                PythonSource::Hint,
                &format!("{}.{}", major.as_str(), minor.as_str()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_str;
    use crate::report::Tool;

    #[test]
    fn modern_pip_run() {
        let r = parse_str(
            "pip 24.0 from /venv/lib/python3.12/site-packages/pip (python 3.12)\n\
             Looking in indexes: https://user:tok@idx.example/simple, https://other.example/simple\n\
             Collecting requests==2.31.0 (from -r requirements.txt (line 1))\n\
             \x20 Downloading requests-2.31.0-py3-none-any.whl.metadata (4.6 kB)\n\
             Collecting idna<4,>=2.5 (from requests==2.31.0->-r requirements.txt (line 1))\n\
             \x20 Using cached idna-3.6-py3-none-any.whl (61 kB)\n\
             Collecting numpy\n\
             \x20 Downloading numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.whl (18.0 MB)\n\
             \x20    ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 18.0/18.0 MB 10.0 MB/s eta 0:00:00\n\
             Installing collected packages: idna, requests, numpy\n\
             Successfully installed idna-3.6 numpy-1.26.4 requests-2.31.0\n",
        );
        assert_eq!(
            r.tools,
            vec![Tool {
                name: "pip".into(),
                version: Some("24.0".into())
            }]
        );
        assert_eq!(r.python_version.as_deref(), Some("3.12"));
        assert_eq!(
            r.indexes,
            vec![
                "https://idx.example/simple".to_owned(),
                "https://other.example/simple".to_owned()
            ]
        );
        assert_eq!(
            r.requirements,
            vec!["numpy".to_owned(), "requests==2.31.0".to_owned()]
        );
        let entries: Vec<_> = r
            .installation
            .iter()
            .map(|e| {
                (
                    e.package_name.as_str(),
                    e.package_version.as_deref(),
                    e.artifact_size.as_deref(),
                    e.is_wheel,
                    e.is_successful,
                )
            })
            .collect();
        assert_eq!(
            entries,
            vec![
                ("requests", Some("2.31.0"), None, None, Some(true)),
                ("idna", Some("3.6"), Some("61kB"), Some(true), Some(true)),
                (
                    "numpy",
                    Some("1.26.4"),
                    Some("18.0MB"),
                    Some(true),
                    Some(true)
                ),
            ]
        );
        assert_eq!(r.installed.len(), 3);
        assert!(r.installation_successful && r.errors.is_empty());
    }

    #[test]
    fn old_pip_sizes_and_notice() {
        let r = parse_str(
            "Collecting six (from -r r.txt (line 1))\n\
             \x20 Downloading https://files.example/six-1.12.0-py2.py3-none-any.whl\n\
             Collecting foo\n\
             \x20 Downloading https://files.example/foo-1.0.tar.gz (1.2MB)\n\
             \x20   100% |████████████████████████████████| 1.2MB 3.4MB/s\n\
             Collecting bar\n\
             \x20 Downloading bar-2.0.tar.gz (10 kB)\n\
             \x20    |████████████████████████████████| 10 kB 3.4 MB/s\n\
             Installing collected packages: six, foo, bar\n\
             \x20 Running setup.py install for foo: started\n\
             Successfully installed bar-2.0 foo-1.0 six-1.12.0\n\
             You are using pip version 9.0.1, however version 19.0 is available.\n",
        );
        assert_eq!(
            r.tools.first().and_then(|t| t.version.as_deref()),
            Some("9.0.1")
        );
        assert_eq!(r.installation[0].package_version.as_deref(), Some("1.12.0"));
        assert_eq!(r.installation[1].artifact_size.as_deref(), Some("1.2MB"));
        assert_eq!(r.installation[2].artifact_size.as_deref(), Some("10kB"));
        assert_eq!(r.installation[1].is_wheel, Some(false));
    }

    #[test]
    fn already_satisfied_and_uninstall() {
        let r = parse_str(
            "Requirement already satisfied: six in /usr/lib/python3.9/site-packages (1.16.0)\n\
             Requirement already satisfied: idna<4,>=2 in ./v/lib/python3.9/site-packages (from requests) (3.4)\n\
             Collecting pip\n\
             Attempting uninstall: pip\n\
             \x20 Found existing installation: pip 20.0\n\
             \x20 Uninstalling pip-20.0:\n\
             \x20   Successfully uninstalled pip-20.0\n\
             Successfully installed pip-24.0\n",
        );
        let installed: Vec<_> = r
            .installed
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            installed,
            vec![("idna", "3.4"), ("pip", "24.0"), ("six", "1.16.0")]
        );
        assert_eq!(r.requirements, vec!["pip".to_owned(), "six".to_owned()]);
        assert_eq!(r.python_version.as_deref(), Some("3.9"));
        assert!(
            r.tools
                .iter()
                .any(|t| t.name == "pip" && t.version.as_deref() == Some("24.0"))
        );
    }

    #[test]
    fn packages_installed_before_a_failing_legacy_install_stay() {
        // pip 20.3 to 22.3 without `wheel`: `setup.py install` per package, in the listed order.
        let r = parse_str(
            "Collecting six==1.16.0\n\
             \x20 Downloading six-1.16.0-py2.py3-none-any.whl (11 kB)\n\
             Collecting brokenext\n\
             \x20 Downloading brokenext-1.0.tar.gz (2 kB)\n\
             Using legacy 'setup.py install' for brokenext, since package 'wheel' is not installed.\n\
             Installing collected packages: six, brokenext\n\
             \x20   Running setup.py install for brokenext: started\n\
             \x20   Running setup.py install for brokenext: finished with status 'error'\n\
             ERROR: Command errored out with exit status 1: /v/bin/python -u -c 'import sys, setuptools' install --record /tmp/r.txt Check the logs for full command output.\n",
        );
        let installed: Vec<_> = r
            .installed
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(installed, vec![("six", "1.16.0")]);
        assert_eq!(r.failed, vec!["brokenext".to_owned()]);
        assert!(!r.installation_successful);
    }

    #[test]
    fn a_conflict_blames_its_culprits_not_the_last_package_collected() {
        let r = parse_str(
            "Collecting idna==2.4\n\
             Collecting requests==2.31.0\n\
             Collecting charset-normalizer<4,>=2\n\
             ERROR: Cannot install idna==2.4 and requests==2.31.0 because these package versions have conflicting dependencies.\n\
             \n\
             The conflict is caused by:\n\
             \x20   The user requested idna==2.4\n\
             \x20   requests 2.31.0 depends on idna<4,>=2.5\n\
             \n\
             To fix this you could try to:\n\
             ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/\n",
        );
        assert_eq!(r.failed, vec!["idna".to_owned(), "requests".to_owned()]);
        let e = &r.errors[0];
        assert_eq!(e.culprits, vec!["idna", "requests"]);
        assert_eq!(e.package.as_deref(), Some("idna"));
        let origins: Vec<_> = e
            .conflicting_requirements
            .iter()
            .map(|c| (c.requirement.as_str(), c.origin.as_str()))
            .collect();
        assert_eq!(
            origins,
            vec![("idna==2.4", "user"), ("idna<4,>=2.5", "requests")]
        );
    }
}
