//! One physical line to the text the installer printed: colour codes, progress redraws and the
//! prefixes added by the layers between the installer and the saved log are removed.
//!
//! Prefixes stack (a BuildKit step inside a CI job adds its own to the CI timestamp), so they are
//! stripped repeatedly, a bounded number of times, until none applies.

use std::sync::LazyLock;

use regex::Regex;

/// A container build step announced by buildah, podman or docker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLine {
    pub number: u32,
    pub total: Option<u32>,
    pub instruction: String,
}

/// The normalised text of a line and what normalisation recognised on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    pub step: Option<StepLine>,
    /// The level of a Python logging record (`DEBUG`, `INFO`, ...) when a logging prefix was
    /// removed. Libraries such as thamos log failures they handled at DEBUG: not build errors.
    pub level: Option<String>,
}

static ANSI: LazyLock<Regex> = LazyLock::new(|| {
    // CSI sequences, OSC sequences (terminated by BEL or ST), and two-byte escapes.
    re(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")
});

/// Each entry removes one kind of prefix; the group `rest` (if any) is the remaining text.
static PREFIXES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // RFC 3339 timestamps of kubectl --timestamps, OpenShift and GitHub Actions.
        r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})? ?",
        // Docker BuildKit plain progress: `#8 12.34 `.
        r"^#\d+ \d+(?:\.\d+)? ",
        // OpenShift console copies: `  | `.
        r"^ {0,8}\| ",
        // micropipenv's basicConfig: `%(asctime)s %(name)-12s %(levelname)-6s ` with `%m-%d-%y %H:%M:%S`.
        r"^\d{2}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [\w.]+ +(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) +",
        // Python logging with an ISO-like asctime, thoth-common's `[pid] LEVEL name: ` or
        // `- name - LEVEL - ` after it.
        r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:[,.]\d+)? (?:\[\d+\] +)?(?:(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) +[\w.]+: |- [\w.]+ - (?P<level2>DEBUG|INFO|WARNING|ERROR|CRITICAL) - |(?P<level3>DEBUG|INFO|WARNING|ERROR|CRITICAL) +)?",
        // Python's default logging format `LEVEL:name:message` (pipenv's patched pip uses it).
        r"^(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL):[A-Za-z_][\w.]*:",
        // pipenv wraps whole tracebacks: `[pipenv.exceptions.InstallError]: `, `[ResolutionFailure]: `.
        r"^\[(?:pipenv\.exceptions\.\w+|\w+(?:Error|Failure|Exception))\]: ?",
    ]
    .iter()
    .map(|p| re(p))
    .collect()
});

static STEP: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:STEP|Step) (\d{1,9})(?:/(\d{1,9}))? ?: (.*)$"));

/// `re.captures(text)`, but without building capture slots for the (many) lines that do not
/// match: a plain match test is several times cheaper, and most patterns miss most lines.
#[inline]
pub(crate) fn captures<'t>(re: &Regex, text: &'t str) -> Option<regex::Captures<'t>> {
    if re.is_match(text) {
        re.captures(text)
    } else {
        None
    }
}

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

/// Normalises one physical line (its `\n` already removed).
pub fn normalize_line(raw: &str) -> Normalized {
    let mut text = if raw.contains('\x1b') {
        ANSI.replace_all(raw, "").into_owned()
    } else {
        raw.to_owned()
    };
    text = last_redraw(&text).to_owned();
    let mut level = None;
    // Stacked prefixes: a few rounds at most, each strictly shortening the line.
    for _ in 0..6 {
        let before = text.len();
        for prefix in PREFIXES.iter() {
            let Some(c) = captures(prefix, &text) else {
                continue;
            };
            let end = c.get(0).map_or(0, |m| m.end());
            if let Some(l) = ["level", "level2", "level3"].iter().find_map(|g| c.name(g)) {
                level = Some(l.as_str().to_owned());
            }
            if end > 0 {
                text.replace_range(..end, "");
            }
        }
        if text.len() == before {
            break;
        }
    }
    let step = crate::normalize::captures(&STEP, &text).and_then(|c| {
        Some(StepLine {
            number: c.get(1)?.as_str().parse().ok()?,
            total: c.get(2).and_then(|t| t.as_str().parse().ok()),
            instruction: c.get(3)?.as_str().trim().to_owned(),
        })
    });
    Normalized { text, step, level }
}

/// What is left on screen after `\r` redraws: the last segment with content. A trailing `\r`
/// (CRLF line end) is not a redraw.
fn last_redraw(line: &str) -> &str {
    let line = line.trim_end_matches('\r');
    if !line.contains('\r') {
        return line;
    }
    line.rsplit('\r')
        .find(|segment| !segment.trim().is_empty())
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize_line(s).text
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
        assert_eq!(l.level.as_deref(), Some("DEBUG"));
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
