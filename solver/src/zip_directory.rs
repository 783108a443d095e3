//! Just enough of the zip format to read a few members of a wheel from its tail: the end of
//! central directory record (zip64 included), the central directory, and one member's local
//! header and data. Every offset and length comes from untrusted bytes, so each is checked
//! against what was actually read; nothing here can panic or allocate more than the caller
//! allows.

use std::io::Read;

/// How much of a file's tail to ask for first: the end record, its comment (at most 64 KiB)
/// and, for a wheel, usually the whole central directory.
pub const TAIL_BYTES: u64 = 64 << 10;

/// The largest central directory read (16 MiB: the wheels with the most files, such as
/// tensorflow's, have directories of a few MiB). A larger claim is refused before it is
/// requested, so a hostile end record cannot make the solver download or allocate gigabytes.
pub const MAX_DIRECTORY_BYTES: u64 = 16 << 20;

const EOCD_SIGNATURE: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIGNATURE: u32 = 0x0606_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;
const EOCD_LEN: usize = 22;
const LOCAL_HEADER_LEN: u64 = 30;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ZipError {
    #[error("not a zip file: no end of central directory record")]
    NoEndRecord,
    #[error("damaged zip file: {0}")]
    Damaged(String),
    #[error(
        "zip member {name} uses compression method {method}, which is not read (only stored and deflate)"
    )]
    UnsupportedMethod { name: String, method: u16 },
    #[error("zip member {name} is larger than {limit} bytes")]
    TooLarge { name: String, limit: u64 },
    #[error(
        "the zip's central directory claims {size} bytes, more than the {limit} bytes the solver reads (a damaged or hostile wheel)"
    )]
    DirectoryTooLarge { size: u64, limit: u64 },
}

fn damaged(what: impl Into<String>) -> ZipError {
    ZipError::Damaged(what.into())
}

/// A little-endian cursor over a slice that reports running off its end as damage.
struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    fn new(data: &'a [u8], at: usize) -> Self {
        Self { data, at }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ZipError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or_else(|| damaged("a record runs past the bytes read"))?;
        let slice = &self.data[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u16(&mut self) -> Result<u16, ZipError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, ZipError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, ZipError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

/// Where the central directory is, from the end records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryLocation {
    pub offset: u64,
    pub size: u64,
    pub entries: u64,
}

/// Finds the central directory from the last bytes of a file. `tail` holds the file's bytes
/// from `tail_offset` to its end.
pub fn locate_directory(tail: &[u8], tail_offset: u64) -> Result<DirectoryLocation, ZipError> {
    if tail.len() < EOCD_LEN {
        return Err(ZipError::NoEndRecord);
    }
    // The record is the last one whose comment length reaches exactly to the end.
    let eocd = (0..=tail.len() - EOCD_LEN)
        .rev()
        .find(|&i| {
            tail[i..i + 4] == EOCD_SIGNATURE.to_le_bytes()
                && i + EOCD_LEN + usize::from(u16::from_le_bytes([tail[i + 20], tail[i + 21]]))
                    == tail.len()
        })
        .ok_or(ZipError::NoEndRecord)?;
    let mut r = Bytes::new(tail, eocd + 10);
    let mut entries = u64::from(r.u16()?);
    let mut size = u64::from(r.u32()?);
    let mut offset = u64::from(r.u32()?);
    if (entries == 0xffff || size == 0xffff_ffff || offset == 0xffff_ffff) && eocd >= 20 {
        let mut loc = Bytes::new(tail, eocd - 20);
        if loc.u32()? == ZIP64_LOCATOR_SIGNATURE {
            loc.u32()?; // disk
            let record = loc.u64()?;
            let at = record
                .checked_sub(tail_offset)
                .and_then(|a| usize::try_from(a).ok())
                .ok_or_else(|| damaged("the zip64 end record is outside the bytes read"))?;
            let mut z = Bytes::new(tail, at);
            if z.u32()? != ZIP64_EOCD_SIGNATURE {
                return Err(damaged("the zip64 locator points at no zip64 end record"));
            }
            z.take(8 + 2 + 2 + 4 + 4 + 8)?; // size, versions, disks, entries on this disk
            entries = z.u64()?;
            size = z.u64()?;
            offset = z.u64()?;
        }
    }
    if size > MAX_DIRECTORY_BYTES {
        return Err(ZipError::DirectoryTooLarge {
            size,
            limit: MAX_DIRECTORY_BYTES,
        });
    }
    let end = tail_offset + eocd as u64;
    if offset.checked_add(size).is_none_or(|e| e > end) {
        return Err(damaged("the central directory lies past its end record"));
    }
    Ok(DirectoryLocation {
        offset,
        size,
        entries,
    })
}

/// One member as the central directory lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub method: u16,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub local_header_offset: u64,
}

/// Reads the central directory; `bytes` is exactly the directory.
pub fn read_directory(bytes: &[u8], entries: u64) -> Result<Vec<Member>, ZipError> {
    let mut r = Bytes::new(bytes, 0);
    // Bounded by the bytes: each entry takes at least 46 of them.
    let mut members =
        Vec::with_capacity(usize::try_from(entries).unwrap_or(0).min(bytes.len() / 46));
    while r.at < bytes.len() {
        if r.u32()? != CENTRAL_SIGNATURE {
            return Err(damaged("a central directory entry has a wrong signature"));
        }
        r.take(6)?; // versions, flags
        let method = r.u16()?;
        r.take(8)?; // time, date, crc
        let mut compressed_size = u64::from(r.u32()?);
        let mut uncompressed_size = u64::from(r.u32()?);
        let name_len = usize::from(r.u16()?);
        let extra_len = usize::from(r.u16()?);
        let comment_len = usize::from(r.u16()?);
        r.take(8)?; // disk, attributes
        let mut local_header_offset = u64::from(r.u32()?);
        let name = String::from_utf8_lossy(r.take(name_len)?).into_owned();
        let mut extra = Bytes::new(r.take(extra_len)?, 0);
        r.take(comment_len)?;
        while extra.data.len() - extra.at >= 4 {
            let id = extra.u16()?;
            let len = usize::from(extra.u16()?);
            let field = extra.take(len)?;
            if id == 1 {
                // Zip64: only the values saturated in the fixed fields are present, in order.
                let mut z = Bytes::new(field, 0);
                if uncompressed_size == 0xffff_ffff {
                    uncompressed_size = z.u64()?;
                }
                if compressed_size == 0xffff_ffff {
                    compressed_size = z.u64()?;
                }
                if local_header_offset == 0xffff_ffff {
                    local_header_offset = z.u64()?;
                }
            }
        }
        members.push(Member {
            name,
            method,
            compressed_size,
            uncompressed_size,
            local_header_offset,
        });
    }
    Ok(members)
}

/// The byte range to read for a member: its local header, name, a generous allowance for the
/// local extra field (which may differ from the central one), and its data.
pub fn member_span(member: &Member) -> (u64, u64) {
    let len = LOCAL_HEADER_LEN + member.name.len() as u64 + 1024 + member.compressed_size;
    (member.local_header_offset, len)
}

/// Where a member's data starts, from its local header (at the start of `bytes`).
pub fn data_offset(bytes: &[u8]) -> Result<u64, ZipError> {
    let mut r = Bytes::new(bytes, 0);
    if r.u32()? != LOCAL_SIGNATURE {
        return Err(damaged("a member's local header has a wrong signature"));
    }
    r.take(22)?;
    let name_len = u64::from(r.u16()?);
    let extra_len = u64::from(r.u16()?);
    Ok(LOCAL_HEADER_LEN + name_len + extra_len)
}

/// Decompresses a member's data (`data` starts at the data and holds at least
/// `compressed_size` bytes), refusing more than `limit` bytes of output.
pub fn extract(member: &Member, data: &[u8], limit: u64) -> Result<Vec<u8>, ZipError> {
    let too_large = || ZipError::TooLarge {
        name: member.name.clone(),
        limit,
    };
    if member.uncompressed_size > limit {
        return Err(too_large());
    }
    let compressed = usize::try_from(member.compressed_size)
        .ok()
        .and_then(|n| data.get(..n))
        .ok_or_else(|| damaged(format!("member {} runs past the bytes read", member.name)))?;
    let mut out = Vec::new();
    let read = match member.method {
        0 => {
            out.extend_from_slice(compressed);
            Ok(())
        }
        8 => flate2::read::DeflateDecoder::new(compressed)
            .take(limit + 1)
            .read_to_end(&mut out)
            .map(drop),
        method => {
            return Err(ZipError::UnsupportedMethod {
                name: member.name.clone(),
                method,
            });
        }
    };
    read.map_err(|e| damaged(format!("member {}: {e}", member.name)))?;
    if out.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A zip written the way wheel builders write them: deflate, central directory, end record.
    pub(crate) fn zip(members: &[(&str, &[u8])], comment: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, content) in members {
            let mut enc =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(content).expect("deflate");
            let data = enc.finish().expect("deflate");
            let offset = out.len() as u32;
            out.extend_from_slice(&LOCAL_SIGNATURE.to_le_bytes());
            out.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(content.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&3u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"xyz");
            out.extend_from_slice(&data);
            central.extend_from_slice(&CENTRAL_SIGNATURE.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(content.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&EOCD_SIGNATURE.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&(comment.len() as u16).to_le_bytes());
        out.extend_from_slice(comment);
        out
    }

    fn read_all(file: &[u8], tail_len: usize) -> Result<Vec<(String, Vec<u8>)>, ZipError> {
        let tail_offset = file.len().saturating_sub(tail_len);
        let loc = locate_directory(&file[tail_offset..], tail_offset as u64)?;
        let dir = file
            .get(loc.offset as usize..(loc.offset + loc.size) as usize)
            .ok_or_else(|| damaged("out"))?;
        let members = read_directory(dir, loc.entries)?;
        members
            .iter()
            .map(|m| {
                let (start, len) = member_span(m);
                let end = (start + len).min(file.len() as u64) as usize;
                let span = file
                    .get(start as usize..end)
                    .ok_or_else(|| damaged("span"))?;
                let at = data_offset(span)? as usize;
                let data = span.get(at..).ok_or_else(|| damaged("data"))?;
                Ok((m.name.clone(), extract(m, data, 1 << 20)?))
            })
            .collect()
    }

    #[test]
    fn reads_members_from_the_tail() {
        let file = zip(
            &[("a/METADATA", b"Name: a\nVersion: 1\n"), ("a/RECORD", b"")],
            b"a comment",
        );
        let got = read_all(&file, 64).expect("read");
        assert_eq!(
            got[0],
            ("a/METADATA".to_owned(), b"Name: a\nVersion: 1\n".to_vec())
        );
        assert_eq!(got[1].0, "a/RECORD");
    }

    #[test]
    fn a_file_that_is_not_a_zip_is_said_so() {
        assert_eq!(
            locate_directory(b"not a zip at all, just text", 0),
            Err(ZipError::NoEndRecord)
        );
    }

    #[test]
    fn a_directory_pointing_past_the_end_is_damage() {
        let mut file = zip(&[("m", b"x")], b"");
        let n = file.len();
        file[n - 6..n - 2].copy_from_slice(&u32::MAX.to_le_bytes()[..]);
        assert!(matches!(
            locate_directory(&file, 0),
            Err(ZipError::Damaged(_)) | Err(ZipError::NoEndRecord)
        ));
    }

    /// A zip64 end record claiming a 2 GiB directory (in a 3 GiB file) is refused before
    /// anything is requested.
    #[test]
    fn a_huge_directory_claim_is_refused() {
        let claimed: u64 = 2 << 30;
        let file_len: u64 = 3 << 30;
        let mut tail = Vec::new();
        // zip64 end record at file offset `file_len - 98`.
        let record_at = file_len - 98;
        tail.extend_from_slice(&ZIP64_EOCD_SIGNATURE.to_le_bytes());
        tail.extend_from_slice(&44u64.to_le_bytes());
        tail.extend_from_slice(&[0; 2 + 2 + 4 + 4]);
        tail.extend_from_slice(&1u64.to_le_bytes());
        tail.extend_from_slice(&1u64.to_le_bytes());
        tail.extend_from_slice(&claimed.to_le_bytes());
        tail.extend_from_slice(&(record_at - claimed).to_le_bytes());
        tail.extend_from_slice(&ZIP64_LOCATOR_SIGNATURE.to_le_bytes());
        tail.extend_from_slice(&0u32.to_le_bytes());
        tail.extend_from_slice(&record_at.to_le_bytes());
        tail.extend_from_slice(&1u32.to_le_bytes());
        tail.extend_from_slice(&EOCD_SIGNATURE.to_le_bytes());
        tail.extend_from_slice(&[0; 4]);
        tail.extend_from_slice(&0xffffu16.to_le_bytes());
        tail.extend_from_slice(&0xffffu16.to_le_bytes());
        tail.extend_from_slice(&u32::MAX.to_le_bytes());
        tail.extend_from_slice(&u32::MAX.to_le_bytes());
        tail.extend_from_slice(&0u16.to_le_bytes());
        assert_eq!(tail.len(), 98);
        assert_eq!(
            locate_directory(&tail, file_len - 98),
            Err(ZipError::DirectoryTooLarge {
                size: claimed,
                limit: MAX_DIRECTORY_BYTES
            })
        );
    }

    #[test]
    fn oversized_members_are_refused() {
        let big = vec![b'a'; 10_000];
        let file = zip(&[("big", &big)], b"");
        let loc = locate_directory(&file, 0).expect("loc");
        let members =
            read_directory(&file[loc.offset as usize..][..loc.size as usize], 1).expect("dir");
        let at = data_offset(&file).expect("local") as usize;
        assert!(matches!(
            extract(&members[0], &file[at..], 100),
            Err(ZipError::TooLarge { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            if let Ok(loc) = locate_directory(&bytes, 0) {
                if let Some(dir) = bytes.get(loc.offset as usize..(loc.offset + loc.size) as usize) {
                    for m in read_directory(dir, loc.entries).unwrap_or_default() {
                        let _ = data_offset(bytes.get(m.local_header_offset as usize..).unwrap_or_default())
                            .map(|_| extract(&m, &bytes, 1 << 16));
                    }
                }
            }
        }

        #[test]
        fn damaged_zips_never_panic(flip in 0usize..400, value in proptest::num::u8::ANY) {
            let mut file = zip(&[("pkg-1.dist-info/METADATA", b"Name: pkg\nVersion: 1\n")], b"");
            let i = flip % file.len();
            file[i] = value;
            let _ = read_all(&file, 300);
        }
    }
}
