//! `docker-daemon:` against a real local engine: Podman's Docker-compatible API service
//! (`podman system service`) with the sample image loaded.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{comparable, extract, require, sample_layout};

struct Engine {
    dir: tempfile::TempDir,
    child: Child,
}

impl Engine {
    fn podman(dir: &std::path::Path) -> Command {
        let mut cmd = Command::new("podman");
        cmd.arg("--root")
            .arg(dir.join("root"))
            .arg("--runroot")
            .arg(dir.join("run"));
        cmd.args(["--storage-driver", "vfs"]);
        cmd
    }

    /// Loads the sample image as `localhost/sample:1.0` and serves the API on a socket.
    fn start() -> Self {
        require("podman");
        require("skopeo");
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = dir.path().join("sample.tar");
        let out = Command::new("skopeo")
            .args(["copy", "--quiet"])
            .arg(format!("oci:{}:latest", sample_layout().display()))
            .arg(format!(
                "docker-archive:{}:localhost/sample:1.0",
                archive.display()
            ))
            .output()
            .expect("skopeo runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Self::podman(dir.path())
            .args(["load", "-q", "-i"])
            .arg(&archive)
            .output()
            .expect("podman runs");
        assert!(
            out.status.success(),
            "podman load: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let socket = dir.path().join("podman.sock");
        let child = Self::podman(dir.path())
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("podman system service starts");
        let started = Instant::now();
        while !socket.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the podman service did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { dir, child }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.dir.path().join("podman.sock").display())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn reads_images_from_the_local_engine() {
    let engine = Engine::start();
    let host = engine.host();
    let (out, doc) = extract(
        &["-i", "docker-daemon:localhost/sample:1.0"],
        &[("DOCKER_HOST", &host)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_engine = doc.expect("document");
    assert_eq!(
        from_engine["result"]["skopeo-inspect"]["RepoTags"],
        serde_json::json!(["localhost/sample:1.0"])
    );
    let (out, doc) = extract(
        &["-i", &format!("oci:{}:latest", sample_layout().display())],
        &[],
    );
    assert_eq!(out.status.code(), Some(0));
    let from_layout = doc.expect("document");
    // The engine exports layers uncompressed: digests and sizes differ, the inventory does not.
    let strip = |v: &Value| {
        let mut c = comparable(v);
        let o = c.as_object_mut().expect("object");
        for k in ["layers", "image_size", "image_size_uncompressed"] {
            o.remove(k);
        }
        o["skopeo-inspect"]
            .as_object_mut()
            .expect("inspect")
            .remove("Layers");
        c
    };
    assert_eq!(strip(&from_engine), strip(&from_layout));
    assert_eq!(
        from_engine["result"]["layers"].as_array().map(Vec::len),
        from_layout["result"]["layers"].as_array().map(Vec::len)
    );

    let (out, doc) = extract(
        &["-i", "docker-daemon:localhost/absent:1"],
        &[("DOCKER_HOST", &host)],
    );
    assert_eq!(out.status.code(), Some(3));
    let doc = doc.expect("failure document");
    assert!(
        doc["result"]["error_msg"]
            .as_str()
            .is_some_and(|m| m.contains("no image")),
        "{doc}"
    );
}

#[test]
fn a_missing_engine_is_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let host = format!("unix://{}", dir.path().join("nothing.sock").display());
    let (out, doc) = extract(&["-i", "docker-daemon:app:1"], &[("DOCKER_HOST", &host)]);
    assert_eq!(out.status.code(), Some(4));
    let doc = doc.expect("failure document");
    assert_eq!(doc["result"]["error_kind"], "network");
    assert!(
        doc["result"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("engine")),
        "{doc}"
    );
}
