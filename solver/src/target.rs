//! The environment the solver answers for: given as data (a marker JSON file, or a Python
//! version and a platform), or `host` for the machine it runs on. Without either, the target
//! is the machine's own `python3` (as uv resolves for the user's interpreter); without a
//! `python3`, a usage error asks for `--python-version`: an answer for a guessed interpreter
//! would look right and install wrong. The container image sets `THOTH_SOLVER_PYTHON_VERSION`.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::AnalyzerError;
use common::python::TargetEnvironment;

/// How long `python3` may take to describe itself.
const PYTHON3_TIMEOUT: Duration = Duration::from_secs(10);

/// What `python3` on the host says its marker values are.
const HOST_MARKERS: &str = "import json, os, platform, sys\n\
def v(i):\n    s = '{0.major}.{0.minor}.{0.micro}'.format(i)\n    return s if i.releaselevel == 'final' else s + i.releaselevel[0] + str(i.serial)\n\
print(json.dumps({'implementation_name': sys.implementation.name, 'implementation_version': v(sys.implementation.version), 'os_name': os.name, 'platform_machine': platform.machine(), 'platform_python_implementation': platform.python_implementation(), 'platform_release': platform.release(), 'platform_system': platform.system(), 'platform_version': platform.version(), 'python_full_version': platform.python_version(), 'python_version': '.'.join(platform.python_version_tuple()[:2]), 'sys_platform': sys.platform}))";

/// What `python3` says about itself for a default target: version, implementation, the
/// platform as sysconfig spells it, the glibc version (None on musl and other systems) and
/// the macOS version.
const HOST_TARGET: &str = "import json, os, platform, sys, sysconfig\n\
try:\n    libc = os.confstr('CS_GNU_LIBC_VERSION')\nexcept (AttributeError, ValueError, OSError):\n    libc = None\n\
print(json.dumps({'version': list(sys.version_info[:3]), 'releaselevel': sys.version_info[3], 'serial': sys.version_info[4], 'implementation': sys.implementation.name, 'platform': sysconfig.get_platform(), 'machine': platform.machine(), 'glibc': libc, 'mac_ver': platform.mac_ver()[0]}))";

/// The machine's architecture as Linux wheel tags spell it.
fn host_platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86" => "i686",
        "powerpc64" => "ppc64le",
        other => other,
    };
    match std::env::consts::OS {
        "macos" => format!("macos-{arch}"),
        "windows" => format!("windows-{arch}"),
        _ => format!("linux-{arch}"),
    }
}

/// How the target was chosen, for the document and the lock file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// From the options (or a marker file).
    Given,
    /// From `python3` on PATH.
    Python3 { releaselevel: String, serial: u32 },
}

/// The target and how it was chosen.
#[derive(Debug, Clone)]
pub struct Target {
    pub environment: TargetEnvironment,
    pub origin: Origin,
}

/// Builds the target from the options: `environment` (a JSON file of marker values, or `host`)
/// wins; otherwise `python` on `platform`, each taken from `python3` on PATH when not given.
pub fn target(
    environment: Option<&str>,
    python: Option<&str>,
    platform: Option<&str>,
) -> Result<Target, AnalyzerError> {
    let hint = "give --python-version 3.11 --platform linux-x86_64, or --environment FILE.json with the 11 PEP 508 marker values";
    let given = |environment| Target {
        environment,
        origin: Origin::Given,
    };
    match environment {
        Some("host") => {
            let stdout = run_python3(HOST_MARKERS).map_err(|e| {
                AnalyzerError::usage(format!(
                    "--environment host runs python3 to ask its marker values: {e}"
                ))
                .with_hint(hint)
            })?;
            let value: serde_json::Value = serde_json::from_str(&stdout)
                .map_err(|e| AnalyzerError::internal(format!("python3 printed no JSON: {e}")))?;
            TargetEnvironment::from_marker_json(&value)
                .map(given)
                .map_err(|e| AnalyzerError::internal(format!("the host's marker values: {e}")))
        }
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                AnalyzerError::usage(format!("cannot read the environment file {path}: {e}"))
                    .with_hint(hint)
            })?;
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                AnalyzerError::usage(format!("the environment file {path} is not JSON: {e}"))
                    .with_hint(hint)
            })?;
            TargetEnvironment::from_marker_json(&value)
                .map(given)
                .map_err(|e| {
                    AnalyzerError::usage(format!("the environment file {path}: {e}"))
                        .with_hint(hint)
                })
        }
        None => {
            let platform = platform.map(platform_shorthand).transpose()?;
            let host = if python.is_none() || platform.is_none() {
                host_python3()
            } else {
                None
            };
            let (python, origin) = match (python, &host) {
                (Some(p), _) => (p.to_owned(), Origin::Given),
                (None, Some(h)) => (h.python.clone(), h.origin.clone()),
                (None, None) => {
                    return Err(AnalyzerError::usage(
                        "no Python version for the target: none was given and no python3 on PATH answered",
                    )
                    .with_hint(
                        "give --python-version 3.12 (or THOTH_SOLVER_PYTHON_VERSION), and --platform when the target is not this machine",
                    ));
                }
            };
            let platform = match (platform, &host) {
                (Some(p), _) => p,
                (None, Some(h)) => h.platform.clone(),
                (None, None) => host_platform(),
            };
            let environment = TargetEnvironment::from_shorthand(&python, &platform)
                .map_err(|e| AnalyzerError::usage(e.to_string()).with_hint(hint))?;
            Ok(Target {
                environment,
                origin,
            })
        }
    }
}

/// What the machine's `python3` gives as a default target.
struct HostPython {
    /// `3.11.4` or `pypy3.10.14`.
    python: String,
    /// A shorthand [`TargetEnvironment::from_shorthand`] reads.
    platform: String,
    origin: Origin,
}

fn host_python3() -> Option<HostPython> {
    let stdout = match run_python3(HOST_TARGET) {
        Ok(out) => out,
        Err(e) => {
            tracing::debug!("python3 for the default target: {e}");
            return None;
        }
    };
    let value: serde_json::Value = serde_json::from_str(&stdout).ok()?;
    host_from_json(&value)
}

fn host_from_json(value: &serde_json::Value) -> Option<HostPython> {
    let version: Vec<u64> = value["version"]
        .as_array()?
        .iter()
        .filter_map(serde_json::Value::as_u64)
        .collect();
    let [major, minor, micro] = version[..] else {
        return None;
    };
    let prefix = match value["implementation"].as_str()? {
        "pypy" => "pypy",
        _ => "",
    };
    let machine = value["machine"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let sysconfig = value["platform"].as_str().unwrap_or_default();
    let platform = if sysconfig.starts_with("linux") {
        let arch = match machine.as_str() {
            "amd64" => "x86_64",
            "arm64" => "aarch64",
            other => other,
        };
        match value["glibc"]
            .as_str()
            .and_then(|g| g.strip_prefix("glibc "))
            .and_then(|v| v.split_once('.'))
        {
            Some((maj, min)) => format!("manylinux_{maj}_{}_{arch}", min.trim()),
            None => format!("linux-{arch}"),
        }
    } else if sysconfig.starts_with("macosx") {
        let version = value["mac_ver"].as_str().unwrap_or_default();
        let version = match version.split('.').collect::<Vec<_>>()[..] {
            [major] if !major.is_empty() => format!("{major}.0"),
            [major, minor, ..] => format!("{major}.{minor}"),
            _ => String::new(),
        };
        if version.is_empty() {
            format!("macos-{machine}")
        } else {
            format!("macos-{version}-{machine}")
        }
    } else if sysconfig.starts_with("win") {
        match sysconfig {
            "win32" => "windows-win32".to_owned(),
            other => format!("windows-{}", other.trim_start_matches("win-")),
        }
    } else {
        return None;
    };
    let releaselevel = value["releaselevel"].as_str().unwrap_or("final").to_owned();
    let serial = value["serial"].as_u64().unwrap_or(0);
    Some(HostPython {
        python: format!("{prefix}{major}.{minor}.{micro}"),
        platform,
        origin: Origin::Python3 {
            releaselevel,
            serial: u32::try_from(serial).unwrap_or(0),
        },
    })
}

/// Runs `python3 -c code` with a time limit; its stdout, or why there is none.
fn run_python3(code: &str) -> Result<String, String> {
    let mut child = Command::new("python3")
        .args(["-c", code])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if started.elapsed() > PYTHON3_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "python3 did not answer within {} seconds",
                    PYTHON3_TIMEOUT.as_secs()
                ));
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    // The answers are a few hundred bytes: the pipes never fill before the exit.
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.by_ref().take(1 << 16).read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.by_ref().take(1 << 16).read_to_string(&mut stderr);
    }
    if !status.success() {
        return Err(format!("python3 failed: {}", stderr.trim()));
    }
    Ok(stdout)
}

/// A platform as `from_shorthand` reads it, from the solver's own spellings, uv's
/// `--python-platform` names and docker's `OS/ARCH[/VARIANT]`.
pub fn platform_shorthand(platform: &str) -> Result<String, AnalyzerError> {
    let lower = platform.trim().to_ascii_lowercase();
    if lower.contains('/') {
        return docker_platform(&lower).ok_or_else(|| {
            AnalyzerError::usage(format!("{platform:?} is not a docker platform the solver knows"))
                .with_hint("docker spellings: linux/amd64, linux/arm64, linux/arm64/v8, linux/arm/v7, linux/386, linux/ppc64le, linux/s390x, linux/riscv64, windows/amd64")
        });
    }
    if let Some(rest) = uv_platform(&lower) {
        return rest;
    }
    Ok(lower)
}

/// docker's `linux/arm64/v8` and friends.
fn docker_platform(platform: &str) -> Option<String> {
    let parts: Vec<&str> = platform.split('/').collect();
    let arch = match parts[..] {
        ["linux", "amd64"] | ["linux", "amd64", _] => "x86_64",
        ["linux", "arm64"] | ["linux", "arm64", "v8"] => "aarch64",
        ["linux", "arm", "v7"] => "armv7l",
        ["linux", "386"] => "i686",
        ["linux", "ppc64le"] => "ppc64le",
        ["linux", "s390x"] => "s390x",
        ["linux", "riscv64"] => "riscv64",
        ["windows", "amd64"] => return Some("windows-amd64".to_owned()),
        ["windows", "arm64"] => return Some("windows-arm64".to_owned()),
        _ => return None,
    };
    Some(format!("linux-{arch}"))
}

/// uv's `--python-platform` names, with the glibc and macOS versions uv assumes for them
/// (`x86_64-unknown-linux-gnu` is `x86_64-manylinux_2_28`; `macos` is Apple silicon, macOS
/// 13.0). None when `platform` is not one of uv's names.
fn uv_platform(platform: &str) -> Option<Result<String, AnalyzerError>> {
    const MACOS: &str = "13.0";
    let simple = match platform {
        "linux" | "x86_64-unknown-linux-gnu" => Some("manylinux_2_28_x86_64".to_owned()),
        "aarch64-unknown-linux-gnu" => Some("manylinux_2_28_aarch64".to_owned()),
        "x86_64-unknown-linux-musl" => Some("musllinux_1_2_x86_64".to_owned()),
        "aarch64-unknown-linux-musl" => Some("musllinux_1_2_aarch64".to_owned()),
        "riscv64-unknown-linux" => Some("manylinux_2_39_riscv64".to_owned()),
        "macos" | "aarch64-apple-darwin" => Some(format!("macos-{MACOS}-arm64")),
        "x86_64-apple-darwin" => Some(format!("macos-{MACOS}-x86_64")),
        "windows" | "x86_64-pc-windows-msvc" => Some("windows-amd64".to_owned()),
        "aarch64-pc-windows-msvc" => Some("windows-arm64".to_owned()),
        "i686-pc-windows-msvc" => Some("windows-win32".to_owned()),
        _ => None,
    };
    if let Some(simple) = simple {
        return Some(Ok(simple));
    }
    // `x86_64-manylinux2014`, `aarch64-manylinux_2_31`.
    if let Some((arch, rest)) = platform.split_once("-manylinux") {
        let version = match rest {
            "2014" => "2_17",
            other => other.strip_prefix('_')?,
        };
        return Some(Ok(format!("manylinux_{version}_{arch}")));
    }
    if platform.contains("-android") || platform.contains("-ios") || platform.starts_with("wasm32-")
    {
        return Some(Err(AnalyzerError::usage(format!(
            "uv's target {platform:?} is not one the solver resolves for"
        ))
        .with_hint("the solver targets Linux, macOS and Windows: e.g. x86_64-manylinux_2_28, aarch64-apple-darwin, x86_64-pc-windows-msvc")));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::python::TargetPlatform;

    #[test]
    fn shorthand_and_errors() {
        let env = target(None, Some("3.11"), Some("linux-x86_64")).expect("target");
        assert_eq!(env.environment.python_version(), (3, 11));
        assert_eq!(env.origin, Origin::Given);
        assert!(target(None, Some("three"), None).is_err());
        assert!(target(Some("/nonexistent.json"), None, None).is_err());
    }

    #[test]
    fn host_asks_python3() {
        let env = target(Some("host"), None, None).expect("python3 is on the machine");
        assert_eq!(env.environment.python_version().0, 3);
    }

    fn platform_of(spelling: &str) -> TargetPlatform {
        target(None, Some("3.11"), Some(spelling))
            .unwrap_or_else(|e| panic!("{spelling}: {}", e.message))
            .environment
            .platform()
            .clone()
    }

    fn linux(arch: &str, libc: common::python::Libc) -> TargetPlatform {
        TargetPlatform::Linux {
            arch: arch.to_owned(),
            libc,
        }
    }

    #[test]
    fn uv_and_docker_spellings() {
        use common::python::Libc::{Glibc, Musl};
        for (spelling, expected) in [
            ("x86_64-manylinux_2_28", linux("x86_64", Glibc(2, 28))),
            ("aarch64-manylinux_2_28", linux("aarch64", Glibc(2, 28))),
            ("aarch64-manylinux2014", linux("aarch64", Glibc(2, 17))),
            ("x86_64-unknown-linux-gnu", linux("x86_64", Glibc(2, 28))),
            ("aarch64-unknown-linux-musl", linux("aarch64", Musl(1, 2))),
            ("linux", linux("x86_64", Glibc(2, 28))),
            ("linux/amd64", linux("x86_64", Glibc(2, 28))),
            ("linux/arm64", linux("aarch64", Glibc(2, 28))),
            ("linux/arm64/v8", linux("aarch64", Glibc(2, 28))),
            (
                "macos",
                TargetPlatform::MacOs {
                    arch: "arm64".into(),
                    version: (13, 0),
                },
            ),
            (
                "x86_64-apple-darwin",
                TargetPlatform::MacOs {
                    arch: "x86_64".into(),
                    version: (13, 0),
                },
            ),
            (
                "windows",
                TargetPlatform::Windows {
                    arch: "amd64".into(),
                },
            ),
            (
                "aarch64-pc-windows-msvc",
                TargetPlatform::Windows {
                    arch: "arm64".into(),
                },
            ),
        ] {
            assert_eq!(platform_of(spelling), expected, "{spelling}");
        }
        for bad in ["linux/mips", "aarch64-linux-android", "wasm32-pyodide2024"] {
            let err = target(None, Some("3.11"), Some(bad)).expect_err(bad);
            assert_eq!(err.kind, common::ErrorKind::Usage, "{bad}");
        }
    }

    #[test]
    fn default_target_from_the_machines_python3() {
        let expected = std::process::Command::new("python3")
            .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
            .output()
            .expect("python3 is on the machine (the CI installs it)");
        let expected = String::from_utf8_lossy(&expected.stdout).trim().to_owned();
        let chosen = target(None, None, None).expect("target");
        let (major, minor) = chosen.environment.python_version();
        assert_eq!(format!("{major}.{minor}"), expected);
        assert!(matches!(chosen.origin, Origin::Python3 { .. }));
        // The platform from python3 carries the machine's glibc, not the default 2.28.
        if let TargetPlatform::Linux {
            libc: common::python::Libc::Glibc(maj, _),
            ..
        } = chosen.environment.platform()
        {
            assert_eq!(*maj, 2);
        }
    }

    #[test]
    fn host_answers_become_shorthands() {
        let value = serde_json::json!({"version": [3, 13, 1], "releaselevel": "final", "serial": 0,
            "implementation": "cpython", "platform": "linux-aarch64", "machine": "aarch64",
            "glibc": "glibc 2.36", "mac_ver": ""});
        let host = host_from_json(&value).expect("linux");
        assert_eq!(host.python, "3.13.1");
        assert_eq!(host.platform, "manylinux_2_36_aarch64");
        let mac = serde_json::json!({"version": [3, 11, 9], "implementation": "pypy",
            "platform": "macosx-11.0-arm64", "machine": "arm64", "glibc": null, "mac_ver": "14.2.1"});
        let host = host_from_json(&mac).expect("macos");
        assert_eq!(
            (host.python.as_str(), host.platform.as_str()),
            ("pypy3.11.9", "macos-14.2-arm64")
        );
        let win = serde_json::json!({"version": [3, 12, 0], "implementation": "cpython",
            "platform": "win-amd64", "machine": "AMD64", "glibc": null, "mac_ver": ""});
        assert_eq!(
            host_from_json(&win).expect("windows").platform,
            "windows-amd64"
        );
    }
}
