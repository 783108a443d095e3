//! Relation fields (`Depends`, `Pre-Depends`, `Replaces`) in Thoth's `{name, version}` shape.

use schemars::JsonSchema;
use serde::Serialize;

/// One comma-separated item of a relation field.
///
/// Thoth split fields on `, ` only, so an alternative group `a | b` stayed one entry; it still
/// does. For a group, `name` is the alternatives' names joined with ` | ` and `version` the
/// range of the first (preferred) alternative; `alternatives` lists each one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct Relation {
    pub name: String,
    /// The text inside the parentheses, `">= 2.14"`, or `""` when unversioned.
    pub version: String,
    /// New: the `:any` / `:native` / `:amd64` qualifier, which is not part of the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch_qualifier: Option<String>,
    /// New: each alternative of an `a | b` group (absent for a single package).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<Alternative>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct Alternative {
    pub name: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch_qualifier: Option<String>,
}

/// Parses a relation field, keeping the field's order.
pub fn parse_relations(field: &str) -> Vec<Relation> {
    field
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(parse_group)
        .collect()
}

fn parse_group(item: &str) -> Relation {
    let alternatives: Vec<Alternative> = item
        .split('|')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(parse_alternative)
        .collect();
    match alternatives.as_slice() {
        [] => Relation {
            name: item.to_owned(),
            version: String::new(),
            arch_qualifier: None,
            alternatives: Vec::new(),
        },
        [one] => Relation {
            name: one.name.clone(),
            version: one.version.clone(),
            arch_qualifier: one.arch_qualifier.clone(),
            alternatives: Vec::new(),
        },
        [first, ..] => Relation {
            name: alternatives
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
            version: first.version.clone(),
            arch_qualifier: None,
            alternatives: alternatives.clone(),
        },
    }
}

/// `name[:arch] [(op version)] [[arch list]] [<profiles>]`; the last two do not occur in
/// installed packages' fields but are dropped rather than taken into the name.
fn parse_alternative(text: &str) -> Alternative {
    let end_of_name = text
        .find(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '<'))
        .unwrap_or(text.len());
    let (full_name, rest) = text.split_at(end_of_name);
    let (name, arch_qualifier) = match full_name.split_once(':') {
        Some((name, arch)) => (name, Some(arch.to_owned())),
        None => (full_name, None),
    };
    Alternative {
        name: name.to_owned(),
        version: version_range(rest),
        arch_qualifier,
    }
}

/// The text inside the parentheses with one space between operator and version
/// (`(>=2.14)` and `( >= 2.14 )` both give `>= 2.14`).
fn version_range(rest: &str) -> String {
    let Some(open) = rest.find('(') else {
        return String::new();
    };
    let inner = &rest[open + 1..];
    let inner = inner
        .find(')')
        .map_or(inner, |close| &inner[..close])
        .trim();
    let op_len = inner
        .find(|c: char| !matches!(c, '<' | '>' | '='))
        .unwrap_or(inner.len());
    let (op, version) = inner.split_at(op_len);
    match (op.is_empty(), version.trim().is_empty()) {
        (true, _) => version.trim().to_owned(),
        (false, true) => op.to_owned(),
        (false, false) => format!("{op} {}", version.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(field: &str) -> Vec<(String, String)> {
        parse_relations(field)
            .into_iter()
            .map(|r| (r.name, r.version))
            .collect()
    }

    #[test]
    fn names_and_ranges_as_thoth() {
        assert_eq!(
            pairs("libc6 (>= 2.14), zlib1g (>= 1:1.1.4), libsystemd0"),
            [
                ("libc6".into(), ">= 2.14".into()),
                ("zlib1g".into(), ">= 1:1.1.4".into()),
                ("libsystemd0".into(), String::new())
            ]
        );
        assert_eq!(pairs("a (<<2.0)"), [("a".into(), "<< 2.0".into())]);
        assert_eq!(pairs("a ( = 1 )"), [("a".into(), "= 1".into())]);
        assert_eq!(pairs(""), Vec::<(String, String)>::new());
    }

    #[test]
    fn alternatives_stay_one_entry() {
        let rels = parse_relations("debconf (>= 0.5) | debconf-2.0, perl");
        assert_eq!(rels.len(), 2);
        assert_eq!(rels[0].name, "debconf | debconf-2.0");
        assert_eq!(rels[0].version, ">= 0.5");
        assert_eq!(rels[0].alternatives.len(), 2);
        assert_eq!(rels[0].alternatives[1].name, "debconf-2.0");
        assert_eq!(rels[0].alternatives[1].version, "");
        assert!(rels[1].alternatives.is_empty());
    }

    #[test]
    fn arch_qualifiers_leave_the_name() {
        let rels = parse_relations("python3:any (>= 3.5~), libfoo:amd64");
        assert_eq!(rels[0].name, "python3");
        assert_eq!(rels[0].arch_qualifier.as_deref(), Some("any"));
        assert_eq!(rels[0].version, ">= 3.5~");
        assert_eq!(rels[1].arch_qualifier.as_deref(), Some("amd64"));
        let json = serde_json::to_value(&rels[1]).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({"name": "libfoo", "version": "", "arch_qualifier": "amd64"})
        );
    }

    #[test]
    fn restrictions_and_junk_do_not_panic() {
        let rels = parse_relations("foo [amd64] <!nocheck>, bar (>= 1, | (, ,|,");
        assert_eq!(rels[0].name, "foo");
        assert_eq!(rels[0].version, "");
        assert_eq!(rels[1].name, "bar");
        assert_eq!(rels[1].version, ">= 1");
    }
}
