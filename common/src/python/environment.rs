//! The Python installation a question is asked about: what its markers evaluate to (PEP 508) and
//! which wheel tags it accepts.
//!
//! The analyzers never ask about the Python they run under (there usually is none): a solver or a
//! checker is told which interpreter and platform to reason about, either as the full set of PEP 508
//! marker values (as `python -c 'import packaging.markers; ...default_environment()'` prints them,
//! and as Thoth's solver documents record them) or as a short "python 3.11 on linux-x86_64".

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
use serde_json::{Map, Value};

/// The marker variables a full environment description must give, in PEP 508 order.
pub const MARKER_KEYS: [&str; 11] = [
    "implementation_name",
    "implementation_version",
    "os_name",
    "platform_machine",
    "platform_python_implementation",
    "platform_release",
    "platform_system",
    "platform_version",
    "python_full_version",
    "python_version",
    "sys_platform",
];

/// glibc version assumed for a Linux target when none is given: 2.28 is what RHEL/UBI 8 (Thoth's
/// usual target), Debian 10 and `manylinux_2_28` images ship, so wheels built for it or older fit.
pub const DEFAULT_GLIBC: (u16, u16) = (2, 28);
/// musl version assumed for a `musllinux` target when none is given (Alpine 3.17+ ships 1.2.x).
pub const DEFAULT_MUSL: (u16, u16) = (1, 2);
/// macOS version assumed when none is given: 12.0 (Monterey), old enough to be a floor most wheels
/// meet, new enough to be past the 10.x/11 arm64 transition.
pub const DEFAULT_MACOS: (u16, u16) = (12, 0);

/// Why a target environment could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvironmentError {
    /// The JSON given for the marker values is not an object.
    #[error("the marker environment must be a JSON object of marker names to strings")]
    NotAnObject,
    /// A marker value is missing from the JSON object.
    #[error("the marker environment lacks `{0}`")]
    MissingKey(&'static str),
    /// A marker value is present but not a string.
    #[error("the marker environment's `{0}` is not a string")]
    NotAString(&'static str),
    /// A version-valued marker (python_version, ...) does not parse as a PEP 440 version.
    #[error("`{key}` = {value:?} is not a PEP 440 version: {reason}")]
    BadVersion {
        /// The marker name.
        key: &'static str,
        /// The value given.
        value: String,
        /// What the version parser said.
        reason: String,
    },
    /// The python shorthand is not `3.11`, `3.11.4`, `pypy3.10`, ...
    #[error("python {0:?} is not a version like `3.11`, `3.11.4` or `pypy3.10`")]
    BadPython(String),
    /// The platform shorthand is not one of the documented forms.
    #[error(
        "platform {0:?} is not one of linux[-ARCH], manylinux[-ARCH], manylinux_X_Y_ARCH, \
         musllinux[-ARCH], musllinux_X_Y_ARCH, macos[-ARCH], macos-X.Y-ARCH, windows[-ARCH]"
    )]
    BadPlatform(String),
}

/// The Python implementation, as wheel tags and `platform_python_implementation` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Implementation {
    /// CPython: tag prefix `cp`, ABI tags `cp311`, `abi3`.
    CPython,
    /// PyPy: tag prefix `pp`, ABI tags like `pypy310_pp73`.
    PyPy,
    /// Anything else, by its `platform_python_implementation` value (`Jython`, `IronPython`, ...).
    Other(String),
}

impl Implementation {
    fn from_marker(platform_python_implementation: &str) -> Self {
        match platform_python_implementation {
            "CPython" => Self::CPython,
            "PyPy" => Self::PyPy,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The two-letter prefix of this implementation's python tags (`cp`, `pp`, `jy`, `ip`).
    pub fn tag_prefix(&self) -> Option<&'static str> {
        match self {
            Self::CPython => Some("cp"),
            Self::PyPy => Some("pp"),
            Self::Other(name) => match name.as_str() {
                "Jython" => Some("jy"),
                "IronPython" => Some("ip"),
                _ => None,
            },
        }
    }
}

/// The C library of a Linux target, which decides between manylinux and musllinux wheels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Libc {
    /// glibc `major.minor`: accepts `manylinux_X_Y` with `X.Y` at most this (PEP 600).
    Glibc(u16, u16),
    /// musl `major.minor`: accepts `musllinux_X_Y` with `X.Y` at most this (PEP 656).
    Musl(u16, u16),
}

/// The operating system and architecture, as far as wheel platform tags care.
///
/// Architectures are kept in the spelling wheel tags use: `x86_64`, `aarch64`, `i686`, ... on Linux;
/// `x86_64`, `arm64` on macOS; `amd64`, `arm64`, `win32` on Windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetPlatform {
    /// Linux with the given architecture and C library.
    Linux {
        /// `x86_64`, `aarch64`, `i686`, `ppc64le`, `s390x`, `armv7l`, ...
        arch: String,
        /// glibc or musl, with its version.
        libc: Libc,
    },
    /// macOS with the given architecture and OS version.
    MacOs {
        /// `x86_64` or `arm64`.
        arch: String,
        /// `major.minor` of the OS.
        version: (u16, u16),
    },
    /// Windows; `arch` is `amd64`, `arm64` or `win32` (32-bit x86).
    Windows {
        /// `amd64`, `arm64` or `win32`.
        arch: String,
    },
    /// A platform no wheel tag describes beyond `any` (e.g. `sys_platform` = `cygwin`).
    Other,
}

/// A Python interpreter on a platform: the PEP 508 marker values plus what wheel tag matching needs.
///
/// Built either from a full JSON description of the marker values ([`Self::from_marker_json`]) or
/// from a shorthand ([`Self::from_shorthand`]); both keep the marker values and the tag view
/// consistent, because the tag view is derived from the marker values (and, on Linux and macOS,
/// the libc/OS version, which markers do not carry).
#[derive(Debug, Clone)]
pub struct TargetEnvironment {
    markers: MarkerEnvironment,
    python: (u64, u64),
    implementation: Implementation,
    platform: TargetPlatform,
}

impl TargetEnvironment {
    /// Builds the environment from a JSON object holding every key of [`MARKER_KEYS`] as a string.
    ///
    /// Keys other than those are ignored. The platform for wheel tags is derived from
    /// `sys_platform` and `platform_machine`; a Linux target is assumed to use glibc
    /// [`DEFAULT_GLIBC`] and macOS to be [`DEFAULT_MACOS`] (override with [`Self::with_platform`]).
    pub fn from_marker_json(value: &Value) -> Result<Self, EnvironmentError> {
        let object = value.as_object().ok_or(EnvironmentError::NotAnObject)?;
        let get = |key: &'static str| -> Result<&str, EnvironmentError> {
            object
                .get(key)
                .ok_or(EnvironmentError::MissingKey(key))?
                .as_str()
                .ok_or(EnvironmentError::NotAString(key))
        };
        let builder = MarkerEnvironmentBuilder {
            implementation_name: get("implementation_name")?,
            implementation_version: get("implementation_version")?,
            os_name: get("os_name")?,
            platform_machine: get("platform_machine")?,
            platform_python_implementation: get("platform_python_implementation")?,
            platform_release: get("platform_release")?,
            platform_system: get("platform_system")?,
            platform_version: get("platform_version")?,
            python_full_version: get("python_full_version")?,
            python_version: get("python_version")?,
            sys_platform: get("sys_platform")?,
        };
        Self::from_builder(builder)
    }

    fn from_builder(builder: MarkerEnvironmentBuilder<'_>) -> Result<Self, EnvironmentError> {
        for (key, value) in [
            ("implementation_version", builder.implementation_version),
            ("python_full_version", builder.python_full_version),
            ("python_version", builder.python_version),
        ] {
            if let Err(err) = value.parse::<pep440_rs::Version>() {
                return Err(EnvironmentError::BadVersion {
                    key,
                    value: value.to_owned(),
                    reason: err.to_string(),
                });
            }
        }
        let python =
            major_minor(builder.python_version).ok_or_else(|| EnvironmentError::BadVersion {
                key: "python_version",
                value: builder.python_version.to_owned(),
                reason: "expected MAJOR.MINOR".to_owned(),
            })?;
        let implementation = Implementation::from_marker(builder.platform_python_implementation);
        let platform = platform_from_markers(builder.sys_platform, builder.platform_machine);
        let markers = MarkerEnvironment::try_from(builder).map_err(|err| {
            // Unreachable after the checks above, but reported rather than unwrapped.
            EnvironmentError::BadVersion {
                key: "python_full_version",
                value: String::new(),
                reason: err.to_string(),
            }
        })?;
        Ok(Self {
            markers,
            python,
            implementation,
            platform,
        })
    }

    /// Builds the environment from a Python version and a platform shorthand.
    ///
    /// `python` is `3.11` or `3.11.4` (CPython), optionally prefixed with `pypy` for PyPy. When only
    /// `MAJOR.MINOR` is given, `python_full_version` is `MAJOR.MINOR.0`.
    ///
    /// `platform` is one of (ARCH defaults to `x86_64`, `amd64` on Windows; `arm64` is accepted
    /// for `aarch64` on Linux and `amd64` for `x86_64` everywhere):
    /// - `linux[-ARCH]`, `manylinux[-ARCH]`: Linux with glibc [`DEFAULT_GLIBC`];
    /// - `manylinux_X_Y_ARCH`: Linux with glibc `X.Y`;
    /// - `musllinux[-ARCH]`, `musllinux_X_Y_ARCH`: Linux with musl [`DEFAULT_MUSL`] or `X.Y`;
    /// - `macos[-ARCH]`, `macos-X.Y-ARCH`: macOS [`DEFAULT_MACOS`] or `X.Y`;
    /// - `windows[-ARCH]` with ARCH `amd64`, `arm64` or `x86`/`win32`.
    ///
    /// The marker values not implied by these are: `platform_release` and `platform_version` empty
    /// (nothing in the shorthand says which kernel or OS build), `implementation_version` equal to
    /// `python_full_version` (true for CPython; for PyPy it is PyPy's own version, which the
    /// shorthand does not give), `os_name` `posix` or `nt`, `platform_system` `Linux`, `Darwin` or
    /// `Windows`, `sys_platform` `linux`, `darwin` or `win32`, and `platform_machine` as the OS
    /// reports it (`x86_64`/`aarch64` on Linux, `x86_64`/`arm64` on macOS, `AMD64`/`ARM64`/`x86`
    /// on Windows).
    pub fn from_shorthand(python: &str, platform: &str) -> Result<Self, EnvironmentError> {
        let python = python.trim();
        let (implementation, version) = match python.strip_prefix("pypy") {
            Some(rest) => (Implementation::PyPy, rest),
            None => (
                Implementation::CPython,
                python.strip_prefix("cpython").unwrap_or(python),
            ),
        };
        let bad_python = || EnvironmentError::BadPython(python.to_owned());
        let parts: Vec<&str> = version.split('.').collect();
        if !(2..=3).contains(&parts.len())
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad_python());
        }
        let python_version = format!("{}.{}", parts[0], parts[1]);
        let python_full_version = if parts.len() == 3 {
            version.to_owned()
        } else {
            format!("{python_version}.0")
        };
        let target = parse_platform_shorthand(platform)
            .ok_or_else(|| EnvironmentError::BadPlatform(platform.to_owned()))?;
        let (os_name, platform_system, sys_platform, machine) = match &target {
            TargetPlatform::Linux { arch, .. } => ("posix", "Linux", "linux", arch.clone()),
            TargetPlatform::MacOs { arch, .. } => ("posix", "Darwin", "darwin", arch.clone()),
            TargetPlatform::Windows { arch } => (
                "nt",
                "Windows",
                "win32",
                match arch.as_str() {
                    "amd64" => "AMD64".to_owned(),
                    "arm64" => "ARM64".to_owned(),
                    _ => "x86".to_owned(),
                },
            ),
            TargetPlatform::Other => {
                return Err(EnvironmentError::BadPlatform(platform.to_owned()));
            }
        };
        let (implementation_name, platform_python_implementation) = match implementation {
            Implementation::PyPy => ("pypy", "PyPy"),
            _ => ("cpython", "CPython"),
        };
        let builder = MarkerEnvironmentBuilder {
            implementation_name,
            implementation_version: &python_full_version,
            os_name,
            platform_machine: &machine,
            platform_python_implementation,
            platform_release: "",
            platform_system,
            platform_version: "",
            python_full_version: &python_full_version,
            python_version: &python_version,
            sys_platform,
        };
        let env = Self::from_builder(builder).map_err(|_| bad_python())?;
        Ok(env.with_platform(target))
    }

    /// Replaces the platform used for wheel tags (e.g. to give the real glibc version); the marker
    /// values stay as they are.
    #[must_use]
    pub fn with_platform(mut self, platform: TargetPlatform) -> Self {
        self.platform = platform;
        self
    }

    /// The PEP 508 marker values.
    pub fn markers(&self) -> &MarkerEnvironment {
        &self.markers
    }

    /// `(major, minor)` of the Python language version.
    pub fn python_version(&self) -> (u64, u64) {
        self.python
    }

    /// The Python implementation.
    pub fn implementation(&self) -> &Implementation {
        &self.implementation
    }

    /// The platform as wheel tags see it.
    pub fn platform(&self) -> &TargetPlatform {
        &self.platform
    }

    /// The marker values as a JSON object with the keys of [`MARKER_KEYS`], the shape
    /// [`Self::from_marker_json`] reads and Thoth's documents record as `environment`.
    pub fn to_marker_json(&self) -> Map<String, Value> {
        let m = &self.markers;
        let values = [
            m.implementation_name().to_owned(),
            m.implementation_version().to_string(),
            m.os_name().to_owned(),
            m.platform_machine().to_owned(),
            m.platform_python_implementation().to_owned(),
            m.platform_release().to_owned(),
            m.platform_system().to_owned(),
            m.platform_version().to_owned(),
            m.python_full_version().to_string(),
            m.python_version().to_string(),
            m.sys_platform().to_owned(),
        ];
        MARKER_KEYS
            .iter()
            .zip(values)
            .map(|(k, v)| ((*k).to_owned(), Value::String(v)))
            .collect()
    }
}

fn major_minor(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

/// The tag platform implied by `sys_platform` and `platform_machine`.
fn platform_from_markers(sys_platform: &str, machine: &str) -> TargetPlatform {
    let machine_lower = machine.to_ascii_lowercase();
    if sys_platform.starts_with("linux") {
        TargetPlatform::Linux {
            arch: linux_arch(&machine_lower),
            libc: Libc::Glibc(DEFAULT_GLIBC.0, DEFAULT_GLIBC.1),
        }
    } else if sys_platform == "darwin" {
        TargetPlatform::MacOs {
            arch: if machine_lower == "arm64" || machine_lower == "aarch64" {
                "arm64".to_owned()
            } else {
                "x86_64".to_owned()
            },
            version: DEFAULT_MACOS,
        }
    } else if sys_platform == "win32" {
        TargetPlatform::Windows {
            arch: windows_arch(&machine_lower).unwrap_or_else(|| "amd64".to_owned()),
        }
    } else {
        TargetPlatform::Other
    }
}

fn linux_arch(arch: &str) -> String {
    match arch {
        "amd64" => "x86_64".to_owned(),
        "arm64" => "aarch64".to_owned(),
        other => other.to_owned(),
    }
}

fn windows_arch(arch: &str) -> Option<String> {
    match arch {
        "amd64" | "x86_64" => Some("amd64".to_owned()),
        "arm64" | "aarch64" => Some("arm64".to_owned()),
        "x86" | "win32" | "i686" | "i386" => Some("win32".to_owned()),
        _ => None,
    }
}

/// Parses `X_Y_ARCH` (the part after `manylinux_` / `musllinux_`).
fn versioned_linux(rest: &str) -> Option<(u16, u16, String)> {
    let mut parts = rest.splitn(3, '_');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let arch = parts.next().filter(|a| !a.is_empty())?;
    Some((major, minor, linux_arch(arch)))
}

fn parse_platform_shorthand(platform: &str) -> Option<TargetPlatform> {
    let platform = platform.trim().to_ascii_lowercase();
    let (family, rest) = match platform.split_once('-') {
        Some((family, rest)) => (family, Some(rest)),
        None => (platform.as_str(), None),
    };
    if let Some(versioned) = family.strip_prefix("manylinux_") {
        let (major, minor, arch) = versioned_linux(versioned).filter(|_| rest.is_none())?;
        return Some(TargetPlatform::Linux {
            arch,
            libc: Libc::Glibc(major, minor),
        });
    }
    if let Some(versioned) = family.strip_prefix("musllinux_") {
        let (major, minor, arch) = versioned_linux(versioned).filter(|_| rest.is_none())?;
        return Some(TargetPlatform::Linux {
            arch,
            libc: Libc::Musl(major, minor),
        });
    }
    match family {
        "linux" | "manylinux" | "musllinux" => {
            let arch = linux_arch(rest.unwrap_or("x86_64"));
            if arch.is_empty() || arch.contains('-') {
                return None;
            }
            let libc = if family == "musllinux" {
                Libc::Musl(DEFAULT_MUSL.0, DEFAULT_MUSL.1)
            } else {
                Libc::Glibc(DEFAULT_GLIBC.0, DEFAULT_GLIBC.1)
            };
            Some(TargetPlatform::Linux { arch, libc })
        }
        "macos" | "macosx" | "darwin" => {
            let (version, arch) = match rest {
                None => (DEFAULT_MACOS, "x86_64"),
                Some(rest) => match rest.split_once('-') {
                    Some((version, arch)) => {
                        let (major, minor) = version.split_once('.').unwrap_or((version, "0"));
                        ((major.parse().ok()?, minor.parse().ok()?), arch)
                    }
                    None => (DEFAULT_MACOS, rest),
                },
            };
            let arch = match arch {
                "arm64" | "aarch64" => "arm64",
                "x86_64" | "amd64" => "x86_64",
                _ => return None,
            };
            Some(TargetPlatform::MacOs {
                arch: arch.to_owned(),
                version,
            })
        }
        "windows" | "win" => Some(TargetPlatform::Windows {
            arch: windows_arch(rest.unwrap_or("amd64"))?,
        }),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shorthand_linux_defaults() {
        let env = TargetEnvironment::from_shorthand("3.11", "linux-x86_64").unwrap();
        let json = env.to_marker_json();
        assert_eq!(json["python_version"], "3.11");
        assert_eq!(json["python_full_version"], "3.11.0");
        assert_eq!(json["sys_platform"], "linux");
        assert_eq!(json["platform_system"], "Linux");
        assert_eq!(json["os_name"], "posix");
        assert_eq!(json["platform_machine"], "x86_64");
        assert_eq!(json["implementation_name"], "cpython");
        assert_eq!(json["platform_python_implementation"], "CPython");
        assert_eq!(json["platform_release"], "");
        assert_eq!(env.python_version(), (3, 11));
        assert_eq!(
            env.platform(),
            &TargetPlatform::Linux {
                arch: "x86_64".into(),
                libc: Libc::Glibc(2, 28)
            }
        );
    }

    #[test]
    fn shorthand_forms() {
        let p = |s| TargetEnvironment::from_shorthand("3.12.1", s).unwrap();
        assert_eq!(p("manylinux").platform(), p("linux").platform());
        assert_eq!(
            p("manylinux_2_17_aarch64").platform(),
            &TargetPlatform::Linux {
                arch: "aarch64".into(),
                libc: Libc::Glibc(2, 17)
            }
        );
        assert_eq!(
            p("musllinux-arm64").platform(),
            &TargetPlatform::Linux {
                arch: "aarch64".into(),
                libc: Libc::Musl(1, 2)
            }
        );
        let mac = p("macos-arm64");
        assert_eq!(mac.markers().sys_platform(), "darwin");
        assert_eq!(mac.markers().platform_machine(), "arm64");
        assert_eq!(
            p("macos-10.9-x86_64").platform(),
            &TargetPlatform::MacOs {
                arch: "x86_64".into(),
                version: (10, 9)
            }
        );
        let win = p("windows-amd64");
        assert_eq!(win.markers().sys_platform(), "win32");
        assert_eq!(win.markers().os_name(), "nt");
        assert_eq!(win.markers().platform_machine(), "AMD64");
        assert_eq!(win.markers().python_full_version().to_string(), "3.12.1");
        let pypy = TargetEnvironment::from_shorthand("pypy3.10", "linux").unwrap();
        assert_eq!(pypy.implementation(), &Implementation::PyPy);
        assert_eq!(pypy.markers().implementation_name(), "pypy");
    }

    #[test]
    fn shorthand_errors() {
        assert_eq!(
            TargetEnvironment::from_shorthand("three", "linux").unwrap_err(),
            EnvironmentError::BadPython("three".into())
        );
        assert!(matches!(
            TargetEnvironment::from_shorthand("3.11", "solaris").unwrap_err(),
            EnvironmentError::BadPlatform(_)
        ));
        assert!(TargetEnvironment::from_shorthand("3", "linux").is_err());
        assert!(TargetEnvironment::from_shorthand("3.11", "manylinux_2_x86_64").is_err());
        assert!(TargetEnvironment::from_shorthand("3.11", "macos-sparc").is_err());
    }

    #[test]
    fn json_round_trip_and_errors() {
        let value = json!({
            "implementation_name": "cpython",
            "implementation_version": "3.8.5",
            "os_name": "posix",
            "platform_machine": "aarch64",
            "platform_python_implementation": "CPython",
            "platform_release": "5.4.0-42-generic",
            "platform_system": "Linux",
            "platform_version": "#46-Ubuntu SMP",
            "python_full_version": "3.8.5",
            "python_version": "3.8",
            "sys_platform": "linux",
            "extra_key": "ignored",
        });
        let env = TargetEnvironment::from_marker_json(&value).unwrap();
        assert_eq!(env.python_version(), (3, 8));
        assert_eq!(
            env.platform(),
            &TargetPlatform::Linux {
                arch: "aarch64".into(),
                libc: Libc::Glibc(2, 28)
            }
        );
        let back = env.to_marker_json();
        assert_eq!(back.len(), 11);
        assert_eq!(back["platform_release"], "5.4.0-42-generic");

        let mut missing = value.clone();
        missing.as_object_mut().unwrap().remove("os_name");
        assert_eq!(
            TargetEnvironment::from_marker_json(&missing).unwrap_err(),
            EnvironmentError::MissingKey("os_name")
        );
        let mut bad = value.clone();
        bad["python_version"] = json!("three");
        assert!(matches!(
            TargetEnvironment::from_marker_json(&bad).unwrap_err(),
            EnvironmentError::BadVersion {
                key: "python_version",
                ..
            }
        ));
        bad["python_version"] = json!(3);
        assert_eq!(
            TargetEnvironment::from_marker_json(&bad).unwrap_err(),
            EnvironmentError::NotAString("python_version")
        );
        assert_eq!(
            TargetEnvironment::from_marker_json(&json!([])).unwrap_err(),
            EnvironmentError::NotAnObject
        );
    }
}
