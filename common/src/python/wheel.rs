//! Wheel filenames (`name-version(-build)?-pyver-abi-plat.whl`, PEP 427/491) and whether a wheel's
//! tags (PEP 425, PEP 600, PEP 656, PEP 384) fit a target environment.

use std::fmt;

use pep440_rs::Version;

use super::environment::{Implementation, Libc, TargetEnvironment, TargetPlatform};
use super::name::normalize_name;

/// Why a filename is not a wheel filename.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{filename:?} is not a wheel filename: {reason}")]
pub struct WheelFilenameError {
    /// The filename given.
    pub filename: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A wheel's build tag: a number, then optional text, ordering wheels of the same version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BuildTag {
    /// The leading digits.
    pub number: u64,
    /// Whatever follows them.
    pub suffix: String,
}

/// A parsed wheel filename. Every tag set holds at least one tag (compressed sets like
/// `py2.py3` are expanded), and the version is a valid PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelFilename {
    name: Box<str>,
    version: Version,
    build: Option<Box<BuildTag>>,
    /// `python-abi-platform` as the filename spells it (`cp311-cp311-manylinux_2_17_x86_64`),
    /// one allocation rather than three vectors of strings: an index page lists up to millions
    /// of wheels.
    tags: Box<str>,
    /// Where the ABI tags and the platform tags start in `tags`.
    abi_at: u32,
    platform_at: u32,
}

impl WheelFilename {
    /// Parses a wheel filename (no directory part).
    pub fn parse(filename: &str) -> Result<Self, WheelFilenameError> {
        let fail = |reason: &str| WheelFilenameError {
            filename: filename.to_owned(),
            reason: reason.to_owned(),
        };
        let stem = filename
            .strip_suffix(".whl")
            .ok_or_else(|| fail("it does not end in `.whl`"))?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, build, python, abi, platform) = match parts[..] {
            [name, version, python, abi, platform] => (name, version, None, python, abi, platform),
            [name, version, build, python, abi, platform] => {
                (name, version, Some(build), python, abi, platform)
            }
            _ => {
                return Err(fail(
                    "expected 5 or 6 `-`-separated parts: name-version(-build)?-python-abi-platform",
                ));
            }
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(fail(&format!(
                "the name {name:?} is empty or holds characters other than letters, digits, `_` and `.`"
            )));
        }
        let version: Version = version
            .parse()
            .map_err(|err| fail(&format!("the version {version:?} is not PEP 440: {err}")))?;
        let build = build
            .map(|b| {
                let digits = b.bytes().take_while(u8::is_ascii_digit).count();
                let number = b[..digits].parse().map_err(|_| {
                    fail(&format!("the build tag {b:?} does not start with a digit"))
                })?;
                Ok(BuildTag {
                    number,
                    suffix: b[digits..].to_owned(),
                })
            })
            .transpose()?;
        for (set, what) in [(python, "python"), (abi, "ABI"), (platform, "platform")] {
            if set
                .split('.')
                .any(|t| t.is_empty() || !t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                return Err(fail(&format!("the {what} tag set {set:?} is malformed")));
            }
        }
        let at = |len: usize| u32::try_from(len).map_err(|_| fail("the name is too long"));
        Ok(Self {
            name: name.into(),
            version,
            build: build.map(Box::new),
            abi_at: at(python.len() + 1)?,
            platform_at: at(python.len() + abi.len() + 2)?,
            tags: format!("{python}-{abi}-{platform}").into_boxed_str(),
        })
    }

    /// The distribution name as escaped in the filename (`typing_extensions`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PEP 503 normalised name (`typing-extensions`).
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

    /// The build tag, if any.
    pub fn build(&self) -> Option<&BuildTag> {
        self.build.as_deref()
    }

    /// The compressed tag sets as the filename spells them: `python-abi-platform`
    /// (`py2.py3-none-any`).
    pub fn tags(&self) -> &str {
        &self.tags
    }

    /// Python tags (`cp311`, `py3`, ...).
    pub fn python_tags(&self) -> std::str::Split<'_, char> {
        self.tags[..self.abi_at as usize - 1].split('.')
    }

    /// ABI tags (`cp311`, `abi3`, `none`, ...).
    pub fn abi_tags(&self) -> std::str::Split<'_, char> {
        self.tags[self.abi_at as usize..self.platform_at as usize - 1].split('.')
    }

    /// Platform tags (`manylinux_2_17_x86_64`, `any`, ...).
    pub fn platform_tags(&self) -> std::str::Split<'_, char> {
        self.tags[self.platform_at as usize..].split('.')
    }

    /// The bytes this name holds on the heap, beyond the version (for a page's memory
    /// estimate).
    pub fn heap_bytes(&self) -> usize {
        self.name.len()
            + self.tags.len()
            + self
                .build
                .as_ref()
                .map_or(0, |b| std::mem::size_of::<BuildTag>() + b.suffix.len())
    }

    /// Whether any `python-abi-platform` combination of this wheel's tags runs in `env`.
    pub fn is_compatible(&self, env: &TargetEnvironment) -> bool {
        self.platform_tags()
            .any(|platform| platform_fits(platform, env.platform()))
            && self
                .python_tags()
                .any(|python| self.abi_tags().any(|abi| python_abi_fits(python, abi, env)))
    }
}

impl fmt::Display for WheelFilename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version)?;
        if let Some(build) = &self.build {
            write!(f, "-{}{}", build.number, build.suffix)?;
        }
        write!(f, "-{}.whl", self.tags)
    }
}

/// `3`, `311`, `27` as (major, minor); a bare major gives `None` for the minor.
fn tag_version(digits: &str) -> Option<(u64, Option<u64>)> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let major = digits[..1].parse().ok()?;
    let minor = if digits.len() > 1 {
        Some(digits[1..].parse().ok()?)
    } else {
        None
    };
    Some((major, minor))
}

/// Whether a python tag + ABI tag pair runs on the target interpreter (PEP 425 as `packaging`'s
/// `sys_tags` orders it):
/// - `pyX` / `pyXY` with ABI `none`: any implementation, same major, minor not newer;
/// - `cpXY` with ABI `cpXY` (or `cpXYm` before 3.8) or `none`: CPython X.Y exactly;
/// - `cpXY` with ABI `abi3`: CPython, same major, X.Y not newer (the stable ABI, PEP 384);
/// - `ppXY` / other implementation tags: that implementation, X.Y exactly, any ABI tag the
///   implementation itself names (`pypy310_pp73`) or `none`.
///
/// Free-threaded (`cp313t`) and debug (`cp311d`) ABIs are not accepted: the target description
/// does not say the interpreter is built that way, and normally it is not.
fn python_abi_fits(python: &str, abi: &str, env: &TargetEnvironment) -> bool {
    let (major, minor) = env.python_version();
    if python.len() < 3 || !python.is_char_boundary(2) {
        return false;
    }
    let (prefix, digits) = python.split_at(2);
    let Some((tag_major, tag_minor)) = tag_version(digits) else {
        return false;
    };
    if prefix == "py" {
        return abi == "none" && tag_major == major && tag_minor.is_none_or(|m| m <= minor);
    }
    if Some(prefix) != env.implementation().tag_prefix() {
        return false;
    }
    let exact = tag_major == major && tag_minor == Some(minor);
    match env.implementation() {
        Implementation::CPython => {
            let own = format!("cp{major}{minor}");
            if abi == "abi3" {
                tag_major == major && tag_minor.is_some_and(|m| m <= minor)
            } else {
                exact
                    && (abi == "none"
                        || abi == own
                        || (abi == format!("{own}m") && (major, minor) < (3, 8)))
            }
        }
        Implementation::PyPy => exact && (abi == "none" || abi.starts_with("pypy")),
        Implementation::Other(_) => exact && (abi == "none" || abi.starts_with(prefix)),
    }
}

/// The legacy manylinux names and the glibc they stand for (PEP 513, 571, 599).
fn legacy_manylinux(tag: &str) -> Option<((u16, u16), &str)> {
    for (prefix, glibc) in [
        ("manylinux1_", (2, 5)),
        ("manylinux2010_", (2, 12)),
        ("manylinux2014_", (2, 17)),
    ] {
        if let Some(arch) = tag.strip_prefix(prefix) {
            return Some((glibc, arch));
        }
    }
    None
}

/// `X_Y_ARCH` as ((X, Y), ARCH).
fn versioned(rest: &str) -> Option<((u16, u16), &str)> {
    let mut parts = rest.splitn(3, '_');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some(((major, minor), parts.next()?))
}

/// Whether a platform tag runs on the target platform.
/// - `any`: everywhere;
/// - Linux/glibc: `linux_ARCH`, `manylinux_X_Y_ARCH` (and the legacy `manylinux1`, `2010`,
///   `2014` names) with glibc X.Y not newer than the target's (PEP 600);
/// - Linux/musl: `linux_ARCH`, `musllinux_X_Y_ARCH` with musl X.Y not newer (PEP 656);
/// - macOS: `macosx_X_Y_FORMAT` with X.Y not newer than the target and a binary format the
///   architecture runs (`arm64`/`universal2` on Apple silicon; `x86_64`, `intel`, `fat64`,
///   `fat32`, `fat3`, `universal`, `universal2` on Intel);
/// - Windows: `win_amd64`, `win_arm64`, `win32` for the matching architecture.
fn platform_fits(tag: &str, platform: &TargetPlatform) -> bool {
    if tag == "any" {
        return true;
    }
    match platform {
        TargetPlatform::Linux { arch, libc } => {
            if tag.strip_prefix("linux_") == Some(arch.as_str()) {
                return true;
            }
            match libc {
                Libc::Glibc(major, minor) => {
                    let found = tag
                        .strip_prefix("manylinux_")
                        .and_then(versioned)
                        .or_else(|| legacy_manylinux(tag));
                    found.is_some_and(|(v, a)| a == arch && v <= (*major, *minor))
                }
                Libc::Musl(major, minor) => tag
                    .strip_prefix("musllinux_")
                    .and_then(versioned)
                    .is_some_and(|(v, a)| a == arch && v <= (*major, *minor)),
            }
        }
        TargetPlatform::MacOs { arch, version } => {
            let Some((tag_version, format)) = tag.strip_prefix("macosx_").and_then(versioned)
            else {
                return false;
            };
            let formats: &[&str] = if arch == "arm64" {
                &["arm64", "universal2"]
            } else {
                &[
                    "x86_64",
                    "intel",
                    "fat64",
                    "fat32",
                    "fat3",
                    "universal",
                    "universal2",
                ]
            };
            tag_version <= *version && formats.contains(&format)
        }
        TargetPlatform::Windows { arch } => match arch.as_str() {
            "win32" => tag == "win32",
            other => tag.strip_prefix("win_") == Some(other),
        },
        TargetPlatform::Other => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(python: &str, platform: &str) -> TargetEnvironment {
        TargetEnvironment::from_shorthand(python, platform).unwrap()
    }

    #[test]
    fn parses_and_expands_tag_sets() {
        let w = WheelFilename::parse("six-1.16.0-py2.py3-none-any.whl").unwrap();
        assert_eq!(w.name(), "six");
        assert_eq!(w.version().to_string(), "1.16.0");
        assert_eq!(w.python_tags().collect::<Vec<_>>(), ["py2", "py3"]);
        assert_eq!(w.abi_tags().collect::<Vec<_>>(), ["none"]);
        assert_eq!(w.platform_tags().collect::<Vec<_>>(), ["any"]);
        assert_eq!(w.tags(), "py2.py3-none-any");
        assert_eq!(w.build(), None);
        assert_eq!(w.to_string(), "six-1.16.0-py2.py3-none-any.whl");

        let w = WheelFilename::parse(
            "numpy-1.26.4-1local-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        )
        .unwrap();
        assert_eq!(
            w.build(),
            Some(&BuildTag {
                number: 1,
                suffix: "local".into()
            })
        );
        assert_eq!(w.platform_tags().count(), 2);
        let w = WheelFilename::parse("typing_extensions-4.4.0-py3-none-any.whl").unwrap();
        assert_eq!(w.normalized_name(), "typing-extensions");
    }

    #[test]
    fn rejects_bad_names_clearly() {
        for (bad, why) in [
            ("six-1.16.0-py2.py3-none-any.zip", "does not end in `.whl`"),
            ("six-1.16.0-none-any.whl", "5 or 6"),
            ("six-1.16.0-1-2-py3-none-any.whl", "5 or 6"),
            ("six-one-py3-none-any.whl", "not PEP 440"),
            ("six-1.0-x1-py3-none-any.whl", "build tag"),
            ("six-1.0-py3..py2-none-any.whl", "python tag set"),
            ("s!x-1.0-py3-none-any.whl", "name"),
            ("-1.0-py3-none-any.whl", "name"),
        ] {
            let err = WheelFilename::parse(bad).unwrap_err();
            assert!(err.to_string().contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn python_and_abi_matching() {
        let cp311 = env("3.11", "linux-x86_64");
        let fits =
            |f: &str, e: &TargetEnvironment| WheelFilename::parse(f).unwrap().is_compatible(e);
        assert!(fits("a-1-py3-none-any.whl", &cp311));
        assert!(fits("a-1-py311-none-any.whl", &cp311));
        assert!(!fits("a-1-py312-none-any.whl", &cp311));
        assert!(!fits("a-1-py2-none-any.whl", &cp311));
        assert!(fits("a-1-cp311-cp311-manylinux_2_17_x86_64.whl", &cp311));
        assert!(!fits("a-1-cp310-cp310-manylinux_2_17_x86_64.whl", &cp311));
        assert!(fits("a-1-cp38-abi3-manylinux2014_x86_64.whl", &cp311));
        assert!(!fits("a-1-cp312-abi3-manylinux2014_x86_64.whl", &cp311));
        assert!(fits("a-1-cp311-none-any.whl", &cp311));
        assert!(!fits(
            "a-1-cp313-cp313t-manylinux_2_17_x86_64.whl",
            &env("3.13", "linux")
        ));
        assert!(fits(
            "a-1-cp37-cp37m-manylinux1_x86_64.whl",
            &env("3.7", "linux")
        ));
        let pypy = env("pypy3.10", "linux");
        assert!(fits(
            "a-1-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl",
            &pypy
        ));
        assert!(!fits("a-1-cp310-cp310-manylinux_2_17_x86_64.whl", &pypy));
        assert!(!fits("a-1-cp38-abi3-manylinux_2_17_x86_64.whl", &pypy));
        assert!(fits("a-1-py3-none-any.whl", &pypy));
    }

    #[test]
    fn platform_matching() {
        let fits =
            |f: &str, e: &TargetEnvironment| WheelFilename::parse(f).unwrap().is_compatible(e);
        let linux = env("3.11", "linux-x86_64");
        assert!(fits("a-1-cp311-cp311-manylinux_2_28_x86_64.whl", &linux));
        assert!(!fits("a-1-cp311-cp311-manylinux_2_34_x86_64.whl", &linux));
        assert!(fits("a-1-cp311-cp311-manylinux1_x86_64.whl", &linux));
        assert!(fits("a-1-cp311-cp311-linux_x86_64.whl", &linux));
        assert!(!fits("a-1-cp311-cp311-manylinux_2_17_aarch64.whl", &linux));
        assert!(!fits("a-1-cp311-cp311-musllinux_1_1_x86_64.whl", &linux));
        assert!(!fits("a-1-cp311-cp311-win_amd64.whl", &linux));
        assert!(fits(
            "a-1-cp311-cp311-manylinux_2_34_x86_64.whl",
            &env("3.11", "manylinux_2_35_x86_64")
        ));
        let musl = env("3.11", "musllinux-x86_64");
        assert!(fits("a-1-cp311-cp311-musllinux_1_1_x86_64.whl", &musl));
        assert!(!fits("a-1-cp311-cp311-musllinux_1_3_x86_64.whl", &musl));
        assert!(!fits("a-1-cp311-cp311-manylinux_2_17_x86_64.whl", &musl));
        let mac = env("3.11", "macos-arm64");
        assert!(fits("a-1-cp311-cp311-macosx_11_0_arm64.whl", &mac));
        assert!(fits("a-1-cp311-cp311-macosx_10_9_universal2.whl", &mac));
        assert!(!fits("a-1-cp311-cp311-macosx_10_9_x86_64.whl", &mac));
        assert!(!fits("a-1-cp311-cp311-macosx_14_0_arm64.whl", &mac));
        assert!(fits(
            "a-1-cp311-cp311-macosx_10_9_x86_64.whl",
            &env("3.11", "macos-x86_64")
        ));
        let win = env("3.11", "windows-amd64");
        assert!(fits("a-1-cp311-cp311-win_amd64.whl", &win));
        assert!(!fits("a-1-cp311-cp311-win32.whl", &win));
        assert!(fits(
            "a-1-cp311-cp311-win32.whl",
            &env("3.11", "windows-x86")
        ));
    }
}
