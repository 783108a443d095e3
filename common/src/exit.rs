//! Exit codes and the stable error kinds that map onto them.
//!
//! A workflow step reads the exit code to decide what happened without parsing the document, so
//! the codes are part of the interface and documented in the README.

use schemars::JsonSchema;
use serde::Serialize;

/// The process exit codes every analyzer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The analysis finished; the document holds the result.
    Success = 0,
    /// The analysis finished and found what the user asked to fail on (e.g. `--fail-on error`).
    Findings = 1,
    /// The command line or an environment variable was wrong.
    Usage = 2,
    /// The input is missing, unreadable or malformed, or the output location is unusable.
    Input = 3,
    /// A network or remote service failed (registry, index, output endpoint).
    Network = 4,
    /// A bug, or a part of the analyzer that is not built yet.
    Internal = 5,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

/// Why an analyzer could not finish; written to `result.error_kind` as a stable string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    Usage,
    Input,
    Output,
    Network,
    Timeout,
    NotImplemented,
    Internal,
}

impl ErrorKind {
    pub fn exit_status(self) -> ExitStatus {
        match self {
            ErrorKind::Usage => ExitStatus::Usage,
            ErrorKind::Input | ErrorKind::Output => ExitStatus::Input,
            ErrorKind::Network | ErrorKind::Timeout => ExitStatus::Network,
            ErrorKind::NotImplemented | ErrorKind::Internal => ExitStatus::Internal,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Usage => "usage",
            ErrorKind::Input => "input",
            ErrorKind::Output => "output",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::NotImplemented => "not-implemented",
            ErrorKind::Internal => "internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_documented_codes() {
        assert_eq!(ErrorKind::Usage.exit_status().code(), 2);
        assert_eq!(ErrorKind::Input.exit_status().code(), 3);
        assert_eq!(ErrorKind::Output.exit_status().code(), 3);
        assert_eq!(ErrorKind::Network.exit_status().code(), 4);
        assert_eq!(ErrorKind::Timeout.exit_status().code(), 4);
        assert_eq!(ErrorKind::NotImplemented.exit_status().code(), 5);
        assert_eq!(ErrorKind::Internal.exit_status().code(), 5);
        assert_eq!(ExitStatus::Findings.code(), 1);
    }

    #[test]
    fn kind_strings_match_serde() {
        for kind in [
            ErrorKind::Usage,
            ErrorKind::Input,
            ErrorKind::Output,
            ErrorKind::Network,
            ErrorKind::Timeout,
            ErrorKind::NotImplemented,
            ErrorKind::Internal,
        ] {
            let json = serde_json::to_value(kind).expect("serialises");
            assert_eq!(json, serde_json::Value::String(kind.as_str().to_owned()));
        }
    }
}
