//! The environment the solver answers for: given as data (a marker JSON file, or a Python
//! version and a platform), or `host` for the machine it runs on.

use std::process::Command;

use common::AnalyzerError;
use common::python::TargetEnvironment;

/// What `python3` on the host says its marker values are.
const HOST_MARKERS: &str = "import json, os, platform, sys\n\
def v(i):\n    s = '{0.major}.{0.minor}.{0.micro}'.format(i)\n    return s if i.releaselevel == 'final' else s + i.releaselevel[0] + str(i.serial)\n\
print(json.dumps({'implementation_name': sys.implementation.name, 'implementation_version': v(sys.implementation.version), 'os_name': os.name, 'platform_machine': platform.machine(), 'platform_python_implementation': platform.python_implementation(), 'platform_release': platform.release(), 'platform_system': platform.system(), 'platform_version': platform.version(), 'python_full_version': platform.python_version(), 'python_version': '.'.join(platform.python_version_tuple()[:2]), 'sys_platform': sys.platform}))";

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

/// Builds the target from the options: `environment` (a JSON file of marker values, or `host`)
/// wins; otherwise `python` (default 3.12) on `platform` (default the host's).
pub fn target(
    environment: Option<&str>,
    python: Option<&str>,
    platform: Option<&str>,
) -> Result<TargetEnvironment, AnalyzerError> {
    let hint = "give --python-version 3.11 --platform linux-x86_64, or --environment FILE.json with the 11 PEP 508 marker values";
    match environment {
        Some("host") => {
            let out = Command::new("python3")
                .args(["-c", HOST_MARKERS])
                .output()
                .map_err(|e| {
                    AnalyzerError::usage(format!(
                        "--environment host runs python3 to ask its marker values: {e}"
                    ))
                    .with_hint(hint)
                })?;
            if !out.status.success() {
                return Err(AnalyzerError::usage(format!(
                    "python3 could not report its marker values: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            let value: serde_json::Value = serde_json::from_slice(&out.stdout)
                .map_err(|e| AnalyzerError::internal(format!("python3 printed no JSON: {e}")))?;
            TargetEnvironment::from_marker_json(&value)
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
            TargetEnvironment::from_marker_json(&value).map_err(|e| {
                AnalyzerError::usage(format!("the environment file {path}: {e}")).with_hint(hint)
            })
        }
        None => {
            let python = python.unwrap_or("3.12");
            let platform = platform.map_or_else(host_platform, str::to_owned);
            TargetEnvironment::from_shorthand(python, &platform)
                .map_err(|e| AnalyzerError::usage(e.to_string()).with_hint(hint))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthand_and_errors() {
        let env = target(None, Some("3.11"), Some("linux-x86_64")).expect("target");
        assert_eq!(env.python_version(), (3, 11));
        assert!(target(None, Some("three"), None).is_err());
        assert!(target(Some("/nonexistent.json"), None, None).is_err());
    }

    #[test]
    fn host_asks_python3() {
        let env = target(Some("host"), None, None).expect("python3 is on the machine");
        assert_eq!(env.python_version().0, 3);
    }
}
