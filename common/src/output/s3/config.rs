//! Where the S3 endpoint, region and credentials come from: the environment variables and the
//! profile files the AWS tools read, in their order.
//!
//! - endpoint: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's `endpoint_url`, else
//!   AWS's regional endpoint. Ceph RGW and MinIO are always given an endpoint.
//! - region: `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, else `us-east-1`.
//! - credentials: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), else
//!   the profile (`AWS_PROFILE`, default `default`) in the credentials file
//!   (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`), else in the config file
//!   (`AWS_CONFIG_FILE`, default `~/.aws/config`, where the section is `[profile NAME]`), else
//!   the rest of the standard chain ([`super::credentials`]: the profile's
//!   `credential_process` or role, web identity, container credentials, instance metadata).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::credentials::Chain;
use crate::error::AnalyzerError;
use crate::secret::Secret;

/// Reads a variable; tests pass a map instead of the process environment.
pub(crate) trait Env {
    fn var(&self, name: &str) -> Option<String>;

    /// Whether this is the process environment: the rest of the chain (`aws-config`) reads
    /// only that one, so it runs only for it, never for a test's map.
    fn is_process(&self) -> bool {
        false
    }
}

/// The process environment.
pub(crate) struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn is_process(&self) -> bool {
        true
    }
}

impl Env for BTreeMap<&str, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned().filter(|v| !v.is_empty())
    }
}

/// Access key, secret and optional session token. The key id is not a secret, but it is never
/// logged either.
#[derive(Clone, Debug)]
pub(crate) struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// Where they came from, for error messages ("the environment", "profile x in FILE").
    pub source: String,
    /// When temporary credentials (STS, container, instance metadata) expire.
    pub expires: Option<SystemTime>,
}

/// Everything the sink needs besides the bucket and key.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Scheme, host, port and an optional base path, without a trailing slash.
    pub endpoint: String,
    pub region: String,
    pub credentials: Credentials,
    /// The chain that gave them when they expire, to ask again before they do.
    pub chain: Option<Chain>,
}

/// One profile's keys, from the INI-like files the AWS tools write.
type Section = BTreeMap<String, String>;

impl Config {
    /// The credentials to sign the next request with: asked for again when they expire soon.
    pub(crate) fn fresh_credentials(&self) -> Credentials {
        super::credentials::fresh(&self.credentials, self.chain.as_ref())
    }

    pub(crate) fn from_env(env: &dyn Env) -> Result<Self, AnalyzerError> {
        let profile_name = env
            .var("AWS_PROFILE")
            .unwrap_or_else(|| "default".to_owned());
        let home = env.var("HOME").map(PathBuf::from);
        let in_home = |rel: &str| home.as_ref().map(|h| h.join(rel));
        let config_path = env
            .var("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| in_home(".aws/config"));
        let credentials_path = env
            .var("AWS_SHARED_CREDENTIALS_FILE")
            .map(PathBuf::from)
            .or_else(|| in_home(".aws/credentials"));
        let config_section = match &config_path {
            Some(p) => {
                let title = if profile_name == "default" {
                    "default".to_owned()
                } else {
                    format!("profile {profile_name}")
                };
                read_section(p, &title)?
            }
            None => None,
        };
        let credentials_section = match &credentials_path {
            Some(p) => read_section(p, &profile_name)?,
            None => None,
        };
        let from_config = |key: &str| config_section.as_ref().and_then(|s| s.get(key).cloned());

        let region = env
            .var("AWS_REGION")
            .or_else(|| env.var("AWS_DEFAULT_REGION"))
            .or_else(|| from_config("region"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint = env
            .var("AWS_ENDPOINT_URL_S3")
            .or_else(|| env.var("AWS_ENDPOINT_URL"))
            .or_else(|| from_config("endpoint_url"))
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let endpoint = validate_endpoint(&endpoint)?;

        let static_keys = env_credentials(env)?
            .or_else(|| {
                section_credentials(
                    credentials_section.as_ref(),
                    &profile_name,
                    credentials_path.as_deref(),
                )
            })
            .or_else(|| {
                section_credentials(
                    config_section.as_ref(),
                    &profile_name,
                    config_path.as_deref(),
                )
            });
        let (credentials, chain) = match static_keys {
            Some(c) => (Some(c), None),
            None if env.is_process() => {
                let chain = Chain::new(&profile_name);
                let found = chain.resolve(env)?;
                let expiring = found.as_ref().is_some_and(|c| c.expires.is_some());
                (found, expiring.then_some(chain))
            }
            None => (None, None),
        };
        let credentials = credentials.ok_or_else(|| {
            AnalyzerError::output("no S3 credentials found for the s3:// output").with_hint(
                format!(
                    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for \
                 temporary credentials), or give profile {profile_name:?} aws_access_key_id and \
                 aws_secret_access_key in {} (AWS_PROFILE picks another profile); in a pod, \
                 AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN or AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    credentials_path
                        .as_deref()
                        .map_or("~/.aws/credentials".to_owned(), |p| p.display().to_string())
                ),
            )
        })?;
        Ok(Self {
            endpoint,
            region,
            credentials,
            chain,
        })
    }
}

fn env_credentials(env: &dyn Env) -> Result<Option<Credentials>, AnalyzerError> {
    match (
        env.var("AWS_ACCESS_KEY_ID"),
        env.var("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(id), Some(secret)) => Ok(Some(Credentials {
            access_key_id: id,
            secret_access_key: Secret::new(secret),
            session_token: env.var("AWS_SESSION_TOKEN").map(Secret::new),
            source: "the environment (AWS_ACCESS_KEY_ID)".to_owned(),
            expires: None,
        })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(AnalyzerError::output(
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
        )
        .with_hint("set both, or neither to use the profile files")),
        (None, Some(_)) => Err(AnalyzerError::output(
            "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not",
        )
        .with_hint("set both, or neither to use the profile files")),
    }
}

fn section_credentials(
    section: Option<&Section>,
    profile: &str,
    path: Option<&Path>,
) -> Option<Credentials> {
    let section = section?;
    let id = section.get("aws_access_key_id")?;
    let secret = section.get("aws_secret_access_key")?;
    Some(Credentials {
        access_key_id: id.clone(),
        secret_access_key: Secret::new(secret.clone()),
        session_token: section.get("aws_session_token").cloned().map(Secret::new),
        source: format!(
            "profile {profile:?} in {}",
            path.map_or(String::new(), |p| p.display().to_string())
        ),
        expires: None,
    })
}

fn validate_endpoint(url: &str) -> Result<String, AnalyzerError> {
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))
    else {
        return Err(AnalyzerError::output(format!(
            "S3 endpoint {:?} is not an http:// or https:// URL",
            crate::secret::redact_url(url)
        ))
        .with_hint("set AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) to e.g. http://127.0.0.1:9000"));
    };
    if rest.is_empty() || rest.starts_with('/') || url.contains(['?', '#']) || rest.contains('@') {
        return Err(AnalyzerError::output(format!(
            "S3 endpoint {:?} must be scheme://host[:port][/path], without credentials or query",
            crate::secret::redact_url(url)
        ))
        .with_hint("credentials go in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The keys of section `[title]` of an AWS profile file; `None` when the file or the section
/// does not exist. Indented lines continue a nested block (`s3 =` and its settings) and are
/// skipped.
fn read_section(path: &Path, title: &str) -> Result<Option<Section>, AnalyzerError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(AnalyzerError::output(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    Ok(parse_section(&text, title))
}

fn parse_section(text: &str, title: &str) -> Option<Section> {
    let mut found: Option<Section> = None;
    let mut inside = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            inside = name == title;
            if inside {
                found.get_or_insert_with(Section::new);
            }
            continue;
        }
        if !inside || line.starts_with([' ', '\t']) {
            continue;
        }
        if let (Some(section), Some((k, v))) = (found.as_mut(), trimmed.split_once('=')) {
            section.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn environment_wins_and_defaults_apply() {
        let e = env(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
            ("AWS_SESSION_TOKEN", "tok"),
            ("HOME", "/nonexistent"),
        ]);
        let c = Config::from_env(&e).expect("config");
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.endpoint, "https://s3.us-east-1.amazonaws.com");
        assert_eq!(c.credentials.access_key_id, "AKID");
        assert_eq!(c.credentials.secret_access_key.expose(), "s3cr3t");
        assert_eq!(
            c.credentials.session_token.as_ref().map(Secret::expose),
            Some("tok")
        );
        assert!(!format!("{c:?}").contains("s3cr3t"));
        assert!(!format!("{c:?}").contains("tok\""));

        let e = env(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_DEFAULT_REGION", "eu-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"),
            ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:7480/"),
            ("HOME", "/nonexistent"),
        ]);
        let c = Config::from_env(&e).expect("config");
        assert_eq!(c.region, "eu-1");
        assert_eq!(c.endpoint, "http://127.0.0.1:7480");
    }

    #[test]
    fn profiles_come_from_both_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let aws = dir.path().join(".aws");
        std::fs::create_dir(&aws).expect("mkdir");
        std::fs::write(
            aws.join("credentials"),
            "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = d\n\n\
             [ceph]\n# a comment\naws_access_key_id=CEPHKEY\naws_secret_access_key = c = with equals\n",
        )
        .expect("write");
        std::fs::write(
            aws.join("config"),
            "[default]\nregion = us-west-2\n[profile ceph]\nregion = rgw\nendpoint_url = http://127.0.0.1:7480\ns3 =\n  addressing_style = path\n\
             [profile only-config]\naws_access_key_id = CFGKEY\naws_secret_access_key = x\n",
        )
        .expect("write");
        let home = dir.path().display().to_string();

        let c = Config::from_env(&env(&[("HOME", &home)])).expect("default profile");
        assert_eq!(c.credentials.access_key_id, "DEFAULTKEY");
        assert_eq!(c.region, "us-west-2");

        let c = Config::from_env(&env(&[("HOME", &home), ("AWS_PROFILE", "ceph")])).expect("ceph");
        assert_eq!(c.credentials.access_key_id, "CEPHKEY");
        assert_eq!(c.credentials.secret_access_key.expose(), "c = with equals");
        assert_eq!(c.region, "rgw");
        assert_eq!(c.endpoint, "http://127.0.0.1:7480");

        let c = Config::from_env(&env(&[("HOME", &home), ("AWS_PROFILE", "only-config")]))
            .expect("config file credentials");
        assert_eq!(c.credentials.access_key_id, "CFGKEY");

        // Explicit file locations replace the ones in HOME.
        let other = dir.path().join("creds");
        std::fs::write(
            &other,
            "[default]\naws_access_key_id=OTHER\naws_secret_access_key=o\n",
        )
        .expect("write");
        let c = Config::from_env(&env(&[
            ("HOME", &home),
            ("AWS_SHARED_CREDENTIALS_FILE", &other.display().to_string()),
        ]))
        .expect("other file");
        assert_eq!(c.credentials.access_key_id, "OTHER");
    }

    #[test]
    fn missing_credentials_say_what_to_set() {
        let err = Config::from_env(&env(&[("HOME", "/nonexistent")])).expect_err("must fail");
        assert_eq!(err.kind, crate::exit::ErrorKind::Output);
        let hint = err.hint.unwrap_or_default();
        assert!(hint.contains("AWS_ACCESS_KEY_ID"), "{hint}");
        assert!(hint.contains("AWS_PROFILE"), "{hint}");

        let err = Config::from_env(&env(&[
            ("AWS_ACCESS_KEY_ID", "x"),
            ("HOME", "/nonexistent"),
        ]))
        .expect_err("half a pair");
        assert!(
            err.message.contains("AWS_SECRET_ACCESS_KEY"),
            "{}",
            err.message
        );
    }

    #[test]
    fn endpoints_are_checked() {
        for bad in [
            "127.0.0.1:9000",
            "ftp://h",
            "http://",
            "http://u:p@h",
            "http://h/?x",
        ] {
            let e = env(&[
                ("AWS_ACCESS_KEY_ID", "a"),
                ("AWS_SECRET_ACCESS_KEY", "b"),
                ("AWS_ENDPOINT_URL", bad),
            ]);
            let err = Config::from_env(&e).expect_err(bad);
            assert!(!err.message.contains(":p@"), "{}", err.message);
        }
    }
}
