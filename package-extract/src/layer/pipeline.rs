//! The three-thread layer walk: one thread reads and hashes the blob, one decompresses it, and
//! the calling thread walks the tar.

use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use super::decode::Compression;
use super::limits::ExpansionGuard;
use super::walk::walk;
use super::{BlobEnd, Expected, LayerError, Limits, conclude};
use crate::digest::{Digest, HashingReader};
use crate::tree::LayerIndex;

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
pub(crate) fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
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
