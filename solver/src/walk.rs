//! thoth-solver's walk, without installing anything: every version of each requirement that its
//! specifier allows (pre-releases included, as Thoth asked), on each index; for each, the
//! metadata, licence, digests and dependencies with the versions each dependency range allows on
//! each dependency index; and, unless told otherwise, the same for those versions in turn.
//!
//! Releases are analyzed concurrently (the index client bounds the requests in flight); each
//! project page is fetched once per index and shared.

use std::collections::{BTreeSet, HashSet};

use common::index::{Distribution, IndexClient, IndexFile};
use common::python::{
    Operator, Requirement, TargetEnvironment, TargetPlatform, Version, VersionSpecifiers,
    normalize_name,
};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use crate::acquire::{AcquireError, Acquired};
use crate::cache::{IndexCache, ReleasesResult};
use crate::input::document_index_url;
use crate::releases::{self, Releases};
use crate::report::{
    Artifact, Dependency, ErrorDetails, ErrorEntry, FileEntry, FileHash, ImportlibMetadata, Report,
    ResolvedVersions, TreeEntry, Unparsed, Unresolved,
};
use crate::{license, specifier};

/// Releases analyzed at once; the index client bounds the HTTP requests separately.
const RELEASES_IN_FLIGHT: usize = 64;

/// Metadata keys kept by `--limited-output` (Thoth's list, compared case-insensitively).
const LIMITED_KEYS: [&str; 11] = [
    "classifier",
    "metadata-version",
    "name",
    "obsoletes-dist",
    "platform",
    "provides-dist",
    "provides-extra",
    "requires-dist",
    "requires-external",
    "requires-python",
    "supported-platform",
];

pub struct WalkOptions {
    pub indexes: Vec<String>,
    pub dependency_indexes: Vec<String>,
    pub transitive: bool,
    /// Normalised names not to analyze.
    pub exclude: HashSet<String>,
    pub limited_output: bool,
    /// Read each wheel's RECORD and entry points even when a metadata file would do.
    pub files: bool,
    pub environment: TargetEnvironment,
}

/// One release to analyze.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Release {
    project: String,
    version: Version,
    /// The version as the root requirement or dependency range selected it.
    requested: String,
    index: String,
}

/// What analyzing one release produced.
enum Outcome {
    Entry(Box<TreeEntry>, Vec<Release>),
    Error(ErrorEntry),
}

/// The versions on the page that `spec` allows (PEP 440, see [`specifier`]), ascending,
/// pre-releases included (Thoth's walk lists them all); a release whose every file is yanked
/// only when `yank_ok` says the user's own requirements pin it exactly (PEP 592).
pub fn matching_versions(
    releases: &Releases,
    spec: Option<&VersionSpecifiers>,
    yank_ok: impl Fn(&Version) -> bool,
) -> Vec<Version> {
    releases
        .iter()
        .filter(|(v, _)| specifier::contains_all(spec, v))
        .filter_map(|(v, mut files)| (files.any(|f| !f.is_yanked()) || yank_ok(v)).then_some(v))
        .cloned()
        .collect()
}

/// `sysconfig.get_platform()` of the target.
pub fn platform_string(env: &TargetEnvironment) -> String {
    match env.platform() {
        TargetPlatform::Linux { arch, .. } => format!("linux-{arch}"),
        TargetPlatform::MacOs { arch, version } => {
            format!("macosx-{}.{}-{arch}", version.0, version.1)
        }
        TargetPlatform::Windows { arch } if arch == "win32" => "win32".to_owned(),
        TargetPlatform::Windows { arch } => format!("win-{arch}"),
        TargetPlatform::Other => env.markers().sys_platform().to_owned(),
    }
}

fn artifact(file: &IndexFile, env: &TargetEnvironment) -> Artifact {
    let (kind, tags) = match &file.distribution {
        Distribution::Wheel(w) => {
            let mut tags = Vec::new();
            for p in w.python_tags() {
                for a in w.abi_tags() {
                    for pl in w.platform_tags() {
                        tags.push(format!("{p}-{a}-{pl}"));
                    }
                }
            }
            ("wheel", tags)
        }
        Distribution::Sdist(_) => ("sdist", Vec::new()),
        Distribution::Other => ("other", Vec::new()),
    };
    Artifact {
        filename: file.filename.to_string(),
        url: common::secret::redact_url(&file.url),
        sha256: file.sha256().map(str::to_owned),
        requires_python: file.requires_python.as_deref().map(str::to_owned),
        yanked: file.is_yanked(),
        yanked_reason: file.yanked.as_ref().and_then(|y| y.reason.clone()),
        kind: kind.to_owned(),
        tags,
        fits_target: releases::unfit(file, env).is_none(),
    }
}

/// Import names from a RECORD's `__init__.py` files, by depth then name.
fn import_packages(acquired: &Acquired) -> Vec<String> {
    let Some(record) = &acquired.record else {
        return Vec::new();
    };
    let mut names: Vec<String> = record
        .entries
        .iter()
        .filter_map(|e| e.path.strip_suffix("/__init__.py"))
        .filter(|dir| !dir.starts_with("..") && !dir.contains(".dist-info"))
        .map(|dir| dir.replace('/', "."))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    names.sort_by(|a, b| {
        a.matches('.')
            .count()
            .cmp(&b.matches('.').count())
            .then_with(|| a.cmp(b))
    });
    names
}

struct Walker {
    pages: IndexCache,
    options: WalkOptions,
    /// The user's own requirements with an exact pin (`==V`, `===V`), by normalised name: the
    /// only way a yanked release is eligible (PEP 592).
    pins: Vec<Requirement>,
}

impl Walker {
    fn yank_ok(&self, project: &str, version: &Version) -> bool {
        let project = normalize_name(project);
        self.pins.iter().any(|r| {
            r.normalized_name() == project
                && specifier::contains_all(r.version_specifiers(), version)
        })
    }
}

impl Walker {
    async fn analyze(&self, release: Release) -> Outcome {
        let error = |kind: &str, message: String, provided_version: bool| {
            Outcome::Error(ErrorEntry {
                package_name: release.project.clone(),
                index_url: document_index_url(&release.index),
                package_version: release.requested.clone(),
                kind: kind.to_owned(),
                details: ErrorDetails { message },
                is_provided_package: true,
                is_provided_package_version: provided_version,
            })
        };
        let page = match self.pages.releases(&release.index, &release.project).await {
            Ok(p) => p,
            Err(e) => return error("index_error", e.to_string(), false),
        };
        let env = &self.options.environment;
        let acquired = match self
            .pages
            .metadata(
                &release.index,
                &release.project,
                &release.version,
                env,
                self.options.files,
            )
            .await
        {
            Ok(a) => a,
            Err(e) => {
                let (kind, provided) = match e.as_ref() {
                    AcquireError::Unavailable(_) => ("metadata_unavailable", true),
                    AcquireError::Index(_) => ("index_error", true),
                    AcquireError::Unreadable { .. } => ("unreadable_artifact", true),
                };
                let fit = fit_summary(&page.files_of(&release.version), env);
                return error(kind, format!("{e}{fit}"), provided);
            }
        };
        let (dependencies, next, mut warnings) = self.dependencies(&acquired).await;
        warnings.extend(acquired.metadata.warnings.iter().cloned());
        let metadata = &acquired.metadata;
        let mut map = metadata.to_json_map();
        if self.options.limited_output {
            map.retain(|k, _| LIMITED_KEYS.contains(&k.to_ascii_lowercase().as_str()));
        }
        let requires: Vec<String> = metadata
            .requires_dist()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let files = if self.options.limited_output {
            None
        } else {
            acquired.record.as_ref().map(|r| {
                r.entries
                    .iter()
                    .map(|e| FileEntry {
                        hash: e.hash.as_ref().map(|h| FileHash {
                            mode: h.algorithm.clone(),
                            value: h.digest.clone(),
                        }),
                        size: e.size,
                        path: e.path.clone(),
                    })
                    .collect()
            })
        };
        let version = metadata
            .version()
            .map_or_else(|| release.version.to_string(), str::to_owned);
        let files_of_release = page.files_of(&release.version);
        let sha256: BTreeSet<String> = files_sha256(&files_of_release);
        let entry = TreeEntry {
            package_name: metadata.name().unwrap_or(&release.project).to_owned(),
            package_version: version.clone(),
            package_version_requested: release.requested.clone(),
            index_url: document_index_url(&release.index),
            importlib_metadata: ImportlibMetadata {
                metadata: map,
                requires: (!requires.is_empty()).then_some(requires),
                entry_points: acquired
                    .entry_points
                    .as_ref()
                    .map(|e| e.entries.clone())
                    .unwrap_or_default(),
                files,
                version,
            },
            dependencies,
            package_license: license::detect(metadata),
            sha256: sha256.into_iter().collect(),
            packages: import_packages(&acquired),
            artifacts: files_of_release.iter().map(|f| artifact(f, env)).collect(),
            metadata_source: acquired.source,
            metadata_artifact: acquired.filename.clone(),
            warnings,
        };
        Outcome::Entry(Box::new(entry), next)
    }

    /// The dependency entries of a release, the releases they lead to, and warnings about
    /// requirements that could not be read.
    async fn dependencies(
        &self,
        acquired: &Acquired,
    ) -> (Vec<Dependency>, Vec<Release>, Vec<String>) {
        let mut dependencies = Vec::new();
        let mut next = Vec::new();
        let mut warnings = Vec::new();
        for text in acquired.metadata.requires_dist() {
            let requirement = match Requirement::parse(text) {
                Ok(r) => r,
                Err(e) => {
                    warnings.push(format!(
                        "Requires-Dist {text:?} is not a PEP 508 requirement: {e}"
                    ));
                    continue;
                }
            };
            let spec = requirement.version_specifiers();
            let mut resolved_versions = Vec::new();
            for index in &self.options.dependency_indexes {
                let versions = match self.pages.releases(index, requirement.name()).await {
                    Ok(releases) => {
                        matching_versions(&releases, spec, |v| self.yank_ok(requirement.name(), v))
                    }
                    Err(_) => Vec::new(),
                };
                let excluded = self.options.exclude.contains(requirement.normalized_name());
                if self.options.transitive && !excluded {
                    next.extend(versions.iter().map(|v| Release {
                        project: requirement.name().to_owned(),
                        version: v.clone(),
                        requested: v.to_string(),
                        index: index.clone(),
                    }));
                }
                resolved_versions.push(ResolvedVersions {
                    index: document_index_url(index),
                    versions: versions.iter().map(ToString::to_string).collect(),
                });
            }
            let evaluation = requirement.thoth_marker_evaluation(&self.options.environment);
            dependencies.push(Dependency {
                package_name: requirement.name().to_owned(),
                normalized_package_name: requirement.normalized_name().to_owned(),
                specifier: requirement.specifier().map(str::to_owned),
                resolved_versions,
                extras: requirement.extras().to_vec(),
                extra: evaluation.extra,
                marker: evaluation.marker,
                marker_evaluated: evaluation.marker_evaluated,
                marker_evaluation_result: evaluation.result,
                marker_evaluation_error: evaluation.error,
            });
        }
        (dependencies, next, warnings)
    }
}

/// Which files of a release fit the target, and why the others do not, for `errors`.
fn fit_summary(files: &[&IndexFile], env: &TargetEnvironment) -> String {
    let unfit: Vec<String> = files
        .iter()
        .filter_map(|f| releases::unfit(f, env))
        .collect();
    if files.is_empty() {
        " (the index lists no file of this release)".to_owned()
    } else if unfit.len() == files.len() {
        format!(" (no file installable on the target: {})", unfit.join("; "))
    } else {
        String::new()
    }
}

fn files_sha256(files: &[&IndexFile]) -> BTreeSet<String> {
    files
        .iter()
        .filter(|f| {
            f.filename.ends_with(".whl")
                || f.filename.ends_with(".tar.gz")
                || f.filename.ends_with(".zip")
        })
        .filter_map(|f| f.sha256().map(str::to_owned))
        .collect()
}

/// Walks `requirements` (one PEP 508 string each) and returns the document's result.
pub async fn solve(client: IndexClient, requirements: &[String], options: WalkOptions) -> Report {
    let mut report = Report {
        environment: options.environment.to_marker_json(),
        platform: platform_string(&options.environment),
        ..Report::default()
    };
    let pins = requirements
        .iter()
        .filter_map(|text| Requirement::parse(text).ok())
        .filter(|r| specifier::is_exact_pin(r.version_specifiers()))
        .collect();
    let walker = Walker {
        pages: IndexCache::new(client),
        options,
        pins,
    };
    let mut queue: Vec<Release> = Vec::new();
    for text in requirements {
        let requirement = match Requirement::parse(text) {
            Ok(r) => r,
            Err(e) => {
                report.unparsed.push(Unparsed {
                    requirement: text.clone(),
                    details: e.to_string(),
                });
                continue;
            }
        };
        if walker
            .options
            .exclude
            .contains(requirement.normalized_name())
        {
            continue;
        }
        let spec = requirement.version_specifiers();
        for index in &walker.options.indexes {
            let page = walker.pages.releases(index, requirement.name()).await;
            let versions = page
                .as_ref()
                .map(|p| matching_versions(p, spec, |v| walker.yank_ok(requirement.name(), v)))
                .unwrap_or_default();
            if versions.is_empty() {
                report.unresolved.push(unresolved(
                    &requirement,
                    index,
                    &page,
                    &walker.options.environment,
                ));
            }
            queue.extend(versions.into_iter().map(|v| Release {
                project: requirement.name().to_owned(),
                requested: v.to_string(),
                version: v,
                index: index.clone(),
            }));
        }
    }
    let bar = common::progress::bar(queue.len() as u64, "releases");
    let mut seen: HashSet<(String, Version, String)> = HashSet::new();
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < RELEASES_IN_FLIGHT {
            // Last in, first out, as Thoth's deque: dependencies of a release come next.
            let Some(release) = queue.pop() else { break };
            if seen.insert((
                normalize_name(&release.project),
                release.version.clone(),
                release.index.clone(),
            )) {
                running.push(walker.analyze(release));
            } else {
                bar.inc(1);
            }
        }
        let Some(outcome) = running.next().await else {
            break;
        };
        bar.inc(1);
        match outcome {
            Outcome::Entry(entry, next) => {
                let fresh = next.into_iter().filter(|r| {
                    !seen.contains(&(
                        normalize_name(&r.project),
                        r.version.clone(),
                        r.index.clone(),
                    ))
                });
                let before = queue.len();
                queue.extend(fresh);
                bar.inc_length((queue.len() - before) as u64);
                report.tree.push(*entry);
            }
            Outcome::Error(e) => report.errors.push(e),
        }
    }
    bar.finish_and_clear();
    report.tree.sort_by(|a, b| {
        (
            normalize_name(&a.package_name),
            &a.index_url,
            parse_or_zero(&a.package_version_requested),
        )
            .cmp(&(
                normalize_name(&b.package_name),
                &b.index_url,
                parse_or_zero(&b.package_version_requested),
            ))
    });
    report.errors.sort_by(|a, b| {
        (&a.package_name, &a.index_url, &a.package_version).cmp(&(
            &b.package_name,
            &b.index_url,
            &b.package_version,
        ))
    });
    report
}

fn parse_or_zero(v: &str) -> Version {
    v.parse().unwrap_or_else(|_| Version::new([0]))
}

fn unresolved(
    requirement: &Requirement,
    index: &str,
    page: &ReleasesResult,
    env: &TargetEnvironment,
) -> Unresolved {
    let spec = requirement.specifier().unwrap_or_default().to_owned();
    let specs = requirement.version_specifiers();
    let pinned = specifier::is_exact_pin(specs);
    let (provided, provided_version, reason) = match page {
        Ok(releases) => {
            let matching: Vec<&Version> = releases
                .versions()
                .filter(|v| specifier::contains_all(specs, v))
                .collect();
            let has_version = pinned.then_some(!matching.is_empty());
            let reason = if releases.page().files.is_empty() {
                "the index lists the project without any file".to_owned()
            } else if let Some(v) = matching.last() {
                // Only yanked releases match and no exact pin names them.
                format!(
                    "{v} matches {spec:?} but every file of it is yanked (PEP 592: only an exact pin `=={v}` in your own requirements selects a yanked release){}",
                    fit_summary(&releases.files_of(v), env)
                )
            } else {
                no_match_reason(releases, specs, &spec)
            };
            (true, has_version, reason)
        }
        Err(e) if e.is_not_found() => (
            false,
            pinned.then_some(false),
            "the index does not have the project".to_owned(),
        ),
        Err(e) => (false, pinned.then_some(false), e.to_string()),
    };
    Unresolved {
        package_name: requirement.name().to_owned(),
        version_spec: spec,
        index_url: document_index_url(index),
        is_provided_package: provided,
        is_provided_package_version: provided_version,
        reason,
    }
}

/// Why no version of the page satisfies the specifier, naming a local label that differs.
fn no_match_reason(releases: &Releases, specs: Option<&VersionSpecifiers>, spec: &str) -> String {
    let local_pin = specs.and_then(|s| {
        s.iter()
            .find(|s| *s.operator() == Operator::Equal && s.version().is_local())
    });
    if let Some(pin) = local_pin {
        let public = pin.version().clone().without_local();
        let labels: Vec<String> = releases
            .versions()
            .filter(|v| (*v).clone().without_local() == public)
            .map(ToString::to_string)
            .collect();
        if !labels.is_empty() {
            return format!(
                "no version on the index satisfies {spec:?}: the index has {} (PEP 440: a local label in `==` must match exactly)",
                labels.join(", ")
            );
        }
    }
    let newest = releases
        .versions()
        .next_back()
        .map_or_else(String::new, |v| format!(" (newest on the index: {v})"));
    format!("no version on the index satisfies {spec:?}{newest}")
}
