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
}

impl AnalyzerError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            hint: None,
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

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}
