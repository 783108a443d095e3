//! A hostile registry on loopback (issue 13): credentials sent to a token realm elsewhere,
//! bodies that never end or lie about their size, a layer that drips, credentials inside the
//! image reference. Each run ends with the exit code and failure document it should, in
//! bounded memory (peak RSS read from `/proc/<pid>/status` while it runs) and time.

mod support;

use package_extract::digest::Digest;
use package_extract::layer::fixture::{Item, gzip, tar};
use serde_json::{Value, json};
use support::standin::{Body, Measured, Reply, StandIn, measure};

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

#[test]
fn credentials_never_go_to_a_plain_http_realm_on_another_host() {
    let realm = StandIn::start("127.0.0.2");
    realm.route("/token", Reply::json(br#"{"token": "anonymous-token"}"#));
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

#[test]
fn a_realm_on_the_same_loopback_host_receives_the_credentials() {
    let realm = StandIn::start("127.0.0.1");
    realm.route("/token", Reply::json(br#"{"token": "issued-token"}"#));
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
