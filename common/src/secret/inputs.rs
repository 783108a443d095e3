//! Secrets in what the process was started with, registered before anything is parsed or
//! logged: credentials in the user-info of any URL on the command line or in the environment
//! (`-i`, `PIP_INDEX_URL`, `THOTH_SOLVER_INDEXES`, `-o`, an image reference), and the values of
//! variables whose names say they hold one (`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
//! `THOTH_REGISTRY_CREDENTIALS`, ...).

use std::ffi::OsString;

use super::registry::register_pair;

/// What a variable holding a credential is called; `..._FILE`, `..._PATH` and `..._DIR`
/// variables hold where one is, not the credential.
fn names_a_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let holder = ["_FILE", "_PATH", "_DIR", "_HELPER"]
        .iter()
        .any(|s| upper.ends_with(s));
    !holder
        && [
            "PASSWORD",
            "PASSWD",
            "SECRET",
            "TOKEN",
            "CREDENTIAL",
            "API_KEY",
            "APIKEY",
        ]
        .iter()
        .any(|w| upper.contains(w))
}

/// A flag-like value (`THOTH_..._TOKEN=true`): masking every `true` would break outputs and
/// hide nothing.
fn is_a_setting(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "false" | "yes" | "no" | "none" | "null" | "on" | "off"
    )
}

/// Registers the secrets of the command line `args` and the process environment.
pub fn register_process_inputs(args: &[OsString]) {
    for arg in args {
        register_url_credentials(&arg.to_string_lossy());
    }
    for (name, value) in std::env::vars_os() {
        let value = value.to_string_lossy();
        register_url_credentials(&value);
        if names_a_secret(&name.to_string_lossy()) && !is_a_setting(&value) {
            register_pair(&value);
        }
    }
}

/// Registers the password (and `user:password`) of every URL with user-info in `text`, and a
/// schemeless `user:password@host/...` (an image reference), so they are masked wherever they
/// appear later, also outside a URL.
pub fn register_url_credentials(text: &str) {
    for token in text.split(|c: char| c == ',' || c.is_whitespace()) {
        let (body, schemeless) = match token.split_once("://") {
            Some((_, body)) => (body, false),
            None => (token, true),
        };
        let authority = body.split(['/', '?', '#']).next().unwrap_or_default();
        let Some(at) = authority.rfind('@') else {
            continue;
        };
        let userinfo = &authority[..at];
        // `name:tag@sha256:...` is an image digest reference, not credentials.
        if schemeless && (!userinfo.contains(':') || authority[at + 1..].starts_with("sha")) {
            continue;
        }
        register_pair(userinfo);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::scrub;

    #[test]
    fn url_passwords_are_registered_where_they_appear() {
        register_url_credentials(
            "http://a:one-pass-9d1c@h1/simple,https://two-token-9d1c@h2/ me:three-pass-9d1c@reg:5000/img",
        );
        let text = "one-pass-9d1c two-token-9d1c three-pass-9d1c";
        assert_eq!(scrub(text), "<redacted> <redacted> <redacted>");
        register_url_credentials("fedora:39@sha256:0123");
        assert_eq!(scrub("fedora:39 sha256:0123"), "fedora:39 sha256:0123");
    }

    #[test]
    fn flag_values_are_not_secrets() {
        assert!(is_a_setting(" True"));
        assert!(!is_a_setting("CANARY-s3cr3t"));
    }

    #[test]
    fn variable_names_that_hold_secrets() {
        for name in [
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "THOTH_REGISTRY_CREDENTIALS",
            "pip_password",
        ] {
            assert!(names_a_secret(name), "{name}");
        }
        for name in [
            "AWS_ACCESS_KEY_ID",
            "REGISTRY_AUTH_FILE",
            "PATH",
            "HOME",
            "AWS_SHARED_CREDENTIALS_FILE",
        ] {
            assert!(!names_a_secret(name), "{name}");
        }
    }
}
