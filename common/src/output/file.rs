//! The local sinks: stdout, and a file written atomically.

use std::io::Write;
use std::path::Path;

use crate::error::AnalyzerError;

pub(crate) fn write_stdout(text: &str) -> Result<(), AnalyzerError> {
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
