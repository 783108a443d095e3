//! The local sinks: stdout, and a path: a regular file (or a new one) replaced atomically; a
//! device, FIFO or socket written through in place, never replaced.

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

/// Writes `text` to `path` without destroying what is there. A new path or a regular file is
/// replaced atomically ([`write_file_atomically`]); through a symlink, the file it points to is
/// replaced and the link stays. A character or block device (`/dev/null`, a terminal), a FIFO
/// or a socket, or a symlink to one (`/dev/stdout`), is opened and written through in place:
/// renaming a file over it would turn the device node into a regular file. A directory is an
/// error.
pub fn write_file(path: &Path, text: &str) -> Result<(), AnalyzerError> {
    let fail =
        |e: std::io::Error| AnalyzerError::output(format!("cannot write {}: {e}", path.display()));
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => {
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            if is_link {
                let target = std::fs::canonicalize(path).map_err(fail)?;
                write_file_atomically(&target, text)
            } else {
                write_file_atomically(path, text)
            }
        }
        // A directory gets write_file_atomically's clear error.
        Ok(meta) if meta.is_dir() => write_file_atomically(path, text),
        Ok(meta) => write_in_place(path, &meta.file_type(), text).map_err(fail),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(AnalyzerError::output(format!(
                    "cannot write {}: it is a symlink to a path that does not exist",
                    path.display()
                ))
                .with_hint("create the file the link points to, or give --output another path"));
            }
            write_file_atomically(path, text)
        }
        Err(e) => Err(fail(e)),
    }
}

/// Opens a device or FIFO for writing (no create, no truncate) or connects to a socket, and
/// writes `text` through.
fn write_in_place(path: &Path, kind: &std::fs::FileType, text: &str) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_socket() {
            let mut stream = std::os::unix::net::UnixStream::connect(path)?;
            return stream
                .write_all(text.as_bytes())
                .and_then(|()| stream.flush());
        }
    }
    let _ = kind;
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.write_all(text.as_bytes())?;
    file.flush()
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
