//! The error an analyzer returns when it cannot finish.

use crate::exit::ErrorKind;

/// An analysis that could not finish: a kind for machines, a message and an optional hint for
/// people. Messages say what went wrong; hints say what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct AnalyzerError {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
    /// Whether the failure document may go to stdout. False for an analysis whose stdout is a
    /// text format (a lock file): `solver resolve > requirements.txt` must not get JSON when
    /// resolution fails; the message goes to stderr, and a file or URL named by `-o` still
    /// gets the document.
    pub document_on_stdout: bool,
}

impl AnalyzerError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            hint: None,
            document_on_stdout: true,
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Usage, message)
    }

    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Input, message)
    }

    pub fn output(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Output, message)
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Network, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// For an analyzer whose implementation has not landed: an honest failure, never a fake result.
    pub fn not_implemented(what: &str) -> Self {
        Self::new(
            ErrorKind::NotImplemented,
            format!("{what} is not implemented yet"),
        )
        .with_hint(
            "this binary answers --help and --version; its analysis lands in a later release",
        )
    }

    /// Keeps the failure document off stdout (see [`Self::document_on_stdout`]).
    #[must_use]
    pub fn without_stdout_document(mut self) -> Self {
        self.document_on_stdout = false;
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}
