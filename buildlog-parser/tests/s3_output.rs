//! `-o s3://BUCKET/KEY` against a real S3-compatible server on loopback: moto's server
//! (`moto[server]` in .ci/pip-requirements), with its authentication turned on so that an
//! unknown access key and a wrong secret are refused as S3 refuses them
//! (`scripts/s3/peer.py`). The stored object is read back with boto3 and compared with the
//! document the same command writes to a file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::golden;
use common::moto::{Moto, peer};
use serde_json::Value;

const BUCKET: &str = "thoth-docs";

fn input_log() -> PathBuf {
    golden::testdata("buildlog-parser").join("buildah-pip-success/input.log")
}

/// Runs buildlog-parser with only the variables given (no AWS settings of the machine leak in).
fn parse(output: &str, env: &[(&str, &str)], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_buildlog-parser"))
        .args(["parse", "--reproducible", "-i"])
        .arg(input_log())
        .args(["-o", output])
        .env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .expect("buildlog-parser runs")
}

#[test]
fn documents_land_in_s3_and_wrong_credentials_are_named() {
    let moto = Moto::start(BUCKET);
    let home = tempfile::tempdir().expect("tempdir");
    let endpoint = moto.endpoint.as_str();
    let good = [
        ("AWS_ENDPOINT_URL_S3", endpoint),
        ("AWS_ACCESS_KEY_ID", moto.key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", moto.secret.as_str()),
        ("SOURCE_DATE_EPOCH", "1700000000"),
    ];

    // The same document, once to a file and once to S3 (a key with a space and slashes).
    let key = "ocp4/buildlogs-parsed/doc 1.json";
    let file = home.path().join("doc.json");
    let out = parse(&file.display().to_string(), &good, home.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = parse(&format!("s3://{BUCKET}/{key}"), &good, home.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored = moto.get(key);
    let mut expected: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("file")).expect("json");
    let mut got: Value = serde_json::from_slice(&stored).expect("the object is the JSON document");
    // The recorded `output` argument is the only difference between the two runs.
    for doc in [&mut expected, &mut got] {
        doc["metadata"]["arguments"]["parse"]
            .as_object_mut()
            .expect("arguments")
            .remove("output");
    }
    assert_eq!(got, expected);
    let text = String::from_utf8_lossy(&stored);
    assert!(
        !text.contains(&moto.secret),
        "the secret reached the document"
    );
    assert!(
        got["result"]["installed"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );

    // The profile files serve as well as the environment.
    std::fs::create_dir(home.path().join(".aws")).expect("mkdir");
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[ci]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            moto.key_id, moto.secret
        ),
    )
    .expect("write");
    std::fs::write(
        home.path().join(".aws/config"),
        format!("[profile ci]\nregion = us-east-1\nendpoint_url = {endpoint}\n"),
    )
    .expect("write");
    let out = parse(
        &format!("s3://{BUCKET}/from-profile"),
        &[("AWS_PROFILE", "ci")],
        home.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!moto.get("from-profile").is_empty());

    // Refusals: each exits 4 (a remote service refused), names the S3 error and says what to
    // fix, and stores nothing.
    // (case, environment, S3 error code, words of the hint)
    type Refusal<'a> = (&'a str, [(&'a str, &'a str); 3], &'a str, &'a str);
    let cases: [Refusal; 3] = [
        (
            "wrong secret",
            [
                ("AWS_ENDPOINT_URL_S3", endpoint),
                ("AWS_ACCESS_KEY_ID", &moto.key_id),
                ("AWS_SECRET_ACCESS_KEY", "not-the-secret"),
            ],
            "SignatureDoesNotMatch",
            "secret access key",
        ),
        (
            "unknown key",
            [
                ("AWS_ENDPOINT_URL_S3", endpoint),
                ("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000"),
                ("AWS_SECRET_ACCESS_KEY", "whatever"),
            ],
            "InvalidAccessKeyId",
            "does not know the access key",
        ),
        (
            "no such bucket",
            [
                ("AWS_ENDPOINT_URL_S3", endpoint),
                ("AWS_ACCESS_KEY_ID", &moto.key_id),
                ("AWS_SECRET_ACCESS_KEY", &moto.secret),
            ],
            "NoSuchBucket",
            "does not exist",
        ),
    ];
    for (name, env, code, hint) in cases {
        let bucket = if code == "NoSuchBucket" {
            "missing-bucket"
        } else {
            BUCKET
        };
        let out = parse(&format!("s3://{bucket}/refused"), &env, home.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{name}: {stderr}");
        assert!(stderr.contains(code), "{name}: {stderr}");
        assert!(stderr.contains(hint), "{name}: {stderr}");
        assert!(
            !stderr.contains(&moto.secret),
            "{name}: the secret was printed"
        );
    }

    // No credentials anywhere: the message says what to set, and exits 3 (unusable output).
    // (Instance metadata is off: the test never asks a link-local address.)
    let empty_home = tempfile::tempdir().expect("tempdir");
    let out = parse(
        &format!("s3://{BUCKET}/no-credentials"),
        &[
            ("AWS_ENDPOINT_URL_S3", endpoint),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
        empty_home.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("AWS_ACCESS_KEY_ID"), "{stderr}");
}

/// Runs `parse -vvv` to `s3://BUCKET/key` with only `env`, and checks that it stored the
/// document and that none of `secrets` is in its stdout, stderr or the stored object.
fn stored_without_leaks(moto: &Moto, case: &str, env: &[(&str, &str)], secrets: &[&str]) {
    let home = tempfile::tempdir().expect("tempdir");
    let key = format!("pods/{case}");
    let out = Command::new(env!("CARGO_BIN_EXE_buildlog-parser"))
        .args(["parse", "-vvv", "-i"])
        .arg(input_log())
        .args(["-o", &format!("s3://{BUCKET}/{key}")])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL_S3", &moto.endpoint)
        .env("AWS_REGION", "us-east-1")
        .envs(env.iter().copied())
        .output()
        .expect("buildlog-parser runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{case}: {stderr}");
    let stored = moto.get(&key);
    let doc: Value = serde_json::from_slice(&stored).expect("the object is the JSON document");
    assert!(doc["result"]["installed"].is_array(), "{case}: {doc}");
    let mut leaks = common::canary::Leaks::default();
    for secret in secrets {
        leaks.check_output(case, secret, &out);
        leaks.check(case, "the stored object", secret, &stored);
    }
    leaks.assert_none();
}

/// Temporary credentials from moto's STS, in the JSON the container and instance metadata
/// endpoints serve.
fn assumed(moto: &Moto, web_identity: &str) -> Value {
    serde_json::from_slice(&peer(
        &["assume", &moto.endpoint, &moto.role_arn, web_identity],
        &[],
    ))
    .expect("assume prints JSON")
}

/// The pod credential chain (issue 17, item 9), each step against a loopback server, each
/// writing to moto with its authentication on: web identity through moto's STS, container
/// credentials and IMDSv2 from loopback stand-ins that hand out credentials moto's STS issued.
#[test]
fn pod_credentials_from_web_identity_container_endpoint_and_instance_metadata() {
    // Two unsigned STS calls for the stand-ins' credentials, one by the binary itself.
    let moto = Moto::start_allowing_unsigned(BUCKET, 3);
    let jwt = format!("{}-jwt", common::canary::canary());
    let for_container = assumed(&moto, &jwt);
    let for_imds = assumed(&moto, &jwt);
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("web-identity-token");
    std::fs::write(&token_file, &jwt).expect("write");
    let token_file = token_file.display().to_string();

    // Web identity (EKS IRSA, OpenShift STS): the token is exchanged at STS.
    stored_without_leaks(
        &moto,
        "web-identity",
        &[
            ("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file),
            ("AWS_ROLE_ARN", &moto.role_arn),
            ("AWS_ROLE_SESSION_NAME", "thoth-test"),
            ("AWS_ENDPOINT_URL_STS", &moto.endpoint),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
        &[&jwt],
    );

    // Container credentials (ECS, EKS Pod Identity), with the authorization token from a file.
    let field = |v: &Value, k: &str| v[k].as_str().expect("a credential field").to_owned();
    let container = common::hostile::HostileServer::start();
    container.on(
        "/v2/credentials",
        common::hostile::Attack::Ok {
            content_type: "application/json".into(),
            body: for_container.to_string().into_bytes(),
        },
    );
    let auth = format!("{}-pod-identity", common::canary::canary());
    let auth_file = dir.path().join("eks-pod-identity-token");
    std::fs::write(&auth_file, &auth).expect("write");
    stored_without_leaks(
        &moto,
        "container",
        &[
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                &container.url("/v2/credentials"),
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                &auth_file.display().to_string(),
            ),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
        &[
            &auth,
            &field(&for_container, "SecretAccessKey"),
            &field(&for_container, "Token"),
        ],
    );
    let asked = container.requests();
    assert_eq!(
        asked.first().and_then(|r| r.header("authorization")),
        Some(auth.as_str()),
        "the container endpoint gets the pod's token"
    );

    // Instance metadata, IMDSv2: a session token first, then the role and its credentials.
    let imds = common::hostile::HostileServer::start();
    let session = format!("{}-imds-session", common::canary::canary());
    imds.on(
        "/latest/api/token",
        common::hostile::Attack::Stub {
            content_type: "text/plain".into(),
            headers: vec![(
                "x-aws-ec2-metadata-token-ttl-seconds".into(),
                "21600".into(),
            )],
            body: session.clone().into_bytes(),
        },
    );
    imds.on(
        "/latest/meta-data/iam/security-credentials/",
        common::hostile::Attack::Ok {
            content_type: "text/plain".into(),
            body: b"writer".to_vec(),
        },
    );
    imds.on(
        "/latest/meta-data/iam/security-credentials/writer",
        common::hostile::Attack::Ok {
            content_type: "text/plain".into(),
            body: for_imds.to_string().into_bytes(),
        },
    );
    stored_without_leaks(
        &moto,
        "instance-metadata",
        &[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.origin())],
        &[
            &field(&for_imds, "SecretAccessKey"),
            &field(&for_imds, "Token"),
        ],
    );
    let asked = imds.requests();
    assert!(
        asked
            .iter()
            .any(|r| r.method == "PUT" && r.path == "/latest/api/token"),
        "IMDSv2 asks for a session token first: {asked:?}"
    );
    assert!(
        asked
            .iter()
            .filter(|r| r.path.starts_with("/latest/meta-data/"))
            .all(|r| r.header("x-aws-ec2-metadata-token") == Some(session.as_str())),
        "every metadata request carries the session token: {asked:?}"
    );
}
