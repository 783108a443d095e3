//! What a person sees of a run: the human form of the result at a terminal (instead of the
//! document), and the one line on stderr that closes every run.
//!
//! An analysis says what it found in a [`Summary`]; the runner decides, from the
//! [`Presentation`] the command line asked for and whether stdout is a terminal, whether the
//! document or the human form is written, and prints the closing line. Pipes and `-o` keep
//! getting the document, byte for byte as before: Thoth's consumers never see the human form.

use std::io::IsTerminal;
use std::time::Duration;

use crate::output::OutputTarget;

/// What an analysis found, for people.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// A few words for the closing stderr line: `412 packages (deb 97, pypi 301) in 6 layers`.
    pub line: String,
    /// The human form of the result (a table, the verdict, the findings); `None` when the
    /// binary has none, and the document is written wherever it goes.
    pub human: Option<String>,
}

impl Summary {
    pub fn line(line: impl Into<String>) -> Self {
        Self {
            line: line.into(),
            human: None,
        }
    }

    pub fn with_human(mut self, text: impl Into<String>) -> Self {
        self.human = Some(text.into());
        self
    }
}

/// What the command line asked to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presentation {
    /// The document (every binary without a human form, and `--format json` or an SBOM).
    Document,
    /// The human form wherever the output goes (`--format table`).
    Human,
    /// The human form when stdout is a terminal and no `-o` was given; the document otherwise.
    Auto,
}

/// `--format` of the binaries whose only document is Thoth's: the JSON document, or the human
/// form anywhere. Not given: the human form at a terminal without `-o`, the document elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HumanFormat {
    /// Thoth's JSON document, also at a terminal.
    Json,
    /// The summary for people, also into a pipe or a file.
    Table,
}

impl Presentation {
    /// What `--format` (given or not) asks for.
    pub fn from_format(format: Option<HumanFormat>) -> Self {
        match format {
            None => Self::Auto,
            Some(HumanFormat::Json) => Self::Document,
            Some(HumanFormat::Table) => Self::Human,
        }
    }
}

/// The line the human form ends with when it was chosen for a terminal, not asked for.
pub const DOCUMENT_NOTE: &str = "(a summary for the terminal: pipe the output, give -o FILE or --format json for the JSON document)";

impl Presentation {
    /// Whether the human form is written, for a run whose output went to `target`
    /// (`explicit`: `-o` or its environment variable was given).
    pub fn shows_human(self, target: &OutputTarget, explicit: bool) -> bool {
        match self {
            Self::Document => false,
            Self::Human => true,
            Self::Auto => {
                !explicit && *target == OutputTarget::Stdout && std::io::stdout().is_terminal()
            }
        }
    }
}

/// Where the run's output went, in the closing line's words.
#[derive(Debug, Clone)]
pub enum Destination {
    Document(OutputTarget),
    Human(OutputTarget),
    /// A failure at a terminal that shows the human form: the error is on stderr already.
    Nowhere,
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let place = |t: &OutputTarget| match t {
            OutputTarget::Stdout => "stdout".to_owned(),
            other => other.to_string(),
        };
        match self {
            Self::Document(t) => write!(f, "document written to {}", place(t)),
            Self::Human(t) => write!(f, "summary written to {}, no JSON document", place(t)),
            Self::Nowhere => f.write_str("no document written (give -o FILE for one)"),
        }
    }
}

/// `NAME: WHAT, 1.04 s; WHERE`. Control characters in WHAT (it can quote the input: a log
/// line, a package name) are escaped, so the input cannot drive the terminal.
pub fn closing_line(
    name: &str,
    what: &str,
    elapsed: Duration,
    destination: &Destination,
) -> String {
    let what = if what.is_empty() {
        "done".to_owned()
    } else {
        printable(what)
    };
    format!(
        "{name}: {what}, {:.2} s; {destination}",
        elapsed.as_secs_f64()
    )
}

/// `text` with control characters escaped (`\u{1b}`): what the input says, shown on a terminal
/// without letting it move the cursor, clear the screen or hide a line.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// `rows` (the first one the header) as left-aligned columns two spaces apart, each line
/// without trailing blanks: the tables of every binary's human form. Cells are shown as given:
/// escape what comes from the input with [`printable`] first.
pub fn columns(rows: &[Vec<String>]) -> String {
    let count = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..count)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn columns_align_on_the_widest_cell_without_trailing_blanks() {
        let rows = vec![
            vec![
                "NAME".to_owned(),
                "VERSION".to_owned(),
                "DEPENDS ON".to_owned(),
            ],
            vec!["requests".to_owned(), "2.0".to_owned(), String::new()],
        ];
        assert_eq!(
            columns(&rows),
            "NAME      VERSION  DEPENDS ON\nrequests  2.0\n"
        );
    }

    #[test]
    fn closing_lines_say_what_when_and_where() {
        let file = OutputTarget::File(PathBuf::from("out.json"));
        assert_eq!(
            closing_line(
                "package-extract",
                "3 packages (deb 3) in 1 layer",
                Duration::from_millis(1040),
                &Destination::Document(file)
            ),
            "package-extract: 3 packages (deb 3) in 1 layer, 1.04 s; document written to out.json"
        );
        assert_eq!(
            closing_line(
                "solver",
                "",
                Duration::ZERO,
                &Destination::Document(OutputTarget::Stdout)
            ),
            "solver: done, 0.00 s; document written to stdout"
        );
        let line = closing_line(
            "buildlog-parser",
            "build failed: \x1b[2J",
            Duration::ZERO,
            &Destination::Nowhere,
        );
        assert!(
            line.contains("\\u{1b}[2J") && !line.contains('\x1b'),
            "{line}"
        );
        let url = "https://u:pw@sink.test/d"
            .parse::<OutputTarget>()
            .expect("url");
        let line = Destination::Human(url).to_string();
        assert!(!line.contains("pw"), "{line}");
    }

    #[test]
    fn explicit_choices_do_not_look_at_the_terminal() {
        let file = OutputTarget::File(PathBuf::from("x"));
        assert!(Presentation::Human.shows_human(&file, true));
        assert!(!Presentation::Document.shows_human(&OutputTarget::Stdout, false));
        // An explicit -o, even `-o -`, asks for the document.
        assert!(!Presentation::Auto.shows_human(&OutputTarget::Stdout, true));
        assert!(!Presentation::Auto.shows_human(&file, false));
    }
}
