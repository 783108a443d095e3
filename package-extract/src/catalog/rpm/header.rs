//! The rpm header blob as the package databases store it (no lead, no magic): a big-endian
//! index count `il` and data length `dl`, `il` index entries of 16 bytes (tag, type, offset,
//! count) and a data store of `dl` bytes.
//!
//! The first entry of an installed header is usually a region tag (`HEADERIMMUTABLE`) whose
//! data is a 16-byte trailer entry saying how many entries the signed, immutable part holds;
//! entries after the region ("dribbles", added at install time) replace region entries with the
//! same tag, as rpm's `headerImport` does.
//!
//! Every count and offset is checked against the blob; nothing here can panic or allocate more
//! than a small multiple of the blob's length.

use std::collections::BTreeMap;

/// Tags this crate reads.
pub mod tag {
    pub const HEADERIMAGE: u32 = 61;
    pub const HEADERSIGNATURES: u32 = 62;
    pub const HEADERIMMUTABLE: u32 = 63;
    pub const SIGPGP: u32 = 259;
    pub const SIGGPG: u32 = 262;
    pub const DSAHEADER: u32 = 267;
    pub const RSAHEADER: u32 = 268;
    pub const NAME: u32 = 1000;
    pub const VERSION: u32 = 1001;
    pub const RELEASE: u32 = 1002;
    pub const EPOCH: u32 = 1003;
    pub const SUMMARY: u32 = 1004;
    pub const INSTALLTIME: u32 = 1008;
    pub const SIZE: u32 = 1009;
    pub const VENDOR: u32 = 1011;
    pub const LICENSE: u32 = 1014;
    pub const ARCH: u32 = 1022;
    pub const OLDFILENAMES: u32 = 1027;
    pub const SOURCERPM: u32 = 1044;
    pub const PROVIDENAME: u32 = 1047;
    pub const REQUIREFLAGS: u32 = 1048;
    pub const REQUIRENAME: u32 = 1049;
    pub const REQUIREVERSION: u32 = 1050;
    pub const DIRINDEXES: u32 = 1116;
    pub const BASENAMES: u32 = 1117;
    pub const DIRNAMES: u32 = 1118;
    pub const LONGSIZE: u32 = 5009;
    pub const MODULARITYLABEL: u32 = 5096;
}

/// Tag data types.
mod ty {
    pub const NULL: u32 = 0;
    pub const CHAR: u32 = 1;
    pub const INT8: u32 = 2;
    pub const INT16: u32 = 3;
    pub const INT32: u32 = 4;
    pub const INT64: u32 = 5;
    pub const STRING: u32 = 6;
    pub const BIN: u32 = 7;
    pub const STRING_ARRAY: u32 = 8;
    pub const I18NSTRING: u32 = 9;
}

/// rpm's own limits (`hdrchkTags`, `hdrchkData`): a header never has more than 0xffff
/// entries or 256 MiB of data.
const MAX_ENTRIES: usize = 0xffff;
const MAX_DATA: usize = 256 << 20;
const ENTRY_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("header is {0} bytes, shorter than its 8-byte preamble")]
    TooShort(usize),
    #[error("header claims {il} entries and {dl} data bytes, more than rpm allows")]
    TooLarge { il: u32, dl: u32 },
    #[error("header claims {need} bytes but the blob has {have}")]
    Truncated { need: usize, have: usize },
    #[error("header has no entries")]
    Empty,
    #[error("entry {index} (tag {tag}): {why}")]
    BadEntry {
        index: usize,
        tag: u32,
        why: &'static str,
    },
    #[error("region tag {tag}: {why}")]
    BadRegion { tag: u32, why: &'static str },
}

/// One tag's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int8(Vec<u8>),
    Int16(Vec<u16>),
    Int32(Vec<u32>),
    Int64(Vec<u64>),
    /// STRING, STRING_ARRAY and I18NSTRING (lossy UTF-8).
    Strings(Vec<String>),
    Bin(Vec<u8>),
    /// NULL type or a type this parser does not know.
    Other,
}

/// A parsed header: every tag's value, dribble entries applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    tags: BTreeMap<u32, Value>,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl Header {
    /// Parses a header blob (the value of a package database record).
    pub fn parse(blob: &[u8]) -> Result<Self, HeaderError> {
        let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
            return Err(HeaderError::TooShort(blob.len()));
        };
        let (ilu, dlu) = (il as usize, dl as usize);
        if ilu > MAX_ENTRIES || dlu > MAX_DATA {
            return Err(HeaderError::TooLarge { il, dl });
        }
        if ilu == 0 {
            return Err(HeaderError::Empty);
        }
        let data_start = 8 + ilu * ENTRY_LEN;
        let need = data_start + dlu;
        if blob.len() < need {
            return Err(HeaderError::Truncated {
                need,
                have: blob.len(),
            });
        }
        let index = &blob[8..data_start];
        let data = &blob[data_start..need];
        let entries: Vec<RawEntry> = index
            .chunks_exact(ENTRY_LEN)
            .map(RawEntry::from_bytes)
            .collect();
        check_region(&entries, data)?;
        let mut tags = BTreeMap::new();
        for (i, e) in entries.iter().enumerate() {
            let value = e.value(data).map_err(|why| HeaderError::BadEntry {
                index: i,
                tag: e.tag,
                why,
            })?;
            // Later entries (dribbles) replace earlier ones.
            tags.insert(e.tag, value);
        }
        Ok(Self { tags })
    }

    pub fn get(&self, tag: u32) -> Option<&Value> {
        self.tags.get(&tag)
    }

    /// The first string of a STRING, STRING_ARRAY or I18NSTRING tag.
    pub fn string(&self, tag: u32) -> Option<&str> {
        match self.get(tag)? {
            Value::Strings(v) => v.first().map(String::as_str),
            _ => None,
        }
    }

    pub fn strings(&self, tag: u32) -> &[String] {
        match self.get(tag) {
            Some(Value::Strings(v)) => v,
            _ => &[],
        }
    }

    /// Integers of any width, widened.
    pub fn ints(&self, tag: u32) -> Vec<u64> {
        match self.get(tag) {
            Some(Value::Int8(v)) => v.iter().map(|&x| u64::from(x)).collect(),
            Some(Value::Int16(v)) => v.iter().map(|&x| u64::from(x)).collect(),
            Some(Value::Int32(v)) => v.iter().map(|&x| u64::from(x)).collect(),
            Some(Value::Int64(v)) => v.clone(),
            _ => Vec::new(),
        }
    }

    pub fn int(&self, tag: u32) -> Option<u64> {
        self.ints(tag).first().copied()
    }

    pub fn bin(&self, tag: u32) -> Option<&[u8]> {
        match self.get(tag)? {
            Value::Bin(v) => Some(v),
            _ => None,
        }
    }

    /// The files the package owns, as full paths: BASENAMES joined to DIRNAMES through
    /// DIRINDEXES (or the old OLDFILENAMES list). An index out of range drops that file.
    pub fn files(&self) -> Vec<String> {
        let base = self.strings(tag::BASENAMES);
        if base.is_empty() {
            return self.strings(tag::OLDFILENAMES).to_vec();
        }
        let dirs = self.strings(tag::DIRNAMES);
        let idx = self.ints(tag::DIRINDEXES);
        base.iter()
            .zip(idx)
            .filter_map(|(b, i)| {
                let d = dirs.get(usize::try_from(i).ok()?)?;
                Some(format!("{d}{b}"))
            })
            .collect()
    }
}

#[derive(Debug, Clone, Copy)]
struct RawEntry {
    tag: u32,
    ty: u32,
    offset: i32,
    count: u32,
}

impl RawEntry {
    fn from_bytes(b: &[u8]) -> Self {
        let w = |i: usize| be32(b, i).unwrap_or(0);
        Self {
            tag: w(0),
            ty: w(4),
            offset: w(8) as i32,
            count: w(12),
        }
    }

    fn value(&self, data: &[u8]) -> Result<Value, &'static str> {
        let start = usize::try_from(self.offset).map_err(|_| "negative offset")?;
        let rest = data.get(start..).ok_or("offset past the data store")?;
        let count = self.count as usize;
        // Every element takes at least one byte: a count larger than what is left is corrupt,
        // and this bounds every allocation below by the blob's length.
        if count > rest.len() && !matches!(self.ty, ty::NULL) {
            return Err("count larger than the data store");
        }
        let fixed = |width: usize| -> Result<&[u8], &'static str> {
            rest.get(..count.checked_mul(width).ok_or("count overflows")?)
                .ok_or("values run past the data store")
        };
        Ok(match self.ty {
            ty::CHAR | ty::INT8 => Value::Int8(fixed(1)?.to_vec()),
            ty::INT16 => Value::Int16(
                fixed(2)?
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect(),
            ),
            ty::INT32 => Value::Int32(
                fixed(4)?
                    .chunks_exact(4)
                    .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            ty::INT64 => Value::Int64(
                fixed(8)?
                    .chunks_exact(8)
                    .map(|c| u64::from_be_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
            ),
            ty::BIN => Value::Bin(fixed(1)?.to_vec()),
            ty::STRING => {
                if self.count != 1 {
                    return Err("STRING with a count other than 1");
                }
                Value::Strings(read_strings(rest, 1)?)
            }
            ty::STRING_ARRAY | ty::I18NSTRING => Value::Strings(read_strings(rest, count)?),
            _ => Value::Other,
        })
    }
}

/// `count` NUL-terminated strings from the start of `bytes`.
fn read_strings(bytes: &[u8], count: usize) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::with_capacity(count.min(bytes.len()));
    let mut rest = bytes;
    for _ in 0..count {
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or("string without its NUL")?;
        out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
        rest = &rest[end + 1..];
    }
    Ok(out)
}

/// Checks the region trailer when the first entry is a region tag.
fn check_region(entries: &[RawEntry], data: &[u8]) -> Result<(), HeaderError> {
    let Some(first) = entries.first() else {
        return Err(HeaderError::Empty);
    };
    if !matches!(
        first.tag,
        tag::HEADERIMAGE | tag::HEADERSIGNATURES | tag::HEADERIMMUTABLE
    ) {
        return Ok(());
    }
    let bad = |why| HeaderError::BadRegion {
        tag: first.tag,
        why,
    };
    if first.ty != ty::BIN || first.count as usize != ENTRY_LEN {
        return Err(bad("not a 16-byte BIN entry"));
    }
    let at = usize::try_from(first.offset).map_err(|_| bad("negative offset"))?;
    let trailer = data
        .get(at..at.saturating_add(ENTRY_LEN))
        .filter(|t| t.len() == ENTRY_LEN)
        .ok_or_else(|| bad("trailer past the data store"))?;
    let t = RawEntry::from_bytes(trailer);
    if t.tag != first.tag && t.tag != tag::HEADERIMAGE {
        return Err(bad("trailer names another tag"));
    }
    // The trailer's offset is minus the region's index length.
    let ril = t
        .offset
        .checked_neg()
        .and_then(|o| usize::try_from(o).ok())
        .filter(|o| o % ENTRY_LEN == 0)
        .map(|o| o / ENTRY_LEN)
        .ok_or_else(|| bad("trailer offset is not a region length"))?;
    if ril == 0 || ril > entries.len() {
        return Err(bad("region longer than the index"));
    }
    Ok(())
}

/// The key id of an OpenPGP signature packet (v3: in the body; v4: the issuer or issuer
/// fingerprint subpacket; v5/v6: the issuer fingerprint), as 16 lowercase hex digits.
pub fn pgp_key_id(packet: &[u8]) -> Option<String> {
    let (&first, rest) = packet.split_first()?;
    if first & 0x80 == 0 {
        return None;
    }
    let (tag, body) = if first & 0x40 != 0 {
        // New format length.
        let (&o1, rest) = rest.split_first()?;
        let (len, rest) = match o1 {
            0..=191 => (usize::from(o1), rest),
            192..=223 => {
                let (&o2, rest) = rest.split_first()?;
                ((usize::from(o1 - 192) << 8) + usize::from(o2) + 192, rest)
            }
            255 => (be32(rest, 0)? as usize, rest.get(4..)?),
            // Partial body lengths never occur in signatures.
            _ => return None,
        };
        (first & 0x3f, rest.get(..len)?)
    } else {
        let (len, rest) = match first & 3 {
            0 => (usize::from(*rest.first()?), rest.get(1..)?),
            1 => (
                usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?])),
                rest.get(2..)?,
            ),
            2 => (be32(rest, 0)? as usize, rest.get(4..)?),
            _ => (rest.len(), rest),
        };
        ((first >> 2) & 0x0f, rest.get(..len)?)
    };
    if tag != 2 {
        return None;
    }
    match *body.first()? {
        // version, hashed length (5), type, time (4), key id (8).
        2 | 3 => Some(hex::encode(body.get(7..15)?)),
        v @ (4..=6) => {
            // version, type, public key algorithm, hash algorithm, hashed subpackets,
            // unhashed subpackets.
            let wide = v != 4;
            let (hashed, rest) = subpacket_area(body.get(4..)?, wide)?;
            let unhashed = subpacket_area(rest, wide).map(|(u, _)| u).unwrap_or(&[]);
            let mut from_fpr = None;
            for (ty, data) in subpackets(hashed).chain(subpackets(unhashed)) {
                match ty {
                    16 if data.len() == 8 => return Some(hex::encode(data)),
                    33 if from_fpr.is_none() => {
                        // key version byte, then the fingerprint.
                        from_fpr = match (data.first(), data.len()) {
                            (Some(4), 21) => data.get(13..21).map(hex::encode),
                            (Some(5 | 6), 33) => data.get(1..9).map(hex::encode),
                            _ => None,
                        };
                    }
                    _ => {}
                }
            }
            from_fpr
        }
        _ => None,
    }
}

/// A length-prefixed subpacket area (2-byte length; 4-byte for v5/v6) and what follows it.
fn subpacket_area(b: &[u8], wide: bool) -> Option<(&[u8], &[u8])> {
    let (len, rest) = if wide {
        (be32(b, 0)? as usize, b.get(4..)?)
    } else {
        (
            usize::from(u16::from_be_bytes([*b.first()?, *b.get(1)?])),
            b.get(2..)?,
        )
    };
    Some((rest.get(..len)?, rest.get(len..)?))
}

/// `(type, data)` of each subpacket; stops at the first malformed one.
fn subpackets(mut b: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (&o1, rest) = b.split_first()?;
        let (len, rest) = match o1 {
            0..=191 => (usize::from(o1), rest),
            192..=254 => {
                let (&o2, rest) = rest.split_first()?;
                ((usize::from(o1 - 192) << 8) + usize::from(o2) + 192, rest)
            }
            255 => (be32(rest, 0)? as usize, rest.get(4..)?),
        };
        let body = rest.get(..len)?;
        b = rest.get(len..)?;
        let (&ty, data) = body.split_first()?;
        Some((ty & 0x7f, data))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Builds a header blob from `(tag, type, data, count)`, with an immutable region over all
    /// entries when `region`.
    pub(crate) fn blob(entries: &[(u32, u32, Vec<u8>, u32)], region: bool) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        let n = entries.len() + usize::from(region);
        if region {
            // Region entry first; its trailer goes at the end of the data.
            index.push((tag::HEADERIMMUTABLE, ty::BIN, 0i32, 16u32));
        }
        for (t, y, d, c) in entries {
            while matches!(*y, ty::INT16 | ty::INT32 | ty::INT64) && data.len() % 8 != 0 {
                data.push(0);
            }
            index.push((*t, *y, data.len() as i32, *c));
            data.extend_from_slice(d);
        }
        if region {
            index[0].2 = data.len() as i32;
            for w in [tag::HEADERIMMUTABLE, ty::BIN, (-(n as i32 * 16)) as u32, 16] {
                data.extend_from_slice(&w.to_be_bytes());
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(&(n as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        for (t, y, o, c) in index {
            out.extend_from_slice(&t.to_be_bytes());
            out.extend_from_slice(&y.to_be_bytes());
            out.extend_from_slice(&o.to_be_bytes());
            out.extend_from_slice(&c.to_be_bytes());
        }
        out.extend_from_slice(&data);
        out
    }

    fn s(x: &str) -> Vec<u8> {
        let mut v = x.as_bytes().to_vec();
        v.push(0);
        v
    }

    #[test]
    fn reads_every_type() {
        let b = blob(
            &[
                (tag::NAME, ty::STRING, s("hello"), 1),
                (tag::SUMMARY, ty::I18NSTRING, s("hi"), 1),
                (tag::EPOCH, ty::INT32, 7u32.to_be_bytes().to_vec(), 1),
                (tag::LONGSIZE, ty::INT64, 1u64.to_be_bytes().to_vec(), 1),
                (tag::DIRINDEXES, ty::INT16, vec![0, 1, 0, 0], 2),
                (
                    tag::BASENAMES,
                    ty::STRING_ARRAY,
                    [s("a"), s("b")].concat(),
                    2,
                ),
                (
                    tag::DIRNAMES,
                    ty::STRING_ARRAY,
                    [s("/x/"), s("/y/")].concat(),
                    2,
                ),
                (tag::RSAHEADER, ty::BIN, vec![1, 2, 3], 3),
                (5000, ty::INT8, vec![9], 1),
            ],
            true,
        );
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.string(tag::NAME), Some("hello"));
        assert_eq!(h.string(tag::SUMMARY), Some("hi"));
        assert_eq!(h.int(tag::EPOCH), Some(7));
        assert_eq!(h.int(tag::LONGSIZE), Some(1));
        assert_eq!(h.int(5000), Some(9));
        assert_eq!(h.bin(tag::RSAHEADER), Some(&[1u8, 2, 3][..]));
        assert_eq!(h.files(), ["/y/a", "/x/b"]);
    }

    #[test]
    fn rejects_what_does_not_fit() {
        let good = blob(&[(tag::NAME, ty::STRING, s("hello"), 1)], true);
        assert!(Header::parse(&good).is_ok());
        for cut in 0..good.len() {
            assert!(Header::parse(&good[..cut]).is_err(), "cut at {cut}");
        }
        // A count far beyond the data.
        let huge = blob(
            &[(tag::BASENAMES, ty::STRING_ARRAY, s("a"), u32::MAX)],
            false,
        );
        assert!(Header::parse(&huge).is_err());
        // A string without its NUL.
        let nonul = blob(&[(tag::NAME, ty::STRING, b"abc".to_vec(), 1)], false);
        assert!(Header::parse(&nonul).is_err());
        // Too many entries.
        let mut big = vec![0u8; 8];
        big[..4].copy_from_slice(&0x10000u32.to_be_bytes());
        assert!(matches!(
            Header::parse(&big),
            Err(HeaderError::TooLarge { .. })
        ));
    }

    #[test]
    fn region_trailer_is_checked() {
        let mut b = blob(
            &[
                (tag::NAME, ty::STRING, s("old"), 1),
                (tag::INSTALLTIME, ty::INT32, 5u32.to_be_bytes().to_vec(), 1),
            ],
            true,
        );
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.int(tag::INSTALLTIME), Some(5));
        // Corrupt the trailer offset: not a multiple of 16.
        let len = b.len();
        b[len - 8..len - 4].copy_from_slice(&(-17i32).to_be_bytes());
        assert!(matches!(
            Header::parse(&b),
            Err(HeaderError::BadRegion { .. })
        ));
    }

    #[test]
    fn key_ids_of_v3_and_v4_signatures() {
        // v4, new-format packet, issuer subpacket in the unhashed area.
        let mut body = vec![4, 0, 1, 8];
        let hashed = [5u8, 2, 0x62, 0x11, 0x22, 0x33];
        body.extend_from_slice(&(hashed.len() as u16).to_be_bytes());
        body.extend_from_slice(&hashed);
        let unhashed = [9u8, 16, 0x0c, 0xd9, 0xfe, 0xd3, 0x31, 0x35, 0xce, 0x90];
        body.extend_from_slice(&(unhashed.len() as u16).to_be_bytes());
        body.extend_from_slice(&unhashed);
        body.extend_from_slice(&[0xab, 0xcd]);
        let mut pkt = vec![0xc2, body.len() as u8];
        pkt.extend_from_slice(&body);
        assert_eq!(pgp_key_id(&pkt).as_deref(), Some("0cd9fed33135ce90"));
        // Old-format packet, one-byte length.
        let mut old = vec![0x88, body.len() as u8];
        old.extend_from_slice(&body);
        assert_eq!(pgp_key_id(&old).as_deref(), Some("0cd9fed33135ce90"));
        // v3.
        let v3 = [
            0x89, 0x00, 0x15, 3, 5, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 0, 0, 0, 0,
        ];
        assert_eq!(pgp_key_id(&v3).as_deref(), Some("0102030405060708"));
        for cut in 0..pkt.len() {
            let _ = pgp_key_id(&pkt[..cut]);
        }
        assert_eq!(pgp_key_id(&[]), None);
    }
}
