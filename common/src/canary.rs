//! The canary secret suite's shared parts (issue 13): one random secret value fed through every
//! credential channel of a binary, a loopback sink that records what the HTTP and S3 sinks
//! send, a docker credential helper that answers the canary, and the check that the canary is
//! in no byte of anything a run wrote. Each binary's `tests/canary.rs` lists its channels.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// `CANARY-s3cr3t-<random hex>`: random per test process, so a leak cannot be a constant that
/// happens to be in a fixture.
pub fn canary() -> String {
    use std::hash::{BuildHasher, RandomState};
    let random = RandomState::new().hash_one(std::process::id());
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("CANARY-s3cr3t-{random:016x}{:08x}", time as u32)
}

/// A loopback HTTP server that answers every request `200` and records each body (what the
/// HTTP sink POSTs and the S3 sink PUTs), stopped when dropped.
pub struct RecordingSink {
    addr: SocketAddr,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
}

impl RecordingSink {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (b, st) = (Arc::clone(&bodies), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let b = Arc::clone(&b);
                std::thread::spawn(move || record(stream, &b));
            }
        });
        Self { addr, bodies, stop }
    }

    /// `http://127.0.0.1:PORT`
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:PORT`
    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    /// The bodies received so far, and forgets them.
    pub fn take(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.bodies.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Drop for RecordingSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn record(stream: TcpStream, bodies: &Mutex<Vec<Vec<u8>>>) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    "transfer-encoding" => chunked = v.to_ascii_lowercase().contains("chunked"),
                    "expect" => {
                        let _ = writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
                    }
                    _ => {}
                }
            }
        }
        let body = if chunked {
            read_chunked(&mut reader)
        } else {
            let mut body = vec![0; length.min(64 << 20)];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            body
        };
        bodies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(body);
        let answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nETag: \"canary\"\r\n\r\n";
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

fn read_chunked(reader: &mut impl BufRead) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        if reader.read_line(&mut size).unwrap_or(0) == 0 {
            return body;
        }
        let n =
            usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        let mut chunk = vec![0; n + 2];
        if n == 0 || reader.read_exact(&mut chunk).is_err() {
            let _ = reader.read_line(&mut String::new());
            return body;
        }
        body.extend_from_slice(&chunk[..n]);
    }
}

/// A docker credential helper `docker-credential-canary` in `dir` that answers `get` with
/// `user` and `secret`, and a `config.json` there that names it for `registry` (`credHelpers`).
/// Put `dir` first on `PATH` and set `DOCKER_CONFIG` to it.
pub fn credential_helper(dir: &Path, registry: &str, user: &str, secret: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let helper = dir.join("docker-credential-canary");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{secret}\"}}' \"$server\"\n"
        ),
    )
    .expect("write the helper");
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(
        dir.join("config.json"),
        format!("{{\"credHelpers\": {{\"{registry}\": \"canary\"}}}}"),
    )
    .expect("write config.json");
    helper
}

/// Every place a canary was found, by run and stream; reported all at once, so one test run
/// gives the whole table of leaking channels.
#[derive(Debug, Default)]
pub struct Leaks {
    found: BTreeMap<String, Vec<String>>,
    runs: usize,
}

impl Leaks {
    /// Looks for `canary` in `bytes`, the `stream` (stdout, stderr, the -o file, a sink body)
    /// of the run `case`.
    pub fn check(&mut self, case: &str, stream: &str, canary: &str, bytes: &[u8]) {
        if let Some(at) = find(bytes, canary.as_bytes()) {
            let from = at.saturating_sub(80);
            let to = (at + canary.len() + 40).min(bytes.len());
            self.found.entry(case.to_owned()).or_default().push(format!(
                "{stream}: ...{}...",
                String::from_utf8_lossy(&bytes[from..to])
            ));
        }
    }

    /// Checks stdout and stderr of a finished run, and counts it.
    pub fn check_output(&mut self, case: &str, canary: &str, out: &Output) {
        self.runs += 1;
        self.check(case, "stdout", canary, &out.stdout);
        self.check(case, "stderr", canary, &out.stderr);
    }

    /// Panics with every leak found, one case per line, when there is any.
    pub fn assert_none(&self) {
        assert!(self.runs > 0, "no run was checked");
        if self.found.is_empty() {
            return;
        }
        let mut report = format!(
            "the canary leaked in {} of the cases ({} runs):\n",
            self.found.len(),
            self.runs
        );
        for (case, places) in &self.found {
            report.push_str(&format!("- {case}\n"));
            for p in places.iter().take(3) {
                report.push_str(&format!("    {p}\n"));
            }
        }
        panic!("{report}");
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A command for `binary` with an empty environment but `PATH` (with `extra_path` first), a
/// fresh `HOME` and no pip configuration of the machine.
pub fn clean_command(binary: &str, home: &Path, extra_path: Option<&Path>) -> Command {
    let mut cmd = Command::new(binary);
    let path = std::env::var("PATH").unwrap_or_default();
    let path = match extra_path {
        Some(dir) => format!("{}:{path}", dir.display()),
        None => path,
    };
    cmd.env_clear()
        .env("PATH", path)
        .env("HOME", home)
        .env("PIP_CONFIG_FILE", "/dev/null");
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sink_records_bodies_and_leaks_are_reported() {
        let sink = RecordingSink::start();
        let mut s = TcpStream::connect(sink.authority()).expect("connect");
        s.write_all(b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello")
            .expect("send");
        let mut answer = [0u8; 12];
        s.read_exact(&mut answer).expect("answer");
        assert_eq!(&answer, b"HTTP/1.1 200");
        assert_eq!(sink.take(), vec![b"hello".to_vec()]);

        let c = canary();
        assert!(c.starts_with("CANARY-s3cr3t-") && c.len() > 30, "{c}");
        let mut leaks = Leaks::default();
        leaks.check("case", "stdout", &c, format!("a {c} b").as_bytes());
        leaks.runs = 1;
        let report =
            std::panic::catch_unwind(|| leaks.assert_none()).expect_err("a leak must fail");
        let text = report.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(text.contains("- case"), "{text}");
    }
}
