//! The frame every analyzer binary runs in: parse the command line (options also from the
//! environment), set up logging, run the analysis with panics caught, write the document
//! (a failure document when the analysis could not finish) and exit with a documented code.
//!
//! It is also the secret boundary (see [`crate::secret`]): the secrets of the command line and
//! the environment are registered before anything is parsed, and every byte it writes (the
//! document, a standalone output, clap's messages, its own stderr lines) passes the scrub.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Command, CommandFactory, FromArgMatches};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::cli::{GlobalArgs, LogFormat, OutputArgs, init_logging};
use crate::clock::Timestamp;
use crate::document::{AnalyzerInfo, Document, Failure, Metadata, Outcome, Reproducibility};
use crate::error::AnalyzerError;
use crate::exit::ExitStatus;
use crate::notice::{Level, Notices};
use crate::output::OutputTarget;
use crate::secret::{Scrubbed, redact_json, redact_url, write_stderr};
use crate::summary::{DOCUMENT_NOTE, Destination, Presentation, Summary, closing_line};

/// A binary's parsed command line.
pub trait AnalyzerCli: CommandFactory + FromArgMatches {
    fn global(&self) -> &GlobalArgs;
    fn output(&self) -> &OutputArgs;
    /// The subcommand's name (Thoth's click context name, e.g. `extract-image`) and its
    /// options as a JSON object; secrets must already serialise redacted (see [`crate::Secret`]).
    fn command_arguments(&self) -> (&'static str, Value);
    /// What to write: the document (the default), or the human form of the result at a
    /// terminal or when asked (`--format table`); see [`crate::summary`].
    fn presentation(&self) -> Presentation {
        Presentation::Document
    }
}

/// A finished analysis: its result, and whether it found what the user asked to fail on
/// (exit code 1; the document is written either way).
#[derive(Debug)]
pub struct Analysis<R> {
    pub result: R,
    pub fail: bool,
    /// A document in another format written instead of the envelope: JSON (an SBOM), or a
    /// string written as text (a lock file).
    pub standalone: Option<Value>,
    /// What it found, for people: the closing stderr line, and the human form.
    pub summary: Summary,
}

impl<R> Analysis<R> {
    pub fn ok(result: R) -> Self {
        Self {
            result,
            fail: false,
            standalone: None,
            summary: Summary::default(),
        }
    }

    /// Says what was found, for the closing line (and the human form, if the binary has one).
    pub fn with_summary(mut self, summary: Summary) -> Self {
        self.summary = summary;
        self
    }

    /// Found what the user asked to fail on: exit 1, the document written all the same.
    pub fn failing(result: R) -> Self {
        Self {
            fail: true,
            ..Self::ok(result)
        }
    }

    /// Writes `document` instead of the envelope (the analysis's own format, e.g. CycloneDX).
    pub fn standalone(result: R, document: Value) -> Self {
        Self {
            standalone: Some(document),
            ..Self::ok(result)
        }
    }
}

/// Runs an analyzer binary from `main`: `common::run::<Cli, _, _>(&INFO, analyze)`.
pub fn run<C, R, F>(info: &AnalyzerInfo, analyze: F) -> ExitCode
where
    C: AnalyzerCli,
    R: Serialize + JsonSchema,
    F: FnOnce(&C) -> Result<Analysis<R>, AnalyzerError>,
{
    run_from::<C, R, F>(info, std::env::args_os().collect(), analyze).into()
}

/// [`run`] with explicit arguments; returns the exit status instead of exiting.
pub fn run_from<C, R, F>(
    info: &AnalyzerInfo,
    args: Vec<std::ffi::OsString>,
    analyze: F,
) -> ExitStatus
where
    C: AnalyzerCli,
    R: Serialize + JsonSchema,
    F: FnOnce(&C) -> Result<Analysis<R>, AnalyzerError>,
{
    let started = Timestamp::now();
    let clock = Instant::now();
    crate::secret::register_process_inputs(&args);

    // Before clap: `--json-schema` must work without the options a subcommand requires.
    if args
        .iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json-schema")
    {
        let schema = crate::document::document_schema::<R>();
        return match OutputTarget::Stdout.write(&Scrubbed::json(schema, true)) {
            Ok(()) => ExitStatus::Success,
            Err(e) => report_unwritable(&e, Notices::new(LogFormat::Text)),
        };
    }

    // `completions SHELL` and `man [--dir DIR]` are answered from the command itself.
    let command = crate::completions::extend(configure(C::command(), info));
    if let Some(status) = crate::completions::intercept(&command, &args) {
        return status;
    }
    let log_format = requested_log_format(info, &args);
    let matches = match command.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => return usage_failure(info, e, log_format, started, clock),
    };
    let cli = match C::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return usage_failure(info, e, log_format, started, clock),
    };
    init_logging(cli.global().verbose, cli.global().log_format);
    install_panic_logger();
    let quiet = cli.global().quiet;
    if quiet {
        crate::progress::silence();
    }
    let notices = Notices::new(cli.global().log_format);

    let output = cli.output().clone();
    let presentation = cli.presentation();
    let human = presentation.shows_human(&output.output, output_given(&matches));
    let arguments = record_arguments(info, &cli);
    let outcome = match Reproducibility::from_env(output.reproducible) {
        Err(e) => Err((e, Reproducibility::default())),
        Ok(repro) => match catch_unwind(AssertUnwindSafe(|| analyze(&cli))) {
            Ok(Ok(analysis)) => Ok((analysis, repro)),
            Ok(Err(e)) => Err((e, repro)),
            Err(panic) => Err((
                AnalyzerError::internal(format!(
                    "internal error: {}",
                    panic_message(panic.as_ref())
                ))
                .with_hint("this is a bug; please report it with the command line and input"),
                repro,
            )),
        },
    };

    let ending = Ending {
        name: info.name,
        notices,
        quiet,
        clock,
    };
    let (result, status, line, repro) = match outcome {
        Ok((
            Analysis {
                standalone: Some(doc),
                fail,
                summary,
                ..
            },
            _,
        )) => {
            let status = if fail {
                ExitStatus::Findings
            } else {
                ExitStatus::Success
            };
            // A string is a document in a text format (a lock file), written as it is.
            let text = match doc {
                Value::String(text) => Scrubbed::text(&text),
                other => Scrubbed::json(other, !output.no_pretty),
            };
            let written = output.output.write(&text);
            let destination = Destination::Document(output.output.clone());
            return finish(written, status, &summary.line, &destination, &ending);
        }
        Ok((analysis, repro)) => {
            let status = if analysis.fail {
                ExitStatus::Findings
            } else {
                ExitStatus::Success
            };
            if let Some(text) = analysis.summary.human.as_deref().filter(|_| human) {
                // The human form instead of the document: asked for, or a person is reading.
                let text = match presentation {
                    Presentation::Auto => format!("{}\n{DOCUMENT_NOTE}\n", text.trim_end()),
                    _ => format!("{}\n", text.trim_end()),
                };
                let written = output.output.write(&Scrubbed::text(&text));
                let destination = Destination::Human(output.output.clone());
                return finish(
                    written,
                    status,
                    &analysis.summary.line,
                    &destination,
                    &ending,
                );
            }
            match serde_json::to_value(&analysis.result) {
                Ok(v) => (v, status, analysis.summary.line, repro),
                Err(e) => {
                    let err = AnalyzerError::internal(format!("cannot serialise the result: {e}"));
                    ending.failed(&err);
                    (
                        failure_value(&err),
                        err.kind.exit_status(),
                        String::new(),
                        repro,
                    )
                }
            }
        }
        Err((err, repro)) => {
            ending.failed(&err);
            let line = format!("failed ({} error)", err.kind.as_str());
            // stdout was to hold a text format (a lock file), or a person reads it at a
            // terminal: the message and hint above are the answer, and a JSON failure document
            // would corrupt the one or bury it for the other.
            let text_on_stdout = !err.document_on_stdout && output.output == OutputTarget::Stdout;
            if text_on_stdout || (human && presentation == Presentation::Auto) {
                ending.close(&line, &Destination::Nowhere);
                return err.kind.exit_status();
            }
            (failure_value(&err), err.kind.exit_status(), line, repro)
        }
    };

    let metadata = Metadata::collect(info, arguments, started, clock.elapsed(), &repro);
    let document = document_value(metadata, result);
    let written = output
        .output
        .write(&Scrubbed::json(document, !output.no_pretty));
    let destination = Destination::Document(output.output.clone());
    finish(written, status, &line, &destination, &ending)
}

/// How a run ends on stderr: errors in plain words, then the closing line (unless `-q`).
struct Ending<'a> {
    name: &'a str,
    notices: Notices,
    quiet: bool,
    clock: Instant,
}

impl Ending<'_> {
    fn failed(&self, err: &AnalyzerError) {
        self.notices.error(
            &err.message,
            err.hint.as_deref(),
            &[("kind", Value::String(err.kind.as_str().to_owned()))],
        );
    }

    fn close(&self, what: &str, destination: &Destination) {
        if self.quiet {
            return;
        }
        let elapsed = self.clock.elapsed();
        let line = closing_line(self.name, what, elapsed, destination);
        self.notices.line(
            Level::Info,
            &line,
            &[("duration_seconds", Value::from(elapsed.as_secs_f64()))],
        );
    }
}

/// The status of a run whose output was written (or could not be), with its closing line.
fn finish(
    written: Result<(), AnalyzerError>,
    status: ExitStatus,
    what: &str,
    destination: &Destination,
    ending: &Ending<'_>,
) -> ExitStatus {
    match written {
        Ok(()) => {
            ending.close(what, destination);
            status
        }
        Err(e) => report_unwritable(&e, ending.notices),
    }
}

/// Whether `-o` (or its environment variable) was given, rather than left at its default.
fn output_given(matches: &clap::ArgMatches) -> bool {
    let given = |m: &clap::ArgMatches| {
        m.ids().any(|id| id == "output")
            && !matches!(
                m.value_source("output"),
                None | Some(clap::parser::ValueSource::DefaultValue)
            )
    };
    given(matches) || matches.subcommand().is_some_and(|(_, sub)| given(sub))
}

/// Attaches each shared option's environment variable, named for this binary.
fn configure(cmd: Command, info: &AnalyzerInfo) -> Command {
    let prefix = info.env_prefix;
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    let mut cmd = lenient_flags(cmd)
        .version(info.version)
        .mut_arg("verbose", |a| {
            a.env(info.verbose_env)
                .value_parser(crate::cli::parse_verbosity)
        })
        .mut_arg("log_format", |a| a.env(format!("{prefix}_LOG_FORMAT")))
        .mut_arg("metadata", |a| a.env(format!("{prefix}_METADATA")));
    for name in subcommands {
        cmd = cmd.mut_subcommand(name, |sub| {
            let sub = lenient_flags(sub);
            if sub.get_arguments().any(|a| a.get_id() == "output") {
                sub.mut_arg("output", |a| a.env(info.output_env))
                    .mut_arg("no_pretty", |a| a.env(format!("{prefix}_NO_PRETTY")))
                    .mut_arg("reproducible", |a| a.env(format!("{prefix}_REPRODUCIBLE")))
            } else {
                sub
            }
        });
    }
    cmd
}

/// Workflow templates set flags as `True`, `1` or `0` (Thoth's Dockerfile sets
/// `THOTH_ANALYZER_NO_TLS_VERIFY='True'`); clap's default only takes `true`/`false`.
fn lenient_flags(cmd: Command) -> Command {
    let flags: Vec<String> = cmd
        .get_arguments()
        .filter(|a| matches!(a.get_action(), clap::ArgAction::SetTrue))
        .map(|a| a.get_id().to_string())
        .collect();
    flags.into_iter().fold(cmd, |cmd, id| {
        cmd.mut_arg(id, |a| {
            a.value_parser(clap::builder::BoolishValueParser::new())
        })
    })
}

/// `arguments`, grouped as Thoth's click contexts were: the subcommand's options under its name,
/// the group's under Thoth's group name.
fn record_arguments<C: AnalyzerCli>(info: &AnalyzerInfo, cli: &C) -> BTreeMap<String, Value> {
    let (name, sub) = cli.command_arguments();
    let global = serde_json::to_value(cli.global()).unwrap_or(Value::Null);
    BTreeMap::from([
        (name.to_owned(), thoth_params(sub)),
        (info.thoth_group.to_owned(), thoth_params(global)),
    ])
}

/// Thoth replaced every option value that `json.loads` turns into an object, array or null by
/// the parsed value (so `--metadata '{"origin": ...}'` is recorded as an object). Every string is
/// also stripped of URL credentials, as a last line of defence.
fn thoth_params(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => match serde_json::from_str::<Value>(&s) {
                            Ok(parsed @ (Value::Object(_) | Value::Array(_) | Value::Null)) => {
                                redact_json(parsed)
                            }
                            _ => Value::String(redact_url(&s)),
                        },
                        other => redact_json(other),
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => redact_json(other),
    }
}

fn failure_value(err: &AnalyzerError) -> Value {
    serde_json::to_value(Failure::from(err)).unwrap_or(Value::Null)
}

fn document_value(metadata: Metadata, result: Value) -> Value {
    let doc: Document<Value> = Document {
        metadata,
        result: Outcome::Success(result),
    };
    serde_json::to_value(&doc).unwrap_or(Value::Null)
}

/// A command line clap rejected (or help/version, which are not failures). A usage error still
/// writes a failure document when the workflow's output variable names a target, so the step
/// has something to upload.
fn usage_failure(
    info: &AnalyzerInfo,
    e: clap::Error,
    log_format: LogFormat,
    started: Timestamp,
    clock: Instant,
) -> ExitStatus {
    use clap::error::ErrorKind as K;
    let informational = matches!(e.kind(), K::DisplayHelp | K::DisplayVersion);
    let notices = Notices::new(log_format);
    if log_format == LogFormat::Json && e.use_stderr() {
        // A log collector gets clap's message as one object: its first line, and the hint.
        let rendered = e.render().to_string();
        let message = rendered.lines().next().unwrap_or("invalid command line");
        notices.error(
            message.trim_start_matches("error: "),
            Some(&format!("run `{} --help` for the options", info.name)),
            &[("kind", Value::String("usage".into()))],
        );
    } else {
        // clap prints help/version to stdout and errors to stderr; both can echo a value given
        // on the command line or in the environment, so both pass the scrub.
        print_clap_message(&e);
    }
    if informational {
        return ExitStatus::Success;
    }
    if let Some(target) = std::env::var(info.output_env)
        .ok()
        .and_then(|v| v.parse::<OutputTarget>().ok())
        .filter(|t| *t != OutputTarget::Stdout)
    {
        let message = e.render().to_string();
        let first_line = message.lines().next().unwrap_or("invalid command line");
        let err = AnalyzerError::usage(first_line.trim_start_matches("error: ").to_owned())
            .with_hint(format!("run `{} --help` for the options", info.name));
        let repro = Reproducibility::from_env(false).unwrap_or_default();
        let metadata = Metadata::collect(info, BTreeMap::new(), started, clock.elapsed(), &repro);
        let document = document_value(metadata, failure_value(&err));
        if let Err(w) = target.write(&Scrubbed::json(document, true)) {
            notices.error(&w.message, w.hint.as_deref(), &[]);
        }
    }
    ExitStatus::Usage
}

/// `--log-format` as the command line or the environment gives it, read before clap so that a
/// command line clap rejects is reported in the format asked for.
fn requested_log_format(info: &AnalyzerInfo, args: &[std::ffi::OsString]) -> LogFormat {
    let mut given = None;
    let mut words = args.iter().skip(1).take_while(|a| *a != "--");
    while let Some(word) = words.next() {
        let word = word.to_string_lossy();
        if let Some(value) = word.strip_prefix("--log-format=") {
            given = Some(value.to_owned());
        } else if word == "--log-format" {
            given = words.next().map(|v| v.to_string_lossy().into_owned());
        }
    }
    let given = given.or_else(|| std::env::var(format!("{}_LOG_FORMAT", info.env_prefix)).ok());
    match given.as_deref() {
        Some(v) if v.eq_ignore_ascii_case("json") => LogFormat::Json,
        _ => LogFormat::Text,
    }
}

/// What `clap::Error::print` writes, through the scrub: help and version on stdout, errors on
/// stderr (coloured when stderr is a terminal).
fn print_clap_message(e: &clap::Error) {
    let rendered = e.render();
    if e.use_stderr() {
        let text = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            rendered.ansi().to_string()
        } else {
            rendered.to_string()
        };
        write_stderr(&text);
    } else {
        let _ = OutputTarget::Stdout.write(&Scrubbed::text(&rendered.to_string()));
    }
}

fn report_unwritable(e: &AnalyzerError, notices: Notices) -> ExitStatus {
    notices.error(
        &format!("cannot write the document: {}", e.message),
        e.hint.as_deref(),
        &[("kind", Value::String(e.kind.as_str().to_owned()))],
    );
    e.kind.exit_status()
}

/// Panics go to the log (JSON when asked) instead of raw stderr; the failure document follows.
fn install_panic_logger() {
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(panic = %info, "internal error");
    }));
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_owned()
    }
}
