//! Bytes to lines: gzip by magic (bounded, see [`crate::decompress`]), UTF-16 and UTF-8 byte
//! order marks, lossy decoding, a bound on line length, and the JSON envelope (`--jsonpath`,
//! see [`crate::jsonlog`]).
//!
//! Plain text is read as a stream: at most one line (capped at [`MAX_LINE_BYTES`]) is held at a
//! time, so memory does not grow with the size of the log.

use std::io::{self, BufRead, BufReader, Read};

use crate::decompress::{
    DecompressionLimits, LimitExceeded, Tripwire, decompressed, decompressed_watched, limit_of,
};
use crate::jsonlog::{self, LogPath, MAX_JSON_IN_MEMORY};

/// Longer lines are cut here; the rest of the line is skipped. Real logs carry minified blobs and
/// progress bars without newlines, and one such line must not hold the whole input in memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Why the input could not be read. Messages say what to do.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(
        "cannot read the build log: {0}; check that the file exists, is readable and, if gzip-compressed, is complete"
    )]
    Io(io::Error),
    #[error("{0}")]
    Limit(LimitExceeded),
    #[error("the input is not valid JSON ({0}); drop --jsonpath to parse it as a plain-text log")]
    Json(String),
    #[error(
        "the JSON document is larger than {max} bytes, and {expr:?} is not a path of member names (like \"$.log\" or \"$.build.log\"), which is streamed; other queries read the whole document into memory"
    )]
    JsonTooLarge { expr: String, max: u64 },
    #[error("invalid JSONPath expression {expr:?}: {reason}; Thoth's templates use \"$.log\"")]
    JsonPath { expr: String, reason: String },
    #[error(
        "the JSONPath {expr:?} matched nothing in the input; check the key that holds the log (Thoth's templates use \"$.log\")"
    )]
    NoMatch { expr: String },
    #[error(
        "the JSONPath {expr:?} matched {count} values, expected exactly one; make the expression select a single string"
    )]
    SeveralMatches { expr: String, count: usize },
    #[error(
        "the JSONPath {expr:?} matched a JSON {found}, not a string; select the string that holds the log text"
    )]
    NotAString { expr: String, found: &'static str },
}

impl From<io::Error> for InputError {
    fn from(e: io::Error) -> Self {
        match limit_of(&e) {
            Some(limit) => InputError::Limit(limit.clone()),
            None => InputError::Io(e),
        }
    }
}

/// How the text after the byte order mark is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// Reads the byte order mark, if any, and returns the encoding with a reader positioned after
/// it. Without a mark the text is taken as UTF-8 (invalid sequences become U+FFFD).
pub fn sniff_encoding<'a>(
    mut reader: Box<dyn BufRead + 'a>,
) -> io::Result<(Encoding, Box<dyn BufRead + 'a>)> {
    // Read (not peek) up to three bytes: a pipe may deliver fewer than a BOM per read.
    let mut head = [0u8; 3];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let (encoding, bom_len) = classify_bom(&head[..filled]);
    let rest = io::Cursor::new(head[bom_len..filled].to_vec());
    Ok((
        encoding,
        Box::new(BufReader::with_capacity(64 * 1024, rest.chain(reader))),
    ))
}

fn classify_bom(head: &[u8]) -> (Encoding, usize) {
    if head.starts_with(&[0xef, 0xbb, 0xbf]) {
        (Encoding::Utf8, 3)
    } else if head.starts_with(&[0xff, 0xfe]) {
        (Encoding::Utf16Le, 2)
    } else if head.starts_with(&[0xfe, 0xff]) {
        (Encoding::Utf16Be, 2)
    } else {
        (Encoding::Utf8, 0)
    }
}

/// Lines of decoded text, without their `\n`. A final line without `\n` is returned too.
pub struct Lines<'a> {
    reader: Box<dyn BufRead + 'a>,
    encoding: Encoding,
    bytes: Vec<u8>,
    /// The line last returned, decoded: one buffer reused for every line.
    line: String,
    /// UTF-16: an odd byte left over from the previous buffer.
    carry: Option<u8>,
    done: bool,
}

impl<'a> Lines<'a> {
    /// Decompresses (within `limits`) and sniffs the encoding of `reader`.
    pub fn new<R: Read + 'a>(reader: R, limits: DecompressionLimits) -> io::Result<Self> {
        let (encoding, reader) = sniff_encoding(decompressed(reader, limits)?)?;
        Ok(Self::decoded(reader, encoding))
    }

    /// Lines of text already decompressed and decoded.
    pub fn decoded(reader: Box<dyn BufRead + 'a>, encoding: Encoding) -> Self {
        Lines {
            reader,
            encoding,
            bytes: Vec::new(),
            line: String::new(),
            carry: None,
            done: false,
        }
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The next line, or `None` at the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<&str>> {
        if self.done {
            return Ok(None);
        }
        match self.encoding {
            Encoding::Utf8 => self.next_utf8(),
            Encoding::Utf16Le | Encoding::Utf16Be => self.next_utf16(),
        }
    }

    fn next_utf8(&mut self) -> io::Result<Option<&str>> {
        self.bytes.clear();
        let mut saw_any = false;
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                break;
            }
            saw_any = true;
            let (chunk, found) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            let room = MAX_LINE_BYTES.saturating_sub(self.bytes.len());
            self.bytes
                .extend_from_slice(&chunk[..chunk.len().min(room)]);
            let used = found.unwrap_or(buf.len());
            self.reader.consume(used);
            if found.is_some() {
                break;
            }
        }
        if !saw_any && self.bytes.is_empty() {
            return Ok(None);
        }
        self.line.clear();
        match std::str::from_utf8(&self.bytes) {
            Ok(text) => self.line.push_str(text),
            Err(_) => self.line.push_str(&String::from_utf8_lossy(&self.bytes)),
        }
        Ok(Some(&self.line))
    }

    fn next_utf16(&mut self) -> io::Result<Option<&str>> {
        // Code units of the current line; decoded lossily at the end so surrogate pairs split
        // across buffer boundaries still decode.
        let mut units: Vec<u16> = Vec::new();
        let mut saw_any = false;
        let big_endian = self.encoding == Encoding::Utf16Be;
        'outer: loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                self.done = true;
                if self.carry.take().is_some() {
                    units.push(0xfffd);
                }
                break;
            }
            saw_any = true;
            let mut i = 0;
            while i < buf.len() {
                let (pair, step) = match self.carry.take() {
                    Some(first) => ([first, buf[i]], 1),
                    None if i + 1 < buf.len() => ([buf[i], buf[i + 1]], 2),
                    None => {
                        // An odd byte at the end of the buffer: the next buffer completes it.
                        self.carry = Some(buf[i]);
                        i += 1;
                        continue;
                    }
                };
                i += step;
                let unit = if big_endian {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                };
                if unit == u16::from(b'\n') {
                    self.reader.consume(i);
                    break 'outer;
                }
                if units.len() * 2 < MAX_LINE_BYTES {
                    units.push(unit);
                }
            }
            let len = buf.len();
            self.reader.consume(len);
        }
        if !saw_any && units.is_empty() {
            return Ok(None);
        }
        self.line.clear();
        self.line
            .extend(char::decode_utf16(units).map(|r| r.unwrap_or('\u{fffd}')));
        Ok(Some(&self.line))
    }
}

/// Finds the log in the JSON document read from `reader` (decompressed within `limits`) and
/// hands a reader of its text to `parse`: streamed for a path of member names in a UTF-8
/// document, otherwise from the document read into memory (at most [`MAX_JSON_IN_MEMORY`]).
pub fn with_json_log<R: Read, T>(
    reader: R,
    expr: &str,
    limits: DecompressionLimits,
    parse: impl FnOnce(&mut dyn Read) -> Result<T, InputError>,
) -> Result<T, InputError> {
    let path = LogPath::parse(expr)?;
    let tripwire = Tripwire::default();
    let (encoding, reader) = sniff_encoding(decompressed_watched(reader, limits, &tripwire)?)?;
    if let (LogPath::Members(names), Encoding::Utf8) = (&path, encoding) {
        // The JSON reader reports a crossed cap as text: say which cap it was.
        return jsonlog::stream_log(reader, names, expr, parse)
            .map_err(|e| tripwire.tripped().map_or(e, InputError::Limit));
    }
    let text = read_capped_text(reader, encoding, expr)?;
    let log = jsonlog::select_log(&text, expr, &path)?;
    drop(text);
    parse(&mut log.as_bytes())
}

/// The whole decoded document, refused past [`MAX_JSON_IN_MEMORY`] bytes.
fn read_capped_text(
    reader: Box<dyn BufRead + '_>,
    encoding: Encoding,
    expr: &str,
) -> Result<String, InputError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_JSON_IN_MEMORY + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_JSON_IN_MEMORY {
        return Err(InputError::JsonTooLarge {
            expr: expr.to_owned(),
            max: MAX_JSON_IN_MEMORY,
        });
    }
    Ok(match encoding {
        Encoding::Utf8 => String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let units = bytes.chunks(2).map(|pair| {
                let pair = [pair[0], pair.get(1).copied().unwrap_or(0)];
                if encoding == Encoding::Utf16Be {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            });
            char::decode_utf16(units)
                .map(|r| r.unwrap_or('\u{fffd}'))
                .collect()
        }
    })
}
