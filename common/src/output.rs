//! Where the document goes: stdout, a file (written atomically), or an HTTP(S) endpoint (POST).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::error::AnalyzerError;
use crate::secret::redact_url;

/// The `-o/--output` target.
#[derive(Clone, PartialEq, Eq)]
pub enum OutputTarget {
    Stdout,
    File(PathBuf),
    /// An `http://` or `https://` URL; the document is POSTed to it as JSON.
    Http(String),
}

impl FromStr for OutputTarget {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        if s.is_empty() || s == "-" {
            Ok(Self::Stdout)
        } else if lower.starts_with("http://") || lower.starts_with("https://") {
            Ok(Self::Http(s.to_owned()))
        } else if let Some((scheme, _)) = s.split_once("://") {
            Err(format!(
                "output scheme {scheme:?} is not supported: use -, a file path, or an http(s) URL"
            ))
        } else {
            Ok(Self::File(PathBuf::from(s)))
        }
    }
}

impl std::fmt::Display for OutputTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Stdout => f.write_str("-"),
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Http(url) => f.write_str(&redact_url(url)),
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
    /// Writes `text` (a JSON document) to the target.
    pub fn write(&self, text: &str) -> Result<(), AnalyzerError> {
        match self {
            Self::Stdout => write_stdout(text),
            Self::File(path) => write_file_atomically(path, text),
            Self::Http(url) => post_json(url, text, &RetryPolicy::default()),
        }
    }
}

fn write_stdout(text: &str) -> Result<(), AnalyzerError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A reader that stopped early (`| head`) is not the analyzer's failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(AnalyzerError::output(format!(
            "cannot write to stdout: {e}"
        ))),
    }
}

/// Writes through a temporary file in the same directory, then renames it over `path`, so a
/// reader never sees half a document and a failed run leaves the old one in place.
pub fn write_file_atomically(path: &Path, text: &str) -> Result<(), AnalyzerError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(AnalyzerError::output(format!(
            "cannot write {}: directory {} does not exist",
            path.display(),
            dir.display()
        ))
        .with_hint("create the directory first, or choose another --output"));
    }
    if path.is_dir() {
        return Err(AnalyzerError::output(format!(
            "cannot write {}: it is a directory",
            path.display()
        ))
        .with_hint("give --output a file name inside that directory"));
    }
    let fail =
        |e: std::io::Error| AnalyzerError::output(format!("cannot write {}: {e}", path.display()));
    let mut tmp = tempfile::Builder::new()
        .prefix(".analyzer-output-")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(text.as_bytes()).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    set_readable(tmp.as_file()).map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Temporary files are created 0600; a document is meant to be read by the next step.
#[cfg(unix)]
fn set_readable(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_readable(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

/// How an HTTP POST is retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Per attempt.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// Wait before the first retry; doubled for each next one.
    pub backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// POSTs `body` as JSON. Connection errors, timeouts and 5xx answers are retried with
/// exponential backoff; any other non-2xx answer fails at once.
pub fn post_json(url: &str, body: &str, policy: &RetryPolicy) -> Result<(), AnalyzerError> {
    let shown = redact_url(url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AnalyzerError::internal(format!("cannot start the HTTP client: {e}")))?;
    runtime.block_on(async {
        let client = crate::http::client_builder()
            .timeout(policy.timeout)
            .build()
            .map_err(|e| AnalyzerError::internal(format!("cannot build the HTTP client: {e}")))?;
        let mut wait = policy.backoff;
        let mut attempt = 0;
        loop {
            let sent = client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_owned())
                .send()
                .await;
            let retryable = match sent {
                Ok(resp) if resp.status().is_success() => {
                    tracing::info!(url = %shown, status = %resp.status(), "document posted");
                    return Ok(());
                }
                Ok(resp) => {
                    let status = resp.status();
                    let text = resp.text().await.unwrap_or_default();
                    let snippet: String = text.chars().take(300).collect();
                    let err = AnalyzerError::network(format!(
                        "POST {shown} answered {status}: {snippet}"
                    ));
                    if !status.is_server_error() {
                        return Err(err);
                    }
                    err
                }
                Err(e) => AnalyzerError::network(format!(
                    "POST {shown} failed: {}",
                    crate::http::describe_error(&e)
                )),
            };
            if attempt >= policy.retries {
                return Err(retryable.with_hint(format!(
                    "gave up after {} attempts; check that the endpoint is up, or write to a file with -o PATH",
                    attempt + 1
                )));
            }
            attempt += 1;
            tracing::warn!(error = %retryable, retry_in = ?wait, attempt, "retrying POST");
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
    })
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
        let err = "ftp://x/y".parse::<OutputTarget>().expect_err("must fail");
        assert!(err.contains("not supported"), "{err}");
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
