//! Regexes behind literal guards: a [`Pattern`] asks the regex engine only about lines holding
//! a literal its matches need, and a [`Screen`] tells, in one scan of a line, which patterns of
//! a table can match it at all.
//!
//! Every line of a log meets some eighty patterns, and most lines match none: checking a few
//! bytes (or one multi-literal scan) is far cheaper than a regex search each. The guards are
//! necessary conditions derived from the patterns ([`crate::literals`]), so a guarded pattern
//! matches exactly the lines the bare regex matches.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::{CaptureMatches, Captures, Match, Regex};

use crate::literals::{Required, required};

/// Builds a regex from a literal pattern of this crate.
///
/// The patterns are constants, checked by the unit tests; a broken one is a programming error,
/// and a regex that never matches (rather than a panic) keeps parsing going on any input.
pub(crate) fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| {
        tracing::error!(%e, pattern, "invalid built-in pattern");
        #[allow(clippy::unwrap_used)] // `[^\s\S]` is a valid pattern that matches nothing.
        Regex::new(r"[^\s\S]").unwrap()
    })
}

/// A regex and the cheap test that every text it matches passes.
#[derive(Debug)]
pub struct Pattern {
    re: Regex,
    guard: Guard,
}

#[derive(Debug)]
enum Guard {
    Always,
    /// The text starts with one of `literals`; `first` holds their first bytes, for a quick no.
    StartsWith {
        first: ByteSet,
        literals: Vec<Vec<u8>>,
    },
    Contains(AhoCorasick),
}

/// A set of bytes, as a bitmap.
#[derive(Debug, Default)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    #[inline]
    fn contains(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
}

impl Pattern {
    pub fn new(pattern: &str) -> Pattern {
        let re = re(pattern);
        let guard = match required(re.as_str()) {
            Required::Prefix(literals) => {
                let mut first = ByteSet::default();
                for literal in &literals {
                    if let Some(&b) = literal.first() {
                        first.insert(b);
                    }
                }
                Guard::StartsWith { first, literals }
            }
            Required::Contains(literals) => match AhoCorasick::new(&literals) {
                Ok(scan) => Guard::Contains(scan),
                Err(_) => Guard::Always,
            },
            Required::Anything => Guard::Always,
        };
        Pattern { re, guard }
    }

    /// False when the regex cannot match `text`; true says only that it may.
    #[inline]
    pub fn may_match(&self, text: &str) -> bool {
        match &self.guard {
            Guard::Always => true,
            Guard::StartsWith { first, literals } => {
                let bytes = text.as_bytes();
                bytes.first().is_some_and(|&b| first.contains(b))
                    && literals.iter().any(|l| bytes.starts_with(l))
            }
            Guard::Contains(scan) => scan.is_match(text),
        }
    }

    #[inline]
    pub fn is_match(&self, text: &str) -> bool {
        self.may_match(text) && self.re.is_match(text)
    }

    /// The captures of the first match. A plain match test first: building capture slots is
    /// several times dearer, and most texts that pass the guard still do not match.
    #[inline]
    pub fn captures<'t>(&self, text: &'t str) -> Option<Captures<'t>> {
        if self.is_match(text) {
            self.re.captures(text)
        } else {
            None
        }
    }

    #[inline]
    pub fn find<'t>(&self, text: &'t str) -> Option<Match<'t>> {
        if self.may_match(text) {
            self.re.find(text)
        } else {
            None
        }
    }

    /// Every match's captures; none at all when the guard rules the text out.
    pub fn captures_iter<'r, 't>(&'r self, text: &'t str) -> impl Iterator<Item = Captures<'t>> {
        let matches: Option<CaptureMatches<'r, 't>> =
            self.may_match(text).then(|| self.re.captures_iter(text));
        matches.into_iter().flatten()
    }

    pub fn as_str(&self) -> &str {
        self.re.as_str()
    }

    /// The bare regex, for tests that check the guard against it.
    #[cfg(test)]
    pub fn regex(&self) -> &Regex {
        &self.re
    }
}

/// Which patterns of a table can match a text, decided by one scan for all their literals.
#[derive(Debug)]
pub struct Screen {
    scan: Option<AhoCorasick>,
    /// For each literal of `scan`, the patterns (bits) that need it.
    owners: Vec<u128>,
    /// Patterns without literals: always candidates.
    always: u128,
}

/// The patterns of a [`Screen`] that may match; patterns past the 128th always may.
#[derive(Debug, Clone, Copy)]
pub struct Candidates(u128);

impl Candidates {
    #[inline]
    pub fn contains(self, index: usize) -> bool {
        index >= 128 || self.0 & (1 << index) != 0
    }
}

impl Screen {
    pub fn new<'p>(patterns: impl IntoIterator<Item = &'p str>) -> Screen {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<u128> = Vec::new();
        let mut always = 0u128;
        for (index, pattern) in patterns.into_iter().enumerate().take(128) {
            let bit = 1u128 << index;
            match required(pattern) {
                // Anywhere is a weaker test than at the start, but one scan serves every pattern.
                Required::Prefix(needed) | Required::Contains(needed) => {
                    for literal in needed {
                        match literals.iter().position(|l| *l == literal) {
                            Some(i) => owners[i] |= bit,
                            None => {
                                literals.push(literal);
                                owners.push(bit);
                            }
                        }
                    }
                }
                Required::Anything => always |= bit,
            }
        }
        // Standard semantics with overlapping matches: every literal present is reported, also
        // one inside or overlapping another (`error: ` within `fatal error: `).
        // A full DFA: a few hundred kilobytes at most for these tables, and the fastest scan.
        let scan = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&literals);
        let scan = match scan {
            Ok(scan) => Some(scan),
            Err(e) => {
                tracing::error!(%e, "cannot build the literal screen; every pattern will run");
                always = u128::MAX;
                None
            }
        };
        Screen {
            scan,
            owners,
            always,
        }
    }

    pub fn candidates(&self, text: &str) -> Candidates {
        let mut found = self.always;
        if let Some(scan) = &self.scan {
            for m in scan.find_overlapping_iter(text) {
                found |= self.owners[m.pattern().as_usize()];
            }
        }
        Candidates(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_keep_every_match() {
        let p = Pattern::new(r"^(Collecting|Obtaining) (\S+)");
        assert!(p.is_match("Collecting foo"));
        assert!(!p.may_match("  Collecting foo"));
        let p = Pattern::new(r"Failed building wheel for (\S+)|Could not build wheels for");
        assert!(p.may_match("  ERROR: Failed building wheel for x"));
        assert!(!p.may_match("Successfully built x"));
    }

    #[test]
    fn screen_reports_overlapping_literals() {
        let screen = Screen::new([
            r"fatal error: (\S+)",
            r"^error: x",
            r"^\d+$",
            r"nothing here",
        ]);
        let c = screen.candidates("x.c: fatal error: x.h");
        assert!(c.contains(0) && c.contains(1) && c.contains(2) && !c.contains(3));
        let c = screen.candidates("plain text");
        assert!(!c.contains(0) && !c.contains(1) && c.contains(2) && !c.contains(3));
    }
}
