//! A path given without a transport (`-i ./image.tar`, `-i ./layout`): what it is is read from
//! the file itself, as syft does. A directory with `index.json` is an OCI layout, any other
//! directory a root filesystem; a file is an image archive (compressed as a whole or not),
//! docker's when it has `manifest.json` or `repositories`, OCI's when it has only `index.json`.

use std::path::Path;

use super::archive::TarIndex;
use super::{ImageRef, SourceError};

/// What a local path holds.
pub enum Local {
    /// A directory: an OCI layout or a root filesystem.
    Ref(ImageRef),
    /// An archive, indexed (and inflated) once.
    Archive(TarIndex),
}

impl Local {
    /// Whether an archive is a docker archive (rather than an OCI one).
    pub fn is_docker_archive(index: &TarIndex) -> bool {
        use super::layout::LayoutFs;
        index.has("manifest.json") || index.has("repositories")
    }
}

pub fn recognise(path: &Path, max_inflated: u64) -> Result<Local, SourceError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        SourceError::Input(format!(
            "{} is neither a transport reference nor a readable path: {e}",
            path.display()
        ))
    })?;
    if meta.is_dir() {
        let layout = path.join("index.json").is_file();
        tracing::info!(path = %path.display(), layout, "local directory recognised");
        return Ok(Local::Ref(if layout {
            ImageRef::OciLayout {
                dir: path.to_path_buf(),
                reference: None,
            }
        } else {
            ImageRef::RootFs(path.to_path_buf())
        }));
    }
    if !meta.is_file() {
        return Err(SourceError::Input(format!(
            "{} is neither a directory nor a regular file",
            path.display()
        )));
    }
    let index = TarIndex::build(path, max_inflated)?;
    use super::layout::LayoutFs;
    if !Local::is_docker_archive(&index) && !index.has("index.json") {
        return Err(SourceError::Input(format!(
            "{} is an archive without manifest.json, repositories or index.json: not an image archive (a root filesystem tar? unpack it and use dir:)",
            path.display()
        )));
    }
    Ok(Local::Archive(index))
}
