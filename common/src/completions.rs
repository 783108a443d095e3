//! Shell completion scripts and man pages, generated from a binary's own clap command so they
//! never drift from its options: `<binary> completions SHELL` prints a script, `<binary> man`
//! prints the roff page and `<binary> man --dir DIR` writes one page per command.
//!
//! The two subcommands are added to every analyzer's command by the runner ([`extend`]) and
//! answered before the analyzer's own parsing ([`intercept`]), so a binary declares nothing.

use std::path::{Path, PathBuf};

use clap::{Arg, ArgMatches, Command, value_parser};
use clap_complete::Shell;

use crate::error::AnalyzerError;
use crate::exit::ExitStatus;
use crate::output::{OutputTarget, write_file_atomically};
use crate::secret::Scrubbed;

/// The subcommand that prints a completion script.
pub const COMPLETIONS: &str = "completions";
/// The subcommand that prints or writes man pages.
pub const MAN: &str = "man";

/// Adds the `completions` and `man` subcommands and a `--help` footer that names them.
pub fn extend(cmd: Command) -> Command {
    let name = cmd.get_name().to_owned();
    // Short lines: the footer is also the man page's last section, where long lines are filled.
    let footer = format!(
        "Shell completions and man pages:\n  \
         {name} completions bash|zsh|fish|powershell|elvish\n  \
         {name} man | man -l -\n  \
         {name} man --dir DIR      (one page per subcommand)"
    );
    let after_help = match cmd.get_after_help() {
        Some(existing) => format!("{existing}\n\n{footer}"),
        None => footer,
    };
    cmd.after_help(after_help)
        .subcommand(
            Command::new(COMPLETIONS)
                .about("Print a shell completion script for this binary")
                .long_about(
                    "Print a shell completion script for this binary on stdout. Load it for the \
                     current shell (bash: `source <(BIN completions bash)`) or install it where the \
                     shell looks for completions (the container image ships them).",
                )
                .arg(
                    Arg::new("shell")
                        .value_name("SHELL")
                        .required(true)
                        .value_parser(value_parser!(Shell))
                        .help("The shell to complete for"),
                ),
        )
        .subcommand(
            Command::new(MAN)
                .about("Print the man page (roff), or write one page per command into a directory")
                .arg(
                    Arg::new("dir")
                        .long("dir")
                        .value_name("DIR")
                        .value_parser(value_parser!(PathBuf))
                        .help(
                            "Write BIN.1 and BIN-SUBCOMMAND.1 into this existing directory \
                             instead of printing BIN.1",
                        ),
                ),
        )
}

/// Answers `completions` and `man` when the command line asks for one of them; `None` for
/// every other command line (including one clap rejects: the caller's parse reports it).
pub fn intercept(cmd: &Command, args: &[std::ffi::OsString]) -> Option<ExitStatus> {
    // Cheap test first: most runs name neither subcommand, and are parsed only once.
    if !args
        .iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == COMPLETIONS || a == MAN)
    {
        return None;
    }
    let matches = cmd.clone().try_get_matches_from(args).ok()?;
    let result = match matches.subcommand()? {
        (COMPLETIONS, sub) => print_completions(cmd.clone(), sub),
        (MAN, sub) => man(cmd.clone(), sub),
        _ => return None,
    };
    Some(match result {
        Ok(()) => ExitStatus::Success,
        Err(e) => {
            eprintln!("error: {}", e.message);
            if let Some(hint) = &e.hint {
                eprintln!("hint: {hint}");
            }
            e.kind.exit_status()
        }
    })
}

fn print_completions(mut cmd: Command, sub: &ArgMatches) -> Result<(), AnalyzerError> {
    let shell = sub
        .get_one::<Shell>("shell")
        .copied()
        .ok_or_else(|| AnalyzerError::usage("completions needs a SHELL"))?;
    OutputTarget::Stdout.write(&Scrubbed::text(&completion_script(&mut cmd, shell)))
}

/// The completion script of `cmd` for `shell`; the shell function is named for the binary
/// (bash: `_BIN`).
pub fn completion_script(cmd: &mut Command, shell: Shell) -> String {
    let name = cmd.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(shell, cmd, name.clone(), &mut script);
    let script = String::from_utf8_lossy(&script).into_owned();
    match shell {
        Shell::Bash => fix_bash_case_labels(&script, &name),
        _ => script,
    }
}

/// clap_complete's bash script (4.6.12) spells a hyphenated binary's subcommand states two ways:
/// the word loop sets `buildlog__parser__subcmd__parse`, the `case` arms test
/// `buildlog__subcmd__parser__subcmd__parse`, so nothing after the subcommand ever completes
/// (clap-rs/clap#6421). Relabels the arms the way the loop spells them.
fn fix_bash_case_labels(script: &str, name: &str) -> String {
    let wrong = name.replace('-', "__subcmd__");
    let right = name.replace('-', "__");
    if wrong == right {
        return script.to_owned();
    }
    script
        .lines()
        .map(|line| {
            let label = line.trim_start();
            match label.strip_prefix(wrong.as_str()) {
                Some(rest) if label.ends_with(')') && (rest == ")" || rest.starts_with("__")) => {
                    format!("{}{right}{rest}\n", &line[..line.len() - label.len()])
                }
                _ => format!("{line}\n"),
            }
        })
        .collect()
}

fn man(cmd: Command, sub: &ArgMatches) -> Result<(), AnalyzerError> {
    match sub.get_one::<PathBuf>("dir") {
        None => OutputTarget::Stdout.write(&Scrubbed::text(&man_page(cmd)?)),
        Some(dir) => {
            for path in write_man_pages(cmd, dir)? {
                eprintln!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}

/// The roff man page (section 1) of `cmd` itself.
pub fn man_page(cmd: Command) -> Result<String, AnalyzerError> {
    let mut cmd = cmd.disable_help_subcommand(true);
    // Building gives each subcommand its display name (`BIN-SUB`), used in page names.
    cmd.build();
    render(cmd)
}

/// Writes `BIN.1` and one `BIN-SUB.1` per visible subcommand (recursively) into `dir`, each
/// atomically (a symlink or device there is replaced by a regular file, never written
/// through). Returns the paths written.
pub fn write_man_pages(cmd: Command, dir: &Path) -> Result<Vec<PathBuf>, AnalyzerError> {
    if !dir.is_dir() {
        return Err(
            AnalyzerError::usage(format!("{} is not a directory", dir.display()))
                .with_hint("create it first, or run `man` without --dir to print the page"),
        );
    }
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let mut written = Vec::new();
    write_tree(cmd, dir, &mut written)?;
    Ok(written)
}

fn write_tree(cmd: Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<(), AnalyzerError> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_tree(sub.clone(), dir, written)?;
    }
    let path = dir.join(clap_mangen::Man::new(cmd.clone()).get_filename());
    write_file_atomically(&path, &render(cmd)?)?;
    written.push(path);
    Ok(())
}

fn render(cmd: Command) -> Result<String, AnalyzerError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut page)
        .map_err(|e| AnalyzerError::internal(format!("cannot render the man page: {e}")))?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Command {
        extend(
            Command::new("sample")
                .after_help("Examples:\n  sample run")
                .subcommand(Command::new("run").arg(Arg::new("input").short('i').long("input"))),
        )
    }

    fn args(list: &[&str]) -> Vec<std::ffi::OsString> {
        list.iter().map(Into::into).collect()
    }

    #[test]
    fn footer_keeps_the_binary_s_own_help() {
        let help = sample().render_help().to_string();
        assert!(help.contains("sample run"), "{help}");
        assert!(help.contains("sample completions bash"), "{help}");
        assert!(help.contains("sample man --dir"), "{help}");
    }

    #[test]
    fn other_command_lines_are_left_to_the_analyzer() {
        let cmd = sample();
        assert_eq!(intercept(&cmd, &args(&["sample", "run", "-i", "x"])), None);
        // `man` as an option's value is not the subcommand.
        assert_eq!(
            intercept(&cmd, &args(&["sample", "run", "-i", "man"])),
            None
        );
        // Rejected by clap: the analyzer's own parse reports it (exit 2, failure document).
        assert_eq!(
            intercept(&cmd, &args(&["sample", "completions", "tcsh"])),
            None
        );
    }

    #[test]
    fn man_pages_are_written_per_subcommand() {
        let dir = tempfile::tempdir().expect("tempdir");
        let written = write_man_pages(sample(), dir.path()).expect("written");
        let mut names: Vec<_> = written
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "sample-completions.1",
                "sample-man.1",
                "sample-run.1",
                "sample.1"
            ]
        );
        let run = std::fs::read_to_string(dir.path().join("sample-run.1")).expect("read");
        assert!(run.contains("\\-\\-input"), "{run}");
    }

    #[test]
    fn man_dir_must_exist() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = write_man_pages(sample(), &dir.path().join("missing")).expect_err("must fail");
        assert_eq!(err.kind, crate::exit::ErrorKind::Usage);
        assert!(err.hint.is_some());
    }
}
