//! The S3 sink's credentials when neither the `AWS_*` keys nor a profile's static keys are
//! given: the rest of the standard AWS credential chain, through `aws-config`.
//!
//! The whole chain, in order (the first that yields credentials wins):
//!
//! 1. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`) — `config.rs`;
//! 2. the static keys of profile `AWS_PROFILE` in the credentials file, then in the config
//!    file — `config.rs`;
//! 3. that profile's `credential_process`, `role_arn` with `source_profile` or
//!    `credential_source` (STS AssumeRole), or `web_identity_token_file`;
//! 4. `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (+ `AWS_ROLE_SESSION_NAME`): STS
//!    AssumeRoleWithWebIdentity, as EKS (IRSA) and OpenShift STS pods get them; the STS
//!    endpoint is `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, else AWS's regional one;
//! 5. container credentials: `AWS_CONTAINER_CREDENTIALS_FULL_URI` or `_RELATIVE_URI`, with
//!    `AWS_CONTAINER_AUTHORIZATION_TOKEN` or `_TOKEN_FILE` (ECS tasks, EKS Pod Identity);
//! 6. EC2 instance metadata, IMDSv2 (`AWS_EC2_METADATA_SERVICE_ENDPOINT` overrides the
//!    address; `AWS_EC2_METADATA_DISABLED=true` skips it).
//!
//! Steps 3 to 6 are `aws-config`'s `DefaultCredentialsChain`. Why the crate and not our own
//! code on the project's reqwest: these are five protocols (STS's query API and its XML, the
//! container endpoint's host rules and token file, IMDSv2's session tokens and fallbacks, the
//! process protocol, role chaining with its own signed STS call), each with edge cases AWS
//! keeps changing (EKS Pod Identity's token file, IMDS's endpoint modes), and a maintained
//! implementation follows them. What it costs, measured when the choice was made:
//!
//! - dependencies: `cargo tree -p package-extract -e normal` 523 lines before, 704 after; 226
//!   distinct crates before, 267 after (+41: `aws-sdk-sts`, the smithy runtime, `http` 0.2,
//!   `time`, a second `sha2`). The `sso` feature, which would add `aws-sdk-sso`,
//!   `aws-sdk-ssooidc` and `ring`, is off: SSO users run `aws configure export-credentials`
//!   as a `credential_process`;
//! - binary size and build time: a release binary with the workspace's profile that uses
//!   reqwest and tokio as the project does is 6.2 MB stripped (27.2 MB with line tables); the
//!   same binary asking the chain is 10.3 MB (47.2 MB), so +4.1 MB in each analyzer. Building
//!   it took 367 s for reqwest and tokio, and 494 s more for the chain, on the shared 2-core
//!   machine under a load of about 8 (the figures are from that run, not a quiet machine).
//!
//! A hand-written chain would be some 400 lines over reqwest and our SigV4, with no size or
//! build cost, but every protocol change would be ours to notice. The pods that write to S3
//! are the ones on EKS and OpenShift where these credentials are the only ones, and a wrong
//! or stale implementation fails there, far from a developer; 4 MB per binary and a few
//! build minutes are the cheaper risk.
//!
//! Whatever the chain returns becomes [`Secret`]s (registered, so masked in every output), the
//! token files it reads are registered too, the chain is bounded by [`CHAIN_TIMEOUT`], and
//! credentials that expire are asked for again [`REFRESH_BEFORE`] their expiry, so a sink that
//! retries for minutes never signs with expired ones.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_credential_types::provider::ProvideCredentials;

use super::config::{Credentials, Env};
use crate::error::AnalyzerError;
use crate::secret::Secret;

/// The longest the chain may take, every step included (an unreachable IMDS, a slow STS).
pub(crate) const CHAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials expiring sooner than this are asked for again before a request is signed.
pub(crate) const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

/// Largest token file read to register its content as a secret.
const MAX_TOKEN_FILE: u64 = 64 * 1024;

/// The chain after the static keys, and the credentials it gave last.
#[derive(Clone)]
pub(crate) struct Chain {
    profile: String,
    last: Arc<Mutex<Option<Credentials>>>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chain(profile {:?})", self.profile)
    }
}

impl Chain {
    pub(crate) fn new(profile: &str) -> Self {
        Self {
            profile: profile.to_owned(),
            last: Arc::new(Mutex::new(None)),
        }
    }

    /// Credentials from the chain, or `None` when no step has any (an error when a step is
    /// configured but fails: a bad token, a refusing STS).
    pub(crate) fn resolve(&self, env: &dyn Env) -> Result<Option<Credentials>, AnalyzerError> {
        register_token_files(env);
        let profile = self.profile.clone();
        // Its own thread and runtime: this is called from synchronous code and from inside the
        // sink's runtime (a refresh between attempts), where blocking on another is not allowed.
        let outcome = std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| {
                            AnalyzerError::internal(format!("cannot start the AWS client: {e}"))
                        })?;
                    runtime.block_on(async move {
                        let chain = DefaultCredentialsChain::builder()
                            .profile_name(&profile)
                            .build()
                            .await;
                        tokio::time::timeout(CHAIN_TIMEOUT, chain.provide_credentials())
                            .await
                            .map_err(|_| {
                                AnalyzerError::network(format!(
                                    "the AWS credential chain gave no answer in {} s",
                                    CHAIN_TIMEOUT.as_secs()
                                ))
                                .with_hint(HINT)
                            })
                    })
                })
                .join()
                .unwrap_or_else(|_| {
                    Err(AnalyzerError::internal("the AWS credential chain panicked"))
                })
        })?;
        let found = match outcome {
            Ok(found) => found,
            Err(aws_credential_types::provider::error::CredentialsError::CredentialsNotLoaded(
                _,
            )) => return Ok(None),
            Err(e) => {
                // The chain's error text quotes no credential, but it passes the scrub anyway.
                return Err(AnalyzerError::output(format!(
                    "the AWS credential chain failed: {}",
                    crate::secret::redact_url(&error_chain(&e))
                ))
                .with_hint(HINT));
            }
        };
        let credentials = Credentials {
            access_key_id: found.access_key_id().to_owned(),
            secret_access_key: Secret::new(found.secret_access_key()),
            session_token: found.session_token().map(Secret::new),
            source: "the AWS credential chain (profile process or role, web identity, container or instance metadata)".to_owned(),
            expires: found.expiry(),
        };
        tracing::info!(
            expires_in_s = credentials
                .expires
                .and_then(|t| t.duration_since(SystemTime::now()).ok())
                .map(|d| d.as_secs()),
            "S3 credentials from the AWS credential chain"
        );
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(credentials.clone());
        Ok(Some(credentials))
    }
}

/// What to do when the chain fails.
const HINT: &str = "for a pod: check AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (and AWS_ENDPOINT_URL_STS), or AWS_CONTAINER_CREDENTIALS_FULL_URI and its token; elsewhere set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile (AWS_PROFILE)";

/// `credentials`, or fresh ones from `chain` when they expire within [`REFRESH_BEFORE`]. A
/// refresh that fails keeps the old ones (the server then says they expired, and the log why
/// the refresh failed).
pub(crate) fn fresh(credentials: &Credentials, chain: Option<&Chain>) -> Credentials {
    let Some(chain) = chain else {
        return credentials.clone();
    };
    let latest = chain
        .last
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .unwrap_or_else(|| credentials.clone());
    if !expires_soon(latest.expires, SystemTime::now()) {
        return latest;
    }
    match chain.resolve(&super::ProcessEnv) {
        Ok(Some(renewed)) => renewed,
        Ok(None) => latest,
        Err(e) => {
            tracing::warn!(error = %e.message, "refreshing the S3 credentials failed");
            latest
        }
    }
}

fn expires_soon(expires: Option<SystemTime>, now: SystemTime) -> bool {
    expires.is_some_and(|t| {
        t.duration_since(now)
            .map_or(true, |left| left < REFRESH_BEFORE)
    })
}

/// The web identity and container authorization tokens the chain reads from files, registered
/// so that no output can show them.
fn register_token_files(env: &dyn Env) {
    for name in [
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ] {
        let Some(path) = env.var(name) else { continue };
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        let mut text = String::new();
        if std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_TOKEN_FILE), &mut text)
            .is_ok()
        {
            crate::secret::register(text.trim());
        }
    }
    if let Some(token) = env.var("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
        crate::secret::register(token.trim());
    }
}

/// An error and its sources, one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_refreshed_before_they_expire() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert!(!expires_soon(None, now));
        assert!(!expires_soon(Some(now + Duration::from_secs(3600)), now));
        assert!(expires_soon(Some(now + Duration::from_secs(60)), now));
        assert!(expires_soon(Some(now - Duration::from_secs(1)), now));
    }

    #[test]
    fn token_files_are_registered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("token");
        std::fs::write(&file, "CANARY-web-identity-unit-5e1f\n").expect("write");
        let env: std::collections::BTreeMap<&str, String> =
            [("AWS_WEB_IDENTITY_TOKEN_FILE", file.display().to_string())]
                .into_iter()
                .collect();
        register_token_files(&env);
        assert_eq!(
            crate::secret::scrub("jwt CANARY-web-identity-unit-5e1f."),
            "jwt <redacted>."
        );
    }
}
