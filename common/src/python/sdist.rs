//! Source distribution filenames: `name-version.tar.gz` (PEP 625) and the older archive formats
//! indexes still serve (`.zip`, `.tar.bz2`, `.tgz`, `.tar.xz`, `.tar`).

use pep440_rs::Version;

use super::name::normalize_name;

/// The archive format of a source distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdistFormat {
    /// `.tar.gz`, the only format PEP 625 allows.
    TarGz,
    /// `.zip`, common before PEP 625 (and for Windows-built sdists).
    Zip,
    /// `.tar.bz2`, legacy.
    TarBz2,
    /// `.tgz`, legacy.
    Tgz,
    /// `.tar.xz`, legacy.
    TarXz,
    /// `.tar`, legacy and uncompressed.
    Tar,
}

impl SdistFormat {
    /// The filename extension, with its leading dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::TarGz => ".tar.gz",
            Self::Zip => ".zip",
            Self::TarBz2 => ".tar.bz2",
            Self::Tgz => ".tgz",
            Self::TarXz => ".tar.xz",
            Self::Tar => ".tar",
        }
    }
}

/// Why a filename is not a source distribution filename.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{filename:?} is not a source distribution filename: {reason}")]
pub struct SdistFilenameError {
    /// The filename given.
    pub filename: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A parsed sdist filename: a non-empty name and a valid PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdistFilename {
    name: String,
    version: Version,
    format: SdistFormat,
}

impl SdistFilename {
    /// Parses `name-version.EXT`.
    ///
    /// Legacy sdists do not escape `-` in names (`python-dateutil-2.8.2.tar.gz`), so the name
    /// ends at the first `-` after which the rest is a valid PEP 440 version. When the project
    /// name is known, [`Self::parse_for`] avoids guessing.
    pub fn parse(filename: &str) -> Result<Self, SdistFilenameError> {
        let (stem, format) = split_extension(filename)?;
        for (i, _) in stem.match_indices('-') {
            let (name, version) = (&stem[..i], &stem[i + 1..]);
            if name.is_empty() {
                continue;
            }
            if let Ok(version) = version.parse::<Version>() {
                return Ok(Self {
                    name: name.to_owned(),
                    version,
                    format,
                });
            }
        }
        Err(fail(
            filename,
            "no `-` is followed by a valid PEP 440 version (expected name-version.EXT)",
        ))
    }

    /// Parses `name-version.EXT` where the name must be `project` (compared PEP 503-normalised).
    pub fn parse_for(filename: &str, project: &str) -> Result<Self, SdistFilenameError> {
        let (stem, format) = split_extension(filename)?;
        let wanted = normalize_name(project);
        for (i, _) in stem.match_indices('-') {
            if normalize_name(&stem[..i]) == wanted {
                let version = stem[i + 1..]
                    .parse::<Version>()
                    .map_err(|err| fail(filename, &format!("the version is not PEP 440: {err}")))?;
                return Ok(Self {
                    name: stem[..i].to_owned(),
                    version,
                    format,
                });
            }
        }
        Err(fail(
            filename,
            &format!("it does not start with the name {project:?}"),
        ))
    }

    /// The name as written in the filename.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PEP 503 normalised name.
    pub fn normalized_name(&self) -> String {
        normalize_name(&self.name)
    }

    /// The version.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// Replaces the version by an equal one (a clone sharing its allocation).
    pub(crate) fn share_version(&mut self, version: &Version) {
        debug_assert_eq!(&self.version, version);
        self.version = version.clone();
    }

    /// The archive format.
    pub fn format(&self) -> SdistFormat {
        self.format
    }
}

fn fail(filename: &str, reason: &str) -> SdistFilenameError {
    SdistFilenameError {
        filename: filename.to_owned(),
        reason: reason.to_owned(),
    }
}

fn split_extension(filename: &str) -> Result<(&str, SdistFormat), SdistFilenameError> {
    let lower = filename.to_ascii_lowercase();
    for format in [
        SdistFormat::TarGz,
        SdistFormat::TarBz2,
        SdistFormat::TarXz,
        SdistFormat::Tgz,
        SdistFormat::Zip,
        SdistFormat::Tar,
    ] {
        if lower.ends_with(format.extension()) {
            return Ok((
                &filename[..filename.len() - format.extension().len()],
                format,
            ));
        }
    }
    Err(fail(
        filename,
        "it does not end in .tar.gz, .zip, .tar.bz2, .tgz, .tar.xz or .tar",
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_formats_and_legacy_names() {
        let s = SdistFilename::parse("requests-2.22.0.tar.gz").unwrap();
        assert_eq!(
            (s.name(), s.version().to_string().as_str()),
            ("requests", "2.22.0")
        );
        assert_eq!(s.format(), SdistFormat::TarGz);
        let s = SdistFilename::parse("python-dateutil-2.8.2.tar.gz").unwrap();
        assert_eq!(s.name(), "python-dateutil");
        assert_eq!(s.normalized_name(), "python-dateutil");
        assert_eq!(
            SdistFilename::parse("distlib-0.3.1.zip").unwrap().format(),
            SdistFormat::Zip
        );
        assert_eq!(
            SdistFilename::parse("Foo-1.0.tar.bz2").unwrap().format(),
            SdistFormat::TarBz2
        );
        assert_eq!(
            SdistFilename::parse("foo-1.0rc1.tgz").unwrap().format(),
            SdistFormat::Tgz
        );
        let s = SdistFilename::parse_for("zope.interface-5.4.0.tar.gz", "Zope-Interface").unwrap();
        assert_eq!(s.name(), "zope.interface");
    }

    #[test]
    fn errors_are_clear() {
        let err = SdistFilename::parse("foo-1.0.whl").unwrap_err();
        assert!(err.to_string().contains("does not end in .tar.gz"), "{err}");
        let err = SdistFilename::parse("foo.tar.gz").unwrap_err();
        assert!(err.to_string().contains("PEP 440"), "{err}");
        let err = SdistFilename::parse("-1.0.tar.gz").unwrap_err();
        assert!(err.to_string().contains("PEP 440"), "{err}");
        let err = SdistFilename::parse_for("bar-1.0.tar.gz", "foo").unwrap_err();
        assert!(err.to_string().contains("\"foo\""), "{err}");
        assert!(SdistFilename::parse_for("foo-one.tar.gz", "foo").is_err());
    }
}
