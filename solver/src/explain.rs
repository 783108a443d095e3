//! PubGrub's derivation of a failed resolution, in the user's terms: `your requirements` for
//! the root, project names, and PEP 440 specifiers instead of version ranges ("Because
//! flask>=2 depends on click>=8 and you require click<8, your requirements cannot be
//! satisfied."). The ranges come from [`crate::specifier::range`], so the rendering reverses
//! its encodings: `[V, V.post0.dev0)` is `==V`, an upper bound `V.post0.dev0` is `<=V`, a hole
//! around one version is `!=V`.

use std::collections::BTreeMap;
use std::ops::Bound;

use common::python::Version;
use pubgrub::{External, Map, ReportFormatter, Term};

use crate::resolve::Node;
use crate::specifier::{Range, local_ceiling};

/// The formatter given to PubGrub's reporter.
#[derive(Debug, Default)]
pub struct UserTerms;

/// `range` as PEP 440 specifiers: `>=1.0,<2,!=1.5`; alternatives joined with ` or `; empty
/// for every version.
pub fn specifier_text(range: &Range) -> String {
    let segments: Vec<(&Bound<Version>, &Bound<Version>)> = range.iter().collect();
    if segments.is_empty() {
        return " (no version)".to_owned();
    }
    // Runs of segments separated by single-version holes become one clause with `!=`.
    let mut groups: Vec<(Bound<&Version>, Bound<&Version>, Vec<&Version>)> = Vec::new();
    for (lower, upper) in segments {
        let hole = groups
            .last()
            .and_then(|last| single_hole(last.1, lower.as_ref()));
        match (hole, groups.last_mut()) {
            (Some(hole), Some(last)) => {
                last.1 = upper.as_ref();
                last.2.push(hole);
            }
            _ => groups.push((lower.as_ref(), upper.as_ref(), Vec::new())),
        }
    }
    groups
        .iter()
        .map(|(lower, upper, holes)| {
            let mut clauses = segment_text(*lower, *upper);
            clauses.extend(holes.iter().map(|v| format!("!={v}")));
            clauses.join(",")
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The one version missing between an upper bound and the next lower bound, if that is all
/// that is missing (`<V` then `>V`, or `<V` then `>=` V's local ceiling).
fn single_hole<'a>(upper: Bound<&'a Version>, lower: Bound<&Version>) -> Option<&'a Version> {
    match (upper, lower) {
        (Bound::Excluded(a), Bound::Excluded(b)) if a == b => Some(a),
        (Bound::Excluded(a), Bound::Included(b)) if local_ceiling(a) == *b && !a.is_local() => {
            Some(a)
        }
        _ => None,
    }
}

/// One interval as specifier clauses.
fn segment_text(lower: Bound<&Version>, upper: Bound<&Version>) -> Vec<String> {
    match (lower, upper) {
        (Bound::Included(a), Bound::Included(b)) if a == b => return vec![format!("=={a}")],
        (Bound::Included(a), Bound::Excluded(c)) if !a.is_local() && local_ceiling(a) == *c => {
            return vec![format!("=={a}")];
        }
        // Only the local builds of V (`==V` less V itself): `==V+*`.
        (Bound::Excluded(a), Bound::Excluded(c)) if !a.is_local() && local_ceiling(a) == *c => {
            return vec![format!("=={a}+*")];
        }
        _ => {}
    }
    let mut clauses = Vec::new();
    match lower {
        Bound::Unbounded => {}
        Bound::Included(a) => match ceiling_of(a) {
            // `>V` for a post or dev release V starts at V's local ceiling.
            Some(v) => clauses.push(format!(">{v}")),
            None => clauses.push(format!(">={a}")),
        },
        Bound::Excluded(a) => clauses.push(format!(">{a}")),
    }
    match upper {
        Bound::Unbounded => {}
        Bound::Included(b) => clauses.push(format!("<={b}")),
        Bound::Excluded(c) => match ceiling_of(c) {
            Some(v) if v.post().is_none() && v.dev().is_none() => clauses.push(format!("<={v}")),
            _ => clauses.push(format!("<{c}")),
        },
    }
    clauses
}

/// The version whose local ceiling `c` is (`1.2.post0.dev0` for `1.2`, `1.2.post3.dev0` for
/// `1.2.post2`), when `c` has that form.
fn ceiling_of(c: &Version) -> Option<Version> {
    if c.min().is_some() || c.max().is_some() || c.is_local() || c.dev() != Some(0) {
        return None;
    }
    let post = c.post()?;
    let v = if post == 0 {
        c.clone().with_post(None).with_dev(None)
    } else {
        c.clone().with_post(Some(post - 1)).with_dev(None)
    };
    (local_ceiling(&v) == *c).then_some(v)
}

/// A project with the versions of `range`: `flask>=2`, `click` for every version.
fn term(node: &Node, range: &Range) -> String {
    match node {
        Node::Root => "your requirements".to_owned(),
        _ => format!("{node}{}", specifier_text(range)),
    }
}

fn dependency(p1: &Node, r1: &Range, p2: &Node, r2: &Range) -> String {
    match p1 {
        Node::Root => format!("you require {}", term(p2, r2)),
        _ => format!("{} depends on {}", term(p1, r1), term(p2, r2)),
    }
}

impl ReportFormatter<Node, Range, String> for UserTerms {
    type Output = String;

    fn format_external(&self, external: &External<Node, Range, String>) -> String {
        match external {
            External::NotRoot(..) => "you asked for these requirements".to_owned(),
            External::NoVersions(node, range) => {
                format!("no release of {} can be used", term(node, range))
            }
            External::Custom(node, range, why) => {
                format!("{} cannot be used: {why}", term(node, range))
            }
            External::FromDependencyOf(p1, r1, p2, r2) => dependency(p1, r1, p2, r2),
        }
    }

    fn format_terms(&self, terms: &Map<Node, Term<Range>>) -> String {
        // Sorted, so the text does not depend on hashing.
        let terms: BTreeMap<&Node, &Term<Range>> = terms.iter().collect();
        let terms: Vec<_> = terms.into_iter().collect();
        match terms.as_slice() {
            [] => "your requirements cannot be satisfied".to_owned(),
            [(Node::Root, Term::Positive(_))] => "your requirements cannot be satisfied".to_owned(),
            [(node, Term::Positive(range))] => format!("{} cannot be used", term(node, range)),
            [(node, Term::Negative(range))] => format!("{} is needed", term(node, range)),
            [(p1, Term::Positive(r1)), (p2, Term::Negative(r2))]
            | [(p2, Term::Negative(r2)), (p1, Term::Positive(r1))] => dependency(p1, r1, p2, r2),
            many => {
                let parts: Vec<String> = many
                    .iter()
                    .map(|(node, t)| match t {
                        Term::Positive(range) => term(node, range),
                        Term::Negative(range) => term(node, &range.complement()),
                    })
                    .collect();
                format!("{} cannot all be used together", parts.join(", "))
            }
        }
    }

    fn explain_both_external(
        &self,
        external1: &External<Node, Range, String>,
        external2: &External<Node, Range, String>,
        current_terms: &Map<Node, Term<Range>>,
    ) -> String {
        format!(
            "Because {} and {}, {}.",
            self.format_external(external1),
            self.format_external(external2),
            self.format_terms(current_terms)
        )
    }

    fn explain_both_ref(
        &self,
        ref_id1: usize,
        derived1: &pubgrub::Derived<Node, Range, String>,
        ref_id2: usize,
        derived2: &pubgrub::Derived<Node, Range, String>,
        current_terms: &Map<Node, Term<Range>>,
    ) -> String {
        format!(
            "Because {} ({ref_id1}) and {} ({ref_id2}), {}.",
            self.format_terms(&derived1.terms),
            self.format_terms(&derived2.terms),
            self.format_terms(current_terms)
        )
    }

    fn explain_ref_and_external(
        &self,
        ref_id: usize,
        derived: &pubgrub::Derived<Node, Range, String>,
        external: &External<Node, Range, String>,
        current_terms: &Map<Node, Term<Range>>,
    ) -> String {
        format!(
            "Because {} ({ref_id}) and {}, {}.",
            self.format_terms(&derived.terms),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_external(
        &self,
        external: &External<Node, Range, String>,
        current_terms: &Map<Node, Term<Range>>,
    ) -> String {
        format!(
            "And because {}, {}.",
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_ref(
        &self,
        ref_id: usize,
        derived: &pubgrub::Derived<Node, Range, String>,
        current_terms: &Map<Node, Term<Range>>,
    ) -> String {
        format!(
            "And because {} ({ref_id}), {}.",
            self.format_terms(&derived.terms),
            self.format_terms(current_terms)
        )
    }

    fn and_explain_prior_and_external(
        &self,
        prior_external: &External<Node, Range, String>,
        external: &External<Node, Range, String>,
        current_terms: &Map<Node, Term<Range>>,
    ) -> String {
        format!(
            "And because {} and {}, {}.",
            self.format_external(prior_external),
            self.format_external(external),
            self.format_terms(current_terms)
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::specifier::ranges;

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    fn text(specs: &str) -> String {
        specifier_text(&ranges(Some(&specs.parse().unwrap())))
    }

    #[test]
    fn ranges_read_as_the_specifiers_they_came_from() {
        for (given, shown) in [
            (">=2", ">=2"),
            ("<8", "<8"),
            (">=2,<3", ">=2,<3"),
            ("==1.2.3", "==1.2.3"),
            ("==1.2.3+cu118", "==1.2.3+cu118"),
            ("<=1.2.3", "<=1.2.3"),
            (">1.2.post1", ">1.2.post1"),
            ("!=1.5", "!=1.5"),
            (">=1,!=1.5,!=1.7,<2", ">=1,<2,!=1.5,!=1.7"),
            ("==1.4.*", ">=1.4,<1.5"),
            ("~=2.2", ">=2.2,<3"),
        ] {
            assert_eq!(text(given), shown, "{given}");
        }
        assert_eq!(specifier_text(&Range::full()), "");
        let locals = ranges(Some(&"==2.2.3".parse().unwrap()))
            .intersection(&Range::singleton(v("2.2.3")).complement());
        assert_eq!(specifier_text(&locals), "==2.2.3+*");
        assert_eq!(
            specifier_text(
                &ranges(Some(&"<1".parse().unwrap())).union(&ranges(Some(&">=2".parse().unwrap())))
            ),
            "<1 or >=2"
        );
    }
}
