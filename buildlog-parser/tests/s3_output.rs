//! `-o s3://BUCKET/KEY` against a real S3-compatible server on loopback: moto's server
//! (`moto[server]` in .ci/pip-requirements), with its authentication turned on so that an
//! unknown access key and a wrong secret are refused as S3 refuses them
//! (`scripts/s3/peer.py`). The stored object is read back with boto3 and compared with the
//! document the same command writes to a file.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::golden;
use serde_json::Value;

const BUCKET: &str = "thoth-docs";

/// A moto server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    endpoint: String,
    key_id: String,
    secret: String,
}

impl Moto {
    fn start() -> Self {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server runs (pip install -r .ci/pip-requirements)");
        let mut moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            key_id: String::new(),
            secret: String::new(),
        };
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = peer(&["setup", &moto.endpoint, BUCKET], &[]);
        let key: Value = serde_json::from_slice(&out).expect("setup prints the key as JSON");
        moto.key_id = key["access_key_id"].as_str().expect("key id").to_owned();
        moto.secret = key["secret_access_key"]
            .as_str()
            .expect("secret")
            .to_owned();
        moto
    }

    fn get(&self, key: &str) -> Vec<u8> {
        peer(
            &["get", &self.endpoint, BUCKET, key],
            &[
                ("AWS_ACCESS_KEY_ID", &self.key_id),
                ("AWS_SECRET_ACCESS_KEY", &self.secret),
            ],
        )
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn peer(args: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
    let script = golden::workspace_root().join("scripts/s3/peer.py");
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "peer.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

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
    let moto = Moto::start();
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
    let empty_home = tempfile::tempdir().expect("tempdir");
    let out = parse(
        &format!("s3://{BUCKET}/no-credentials"),
        &[("AWS_ENDPOINT_URL_S3", endpoint)],
        empty_home.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("AWS_ACCESS_KEY_ID"), "{stderr}");
}
