//! The literals a pattern's matches cannot do without, so that a line holding none of them is
//! never handed to the regex engine.
//!
//! Most lines of a build log match none of the crate's patterns, and asking the regex engine
//! costs tens of nanoseconds per pattern even when its own prefilter rejects the line at once.
//! The literals are derived from the patterns themselves, with the analysis `regex` builds its
//! prefilters on (regex-syntax's literal extractor), not written by hand: a hand-kept keyword
//! list would drift from its pattern and silently lose matches.

use regex_syntax::hir::literal::{ExtractKind, Extractor, Seq};
use regex_syntax::hir::{Hir, HirKind, Look};

/// What every match of a pattern holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Required {
    /// Every match starts at the start of the text, with one of these.
    Prefix(Vec<Vec<u8>>),
    /// Every match contains one of these.
    Contains(Vec<Vec<u8>>),
    /// No finite set of (non-empty) literals is known: the regex must always run.
    Anything,
}

/// The most selective requirement of `pattern` that the analysis finds.
pub fn required(pattern: &str) -> Required {
    let Ok(hir) = regex_syntax::parse(pattern) else {
        return Required::Anything;
    };
    if hir.properties().look_set_prefix().contains(Look::Start) {
        if let Some(literals) = usable(extract(ExtractKind::Prefix, &hir)) {
            return Required::Prefix(literals);
        }
    }
    match contained(&hir) {
        Some(literals) => Required::Contains(literals),
        None => Required::Anything,
    }
}

fn extract(kind: ExtractKind, hir: &Hir) -> Seq {
    Extractor::new().kind(kind).extract(hir)
}

/// A finite sequence without the empty literal (which every text contains); deduplicated.
fn usable(seq: Seq) -> Option<Vec<Vec<u8>>> {
    if seq.min_literal_len()? == 0 {
        return None;
    }
    let mut literals: Vec<Vec<u8>> = seq
        .literals()?
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
    literals.sort();
    literals.dedup();
    (!literals.is_empty()).then_some(literals)
}

/// Literals one of which every match of `hir` contains: its own prefixes or suffixes, or
/// (inside it) those of a part that every match goes through, whichever is most selective.
fn contained(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let mut best = usable(extract(ExtractKind::Prefix, hir));
    best = better(best, usable(extract(ExtractKind::Suffix, hir)));
    match hir.kind() {
        // Every match of a concatenation contains a match of each of its parts.
        HirKind::Concat(parts) => {
            for part in parts {
                best = better(best, contained(part));
            }
        }
        // A match of an alternation is a match of one branch: each must have its literals.
        HirKind::Alternation(branches) => {
            let union = branches
                .iter()
                .map(contained)
                .collect::<Option<Vec<_>>>()
                .map(|sets| {
                    let mut union: Vec<Vec<u8>> = sets.into_iter().flatten().collect();
                    union.sort();
                    union.dedup();
                    union
                });
            best = better(best, union);
        }
        HirKind::Capture(capture) => best = better(best, contained(&capture.sub)),
        HirKind::Repetition(repetition) if repetition.min > 0 => {
            best = better(best, contained(&repetition.sub));
        }
        _ => {}
    }
    best
}

/// The more selective of two literal sets: longer shortest literal, then fewer literals.
fn better(a: Option<Vec<Vec<u8>>>, b: Option<Vec<Vec<u8>>>) -> Option<Vec<Vec<u8>>> {
    let key = |l: &Vec<Vec<u8>>| {
        let shortest = l.iter().map(Vec::len).min().unwrap_or(0);
        (shortest, std::cmp::Reverse(l.len()))
    };
    match (a, b) {
        (Some(a), Some(b)) => Some(if key(&b) > key(&a) { b } else { a }),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(literals: &[Vec<u8>]) -> Vec<String> {
        literals
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }

    #[test]
    fn anchored_patterns_need_their_prefix() {
        let Required::Prefix(l) = required(r"^(Collecting|Obtaining) (\S+)") else {
            panic!("not a prefix");
        };
        assert_eq!(strings(&l), ["Collecting ", "Obtaining "]);
    }

    #[test]
    fn inner_literals_are_found() {
        // No finite prefix (`[A-Z]`, `\w*`) nor suffix (`.*`): the literals are inside.
        let Required::Contains(l) = required(
            r"^(?:[\w.]+\.)?([A-Z]\w*(?:Error|Exception)|KeyboardInterrupt|SystemExit)(?:: (.*))?$",
        ) else {
            panic!("no literals");
        };
        assert_eq!(
            strings(&l),
            ["Error", "Exception", "KeyboardInterrupt", "SystemExit"]
        );
    }

    #[test]
    fn optional_or_open_patterns_need_nothing() {
        assert_eq!(required(r"^\d+"), Required::Anything);
        assert_eq!(required(r"(?:foo)?bar|\w+"), Required::Anything);
        assert_eq!(required(r"a?"), Required::Anything);
    }
}
