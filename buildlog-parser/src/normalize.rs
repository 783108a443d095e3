//! One physical line to the text the installer printed: colour codes, progress redraws and the
//! prefixes added by the layers between the installer and the saved log are removed.
//!
//! Prefixes stack (a BuildKit step inside a CI job adds its own to the CI timestamp), so they are
//! stripped repeatedly, a bounded number of times, until none applies.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use crate::pattern::{Pattern, re};

/// A container build step announced by buildah, podman or docker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLine {
    pub number: u32,
    pub total: Option<u32>,
    pub instruction: String,
}

/// The normalised text of a line and what normalisation recognised on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized<'a> {
    /// Borrowed from the raw line unless colour codes had to be cut out of it.
    pub text: Cow<'a, str>,
    pub step: Option<StepLine>,
    /// The level of a Python logging record (`DEBUG`, `INFO`, ...) when a logging prefix was
    /// removed. Libraries such as thamos log failures they handled at DEBUG: not build errors.
    pub level: Option<&'static str>,
}

static ANSI: LazyLock<Regex> = LazyLock::new(|| {
    // CSI sequences, OSC sequences (terminated by BEL or ST), and two-byte escapes.
    re(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
});

/// One kind of prefix, and a test every line it applies to passes (most lines start with a
/// letter or indentation, and are then spared the regex).
struct Prefix {
    may_start: fn(&str) -> bool,
    re: Pattern,
}

fn any(_: &str) -> bool {
    true
}

/// `\d` is Unicode's decimal digits: `is_numeric` holds for all of them (and a few more).
fn digit_first(text: &str) -> bool {
    text.chars().next().is_some_and(char::is_numeric)
}

/// Each entry removes one kind of prefix; the group `level` (or `level2`, `level3`), if any, is
/// the record's logging level.
static PREFIXES: LazyLock<Vec<Prefix>> = LazyLock::new(|| {
    let prefix = |may_start: fn(&str) -> bool, pattern: &str| Prefix {
        may_start,
        re: Pattern::new(pattern),
    };
    vec![
        // RFC 3339 timestamps of kubectl --timestamps, OpenShift and GitHub Actions.
        prefix(
            digit_first,
            r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})? ?",
        ),
        // Docker BuildKit plain progress: `#8 12.34 `.
        prefix(any, r"^#\d+ \d+(?:\.\d+)? "),
        // OpenShift console copies: `  | `.
        prefix(
            |text| text.trim_start_matches(' ').starts_with("| "),
            r"^ {0,8}\| ",
        ),
        // micropipenv's basicConfig: `%(asctime)s %(name)-12s %(levelname)-6s ` with `%m-%d-%y %H:%M:%S`.
        prefix(
            digit_first,
            r"^\d{2}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [\w.]+ +(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) +",
        ),
        // Python logging with an ISO-like asctime, thoth-common's `[pid] LEVEL name: ` or
        // `- name - LEVEL - ` after it.
        prefix(
            digit_first,
            r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:[,.]\d+)? (?:\[\d+\] +)?(?:(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) +[\w.]+: |- [\w.]+ - (?P<level2>DEBUG|INFO|WARNING|ERROR|CRITICAL) - |(?P<level3>DEBUG|INFO|WARNING|ERROR|CRITICAL) +)?",
        ),
        // Python's default logging format `LEVEL:name:message` (pipenv's patched pip uses it).
        prefix(
            any,
            r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):[A-Za-z_][\w.]*:",
        ),
        // pipenv wraps whole tracebacks: `[pipenv.exceptions.InstallError]: `, `[ResolutionFailure]: `.
        prefix(
            any,
            r"^\[(?:pipenv\.exceptions\.\w+|\w+(?:Error|Failure|Exception))\]: ?",
        ),
    ]
});

static STEP: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^(?:STEP|Step) (\d{1,9})(?:/(\d{1,9}))? ?: (.*)$"));

/// The levels of Python's logging, as the prefixes' `level` groups match them.
const LEVELS: [&str; 5] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

/// Normalises one physical line (its `\n` already removed).
pub fn normalize_line(raw: &str) -> Normalized<'_> {
    let text = if raw.contains('\x1b') {
        ANSI.replace_all(raw, "")
    } else {
        Cow::Borrowed(raw)
    };
    let shown = last_redraw(&text);
    let (rest, level) = strip_prefixes(&text[shown.clone()]);
    let start = shown.end - rest.len();
    let step = step_line(rest);
    // What is kept is one stretch of the line: borrowed unless colour codes were cut out.
    let text = match text {
        Cow::Borrowed(t) => Cow::Borrowed(&t[start..shown.end]),
        Cow::Owned(mut t) => {
            t.truncate(shown.end);
            t.replace_range(..start, "");
            Cow::Owned(t)
        }
    };
    Normalized { text, step, level }
}

/// Strips stacked prefixes: a few rounds at most, each strictly shortening the line.
fn strip_prefixes(mut text: &str) -> (&str, Option<&'static str>) {
    let mut level = None;
    for _ in 0..6 {
        let before = text.len();
        for prefix in PREFIXES.iter() {
            if !(prefix.may_start)(text) {
                continue;
            }
            let Some(c) = prefix.re.captures(text) else {
                continue;
            };
            let end = c.get(0).map_or(0, |m| m.end());
            if let Some(l) = ["level", "level2", "level3"].iter().find_map(|g| c.name(g)) {
                level = LEVELS.iter().find(|name| **name == l.as_str()).copied();
            }
            text = &text[end..];
        }
        if text.len() == before {
            break;
        }
    }
    (text, level)
}

fn step_line(text: &str) -> Option<StepLine> {
    STEP.captures(text).and_then(|c| {
        Some(StepLine {
            number: c.get(1)?.as_str().parse().ok()?,
            total: c.get(2).and_then(|t| t.as_str().parse().ok()),
            instruction: c.get(3)?.as_str().trim().to_owned(),
        })
    })
}

/// What is left on screen after `\r` redraws: the last segment with content (as a range of
/// `line`). A trailing `\r` (CRLF line end) is not a redraw.
fn last_redraw(line: &str) -> Range<usize> {
    let end = line.trim_end_matches('\r').len();
    let line = &line[..end];
    if !line.contains('\r') {
        return 0..end;
    }
    let mut segment_end = end;
    for (i, _) in line.rmatch_indices('\r') {
        if !line[i + 1..segment_end].trim().is_empty() {
            return i + 1..segment_end;
        }
        segment_end = i;
    }
    if line[..segment_end].trim().is_empty() {
        0..0
    } else {
        0..segment_end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize_line(s).text.into_owned()
    }

    #[test]
    fn strips_ansi_colours() {
        assert_eq!(
            n("\x1b[31mERROR: No matching distribution found for foo\x1b[0m"),
            "ERROR: No matching distribution found for foo"
        );
        assert_eq!(n("\x1b]0;title\x07Collecting x"), "Collecting x");
    }

    #[test]
    fn keeps_last_progress_redraw() {
        assert_eq!(
            n("  |██     | 10 kB\r  |█████████| 1.2 MB 3 MB/s\r"),
            "  |█████████| 1.2 MB 3 MB/s"
        );
        assert_eq!(n("Collecting foo\r\n"), "Collecting foo\n".trim_end());
        assert_eq!(n("abc\r   \r"), "abc");
    }

    #[test]
    fn strips_timestamps() {
        assert_eq!(
            n("2026-04-17T20:56:38.3348895Z   Preparing metadata (setup.py): started"),
            "  Preparing metadata (setup.py): started"
        );
        assert_eq!(n("2020-04-02T20:06:50+02:00 Collecting a"), "Collecting a");
        assert_eq!(
            n(
                "04-02-20 20:06:50 micropipenv  WARNING Failed to install 'a', will try in next installation round..."
            ),
            "Failed to install 'a', will try in next installation round..."
        );
        assert_eq!(
            n(
                "2020-11-05 21:46:36,945 [2074338] INFO     micropipenv: Installing 'grpcio==1.31.0'"
            ),
            "Installing 'grpcio==1.31.0'"
        );
        assert_eq!(
            n("2020-04-02 20:06:50,579 [16] DEBUG    thamos: Thamos version: '0.9.1'"),
            "Thamos version: '0.9.1'"
        );
        assert_eq!(
            n("2023-01-01 10:00:00,000 - pip._internal - ERROR - boom"),
            "boom"
        );
    }

    #[test]
    fn strips_container_and_console_prefixes() {
        assert_eq!(n("#8 12.34 Collecting requests"), "Collecting requests");
        assert_eq!(n("#8 1.2 2024-01-01T00:00:00Z ERROR: x"), "ERROR: x");
        assert_eq!(
            n("  | Successfully installed a-1"),
            "Successfully installed a-1"
        );
        assert_eq!(
            n("[pipenv.exceptions.InstallError]: ERROR: Could not find a version"),
            "ERROR: Could not find a version"
        );
        assert_eq!(n("[ResolutionFailure]:   raise x"), "  raise x");
        assert_eq!(
            n(
                "CRITICAL:pipenv.patched.pip._internal.resolution.resolvelib.factory:Could not find a version"
            ),
            "Could not find a version"
        );
        // pip's own `ERROR: ` and `[notice]` lines are not prefixes.
        assert_eq!(n("ERROR: boom"), "ERROR: boom");
        assert_eq!(
            n("[notice] A new release of pip is available"),
            "[notice] A new release of pip is available"
        );
    }

    #[test]
    fn records_log_levels() {
        let l = normalize_line(
            "2020-04-02 20:06:50,594 [16] DEBUG    thamos.discover: Unable to detect CUDA",
        );
        assert_eq!(l.level, Some("DEBUG"));
        assert_eq!(normalize_line("ERROR: x").level, None);
    }

    #[test]
    fn records_steps() {
        let s = normalize_line("STEP 2/5: RUN pip install -r requirements.txt");
        assert_eq!(
            s.step,
            Some(StepLine {
                number: 2,
                total: Some(5),
                instruction: "RUN pip install -r requirements.txt".into()
            })
        );
        let s = normalize_line("Step 3/7 : RUN pip install x");
        assert_eq!(s.step.map(|s| s.number), Some(3));
        assert_eq!(
            normalize_line("STEP 1: FROM python").step.map(|s| s.total),
            Some(None)
        );
    }
}
