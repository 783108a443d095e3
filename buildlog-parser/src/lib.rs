//! Build logs of the pip family (pip 0.8 to the newest, micropipenv, pipenv, uv, poetry, Thoth's
//! s2i images) to a structured, classified report.
//!
//! ```text
//! bytes -> input (gzip, BOM, lossy UTF-8, JSONPath) -> lines
//!       -> normalize (ANSI, \r, timestamps, container prefixes)
//!       -> recognize/* (one per producer) -> collector
//!       -> classify (error blocks) -> report
//! ```
//!
//! Plain text is read as a stream, in one pass, with memory bounded by what the report keeps.
//! Every pattern is a `regex` (finite automata, linear time), and no step looks back over
//! earlier lines, so the whole parse is linear in the size of the input.

pub mod classify;
pub mod cli;
pub mod collector;
pub mod input;
mod literals;
pub mod normalize;
mod pattern;
pub mod recognize;
pub mod report;

use std::io::Read;

pub use input::InputError;
pub use report::{
    BuildError, BuildLogReport, ErrorKind, ImageRef, Info, Installation, InstalledPackage,
    MissingKind, PushDestination, Step, Tool,
};

use classify::Classifier;
use collector::{Collector, Line};
use recognize::Recognizers;

/// Parses a build log read from `reader`: plain text (streamed), or, with `jsonpath`, a JSON
/// document whose single string match is the log.
pub fn parse_reader<R: Read>(
    reader: R,
    jsonpath: Option<&str>,
) -> Result<BuildLogReport, InputError> {
    match jsonpath {
        Some(expr) => {
            let text = input::read_all_text(reader)?;
            Ok(parse_str(&input::select_log(&text, expr)?))
        }
        None => {
            let mut lines = input::Lines::new(reader)?;
            let mut parser = Parser::new();
            while let Some(line) = lines.next_line()? {
                parser.push_line(line);
            }
            Ok(parser.finish())
        }
    }
}

/// Parses a log already in memory. Never fails: unknown lines are ignored.
pub fn parse_str(text: &str) -> BuildLogReport {
    let mut parser = Parser::new();
    // A final `\n` ends the last line; it does not start another (as when streaming).
    let text = text.strip_suffix('\n').unwrap_or(text);
    if !text.is_empty() {
        for line in text.split('\n') {
            parser.push_line(line);
        }
    }
    parser.finish()
}

/// Container build steps kept (`STEP n/m:` lines).
const MAX_STEPS: usize = collector::MAX_DISTINCT;

/// The streaming parser: feed physical lines, then take the report.
#[derive(Debug, Default)]
pub struct Parser {
    collector: Collector,
    recognizers: Recognizers,
    classifier: Classifier,
    line_number: usize,
    /// The last line with content, for a truncated log's message.
    last_text: String,
}

impl Parser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one physical line, without its `\n`.
    pub fn push_line(&mut self, raw: &str) {
        self.line_number += 1;
        let normalized = normalize::normalize_line(raw);
        if let Some(step) = normalized
            .step
            .filter(|_| self.collector.steps.len() < MAX_STEPS)
        {
            self.collector.steps.push(Step {
                line: self.line_number,
                number: step.number,
                total: step.total,
                instruction: step.instruction,
            });
            self.collector.run += 1;
        }
        let text: &str = &normalized.text;
        let line = Line {
            number: self.line_number,
            text,
            trimmed: text.trim(),
            quiet: matches!(normalized.level, Some("DEBUG" | "INFO")),
        };
        let entry_before = self.collector.open_entry_index();
        let role = self.recognizers.line(&line, &mut self.collector);
        self.classifier.line(&line, role, &mut self.collector);
        // An entry receives the lines after its first one until it ends (Thoth's
        // installation_log); a line that started or ended an entry was handled by then.
        if entry_before.is_some()
            && entry_before == self.collector.open_entry_index()
            && role != collector::Role::Owned
            && !line.trimmed.is_empty()
        {
            self.collector.log_to_open_entry(line.trimmed);
        }
        if !line.trimmed.is_empty() {
            self.last_text.clear();
            self.last_text.push_str(line.trimmed);
        }
    }

    /// Ends the log and builds the report.
    pub fn finish(mut self) -> BuildLogReport {
        self.recognizers.finish(&mut self.collector);
        let last_line = self.line_number;
        let errors = self
            .classifier
            .finish(&mut self.collector, last_line, &self.last_text);
        let info = std::mem::take(&mut self.collector.info);
        let adviser_id = self.collector.adviser_id.take();
        let steps = std::mem::take(&mut self.collector.steps);
        let pipfile_lock = self.collector.pipfile_lock.take();
        let thoth_config = self.collector.thoth_config.take();
        if self.collector.dropped_entries > 0 {
            tracing::warn!(
                dropped = self.collector.dropped_entries,
                kept = collector::MAX_ENTRIES,
                "installation entries beyond the limit were not kept"
            );
        }
        let done = self.collector.finish();
        let installation_successful = done.failed.is_empty() && errors.iter().all(|e| e.recovered);
        BuildLogReport {
            info,
            installation: done.installation,
            pipfile_lock,
            thoth_config,
            failed: done.failed,
            recovered: done.recovered,
            installation_successful,
            tools: done.tools,
            python_version: done.python_version,
            indexes: done.indexes,
            requirements: done.requirements,
            installed: done.installed,
            adviser_id,
            steps,
            errors,
        }
    }
}

/// The analysis behind `buildlog-parser parse`: open the input (a file, or stdin for `-`) and
/// parse it.
pub fn analyze(cli: &cli::Cli) -> Result<common::Analysis<BuildLogReport>, common::AnalyzerError> {
    let cli::Command::Parse(args) = &cli.command;
    let jsonpath = args.jsonpath.as_deref();
    let report = if args.input.as_os_str() == "-" {
        parse_reader(std::io::stdin().lock(), jsonpath)
    } else {
        let file = std::fs::File::open(&args.input).map_err(|e| {
            common::AnalyzerError::input(format!("cannot open {}: {e}", args.input.display()))
                .with_hint("give -i a build log file, or - to read stdin")
        })?;
        parse_reader(file, jsonpath)
    }
    .map_err(|e| common::AnalyzerError::input(e.to_string()))?;
    Ok(common::Analysis::ok(report))
}
