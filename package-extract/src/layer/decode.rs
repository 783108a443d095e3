//! Which compression a layer uses, by its magic number, and the decoder that undoes it.

use std::io::{self, BufRead, Read};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    Gzip,
    Zstd,
    None,
}

impl Compression {
    /// A reader of the uncompressed stream over the compressed one.
    pub(crate) fn decoder<B: BufRead>(self, compressed: B) -> io::Result<Decoder<B>> {
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
    pub(crate) fn sniff(head: &[u8]) -> Self {
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
pub(crate) enum Decoder<B: BufRead> {
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
