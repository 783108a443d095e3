//! Dependencies an old sdist states without a build. When PKG-INFO does not promise static
//! metadata (Metadata-Version before 2.2, or `Requires-Dist` dynamic), the sdist usually still
//! says what it needs in a file nobody has to run, read in this order:
//!
//! 1. `*.egg-info/requires.txt` (with the egg-info's `PKG-INFO` for Requires-Python), which
//!    setuptools wrote when it made the sdist: exactly what `setup.py` computed on the
//!    maintainer's machine. setuptools writes `requires.txt` only when there is a requirement,
//!    so an egg-info without one means no dependencies.
//! 2. `setup.cfg`, `[options] install_requires` / `[options.extras_require]` /
//!    `python_requires` (declarative setuptools configuration), when `install_requires` is
//!    there and is not a `file:` directive.
//! 3. `pyproject.toml` `[project]` (PEP 621) when `dependencies` is not listed in `dynamic`.
//!
//! An sdist with only `setup.py` has no static answer: the release stays in `errors`.

use std::collections::BTreeMap;

use crate::acquire::MetadataSource;

/// The files of an sdist this module reads, each at most the member limit.
#[derive(Debug, Default)]
pub struct SdistFiles {
    pub pkg_info: Option<Vec<u8>>,
    /// The shallowest `*.egg-info/` directory: its `requires.txt` and `PKG-INFO`, and whether
    /// one exists at all.
    pub egg_info: bool,
    pub egg_requires: Option<Vec<u8>>,
    pub egg_pkg_info: Option<Vec<u8>>,
    pub setup_cfg: Option<Vec<u8>>,
    pub pyproject: Option<Vec<u8>>,
}

/// Which member of an sdist a path is, if one this module reads: `(kind, depth)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    PkgInfo,
    EggRequires,
    EggPkgInfo,
    EggDir,
    SetupCfg,
    Pyproject,
}

/// Classifies an archive path (`name-1.0/setup.cfg`, `name-1.0/src/name.egg-info/requires.txt`);
/// the depth orders egg-info directories, shallowest first.
pub fn classify(path: &str) -> Option<(Member, usize)> {
    let parts: Vec<&str> = path
        .trim_start_matches("./")
        .trim_end_matches('/')
        .split('/')
        .collect();
    if parts.first().is_none_or(|p| p.is_empty()) {
        return None;
    }
    let last = *parts.last()?;
    let parent = parts.len().checked_sub(2).map(|i| parts[i]);
    let in_egg_info = parent.is_some_and(|p| p.ends_with(".egg-info"));
    match (parts.len(), last) {
        (2, "PKG-INFO") => Some((Member::PkgInfo, 1)),
        (2, "setup.cfg") => Some((Member::SetupCfg, 1)),
        (2, "pyproject.toml") => Some((Member::Pyproject, 1)),
        (3 | 4, "requires.txt") if in_egg_info => Some((Member::EggRequires, parts.len())),
        (3 | 4, "PKG-INFO") if in_egg_info => Some((Member::EggPkgInfo, parts.len())),
        (2 | 3, dir) if dir.ends_with(".egg-info") => Some((Member::EggDir, parts.len() + 1)),
        (3 | 4, _) if in_egg_info => Some((Member::EggDir, parts.len())),
        _ => None,
    }
}

/// The dependencies found, as core metadata fields to put in place of PKG-INFO's.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StaticDependencies {
    pub requires_dist: Vec<String>,
    pub provides_extra: Vec<String>,
    pub requires_python: Option<String>,
    pub source: Option<MetadataSource>,
}

impl StaticDependencies {
    /// Adds an extra and the requirements it brings.
    fn add_extra(&mut self, extra: String, requirements: Vec<String>) -> Result<(), String> {
        for requirement in requirements {
            let section = (Some(extra.clone()), None);
            self.requires_dist
                .push(with_marker(&requirement, Some(&section))?);
        }
        self.provides_extra.push(extra);
        Ok(())
    }
}

/// Reads the static dependencies of an sdist whose PKG-INFO cannot be believed, or says why
/// there are none to read.
pub fn read(files: &SdistFiles) -> Result<StaticDependencies, String> {
    if files.egg_info {
        let mut found = match &files.egg_requires {
            Some(text) => requires_txt(&String::from_utf8_lossy(text))?,
            None => StaticDependencies::default(),
        };
        found.requires_python = files
            .egg_pkg_info
            .as_deref()
            .or(files.pkg_info.as_deref())
            .and_then(|bytes| common::python::CoreMetadata::parse(bytes).ok())
            .and_then(|m| m.requires_python().map(str::to_owned));
        found.source = Some(MetadataSource::SdistEggInfo);
        return Ok(found);
    }
    if let Some(text) = &files.setup_cfg {
        if let Some(found) = setup_cfg(&String::from_utf8_lossy(text))? {
            return Ok(found);
        }
    }
    if let Some(text) = &files.pyproject {
        if let Some(found) = pyproject(&String::from_utf8_lossy(text))? {
            return Ok(found);
        }
    }
    Err("no static statement of its dependencies (no *.egg-info/requires.txt, no setup.cfg install_requires, no pyproject.toml [project] dependencies): only running setup.py would tell, which the solver never does".into())
}

/// `[extra:marker]` sections of setuptools' `requires.txt` as PEP 508 requirements.
fn requires_txt(text: &str) -> Result<StaticDependencies, String> {
    let mut found = StaticDependencies::default();
    let mut section: Option<(Option<String>, Option<String>)> = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let (extra, marker) = match header.split_once(':') {
                Some((e, m)) => (e.trim(), Some(m.trim())),
                None => (header.trim(), None),
            };
            let extra = (!extra.is_empty()).then(|| common::python::normalize_name(extra));
            if let Some(e) = &extra {
                if !found.provides_extra.contains(e) {
                    found.provides_extra.push(e.clone());
                }
            }
            section = Some((extra, marker.filter(|m| !m.is_empty()).map(str::to_owned)));
            continue;
        }
        found
            .requires_dist
            .push(with_marker(line, section.as_ref())?);
    }
    Ok(found)
}

/// `requirement` with the section's extra and marker joined to its own marker.
fn with_marker(
    requirement: &str,
    section: Option<&(Option<String>, Option<String>)>,
) -> Result<String, String> {
    let parsed = common::python::Requirement::parse(requirement)
        .map_err(|e| format!("requires.txt line {requirement:?} is not PEP 508: {e}"))?;
    let mut markers: Vec<String> = Vec::new();
    if let Some(own) = parsed.marker() {
        markers.push(format!("({own})"));
    }
    if let Some((extra, marker)) = section {
        if let Some(m) = marker {
            markers.push(format!("({m})"));
        }
        if let Some(e) = extra {
            markers.push(format!("extra == \"{e}\""));
        }
    }
    let base = requirement
        .split_once(';')
        .map_or(requirement, |(r, _)| r)
        .trim();
    Ok(if markers.is_empty() {
        base.to_owned()
    } else {
        format!("{base}; {}", markers.join(" and "))
    })
}

/// A minimal INI reader for `setup.cfg`: sections, `key = value` / `key: value`, indented
/// continuation lines, `#`/`;` comments.
fn ini(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section = String::new();
    let mut key: Option<String> = None;
    for raw in text.lines() {
        let trimmed = raw.trim();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if raw.starts_with([' ', '\t']) && !trimmed.is_empty() {
            if let Some(k) = &key {
                let value = out
                    .entry(section.clone())
                    .or_default()
                    .entry(k.clone())
                    .or_default();
                value.push('\n');
                value.push_str(trimmed);
            }
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
            key = None;
            continue;
        }
        let split = trimmed
            .find(['=', ':'])
            .map(|at| (&trimmed[..at], &trimmed[at + 1..]));
        if let Some((k, v)) = split {
            let k = k.trim().replace('-', "_").to_ascii_lowercase();
            out.entry(section.clone())
                .or_default()
                .insert(k.clone(), v.trim().to_owned());
            key = Some(k);
        }
    }
    out
}

/// The requirements of a `setup.cfg` list value (one per line, or `;`-separated on one line).
fn cfg_list(value: &str) -> Vec<String> {
    value
        .lines()
        .map(|l| l.split_once(" #").map_or(l, |(r, _)| r).trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn setup_cfg(text: &str) -> Result<Option<StaticDependencies>, String> {
    let sections = ini(text);
    let Some(options) = sections.get("options") else {
        return Ok(None);
    };
    let Some(install) = options.get("install_requires") else {
        return Ok(None);
    };
    if install.trim_start().starts_with("file:") {
        return Ok(None);
    }
    let mut found = StaticDependencies {
        source: Some(MetadataSource::SdistSetupCfg),
        requires_python: options
            .get("python_requires")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        ..StaticDependencies::default()
    };
    for requirement in cfg_list(install) {
        found.requires_dist.push(with_marker(&requirement, None)?);
    }
    if let Some(extras) = sections.get("options.extras_require") {
        for (extra, list) in extras {
            let extra = common::python::normalize_name(extra);
            if list.trim_start().starts_with("file:") {
                return Ok(None);
            }
            found.add_extra(extra, cfg_list(list))?;
        }
    }
    Ok(Some(found))
}

fn pyproject(text: &str) -> Result<Option<StaticDependencies>, String> {
    let doc: toml::Table =
        toml::from_str(text).map_err(|e| format!("pyproject.toml is not TOML: {e}"))?;
    let Some(project) = doc.get("project").and_then(toml::Value::as_table) else {
        return Ok(None);
    };
    let dynamic: Vec<&str> = project
        .get("dynamic")
        .and_then(toml::Value::as_array)
        .map(|a| a.iter().filter_map(toml::Value::as_str).collect())
        .unwrap_or_default();
    if dynamic.iter().any(|d| {
        matches!(
            *d,
            "dependencies" | "optional-dependencies" | "requires-python"
        )
    }) {
        return Ok(None);
    }
    let strings = |value: Option<&toml::Value>| -> Vec<String> {
        value
            .and_then(toml::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(toml::Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut found = StaticDependencies {
        source: Some(MetadataSource::SdistPyproject),
        requires_python: project
            .get("requires-python")
            .and_then(toml::Value::as_str)
            .map(str::to_owned),
        ..StaticDependencies::default()
    };
    for requirement in strings(project.get("dependencies")) {
        found.requires_dist.push(with_marker(&requirement, None)?);
    }
    if let Some(extras) = project
        .get("optional-dependencies")
        .and_then(toml::Value::as_table)
    {
        for (extra, list) in extras {
            let extra = common::python::normalize_name(extra);
            found.add_extra(extra, strings(Some(list)))?;
        }
    }
    Ok(Some(found))
}

/// PKG-INFO's fields with the dependency fields replaced by `found`, as core metadata text.
pub fn merged_metadata(
    pkg_info: &common::python::CoreMetadata,
    found: &StaticDependencies,
) -> String {
    const REPLACED: [&str; 3] = ["requires-dist", "provides-extra", "requires-python"];
    let mut text = String::new();
    let mut description = None;
    for (key, value) in pkg_info.fields() {
        let lower = key.to_ascii_lowercase();
        if REPLACED.contains(&lower.as_str()) {
            continue;
        }
        if lower == "description" {
            description = Some(value.clone());
            continue;
        }
        text.push_str(&format!("{key}: {}\n", value.replace('\n', "\n        ")));
    }
    if let Some(rp) = &found.requires_python {
        text.push_str(&format!("Requires-Python: {rp}\n"));
    }
    for extra in &found.provides_extra {
        text.push_str(&format!("Provides-Extra: {extra}\n"));
    }
    for requirement in &found.requires_dist {
        text.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    if let Some(description) = description {
        text.push('\n');
        text.push_str(&description);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_txt_sections_become_markers() {
        let found = requires_txt(
            "Werkzeug>=0.7\nJinja2>=2.4\n\n[dotenv]\npython-dotenv\n\n[:python_version < \"3\"]\nenum34\n\n[security:sys_platform == \"win32\"]\npyOpenSSL>=0.14 ; python_version<'3.8'\n",
        )
        .expect("reads");
        assert_eq!(
            found.requires_dist,
            [
                "Werkzeug>=0.7",
                "Jinja2>=2.4",
                "python-dotenv; extra == \"dotenv\"",
                "enum34; (python_version < \"3\")",
                "pyOpenSSL>=0.14; (python_version < \"3.8\") and (sys_platform == \"win32\") and extra == \"security\"",
            ]
        );
        assert_eq!(found.provides_extra, ["dotenv", "security"]);
        for r in &found.requires_dist {
            common::python::Requirement::parse(r).expect("PEP 508");
        }
    }

    #[test]
    fn setup_cfg_options() {
        let found = setup_cfg(
            "[metadata]\nname = x\n\n[options]\npackages = find:\npython_requires = >=3.6\ninstall_requires =\n    click>=7\n    colorama; platform_system == \"Windows\"\n\n[options.extras_require]\nTesting =\n    pytest\n",
        )
        .expect("reads")
        .expect("static");
        assert_eq!(found.source, Some(MetadataSource::SdistSetupCfg));
        assert_eq!(found.requires_python.as_deref(), Some(">=3.6"));
        assert_eq!(
            found.requires_dist,
            [
                "click>=7",
                "colorama; (platform_system == \"Windows\")",
                "pytest; extra == \"testing\""
            ]
        );
        assert!(
            setup_cfg("[options]\ninstall_requires = file: requirements.txt\n")
                .expect("reads")
                .is_none()
        );
        assert!(
            setup_cfg("[metadata]\nname = x\n")
                .expect("reads")
                .is_none()
        );
    }

    #[test]
    fn pyproject_project_table_unless_dynamic() {
        let found = pyproject(
            "[project]\nname = \"x\"\nrequires-python = \">=3.8\"\ndependencies = [\"attrs>=20\"]\n[project.optional-dependencies]\ndocs = [\"sphinx\"]\n",
        )
        .expect("reads")
        .expect("static");
        assert_eq!(
            found.requires_dist,
            ["attrs>=20", "sphinx; extra == \"docs\""]
        );
        assert_eq!(found.requires_python.as_deref(), Some(">=3.8"));
        assert!(
            pyproject("[project]\nname = \"x\"\ndynamic = [\"dependencies\"]\n")
                .expect("reads")
                .is_none()
        );
        assert!(
            pyproject("[build-system]\nrequires = [\"setuptools\"]\n")
                .expect("reads")
                .is_none()
        );
    }

    #[test]
    fn order_and_setup_py_only() {
        let files = SdistFiles {
            egg_info: true,
            setup_cfg: Some(b"[options]\ninstall_requires = a\n".to_vec()),
            ..SdistFiles::default()
        };
        let found = read(&files).expect("egg-info wins");
        assert_eq!(found.source, Some(MetadataSource::SdistEggInfo));
        assert!(found.requires_dist.is_empty());
        let files = SdistFiles {
            setup_cfg: Some(b"[options]\ninstall_requires = a\n".to_vec()),
            ..SdistFiles::default()
        };
        assert_eq!(read(&files).expect("cfg").requires_dist, ["a"]);
        assert!(read(&SdistFiles::default()).is_err());
    }

    #[test]
    fn classifies_paths() {
        assert_eq!(classify("a-1.0/PKG-INFO"), Some((Member::PkgInfo, 1)));
        assert_eq!(
            classify("a-1.0/a.egg-info/requires.txt"),
            Some((Member::EggRequires, 3))
        );
        assert_eq!(
            classify("a-1.0/src/a.egg-info/PKG-INFO"),
            Some((Member::EggPkgInfo, 4))
        );
        assert_eq!(classify("a-1.0/a.egg-info/"), Some((Member::EggDir, 3)));
        assert_eq!(classify("a-1.0/docs/setup.cfg"), None);
        assert_eq!(classify("PKG-INFO"), None);
    }
}
