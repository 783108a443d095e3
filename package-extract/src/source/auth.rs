//! Registry credentials where users keep them: `--registry-credentials`, then containers'
//! auth files (`$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
//! `~/.config/containers/auth.json`), then Docker's `config.json` with its credential helpers.

use std::path::PathBuf;

use base64::Engine as _;
use common::Secret;
use serde_json::Value;

/// Credentials for one registry.
#[derive(Clone)]
pub enum Credentials {
    Basic {
        username: String,
        password: Secret,
    },
    /// An identity token from a credential helper.
    Token(Secret),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Self::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

/// `USER:PASSWORD` from the command line; a token can be the password.
pub fn from_flag(secret: &Secret) -> Result<Credentials, String> {
    match secret.expose().split_once(':') {
        Some((user, password)) if !user.is_empty() => Ok(Credentials::Basic {
            username: user.to_owned(),
            password: Secret::new(password),
        }),
        _ => Err("--registry-credentials must be USER:PASSWORD".into()),
    }
}

/// Looks `registry` (`host[:port]`) up in the auth files, in the order the containers tools use.
pub fn lookup(registry: &str) -> Option<(Credentials, String)> {
    for file in auth_files() {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            tracing::warn!(file = %file.display(), "auth file is not JSON; ignored");
            continue;
        };
        if let Some(c) = from_auths(&doc, registry) {
            return Some((c, file.display().to_string()));
        }
    }
    match docker_credential::get_credential(registry) {
        Ok(docker_credential::DockerCredential::UsernamePassword(u, p)) => Some((
            Credentials::Basic {
                username: u,
                password: Secret::new(p),
            },
            "docker config".into(),
        )),
        Ok(docker_credential::DockerCredential::IdentityToken(t)) => {
            Some((Credentials::Token(Secret::new(t)), "docker config".into()))
        }
        Err(_) => None,
    }
}

fn auth_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Some(f) = std::env::var_os("REGISTRY_AUTH_FILE") {
        files.push(PathBuf::from(f));
    }
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        files.push(PathBuf::from(d).join("containers/auth.json"));
    }
    if let Some(h) = std::env::var_os("HOME") {
        files.push(PathBuf::from(h).join(".config/containers/auth.json"));
    }
    files
}

/// The `auths` map of an auth file: keys are `host[:port]`, `host/repo` or a URL; values hold
/// `auth` = base64 of `user:password`.
fn from_auths(doc: &Value, registry: &str) -> Option<Credentials> {
    let auths = doc.get("auths")?.as_object()?;
    let entry = auths.iter().find_map(|(key, v)| {
        let host = key
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or_default();
        (host == registry).then_some(v)
    })?;
    let encoded = common::secret::registered(entry.get("auth")?.as_str()?.to_owned());
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some(Credentials::Basic {
        username: u.to_owned(),
        password: Secret::new(p),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_auth_file_entries() {
        // "alice:s3cret"
        let doc = serde_json::json!({"auths": {"127.0.0.1:5000": {"auth": "YWxpY2U6czNjcmV0"}, "https://other.test/v1/": {"auth": "Ym9iOng="}}});
        match from_auths(&doc, "127.0.0.1:5000") {
            Some(Credentials::Basic { username, password }) => {
                assert_eq!(username, "alice");
                assert_eq!(password.expose(), "s3cret");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            from_auths(&doc, "other.test"),
            Some(Credentials::Basic { .. })
        ));
        assert!(from_auths(&doc, "absent.test").is_none());
        assert!(format!("{:?}", from_auths(&doc, "127.0.0.1:5000")).contains("<redacted>"));
    }

    #[test]
    fn flag_needs_user_and_password() {
        assert!(from_flag(&Secret::new("u:p:with:colons")).is_ok());
        assert!(from_flag(&Secret::new("nocolon")).is_err());
        assert!(from_flag(&Secret::new(":p")).is_err());
    }
}
