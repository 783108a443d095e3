//! Build logs of the pip family (pip 0.8 to the newest, micropipenv, pipenv, uv, poetry, Thoth's
//! s2i images) to a structured, classified report.
//!
//! ```text
//! bytes -> decompress (gzip, capped) -> input (BOM, lossy UTF-8) -> lines
//!       or -> jsonlog (the log string in a JSON document, streamed) -> lines
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
mod conflict;
pub mod decompress;
pub mod input;
pub mod jsonlog;
mod literals;
pub mod normalize;
mod pattern;
pub mod recognize;
pub mod report;

use std::io::{BufReader, Read};

pub use decompress::DecompressionLimits;
pub use input::InputError;
pub use report::{
    BuildError, BuildLogReport, ConflictingRequirement, ErrorKind, ImageRef, Info, Installation,
    InstalledPackage, MissingKind, PushDestination, Step, Tool,
};

use classify::Classifier;
use collector::{Collector, Line};
use recognize::Recognizers;

/// Parses a build log read from `reader`: plain text (streamed), or, with `jsonpath`, a JSON
/// document whose single string match is the log. Compressed input is bounded by the default
/// [`DecompressionLimits`].
pub fn parse_reader<R: Read>(
    reader: R,
    jsonpath: Option<&str>,
) -> Result<BuildLogReport, InputError> {
    parse_reader_with(reader, jsonpath, DecompressionLimits::default())
}

/// [`parse_reader`] with explicit decompression caps.
pub fn parse_reader_with<R: Read>(
    reader: R,
    jsonpath: Option<&str>,
    limits: DecompressionLimits,
) -> Result<BuildLogReport, InputError> {
    match jsonpath {
        Some(expr) => input::with_json_log(reader, expr, limits, |text| {
            let reader = Box::new(BufReader::with_capacity(64 * 1024, text));
            parse_lines(input::Lines::decoded(reader, input::Encoding::Utf8))
        }),
        None => parse_lines(input::Lines::new(reader, limits)?),
    }
}

fn parse_lines(mut lines: input::Lines<'_>) -> Result<BuildLogReport, InputError> {
    let mut parser = Parser::new();
    while let Some(line) = lines.next_line()? {
        parser.push_line(line);
    }
    Ok(parser.finish())
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
        self.collector
            .settle_provisional(errors.iter().all(|e| e.recovered));
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

/// The analysis behind `buildlog-parser parse`: open the input (a file, or stdin for `-`),
/// parse it within the time limit, and fail when asked to on a failed build.
pub fn analyze(cli: &cli::Cli) -> Result<common::Analysis<BuildLogReport>, common::AnalyzerError> {
    use std::io::IsTerminal;

    let cli::Command::Parse(args) = &cli.command;
    let stdin = args.input.as_os_str() == "-";
    if stdin && std::io::stdin().is_terminal() {
        return Err(common::AnalyzerError::usage(
            "no build log given: stdin is a terminal (-i is -); give -i FILE, or pipe the log in",
        )
        .with_hint(
            "give the log with -i FILE, or pipe it in: kubectl logs pod/build-1 | buildlog-parser parse",
        ));
    }
    let input = args.input.clone();
    let jsonpath = args.jsonpath.clone();
    let limits = args.limits();
    let report = common::deadline::run_with_deadline(args.timeout(), move || {
        let jsonpath = jsonpath.as_deref();
        if stdin {
            parse_reader_with(std::io::stdin().lock(), jsonpath, limits)
        } else {
            let file = std::fs::File::open(&input).map_err(|e| {
                common::AnalyzerError::input(format!("cannot open {}: {e}", input.display()))
                    .with_hint("give -i a build log file, or - to read stdin")
            })?;
            parse_reader_with(file, jsonpath, limits)
        }
        .map_err(input_failure)
    })?;
    Ok(match args.fail_on {
        cli::FailOn::Failure if !report.installation_successful => {
            common::Analysis::failing(report)
        }
        _ => common::Analysis::ok(report),
    })
}

fn input_failure(e: InputError) -> common::AnalyzerError {
    let message = e.to_string();
    match e {
        InputError::JsonPath { .. } => common::AnalyzerError::usage(message)
            .with_hint("fix -j/--jsonpath; Thoth's templates use \"$.log\""),
        InputError::Limit(_) => common::AnalyzerError::input(message).with_hint(
            "the caps are --max-decompressed-size and --max-compression-ratio (THOTH_BUILDLOG_PARSER_MAX_DECOMPRESSED_SIZE, THOTH_BUILDLOG_PARSER_MAX_COMPRESSION_RATIO)",
        ),
        InputError::JsonTooLarge { .. } => common::AnalyzerError::input(message)
            .with_hint("select the log with a path of member names such as \"$.log\""),
        _ => common::AnalyzerError::input(message),
    }
}
