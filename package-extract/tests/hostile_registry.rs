//! A hostile registry on loopback (issue 13): credentials sent to a token realm elsewhere,
//! bodies that never end or lie about their size, a layer that drips, credentials inside the
//! image reference. Each run ends with the exit code and failure document it should, in
//! bounded memory (peak RSS read from `/proc/<pid>/status` while it runs) and time.

mod support;

use package_extract::digest::Digest;
use package_extract::layer::fixture::{Item, gzip, tar};
use serde_json::{Value, json};
use support::standin::{Body, Measured, Reply, StandIn, measure, measure_with};

/// Peak memory every attack must stay under.
const MAX_RSS_KIB: u64 = 256 << 10;
const SECRET: &str = "s3cret-canary-pw";

/// An image served by a stand-in: one gzip layer holding `/etc/os-release`.
struct Served {
    layer: Vec<u8>,
    config: Vec<u8>,
}

impl Served {
    fn new() -> Self {
        let layer = gzip(&tar(&[
            Item::Dir("etc"),
            Item::File("etc/os-release", b"ID=hostile\nVERSION_ID=1\n"),
        ]));
        let config = serde_json::to_vec(&json!({"architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": []}, "config": {}}))
        .expect("json");
        Self { layer, config }
    }

    fn manifest(&self, config_size: u64, layer_sizes: &[u64]) -> Vec<u8> {
        let layers: Vec<Value> = layer_sizes
            .iter()
            .map(|s| {
                json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": Digest::of(&self.layer).to_string(), "size": s})
            })
            .collect();
        serde_json::to_vec(&json!({"schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": Digest::of(&self.config).to_string(), "size": config_size},
            "layers": layers}))
        .expect("json")
    }

    /// Routes an honest image under `app:1`, with `manifest` as its manifest.
    fn route(&self, s: &StandIn, manifest: &[u8]) {
        s.route("/v2/", Reply::json(b"{}"));
        s.route(
            "/v2/app/manifests/1",
            Reply::json(manifest)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
        );
        s.route(
            &format!("/v2/app/blobs/{}", Digest::of(&self.config)),
            Reply::json(&self.config),
        );
        s.route(
            &format!("/v2/app/blobs/{}", Digest::of(&self.layer)),
            Reply::json(&self.layer),
        );
    }
}

fn assert_failed(m: &Measured, code: i32, needle: &str) -> String {
    assert_eq!(
        m.out.status.code(),
        Some(code),
        "stderr: {}",
        String::from_utf8_lossy(&m.out.stderr)
    );
    let doc = m.doc.as_ref().expect("a failure document");
    assert_eq!(doc["result"]["error"], true);
    let msg = doc["result"]["error_msg"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(msg.contains(needle), "{needle:?} not in {msg:?}");
    assert!(
        m.peak_rss_kib < MAX_RSS_KIB,
        "peak RSS {} KiB",
        m.peak_rss_kib
    );
    msg
}

fn all_output(m: &Measured) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&m.out.stdout),
        String::from_utf8_lossy(&m.out.stderr)
    )
}

/// A registry on 127.0.0.1 serving the honest image as `app:1`, whose `/v2/` asks for a bearer
/// token from a plain-http realm on `realm_host` (its own port) that issues `token`.
fn behind_http_realm(realm_host: &str, token: &str) -> (StandIn, StandIn) {
    let realm = StandIn::start(realm_host);
    let issued = serde_json::to_vec(&json!({ "token": token })).expect("json");
    realm.route("/token", Reply::json(&issued));
    let registry = StandIn::start("127.0.0.1");
    let served = Served::new();
    served.route(
        &registry,
        &served.manifest(served.config.len() as u64, &[served.layer.len() as u64]),
    );
    registry.route(
        "/v2/",
        Reply::status(401).header(
            "WWW-Authenticate",
            &format!(
                r#"Bearer realm="http://{}/token",service="standin""#,
                realm.addr
            ),
        ),
    );
    (realm, registry)
}

#[test]
fn credentials_never_go_to_a_plain_http_realm_on_another_host() {
    let (realm, registry) = behind_http_realm("127.0.0.2", "anonymous-token");
    let creds = format!("alice:{SECRET}");
    let m = measure(&[
        "-i",
        &format!("docker://{}/app:1", registry.addr),
        "-c",
        &creds,
        "-v",
    ]);
    // The realm was asked for a token, without the credentials.
    let asked = realm.seen();
    assert!(!asked.is_empty(), "the realm was never asked");
    for r in &asked {
        assert!(
            !r.headers.contains_key("authorization"),
            "credentials reached the realm: {r:?}"
        );
    }
    // The pull then goes on with the anonymous token (this stand-in serves anonymously), and the
    // user is told why the credentials were kept back.
    assert_eq!(m.out.status.code(), Some(0), "{}", all_output(&m));
    assert!(all_output(&m).contains("credentials were not sent"));
    assert!(!all_output(&m).contains(SECRET));
    for r in registry.seen() {
        if let Some(a) = r.headers.get("authorization") {
            assert_eq!(a, "Bearer anonymous-token");
        }
    }
}

/// A TLS front on loopback for a stand-in: a certificate for 127.0.0.1 signed by a CA made for
/// the test with the `openssl` CLI, and a thread per connection that relays each HTTP/1.1
/// request (the client's are bodiless GETs) to the plain stand-in and its answer back.
struct TlsFront {
    port: u16,
    /// The CA's certificate, for the client's `SSL_CERT_FILE`.
    ca: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsFront {
    fn start(backend: &str) -> Self {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let dir = tempfile::tempdir().expect("tempdir");
        let openssl = |args: &str| {
            let out = std::process::Command::new("openssl")
                .current_dir(dir.path())
                .args(args.split_whitespace())
                .output()
                .expect("the openssl CLI runs (Debian package openssl, in .ci/apt-packages)");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
        openssl(&format!(
            "req -x509 {ec} -keyout ca.key -out ca.pem -days 2 -subj /CN=thoth-test-ca \
             -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign"
        ));
        openssl(&format!(
            "req {ec} -keyout srv.key -out srv.csr -subj /CN=127.0.0.1"
        ));
        std::fs::write(
            dir.path().join("srv.ext"),
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write");
        openssl(
            "x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
             -extfile srv.ext -out srv.pem",
        );
        let certs = CertificateDer::pem_file_iter(dir.path().join("srv.pem"))
            .expect("srv.pem")
            .collect::<Result<Vec<_>, _>>()
            .expect("certificates");
        let key = PrivateKeyDer::from_pem_file(dir.path().join("srv.key")).expect("srv.key");
        let config = std::sync::Arc::new(
            rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
                rustls::crypto::aws_lc_rs::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate"),
        );
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        let backend = backend.to_owned();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, backend) = (std::sync::Arc::clone(&config), backend.clone());
                std::thread::spawn(move || relay(stream, config, &backend));
            }
        });
        Self {
            port,
            ca: dir.path().join("ca.pem"),
            _dir: dir,
        }
    }
}

/// Reads an HTTP head (request or status line and headers, through the empty line).
fn read_head(r: &mut impl std::io::BufRead) -> Option<String> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            return Some(head);
        }
    }
}

fn relay(tcp: std::net::TcpStream, config: std::sync::Arc<rustls::ServerConfig>, backend: &str) {
    use std::io::{BufReader, Read, Write};
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut client = BufReader::new(rustls::StreamOwned::new(conn, tcp));
    let Ok(upstream) = std::net::TcpStream::connect(backend) else {
        return;
    };
    let mut upstream = BufReader::new(upstream);
    while let Some(request) = read_head(&mut client) {
        if upstream.get_mut().write_all(request.as_bytes()).is_err() {
            return;
        }
        let Some(answer) = read_head(&mut upstream) else {
            return;
        };
        let length = answer
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())
                    .flatten()
            })
            .unwrap_or(0);
        let mut body = vec![0; length];
        if upstream.read_exact(&mut body).is_err() {
            return;
        }
        let out = client.get_mut();
        if out.write_all(answer.as_bytes()).is_err()
            || out.write_all(&body).is_err()
            || out.flush().is_err()
        {
            return;
        }
    }
}

#[test]
fn credentials_never_go_from_a_tls_registry_to_a_plain_http_realm() {
    // The realm is plain http on the same loopback host, another port.
    let (realm, registry) = behind_http_realm("127.0.0.1", "anonymous-token");
    let front = TlsFront::start(&registry.addr);
    // `127.1` is 127.0.0.1 to the URL parser, but not a spelling of loopback that the client
    // talks plain http to: it speaks TLS, as to any remote registry, and checks the
    // certificate against SSL_CERT_FILE.
    let reference = format!("docker://127.1:{}/app:1", front.port);
    let creds = format!("alice:{SECRET}");
    let ca = front.ca.to_str().expect("utf-8 path");
    let m = measure_with(
        &["-i", &reference, "-c", &creds, "-v"],
        &[("SSL_CERT_FILE", ca)],
    );
    assert_eq!(m.out.status.code(), Some(0), "{}", all_output(&m));
    assert!(
        registry
            .seen()
            .iter()
            .any(|r| r.path.contains("/manifests/")),
        "the registry was reached through TLS"
    );
    let asked = realm.seen();
    assert!(!asked.is_empty(), "the realm was never asked");
    for r in &asked {
        assert!(
            !r.headers.contains_key("authorization"),
            "credentials reached the plain-http realm: {r:?}"
        );
    }
    assert!(all_output(&m).contains("credentials were not sent"));
    assert!(!all_output(&m).contains(SECRET));
}

#[test]
fn a_realm_on_the_same_loopback_host_receives_the_credentials() {
    let (realm, registry) = behind_http_realm("127.0.0.1", "issued-token");
    let creds = format!("alice:{SECRET}");
    let m = measure(&["-i", &format!("{}/app:1", registry.addr), "-c", &creds]);
    assert_eq!(m.out.status.code(), Some(0), "{}", all_output(&m));
    let asked = realm.seen();
    assert!(
        asked.iter().any(|r| r
            .headers
            .get("authorization")
            .is_some_and(|a| a.starts_with("Basic "))),
        "{asked:?}"
    );
    assert!(
        registry
            .seen()
            .iter()
            .any(|r| r.headers.get("authorization").map(String::as_str)
                == Some("Bearer issued-token"))
    );
    assert!(!all_output(&m).contains(SECRET));
}

#[test]
fn credentials_inside_the_reference_are_never_echoed() {
    for reference in [
        format!("alice:{SECRET}@127.0.0.1:9/x:1"),
        format!("docker://alice:{SECRET}@127.0.0.1:9/x:1"),
    ] {
        let m = measure(&["-i", &reference, "-vv"]);
        assert_eq!(m.out.status.code(), Some(2), "{}", all_output(&m));
        let text = all_output(&m);
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("holds credentials"), "{text}");
    }
}

#[test]
fn a_manifest_that_never_ends_is_refused_at_4_mib() {
    let registry = StandIn::start("127.0.0.1");
    registry.route("/v2/", Reply::json(b"{}"));
    registry.route(
        "/v2/app/manifests/1",
        Reply::status(200).body(Body::Endless(b' ')),
    );
    let m = measure(&["-i", &format!("{}/app:1", registry.addr)]);
    assert_failed(&m, 3, "larger than 4194304 bytes");
}

#[test]
fn a_config_longer_than_declared_is_refused() {
    let registry = StandIn::start("127.0.0.1");
    let served = Served::new();
    served.route(
        &registry,
        &served.manifest(100, &[served.layer.len() as u64]),
    );
    registry.route(
        &format!("/v2/app/blobs/{}", Digest::of(&served.config)),
        Reply::status(200).body(Body::Endless(b'{')),
    );
    let m = measure(&["-i", &format!("{}/app:1", registry.addr)]);
    assert_failed(&m, 3, "larger than 100 bytes");
}

#[test]
fn a_layer_longer_or_shorter_than_declared_is_refused() {
    let served = Served::new();
    let real = served.layer.len() as u64;
    // Endless: more than declared.
    let registry = StandIn::start("127.0.0.1");
    served.route(
        &registry,
        &served.manifest(served.config.len() as u64, &[real]),
    );
    registry.route(
        &format!("/v2/app/blobs/{}", Digest::of(&served.layer)),
        Reply::status(200).body(Body::Endless(0)),
    );
    let m = measure(&["-i", &format!("{}/app:1", registry.addr)]);
    assert_failed(&m, 3, &format!("longer than the {real} bytes"));
    // Declared larger than it is: two layers of u64::MAX bytes, which used to add up to 858.
    let registry = StandIn::start("127.0.0.1");
    served.route(
        &registry,
        &served.manifest(served.config.len() as u64, &[u64::MAX, u64::MAX]),
    );
    let m = measure(&["-i", &format!("{}/app:1", registry.addr)]);
    assert_failed(&m, 3, "declares 18446744073709551615");
}

#[test]
fn image_size_counts_the_bytes_read() {
    let registry = StandIn::start("127.0.0.1");
    let served = Served::new();
    let manifest = served.manifest(served.config.len() as u64, &[served.layer.len() as u64]);
    served.route(&registry, &manifest);
    let m = measure(&["-i", &format!("{}/app:1", registry.addr)]);
    assert_eq!(m.out.status.code(), Some(0), "{}", all_output(&m));
    let doc = m.doc.expect("document");
    assert_eq!(
        doc["result"]["image_size"],
        (manifest.len() + served.config.len() + served.layer.len()) as u64
    );
    assert_eq!(doc["result"]["operating-system"]["id"], "hostile");
}

#[test]
fn a_dripping_layer_ends_at_the_timeout() {
    let registry = StandIn::start("127.0.0.1");
    let served = Served::new();
    served.route(
        &registry,
        &served.manifest(served.config.len() as u64, &[1 << 20]),
    );
    registry.route(
        &format!("/v2/app/blobs/{}", Digest::of(&served.layer)),
        Reply::status(200).body(Body::Drip(std::time::Duration::from_millis(200))),
    );
    let m = measure(&["-i", &format!("{}/app:1", registry.addr), "-t", "3"]);
    assert_failed(&m, 4, "did not finish within 3 seconds");
    assert!(m.wall.as_secs() < 15, "{:?}", m.wall);
}

#[test]
fn the_default_timeout_is_an_hour_and_documented() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_package-extract"))
        .args(["extract-image", "--help"])
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("[default: 3600]"), "{help}");
    assert_eq!(package_extract::DEFAULT_TIMEOUT_SECS, 3600);
}
