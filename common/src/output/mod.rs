//! Where the document goes: stdout, a file (written atomically, or through in place when it is a
//! device or a FIFO), an HTTP(S) endpoint (POST), or an object in S3-compatible storage (PUT).
//! One module per sink. Every sink is given [`Scrubbed`] text only: what leaves the process has
//! passed the secret scrub.

mod file;
mod http;
mod s3;

use std::path::PathBuf;
use std::str::FromStr;

use crate::error::AnalyzerError;
use crate::secret::{Scrubbed, redact_url};

pub use file::{write_file, write_file_atomically};
pub use http::{RetryPolicy, post_json};
pub use s3::{ObjectStore, S3Location};

/// The `-o/--output` target.
#[derive(Clone, PartialEq, Eq)]
pub enum OutputTarget {
    Stdout,
    File(PathBuf),
    /// An `http://` or `https://` URL; the document is POSTed to it as JSON.
    Http(String),
    /// `s3://BUCKET/KEY`: the document is PUT as that object, with the endpoint and
    /// credentials of the usual AWS variables and profile files.
    S3(S3Location),
}

impl FromStr for OutputTarget {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        if s.is_empty() || s == "-" {
            Ok(Self::Stdout)
        } else if is_syft_format(&lower) {
            // syft's `-o FORMAT` / `-o FORMAT=FILE` would otherwise write a file named `table`.
            // FILE may be a URL with credentials: the message shows it redacted.
            let s = redact_url(s);
            let file = s.split_once('=').map_or("", |(_, file)| file);
            let file = if file.is_empty() { "FILE" } else { file };
            Err(format!(
                "{s:?} is a syft output format, but -o takes where to write the document: \
                 use --format NAME -o {file} (--help lists the formats); \
                 to write a file named {s:?}, give -o ./{s}"
            ))
        } else if lower.starts_with("http://") || lower.starts_with("https://") {
            Ok(Self::Http(s.to_owned()))
        } else if lower.starts_with("s3://") {
            S3Location::parse(s).map(Self::S3)
        } else if let Some((scheme, _)) = s.split_once("://") {
            Err(format!(
                "output scheme {scheme:?} is not supported: use -, a file path, an http(s) URL or s3://BUCKET/KEY"
            ))
        } else {
            Ok(Self::File(PathBuf::from(s)))
        }
    }
}

/// syft's `-o` values: a format name (optionally `@VERSION`), alone or as `FORMAT=FILE`.
fn is_syft_format(lower: &str) -> bool {
    const SYFT_FORMATS: &[&str] = &[
        "table",
        "json",
        "text",
        "template",
        "cyclonedx",
        "cyclonedx-json",
        "cyclonedx-xml",
        "spdx",
        "spdx-json",
        "spdx-tag-value",
        "syft-json",
        "syft-table",
        "syft-text",
        "github",
        "github-json",
    ];
    let format = lower.split_once('=').map_or(lower, |(format, _)| format);
    let name = format.split_once('@').map_or(format, |(name, _)| name);
    SYFT_FORMATS.contains(&name)
}

impl std::fmt::Display for OutputTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Stdout => f.write_str("-"),
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Http(url) => f.write_str(&redact_url(url)),
            Self::S3(location) => write!(f, "{location}"),
        }
    }
}

// The URL may carry credentials; Debug shows what Display shows.
impl std::fmt::Debug for OutputTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OutputTarget({self})")
    }
}

impl serde::Serialize for OutputTarget {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl OutputTarget {
    /// Writes `text` (a document, scrubbed) to the target.
    pub fn write(&self, text: &Scrubbed) -> Result<(), AnalyzerError> {
        let text = text.as_str();
        match self {
            Self::Stdout => file::write_stdout(text),
            Self::File(path) => write_file(path, text),
            Self::Http(url) => post_json(url, text, &RetryPolicy::default()),
            Self::S3(location) => s3::put_document(location, text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        assert_eq!("-".parse::<OutputTarget>(), Ok(OutputTarget::Stdout));
        assert_eq!(
            "out/doc.json".parse::<OutputTarget>(),
            Ok(OutputTarget::File(PathBuf::from("out/doc.json")))
        );
        assert!(matches!(
            "HTTPS://h/x".parse::<OutputTarget>(),
            Ok(OutputTarget::Http(_))
        ));
        assert_eq!(
            "s3://bucket/a/b.json".parse::<OutputTarget>(),
            Ok(OutputTarget::S3(S3Location {
                bucket: "bucket".to_owned(),
                key: "a/b.json".to_owned()
            }))
        );
        assert_eq!(
            "s3://bucket/a/b.json"
                .parse::<OutputTarget>()
                .map(|t| t.to_string()),
            Ok("s3://bucket/a/b.json".to_owned())
        );
        assert!("s3://bucket".parse::<OutputTarget>().is_err());
        let err = "ftp://x/y".parse::<OutputTarget>().expect_err("must fail");
        assert!(err.contains("not supported"), "{err}");
    }

    #[test]
    fn syft_format_names_are_usage_errors() {
        for value in [
            "table",
            "JSON",
            "cyclonedx-json",
            "cyclonedx-xml",
            "spdx-json",
            "spdx-tag-value",
            "syft-json",
            "github-json",
            "text",
            "template",
            "spdx-json@2.2",
        ] {
            let err = value.parse::<OutputTarget>().expect_err(value);
            assert!(err.contains("--format NAME -o FILE"), "{value}: {err}");
            assert!(err.contains(&format!("-o ./{value}")), "{value}: {err}");
        }
        let err = "cyclonedx-json=out/sbom.json"
            .parse::<OutputTarget>()
            .expect_err("FORMAT=FILE");
        assert!(err.contains("--format NAME -o out/sbom.json"), "{err}");
        let err = "spdx-json=https://u:pw@h/sbom.json"
            .parse::<OutputTarget>()
            .expect_err("FORMAT=URL");
        assert!(err.contains("-o https://") && !err.contains("pw"), "{err}");
        // A path that only looks like one is still a file.
        for value in ["./table", "out/table", "table.json", "json.d/x", "a=b.json"] {
            assert_eq!(
                value.parse::<OutputTarget>(),
                Ok(OutputTarget::File(PathBuf::from(value))),
                "{value}"
            );
        }
    }

    #[test]
    fn display_hides_credentials() {
        let t: OutputTarget = "https://u:pw@h/x".parse().expect("valid");
        assert!(!t.to_string().contains("pw"));
        assert!(!format!("{t:?}").contains("pw"));
    }

    #[test]
    fn file_is_replaced_atomically_and_readable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("doc.json");
        std::fs::write(&path, "old").expect("write");
        write_file_atomically(&path, "{}\n").expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "{}\n");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name() != "doc.json")
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
    }

    #[test]
    fn missing_directory_is_a_clear_output_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("no/such/dir/doc.json");
        let err = write_file_atomically(&path, "{}").expect_err("must fail");
        assert_eq!(err.kind, crate::exit::ErrorKind::Output);
        assert!(err.message.contains("does not exist"), "{}", err.message);
        assert!(err.hint.is_some());
    }
}
