//! A hostile registry stand-in on loopback: a real HTTP/1.1 server on a real socket that
//! answers each path as a test scripts it (bodies that never end, that drip, that lie about
//! their size, challenges that point elsewhere) and records every request it received. And a
//! runner that measures the child's peak memory (`VmHWM`) while it runs.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the stand-in sends for one path.
#[derive(Clone)]
pub enum Body {
    Bytes(Vec<u8>),
    /// This byte, forever (until the client hangs up).
    Endless(u8),
    /// One byte per interval, forever.
    Drip(Duration),
}

#[derive(Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Reply {
    pub fn json(bytes: &[u8]) -> Self {
        Self {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Body::Bytes(bytes.to_vec()),
        }
    }

    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }
}

/// A request as received: path (with query) and headers (names lower case).
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HashMap<String, String>,
}

pub struct StandIn {
    pub addr: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl StandIn {
    /// Listens on `ip` (127.0.0.1, or another loopback address such as 127.0.0.2).
    pub fn start(ip: &str) -> Self {
        let listener = TcpListener::bind(format!("{ip}:0")).expect("bind loopback");
        let addr = listener.local_addr().expect("addr").to_string();
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s, st) = (Arc::clone(&routes), Arc::clone(&seen), Arc::clone(&stop));
        listener.set_nonblocking(true).expect("nonblocking");
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (r, s, st) = (Arc::clone(&r), Arc::clone(&s), Arc::clone(&st));
                        std::thread::spawn(move || serve(stream, &r, &s, &st));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self {
            addr,
            routes,
            seen,
            stop,
        }
    }

    /// Answers `path` (without query) with `reply`.
    pub fn route(&self, path: &str, reply: Reply) {
        self.routes
            .lock()
            .expect("routes")
            .insert(path.to_owned(), reply);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Reply>>,
    seen: &Mutex<Vec<Seen>>,
    stop: &AtomicBool,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
            }
        }
        if let Some(n) = headers
            .get("content-length")
            .and_then(|n| n.parse::<u64>().ok())
        {
            let _ = std::io::copy(&mut (&mut reader).take(n), &mut std::io::sink());
        }
        seen.lock().expect("seen").push(Seen {
            path: path.clone(),
            headers,
        });
        let bare = path.split('?').next().unwrap_or_default().to_owned();
        let reply = routes
            .lock()
            .expect("routes")
            .get(&bare)
            .cloned()
            .unwrap_or_else(|| Reply::status(404));
        let mut head = format!("HTTP/1.1 {} X\r\n", reply.status);
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        match &reply.body {
            Body::Bytes(b) => {
                head.push_str(&format!("Content-Length: {}\r\n\r\n", b.len()));
                if writer.write_all(head.as_bytes()).is_err() || writer.write_all(b).is_err() {
                    return;
                }
            }
            Body::Endless(byte) => {
                head.push_str("Connection: close\r\n\r\n");
                let chunk = vec![*byte; 64 << 10];
                if writer.write_all(head.as_bytes()).is_err() {
                    return;
                }
                while !stop.load(Ordering::Relaxed) && writer.write_all(&chunk).is_ok() {}
                return;
            }
            Body::Drip(every) => {
                head.push_str("Connection: close\r\n\r\n");
                if writer.write_all(head.as_bytes()).is_err() {
                    return;
                }
                while !stop.load(Ordering::Relaxed) && writer.write_all(b"\0").is_ok() {
                    let _ = writer.flush();
                    std::thread::sleep(*every);
                }
                return;
            }
        }
    }
}

/// A finished run: its output, peak resident memory and wall time.
pub struct Measured {
    pub out: Output,
    pub doc: Option<serde_json::Value>,
    pub peak_rss_kib: u64,
    pub wall: Duration,
}

/// Runs package-extract (no credentials from the host) and samples its `VmHWM` while it runs.
pub fn measure(args: &[&str]) -> Measured {
    measure_with(args, &[])
}

/// [`measure`] with these variables set in the child (e.g. `SSL_CERT_FILE`).
pub fn measure_with(args: &[&str], env: &[(&str, &str)]) -> Measured {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_package-extract"));
    cmd.arg("extract-image").args(args);
    for var in [
        "THOTH_REGISTRY_CREDENTIALS",
        "REGISTRY_AUTH_FILE",
        "XDG_RUNTIME_DIR",
        "DOCKER_CONFIG",
        "THOTH_ANALYZER_OUTPUT",
        "THOTH_ANALYZER_TIMEOUT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home.path());
    cmd.envs(env.iter().copied());
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("package-extract runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let mut peak = 0;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "package-extract ran for more than 120 s: {args:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let wall = started.elapsed();
    let out = Output {
        status,
        stdout: out_reader.join().expect("stdout"),
        stderr: err_reader.join().expect("stderr"),
    };
    let doc = serde_json::from_slice(&out.stdout).ok();
    eprintln!(
        "{args:?}: exit {:?}, peak RSS {} KiB, {:.2} s",
        out.status.code(),
        peak,
        wall.as_secs_f64()
    );
    Measured {
        out,
        doc,
        peak_rss_kib: peak,
        wall,
    }
}
