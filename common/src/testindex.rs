//! A Python package index on loopback for tests: PEP 691 JSON or PEP 503 HTML pages, files with
//! their sha256, yanks, `requires-python`, PEP 658 metadata files, basic auth, injected failures,
//! and a log of the requests it answered. A real HTTP server on a real socket, so the client is
//! tested as it runs, one thread per connection, stopped when dropped.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use base64::Engine;
use sha2::{Digest, Sha256};

/// Which page format the index serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFormat {
    /// PEP 691 JSON when the client asks for it (content negotiation), HTML otherwise.
    Json,
    /// PEP 503 HTML only, as a static file tree is served.
    Html,
}

/// A file to publish.
#[derive(Debug, Clone, Default)]
pub struct TestFile {
    pub filename: String,
    pub content: Vec<u8>,
    pub requires_python: Option<String>,
    /// `Some("")` yanks without a reason.
    pub yanked: Option<String>,
    /// Served as `<file>.metadata` (PEP 658) when given.
    pub metadata: Option<Vec<u8>>,
    /// Links to this URL instead of the index's own `/files/` (an artifact hosted elsewhere).
    pub url: Option<String>,
    /// Announces this sha256 instead of the content's real one.
    pub announced_sha256: Option<String>,
}

impl TestFile {
    pub fn new(filename: &str, content: &[u8]) -> Self {
        Self {
            filename: filename.to_owned(),
            content: content.to_vec(),
            ..Self::default()
        }
    }

    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.content))
    }
}

#[derive(Default)]
struct State {
    projects: BTreeMap<String, Vec<TestFile>>,
    /// Extra routes: path to (status, content type, body).
    routes: HashMap<String, (u16, String, Vec<u8>)>,
    /// path to (answers left, status): answered before the real content.
    failures: HashMap<String, (u32, u16)>,
    auth: Option<String>,
    log: Vec<String>,
    /// Honour `Range` requests for files (as CDNs and most static servers do).
    ranges: bool,
    /// Pages answered `304 Not Modified`.
    not_modified: u64,
}

/// A running index at `http://127.0.0.1:PORT/simple/`.
pub struct TestIndex {
    addr: SocketAddr,
    format: PageFormat,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl TestIndex {
    pub fn start(format: PageFormat) -> Self {
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
                std::thread::spawn(move || serve(stream, &s, format));
            }
        });
        Self {
            addr,
            format,
            state,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT/simple/`
    pub fn url(&self) -> String {
        format!("http://{}/simple/", self.addr)
    }

    /// `http://127.0.0.1:PORT`
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn format(&self) -> PageFormat {
        self.format
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Publishes `files` under project `name` (normalised in the page path).
    pub fn add_project(&self, name: &str, files: Vec<TestFile>) {
        self.state()
            .projects
            .entry(crate::python::normalize_name(name))
            .or_default()
            .extend(files);
    }

    /// Answers `path` with this status and body.
    pub fn route(&self, path: &str, status: u16, content_type: &str, body: &[u8]) {
        self.state().routes.insert(
            path.to_owned(),
            (status, content_type.to_owned(), body.to_vec()),
        );
    }

    /// The next `times` requests for `path` get `status`.
    pub fn fail(&self, path: &str, times: u32, status: u16) {
        self.state()
            .failures
            .insert(path.to_owned(), (times, status));
    }

    /// Every request must carry these basic-auth credentials (401 otherwise).
    pub fn require_auth(&self, user: &str, password: &str) {
        self.state().auth = Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        ));
    }

    /// Answer `Range: bytes=...` requests for files with 206 and the range asked for; without
    /// this, the whole file comes back with 200, as from a server that ignores ranges.
    pub fn serve_ranges(&self) {
        self.state().ranges = true;
    }

    /// How many page requests were answered `304 Not Modified` (their `If-None-Match` named
    /// the page's current `ETag`).
    pub fn not_modified(&self) -> u64 {
        self.state().not_modified
    }

    /// The paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.state().log.clone()
    }
}

impl Drop for TestIndex {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, format: PageFormat) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let (mut status, content_type, mut body) = answer(state, &path, &headers, format);
    let mut extra = String::new();
    if status == 301 {
        extra = format!("Location: {path}/\r\n");
    }
    let ranges = state.lock().unwrap_or_else(PoisonError::into_inner).ranges;
    if let Some(range) = headers
        .get("range")
        .filter(|_| ranges && status == 200 && path.starts_with("/files/"))
    {
        let total = body.len() as u64;
        if let Some((start, end)) = byte_range(range, total) {
            body = body[start as usize..=end as usize].to_vec();
            status = 206;
            extra = format!("Content-Range: bytes {start}-{end}/{total}\r\n");
        }
    }
    if status == 200 && path.starts_with("/simple/") {
        // Pages carry an ETag, and a request naming it gets 304 without a body.
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..16]);
        if headers.get("if-none-match") == Some(&etag) {
            status = 304;
            body = Vec::new();
            state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .not_modified += 1;
        }
        extra.push_str(&format!("ETag: {etag}\r\n"));
    }
    let reason = match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        304 => "Not Modified",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Status",
    };
    let mut out = stream;
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&body);
    let _ = out.flush();
    let _ = reader.read(&mut [0u8; 1]);
}

/// `bytes=A-B`, `bytes=A-` or `bytes=-N` within a file of `total` bytes, as inclusive offsets.
fn byte_range(header: &str, total: u64) -> Option<(u64, u64)> {
    let spec = header.trim().strip_prefix("bytes=")?;
    let (a, b) = spec.split_once('-')?;
    let last = total.checked_sub(1)?;
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (total.saturating_sub(n), last)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            last
        } else {
            b.parse::<u64>().ok()?.min(last)
        };
        (start, end)
    };
    (start <= end).then_some((start, end))
}

fn answer(
    state: &Mutex<State>,
    path: &str,
    headers: &HashMap<String, String>,
    format: PageFormat,
) -> (u16, String, Vec<u8>) {
    let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
    s.log.push(path.to_owned());
    if let Some(auth) = &s.auth
        && headers.get("authorization") != Some(auth)
    {
        return (401, "text/plain".into(), b"unauthorized".to_vec());
    }
    if let Some((left, status)) = s.failures.get_mut(path)
        && *left > 0
    {
        *left -= 1;
        return (*status, "text/plain".into(), b"injected failure".to_vec());
    }
    if let Some((status, ct, body)) = s.routes.get(path) {
        return (*status, ct.clone(), body.clone());
    }
    // A page under any prefix (`/simple/foo/`, `/index/x/simple/foo/`): several indexes'
    // URLs can share one server.
    if let Some(name) = path
        .strip_suffix('/')
        .and_then(|p| p.rsplit('/').next())
        .filter(|_| !path.starts_with("/files/"))
    {
        let Some(files) = s.projects.get(name) else {
            return (404, "text/plain".into(), b"not found".to_vec());
        };
        let accept = headers
            .get("accept")
            .map(String::as_str)
            .unwrap_or_default();
        return if format == PageFormat::Json && accept.contains(crate::index::JSON_CONTENT_TYPE) {
            (
                200,
                crate::index::JSON_CONTENT_TYPE.into(),
                json_page(name, files).into_bytes(),
            )
        } else {
            (
                200,
                "text/html; charset=utf-8".into(),
                html_page(name, files).into_bytes(),
            )
        };
    }
    // A project page asked for without its trailing slash is redirected to it, as PEP 503 asks
    // of repositories and public indexes do (Thoth's thoth-python asks that way).
    if !path.ends_with('/')
        && !path.starts_with("/files/")
        && path
            .rsplit('/')
            .next()
            .is_some_and(|name| s.projects.contains_key(name))
    {
        return (301, "text/plain".into(), Vec::new());
    }
    if let Some(rest) = path.strip_prefix("/files/") {
        for file in s.projects.values().flatten() {
            if rest == file.filename {
                return (200, "application/octet-stream".into(), file.content.clone());
            }
            if rest.strip_suffix(".metadata") == Some(file.filename.as_str())
                && let Some(m) = &file.metadata
            {
                return (200, "application/octet-stream".into(), m.clone());
            }
        }
    }
    (404, "text/plain".into(), b"not found".to_vec())
}

fn link(file: &TestFile) -> String {
    file.url
        .clone()
        .unwrap_or_else(|| format!("../../files/{}", file.filename))
}

fn announced(file: &TestFile) -> String {
    file.announced_sha256
        .clone()
        .unwrap_or_else(|| file.sha256())
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_page(name: &str, files: &[TestFile]) -> String {
    let mut out = format!("<!DOCTYPE html>\n<html><body><h1>Links for {name}</h1>\n");
    for f in files {
        let mut attrs = String::new();
        if let Some(rp) = &f.requires_python {
            attrs.push_str(&format!(" data-requires-python=\"{}\"", html_escape(rp)));
        }
        if let Some(reason) = &f.yanked {
            attrs.push_str(&format!(" data-yanked=\"{}\"", html_escape(reason)));
        }
        if let Some(m) = &f.metadata {
            let digest = hex::encode(Sha256::digest(m));
            attrs.push_str(&format!(
                " data-core-metadata=\"sha256={digest}\" data-dist-info-metadata=\"sha256={digest}\""
            ));
        }
        out.push_str(&format!(
            "<a href=\"{}#sha256={}\"{attrs}>{}</a><br/>\n",
            link(f),
            announced(f),
            f.filename
        ));
    }
    out.push_str("</body></html>\n");
    out
}

fn json_page(name: &str, files: &[TestFile]) -> String {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|f| {
            let mut v = serde_json::json!({
                "filename": f.filename,
                "url": link(f),
                "hashes": {"sha256": announced(f)},
            });
            if let Some(rp) = &f.requires_python {
                v["requires-python"] = rp.clone().into();
            }
            if let Some(reason) = &f.yanked {
                v["yanked"] = if reason.is_empty() {
                    true.into()
                } else {
                    reason.clone().into()
                };
            }
            if let Some(m) = &f.metadata {
                v["core-metadata"] = serde_json::json!({"sha256": hex::encode(Sha256::digest(m))});
            }
            v
        })
        .collect();
    serde_json::json!({"meta": {"api-version": "1.1"}, "name": name, "files": files}).to_string()
}
