//! Real components for package-extract's integration tests: a registry on loopback (Debian's
//! `docker-registry`), images pushed with `skopeo`, and the built binary.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod standin;

pub fn sample_layout() -> PathBuf {
    common::golden::testdata("package-extract").join("sample-image")
}

/// Fails (never skips) when a tool the tests rely on is missing: `.ci/run` installs them.
pub fn require(tool: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(tool))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("{tool} is not installed; .ci/run installs it (see .ci/apt-packages)")
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub struct Registry {
    pub addr: String,
    child: Child,
    _dir: tempfile::TempDir,
    pub credentials: Option<(String, String)>,
}

impl Registry {
    pub fn start(credentials: Option<(&str, &str)>) -> Self {
        let bin = require("docker-registry");
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut auth = String::new();
        if let Some((user, pass)) = credentials {
            require("htpasswd");
            let htpasswd = dir.path().join("htpasswd");
            let out = Command::new("htpasswd")
                .args(["-Bbc"])
                .arg(&htpasswd)
                .args([user, pass])
                .output()
                .expect("htpasswd runs");
            assert!(
                out.status.success(),
                "htpasswd: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            auth = format!(
                "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}\n",
                htpasswd.display()
            );
        }
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n{auth}",
                dir.path().join("data").display()
            ),
        )
        .expect("config");
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("docker-registry starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "registry did not start on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            addr,
            child,
            _dir: dir,
            credentials: credentials.map(|(u, p)| (u.to_owned(), p.to_owned())),
        }
    }

    /// The registry's filesystem storage (`docker/registry/v2/blobs/sha256/<2>/<hex>/data`).
    pub fn storage(&self) -> PathBuf {
        self._dir.path().join("data")
    }

    /// `skopeo copy` from a source transport reference into this registry.
    pub fn push(&self, source: &str, name: &str, extra: &[&str]) {
        require("skopeo");
        let mut cmd = Command::new("skopeo");
        cmd.args(["copy", "--quiet", "--dest-tls-verify=false"]);
        if let Some((u, p)) = &self.credentials {
            cmd.arg(format!("--dest-creds={u}:{p}"));
        }
        cmd.args(extra)
            .arg(source)
            .arg(format!("docker://{}/{name}", self.addr));
        let out = cmd.output().expect("skopeo runs");
        assert!(
            out.status.success(),
            "skopeo copy {source}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs package-extract with `args`; the environment holds no credentials of the host.
pub fn extract(args: &[&str], env: &[(&str, &str)]) -> (Output, Option<Value>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_package-extract"));
    cmd.arg("extract-image").args(args);
    for var in [
        "THOTH_REGISTRY_CREDENTIALS",
        "REGISTRY_AUTH_FILE",
        "XDG_RUNTIME_DIR",
        "DOCKER_CONFIG",
        "THOTH_ANALYZER_OUTPUT",
    ] {
        cmd.env_remove(var);
    }
    let home = tempfile::tempdir().expect("home");
    cmd.env("HOME", home.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("package-extract runs");
    let doc = serde_json::from_slice(&out.stdout).ok();
    (out, doc)
}

/// Asserts a run that succeeded (exit 0) and returns its document.
pub fn succeeded(out: &Output, doc: Option<Value>) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}\nstdout: {}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    doc.expect("a JSON document")
}

/// Asserts a failure document for bad input (exit 3) and returns its message.
pub fn input_error(out: &Output, doc: &Value) -> String {
    assert_eq!(
        out.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(doc["result"]["error"], true);
    assert_eq!(doc["result"]["error_kind"], "input");
    doc["result"]["error_msg"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The result with what legitimately differs between transports removed.
pub fn comparable(doc: &Value) -> Value {
    let mut r = doc["result"].clone();
    if let Some(inspect) = r.get_mut("skopeo-inspect").and_then(Value::as_object_mut) {
        for k in ["Name", "RepoTags", "LayersData", "Digest"] {
            inspect.remove(k);
        }
    }
    r
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from)
        .expect("read_dir")
        .filter_map(Result::ok)
    {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// Runs `scripts/conda-fixtures/make.py OUT` (an image with two conda environments made by
/// conda-package-handling and py-rattler) and returns OUT, holding `layout/` and `rootfs/`.
pub fn conda_fixtures(out: &Path) -> PathBuf {
    require("umoci");
    let script = common::golden::workspace_root().join("scripts/conda-fixtures/make.py");
    let run = Command::new("python3")
        .arg(&script)
        .arg(out)
        .output()
        .expect("python3 runs");
    assert!(
        run.status.success(),
        "{} failed (py-rattler and conda-package-handling come from .ci/pip-requirements): {}",
        script.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    out.to_owned()
}

/// `name=version` of each entry of a package list; deb entries by their plain name (`name` is
/// dpkg's `${binary:Package}`, `zlib1g:amd64` for a `Multi-Arch: same` package).
pub fn package_set(list: &Value) -> std::collections::BTreeSet<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            format!(
                "{}={}",
                p["plain_name"]
                    .as_str()
                    .or(p["name"].as_str())
                    .unwrap_or_default(),
                p["version"].as_str().unwrap_or_default()
            )
        })
        .collect()
}
