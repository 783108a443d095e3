//! moto's server (`moto[server]` in `.ci/pip-requirements`) on a free loopback port, with a
//! bucket, a key and a role made by `scripts/s3/peer.py setup`, and its authentication turned on
//! so that an unknown key or a wrong secret is refused as S3 refuses them. Stopped when dropped.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct Moto {
    child: Child,
    pub endpoint: String,
    pub bucket: String,
    pub key_id: String,
    pub secret: String,
    /// A role allowed s3:*, assumable with a web identity.
    pub role_arn: String,
}

impl Moto {
    pub fn start(bucket: &str) -> Self {
        Self::start_allowing_unsigned(bucket, 0)
    }

    /// Authentication turns on after `unsigned` more requests (STS's
    /// AssumeRoleWithWebIdentity is unsigned).
    pub fn start_allowing_unsigned(bucket: &str, unsigned: u32) -> Self {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server runs (scripts/install-test-deps.sh installs it)");
        let mut moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: bucket.to_owned(),
            key_id: String::new(),
            secret: String::new(),
            role_arn: String::new(),
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
        let out = peer(
            &["setup", &moto.endpoint, bucket, &unsigned.to_string()],
            &[],
        );
        let key: Value = serde_json::from_slice(&out).expect("setup prints the key as JSON");
        moto.key_id = key["access_key_id"].as_str().expect("key id").to_owned();
        moto.secret = key["secret_access_key"]
            .as_str()
            .expect("secret")
            .to_owned();
        moto.role_arn = key["role_arn"].as_str().expect("role").to_owned();
        moto
    }

    /// The object at `key` of the bucket, read with boto3.
    pub fn get(&self, key: &str) -> Vec<u8> {
        peer(
            &["get", &self.endpoint, &self.bucket, key],
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

/// `scripts/s3/peer.py ARGS` (boto3, the peer client), its stdout; fails the test on an error.
pub fn peer(args: &[&str], env: &[(&str, &str)]) -> Vec<u8> {
    let script = crate::golden::workspace_root().join("scripts/s3/peer.py");
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
