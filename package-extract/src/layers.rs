//! One layer, from compressed bytes to a [`LayerIndex`], in a single streaming pass: detect the
//! compression, decompress, walk the tar, keep what [`crate::catalog::capture`] asks for, and
//! verify the blob's digest at the end. Nothing is written to disk.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use sha2::{Digest as _, Sha256};

use crate::catalog::{Capture, capture};
use crate::digest::{Digest, HashingReader};
use crate::elf;
use crate::path::ImagePath;
use crate::tree::{Entry, LayerIndex, Node};

/// Bounds that end hostile input with a clear error instead of exhausting the machine.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Entries in one layer.
    pub max_entries: u64,
    /// Uncompressed bytes of one layer.
    pub max_layer_bytes: u64,
    /// Uncompressed / compressed, checked once a layer has expanded past `ratio_grace_bytes`.
    pub max_expansion_ratio: u64,
    pub ratio_grace_bytes: u64,
    /// The largest file whose content is kept; larger ones are listed without content.
    pub max_captured_file: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 2_000_000,
            max_layer_bytes: 64 << 30,
            max_expansion_ratio: 200,
            ratio_grace_bytes: 256 << 20,
            max_captured_file: 256 << 20,
        }
    }
}

/// What the layer's bytes should hash to.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// Of the blob as stored (OCI and registry manifests).
    pub compressed: Option<Digest>,
    /// Of the uncompressed tar (docker-archive `diff_ids`).
    pub uncompressed: Option<Digest>,
    /// The blob reader itself fails when the bytes do not hash to `compressed`.
    pub compressed_verified_upstream: bool,
}

impl Expected {
    /// Reads `blob`, hashing it unless its source already verifies `compressed`.
    fn reader<R: Read>(&self, blob: R, progress: Arc<AtomicU64>) -> HashingReader<R> {
        match &self.compressed {
            Some(d) if self.compressed_verified_upstream => {
                HashingReader::verified_upstream(blob, progress, d.clone())
            }
            _ => HashingReader::with_progress(blob, progress),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("layer {layer}: digest mismatch: expected {expected}, the blob hashes to {actual}")]
    DigestMismatch {
        layer: usize,
        expected: Digest,
        actual: Digest,
    },
    #[error("layer {layer}: {message}")]
    Limit { layer: usize, message: String },
    #[error("layer {layer}: {message}")]
    Corrupt { layer: usize, message: String },
}

/// Walks one layer on the calling thread. `python_files` says whether `.py` digests are kept.
pub fn index_layer<R: Read>(
    layer: usize,
    blob: R,
    expected: &Expected,
    limits: &Limits,
    python_files: bool,
) -> Result<LayerIndex, LayerError> {
    let corrupt = |message: String| LayerError::Corrupt { layer, message };
    let consumed = Arc::new(AtomicU64::new(0));
    let mut compressed =
        BufReader::with_capacity(256 << 10, expected.reader(blob, Arc::clone(&consumed)));
    let magic = compressed
        .fill_buf()
        .map_err(|e| corrupt(format!("cannot read the blob: {e}")))?;
    let kind = Compression::sniff(magic);
    let guard = ExpansionGuard {
        limits: limits.clone(),
        consumed,
    };
    let mut index = LayerIndex::default();

    // Each decoder borrows the compressed reader, so the rest of the blob can be hashed after
    // the tar ends.
    let walked = match kind.decoder(&mut compressed) {
        Ok(decoder) => walk(layer, decoder, &guard, &mut index, python_files, expected),
        Err(e) => Err(corrupt(e.to_string())),
    };
    // A limit hit ends the layer at once, without reading the rest of the blob.
    if let Err(e @ LayerError::Limit { .. }) = walked {
        return Err(e);
    }
    let blob = match compressed.into_inner().finish() {
        Ok((digest, _)) => BlobEnd::Read(digest),
        Err(e) => BlobEnd::Failed(corrupt(format!("cannot read the blob to its end: {e}"))),
    };
    conclude(layer, walked, blob, expected, index)
}

/// How reading a layer's blob ended.
enum BlobEnd {
    /// To its end, with this digest.
    Read(Digest),
    /// With an error of the source (or of the reading thread).
    Failed(LayerError),
    /// The walker left first.
    Abandoned,
}

/// Chunks in flight between two stages of the pipeline, and their sizes.
const PIPELINE_CHUNKS: usize = 8;
const PIPELINE_CHUNK_BYTES: usize = 1 << 20;
const COMPRESSED_CHUNK_BYTES: usize = 256 << 10;

type ChunkSender = mpsc::SyncSender<io::Result<Vec<u8>>>;

/// Walks one layer on three threads: one reads and hashes the blob, one decompresses it, and
/// the calling thread walks the tar and reads what the catalogers need. Decompression is the
/// one step that cannot be split, so everything else is kept off its thread: a large layer
/// (often most of an image) then takes about as long as inflating it. Results and errors are
/// those of [`index_layer`].
pub fn index_layer_pipelined<R: Read + Send>(
    layer: usize,
    blob: R,
    expected: &Expected,
    limits: &Limits,
    python_files: bool,
) -> Result<LayerIndex, LayerError> {
    let corrupt = |message: String| LayerError::Corrupt { layer, message };
    let consumed = Arc::new(AtomicU64::new(0));
    let progress = Arc::clone(&consumed);
    // Set when the walker stopped early (a limit): the rest of the blob does not matter.
    let abandoned = Arc::new(AtomicBool::new(false));
    let abandoned_by_decoder = Arc::clone(&abandoned);
    let (compressed_tx, compressed_rx) = mpsc::sync_channel(PIPELINE_CHUNKS);
    let (tx, rx) = mpsc::sync_channel(PIPELINE_CHUNKS);
    std::thread::scope(|scope| {
        let reader = scope
            .spawn(move || read_blob(expected.reader(blob, progress), &compressed_tx, &abandoned));
        let decoder = scope.spawn(move || {
            let mut compressed = ChunkReader::new(compressed_rx);
            let delivered = match compressed.fill_buf() {
                Err(e) => send_error(
                    &tx,
                    io::Error::new(e.kind(), format!("cannot read the blob: {e}")),
                ),
                Ok(magic) => {
                    let kind = Compression::sniff(magic);
                    match kind.decoder(&mut compressed) {
                        Ok(decoder) => pump(decoder, &tx),
                        Err(e) => send_error(&tx, e),
                    }
                }
            };
            if !delivered {
                abandoned_by_decoder.store(true, Ordering::Release);
            }
        });
        let guard = ExpansionGuard {
            limits: limits.clone(),
            consumed,
        };
        let mut index = LayerIndex::default();
        let walked = walk(
            layer,
            ChunkReader::new(rx),
            &guard,
            &mut index,
            python_files,
            expected,
        );
        let read = reader.join();
        let decoded = decoder.join();
        if let Err(e @ LayerError::Limit { .. }) = walked {
            return Err(e);
        }
        let blob = match read {
            Ok(Some(Ok(digest))) => BlobEnd::Read(digest),
            Ok(Some(Err(e))) => {
                BlobEnd::Failed(corrupt(format!("cannot read the blob to its end: {e}")))
            }
            Ok(None) => BlobEnd::Abandoned,
            Err(_) => BlobEnd::Failed(corrupt("the reading thread failed".into())),
        };
        if decoded.is_err() {
            return Err(corrupt("the decompressing thread failed".into()));
        }
        conclude(layer, walked, blob, expected, index)
    })
}

/// Reads the whole blob in chunks for the decompressor and returns its digest, or `None` when
/// the walker gave up. Bytes past the end of the compressed stream are still hashed: the digest
/// covers the blob, not just what the decoder needed.
fn read_blob<R: Read>(
    mut blob: HashingReader<R>,
    tx: &ChunkSender,
    abandoned: &AtomicBool,
) -> Option<io::Result<Digest>> {
    let mut listening = true;
    loop {
        let mut chunk = vec![0u8; COMPRESSED_CHUNK_BYTES];
        let n = match read_full(&mut blob, &mut chunk) {
            Ok(n) => n,
            Err(e) => {
                let message = format!("cannot read the blob: {e}");
                if listening {
                    send_error(tx, io::Error::new(e.kind(), message.clone()));
                }
                return Some(Err(io::Error::new(e.kind(), message)));
            }
        };
        if n == 0 {
            break;
        }
        chunk.truncate(n);
        if listening && tx.send(Ok(chunk)).is_err() {
            // The decoder is done: either the stream ended (keep hashing) or the walker left.
            if abandoned.load(Ordering::Acquire) {
                return None;
            }
            listening = false;
        }
    }
    Some(blob.finish().map(|(digest, _)| digest))
}

/// Fills `buf` as far as the reader goes; returns the bytes read (less only at the end).
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The verdict on a walked layer: a blob that does not hash to its digest is reported as such
/// (corruption in transit explains most other errors), then the walk's own error, if any.
fn conclude(
    layer: usize,
    walked: Result<(), LayerError>,
    blob: BlobEnd,
    expected: &Expected,
    mut index: LayerIndex,
) -> Result<LayerIndex, LayerError> {
    let (actual, walked) = match (blob, walked) {
        (BlobEnd::Read(d), walked) => (d, walked),
        // A source that verifies the digest itself says so by failing the read: its verdict
        // explains a tar the walk found broken.
        (BlobEnd::Failed(e), Err(_)) if expected.compressed_verified_upstream => return Err(e),
        // Otherwise the walk's error explains a blob that could not be read to its end.
        (BlobEnd::Failed(_) | BlobEnd::Abandoned, Err(e)) => return Err(e),
        (BlobEnd::Failed(e), Ok(())) => return Err(e),
        // The walker ended without a limit hit or an error but before the blob did.
        (BlobEnd::Abandoned, Ok(())) => {
            return Err(LayerError::Corrupt {
                layer,
                message: "the layer ended early".into(),
            });
        }
    };
    if let Some(want) = &expected.compressed {
        if *want != actual {
            return Err(LayerError::DigestMismatch {
                layer,
                expected: want.clone(),
                actual,
            });
        }
    }
    walked?;
    index.blob_digest = Some(actual);
    Ok(index)
}

/// Sends an error to the walker; returns whether the walker is still listening.
fn send_error(tx: &ChunkSender, e: io::Error) -> bool {
    tx.send(Err(e)).is_ok()
}

/// Moves decompressed bytes to the walker in chunks; returns false when the walker stopped
/// listening (it hit a limit) before the stream ended.
fn pump<D: Read>(mut decoder: D, tx: &ChunkSender) -> bool {
    loop {
        let mut chunk = vec![0u8; PIPELINE_CHUNK_BYTES];
        let filled = match read_full(&mut decoder, &mut chunk) {
            Ok(n) => n,
            Err(e) => return send_error(tx, e),
        };
        if filled == 0 {
            return true;
        }
        chunk.truncate(filled);
        if tx.send(Ok(chunk)).is_err() {
            return false;
        }
    }
}

/// Reads the chunks the previous stage of the pipeline sends.
struct ChunkReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
}

impl ChunkReader {
    fn new(rx: mpsc::Receiver<io::Result<Vec<u8>>>) -> Self {
        Self {
            rx,
            chunk: Vec::new(),
            at: 0,
        }
    }
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at == self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The sender is gone: the stream ended.
                Err(_) => return Ok(&[]),
            }
        }
        Ok(&self.chunk[self.at..])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.chunk.len());
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = buf.len().min(available.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Zstd,
    None,
}

impl Compression {
    /// A reader of the uncompressed stream over the compressed one.
    fn decoder<B: BufRead>(self, compressed: B) -> io::Result<Decoder<B>> {
        Ok(match self {
            Self::Gzip => Decoder::Gzip(Box::new(flate2::bufread::MultiGzDecoder::new(compressed))),
            Self::Zstd => Decoder::Zstd(
                zstd::stream::read::Decoder::with_buffer(compressed)
                    .map_err(|e| io::Error::other(format!("not a valid zstd stream: {e}")))?,
            ),
            Self::None => Decoder::Plain(compressed),
        })
    }

    /// By magic number, not media type: registries and archives mislabel layers.
    fn sniff(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Self::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Self::Zstd
        } else {
            Self::None
        }
    }
}

/// The decompressor for a layer; `Send` exactly when its input is.
enum Decoder<B: BufRead> {
    // Boxed: one per layer, and the gzip state dwarfs the others.
    Gzip(Box<flate2::bufread::MultiGzDecoder<B>>),
    Zstd(zstd::stream::read::Decoder<'static, B>),
    Plain(B),
}

impl<B: BufRead> Read for Decoder<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Gzip(d) => d.read(buf),
            Self::Zstd(d) => d.read(buf),
            Self::Plain(d) => d.read(buf),
        }
    }
}

struct ExpansionGuard {
    limits: Limits,
    /// Compressed bytes read so far (slightly ahead of the decoder, by the read buffer).
    consumed: Arc<AtomicU64>,
}

/// Counts uncompressed bytes, hashes them when a `diff_id` is to be checked, and stops a
/// decompression bomb by size and by ratio.
struct Uncompressed<'a, R> {
    inner: R,
    guard: &'a ExpansionGuard,
    bytes: u64,
    hasher: Option<Sha256>,
}

impl<R: Read> Read for Uncompressed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        let l = &self.guard.limits;
        if self.bytes > l.max_layer_bytes {
            return Err(io::Error::other(LimitHit(format!(
                "expands beyond {} bytes (the layer size limit); raise --max-layer-size if the image is trusted",
                l.max_layer_bytes
            ))));
        }
        if self.bytes > l.ratio_grace_bytes {
            let compressed = self.guard.consumed.load(Ordering::Relaxed).max(1);
            if self.bytes / compressed > l.max_expansion_ratio {
                return Err(io::Error::other(LimitHit(format!(
                    "expands more than {}x ({} bytes from {} compressed): a decompression bomb? Raise --max-expansion-ratio if the image is trusted",
                    l.max_expansion_ratio, self.bytes, compressed
                ))));
            }
        }
        Ok(n)
    }
}

#[derive(Debug)]
struct LimitHit(String);

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LimitHit {}

/// Turns an I/O error from deep inside the decoder stack into the layer error it stands for.
fn classify(layer: usize, e: &io::Error, what: &str) -> LayerError {
    if let Some(hit) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<LimitHit>())
    {
        return LayerError::Limit {
            layer,
            message: hit.0.clone(),
        };
    }
    let message = if e.kind() == io::ErrorKind::UnexpectedEof {
        format!("{what}: the layer is truncated ({e})")
    } else {
        format!("{what}: {e}")
    };
    LayerError::Corrupt { layer, message }
}

/// At most this many warnings are kept per layer; the rest are counted.
const MAX_WARNINGS: usize = 50;

fn warn(index: &mut LayerIndex, dropped: &mut u64, message: String) {
    if index.warnings.len() < MAX_WARNINGS {
        index.warnings.push(message);
    } else {
        *dropped += 1;
    }
}

fn walk<R: Read>(
    layer: usize,
    decoder: R,
    guard: &ExpansionGuard,
    index: &mut LayerIndex,
    python_files: bool,
    expected: &Expected,
) -> Result<(), LayerError> {
    let mut uncompressed = Uncompressed {
        inner: decoder,
        guard,
        bytes: 0,
        hasher: expected.uncompressed.as_ref().map(|_| Sha256::new()),
    };
    // The archive borrows the counter only for the walk; it ends before the drain below.
    let mut archive = tar::Archive::new(&mut uncompressed);
    let entries = archive
        .entries()
        .map_err(|e| classify(layer, &e, "not a tar stream"))?;
    let mut count: u64 = 0;
    let mut dropped_warnings = 0u64;
    for entry in entries {
        let mut entry = entry.map_err(|e| classify(layer, &e, "bad tar entry"))?;
        count += 1;
        if count > guard.limits.max_entries {
            return Err(LayerError::Limit {
                layer,
                message: format!(
                    "has more than {} entries; raise --max-entries if the image is trusted",
                    guard.limits.max_entries
                ),
            });
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let (path, clamped) = ImagePath::normalize(&raw_path);
        if clamped {
            warn(
                index,
                &mut dropped_warnings,
                format!("entry {raw_path:?} climbs above the image root; read as {path}"),
            );
        }
        if path.is_root() {
            continue;
        }
        let name = path.file_name();
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let Some(parent) = path.parent() else {
                continue;
            };
            if hidden == ".wh..opq" {
                index.opaque_dirs.push(parent);
            } else if !hidden.is_empty() {
                index.whiteouts.push(parent.child(hidden));
            }
            continue;
        }
        let header = entry.header();
        let mode = header.mode().unwrap_or(0o644);
        let kind = header.entry_type();
        let node = match kind {
            tar::EntryType::Directory => Node::Dir,
            tar::EntryType::Symlink => Node::Symlink {
                target: entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default(),
            },
            tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                let (target, _) = ImagePath::normalize(&target);
                // The common case: the target came earlier in this layer; share its facts.
                match index.entries.get(&target) {
                    Some(Entry {
                        node: node @ Node::File { .. },
                        ..
                    }) => node.clone(),
                    _ => Node::Hardlink { target },
                }
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                let size = entry.size();
                read_file(
                    &mut entry,
                    &path,
                    size,
                    guard,
                    python_files,
                    layer,
                    index,
                    &mut dropped_warnings,
                )?
            }
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            _ => Node::Other,
        };
        index.entries.insert(path, Entry { node, mode, layer });
    }
    // Read past the end-of-archive blocks so the uncompressed digest and size are complete.
    io::copy(&mut uncompressed, &mut io::sink())
        .map_err(|e| classify(layer, &e, "after the end of the tar"))?;
    index.uncompressed_size = uncompressed.bytes;
    if dropped_warnings > 0 {
        index
            .warnings
            .push(format!("{dropped_warnings} more warnings not shown"));
    }
    if let (Some(want), Some(hasher)) = (&expected.uncompressed, uncompressed.hasher.take()) {
        let actual = Digest::from_hash(hasher.finalize().into());
        if *want != actual {
            return Err(LayerError::DigestMismatch {
                layer,
                expected: want.clone(),
                actual,
            });
        }
    }
    Ok(())
}

/// The smallest file that can hold an ELF header.
const ELF_HEADER_SIZE: u64 = 52;

/// Reads the first bytes of a file the catalogers do not keep; an ELF object is read whole,
/// parsed, and only its facts kept.
pub(crate) fn read_elf_facts<R: Read>(
    entry: &mut R,
    path: &ImagePath,
    size: u64,
    max_bytes: u64,
    index: &mut LayerIndex,
    dropped: &mut u64,
) -> io::Result<()> {
    if size < ELF_HEADER_SIZE {
        return Ok(());
    }
    let mut head = [0u8; 4];
    entry.read_exact(&mut head)?;
    if !elf::is_elf(&head) {
        return Ok(());
    }
    // Only the headers, tables and notes are read into memory, not the code or debug data.
    let mut whole = (&head[..]).chain(entry);
    match elf::read_sparse(&mut whole, size, max_bytes) {
        Ok(sparse) => match elf::parse_from(&sparse) {
            Ok(facts) => {
                index.elf.insert(path.clone(), Arc::new(facts));
            }
            Err(e) => tracing::debug!(%path, error = %e, "not a usable ELF object"),
        },
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            tracing::debug!(%path, error = %e, "not a usable ELF object");
        }
        Err(e) if e.kind() == io::ErrorKind::FileTooLarge => {
            warn(
                index,
                dropped,
                format!("{path}: ELF facts not reported: {e}"),
            );
        }
        // Anything else is the layer stream's own failure (truncation, a limit): the walk's.
        Err(e) => return Err(e),
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn read_file<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    path: &ImagePath,
    size: u64,
    guard: &ExpansionGuard,
    python_files: bool,
    layer: usize,
    index: &mut LayerIndex,
    dropped: &mut u64,
) -> Result<Node, LayerError> {
    let fail = |e: io::Error| classify(layer, &e, &format!("reading {path}"));
    match capture(path, python_files) {
        Capture::Nothing => {
            read_elf_facts(
                entry,
                path,
                size,
                guard.limits.max_captured_file,
                index,
                dropped,
            )
            .map_err(fail)?;
            Ok(Node::File {
                size,
                content: None,
                sha256: None,
            })
        }
        Capture::Content if size > guard.limits.max_captured_file => {
            warn(
                index,
                dropped,
                format!(
                    "{path} is {size} bytes, more than the {} bytes kept per file; it is listed without content",
                    guard.limits.max_captured_file
                ),
            );
            Ok(Node::File {
                size,
                content: None,
                sha256: None,
            })
        }
        Capture::Content => {
            let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 20));
            entry
                .take(guard.limits.max_captured_file)
                .read_to_end(&mut buf)
                .map_err(fail)?;
            if elf::is_elf(&buf) {
                if let Ok(facts) = elf::parse(&buf) {
                    index.elf.insert(path.clone(), Arc::new(facts));
                }
            }
            Ok(Node::File {
                size,
                content: Some(Arc::from(buf)),
                sha256: None,
            })
        }
        Capture::Digest => {
            let mut hasher = Sha256::new();
            let mut chunk = [0u8; 16 << 10];
            loop {
                let n = entry.read(&mut chunk).map_err(fail)?;
                if n == 0 {
                    break;
                }
                hasher.update(&chunk[..n]);
            }
            Ok(Node::File {
                size,
                content: None,
                sha256: Some(hasher.finalize().into()),
            })
        }
    }
}

/// Tar streams for tests, including the hostile ones `tar::Builder` refuses to write.
#[doc(hidden)]
pub mod fixture {
    use std::io::Write;

    pub enum Item<'a> {
        File(&'a str, &'a [u8]),
        Dir(&'a str),
        Symlink(&'a str, &'a str),
        Hardlink(&'a str, &'a str),
    }

    /// An OCI layout with one image (`latest`) whose layers are `blobs` as given (compressed or
    /// not); returns the layout's directory inside `dir`.
    pub fn layout(dir: &std::path::Path, blobs: &[Vec<u8>]) -> std::path::PathBuf {
        use crate::digest::Digest;
        let root = dir.join("layout");
        let blob_dir = root.join("blobs/sha256");
        std::fs::create_dir_all(&blob_dir).expect("mkdir");
        let put = |bytes: &[u8]| -> (String, usize) {
            let d = Digest::of(bytes);
            std::fs::write(blob_dir.join(d.hex()), bytes).expect("blob");
            (d.to_string(), bytes.len())
        };
        let layers: Vec<serde_json::Value> = blobs
            .iter()
            .map(|b| {
                let (digest, size) = put(b);
                serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size})
            })
            .collect();
        let config = serde_json::json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "config": {}});
        let (cfg_digest, cfg_size) = put(&serde_json::to_vec(&config).expect("json"));
        let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest, "size": cfg_size},
            "layers": layers});
        let (m_digest, m_size) = put(&serde_json::to_vec(&manifest).expect("json"));
        let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": m_digest, "size": m_size, "annotations": {"org.opencontainers.image.ref.name": "latest"}}]});
        std::fs::write(
            root.join("index.json"),
            serde_json::to_vec(&index).expect("json"),
        )
        .expect("index");
        std::fs::write(
            root.join("oci-layout"),
            br#"{"imageLayoutVersion": "1.0.0"}"#,
        )
        .expect("oci-layout");
        root
    }

    /// A tar with raw names (no validation), so `../x` and `/abs` can be written.
    pub fn tar(items: &[Item<'_>]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for item in items {
            let mut h = tar::Header::new_gnu();
            let (name, data, kind, link): (&str, &[u8], tar::EntryType, Option<&str>) = match item {
                Item::File(n, d) => (n, d, tar::EntryType::Regular, None),
                Item::Dir(n) => (n, b"", tar::EntryType::Directory, None),
                Item::Symlink(n, t) => (n, b"", tar::EntryType::Symlink, Some(t)),
                Item::Hardlink(n, t) => (n, b"", tar::EntryType::Link, Some(t)),
            };
            let raw = &mut h.as_old_mut().name;
            raw.fill(0);
            raw[..name.len()].copy_from_slice(name.as_bytes());
            if let Some(t) = link {
                let l = &mut h.as_old_mut().linkname;
                l.fill(0);
                l[..t.len()].copy_from_slice(t.as_bytes());
            }
            h.set_entry_type(kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append(&h, data).expect("append");
        }
        b.into_inner().expect("finish")
    }

    pub fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("gzip");
        e.finish().expect("gzip")
    }

    pub fn zstd(data: &[u8]) -> Vec<u8> {
        zstd::encode_all(data, 3).expect("zstd")
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::{Item, gzip, tar, zstd};
    use super::*;

    fn p(s: &str) -> ImagePath {
        ImagePath::normalize(s).0
    }

    /// Runs both walkers and checks they agree: the same index, or the same error.
    fn both(
        layer: usize,
        blob: &[u8],
        expected: &Expected,
        limits: &Limits,
        python_files: bool,
    ) -> Result<LayerIndex, LayerError> {
        let serial = index_layer(layer, blob, expected, limits, python_files);
        let pipelined = index_layer_pipelined(layer, blob, expected, limits, python_files);
        match (&serial, &pipelined) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.entries, b.entries);
                assert_eq!(a.whiteouts, b.whiteouts);
                assert_eq!(a.opaque_dirs, b.opaque_dirs);
                assert_eq!(a.warnings, b.warnings);
                assert_eq!(a.uncompressed_size, b.uncompressed_size);
                assert_eq!(a.blob_digest, b.blob_digest);
            }
            // A limit can trip a few reads apart: only the byte counts may differ.
            (Err(a @ LayerError::Limit { .. }), Err(b @ LayerError::Limit { .. })) => {
                let shape =
                    |e: &LayerError| e.to_string().replace(|c: char| c.is_ascii_digit(), "");
                assert_eq!(shape(a), shape(b));
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("the walkers disagree: serial {a:?}, pipelined {b:?}"),
        }
        serial
    }

    fn sample() -> Vec<u8> {
        tar(&[
            Item::Dir("etc/"),
            Item::File("etc/os-release", b"ID=debian\n"),
            Item::File("usr/lib/python3/dist-packages/six.py", b"print(1)\n"),
            Item::File("usr/share/doc/big.txt", b"not kept"),
            Item::Symlink("usr/bin/python3", "python3.11"),
            Item::Hardlink("etc/os-release-link", "etc/os-release"),
            Item::File("opt/.wh.gone", b""),
            Item::File("srv/.wh..wh..opq", b""),
        ])
    }

    #[test]
    fn every_compression_gives_the_same_index() {
        let plain = sample();
        for blob in [plain.clone(), gzip(&plain), zstd(&plain)] {
            let expected = Expected {
                compressed: Some(Digest::of(&blob)),
                uncompressed: Some(Digest::of(&plain)),
                compressed_verified_upstream: false,
            };
            let idx = both(3, &blob[..], &expected, &Limits::default(), true).expect("indexes");
            assert_eq!(idx.uncompressed_size, plain.len() as u64);
            let e = &idx.entries[&p("/etc/os-release")];
            assert_eq!(e.layer, 3);
            assert!(
                matches!(&e.node, Node::File { content: Some(c), .. } if &c[..] == b"ID=debian\n")
            );
            assert!(matches!(
                &idx.entries[&p("/usr/lib/python3/dist-packages/six.py")].node,
                Node::File { content: None, sha256: Some(d), .. } if Digest::from_hash(*d) == Digest::of(b"print(1)\n")
            ));
            assert!(matches!(
                &idx.entries[&p("/usr/share/doc/big.txt")].node,
                Node::File {
                    content: None,
                    sha256: None,
                    size: 8
                }
            ));
            assert_eq!(
                idx.entries[&p("/usr/bin/python3")].node,
                Node::Symlink {
                    target: "python3.11".into()
                }
            );
            // A hard link to a file earlier in the layer shares its content.
            assert_eq!(
                idx.entries[&p("/etc/os-release-link")].node,
                idx.entries[&p("/etc/os-release")].node
            );
            assert_eq!(idx.whiteouts, vec![p("/opt/gone")]);
            assert_eq!(idx.opaque_dirs, vec![p("/srv")]);
            assert!(!idx.entries.contains_key(&p("/opt/.wh.gone")));
        }
    }

    #[test]
    fn python_file_digests_can_be_turned_off() {
        let idx = both(
            0,
            &sample()[..],
            &Expected::default(),
            &Limits::default(),
            false,
        )
        .expect("indexes");
        assert!(matches!(
            &idx.entries[&p("/usr/lib/python3/dist-packages/six.py")].node,
            Node::File { sha256: None, .. }
        ));
    }

    #[test]
    fn escaping_names_stay_inside_the_root_with_a_warning() {
        let blob = tar(&[
            Item::File("../../etc/passwd", b"x"),
            Item::File("/abs/file", b"y"),
            Item::Symlink("evil", "../../../../etc/shadow"),
        ]);
        let idx =
            both(0, &blob[..], &Expected::default(), &Limits::default(), true).expect("indexes");
        assert!(idx.entries.contains_key(&p("/etc/passwd")));
        assert!(idx.entries.contains_key(&p("/abs/file")));
        assert!(
            idx.warnings.iter().any(|w| w.contains("climbs above")),
            "{:?}",
            idx.warnings
        );
    }

    #[test]
    fn a_wrong_digest_is_an_error() {
        let blob = gzip(&sample());
        let expected = Expected {
            compressed: Some(Digest::of(b"something else")),
            uncompressed: None,
            compressed_verified_upstream: false,
        };
        let err = both(1, &blob[..], &expected, &Limits::default(), true).expect_err("mismatch");
        assert!(
            matches!(err, LayerError::DigestMismatch { layer: 1, .. }),
            "{err}"
        );
        let expected = Expected {
            compressed: None,
            uncompressed: Some(Digest::of(b"other")),
            compressed_verified_upstream: false,
        };
        let err = both(1, &blob[..], &expected, &Limits::default(), true).expect_err("mismatch");
        assert!(err.to_string().contains("digest mismatch"), "{err}");
    }

    /// A source that verifies the digest itself is trusted for it, and its read errors (its
    /// verdict on a mismatch) end the layer.
    #[test]
    fn a_digest_verified_upstream_is_not_computed_again() {
        let blob = gzip(&sample());
        let vouched = Digest::of(b"what the registry client checked");
        let expected = Expected {
            compressed: Some(vouched.clone()),
            uncompressed: None,
            compressed_verified_upstream: true,
        };
        let idx = both(0, &blob[..], &expected, &Limits::default(), true).expect("indexes");
        assert_eq!(idx.blob_digest, Some(vouched));

        struct FailsAtTheEnd<'a>(&'a [u8]);
        impl Read for FailsAtTheEnd<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("digest mismatch reported by the source"));
                }
                let n = self.0.read(buf)?;
                Ok(n)
            }
        }
        for result in [
            index_layer(0, FailsAtTheEnd(&blob), &expected, &Limits::default(), true),
            index_layer_pipelined(0, FailsAtTheEnd(&blob), &expected, &Limits::default(), true),
        ] {
            let err = result.expect_err("the source's error ends the layer");
            assert!(err.to_string().contains("reported by the source"), "{err}");
        }
    }

    #[test]
    fn a_truncated_layer_is_an_error() {
        let blob = gzip(&sample());
        let cut = &blob[..blob.len() / 2];
        let err =
            both(0, cut, &Expected::default(), &Limits::default(), true).expect_err("truncated");
        assert!(matches!(err, LayerError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for junk in [
            &b"\x1f\x8bnot gzip at all"[..],
            b"\x28\xb5\x2f\xfdjunk",
            b"plain junk that is no tar",
        ] {
            let r = both(0, junk, &Expected::default(), &Limits::default(), true);
            if let Ok(idx) = r {
                assert!(idx.entries.is_empty());
            }
        }
    }

    #[test]
    fn a_decompression_bomb_stops_at_the_ratio() {
        let zeros = vec![0u8; 8 << 20];
        let blob = tar(&[Item::File("zeros", &zeros)]);
        let bomb = gzip(&blob);
        let limits = Limits {
            ratio_grace_bytes: 1 << 20,
            max_expansion_ratio: 50,
            ..Limits::default()
        };
        let err = both(0, &bomb[..], &Expected::default(), &limits, true).expect_err("bomb");
        assert!(matches!(err, LayerError::Limit { .. }), "{err}");
        assert!(err.to_string().contains("decompression bomb"), "{err}");
        let limits = Limits {
            max_layer_bytes: 1 << 20,
            ..Limits::default()
        };
        let err = both(0, &bomb[..], &Expected::default(), &limits, true).expect_err("size");
        assert!(err.to_string().contains("layer size limit"), "{err}");
    }

    #[test]
    fn entry_count_is_bounded() {
        let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
        let items: Vec<Item<'_>> = names.iter().map(|n| Item::File(n, b"")).collect();
        let blob = tar(&items);
        let limits = Limits {
            max_entries: 10,
            ..Limits::default()
        };
        let err = both(0, &blob[..], &Expected::default(), &limits, true).expect_err("too many");
        assert!(err.to_string().contains("more than 10 entries"), "{err}");
    }

    #[test]
    fn oversized_captures_are_listed_without_content() {
        let blob = tar(&[Item::File("var/lib/dpkg/status", &[b'x'; 100])]);
        let limits = Limits {
            max_captured_file: 10,
            ..Limits::default()
        };
        let idx = both(0, &blob[..], &Expected::default(), &limits, true).expect("indexes");
        assert!(matches!(
            &idx.entries[&p("/var/lib/dpkg/status")].node,
            Node::File {
                content: None,
                size: 100,
                ..
            }
        ));
        assert_eq!(idx.warnings.len(), 1);
    }
}
