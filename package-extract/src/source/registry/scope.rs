//! Where registry credentials may go. They are given for one registry (its origin); a bearer
//! challenge can name a token realm anywhere, and a hostile or compromised registry would use
//! that to collect them. As docker's client does, the realm receives credentials when it is the
//! registry's own origin or speaks https; plain http elsewhere only when realm and registry are
//! the same loopback host and the registry itself speaks plain http (a test registry and its
//! token server on one machine): a registry reached over TLS never has its credentials
//! downgraded to plain http.

use reqwest::Url;

/// A `WWW-Authenticate` challenge the registry answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// Reads the first challenge the client can answer (Bearer before Basic, as docker does).
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let challenges = http_auth::parse_challenges(header).ok()?;
    let param = |c: &http_auth::ChallengeRef<'_>, name: &str| {
        c.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_unescaped())
    };
    let bearer = challenges.iter().find_map(|c| {
        c.scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| param(c, "realm"))
            .flatten()
            .map(|realm| Challenge::Bearer {
                realm,
                service: param(c, "service"),
            })
    });
    bearer.or_else(|| {
        challenges
            .iter()
            .any(|c| c.scheme.eq_ignore_ascii_case("basic"))
            .then_some(Challenge::Basic)
    })
}

/// Whether credentials given for `registry` may be sent to the token `realm`; `Err` says why not.
pub fn may_send_credentials(registry: &Url, realm: &Url) -> Result<(), String> {
    if realm.origin() == registry.origin() || realm.scheme() == "https" {
        return Ok(());
    }
    let same_loopback_host = realm.host_str() == registry.host_str()
        && registry.host_str().is_some_and(super::is_loopback_host)
        && registry.scheme() == "http";
    if realm.scheme() == "http" && same_loopback_host {
        return Ok(());
    }
    Err(format!(
        "the registry asks for its token at {}, another origin without TLS; the credentials were not sent there",
        common::secret::redact_url(realm.as_str())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn challenges_are_read() {
        assert_eq!(
            parse_challenge(r#"Bearer realm="https://auth.test/token",service="reg""#),
            Some(Challenge::Bearer {
                realm: "https://auth.test/token".into(),
                service: Some("reg".into())
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="registry""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
    }

    #[test]
    fn credentials_stay_with_their_origin_unless_tls_protects_them() {
        let tls = url("https://registry.test/v2/");
        let local = url("http://127.0.0.1:5000/v2/");
        assert!(may_send_credentials(&tls, &url("https://registry.test/token")).is_ok());
        assert!(may_send_credentials(&tls, &url("https://auth.test/token")).is_ok());
        assert!(may_send_credentials(&tls, &url("http://auth.test/token")).is_err());
        assert!(may_send_credentials(&tls, &url("http://registry.test/token")).is_err());
        assert!(may_send_credentials(&local, &url("http://127.0.0.1:5000/token")).is_ok());
        assert!(may_send_credentials(&local, &url("http://127.0.0.1:5001/token")).is_ok());
        assert!(may_send_credentials(&local, &url("http://127.0.0.2:5001/token")).is_err());
        assert!(may_send_credentials(&local, &url("http://localhost:5001/token")).is_err());
        let local_tls = url("https://127.0.0.1:5443/v2/");
        assert!(may_send_credentials(&local_tls, &url("http://127.0.0.1:5001/token")).is_err());
        assert!(may_send_credentials(&local_tls, &url("https://127.0.0.1:5001/token")).is_ok());
        let remote_http = url("http://registry.test/v2/");
        assert!(may_send_credentials(&remote_http, &url("http://registry.test:81/t")).is_err());
    }
}
