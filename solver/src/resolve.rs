//! `solver resolve`: one consistent set of releases for the target environment, found with
//! PubGrub, with the rules installers apply: markers evaluated for the target, extras as
//! packages of their own (so `a[x]` and `a` agree on a version), yanked releases only when
//! pinned exactly, pre-releases only when asked for or when nothing else fits, releases kept
//! only when the target can install one of their files. When no set exists, PubGrub's
//! derivation says why in words.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use common::index::{Distribution, IndexError};
use common::python::{
    Operator, Requirement, TargetEnvironment, Version, VersionSpecifier, VersionSpecifiers,
    normalize_name,
};
use pubgrub::{
    DefaultStringReporter, Dependencies, DependencyConstraints, DependencyProvider,
    PackageResolutionStatistics, PubGrubError, Ranges, Reporter,
};
use tokio::runtime::Handle;

use crate::cache::IndexCache;

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

pub type Range = Ranges<Version>;

/// A PEP 440 specifier as a set of versions, with the PEP's exclusions: `<V` leaves out V's
/// pre-releases, `>V` V's post-releases, `==V.*` is a prefix, `~=V` compatible release.
pub fn specifier_range(spec: &VersionSpecifier) -> Range {
    let v = spec.version().clone();
    match spec.operator() {
        Operator::Equal | Operator::ExactEqual => Range::singleton(v),
        Operator::NotEqual => Range::singleton(v).complement(),
        Operator::EqualStar | Operator::NotEqualStar => {
            let lower = v.clone().with_min(Some(0));
            let mut release = v.release().to_vec();
            if let Some(last) = release.last_mut() {
                *last += 1;
            }
            let upper = Version::new(release)
                .with_epoch(v.epoch())
                .with_min(Some(0));
            let prefix = Range::from_range_bounds(lower..upper);
            if *spec.operator() == Operator::EqualStar {
                prefix
            } else {
                prefix.complement()
            }
        }
        Operator::TildeEqual => {
            let release = v.release();
            let mut upper: Vec<u64> = release[..release.len().saturating_sub(1).max(1)].to_vec();
            if let Some(last) = upper.last_mut() {
                *last += 1;
            }
            let upper = Version::new(upper).with_epoch(v.epoch()).with_min(Some(0));
            Range::from_range_bounds(v..upper)
        }
        Operator::LessThan => {
            if v.any_prerelease() {
                Range::strictly_lower_than(v)
            } else {
                Range::strictly_lower_than(v.with_min(Some(0)))
            }
        }
        Operator::LessThanEqual => Range::lower_than(v.with_max(Some(u64::MAX))),
        Operator::GreaterThan => {
            if v.is_post() {
                Range::strictly_higher_than(v)
            } else {
                Range::strictly_higher_than(v.with_max(Some(u64::MAX)))
            }
        }
        Operator::GreaterThanEqual => Range::higher_than(v),
    }
}

pub fn specifiers_range(specs: Option<&VersionSpecifiers>) -> Range {
    specs.map_or_else(Range::full, |specs| {
        specs.iter().fold(Range::full(), |acc, s| {
            acc.intersection(&specifier_range(s))
        })
    })
}

/// The releases of one project the target could install, ascending, with the index they are
/// on; whether each has only yanked files; whether each is a pre-release.
#[derive(Debug, Clone, Default)]
struct Candidates {
    versions: Vec<(Version, bool)>,
    index: String,
}

pub struct ResolveOptions {
    pub indexes: Vec<String>,
    pub environment: TargetEnvironment,
    /// Pre-releases: always allowed, or only when asked for or nothing else fits.
    pub prereleases: bool,
}

struct Provider<'a> {
    cache: Arc<IndexCache>,
    runtime: Handle,
    options: &'a ResolveOptions,
    root: Vec<Requirement>,
    candidates: Mutex<HashMap<String, Arc<Candidates>>>,
    /// Projects whose own requirements name a pre-release (then pre-releases are fair).
    explicit_pre: Mutex<std::collections::HashSet<String>>,
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
            match self.runtime.block_on(self.cache.page(index, project)) {
                Ok(page) => {
                    let mut versions = Vec::new();
                    for v in page.versions() {
                        let files: Vec<_> = page.files_of(v).collect();
                        let installable = files.iter().any(|f| {
                            let python_ok = f.requires_python.as_deref().is_none_or(|rp| {
                                rp.parse::<VersionSpecifiers>().map_or(true, |s| {
                                    s.contains(&env.markers().python_full_version().version)
                                })
                            });
                            python_ok
                                && match &f.distribution {
                                    Distribution::Wheel(w) => w.is_compatible(env),
                                    Distribution::Sdist(_) => true,
                                    Distribution::Other => false,
                                }
                        });
                        if installable {
                            versions.push((v.clone(), files.iter().all(|f| f.is_yanked())));
                        }
                    }
                    // The first index that has the project is the one it comes from (as uv does:
                    // no mixing of releases across indexes, the guard against dependency confusion).
                    found = Candidates {
                        versions,
                        index: index.clone(),
                    };
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

    /// Adds `requirement` (if its marker holds for `extras`) to `constraints`.
    fn add(&self, constraints: &mut DependencyConstraints<Node, Range>, requirement: &Requirement) {
        let name = requirement.normalized_name().to_owned();
        let range = specifiers_range(requirement.version_specifiers());
        if requirement
            .version_specifiers()
            .is_some_and(|s| s.iter().any(|v| v.version().any_prerelease()))
        {
            self.explicit_pre
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(name.clone());
        }
        self.prefetch(&name, &range);
        for extra in requirement.extras() {
            let node = Node::Extra(name.clone(), normalize_name(extra));
            merge(constraints, node, range.clone());
        }
        merge(constraints, Node::Project(name), range);
    }
}

impl Provider<'_> {
    /// Warms the cache while PubGrub works on something else: the project's page, and the
    /// metadata of the release it will most likely pick (the highest final one in range).
    fn prefetch(&self, project: &str, range: &Range) {
        let cache = Arc::clone(&self.cache);
        let indexes = self.options.indexes.clone();
        let env = self.options.environment.clone();
        let (project, range) = (project.to_owned(), range.clone());
        self.runtime.spawn(async move {
            for index in &indexes {
                let Ok(page) = cache.page(index, &project).await else {
                    continue;
                };
                let likely = page
                    .versions()
                    .into_iter()
                    .rev()
                    .find(|v| {
                        !v.any_prerelease()
                            && range.contains(*v)
                            && page.files_of(v).any(|f| !f.is_yanked())
                    })
                    .cloned();
                if let Some(version) = likely {
                    let _ = cache.metadata(index, &project, &version, &env, false).await;
                }
                break;
            }
        });
    }
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

    fn choose_version(&self, package: &Node, range: &Range) -> Result<Option<Version>, Self::Err> {
        let name = match package {
            Node::Root => return Ok(Some(Version::new([0]))),
            Node::Project(name) | Node::Extra(name, _) => name,
        };
        let candidates = self.candidates(name);
        let pinned = range.as_singleton().is_some();
        let fits: Vec<&Version> = candidates
            .versions
            .iter()
            .filter(|(v, yanked)| range.contains(v) && (pinned || !yanked))
            .map(|(v, _)| v)
            .collect();
        let pre_ok = self.options.prereleases
            || self
                .explicit_pre
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains(name);
        let best_final = fits.iter().rev().find(|v| !v.any_prerelease());
        Ok(match (best_final, pre_ok) {
            (_, true) => fits.last().map(|v| (*v).clone()),
            (Some(v), false) => Some((*v).clone()),
            // Only pre-releases fit: take one, as pip and uv do.
            (None, false) => fits.last().map(|v| (*v).clone()),
        })
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
        explicit_pre: Mutex::default(),
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
        Err(PubGrubError::NoSolution(mut tree)) => {
            if let Some(failure) = failure {
                return Err(ResolveError::Index(failure));
            }
            tree.collapse_no_versions();
            Err(ResolveError::Conflict(DefaultStringReporter::report(&tree)))
        }
        Err(e) => Err(ResolveError::Index(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(spec: &str) -> Range {
        specifiers_range(Some(&spec.parse::<VersionSpecifiers>().expect("spec")))
    }

    fn v(s: &str) -> Version {
        s.parse().expect("version")
    }

    #[test]
    fn pep440_exclusions() {
        assert!(!r("<2.0").contains(&v("2.0rc1")));
        assert!(r("<2.0rc2").contains(&v("2.0rc1")));
        assert!(!r(">1.0").contains(&v("1.0.post1")));
        assert!(r(">1.0").contains(&v("1.1")));
        assert!(r("<=1.0").contains(&v("1.0+local")));
        assert!(r("==1.4.*").contains(&v("1.4.9")));
        assert!(!r("==1.4.*").contains(&v("1.5")));
        assert!(r("~=2.2").contains(&v("2.9")));
        assert!(!r("~=2.2").contains(&v("3.0")));
        assert!(r("~=1.4.5").contains(&v("1.4.9")));
        assert!(!r("~=1.4.5").contains(&v("1.5.0")));
        assert!(!r("!=1.0").contains(&v("1.0")));
        assert!(r(">=1,<2,!=1.5").contains(&v("1.6")));
    }
}
