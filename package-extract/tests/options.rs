//! Options that shape a run: the timeout, the .py digests, dir: input.

mod support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use support::{extract, sample_layout};

#[test]
fn the_timeout_bounds_a_run_against_a_silent_registry() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let _hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(8) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(60));
    });
    let started = Instant::now();
    let (out, doc) = extract(&["-i", &format!("docker://{addr}/app:1"), "-t", "2"], &[]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = doc.expect("failure document");
    assert_eq!(doc["result"]["error_kind"], "timeout");
    assert!(
        doc["result"]["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("2 seconds"))
    );
}

#[test]
fn python_file_digests_can_be_turned_off() {
    let image = format!("oci:{}:latest", sample_layout().display());
    let (_, with) = extract(&["-i", &image], &[]);
    let with = with.expect("document");
    assert!(
        with["result"]["python-files"]
            .as_array()
            .is_some_and(|f| f.len() > 10)
    );
    let (out, without) = extract(&["-i", &image, "--no-python-files"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let without = without.expect("document");
    assert_eq!(without["result"]["python-files"], serde_json::json!([]));
    assert_eq!(
        without["result"]["python-packages"],
        with["result"]["python-packages"]
    );
}

#[test]
fn a_root_filesystem_directory_is_inventoried() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("usr/lib/python3/dist-packages/demo-1.0.dist-info"))
        .expect("mkdir");
    std::fs::create_dir_all(root.join("etc")).expect("mkdir");
    std::fs::write(root.join("etc/os-release"), "ID=testos\nVERSION_ID=\"7\"\n").expect("write");
    std::fs::write(
        root.join("usr/lib/python3/dist-packages/demo-1.0.dist-info/METADATA"),
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
    )
    .expect("write");
    let (out, doc) = extract(&["-i", &format!("dir:{}", root.display())], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = &doc.expect("document")["result"];
    assert_eq!(r["operating-system"]["id"], "testos");
    assert_eq!(r["python-packages"][0]["package_name"], "demo");
    assert!(r["skopeo-inspect"].is_null());
    let (out, _) = extract(
        &[
            "-i",
            &format!("dir:{}", root.join("etc/os-release").display()),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(3));
}
