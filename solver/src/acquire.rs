//! The core metadata of one release, read without installing or building anything: the index's
//! metadata file (PEP 658/714), else the wheel's own `METADATA` read through HTTP range requests
//! (the whole wheel when the server ignores ranges), else an sdist's `PKG-INFO` when it is
//! trustworthy (Metadata-Version 2.2 or later and `Requires-Dist` not dynamic), else what an
//! older sdist states statically (`static_metadata`: egg-info `requires.txt`, `setup.cfg`,
//! `pyproject.toml`). Anything else is reported as unavailable, with the reason; a build
//! backend is never run.

use std::io::Read;

use common::index::{ByteRange, Distribution, IndexClient, IndexError, IndexFile};
use common::python::{
    CoreMetadata, EntryPoints, Record, TargetEnvironment, Version, parse_entry_points, parse_record,
};

use crate::static_metadata;
use crate::zip_directory::{self, Member, ZipError};

/// The largest metadata-bearing member read from an archive (METADATA, RECORD, PKG-INFO).
const MEMBER_LIMIT: u64 = 32 << 20;
/// The largest sdist downloaded to read its PKG-INFO.
const SDIST_LIMIT: u64 = 256 << 20;

/// Where the metadata came from, recorded in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MetadataSource {
    /// The index's PEP 658 metadata file.
    MetadataFile,
    /// The wheel's `.dist-info/METADATA`, through range requests.
    WheelRange,
    /// The wheel's `.dist-info/METADATA`, from the whole wheel (the server ignored ranges).
    WheelDownload,
    /// The sdist's `PKG-INFO` (Metadata-Version >= 2.2, static dependencies).
    Sdist,
    /// An older sdist's `*.egg-info/requires.txt` (written by setuptools when the sdist was
    /// made), with PKG-INFO for the other fields.
    SdistEggInfo,
    /// An older sdist's `setup.cfg` `[options]` (install_requires, extras_require,
    /// python_requires), with PKG-INFO for the other fields.
    SdistSetupCfg,
    /// An older sdist's `pyproject.toml` `[project]` table (dependencies not dynamic), with
    /// PKG-INFO for the other fields.
    SdistPyproject,
}

/// What was read for one release.
#[derive(Debug, Clone)]
pub struct Acquired {
    pub metadata: CoreMetadata,
    pub record: Option<Record>,
    pub entry_points: Option<EntryPoints>,
    pub source: MetadataSource,
    /// The file the metadata was read from.
    pub filename: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AcquireError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("{filename}: {message}")]
    Unreadable { filename: String, message: String },
    #[error("{0}")]
    Unavailable(String),
}

fn unreadable(file: &IndexFile, message: impl std::fmt::Display) -> AcquireError {
    AcquireError::Unreadable {
        filename: file.filename.to_string(),
        message: message.to_string(),
    }
}

/// The file to read a release's metadata from: a wheel for the target first (its metadata is
/// what an installer would see), any wheel next, an sdist last. Yanked files are used only when
/// nothing else exists.
pub fn choose<'a>(files: &[&'a IndexFile], env: &TargetEnvironment) -> Option<&'a IndexFile> {
    let rank = |f: &IndexFile| -> Option<u8> {
        let yank = u8::from(f.is_yanked()) * 4;
        match &f.distribution {
            Distribution::Wheel(w) if w.is_compatible(env) => Some(yank),
            Distribution::Wheel(_) => Some(yank + 1),
            Distribution::Sdist(_) => Some(yank + 2),
            Distribution::Other => None,
        }
    };
    files
        .iter()
        .copied()
        .filter_map(|f| rank(f).map(|r| (r, f)))
        .min_by(|(a, fa), (b, fb)| a.cmp(b).then_with(|| fa.filename.cmp(&fb.filename)))
        .map(|(_, f)| f)
}

/// Reads the metadata of `file` (of release `version` of `project`). `want_files` asks for the
/// wheel's RECORD and entry points too, which a metadata file does not carry.
pub async fn acquire(
    client: &IndexClient,
    file: &IndexFile,
    project: &str,
    version: &Version,
    want_files: bool,
) -> Result<Acquired, AcquireError> {
    match &file.distribution {
        Distribution::Wheel(_) => {
            if file.core_metadata.is_some() && !want_files {
                let metadata = client.fetch_core_metadata(file).await?;
                return Ok(Acquired {
                    metadata,
                    record: None,
                    entry_points: None,
                    source: MetadataSource::MetadataFile,
                    filename: file.filename.to_string(),
                });
            }
            read_wheel(client, file, project, version).await
        }
        Distribution::Sdist(_) => read_sdist(client, file).await,
        Distribution::Other => Err(AcquireError::Unavailable(format!(
            "{} is neither a wheel nor an sdist",
            file.filename
        ))),
    }
}

/// A wheel's bytes as far as they were fetched: the tail (or the whole file).
struct Fetched {
    bytes: Vec<u8>,
    /// Offset of `bytes[0]` in the file.
    offset: u64,
    total: u64,
}

impl Fetched {
    fn slice(&self, start: u64, len: u64) -> Option<&[u8]> {
        let from = usize::try_from(start.checked_sub(self.offset)?).ok()?;
        let to = from.checked_add(usize::try_from(len).ok()?)?;
        self.bytes.get(from..to)
    }
}

async fn read_wheel(
    client: &IndexClient,
    file: &IndexFile,
    project: &str,
    version: &Version,
) -> Result<Acquired, AcquireError> {
    let tail = client
        .fetch_range(&file.url, ByteRange::Suffix(zip_directory::TAIL_BYTES))
        .await?;
    let whole = !tail.partial;
    let fetched = Fetched {
        offset: tail.offset,
        total: tail.total,
        bytes: tail.body,
    };
    if whole {
        common::index::check_sha256(file, &fetched.bytes)?;
    }
    let location = zip_directory::locate_directory(&fetched.bytes, fetched.offset)
        .map_err(|e| unreadable(file, e))?;
    let directory_bytes = match fetched.slice(location.offset, location.size) {
        Some(b) => b.to_vec(),
        None => {
            client
                .fetch_range(
                    &file.url,
                    ByteRange::Span {
                        start: location.offset,
                        len: location.size,
                    },
                )
                .await?
                .body
        }
    };
    let members = zip_directory::read_directory(&directory_bytes, location.entries)
        .map_err(|e| unreadable(file, e))?;
    let dist_info = dist_info_dir(&members, project, version)
        .ok_or_else(|| unreadable(file, "no .dist-info directory with METADATA"))?;
    let member = |name: &str| {
        members
            .iter()
            .find(|m| m.name == format!("{dist_info}/{name}"))
    };
    let metadata_member = member("METADATA").ok_or_else(|| unreadable(file, "no METADATA"))?;
    let metadata =
        CoreMetadata::parse(&read_member(client, file, &fetched, metadata_member).await?)
            .map_err(|e| unreadable(file, format!("METADATA: {e}")))?;
    let record = match member("RECORD") {
        Some(m) => Some(parse_record(&read_member(client, file, &fetched, m).await?)),
        None => None,
    };
    let entry_points = match member("entry_points.txt") {
        Some(m) => Some(parse_entry_points(
            &read_member(client, file, &fetched, m).await?,
        )),
        None => Some(EntryPoints::default()),
    };
    Ok(Acquired {
        metadata,
        record,
        entry_points,
        source: if whole {
            MetadataSource::WheelDownload
        } else {
            MetadataSource::WheelRange
        },
        filename: file.filename.to_string(),
    })
}

/// The `.dist-info` directory at the top of the wheel: the one named for the project when there
/// are several (a wheel may vendor others), else the only one holding a METADATA.
fn dist_info_dir(members: &[Member], project: &str, version: &Version) -> Option<String> {
    let candidates: Vec<&str> = members
        .iter()
        .filter_map(|m| m.name.strip_suffix("/METADATA"))
        .filter(|dir| dir.ends_with(".dist-info") && !dir.contains('/'))
        .collect();
    let wanted = common::python::normalize_name(project);
    candidates
        .iter()
        .find(|dir| {
            let stem = dir.trim_end_matches(".dist-info");
            stem.rsplit_once('-').is_some_and(|(name, v)| {
                common::python::normalize_name(name) == wanted
                    && v.parse::<Version>().is_ok_and(|v| &v == version)
            })
        })
        .or_else(|| (candidates.len() == 1).then(|| &candidates[0]))
        .map(|s| (*s).to_owned())
}

async fn read_member(
    client: &IndexClient,
    file: &IndexFile,
    fetched: &Fetched,
    member: &Member,
) -> Result<Vec<u8>, AcquireError> {
    let (start, len) = zip_directory::member_span(member);
    let len = len.min(fetched.total.saturating_sub(start));
    let span = match fetched.slice(start, len) {
        Some(b) => b.to_vec(),
        None => {
            client
                .fetch_range(&file.url, ByteRange::Span { start, len })
                .await?
                .body
        }
    };
    let data_at = zip_directory::data_offset(&span).map_err(|e| unreadable(file, e))?;
    let data = usize::try_from(data_at)
        .ok()
        .and_then(|at| span.get(at..))
        .ok_or_else(|| unreadable(file, ZipError::Damaged("a member's data is missing".into())))?;
    zip_directory::extract(member, data, MEMBER_LIMIT).map_err(|e| unreadable(file, e))
}

async fn read_sdist(client: &IndexClient, file: &IndexFile) -> Result<Acquired, AcquireError> {
    let bytes = client.download(file, SDIST_LIMIT).await?;
    let files = sdist_files(&bytes, &file.filename).map_err(|e| unreadable(file, e))?;
    let pkg_info = files
        .pkg_info
        .as_deref()
        .ok_or_else(|| unreadable(file, "no PKG-INFO at the top of the sdist"))?;
    let metadata =
        CoreMetadata::parse(pkg_info).map_err(|e| unreadable(file, format!("PKG-INFO: {e}")))?;
    let (metadata, source) = match trustworthy(&metadata) {
        Ok(()) => (metadata, MetadataSource::Sdist),
        Err(reason) => {
            let found = static_metadata::read(&files).map_err(|why| {
                AcquireError::Unavailable(format!("{}: {reason}; {why}", file.filename))
            })?;
            let text = static_metadata::merged_metadata(&metadata, &found);
            let merged = CoreMetadata::parse(text.as_bytes())
                .map_err(|e| unreadable(file, format!("PKG-INFO: {e}")))?;
            (merged, found.source.unwrap_or(MetadataSource::Sdist))
        }
    };
    Ok(Acquired {
        metadata,
        record: None,
        entry_points: None,
        source,
        filename: file.filename.to_string(),
    })
}

/// PEP 643: an sdist's PKG-INFO can be believed for dependencies from Metadata-Version 2.2 on,
/// unless it lists `Requires-Dist` (or `Requires-Python`) as dynamic.
pub fn trustworthy(metadata: &CoreMetadata) -> Result<(), String> {
    let version = metadata.metadata_version().unwrap_or("1.0");
    let at_least_2_2 = version
        .parse::<Version>()
        .is_ok_and(|v| v >= Version::new([2, 2]));
    if !at_least_2_2 {
        return Err(format!(
            "its PKG-INFO is Metadata-Version {version}, which does not promise static dependencies (2.2 or later does)"
        ));
    }
    let dynamic: Vec<&str> = metadata.get_all("Dynamic");
    if let Some(field) = dynamic.iter().find(|d| {
        d.eq_ignore_ascii_case("Requires-Dist") || d.eq_ignore_ascii_case("Requires-Python")
    }) {
        return Err(format!("its PKG-INFO declares {field} dynamic"));
    }
    Ok(())
}

/// Collects the members of an sdist that state metadata without a build.
#[derive(Default)]
struct Collector {
    files: static_metadata::SdistFiles,
    /// Depth of the shallowest egg-info directory seen, and of the members kept from it.
    egg_depth: Option<usize>,
    requires_depth: Option<usize>,
    egg_pkg_info_depth: Option<usize>,
}

impl Collector {
    /// Whether the member at `path` is wanted (then `keep` gets its bytes).
    fn wants(&mut self, path: &str) -> Option<static_metadata::Member> {
        use static_metadata::Member;
        let (member, depth) = static_metadata::classify(path)?;
        let egg_depth = match member {
            Member::EggDir | Member::EggRequires | Member::EggPkgInfo => Some(depth),
            _ => None,
        };
        if let Some(d) = egg_depth {
            self.files.egg_info = true;
            self.egg_depth = Some(self.egg_depth.map_or(d, |e| e.min(d)));
        }
        let wanted = match member {
            Member::PkgInfo => self.files.pkg_info.is_none(),
            Member::SetupCfg => self.files.setup_cfg.is_none(),
            Member::Pyproject => self.files.pyproject.is_none(),
            Member::EggRequires => self.requires_depth.is_none_or(|r| depth < r),
            Member::EggPkgInfo => self.egg_pkg_info_depth.is_none_or(|r| depth < r),
            Member::EggDir => false,
        };
        wanted.then_some(member)
    }

    fn keep(&mut self, path: &str, member: static_metadata::Member, bytes: Vec<u8>) {
        use static_metadata::Member;
        let depth = static_metadata::classify(path).map_or(0, |(_, d)| d);
        match member {
            Member::PkgInfo => self.files.pkg_info = Some(bytes),
            Member::SetupCfg => self.files.setup_cfg = Some(bytes),
            Member::Pyproject => self.files.pyproject = Some(bytes),
            Member::EggRequires => {
                self.requires_depth = Some(depth);
                self.files.egg_requires = Some(bytes);
            }
            Member::EggPkgInfo => {
                self.egg_pkg_info_depth = Some(depth);
                self.files.egg_pkg_info = Some(bytes);
            }
            Member::EggDir => {}
        }
    }

    /// The files, keeping egg-info members only from the shallowest egg-info directory.
    fn finish(mut self) -> static_metadata::SdistFiles {
        if self.requires_depth != self.egg_depth {
            self.files.egg_requires = None;
        }
        if self.egg_pkg_info_depth != self.egg_depth {
            self.files.egg_pkg_info = None;
        }
        self.files
    }
}

/// The metadata-bearing members of an sdist (`.tar.gz`, `.tar` or `.zip`, by its file name).
pub fn sdist_files(bytes: &[u8], filename: &str) -> Result<static_metadata::SdistFiles, String> {
    if filename.ends_with(".zip") {
        files_from_zip(bytes)
    } else {
        files_from_tar(bytes, filename)
    }
}

fn files_from_tar(bytes: &[u8], filename: &str) -> Result<static_metadata::SdistFiles, String> {
    let reader: Box<dyn Read> = if filename.ends_with(".tar.gz") || filename.ends_with(".tgz") {
        Box::new(flate2::read::GzDecoder::new(bytes))
    } else if filename.ends_with(".tar") {
        Box::new(bytes)
    } else {
        return Err(
            "an sdist format the solver does not read (only .tar.gz, .tar and .zip)".into(),
        );
    };
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    let mut collector = Collector::default();
    for entry in entries {
        let entry = entry.map_err(|e| format!("damaged tar archive: {e}"))?;
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(member) = collector.wants(&path) else {
            continue;
        };
        let mut out = Vec::new();
        entry
            .take(MEMBER_LIMIT + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("damaged tar archive: {e}"))?;
        if out.len() as u64 > MEMBER_LIMIT {
            return Err(format!("{path} is larger than {MEMBER_LIMIT} bytes"));
        }
        collector.keep(&path, member, out);
    }
    Ok(collector.finish())
}

fn files_from_zip(bytes: &[u8]) -> Result<static_metadata::SdistFiles, String> {
    let location = zip_directory::locate_directory(bytes, 0).map_err(|e| e.to_string())?;
    let directory = usize::try_from(location.offset)
        .ok()
        .zip(usize::try_from(location.offset + location.size).ok())
        .and_then(|(a, b)| bytes.get(a..b))
        .ok_or("damaged zip file: the central directory is outside the file")?;
    let members =
        zip_directory::read_directory(directory, location.entries).map_err(|e| e.to_string())?;
    let mut collector = Collector::default();
    for member in &members {
        let Some(kind) = collector.wants(&member.name) else {
            continue;
        };
        let local = usize::try_from(member.local_header_offset)
            .ok()
            .and_then(|at| bytes.get(at..))
            .ok_or("damaged zip file: a member is outside the file")?;
        let at = zip_directory::data_offset(local).map_err(|e| e.to_string())?;
        let data = usize::try_from(at)
            .ok()
            .and_then(|at| local.get(at..))
            .ok_or("damaged zip file: a member's data is missing")?;
        let content =
            zip_directory::extract(member, data, MEMBER_LIMIT).map_err(|e| e.to_string())?;
        collector.keep(&member.name, kind, content);
    }
    Ok(collector.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkg_info_must_be_static() {
        let m = |t: &str| CoreMetadata::parse(t.as_bytes()).expect("parse");
        assert!(trustworthy(&m("Metadata-Version: 2.2\nName: a\nVersion: 1\n")).is_ok());
        assert!(trustworthy(&m("Metadata-Version: 2.1\nName: a\nVersion: 1\n")).is_err());
        assert!(
            trustworthy(&m(
                "Metadata-Version: 2.4\nName: a\nVersion: 1\nDynamic: Requires-Dist\n"
            ))
            .is_err()
        );
        assert!(
            trustworthy(&m(
                "Metadata-Version: 2.3\nName: a\nVersion: 1\nDynamic: Classifier\n"
            ))
            .is_ok()
        );
    }

    /// An sdist made by old setuptools: PKG-INFO 1.0, the egg-info at the top with
    /// requires.txt, and a vendored egg-info deeper that must not be read.
    #[test]
    fn old_sdist_members_from_the_shallowest_egg_info() {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        for (path, content) in [
            (
                "a-1.0/PKG-INFO",
                "Metadata-Version: 1.0\nName: a\nVersion: 1.0\n",
            ),
            ("a-1.0/a.egg-info/requires.txt", "b>=1\n"),
            (
                "a-1.0/a.egg-info/PKG-INFO",
                "Metadata-Version: 1.2\nName: a\nVersion: 1.0\nRequires-Python: >=3.6\n",
            ),
            ("a-1.0/vendor/x/x.egg-info/requires.txt", "wrong\n"),
            ("a-1.0/setup.py", "raise SystemExit"),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, path, content.as_bytes())
                .expect("tar");
        }
        let bytes = tar.into_inner().expect("tar").finish().expect("gz");
        let files = sdist_files(&bytes, "a-1.0.tar.gz").expect("reads");
        assert_eq!(files.egg_requires.as_deref(), Some(&b"b>=1\n"[..]));
        let found = static_metadata::read(&files).expect("static");
        assert_eq!(found.requires_dist, ["b>=1"]);
        assert_eq!(found.requires_python.as_deref(), Some(">=3.6"));
        assert_eq!(found.source, Some(MetadataSource::SdistEggInfo));
    }
}
