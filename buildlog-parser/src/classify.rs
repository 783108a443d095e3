//! Error blocks and their classification.
//!
//! A block opens at a line that signals a failure and stays open until installer progress
//! resumes (a new `Collecting`, a summary, an s2i marker) or nothing relevant has been seen for a
//! while. Every line of the block is checked against the signature table; the strongest match
//! decides the kind, so a pip summary (`No matching distribution`) after the real cause
//! (`NewConnectionError`) still reports the cause. Blocks about the same package that follow
//! each other closely (pip narrates one failure in several pieces) are merged: one failure, one
//! entry.

use std::sync::LazyLock;

use common::python::normalize_name;

use crate::collector::{Collector, Line, Role, split_requirement};
use crate::conflict;
use crate::pattern::{Pattern, Screen};
use crate::report::{BuildError, ConflictingRequirement, ErrorKind, MissingKind};

/// Blocks of the same package closer than this many lines are one failure.
const MERGE_GAP: usize = 50;
/// A block with no relevant line for this long has ended.
const BLOCK_IDLE: usize = 100;
/// Messages and causes are cut here; a line can be a megabyte of minified text.
const MAX_MESSAGE_CHARS: usize = 500;
/// Conflicts kept per failure.
const MAX_CONFLICTS: usize = 50;
/// Expected digests kept per failure.
const MAX_HASHES: usize = 50;
/// Failures kept: a real build reports a handful; thousands of concatenated logs (or a hostile
/// input) must not make the report grow with the input.
pub const MAX_ERRORS: usize = 1_000;

/// What a signature extracts from its match, besides the kind.
#[derive(Debug, Clone, Copy)]
enum Extract {
    Nothing,
    /// Group 1 names the package (a requirement or a name).
    Package,
    Missing(MissingKind),
    /// Group 1 is a compiler that failed (named, not necessarily missing).
    Compiler,
    /// The conflict list follows (pip's `The conflict is caused by:`).
    ConflictsFollow,
    /// This line is itself a conflict statement (uv, poetry: `Because ...`).
    Conflict,
    ExpectedHash,
    ActualHash,
    /// uv prints `Expected:` / `Computed:` headers and the digests on the next lines.
    ExpectedHashFollows,
    ActualHashFollows,
}

struct Signature {
    re: Pattern,
    kind: ErrorKind,
    /// Higher wins within a block. Causes outrank the summaries that follow them.
    priority: u8,
    /// Whether this line can start a block (weak evidence only counts inside one).
    opens: bool,
    extract: Extract,
}

fn sig(pattern: &str, kind: ErrorKind, priority: u8, opens: bool, extract: Extract) -> Signature {
    Signature {
        re: Pattern::new(pattern),
        kind,
        priority,
        opens,
        extract,
    }
}

static SIGNATURES: LazyLock<Vec<Signature>> = LazyLock::new(|| {
    use ErrorKind::*;
    use Extract as X;
    vec![
        // TLS before network: a certificate failure is also a "Max retries exceeded".
        sig(
            r"CERTIFICATE_VERIFY_FAILED|SSLCertVerificationError|certificate verify failed|There was a problem confirming the ssl certificate|invalid peer certificate|UnknownIssuer|self[- ]signed certificate in certificate chain",
            TlsVerification,
            95,
            true,
            X::Nothing,
        ),
        sig(r"SSLError", TlsVerification, 90, true, X::Nothing),
        sig(
            r"No space left on device|\[Errno 28\]|Disk quota exceeded",
            DiskOrPermission,
            92,
            true,
            X::Nothing,
        ),
        sig(
            r"Permission denied|\[Errno 13\]|Read-only file system|\[Errno 30\]|EnvironmentError: \[Errno 13\]",
            DiskOrPermission,
            88,
            true,
            X::Nothing,
        ),
        sig(
            r"^Killed$|exit (?:code|status):? 137\b|returned a non-zero code: 137|Killed signal terminated program|OOMKilled|^KeyboardInterrupt$|^MemoryError\b",
            KilledOrTruncated,
            91,
            true,
            X::Nothing,
        ),
        sig(
            r"(?:THESE PACKAGES DO NOT MATCH THE HASHES|Hash mismatch for `([^`=\s]+))",
            HashMismatch,
            85,
            true,
            X::Package,
        ),
        sig(
            r"^Expected (?:sha\d+|md5) ([0-9a-fA-F]{16,})",
            HashMismatch,
            85,
            false,
            X::ExpectedHash,
        ),
        sig(
            r"^or ([0-9a-fA-F]{32,})$",
            HashMismatch,
            10,
            false,
            X::ExpectedHash,
        ),
        sig(
            r"^Got\s+([0-9a-fA-F]{16,})",
            HashMismatch,
            85,
            false,
            X::ActualHash,
        ),
        sig(
            r"^Expected:$",
            HashMismatch,
            10,
            false,
            X::ExpectedHashFollows,
        ),
        sig(
            r"^Computed:$",
            HashMismatch,
            10,
            false,
            X::ActualHashFollows,
        ),
        sig(
            r"NewConnectionError|Max retries exceeded|Temporary failure in name resolution|Name or service not known|nodename nor servname|getaddrinfo failed|Failed to establish a new connection|Connection refused|Network is unreachable|ConnectTimeoutError|ReadTimeoutError|Read timed out|connection timed out|ProxyError|Cannot connect to proxy|Could not resolve host|dns error|error sending request for url|Connection reset by peer|RemoteDisconnected|IncompleteRead",
            Network,
            80,
            true,
            X::Nothing,
        ),
        sig(
            r"requires a different Python|Requires-Python|require a different python version|current Python version \([^)]*\) does not satisfy|supported Python range .* is not compatible",
            RequiresPython,
            70,
            true,
            X::Nothing,
        ),
        sig(
            r"does not satisfy Python\S* and ([A-Za-z0-9][A-Za-z0-9._-]*?)(?:==\S+)? depends on Python",
            RequiresPython,
            71,
            true,
            X::Package,
        ),
        // pip before 19: "demo 1.0 requires Python '>=3.99' but the running Python is 3.9.2".
        sig(
            r"^([A-Za-z0-9][A-Za-z0-9._-]*) requires Python '[^']*' but the running Python is",
            RequiresPython,
            71,
            true,
            X::Package,
        ),
        sig(
            r"^Package '([^']+)' requires a different Python",
            RequiresPython,
            71,
            true,
            X::Package,
        ),
        // pip's legacy resolver installs a conflicting set and says so (exit 0); pip 10 to 18
        // without the "ERROR: ".
        sig(
            r"^(?:ERROR: )?([A-Za-z0-9][A-Za-z0-9._-]*) \S+ has requirement .+, but you'll have .+ which is incompatible\.?$",
            ResolutionImpossible,
            60,
            true,
            X::Package,
        ),
        sig(
            r"^(?:ERROR: )?\S+ \S+ has requirement .+, but you'll have .+ which is incompatible",
            ResolutionImpossible,
            60,
            false,
            X::Conflict,
        ),
        sig(
            r"conflicting dependencies|ResolutionImpossible|version solving failed|requirements are unsatisfiable|Could not find a version that matches|dependencies could not be resolved|Unable to find a resolution",
            ResolutionImpossible,
            60,
            true,
            X::Nothing,
        ),
        sig(
            // pip, and pdm (`because of the following conflicts:`, then `X==1 (from A@1.0)`).
            r"^(?:The conflict is caused by|because of the following conflicts):$",
            ResolutionImpossible,
            60,
            false,
            X::ConflictsFollow,
        ),
        sig(
            r"^(?:[╰├]─▶ |cause: )?(?:And because|Because|So, because|and) .*(?:depends? on|you require)",
            ResolutionImpossible,
            60,
            false,
            X::Conflict,
        ),
        // poetry starts its explanation with a `Because` line and no error line before it.
        sig(
            r"^Because no versions of \S+ match",
            ResolutionImpossible,
            60,
            true,
            X::Conflict,
        ),
        sig(
            r"there (?:are|is) no versions? of ([A-Za-z0-9][A-Za-z0-9._-]*)|Because ([A-Za-z0-9][A-Za-z0-9._-]*) was not found in the package registry",
            NoMatchingDistribution,
            62,
            true,
            X::Package,
        ),
        sig(
            // pipenv wraps its output at 80 columns: "No such file or" may end the line.
            r"(?:fatal )?error: ([\w./+-]+\.h(?:pp|h)?): No such file or(?: directory|$)",
            BuildFailure,
            58,
            true,
            X::Missing(MissingKind::Header),
        ),
        sig(
            r"cannot find -l([\w.+-]+)",
            BuildFailure,
            58,
            true,
            X::Missing(MissingKind::Library),
        ),
        sig(
            r"error: command '([^']+)' failed: No such file or directory|\[Errno 2\] No such file or directory: '([^']*(?:gcc|g\+\+|cc|clang|c\+\+|gfortran|cl\.exe|rustc|cargo))'|unable to execute '?([^':\s]+)'?: No such file or directory|(?:^|\s)([\w.+-]*(?:gcc|g\+\+|cc|clang|c\+\+|gfortran)): (?:command )?not found|(Microsoft Visual C\+\+ [\d.]+) or greater is required|can't find (Rust compiler)",
            BuildFailure,
            58,
            true,
            X::Missing(MissingKind::Compiler),
        ),
        sig(
            r"error: command '([^']+)' failed",
            BuildFailure,
            55,
            true,
            X::Compiler,
        ),
        sig(
            r"Failed building wheel for (\S+)|Could not build wheels for ([^\s,]+)|^Failed to build `?([^\s`]+)|Building wheel for (\S+) .*did not run successfully|setup\.py bdist_wheel did not run successfully|python setup\.py (?:install|develop) did not run successfully|Running setup\.py install for (\S+?)(?: \.\.\. error|: finished with status 'error')|Command .*setup\.py.* (?:install|develop).* failed with error code|error: legacy-install-failure|Failed to build wheel|Build backend failed to build wheel",
            BuildFailure,
            50,
            true,
            X::Package,
        ),
        // pip 19 and 20 name only the PEP 517 hook that failed (`... _in_process.py
        // get_requires_for_build_wheel /tmp/...`), in the command line of a failed subprocess.
        sig(
            r"_in_process\.py['\x22]? (?:get_requires_for_build_(?:wheel|editable|sdist)|prepare_metadata_for_build_(?:wheel|editable))\b",
            MetadataGenerationFailed,
            45,
            true,
            X::Nothing,
        ),
        // uv names the PEP 517 hook that failed: building means compiling, the others ask for
        // metadata or build requirements (setup.py ran and failed before any build).
        sig(
            r"Call to `[\w.:]+\.(?:get_requires_for_build_\w+|prepare_metadata_for_build_\w+)` failed",
            MetadataGenerationFailed,
            52,
            true,
            X::Nothing,
        ),
        sig(
            r"Call to `[\w.:]+\.build_(?:wheel|editable)` failed",
            BuildFailure,
            50,
            true,
            X::Nothing,
        ),
        sig(
            r"error: metadata-generation-failed|Encountered error while generating package metadata|egg_info did not run successfully|Preparing (?:wheel )?metadata .*did not run successfully|Getting requirements to build (?:wheel|editable) did not run successfully|Command .*(?:setup\.py)?\W*egg_info.* failed with error code|Build backend failed to determine metadata|failed to determine metadata",
            MetadataGenerationFailed,
            45,
            true,
            X::Nothing,
        ),
        sig(
            r"No matching distribution found for (\S+)|Could not find a version that satisfies the requirement (\S+)|Unable to find installation candidates for (\S+)|Could not find a matching version of package (\S+)|No matching distribution found",
            NoMatchingDistribution,
            40,
            true,
            X::Package,
        ),
        sig(
            r#"Failed to install requirements, dependency ['"]([^'"]+)['"] could not be installed"#,
            Other,
            5,
            true,
            X::Package,
        ),
        sig(
            r"^Couldn't install package: (\S+)|^ERROR: Couldn't install package: (\S+)",
            Other,
            5,
            true,
            X::Package,
        ),
        // uv says which package a failure is about in its first line, or in the URL of the index
        // page it could not fetch; the cause follows. (pip's "Could not fetch URL" is no failure
        // by itself: old pips probe pages that do not exist and go on.)
        sig(
            r"^error: Failed to (?:build|download and build|download|prepare distributions|install)\s+`([^`]+)`",
            Other,
            2,
            true,
            X::Package,
        ),
        sig(
            r"Failed to fetch:? `?[a-z+]+://[^\s`]*/simple/([A-Za-z0-9][A-Za-z0-9._-]*)/?`?",
            Other,
            2,
            true,
            X::Package,
        ),
        // Generic openers: a failure whose cause no signature above names.
        sig(
            r"^(?:ERROR|error|Error|FATAL|fatal):|^×|^Exception:$|^Exception information:$|^Command .* failed with error code",
            Other,
            1,
            true,
            X::Nothing,
        ),
    ]
});

/// Which signatures can match a line, in their order.
static SIGNATURE_SCREEN: LazyLock<Screen> =
    LazyLock::new(|| Screen::new(SIGNATURES.iter().map(|s| s.re.as_str())));

/// Lines that look like errors but report a harmless condition, and pip's `INFO:` narration
/// (`INFO: pip is looking at multiple versions of <Python from Requires-Python> ...` is no
/// Requires-Python failure).
static NOT_ERRORS: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^ERROR: pip's dependency resolver does not currently take into account|^ERROR: pip's legacy dependency resolver does not consider|^INFO: ",
    )
});
/// An installer's own crash starts at the left margin; indented tracebacks are the output of a
/// subprocess (setup.py, byte-compiling) that the installer may well survive.
static OWN_CRASH: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(?:Traceback \(most recent call last\):$|(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception): )",
    )
});
/// A cause seen this close before a block opens belongs to it (pip prints the subprocess'
/// traceback, then its own error).
const CAUSE_LOOKBACK: usize = 30;
static WARNING: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^(?:WARNING|Warning|warning):"));
static CAUSE: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(
        r"^(?:[\w.]+\.)?([A-Z]\w*(?:Error|Exception)|KeyboardInterrupt|SystemExit)(?:: (.*))?$",
    )
});
static CONFLICT_ITEM: LazyLock<Pattern> = LazyLock::new(|| {
    Pattern::new(r"(?:\S+ \S+ depends on .+|The user requested .+|^\S+ \(from \S+\)$)")
});
static DIGEST: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^((?:sha\d+|md5):[0-9a-fA-F]{16,})$"));

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    Conflicts,
    Expected,
    Actual,
}

#[derive(Debug)]
struct Block {
    first_line: usize,
    last_line: usize,
    last_relevant: usize,
    run: u32,
    kind: ErrorKind,
    priority: u8,
    message: String,
    package: Option<String>,
    /// The package came from the failure text, not from the installer's context.
    package_stated: bool,
    /// Only `WARNING:` lines so far: the installer went on (pip retries).
    warning_only: bool,
    cause: Option<String>,
    conflicts: Vec<String>,
    /// The conflict read into requirements and origins (see [`conflict`]).
    requirements: Vec<ConflictingRequirement>,
    /// Packages the resolver named as not installable together.
    named: Vec<String>,
    /// The package of a `No matching distribution found for X` inside the block, and the line.
    no_match: Option<String>,
    no_match_line: Option<String>,
    expected: Vec<String>,
    actual: Option<String>,
    missing: Option<(MissingKind, String)>,
    compiler: Option<String>,
    pending: Pending,
}

/// Finds, classifies and merges error blocks as lines stream by.
#[derive(Debug, Default)]
pub struct Classifier {
    block: Option<Block>,
    /// The last exception line seen outside a block, with its line number.
    recent_cause: Option<(usize, String)>,
    errors: Vec<(BuildError, u32, bool)>,
    /// Failures not kept because `MAX_ERRORS` was reached.
    dropped: usize,
}

impl Classifier {
    pub fn line(&mut self, line: &Line<'_>, role: Role, c: &mut Collector) {
        if role == Role::Owned {
            return;
        }
        if role == Role::Progress {
            self.close(c);
            return;
        }
        let t = line.trimmed;
        if t.is_empty() {
            return;
        }
        if self
            .block
            .as_ref()
            .is_some_and(|b| line.number - b.last_relevant > BLOCK_IDLE)
        {
            self.close(c);
        }
        if line.quiet || NOT_ERRORS.is_match(t) {
            return;
        }
        if CAUSE.is_match(t) {
            match self.block.as_mut() {
                Some(block) => block.cause = Some(clip(t)),
                None => self.recent_cause = Some((line.number, clip(t))),
            }
        }
        if self.block.is_none() && OWN_CRASH.is_match(line.text) {
            self.open(line, c, false);
        }
        let is_warning = WARNING.is_match(t);
        let mut relevant = false;
        // One scan for the literals of all signatures instead of a search per signature.
        let candidates = SIGNATURE_SCREEN.candidates(t);
        for (i, s) in SIGNATURES.iter().enumerate() {
            if !candidates.contains(i) {
                continue;
            }
            let Some(m) = s.re.captures(t) else {
                continue;
            };
            if self.block.is_none() {
                if !s.opens {
                    continue;
                }
                self.open(line, c, is_warning);
            }
            let Some(block) = self.block.as_mut() else {
                continue;
            };
            let group = m.iter().skip(1).flatten().next().map(|g| g.as_str());
            block.apply(s, group, t);
            relevant = true;
        }
        let Some(block) = self.block.as_mut() else {
            return;
        };
        block.last_line = line.number;
        if !is_warning && !t.starts_with("Retrying") {
            block.warning_only = false;
        }
        if relevant {
            block.last_relevant = line.number;
            return;
        }
        block.context_line(t);
    }

    /// Closes the open block, then adds a truncation error if the installer never finished.
    pub fn finish(
        mut self,
        c: &mut Collector,
        last_line: usize,
        last_text: &str,
    ) -> Vec<BuildError> {
        self.close(c);
        if let Some(since) = c.in_progress.take() {
            let mut block = Block::new(since, c, false);
            block.kind = ErrorKind::KilledOrTruncated;
            block.priority = u8::MAX;
            block.message = clip(last_text.trim());
            block.last_line = last_line.max(since);
            self.push(block, c);
        }
        if self.dropped > 0 {
            tracing::warn!(
                dropped = self.dropped,
                kept = MAX_ERRORS,
                "failures beyond the limit were not kept"
            );
        }
        self.errors
            .into_iter()
            .map(|(mut error, _, warning_only)| {
                let blamed = blamed(&error);
                error.recovered =
                    warning_only || (!blamed.is_empty() && blamed.iter().all(|p| c.succeeded(p)));
                error
            })
            .collect()
    }

    fn open(&mut self, line: &Line<'_>, c: &mut Collector, warning: bool) {
        c.in_progress = None;
        let mut block = Block::new(line.number, c, warning);
        if let Some((at, cause)) = self.recent_cause.take() {
            if line.number - at <= CAUSE_LOOKBACK {
                block.cause = Some(cause);
            }
        }
        block.message = clip(line.trimmed);
        self.block = Some(block);
    }

    fn close(&mut self, c: &mut Collector) {
        if let Some(block) = self.block.take() {
            self.push(block, c);
        }
    }

    fn push(&mut self, block: Block, c: &mut Collector) {
        let (run, warning_only) = (block.run, block.warning_only);
        let error = block.into_error();
        if !warning_only {
            for name in blamed(&error) {
                c.mark(name, false);
                c.failed_during_install(error.first_line, name);
            }
        }
        if let Some((last, last_run, last_warning_only)) = self.errors.last_mut() {
            let same_package = match (&last.package, &error.package) {
                (Some(a), Some(b)) => normalize_name(a) == normalize_name(b),
                (None, None) => last.kind == error.kind,
                _ => false,
            };
            if same_package && *last_run == run && error.first_line <= last.last_line + MERGE_GAP {
                // The merged failure was only a warning if both parts were.
                *last_warning_only = *last_warning_only && warning_only;
                merge(last, error);
                return;
            }
        }
        if self.errors.len() >= MAX_ERRORS {
            self.dropped += 1;
            return;
        }
        self.errors.push((error, run, warning_only));
    }
}

impl Block {
    fn new(first_line: usize, c: &Collector, warning: bool) -> Block {
        Block {
            first_line,
            last_line: first_line,
            last_relevant: first_line,
            run: c.run,
            kind: ErrorKind::Other,
            priority: 0,
            message: String::new(),
            package: c.current_package.clone(),
            package_stated: false,
            warning_only: warning,
            cause: None,
            conflicts: Vec::new(),
            requirements: Vec::new(),
            named: Vec::new(),
            no_match: None,
            no_match_line: None,
            expected: Vec::new(),
            actual: None,
            missing: None,
            compiler: None,
            pending: Pending::None,
        }
    }

    fn apply(&mut self, s: &Signature, group: Option<&str>, text: &str) {
        if s.priority > self.priority {
            self.priority = s.priority;
            self.kind = s.kind;
            self.message = clip(text);
        }
        if let (ErrorKind::NoMatchingDistribution, Extract::Package, Some(g)) =
            (s.kind, s.extract, group)
        {
            let g = g.trim_matches(|c| matches!(c, '`' | '\'' | '"' | ','));
            let name = split_requirement(g).map_or(g, |(n, _)| n);
            if self.no_match.is_none() {
                self.no_match = Some(name.to_owned());
                self.no_match_line = Some(clip(text));
            }
        }
        match (s.extract, group) {
            (Extract::Package, Some(g)) if !self.package_stated => {
                let g = g.trim_matches(|c| matches!(c, '`' | '\'' | '"' | ','));
                let name = split_requirement(g).map_or(g, |(n, _)| n);
                self.package = Some(name.to_owned());
                self.package_stated = true;
            }
            (Extract::Missing(kind), Some(g)) if self.missing.is_none() => {
                let name = if kind == MissingKind::Compiler {
                    basename(g)
                } else {
                    g
                };
                self.missing = Some((kind, name.to_owned()));
            }
            (Extract::Compiler, Some(g)) => {
                self.compiler.get_or_insert_with(|| basename(g).to_owned());
            }
            (Extract::ConflictsFollow, _) => self.pending = Pending::Conflicts,
            (Extract::Conflict, _) => self.add_conflict(text),
            _ if s.kind == ErrorKind::ResolutionImpossible => self.read_conflict(text),
            (Extract::ExpectedHash, Some(g)) if self.expected.len() < MAX_HASHES => {
                self.expected.push(g.to_owned());
            }
            (Extract::ActualHash, Some(g)) => self.actual = Some(g.to_owned()),
            (Extract::ExpectedHashFollows, _) => self.pending = Pending::Expected,
            (Extract::ActualHashFollows, _) => self.pending = Pending::Actual,
            _ => {}
        }
    }

    /// A line inside the block that no signature matched.
    fn context_line(&mut self, t: &str) {
        match self.pending {
            Pending::Conflicts => {
                if let Some(m) = CONFLICT_ITEM.find(t) {
                    self.add_conflict(m.as_str());
                } else {
                    self.pending = Pending::None;
                }
            }
            Pending::Expected | Pending::Actual => {
                if let Some(d) = DIGEST.captures(t).and_then(|m| m.get(1)) {
                    if self.pending == Pending::Expected {
                        if self.expected.len() < MAX_HASHES {
                            self.expected.push(d.as_str().to_owned());
                        }
                    } else {
                        self.actual = Some(d.as_str().to_owned());
                    }
                }
                self.pending = Pending::None;
            }
            Pending::None => {}
        }
    }

    fn add_conflict(&mut self, text: &str) {
        let text = text.trim_start_matches(['╰', '├', '─', '▶', ' ']);
        let text = text.strip_prefix("cause: ").unwrap_or(text);
        let text = clip(text.strip_prefix("ERROR: ").unwrap_or(text));
        self.read_conflict(&text);
        if self.conflicts.len() < MAX_CONFLICTS && !self.conflicts.contains(&text) {
            self.conflicts.push(text);
        }
    }

    /// A "resolution failure" that only says a requirement has no release: a missing
    /// distribution and no two origins that disagree.
    fn wraps_a_missing_distribution(&self) -> bool {
        let Some(missing) = &self.no_match else {
            return false;
        };
        let origins: std::collections::BTreeSet<&str> = self
            .requirements
            .iter()
            .map(|r| r.origin.as_str())
            .collect();
        origins.len() < 2
            && self.named.len() < 2
            && self.requirements.iter().all(|r| {
                conflict::required_name(&r.requirement)
                    .is_some_and(|n| normalize_name(n) == normalize_name(missing))
            })
    }

    /// Who required what, from one line of a conflict statement.
    fn read_conflict(&mut self, text: &str) {
        let text = text.trim_start_matches(['╰', '├', '─', '▶', ' ']);
        let text = text.strip_prefix("ERROR: ").unwrap_or(text);
        let statement = conflict::read(text);
        for name in statement.named {
            if self.named.len() < MAX_CONFLICTS && !self.named.contains(&name) {
                self.named.push(name);
            }
        }
        for r in statement.requirements {
            if self.requirements.len() < MAX_CONFLICTS && !self.requirements.contains(&r) {
                self.requirements.push(r);
            }
        }
    }

    fn into_error(mut self) -> BuildError {
        if self.kind == ErrorKind::ResolutionImpossible && self.wraps_a_missing_distribution() {
            // pipenv and micropipenv wrap pip's resolver: `✘ Locking Failed!`, `No matching
            // distribution found for X`, `The user requested X`, `Your dependencies could not
            // be resolved`. Nothing conflicts; X does not exist.
            self.kind = ErrorKind::NoMatchingDistribution;
            self.package = self.no_match.take();
            self.package_stated = true;
            if let Some(line) = self.no_match_line.take() {
                self.message = line;
            }
        }
        let (missing_kind, missing) = match self.missing {
            Some((kind, name)) => (Some(kind), Some(name)),
            None => (None, None),
        };
        // With no signature to name the failure, the exception says most.
        let message = match (&self.kind, &self.cause) {
            (ErrorKind::Other, Some(cause)) => cause.clone(),
            _ => self.message,
        };
        let mut package = self.package;
        let mut culprits = Vec::new();
        if self.kind == ErrorKind::ResolutionImpossible {
            culprits = conflict::culprits(&self.named, &self.requirements);
            if !self.package_stated {
                // Not the package the installer happened to be collecting: the one the
                // requirements disagree about, if the log says.
                package = conflict::contested(&self.requirements);
            }
        } else {
            // A resolver explains other failures in the same words (`Because there is no
            // version of ...`): no conflict unless that is the failure.
            self.conflicts.clear();
            self.requirements.clear();
        }
        let mut error = BuildError {
            kind: self.kind,
            package,
            message,
            first_line: self.first_line,
            last_line: self.last_line,
            hint: String::new(),
            recovered: false,
            cause: self.cause,
            conflicts: self.conflicts,
            culprits,
            conflicting_requirements: self.requirements,
            expected_hashes: self.expected,
            actual_hash: self.actual,
            missing_kind,
            missing,
            compiler: self.compiler,
        };
        error.hint = hint(&error);
        error
    }
}

/// The packages a failure is held against: a conflict's culprits, otherwise its package.
fn blamed(e: &BuildError) -> Vec<&str> {
    if e.culprits.is_empty() {
        e.package.iter().map(String::as_str).collect()
    } else {
        e.culprits.iter().map(String::as_str).collect()
    }
}

/// Folds a later block of the same failure into the earlier one.
fn merge(into: &mut BuildError, later: BuildError) {
    into.last_line = into.last_line.max(later.last_line);
    if rank(later.kind) > rank(into.kind) {
        into.kind = later.kind;
        into.message = later.message;
    }
    if into.package.is_none() {
        into.package = later.package;
    }
    into.cause = later.cause.or(into.cause.take());
    for c in later.conflicts {
        if !into.conflicts.contains(&c) {
            into.conflicts.push(c);
        }
    }
    for c in later.culprits {
        if !into.culprits.contains(&c) {
            into.culprits.push(c);
        }
    }
    for r in later.conflicting_requirements {
        if !into.conflicting_requirements.contains(&r) {
            into.conflicting_requirements.push(r);
        }
    }
    let room = MAX_HASHES.saturating_sub(into.expected_hashes.len());
    into.expected_hashes
        .extend(later.expected_hashes.into_iter().take(room));
    into.actual_hash = into.actual_hash.take().or(later.actual_hash);
    if into.missing.is_none() {
        into.missing_kind = later.missing_kind;
        into.missing = later.missing;
    }
    into.compiler = into.compiler.take().or(later.compiler);
    into.hint = hint(into);
}

/// How specific a kind is, for merging blocks that were classified apart.
fn rank(kind: ErrorKind) -> u8 {
    use ErrorKind::*;
    match kind {
        Other => 0,
        NoMatchingDistribution => 1,
        MetadataGenerationFailed => 2,
        BuildFailure => 3,
        ResolutionImpossible => 4,
        RequiresPython => 5,
        Network => 6,
        HashMismatch => 7,
        DiskOrPermission | KilledOrTruncated => 8,
        TlsVerification => 9,
    }
}

fn basename(command: &str) -> &str {
    command.rsplit(['/', '\\']).next().unwrap_or(command)
}

fn clip(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// A short sentence saying what the user can do, starting with a capital.
fn hint(e: &BuildError) -> String {
    let text = hint_text(e);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

fn hint_text(e: &BuildError) -> String {
    let package = e.package.as_deref().unwrap_or("the package");
    match e.kind {
        ErrorKind::NoMatchingDistribution => format!(
            "No release of {package} matches the requirement on the configured indexes for this Python and platform: check the name and version pin, the index URL, and that a wheel or sdist exists for this interpreter."
        ),
        ErrorKind::ResolutionImpossible => "The requirements conflict: relax or update one of the pins listed in `conflicts` (or regenerate the lock file) so that one version satisfies all of them.".to_owned(),
        ErrorKind::HashMismatch => format!(
            "The downloaded file of {package} does not match the hash in the lock or requirements file: regenerate the hashes if the release was legitimately replaced, otherwise check the index or proxy for tampering."
        ),
        ErrorKind::BuildFailure => match (&e.missing_kind, e.missing.as_deref()) {
            (Some(MissingKind::Header), Some(h)) if h.eq_ignore_ascii_case("Python.h") => format!(
                "Compiling {package} needs the Python headers: install python3-devel (Fedora/RHEL) or python3-dev (Debian/Ubuntu) in the build image, or use a version of {package} that ships a wheel for this platform."
            ),
            (Some(MissingKind::Header), Some(h)) => format!(
                "Compiling {package} needs the header {h}: install the development package that provides it (usually NAME-devel or libNAME-dev) in the build image, or use a version that ships a wheel."
            ),
            (Some(MissingKind::Library), Some(l)) => format!(
                "Linking {package} needs the library lib{l}: install it with its development package ({l}-devel or lib{l}-dev) in the build image, or use a version that ships a wheel."
            ),
            (Some(MissingKind::Compiler), Some(c)) => format!(
                "Building {package} needs {c}, which the build image lacks: install it (for example gcc and gcc-c++, build-essential, or Rust), or use a version of {package} that ships a wheel."
            ),
            _ => format!(
                "Building {package} from source failed: read the compiler output in the lines given, install the build dependencies it names, or pin a version that ships a wheel for this platform."
            ),
        },
        ErrorKind::MetadataGenerationFailed => format!(
            "{package}'s setup.py or build backend failed before anything was built (see `cause`): this is a problem of the package or its build requirements; try another version, one with a wheel, or install what it needs to run setup.py."
        ),
        ErrorKind::RequiresPython => format!(
            "{package} does not support this Python version (Requires-Python): build with an interpreter it supports or pin an older release that supports this one."
        ),
        ErrorKind::Network => "The package index could not be reached: check network access from the build (DNS, firewall, HTTP_PROXY/HTTPS_PROXY/NO_PROXY) and the index URL.".to_owned(),
        ErrorKind::TlsVerification => "The index's TLS certificate could not be verified: add your organisation's CA to the trust store the installer uses (PIP_CERT, SSL_CERT_FILE, REQUESTS_CA_BUNDLE) instead of disabling verification.".to_owned(),
        ErrorKind::DiskOrPermission => {
            if e.message.contains("No space") || e.message.contains("Errno 28") || e.message.contains("quota") {
                "The build ran out of disk space: free space or enlarge the volume (including /tmp and the pip cache, or use --no-cache-dir).".to_owned()
            } else {
                "The installer could not write where it installs: use a virtual environment or --user, or fix the directory's ownership; avoid running pip as root or with sudo.".to_owned()
            }
        }
        ErrorKind::KilledOrTruncated => "The installation stopped before finishing: the process was killed or interrupted (often out of memory, exit code 137, or a timeout) or the log was cut; raise the memory or time limit, or get the complete log.".to_owned(),
        ErrorKind::Other => "The installer failed for a reason not classified here: read the lines given for its own explanation.".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use crate::parse_str;
    use crate::report::{ErrorKind, MissingKind};

    fn kinds(log: &str) -> Vec<(ErrorKind, Option<String>)> {
        parse_str(log)
            .errors
            .into_iter()
            .map(|e| (e.kind, e.package))
            .collect()
    }

    #[test]
    fn network_outranks_the_no_match_summary() {
        let log = "Collecting foo==1.0\n\
            WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/foo/\n\
            ERROR: Could not find a version that satisfies the requirement foo==1.0 (from versions: none)\n\
            ERROR: No matching distribution found for foo==1.0\n";
        assert_eq!(kinds(log), vec![(ErrorKind::Network, Some("foo".into()))]);
    }

    #[test]
    fn transient_retry_warning_is_recovered() {
        let r = parse_str(
            "Collecting foo==1.0\n\
             WARNING: Retrying (Retry(total=4)) after connection broken by 'ReadTimeoutError(\"x\")': /simple/foo/\n\
             \x20 Downloading foo-1.0-py3-none-any.whl (10 kB)\n\
             Installing collected packages: foo\n\
             Successfully installed foo-1.0\n",
        );
        assert_eq!(r.errors.len(), 1);
        assert!(r.errors[0].recovered && r.installation_successful);
    }

    #[test]
    fn tls_outranks_network() {
        let log = "Collecting foo\n\
            Could not fetch URL https://idx.example/simple/foo/: There was a problem confirming the ssl certificate: HTTPSConnectionPool(host='idx.example', port=443): Max retries exceeded with url: /simple/foo/ (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')))\n\
            ERROR: No matching distribution found for foo\n";
        assert_eq!(
            kinds(log),
            vec![(ErrorKind::TlsVerification, Some("foo".into()))]
        );
    }

    #[test]
    fn hash_mismatch_digests() {
        let r = parse_str(
            "Collecting foo==1.0\n\
             ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes.\n\
             \x20   foo==1.0 from https://files.example/foo-1.0.tar.gz#sha256=aa (from -r r.txt (line 1)):\n\
             \x20       Expected sha256 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\
             \x20            Got        bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n",
        );
        let e = &r.errors[0];
        assert_eq!(
            (e.kind, e.package.as_deref()),
            (ErrorKind::HashMismatch, Some("foo"))
        );
        assert_eq!(e.expected_hashes, vec!["a".repeat(64)]);
        assert_eq!(e.actual_hash, Some("b".repeat(64)));
    }

    #[test]
    fn resolution_impossible_conflicts() {
        let r = parse_str(
            "ERROR: Cannot install a==1.0 and b==2.0 because these package versions have conflicting dependencies.\n\
             \n\
             The conflict is caused by:\n\
             \x20   a 1.0 depends on c<2\n\
             \x20   b 2.0 depends on c>=2\n\
             \n\
             To fix this you could try to:\n\
             ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/\n",
        );
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].kind, ErrorKind::ResolutionImpossible);
        assert_eq!(
            r.errors[0].conflicts,
            vec!["a 1.0 depends on c<2", "b 2.0 depends on c>=2"]
        );
        let uv = parse_str(
            "  × No solution found when resolving dependencies:\n\
             \x20 ╰─▶ Because a==1.0 depends on c<2 and you require c>=2, we can conclude that your requirements are unsatisfiable.\n",
        );
        assert_eq!(uv.errors[0].kind, ErrorKind::ResolutionImpossible);
        assert_eq!(uv.errors[0].conflicts.len(), 1);
    }

    #[test]
    fn requires_python_outranks_no_match() {
        let log = "ERROR: Ignored the following versions that require a different python version: 2.0 Requires-Python >=3.99\n\
            ERROR: Could not find a version that satisfies the requirement foo==2.0 (from versions: 1.0)\n\
            ERROR: No matching distribution found for foo==2.0\n";
        assert_eq!(kinds(log)[0].0, ErrorKind::RequiresPython);
    }

    #[test]
    fn build_failure_names_what_is_missing() {
        let r = parse_str(
            "Building wheel for cext (setup.py): started\n\
             \x20 error: subprocess-exited-with-error\n\
             \x20 × python setup.py bdist_wheel did not run successfully.\n\
             \x20     cext.c:1:10: fatal error: Python.h: No such file or directory\n\
             \x20     error: command '/usr/bin/gcc' failed with exit code 1\n\
             \x20 ERROR: Failed building wheel for cext\n\
             Failed to build cext\n\
             ERROR: Could not build wheels for cext, which is required to install pyproject.toml-based projects\n",
        );
        assert_eq!(
            r.errors.len(),
            1,
            "one failure narrated in pieces: {:?}",
            r.errors
        );
        let e = &r.errors[0];
        assert_eq!(
            (e.kind, e.package.as_deref()),
            (ErrorKind::BuildFailure, Some("cext"))
        );
        assert_eq!(
            (e.missing_kind, e.missing.as_deref(), e.compiler.as_deref()),
            (Some(MissingKind::Header), Some("Python.h"), Some("gcc"))
        );
        // setuptools 70+ in a build image without a compiler (real log:
        // testdata/buildlog-parser/buildah-pip-no-compiler).
        let no_gcc = parse_str(
            "Collecting demo-cext\n\
             \x20 Building wheel for demo-cext (pyproject.toml): finished with status 'error'\n\
             \x20 × Building wheel for demo-cext (pyproject.toml) did not run successfully.\n\
             \x20     gcc -Wsign-compare -DNDEBUG -g -fwrapv -O3 -Wall -fPIC -c demo_cext.c -o build/demo_cext.o\n\
             \x20     error: [Errno 2] No such file or directory: 'gcc'\n\
             \x20 ERROR: Failed building wheel for demo-cext\n",
        );
        assert_eq!(
            (
                no_gcc.errors[0].missing_kind,
                no_gcc.errors[0].missing.as_deref()
            ),
            (Some(MissingKind::Compiler), Some("gcc"))
        );
        let lib = parse_str(
            "Running setup.py install for x\n/usr/bin/ld: cannot find -lxyz\nerror: command 'gcc' failed with exit status 1\n",
        );
        assert_eq!(lib.errors[0].missing.as_deref(), Some("xyz"));
    }

    #[test]
    fn pip_info_narration_is_not_a_requires_python_failure() {
        // pip 20.3 to 21.3 (real log: testdata/buildlog-parser/pip-21.3.1-resolution-impossible).
        let r = parse_str(
            "Collecting demo-greeting==1.2.0\n\
             INFO: pip is looking at multiple versions of <Python from Requires-Python> to determine which version is compatible with other requirements. This could take a while.\n\
             ERROR: Cannot install demo-left==1.0.0 and demo-right==1.0.0 because these package versions have conflicting dependencies.\n\
             \n\
             The conflict is caused by:\n\
             \x20   demo-left 1.0.0 depends on demo-greeting==1.2.0\n\
             \x20   demo-right 1.0.0 depends on demo-greeting==1.3.0\n\
             ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/user_guide/#fixing-conflicting-dependencies\n",
        );
        assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
        assert_eq!(r.errors[0].kind, ErrorKind::ResolutionImpossible);
        assert_eq!(r.errors[0].conflicts.len(), 2);
    }

    #[test]
    fn legacy_resolver_conflict_is_reported_and_recovered() {
        // pip 19.3 installs the conflicting set and exits 0.
        let r = parse_str(
            "Collecting demo-greeting==1.2.0\n\
             ERROR: demo-right 1.0.0 has requirement demo-greeting==1.3.0, but you'll have demo-greeting 1.2.0 which is incompatible.\n\
             Installing collected packages: demo-greeting, demo-left, demo-right\n\
             Successfully installed demo-greeting-1.2.0 demo-left-1.0.0 demo-right-1.0.0\n",
        );
        assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
        let e = &r.errors[0];
        assert_eq!(
            (e.kind, e.package.as_deref()),
            (ErrorKind::ResolutionImpossible, Some("demo-right"))
        );
        assert_eq!(
            e.conflicts,
            vec![
                "demo-right 1.0.0 has requirement demo-greeting==1.3.0, but you'll have demo-greeting 1.2.0 which is incompatible."
            ]
        );
        assert!(e.recovered && r.installation_successful);
    }

    #[test]
    fn old_pip_names_only_the_failed_pep517_hook() {
        // pip 19.3 and 20.3: a setup.py that raises while pip asks for build requirements.
        let r = parse_str(
            "Collecting demo-broken-setup\n\
             \x20 Getting requirements to build wheel: finished with status 'error'\n\
             \x20 ERROR: Command errored out with exit status 1:\n\
             \x20  command: /v/bin/python /v/lib/python3.11/site-packages/pip/_vendor/pep517/_in_process.py get_requires_for_build_wheel /tmp/tmp56fqg3ch\n\
             \x20 Traceback (most recent call last):\n\
             \x20   File \"<string>\", line 3, in <module>\n\
             \x20 RuntimeError: demo-broken-setup refuses to build\n\
             \x20 ----------------------------------------\n\
             ERROR: Command errored out with exit status 1: /v/bin/python /v/lib/python3.11/site-packages/pip/_vendor/pep517/_in_process.py get_requires_for_build_wheel /tmp/tmp56fqg3ch Check the logs for full command output.\n",
        );
        assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
        let e = &r.errors[0];
        assert_eq!(
            (e.kind, e.package.as_deref()),
            (
                ErrorKind::MetadataGenerationFailed,
                Some("demo-broken-setup")
            )
        );
        assert_eq!(
            e.cause.as_deref(),
            Some("RuntimeError: demo-broken-setup refuses to build")
        );
    }

    #[test]
    fn uv_failures_name_their_package_and_hook() {
        // Real uv 0.13 logs: testdata/buildlog-parser/uv-0.13.9-*.
        let build = parse_str(
            "error: Failed to build `demo-cext==1.0.0`\n\
             \x20 cause: The build backend returned an error\n\
             \x20 cause: Call to `setuptools.build_meta.build_wheel` failed (exit status: 1)\n\
             \x20        demo_cext.c:2:10: fatal error: nonexistent_header.h: No such file or directory\n",
        );
        let e = &build.errors[0];
        assert_eq!(
            (e.kind, e.package.as_deref(), e.missing.as_deref()),
            (
                ErrorKind::BuildFailure,
                Some("demo-cext"),
                Some("nonexistent_header.h")
            )
        );
        let metadata = parse_str(
            "error: Failed to build `demo-broken-setup==1.0.0`\n\
             \x20 cause: The build backend returned an error\n\
             \x20 cause: Call to `setuptools.build_meta.get_requires_for_build_wheel` failed (exit status: 1)\n\
             \x20        RuntimeError: demo-broken-setup refuses to build\n",
        );
        assert_eq!(
            kinds_of(&metadata),
            vec![(
                ErrorKind::MetadataGenerationFailed,
                Some("demo-broken-setup".into())
            )]
        );
        let python = parse_str(
            "error: No solution found when resolving dependencies\n\
             \x20 cause: Because the current Python version (3.11.7) does not satisfy Python>=3.99 and demo-future==1.0.0 depends on Python>=3.99, we can conclude that demo-future==1.0.0 cannot be used.\n",
        );
        assert_eq!(
            kinds_of(&python),
            vec![(ErrorKind::RequiresPython, Some("demo-future".into()))]
        );
        let unreachable = parse_str(
            "error: Request failed after 3 retries in 6.0s\n\
             \x20 cause: Failed to fetch: http://127.0.0.1:8081/simple/demo-app/\n\
             \x20 cause: Connection refused (os error 111)\n",
        );
        assert_eq!(
            kinds_of(&unreachable),
            vec![(ErrorKind::Network, Some("demo-app".into()))]
        );
    }

    /// The guards and the screen are derived to be necessary conditions; this checks it on every
    /// line of the real logs under testdata (as read, and trimmed).
    #[test]
    fn guards_never_reject_a_match() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/buildlog-parser");
        let mut checked = 0;
        for dir in std::fs::read_dir(root).expect("testdata").flatten() {
            let Ok(bytes) = std::fs::read(dir.path().join("input.log")) else {
                continue;
            };
            for line in String::from_utf8_lossy(&bytes).lines() {
                for text in [line, line.trim()] {
                    let candidates = super::SIGNATURE_SCREEN.candidates(text);
                    for p in [&*super::CAUSE, &*super::OWN_CRASH, &*super::WARNING] {
                        if p.regex().is_match(text) {
                            checked += 1;
                            assert!(p.may_match(text), "{} rejected {text:?}", p.as_str());
                        }
                    }
                    for (i, s) in super::SIGNATURES.iter().enumerate() {
                        if s.re.regex().is_match(text) {
                            checked += 1;
                            assert!(s.re.may_match(text), "{} rejected {text:?}", s.re.as_str());
                            assert!(candidates.contains(i), "screen dropped {}", s.re.as_str());
                        }
                    }
                }
            }
        }
        assert!(checked > 100, "only {checked} matches checked");
    }

    fn kinds_of(r: &crate::BuildLogReport) -> Vec<(ErrorKind, Option<String>)> {
        r.errors
            .iter()
            .map(|e| (e.kind, e.package.clone()))
            .collect()
    }

    #[test]
    fn header_named_when_pipenv_wraps_the_line() {
        let r = parse_str(
            "Collecting demo-cext\n\
             \x20     demo_cext.c:2:10: fatal error: nonexistent_header.h: No such file or \n\
             directory\n\
             \x20 ERROR: Failed building wheel for demo-cext\n",
        );
        assert_eq!(r.errors[0].missing.as_deref(), Some("nonexistent_header.h"));
    }

    #[test]
    fn disk_killed_and_harmless_errors() {
        assert_eq!(kinds("Collecting a\nERROR: Could not install packages due to an OSError: [Errno 28] No space left on device\n")[0].0, ErrorKind::DiskOrPermission);
        assert_eq!(
            kinds("Collecting a\nKilled\n")[0].0,
            ErrorKind::KilledOrTruncated
        );
        let r = parse_str(
            "Successfully installed a-1\nERROR: pip's dependency resolver does not currently take into account all the packages that are installed.\n",
        );
        assert!(r.errors.is_empty() && r.installation_successful);
    }
}
