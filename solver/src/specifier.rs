//! PEP 440 version matching, in one place for the walk (`solver python`) and the resolver
//! (`solver resolve`): a specifier as a predicate ([`contains`]) written from the PEP's text, and
//! the same specifier as a PubGrub set of versions ([`range`]), which the tests prove equal to
//! the predicate on random versions and specifiers.
//!
//! The rules, each from the "Version specifiers" section of PEP 440:
//!
//! - Local version labels of candidates are ignored unless the specifier itself has one
//!   (`==1.2.3` matches `1.2.3+cu118`; `==1.2.3+cu118` matches only that label; `!=` is the
//!   negation of `==`).
//! - `<=V` / `>=V` compare the candidate's public version: `<=1.2.3` takes `1.2.3+foo`, not
//!   `1.2.3.post1`.
//! - `<V` never takes a pre-release of V unless V is one. A pre-release of V is V with a
//!   pre-release or development segment added: for `<1.2`, `1.2a1`, `1.2rc1.post1` and `1.2.dev0`;
//!   for `<1.2.post2`, `1.2.post2.dev0`.
//! - `>V` never takes a post-release of V unless V is one (`1.2.post1` for `>1.2`; a dev release
//!   of a post-release counts), nor a local version of V (`1.2.post1+x` for `>1.2.post1`).
//! - `==V.*` / `!=V.*` match the release segment as a prefix, the candidate padded with zeros
//!   (`==1.0.*` takes `1`, `1.0.5`, `1.0a1`, `1.0.post1+x`); epochs must be equal.
//! - `~=V.N` is `>=V.N, ==V.*`, with no pre-release special case (as the PEP states).
//! - `===V` compares the candidate's version text, ignoring case. Sets of versions cannot tell
//!   `1.0` from `1.0.0` (PEP 440 says they are equal), so [`range`] of `===V` holds
//!   `V` exactly (no local variants), and callers check the text with [`contains`].
//!
//! Pre-releases as a policy (which of the matching versions are eligible) and yanked releases
//! are not part of matching; see `resolve` and `walk`.

use common::python::{Operator, Version, VersionSpecifier, VersionSpecifiers};
use pubgrub::Ranges;

pub type Range = Ranges<Version>;

/// Whether `candidate` matches `spec`, by the text of PEP 440.
pub fn contains(spec: &VersionSpecifier, candidate: &Version) -> bool {
    let v = spec.version();
    let public = candidate.clone().without_local();
    match spec.operator() {
        Operator::Equal => equal(v, candidate, &public),
        Operator::NotEqual => !equal(v, candidate, &public),
        Operator::ExactEqual => candidate.to_string().eq_ignore_ascii_case(&v.to_string()),
        Operator::EqualStar => prefix_matches(v, &public),
        Operator::NotEqualStar => !prefix_matches(v, &public),
        Operator::TildeEqual => {
            let release = v.release();
            let prefix =
                Version::new(&release[..release.len().saturating_sub(1)]).with_epoch(v.epoch());
            public >= *v && prefix_matches(&prefix, &public)
        }
        Operator::LessThanEqual => public <= *v,
        Operator::GreaterThanEqual => public >= *v,
        Operator::LessThan => public < *v && (v.any_prerelease() || !is_prerelease_of(&public, v)),
        Operator::GreaterThan => public > *v && (v.is_post() || !is_post_release_of(&public, v)),
    }
}

/// Whether `candidate` matches every specifier (no specifier: every version).
pub fn contains_all(specs: Option<&VersionSpecifiers>, candidate: &Version) -> bool {
    specs.is_none_or(|s| s.iter().all(|spec| contains(spec, candidate)))
}

fn equal(v: &Version, candidate: &Version, public: &Version) -> bool {
    if v.is_local() {
        // The label is compared too (PEP 440: "strict string equality" of the normalised label).
        candidate == v && candidate.local() == v.local()
    } else {
        public == v
    }
}

/// `==V.*`: same epoch, and the candidate's release, padded with zeros, starts with V's.
fn prefix_matches(v: &Version, public: &Version) -> bool {
    v.epoch() == public.epoch()
        && v.release()
            .iter()
            .zip(public.release().iter().chain(std::iter::repeat(&0)))
            .all(|(a, b)| a == b)
}

/// Whether `public` is V with a pre-release or development segment added (V has neither).
fn is_prerelease_of(public: &Version, v: &Version) -> bool {
    if !same_release(public, v) || !public.any_prerelease() {
        return false;
    }
    match v.post() {
        // V = R: every R.devN, R.aN, R.aN.postM.devK (all sort between R's lowest and R).
        None => true,
        // V = R.postP: only R.postP.devK.
        Some(post) => public.pre().is_none() && public.post() == Some(post),
    }
}

/// Whether `public` is V with a post-release segment added (V has none): `R.postN` and
/// `R.postN.devK` for V = R, `R.aN.postM` for V = R.aN.
fn is_post_release_of(public: &Version, v: &Version) -> bool {
    same_release(public, v) && public.is_post() && !v.is_dev() && public.pre() == v.pre()
}

fn same_release(a: &Version, b: &Version) -> bool {
    a.epoch() == b.epoch() && a.clone().only_release() == b.clone().only_release()
}

/// The lowest public version above every local variant of `v` (`1.2.3` -> `1.2.3.post0.dev0`;
/// `1.2.3.post1` -> `1.2.3.post2.dev0`; `1.2.3.dev4` -> `1.2.3.dev5`): `[v, ceiling)` holds `v`
/// and its locals and nothing else.
pub(crate) fn local_ceiling(v: &Version) -> Version {
    let public = v.clone().without_local();
    if let Some(dev) = public.dev() {
        public.with_dev(Some(dev.saturating_add(1)))
    } else if let Some(post) = public.post() {
        public
            .with_post(Some(post.saturating_add(1)))
            .with_dev(Some(0))
    } else {
        public.with_post(Some(0)).with_dev(Some(0))
    }
}

/// The lowest version of epoch `epoch` whose release does not start with `prefix`, among
/// those above it (`1.4` -> `1.5` lowest; `1.u64::MAX` -> `2` lowest); `None` if none exists
/// in the epoch.
fn prefix_end(epoch: u64, prefix: &[u64]) -> Version {
    let mut release = prefix.to_vec();
    while release.last() == Some(&u64::MAX) {
        release.pop();
    }
    match release.last_mut() {
        Some(last) => {
            *last += 1;
            Version::new(release).with_epoch(epoch).with_min(Some(0))
        }
        None => Version::new([0])
            .with_epoch(epoch.saturating_add(1))
            .with_min(Some(0)),
    }
}

/// Every version whose release starts with `prefix` (padded with zeros) in `epoch`.
fn prefix_range(epoch: u64, prefix: &[u64]) -> Range {
    let lower = Version::new(prefix).with_epoch(epoch).with_min(Some(0));
    Range::from_range_bounds(lower..prefix_end(epoch, prefix))
}

/// `spec` as a set of versions: the same versions [`contains`] accepts (for `===`, up to the
/// version text; see the module documentation).
pub fn range(spec: &VersionSpecifier) -> Range {
    let v = spec.version().clone();
    match spec.operator() {
        Operator::ExactEqual => Range::singleton(v),
        Operator::Equal if v.is_local() => Range::singleton(v),
        Operator::Equal => {
            let ceiling = local_ceiling(&v);
            Range::from_range_bounds(v..ceiling)
        }
        Operator::NotEqual => range(&VersionSpecifier::equals_version(v)).complement(),
        Operator::EqualStar => prefix_range(v.epoch(), v.release()),
        Operator::NotEqualStar => prefix_range(v.epoch(), v.release()).complement(),
        Operator::TildeEqual => {
            let release = v.release();
            let prefix = &release[..release.len().saturating_sub(1)];
            Range::from_range_bounds(v.clone()..prefix_end(v.epoch(), prefix))
        }
        Operator::LessThanEqual => Range::strictly_lower_than(local_ceiling(&v)),
        Operator::GreaterThanEqual => Range::higher_than(v),
        Operator::LessThan => {
            if v.any_prerelease() {
                Range::strictly_lower_than(v)
            } else if v.is_post() {
                // Below R.postP.dev0: leaves out R.postP's development releases.
                Range::strictly_lower_than(v.with_dev(Some(0)))
            } else {
                // Below R's lowest pre-release.
                Range::strictly_lower_than(v.with_min(Some(0)))
            }
        }
        Operator::GreaterThan => {
            if v.is_post() || v.is_dev() {
                // Only V's local versions are left out (V's post-releases are higher
                // releases, or V cannot have any).
                Range::higher_than(local_ceiling(&v))
            } else {
                // Above every post-release and local version of V.
                Range::strictly_higher_than(v.with_max(Some(0)))
            }
        }
    }
}

/// The versions every specifier allows (no specifier: all).
pub fn ranges(specs: Option<&VersionSpecifiers>) -> Range {
    specs.map_or_else(Range::full, |specs| {
        specs
            .iter()
            .fold(Range::full(), |acc, s| acc.intersection(&range(s)))
    })
}

/// Whether a specifier set asks for pre-releases by naming one (`>=2.0b1`, `==1.0rc1`), as
/// `packaging` reads PEP 440's "explicitly requested": any operator but `!=` / `!=V.*`.
pub fn names_prerelease(specs: Option<&VersionSpecifiers>) -> bool {
    specs.is_some_and(|specs| {
        specs.iter().any(|s| {
            !matches!(s.operator(), Operator::NotEqual | Operator::NotEqualStar)
                && s.version().any_prerelease()
        })
    })
}

/// Whether the specifier set names exactly one release (`==V` without a wildcard, or `===V`):
/// PEP 592's condition for a yanked release to be eligible.
pub fn is_exact_pin(specs: Option<&VersionSpecifiers>) -> bool {
    specs.is_some_and(|specs| {
        specs
            .iter()
            .any(|s| matches!(s.operator(), Operator::Equal | Operator::ExactEqual))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spec(s: &str) -> VersionSpecifier {
        s.parse().unwrap()
    }

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    /// Asserts that `spec` matches each of `yes` and none of `no`, by the predicate and by the
    /// range alike.
    fn check(s: &str, yes: &[&str], no: &[&str]) {
        let spec = spec(s);
        let range = range(&spec);
        for y in yes {
            assert!(contains(&spec, &v(y)), "{s} must match {y}");
            assert!(range.contains(&v(y)), "range of {s} must hold {y}");
        }
        for n in no {
            assert!(!contains(&spec, &v(n)), "{s} must not match {n}");
            assert!(!range.contains(&v(n)), "range of {s} must not hold {n}");
        }
    }

    // PEP 440 "Compatible release": each `~=` example is the pair of clauses the PEP gives.
    #[test]
    fn compatible_release_examples() {
        check(
            "~=2.2",
            &["2.2", "2.3", "2.9.post1", "2.2+x"],
            &["3.0", "2.1", "3.0.dev0"],
        );
        check(
            "~=1.4.5",
            &["1.4.5", "1.4.9"],
            &["1.5.0", "1.4.4", "1.5.0a1"],
        );
        check(
            "~=2.2.post3",
            &["2.2.post3", "2.5"],
            &["2.2", "2.2.post2", "3.0"],
        );
        check(
            "~=1.4.5a4",
            &["1.4.5a4", "1.4.5", "1.4.6"],
            &["1.4.5a3", "1.5.0"],
        );
        check("~=2.2.0", &["2.2.0", "2.2.9"], &["2.3.0", "2.1.9"]);
        check("~=1.4.5.0", &["1.4.5.0", "1.4.5.9"], &["1.4.6", "1.4.4"]);
        check("~=1!2.2", &["1!2.2", "1!2.9"], &["2.2", "1!3.0"]);
    }

    // PEP 440 "Version matching": the PEP's `1.1.post1` example, zero padding, locals.
    #[test]
    fn version_matching_examples() {
        check(
            "==1.1",
            &["1.1", "1.1.0", "1.1+local"],
            &["1.1.post1", "1.1a1", "1.1.0.1"],
        );
        check(
            "==1.1.post1",
            &["1.1.post1", "1.1.post1+x"],
            &["1.1", "1.1.post2"],
        );
        check(
            "==1.1.*",
            &[
                "1.1.post1",
                "1.1",
                "1.1.0a1",
                "1.1.dev0",
                "1.1.5",
                "1.1.0+x",
            ],
            &["1.10", "1.2", "1.0.9"],
        );
        check("==1.0.*", &["1", "1.0.0.5"], &["1.1"]);
        check("==1.*", &["1.0", "1.99.post3"], &["2.0", "0.9", "1!1.0"]);
        check(
            "==1.2.3+cu118",
            &["1.2.3+cu118"],
            &["1.2.3", "1.2.3+cpu", "1.2.3+cu118.1"],
        );
        check("==2.0.0", &["2.0.0+foo", "2.0"], &["2.0.0.post1+foo"]);
        check("==1!1.0", &["1!1.0"], &["1.0"]);
    }

    // PEP 440 "Version exclusion": the PEP's `1.1.post1` example.
    #[test]
    fn version_exclusion_examples() {
        check("!=1.1", &["1.1.post1", "1.0"], &["1.1", "1.1+x"]);
        check("!=1.1.post1", &["1.1"], &["1.1.post1", "1.1.post1+x"]);
        check("!=1.1.*", &["1.2", "1.0"], &["1.1.post1", "1.1a1"]);
        check("!=1.2.3+a", &["1.2.3", "1.2.3+b"], &["1.2.3+a"]);
    }

    // PEP 440 "Inclusive ordered comparison": local labels ignored, post-releases are higher.
    #[test]
    fn inclusive_ordered_examples() {
        check(
            "<=1.2.3",
            &["1.2.3", "1.2.3+foo", "1.2.3rc1", "1.2"],
            &["1.2.3.post1", "1.2.4.dev0"],
        );
        check(
            ">=1.2.3",
            &["1.2.3", "1.2.3+foo", "1.2.3.post1"],
            &["1.2.3rc1", "1.2.2"],
        );
        check(">=1.0.dev0", &["1.0.dev0", "1.0a1", "1.0"], &["0.9"]);
    }

    // PEP 440 "Exclusive ordered comparison": `>1.7` / `>1.7.post2` as the PEP states them,
    // pre-releases under `<V`, local versions above `>V`.
    #[test]
    fn exclusive_ordered_examples() {
        check(
            ">1.7",
            &["1.7.1", "1.8a1"],
            &["1.7.0.post1", "1.7", "1.7+local", "1.7.post1.dev0"],
        );
        check(
            ">1.7.post2",
            &["1.7.1", "1.7.0.post3"],
            &["1.7.0", "1.7.post2", "1.7.post2+x"],
        );
        check(
            ">1.2.3.post1",
            &["1.2.3.post2", "1.2.4"],
            &["1.2.3.post1+local"],
        );
        check(
            ">1.0a1",
            &["1.0a2", "1.0", "1.0.post1"],
            &["1.0a1.post1", "1.0a1+x"],
        );
        check(">1.0.dev1", &["1.0.dev2", "1.0a1"], &["1.0.dev1+x"]);
        check(
            "<3.1",
            &["3.0", "3.0.dev0", "3.0+x"],
            &["3.1.dev0", "3.1a1", "3.1rc1.post1", "3.1"],
        );
        check("<3.1rc2", &["3.1rc1", "3.1.dev0"], &["3.1rc2"]);
        check(
            "<1.2.post2",
            &["1.2", "1.2.post1", "1.2.post1.dev0", "1.2a1"],
            &["1.2.post2.dev0"],
        );
        check("<1!1.0", &["0!5.0", "1!0.9"], &["1!1.0"]);
    }

    // PEP 440 "Arbitrary equality": the version's text, case-insensitively.
    #[test]
    fn arbitrary_equality() {
        assert!(contains(&spec("===1.0"), &v("1.0")));
        assert!(!contains(&spec("===1.0"), &v("1.0.0")));
        assert!(!contains(&spec("===1.0"), &v("1.0+downstream1")));
        assert!(contains(&spec("===1.0+ABC"), &v("1.0+abc")));
        // The range is `==V` without locals; callers check the text (resolve does).
        assert!(range(&spec("===1.0")).contains(&v("1.0")));
        assert!(!range(&spec("===1.0")).contains(&v("1.0+downstream1")));
    }

    // PEP 440 "Version epochs": an epoch orders before everything else.
    #[test]
    fn epochs() {
        check(">=1.0", &["1!0.1"], &["0.9"]);
        check("<2.0", &["1.9"], &["1!1.0"]);
        check("==1!2.*", &["1!2.5"], &["2.5"]);
    }

    fn version_strategy() -> impl Strategy<Value = Version> {
        (
            0u64..2,
            prop::collection::vec(0u64..3, 1..4),
            prop::option::of((0usize..3, 0u64..3)),
            prop::option::of(0u64..3),
            prop::option::of(0u64..3),
            prop::option::of(prop::sample::select(vec!["a", "b", "1", "cu118", "a.1"])),
        )
            .prop_map(|(epoch, release, pre, post, dev, local)| {
                let mut text = format!(
                    "{epoch}!{}",
                    release
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(".")
                );
                if let Some((kind, n)) = pre {
                    text.push_str(&format!("{}{n}", ["a", "b", "rc"][kind]));
                }
                if let Some(n) = post {
                    text.push_str(&format!(".post{n}"));
                }
                if let Some(n) = dev {
                    text.push_str(&format!(".dev{n}"));
                }
                if let Some(l) = local {
                    text.push_str(&format!("+{l}"));
                }
                text.parse().unwrap()
            })
    }

    fn operator_strategy() -> impl Strategy<Value = Operator> {
        prop::sample::select(vec![
            Operator::Equal,
            Operator::EqualStar,
            Operator::NotEqual,
            Operator::NotEqualStar,
            Operator::TildeEqual,
            Operator::LessThan,
            Operator::LessThanEqual,
            Operator::GreaterThan,
            Operator::GreaterThanEqual,
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// The PubGrub range of a specifier holds exactly the versions the PEP 440 predicate
        /// accepts.
        #[test]
        fn range_equals_predicate(
            op in operator_strategy(),
            version in version_strategy(),
            candidates in prop::collection::vec(version_strategy(), 8),
        ) {
            let version = if op.is_star() { version.only_release().with_epoch(version.epoch()) } else { version };
            let Ok(spec) = VersionSpecifier::from_version(op, version) else {
                return Ok(());
            };
            let range = range(&spec);
            for candidate in &candidates {
                prop_assert_eq!(
                    range.contains(candidate),
                    contains(&spec, candidate),
                    "{} on {}", spec, candidate
                );
            }
            // The specifier's own version is a candidate too.
            let own = spec.version().clone();
            prop_assert_eq!(range.contains(&own), contains(&spec, &own), "{} on itself", spec);
        }

        /// `===`: whatever the text check accepts, the range holds.
        #[test]
        fn arbitrary_equality_within_range(version in version_strategy(), candidate in version_strategy()) {
            let spec = VersionSpecifier::from_version(Operator::ExactEqual, version).unwrap();
            if contains(&spec, &candidate) {
                prop_assert!(range(&spec).contains(&candidate));
            }
        }
    }
}
