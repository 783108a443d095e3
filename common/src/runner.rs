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

use crate::cli::{GlobalArgs, OutputArgs, init_logging};
use crate::clock::Timestamp;
use crate::document::{AnalyzerInfo, Document, Failure, Metadata, Outcome, Reproducibility};
use crate::error::AnalyzerError;
use crate::exit::ExitStatus;
use crate::output::OutputTarget;
use crate::secret::{Scrubbed, eprintln_scrubbed, redact_json, redact_url, write_stderr};

/// A binary's parsed command line.
pub trait AnalyzerCli: CommandFactory + FromArgMatches {
    fn global(&self) -> &GlobalArgs;
    fn output(&self) -> &OutputArgs;
    /// The subcommand's name (Thoth's click context name, e.g. `extract-image`) and its
    /// options as a JSON object; secrets must already serialise redacted (see [`crate::Secret`]).
    fn command_arguments(&self) -> (&'static str, Value);
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
}

impl<R> Analysis<R> {
    pub fn ok(result: R) -> Self {
        Self {
            result,
            fail: false,
            standalone: None,
        }
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
            Err(e) => report_unwritable(&e),
        };
    }

    // `completions SHELL` and `man [--dir DIR]` are answered from the command itself.
    let command = crate::completions::extend(configure(C::command(), info));
    if let Some(status) = crate::completions::intercept(&command, &args) {
        return status;
    }
    let matches = match command.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => return usage_failure(info, e, started, clock),
    };
    let cli = match C::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => return usage_failure(info, e, started, clock),
    };
    init_logging(cli.global().verbose, cli.global().log_format);
    install_panic_logger();

    let output = cli.output().clone();
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

    let (result, status, repro) = match outcome {
        Ok((
            Analysis {
                standalone: Some(doc),
                fail,
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
            return match output.output.write(&text) {
                Ok(()) => status,
                Err(e) => report_unwritable(&e),
            };
        }
        Ok((analysis, repro)) => {
            let status = if analysis.fail {
                ExitStatus::Findings
            } else {
                ExitStatus::Success
            };
            match serde_json::to_value(&analysis.result) {
                Ok(v) => (v, status, repro),
                Err(e) => {
                    let err = AnalyzerError::internal(format!("cannot serialise the result: {e}"));
                    (failure_value(&err), err.kind.exit_status(), repro)
                }
            }
        }
        Err((err, _)) if !err.document_on_stdout && output.output == OutputTarget::Stdout => {
            // stdout was to hold a text format (a lock file): the failure goes to stderr only.
            eprintln_scrubbed(&format!("error: {}", err.message));
            if let Some(hint) = &err.hint {
                eprintln_scrubbed(&format!("hint: {hint}"));
            }
            return err.kind.exit_status();
        }
        Err((err, repro)) => {
            tracing::error!(kind = err.kind.as_str(), "{}", err.message);
            (failure_value(&err), err.kind.exit_status(), repro)
        }
    };

    let metadata = Metadata::collect(info, arguments, started, clock.elapsed(), &repro);
    let document = document_value(metadata, result);
    match output
        .output
        .write(&Scrubbed::json(document, !output.no_pretty))
    {
        Ok(()) => status,
        Err(e) => report_unwritable(&e),
    }
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
    started: Timestamp,
    clock: Instant,
) -> ExitStatus {
    use clap::error::ErrorKind as K;
    let informational = matches!(e.kind(), K::DisplayHelp | K::DisplayVersion);
    // clap prints help/version to stdout and errors to stderr; both can echo a value given on
    // the command line or in the environment, so both pass the scrub.
    print_clap_message(&e);
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
            eprintln_scrubbed(&format!("error: {}", w.message));
        }
    }
    ExitStatus::Usage
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

fn report_unwritable(e: &AnalyzerError) -> ExitStatus {
    tracing::error!("cannot write the document: {}", e.message);
    eprintln_scrubbed(&format!("error: cannot write the document: {}", e.message));
    if let Some(hint) = &e.hint {
        eprintln_scrubbed(&format!("hint: {hint}"));
    }
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
