//! `solver resolve`: one consistent set of releases for the target environment, found with
//! PubGrub, with the rules installers apply: markers evaluated for the target, extras as
//! packages of their own (so `a[x]` and `a` agree on a version), yanked releases only when
//! pinned exactly, pre-releases only when asked for or when nothing else fits, releases kept
//! only when the target can install one of their files. When no set exists, PubGrub's
//! derivation says why in words.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::ops::Bound;
use std::sync::{Arc, Mutex, PoisonError};

use common::index::IndexError;
use common::python::{Operator, Requirement, TargetEnvironment, Version, normalize_name};
use pubgrub::{
    DefaultStringReporter, Dependencies, DependencyConstraints, DependencyProvider, DerivationTree,
    External, PackageResolutionStatistics, PubGrubError, Reporter,
};
use tokio::runtime::Handle;

use crate::cache::IndexCache;
use crate::{releases, specifier};

/// A node of the resolution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// The requirements given.
    Root,
    /// A project, by normalised name.
    Project(String),
    /// A project with one extra: depends on the project at the same version and on what the
    /// extra adds.
    Extra(String, String),
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("the requirements"),
            Self::Project(name) => f.write_str(name),
            Self::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}

pub use crate::specifier::Range;

/// The releases of one project the target could install, ascending, from the index they are
/// on, and those it cannot with the reasons (for explanations).
#[derive(Debug, Clone, Default)]
struct Candidates {
    /// Installable releases: version and whether every file the target could install is
    /// yanked.
    versions: Vec<(Version, bool)>,
    /// Releases with no file the target can install, with each file's reason.
    unfit: Vec<(Version, Vec<String>)>,
    index: String,
}

/// Why a release that matches a requirement's specifier was left out of its range.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Excluded {
    /// PEP 592: yanked, and not pinned exactly by the user's own requirements.
    Yanked,
    /// PEP 440 "Pre-releases": the requirement does not name a pre-release, `--pre` was not
    /// given, and a final or post release satisfies it.
    Prerelease,
    /// `===`: the version's text differs (`1.0` is not `1.0.0`).
    ArbitraryText,
}

/// The releases of one project left out of some range: why, and by which requirement.
type Exclusions = BTreeMap<Version, (Excluded, String)>;

impl fmt::Display for Excluded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Yanked => {
                "is yanked (PEP 592: only an exact pin (== or ===) among your own requirements selects a yanked release)"
            }
            Self::Prerelease => {
                "is a pre-release, and a final release satisfies the same specifier (PEP 440: pass --pre, or name a pre-release in the specifier)"
            }
            Self::ArbitraryText => "does not have the exact version text `===` asks for",
        })
    }
}

pub struct ResolveOptions {
    pub indexes: Vec<String>,
    pub environment: TargetEnvironment,
    /// Pre-releases: always allowed, or by PEP 440's default rule.
    pub prereleases: bool,
    /// Constraints (`-c FILE`): each bounds its project's versions whenever the project is
    /// needed, without requiring it.
    pub constraints: Vec<Requirement>,
}

struct Provider<'a> {
    cache: Arc<IndexCache>,
    runtime: Handle,
    options: &'a ResolveOptions,
    root: Vec<Requirement>,
    candidates: Mutex<HashMap<String, Arc<Candidates>>>,
    /// Per project, the releases left out of some requirement's range and why, with the
    /// requirement (for explanations).
    excluded: Mutex<BTreeMap<String, Exclusions>>,
    /// Failures that are not conflicts: the index could not be asked.
    failure: Mutex<Option<String>>,
}

impl Provider<'_> {
    fn candidates(&self, project: &str) -> Arc<Candidates> {
        if let Some(c) = self
            .candidates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(project)
        {
            return Arc::clone(c);
        }
        let env = &self.options.environment;
        let mut found = Candidates::default();
        for index in &self.options.indexes {
            match self.runtime.block_on(self.cache.releases(index, project)) {
                Ok(releases) => {
                    found.index.clone_from(index);
                    for (version, files) in releases.iter() {
                        let mut reasons = Vec::new();
                        let mut fitting_yanked = Vec::new();
                        for file in files {
                            match releases::unfit(file, env) {
                                Some(reason) => reasons.push(reason),
                                None => fitting_yanked.push(file.is_yanked()),
                            }
                        }
                        if fitting_yanked.is_empty() {
                            found.unfit.push((version.clone(), reasons));
                        } else {
                            let yanked = fitting_yanked.iter().all(|y| *y);
                            found.versions.push((version.clone(), yanked));
                        }
                    }
                    // The first index that has the project is the one it comes from (as uv does:
                    // no mixing of releases across indexes, the guard against dependency confusion).
                    break;
                }
                Err(IndexError::NotFound { .. }) => {}
                Err(e) => {
                    self.failure
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .get_or_insert_with(|| e.to_string());
                }
            }
        }
        let found = Arc::new(found);
        self.candidates
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(project.to_owned(), Arc::clone(&found));
        found
    }

    /// The range of `requirement`: its specifier's versions, less the candidates it does not
    /// make eligible (yanked unless the user's own requirements pin them; pre-releases by PEP
    /// 440's rule; `===` text mismatches). The exclusions are recorded for explanations.
    fn requirement_range(&self, requirement: &Requirement) -> Range {
        let name = requirement.normalized_name();
        let specs = requirement.version_specifiers();
        let mut range = specifier::ranges(specs);
        for constraint in self.options.constraints.iter().filter(|c| {
            c.normalized_name() == name && c.evaluate_marker(&self.options.environment, &[])
        }) {
            range = range.intersection(&specifier::ranges(constraint.version_specifiers()));
        }
        let candidates = self.candidates(name);
        let in_range = || {
            candidates
                .versions
                .iter()
                .filter(|(v, _)| range.contains(v))
        };
        let yank_ok = |v: &Version| {
            self.root.iter().any(|r| {
                r.normalized_name() == name
                    && specifier::is_exact_pin(r.version_specifiers())
                    && specifier::contains_all(r.version_specifiers(), v)
            })
        };
        let text_ok = |v: &Version| specifier::contains_all(specs, v);
        // PEP 440: pre-releases "explicitly requested by the user" (a requirement given here
        // names one for this project), named by this requirement, or the only way to satisfy it.
        let user_asked = self.root.iter().any(|r| {
            r.normalized_name() == name && specifier::names_prerelease(r.version_specifiers())
        });
        let pre_ok = self.options.prereleases
            || user_asked
            || specifier::names_prerelease(specs)
            || !in_range()
                .any(|(v, yanked)| !v.any_prerelease() && text_ok(v) && (!yanked || yank_ok(v)));
        let mut excluded = Vec::new();
        for (v, yanked) in in_range() {
            let why = if !text_ok(v) {
                Excluded::ArbitraryText
            } else if *yanked && !yank_ok(v) {
                Excluded::Yanked
            } else if v.any_prerelease() && !pre_ok {
                Excluded::Prerelease
            } else {
                continue;
            };
            excluded.push((v.clone(), why));
        }
        if excluded.is_empty() {
            return range;
        }
        let mut recorded = self.excluded.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = recorded.entry(name.to_owned()).or_default();
        for (v, why) in &excluded {
            entry.entry(v.clone()).or_insert_with(|| {
                (
                    why.clone(),
                    format!(
                        "{} {}",
                        requirement.name(),
                        requirement.specifier().unwrap_or_default()
                    ),
                )
            });
        }
        // The gaps between excluded versions, built in one pass (the versions are ascending).
        let mut lower = Bound::Unbounded;
        let mut allowed = Vec::with_capacity(excluded.len() + 1);
        for (v, _) in excluded {
            allowed.push((lower, Bound::Excluded(v.clone())));
            lower = Bound::Excluded(v);
        }
        allowed.push((lower, Bound::Unbounded));
        range.intersection(&allowed.into_iter().collect())
    }

    /// Adds `requirement` to `constraints`.
    fn add(&self, constraints: &mut DependencyConstraints<Node, Range>, requirement: &Requirement) {
        let name = requirement.normalized_name().to_owned();
        let range = self.requirement_range(requirement);
        self.prefetch(&name, &range);
        for extra in requirement.extras() {
            let node = Node::Extra(name.clone(), normalize_name(extra));
            merge(constraints, node, range.clone());
        }
        merge(constraints, Node::Project(name), range);
    }

    /// Warms the cache while PubGrub works on something else: the metadata of the release
    /// it will most likely pick (the highest in range).
    fn prefetch(&self, project: &str, range: &Range) {
        let candidates = self.candidates(project);
        let Some(version) = candidates
            .versions
            .iter()
            .rev()
            .map(|(v, _)| v)
            .find(|v| range.contains(*v))
            .cloned()
        else {
            return;
        };
        let cache = Arc::clone(&self.cache);
        let env = self.options.environment.clone();
        let (project, index) = (project.to_owned(), candidates.index.clone());
        self.runtime.spawn(async move {
            let _ = cache
                .metadata(&index, &project, &version, &env, false)
                .await;
        });
    }

    /// Why the releases of the projects PubGrub found no version of were left out, in words.
    fn explain(&self, projects: &BTreeSet<String>) -> String {
        const SHOWN: usize = 5;
        let excluded = self.excluded.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = String::new();
        for project in projects {
            let candidates = self.candidates(project);
            let mut lines = Vec::new();
            if candidates.versions.is_empty() && candidates.unfit.is_empty() {
                lines.push(format!(
                    "{project}: no index in {} lists any release of it",
                    self.options.indexes.len()
                ));
            }
            if let Some(excluded) = excluded.get(project) {
                lines.extend(
                    excluded
                        .iter()
                        .rev()
                        .take(SHOWN)
                        .map(|(v, (why, by))| format!("{project} {v} {why} (required as `{by}`)")),
                );
            }
            for (v, reasons) in candidates.unfit.iter().rev().take(SHOWN) {
                lines.push(format!(
                    "{project} {v} has no file installable on the target: {}",
                    reasons.join("; ")
                ));
            }
            if candidates.unfit.len() > SHOWN {
                lines.push(format!(
                    "... and {} older releases of {project} with no installable file",
                    candidates.unfit.len() - SHOWN
                ));
            }
            for requirement in self.requirements_on(project) {
                if let Some(note) = local_label_note(&requirement, &candidates) {
                    lines.push(note);
                }
            }
            for line in lines {
                text.push_str("\n  - ");
                text.push_str(&line);
            }
        }
        text
    }

    /// The requirements on `project` seen so far (root requirements and dependencies whose
    /// ranges were recorded).
    fn requirements_on(&self, project: &str) -> Vec<Requirement> {
        self.root
            .iter()
            .filter(|r| r.normalized_name() == project)
            .cloned()
            .collect()
    }
}

/// When `requirement` names a local label (`==2.1.0+cpu`) that no release has while the
/// public version exists with other labels, says so.
fn local_label_note(requirement: &Requirement, candidates: &Candidates) -> Option<String> {
    let spec = requirement
        .version_specifiers()?
        .iter()
        .find(|s| *s.operator() == Operator::Equal && s.version().is_local())?
        .clone();
    let public = spec.version().clone().without_local();
    let others: Vec<String> = candidates
        .versions
        .iter()
        .map(|(v, _)| v)
        .filter(|v| (*v).clone().without_local() == public && *v != spec.version())
        .map(ToString::to_string)
        .collect();
    (!others.is_empty() && !candidates.versions.iter().any(|(v, _)| v == spec.version())).then(
        || {
            format!(
                "`{} {}` asks for the local label +{}; the index has {} (PEP 440: a local label in `==` must match exactly)",
                requirement.name(),
                spec,
                spec.version()
                    .local()
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("."),
                others.join(", ")
            )
        },
    )
}

fn merge(constraints: &mut DependencyConstraints<Node, Range>, node: Node, range: Range) {
    let merged = match constraints.get(&node) {
        Some(existing) => existing.intersection(&range),
        None => range,
    };
    constraints.insert(node, merged);
}

impl DependencyProvider for Provider<'_> {
    type P = Node;
    type V = Version;
    type VS = Range;
    type M = String;
    type Err = std::convert::Infallible;
    type Priority = (u32, Reverse<usize>);

    fn prioritize(
        &self,
        package: &Node,
        range: &Range,
        stats: &PackageResolutionStatistics,
    ) -> Self::Priority {
        match package {
            Node::Root => (u32::MAX, Reverse(0)),
            Node::Project(name) | Node::Extra(name, _) => {
                let count = self
                    .candidates(name)
                    .versions
                    .iter()
                    .filter(|(v, _)| range.contains(v))
                    .count();
                (stats.conflict_count(), Reverse(count))
            }
        }
    }

    /// The highest installable release in range: the ranges already leave out what PEP 440
    /// and PEP 592 make ineligible.
    fn choose_version(&self, package: &Node, range: &Range) -> Result<Option<Version>, Self::Err> {
        let name = match package {
            Node::Root => return Ok(Some(Version::new([0]))),
            Node::Project(name) | Node::Extra(name, _) => name,
        };
        Ok(self
            .candidates(name)
            .versions
            .iter()
            .rev()
            .map(|(v, _)| v)
            .find(|v| range.contains(*v))
            .cloned())
    }

    fn get_dependencies(
        &self,
        package: &Node,
        version: &Version,
    ) -> Result<Dependencies<Node, Range, String>, Self::Err> {
        let mut constraints = DependencyConstraints::default();
        let (name, extra) = match package {
            Node::Root => {
                for requirement in &self.root {
                    if requirement.evaluate_marker(&self.options.environment, &[]) {
                        self.add(&mut constraints, requirement);
                    }
                }
                return Ok(Dependencies::Available(constraints));
            }
            Node::Project(name) => (name, None),
            Node::Extra(name, extra) => (name, Some(extra.as_str())),
        };
        let index = self.candidates(name).index.clone();
        let env = &self.options.environment;
        let acquired = match self
            .runtime
            .block_on(self.cache.metadata(&index, name, version, env, false))
        {
            Ok(a) => a,
            Err(e) => {
                return Ok(Dependencies::Unavailable(format!(
                    "its metadata cannot be read: {e}"
                )));
            }
        };
        if let Some(extra) = extra {
            merge(
                &mut constraints,
                Node::Project(name.clone()),
                Range::singleton(version.clone()),
            );
            let provided: Vec<String> = acquired
                .metadata
                .get_all("Provides-Extra")
                .into_iter()
                .map(normalize_name)
                .collect();
            if !provided.iter().any(|p| p == extra) {
                // pip warns and goes on without the extra; so does the solver.
                tracing::warn!("{name} {version} does not provide the extra {extra:?}");
            }
        }
        for text in acquired.metadata.requires_dist() {
            let Ok(requirement) = Requirement::parse(text) else {
                continue;
            };
            let applies = match extra {
                None => requirement.evaluate_marker(env, &[]),
                Some(extra) => {
                    requirement.evaluate_marker(env, &[extra])
                        && !requirement.evaluate_marker(env, &[])
                }
            };
            if applies && requirement.normalized_name() != name.as_str() {
                self.add(&mut constraints, &requirement);
            } else if applies {
                // A self-reference with extras (`a[x]` needing `a[y]`): only the extras matter.
                for e in requirement.extras() {
                    merge(
                        &mut constraints,
                        Node::Extra(name.clone(), normalize_name(e)),
                        Range::singleton(version.clone()),
                    );
                }
            }
        }
        Ok(Dependencies::Available(constraints))
    }
}

/// One release of the resolution.
#[derive(Debug, Clone)]
pub struct Pinned {
    pub name: String,
    pub version: Version,
    pub index: String,
    /// The release is yanked and was pinned exactly: its yanked files are the lock's.
    pub yanked_allowed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("no set of releases satisfies the requirements for this target:\n{0}")]
    Conflict(String),
    #[error("{0}")]
    Index(String),
}

/// Resolves `requirements` for the target. Runs PubGrub on the calling thread (which must not
/// be a runtime worker), asking the index through `runtime`.
pub fn resolve(
    cache: Arc<IndexCache>,
    runtime: Handle,
    requirements: Vec<Requirement>,
    options: &ResolveOptions,
) -> Result<Vec<Pinned>, ResolveError> {
    let provider = Provider {
        cache,
        runtime,
        options,
        root: requirements,
        candidates: Mutex::default(),
        excluded: Mutex::default(),
        failure: Mutex::default(),
    };
    let solution = pubgrub::resolve(&provider, Node::Root, Version::new([0]));
    let failure = provider
        .failure
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match solution {
        Ok(selected) => {
            let mut pinned: BTreeMap<String, Pinned> = BTreeMap::new();
            for (node, version) in selected {
                if let Node::Project(name) = node {
                    let candidates = provider.candidates(&name);
                    let yanked_allowed = candidates
                        .versions
                        .iter()
                        .any(|(v, yanked)| *yanked && *v == version);
                    pinned.insert(
                        name.clone(),
                        Pinned {
                            name,
                            version,
                            index: candidates.index.clone(),
                            yanked_allowed,
                        },
                    );
                }
            }
            Ok(pinned.into_values().collect())
        }
        Err(PubGrubError::NoSolution(tree)) => {
            if let Some(failure) = failure {
                return Err(ResolveError::Index(failure));
            }
            let mut projects = BTreeSet::new();
            unavailable_projects(&tree, &mut projects);
            // The "no release of X can be used" steps stay in (no `collapse_no_versions`):
            // they are the facts the "Why releases were left out" section explains.
            let mut text =
                DefaultStringReporter::report_with_formatter(&tree, &crate::explain::UserTerms);
            let why = provider.explain(&projects);
            if !why.is_empty() {
                text.push_str("\nWhy releases were left out:");
                text.push_str(&why);
            }
            Err(ResolveError::Conflict(text))
        }
        Err(e) => Err(ResolveError::Index(e.to_string())),
    }
}

/// The projects of which PubGrub found no acceptable version or whose metadata was unusable.
fn unavailable_projects(tree: &DerivationTree<Node, Range, String>, out: &mut BTreeSet<String>) {
    match tree {
        DerivationTree::External(External::NoVersions(node, _) | External::Custom(node, _, _)) => {
            if let Node::Project(name) | Node::Extra(name, _) = node {
                out.insert(name.clone());
            }
        }
        DerivationTree::External(_) => {}
        DerivationTree::Derived(derived) => {
            unavailable_projects(&derived.cause1, out);
            unavailable_projects(&derived.cause2, out);
        }
    }
}
