//! Dependency conflicts as resolvers state them, read into who required what.
//!
//! - pip >= 20.3: `Cannot install A==1 and B==2 because these package versions have
//!   conflicting dependencies.`, then `The conflict is caused by:` and one line per requirement:
//!   `The user requested C==1` or `A 1 depends on C<1`;
//! - pip 10 to 20.2: `A 1 has requirement C==1, but you'll have C 2 which is incompatible.`;
//! - uv and poetry (PubGrub): `Because A==1 depends on C<1 and you require C>=1, we can conclude
//!   that ...`, `all versions of A depend on ...`, poetry's `A (1.0) depends on C (1.2)`;
//! - pdm: `C==1.2 (from A@1.0)` under `because of the following conflicts:`.
//!
//! The culprits are the packages whose requirements clash: for a requirement of the user, the
//! package the user named; for a dependency, the package that declares it.

use std::sync::LazyLock;

use common::python::normalize_name;

use crate::collector::split_requirement;
use crate::pattern::Pattern;
use crate::report::ConflictingRequirement;

/// `Cannot install A==1, B and C==2 because ...`: the packages pip could not install together.
static CANNOT_INSTALL: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"Cannot install (.+?) because these package versions"));
static USER_REQUESTED: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^The user requested (?:\(constraint\) )?(.+)$"));
/// pip's conflict block: `A 1.0 depends on C<2`.
static PIP_DEPENDS: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^([A-Za-z0-9][A-Za-z0-9._-]*) (\S+) depends on (.+)$"));
/// pip 10 to 20.2: `A 1.0 has requirement C==1, but you'll have C 2 which is incompatible.`
static HAS_REQUIREMENT: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(r"([A-Za-z0-9][A-Za-z0-9._-]*) (\S+) has requirement (.+?), but you'll have")
});
/// PubGrub's clauses (uv, poetry): `[all versions of|only] A[==1| (1)] depend(s) on REQ`.
static CLAUSE_DEPENDS: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"(?:all versions of |only |both )?([A-Za-z0-9][A-Za-z0-9._-]*)(?:==((?:[^\s,]|,\S)+)| \(([^)]*)\))? depends? on (?:both )?([A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?(?: \([^)]*\)|(?:[<>=!~](?:[^\s,]|,\S)*))?)",
    )
});
/// PubGrub's last sentence in poetry: the root project's own requirements.
static ROOT_DEPENDS: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(r"^So, because \S+ depends on (?:both )?(.+?), version solving failed")
});
/// `you require A and B==1` (uv), up to the end of the clause.
static YOU_REQUIRE: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"you require ((?:[^,]|,\S)+)"));
/// pdm: `C==1.2 (from A@1.0)`.
static FROM_ORIGIN: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^(\S.*?) \(from ([A-Za-z0-9][A-Za-z0-9._-]*)(?:@(\S+?))?\)$"));

/// What one line of a conflict statement says.
#[derive(Debug, Default, PartialEq)]
pub struct Statement {
    pub requirements: Vec<ConflictingRequirement>,
    /// Packages named as not installable together (pip's `Cannot install`).
    pub named: Vec<String>,
}

/// Reads one line of a conflict statement; empty when it states nothing this module knows.
pub fn read(line: &str) -> Statement {
    let mut s = Statement::default();
    if let Some(list) = CANNOT_INSTALL.captures(line).and_then(|m| m.get(1)) {
        for item in list.as_str().split(", ").flat_map(|i| i.split(" and ")) {
            if let Some((name, _)) = split_requirement(item) {
                if !item.trim_start().starts_with('-') {
                    s.named.push(name.to_owned());
                }
            }
        }
        return s;
    }
    if let Some(req) = USER_REQUESTED.captures(line).and_then(|m| m.get(1)) {
        s.requirements.push(by_user(req.as_str()));
        return s;
    }
    if let Some(m) = HAS_REQUIREMENT.captures(line) {
        s.requirements.push(by_package(&m[3], &m[1], Some(&m[2])));
        return s;
    }
    if let Some(m) = PIP_DEPENDS.captures(line) {
        if !line.starts_with("Because") && !line.contains(" and ") {
            s.requirements.push(by_package(&m[3], &m[1], Some(&m[2])));
            return s;
        }
    }
    if let Some(m) = FROM_ORIGIN.captures(line) {
        let origin = &m[2];
        // pdm names the project itself as the origin of the user's requirements.
        if m.get(3).is_some() {
            s.requirements
                .push(by_package(&m[1], origin, m.get(3).map(|v| v.as_str())));
        } else {
            s.requirements.push(by_user(&m[1]));
        }
        return s;
    }
    if let Some(m) = ROOT_DEPENDS.captures(line).and_then(|m| m.get(1)) {
        for req in m.as_str().split(" and ") {
            s.requirements.push(by_user(req));
        }
        return s;
    }
    // What PubGrub concludes repeats its premises: read only these.
    let line = line.split(", we can conclude").next().unwrap_or(line);
    for m in CLAUSE_DEPENDS.captures_iter(line) {
        let version = m.get(2).or(m.get(3)).map(|v| v.as_str());
        s.requirements.push(by_package(&m[4], &m[1], version));
    }
    if let Some(m) = YOU_REQUIRE.captures(line).and_then(|m| m.get(1)) {
        for req in m.as_str().split(" and ") {
            s.requirements.push(by_user(req));
        }
    }
    s
}

fn by_user(requirement: &str) -> ConflictingRequirement {
    ConflictingRequirement {
        requirement: clean(requirement),
        origin: ConflictingRequirement::USER.to_owned(),
        origin_version: None,
    }
}

fn by_package(requirement: &str, origin: &str, version: Option<&str>) -> ConflictingRequirement {
    ConflictingRequirement {
        requirement: clean(requirement),
        origin: origin.to_owned(),
        origin_version: version
            .map(|v| v.trim_end_matches([',', '.']).to_owned())
            .filter(|v| !v.is_empty()),
    }
}

fn clean(requirement: &str) -> String {
    requirement
        .trim()
        .trim_end_matches(['.', ','])
        .trim()
        .to_owned()
}

/// The project a requirement names.
pub fn required_name(requirement: &str) -> Option<&str> {
    split_requirement(requirement).map(|(name, _)| name)
}

/// The culprits of a conflict: the packages pip named, then for each requirement the package
/// that declares it or, for the user's own, the package it names. Each once, in order.
pub fn culprits(named: &[String], requirements: &[ConflictingRequirement]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if !out
            .iter()
            .any(|o| normalize_name(o) == normalize_name(name))
        {
            out.push(name.to_owned());
        }
    };
    for name in named {
        push(name);
    }
    for r in requirements {
        if r.is_from_user() {
            if let Some(name) = required_name(&r.requirement) {
                push(name);
            }
        } else {
            push(&r.origin);
        }
    }
    out
}

/// The package the conflict is about: the first one that two different origins require.
pub fn contested(requirements: &[ConflictingRequirement]) -> Option<String> {
    requirements.iter().enumerate().find_map(|(i, a)| {
        let name = normalize_name(required_name(&a.requirement)?);
        requirements[i + 1..]
            .iter()
            .any(|b| {
                b.origin != a.origin
                    && required_name(&b.requirement).is_some_and(|n| normalize_name(n) == name)
            })
            .then(|| required_name(&a.requirement).map(str::to_owned))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reqs(line: &str) -> Vec<(String, String, Option<String>)> {
        read(line)
            .requirements
            .into_iter()
            .map(|r| (r.requirement, r.origin, r.origin_version))
            .collect()
    }

    fn r(req: &str, origin: &str, v: Option<&str>) -> (String, String, Option<String>) {
        (req.into(), origin.into(), v.map(Into::into))
    }

    #[test]
    fn pip_statements() {
        assert_eq!(
            read("ERROR: Cannot install idna==2.4 and requests==2.31.0 because these package versions have conflicting dependencies.").named,
            vec!["idna", "requests"]
        );
        assert_eq!(
            read("ERROR: Cannot install -r requirements.txt (line 1), a and b==2 because these package versions have conflicting dependencies.").named,
            vec!["a", "b"]
        );
        assert_eq!(
            reqs("The user requested idna==2.4"),
            vec![r("idna==2.4", "user", None)]
        );
        assert_eq!(
            reqs("The user requested (constraint) idna==2.4"),
            vec![r("idna==2.4", "user", None)]
        );
        assert_eq!(
            reqs("requests 2.31.0 depends on idna<4,>=2.5"),
            vec![r("idna<4,>=2.5", "requests", Some("2.31.0"))]
        );
        assert_eq!(
            reqs(
                "ERROR: demo-right 1.0.0 has requirement demo-greeting==1.3.0, but you'll have demo-greeting 1.2.0 which is incompatible."
            ),
            vec![r("demo-greeting==1.3.0", "demo-right", Some("1.0.0"))]
        );
    }

    #[test]
    fn pubgrub_statements() {
        assert_eq!(
            reqs(
                "Because all versions of demo-right depend on demo-greeting==1.3.0 and all versions of demo-left depend on demo-greeting==1.2.0, we can conclude that all versions of demo-left and all versions of demo-right are incompatible."
            ),
            vec![
                r("demo-greeting==1.3.0", "demo-right", None),
                r("demo-greeting==1.2.0", "demo-left", None)
            ]
        );
        assert_eq!(
            reqs(
                "And because you require demo-left and demo-right, we can conclude that your requirements are unsatisfiable."
            ),
            vec![r("demo-left", "user", None), r("demo-right", "user", None)]
        );
        assert_eq!(
            reqs(
                "Because a==1.0 depends on c>=1,<2 and you require c>=2, we can conclude that your requirements are unsatisfiable."
            ),
            vec![r("c>=1,<2", "a", Some("1.0")), r("c>=2", "user", None)]
        );
        assert_eq!(
            reqs("Because demo-right (1.0.0) depends on demo-greeting (1.3.0)"),
            vec![r("demo-greeting (1.3.0)", "demo-right", Some("1.0.0"))]
        );
        assert_eq!(
            reqs(
                "So, because demo-project depends on both demo-left (*) and demo-right (*), version solving failed."
            ),
            vec![
                r("demo-left (*)", "user", None),
                r("demo-right (*)", "user", None)
            ]
        );
        assert_eq!(
            reqs(
                "and demo-right (1.0.0) depends on demo-greeting (1.3.0), every version of demo-right requires demo-greeting (1.3.0)."
            ),
            vec![r("demo-greeting (1.3.0)", "demo-right", Some("1.0.0"))]
        );
        assert_eq!(
            reqs("demo-greeting==1.2.0 (from demo-left@1.0.0)"),
            vec![r("demo-greeting==1.2.0", "demo-left", Some("1.0.0"))]
        );
    }

    #[test]
    fn conclusions_are_not_premises() {
        assert_eq!(
            reqs(
                "Because all versions of demo-left depend on demo-greeting==1.2.0 and you require demo-left, we can conclude that you require demo-greeting==1.2.0."
            ),
            vec![
                r("demo-greeting==1.2.0", "demo-left", None),
                r("demo-left", "user", None)
            ]
        );
    }

    #[test]
    fn culprits_and_the_contested_package() {
        let rs: Vec<ConflictingRequirement> = [
            "The user requested idna==2.4",
            "requests 2.31.0 depends on idna<4,>=2.5",
        ]
        .iter()
        .flat_map(|l| read(l).requirements)
        .collect();
        assert_eq!(culprits(&[], &rs), vec!["idna", "requests"]);
        assert_eq!(contested(&rs).as_deref(), Some("idna"));
        let named = vec!["demo-left".to_owned(), "demo-right".to_owned()];
        let rs: Vec<_> = [
            "demo-left 1.0.0 depends on demo-greeting==1.2.0",
            "demo-right 1.0.0 depends on demo-greeting==1.3.0",
        ]
        .iter()
        .flat_map(|l| read(l).requirements)
        .collect();
        assert_eq!(culprits(&named, &rs), vec!["demo-left", "demo-right"]);
        assert_eq!(contested(&rs).as_deref(), Some("demo-greeting"));
    }
}
