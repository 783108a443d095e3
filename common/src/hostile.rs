//! Hostile HTTP servers on loopback, for tests of every network client: answers that are huge
//! (with or without a declared length), endless, dripping, errors with huge bodies, rate limits
//! with `Retry-After`, redirects to another origin; every request recorded with its headers.
//! And [`measure`], which runs a child process and reports its peak memory, exit code and
//! wall time, so a test can assert that an attack stays within bounds.
//!
//! Only ever bound to 127.0.0.1; each connection is served on its own thread, which ends when
//! the client hangs up.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How the server answers one path.
#[derive(Debug, Clone)]
pub enum Attack {
    /// 200 with `len` bytes, `Content-Length` declared or not (the body then ends when the
    /// server closes the connection).
    Huge { len: u64, declared: bool },
    /// 200 without a length, bytes until the client hangs up.
    Endless,
    /// 200 declaring `len` bytes, sent one every `interval`.
    Drip { len: u64, interval: Duration },
    /// 206 with this `Content-Range`, then `len` bytes without a declared length (more than
    /// the range, if the attack wants).
    Partial { len: u64, content_range: String },
    /// `status` with a body of `len` bytes (declared).
    ErrorBody { status: u16, len: u64 },
    /// `status` (429 or 503) with `Retry-After: value` for the first `times` requests; then
    /// 200 with `body`.
    RetryAfter {
        status: u16,
        value: String,
        times: u32,
        body: Vec<u8>,
    },
    /// `status` (301, 302, 307, 308) to `location`.
    Redirect { status: u16, location: String },
    /// 200 with this content type and body.
    Ok { content_type: String, body: Vec<u8> },
    /// 200 with this content type, these further headers and body: a stand-in for a metadata
    /// endpoint (IMDSv2 gives its session token's lifetime in a header).
    Stub {
        content_type: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Attack>,
    log: Vec<Request>,
    /// How many times each `RetryAfter` path has refused so far.
    refused: HashMap<String, u32>,
}

/// A server at `http://127.0.0.1:PORT`, stopped when dropped. Unrouted paths get 404.
pub struct HostileServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl HostileServer {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&state), Arc::clone(&stop));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = Arc::clone(&s);
                std::thread::spawn(move || serve(stream, &s));
            }
        });
        Self { addr, state, stop }
    }

    /// Answers `path` (with its query, if any) with `attack`.
    pub fn on(&self, path: &str, attack: Attack) -> &Self {
        self.state().routes.insert(path.to_owned(), attack);
        self
    }

    /// `http://127.0.0.1:PORT`
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    /// The requests received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state().log.clone()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// What a filler body is made of: valid-looking HTML links, so a parser that got this far
/// would have real work to do.
const FILL: &[u8] = b"<a href=\"x-1.0.tar.gz\">x-1.0.tar.gz</a>\n";

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    // Take the request body (a sink's document) so the client is not cut off mid-send.
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<u64>().ok())
        .unwrap_or(0);
    let _ = std::io::copy(&mut reader.by_ref().take(length), &mut std::io::sink());
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or("/").to_owned();
    let attack = {
        let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
        s.log.push(Request {
            method,
            path: path.clone(),
            headers,
        });
        let attack = s.routes.get(&path).cloned();
        if let Some(Attack::RetryAfter { times, .. }) = &attack {
            let refused = s.refused.entry(path.clone()).or_default();
            if *refused < *times {
                *refused += 1;
                attack
            } else {
                match attack {
                    Some(Attack::RetryAfter { body, .. }) => Some(Attack::Ok {
                        content_type: "text/html".into(),
                        body,
                    }),
                    other => other,
                }
            }
        } else {
            attack
        }
    };
    let mut out = stream;
    let _ = answer(&mut out, attack);
    let _ = out.flush();
}

/// 200 with `headers` besides the type and length.
fn ok(
    out: &mut TcpStream,
    content_type: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)
}

fn head(out: &mut TcpStream, status: u16, extra: &str) -> std::io::Result<()> {
    write!(
        out,
        "HTTP/1.1 {status} Hostile\r\nContent-Type: text/html\r\nConnection: close\r\n{extra}\r\n"
    )
}

/// Writes `len` filler bytes (`None`: until the client hangs up), pausing `interval` after
/// each write of `step` bytes.
fn fill(
    out: &mut TcpStream,
    len: Option<u64>,
    step: usize,
    interval: Duration,
) -> std::io::Result<()> {
    let block: Vec<u8> = FILL.iter().copied().cycle().take(64 << 10).collect();
    let mut sent = 0u64;
    loop {
        let want = match len {
            Some(len) if sent >= len => return Ok(()),
            Some(len) => (len - sent).min(step as u64) as usize,
            None => step,
        };
        let mut left = want;
        while left > 0 {
            let n = left.min(block.len());
            out.write_all(&block[..n])?;
            left -= n;
        }
        sent += want as u64;
        if !interval.is_zero() {
            out.flush()?;
            std::thread::sleep(interval);
        }
    }
}

fn answer(out: &mut TcpStream, attack: Option<Attack>) -> std::io::Result<()> {
    const BIG: usize = 64 << 10;
    match attack {
        None => {
            head(out, 404, "Content-Length: 9\r\n")?;
            out.write_all(b"not found")
        }
        Some(Attack::Huge { len, declared }) => {
            let extra = if declared {
                format!("Content-Length: {len}\r\n")
            } else {
                String::new()
            };
            head(out, 200, &extra)?;
            fill(out, Some(len), BIG, Duration::ZERO)
        }
        Some(Attack::Partial { len, content_range }) => {
            head(out, 206, &format!("Content-Range: {content_range}\r\n"))?;
            fill(out, Some(len), BIG, Duration::ZERO)
        }
        Some(Attack::Endless) => {
            head(out, 200, "")?;
            fill(out, None, BIG, Duration::ZERO)
        }
        Some(Attack::Drip { len, interval }) => {
            head(out, 200, &format!("Content-Length: {len}\r\n"))?;
            fill(out, Some(len), 1, interval)
        }
        Some(Attack::ErrorBody { status, len }) => {
            head(out, status, &format!("Content-Length: {len}\r\n"))?;
            fill(out, Some(len), BIG, Duration::ZERO)
        }
        Some(Attack::RetryAfter { status, value, .. }) => head(
            out,
            status,
            &format!("Retry-After: {value}\r\nContent-Length: 0\r\n"),
        ),
        Some(Attack::Redirect { status, location }) => head(
            out,
            status,
            &format!("Location: {location}\r\nContent-Length: 0\r\n"),
        ),
        Some(Attack::Ok { content_type, body }) => ok(out, &content_type, &[], &body),
        Some(Attack::Stub {
            content_type,
            headers,
            body,
        }) => ok(out, &content_type, &headers, &body),
    }
}

/// What a measured child did.
#[derive(Debug)]
pub struct Measured {
    pub output: Output,
    /// The child's peak resident set size, in KiB (from `wait4`, as GNU time reports it).
    pub peak_rss_kib: u64,
    pub wall: Duration,
}

impl Measured {
    pub fn peak_rss_mib(&self) -> u64 {
        self.peak_rss_kib / 1024
    }

    /// The failure document on stdout, parsed.
    pub fn document(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a JSON document ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&self.output.stdout),
                String::from_utf8_lossy(&self.output.stderr)
            )
        })
    }
}

/// Runs `command` to completion under GNU time (`/usr/bin/time`, Debian package `time`),
/// which reads the child's peak memory from the kernel when it is reaped: exact, however
/// briefly the peak lasted. The child's own stdout and stderr are returned as they were.
pub fn measure(command: &Command) -> Measured {
    let time = std::path::Path::new("/usr/bin/time");
    assert!(
        time.exists(),
        "/usr/bin/time is missing: install the Debian package `time` (listed in .ci/apt-packages)"
    );
    let report = tempfile::NamedTempFile::new().expect("a temporary file");
    let mut wrapped = Command::new(time);
    wrapped
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report.path())
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(v) => wrapped.env(key, v),
            None => wrapped.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        wrapped.current_dir(dir);
    }
    let started = Instant::now();
    let output = wrapped.output().expect("run the measured command");
    let wall = started.elapsed();
    let text = std::fs::read_to_string(report.path()).expect("GNU time's report");
    // GNU time writes "Command exited with non-zero status N" before the figure.
    let peak_rss_kib = text
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no peak RSS in GNU time's report: {text:?}"));
    Measured {
        output,
        peak_rss_kib,
        wall,
    }
}
