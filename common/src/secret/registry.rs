//! The process-wide set of secret values: every credential the process was given or read,
//! registered where it enters (a [`Secret`](super::Secret) registers itself when made), and
//! masked wherever it appears verbatim in anything the process writes.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

use aho_corasick::{AhoCorasick, MatchKind};

/// Values shorter than this are not masked verbatim: a one- or two-character password would
/// blank out every occurrence of those characters in a document. They are still removed from
/// URLs, where the structure says what is a credential.
pub const MIN_SECRET_CHARS: usize = 4;

struct Registry {
    /// Every form a registered value can take in an output: as given, JSON-escaped,
    /// percent-encoded or percent-decoded (as it is written in a URL's user-info).
    values: BTreeSet<String>,
    /// Built on first use after a change; one automaton finds every value in one pass.
    matcher: Option<Arc<AhoCorasick>>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    values: BTreeSet::new(),
    matcher: None,
});

/// Registers `value` as a secret: from now on it is masked in every output of the process.
pub fn register(value: &str) {
    if value.chars().count() < MIN_SECRET_CHARS {
        return;
    }
    let mut forms = vec![value.to_owned()];
    // As it appears inside a JSON string (a log line with --log-format json).
    if let Ok(quoted) = serde_json::to_string(value) {
        forms.push(quoted[1..quoted.len() - 1].to_owned());
    }
    forms.push(percent_encode(value));
    let decoded = crate::index::percent_decode(value);
    if decoded.chars().count() >= MIN_SECRET_CHARS {
        forms.push(decoded);
    }
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    let before = registry.values.len();
    registry.values.extend(forms);
    if registry.values.len() != before {
        registry.matcher = None;
    }
}

/// Registers `value` and gives it back: for credential readers that keep a plain string
/// (`password: Some(registered(value))`).
pub fn registered(value: String) -> String {
    register(&value);
    value
}

/// A `USER:PASSWORD` pair (or a bare token): the whole value and, when it has a user part, the
/// password alone, which is what a server or an error message may echo.
pub fn register_pair(value: &str) {
    register(value);
    if let Some((_, password)) = value.split_once(':') {
        register(password);
    }
}

/// The automaton over every registered form, or `None` when nothing is registered.
pub(super) fn matcher() -> Option<Arc<AhoCorasick>> {
    let mut registry = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    if registry.values.is_empty() {
        return None;
    }
    if registry.matcher.is_none() {
        // Leftmost-longest: `alice:hunter2` is masked whole, not as `alice:` + mask.
        let built = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&registry.values)
            .ok()?;
        registry.matcher = Some(Arc::new(built));
    }
    registry.matcher.clone()
}

/// Percent-encodes what a URL's user-info cannot hold as it is (RFC 3986 `unreserved` stays).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_of_a_value_are_registered() {
        register("p@ss\"w0rd-registry-test");
        let m = matcher().expect("registered");
        for form in [
            "p@ss\"w0rd-registry-test",
            "p@ss\\\"w0rd-registry-test",
            "p%40ss%22w0rd-registry-test",
        ] {
            assert!(m.is_match(form), "{form}");
        }
    }

    #[test]
    fn short_values_are_not_masked_verbatim() {
        register("ab");
        register_pair("user:xy");
        let m = matcher();
        assert!(m.is_none_or(|m| !m.is_match("ab xy")));
    }
}
