//! Just enough HTTP/1.1 to ask a local container engine for an image over its API socket
//! (a Unix socket, or plain TCP for `DOCKER_HOST=tcp://`): one GET, the status, and a body
//! reader that undoes chunked transfer encoding.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;

/// Where the engine listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    Tcp(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unix(p) => write!(f, "unix://{}", p.display()),
            Self::Tcp(a) => write!(f, "tcp://{a}"),
        }
    }
}

impl Endpoint {
    /// From `DOCKER_HOST` / `CONTAINER_HOST` syntax.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(path) = text.strip_prefix("unix://") {
            Ok(Self::Unix(PathBuf::from(path)))
        } else if let Some(addr) = text.strip_prefix("tcp://") {
            Ok(Self::Tcp(addr.trim_end_matches('/').to_owned()))
        } else {
            Err(format!(
                "engine address {text:?} must be unix://PATH or tcp://HOST:PORT"
            ))
        }
    }
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// A response: status code and a body stream.
pub struct Response {
    pub status: u16,
    pub body: Box<dyn Read + Send>,
}

pub fn get(endpoint: &Endpoint, path: &str) -> io::Result<Response> {
    let mut stream: Box<dyn Stream> = match endpoint {
        #[cfg(unix)]
        Endpoint::Unix(p) => Box::new(std::os::unix::net::UnixStream::connect(p)?),
        #[cfg(not(unix))]
        Endpoint::Unix(_) => return Err(io::Error::other("Unix sockets are not available here")),
        Endpoint::Tcp(a) => Box::new(std::net::TcpStream::connect(a)?),
    };
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: package-extract\r\nConnection: close\r\n\r\n"
    )?;
    stream.flush()?;
    let mut reader = BufReader::with_capacity(256 << 10, stream);
    let mut line = String::new();
    bounded_line(&mut reader, &mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| io::Error::other(format!("not an HTTP answer: {:?}", line.trim())))?;
    let mut chunked = false;
    let mut headers = 0;
    let mut length: Option<u64> = None;
    loop {
        line.clear();
        headers += 1;
        if headers > MAX_HEADERS {
            return Err(io::Error::other("the engine sent too many headers"));
        }
        if bounded_line(&mut reader, &mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the engine closed the connection in the headers",
            ));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                chunked = true;
            } else if k == "content-length" {
                length = v.parse().ok();
            }
        }
    }
    let body: Box<dyn Read + Send> = if chunked {
        Box::new(Chunked {
            inner: reader,
            left: 0,
            done: false,
        })
    } else if let Some(n) = length {
        Box::new(reader.take(n))
    } else {
        Box::new(reader)
    };
    Ok(Response { status, body })
}

/// A status, header or chunk-size line longer than this is not HTTP.
const MAX_LINE: u64 = 64 << 10;
const MAX_HEADERS: usize = 200;

/// `read_line`, refusing a line longer than [`MAX_LINE`] (an engine, or whatever answers on its
/// socket, cannot make the reader buffer without end).
fn bounded_line(reader: &mut impl BufRead, line: &mut String) -> io::Result<usize> {
    let n = Read::take(&mut *reader, MAX_LINE).read_line(line)?;
    if n as u64 == MAX_LINE && !line.ends_with('\n') {
        return Err(io::Error::other("the engine sent an over-long line"));
    }
    Ok(n)
}

/// Decodes `Transfer-Encoding: chunked`.
struct Chunked<R> {
    inner: R,
    left: u64,
    done: bool,
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let mut line = String::new();
            bounded_line(&mut self.inner, &mut line)?;
            if line == "\r\n" || line == "\n" {
                // The CRLF that ends the previous chunk.
                line.clear();
                bounded_line(&mut self.inner, &mut line)?;
            }
            let size = line.trim().split(';').next().unwrap_or_default();
            self.left = u64::from_str_radix(size, 16).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad chunk size {:?}", line.trim()),
                )
            })?;
            if self.left == 0 {
                self.done = true;
                return Ok(0);
            }
        }
        let want = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the engine's answer ended mid-chunk",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_chunks() {
        let raw = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n";
        let mut out = String::new();
        Chunked {
            inner: &raw[..],
            left: 0,
            done: false,
        }
        .read_to_string(&mut out)
        .expect("decodes");
        assert_eq!(out, "hello, world");
        let cut = b"5\r\nhel";
        let mut out = String::new();
        assert!(
            Chunked {
                inner: &cut[..],
                left: 0,
                done: false
            }
            .read_to_string(&mut out)
            .is_err()
        );
    }

    #[test]
    fn parses_endpoints() {
        assert_eq!(
            Endpoint::parse("unix:///run/podman/podman.sock"),
            Ok(Endpoint::Unix("/run/podman/podman.sock".into()))
        );
        assert_eq!(
            Endpoint::parse("tcp://127.0.0.1:2375"),
            Ok(Endpoint::Tcp("127.0.0.1:2375".into()))
        );
        assert!(Endpoint::parse("ssh://host").is_err());
    }
}
