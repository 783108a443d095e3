//! Reading an ELF object from a stream without holding all of it: the facts come from the
//! headers, the dynamic section, the dynamic string table, the version sections and the notes.
//! Linkers put the string and version tables in the first loadable segment, with the headers;
//! the dynamic section and the notes have segments of their own. Code, read-only and writable
//! data and the unloaded tail (symbol tables, debug information), most of a large library's
//! bytes, are not kept. What is kept is served to `object`
//! through its [`ReadRef`] trait; a read outside the kept parts fails like a truncated file.

use std::io::{self, Read};
use std::ops::Range;

use object::Endianness;
use object::elf;
use object::read::ReadRef;
use object::read::elf::{FileHeader, ProgramHeader};

/// Bytes kept before the section header table, where linkers put `.shstrtab`.
const TAIL_WINDOW: u64 = 64 << 10;
/// A header region longer than this is not a real ELF object.
const MAX_HEADERS: u64 = 1 << 20;

/// The kept parts of one ELF file, by file offset.
#[derive(Debug, Default)]
pub struct SparseElf {
    size: u64,
    parts: Vec<(u64, Vec<u8>)>,
}

impl SparseElf {
    /// Bytes held in memory.
    pub fn kept(&self) -> u64 {
        self.parts.iter().map(|(_, b)| b.len() as u64).sum()
    }

    fn part(&self, offset: u64) -> Option<(u64, &[u8])> {
        let i = self.parts.partition_point(|(start, _)| *start <= offset);
        let (start, bytes) = self.parts.get(i.checked_sub(1)?)?;
        (offset < start + bytes.len() as u64).then_some((*start, bytes.as_slice()))
    }
}

impl<'a> ReadRef<'a> for &'a SparseElf {
    fn len(self) -> Result<u64, ()> {
        Ok(self.size)
    }

    fn read_bytes_at(self, offset: u64, size: u64) -> Result<&'a [u8], ()> {
        if size == 0 {
            return Ok(&[]);
        }
        let (start, bytes) = self.part(offset).ok_or(())?;
        let from = usize::try_from(offset - start).map_err(|_| ())?;
        let to = from
            .checked_add(usize::try_from(size).map_err(|_| ())?)
            .ok_or(())?;
        bytes.get(from..to).ok_or(())
    }

    fn read_bytes_at_until(self, range: Range<u64>, delimiter: u8) -> Result<&'a [u8], ()> {
        let (start, bytes) = self.part(range.start).ok_or(())?;
        let from = usize::try_from(range.start - start).map_err(|_| ())?;
        let limit = usize::try_from(range.end.saturating_sub(start))
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let window = bytes.get(from..limit).ok_or(())?;
        let end = window.iter().position(|b| *b == delimiter).ok_or(())?;
        Ok(&window[..end])
    }
}

/// Reads an ELF file of `size` bytes from `reader` (which is positioned at its start and yields
/// exactly `size` bytes), keeping only what the facts need, at most `max_kept` bytes.
pub fn read_sparse<R: Read>(reader: &mut R, size: u64, max_kept: u64) -> io::Result<SparseElf> {
    let mut prefix = vec![0u8; usize::try_from(size.min(64)).unwrap_or(64)];
    reader.read_exact(&mut prefix)?;
    let plan = match prefix.get(4) {
        Some(1) => plan::<elf::FileHeader32<Endianness>, R>(reader, &mut prefix, size),
        Some(2) => plan::<elf::FileHeader64<Endianness>, R>(reader, &mut prefix, size),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bad ELF class byte",
        )),
    }?;
    let mut sparse = SparseElf {
        size,
        parts: Vec::new(),
    };
    let mut position = prefix.len() as u64;
    let mut kept = prefix.len() as u64;
    sparse.parts.push((0, prefix));
    for range in plan {
        let start = range.start.max(position);
        if start >= range.end {
            continue;
        }
        io::copy(&mut reader.take(start - position), &mut io::sink())?;
        let len = range.end - start;
        kept += len;
        if kept > max_kept {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!("more than {max_kept} bytes of it are needed"),
            ));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        reader.take(len).read_to_end(&mut bytes)?;
        position = start + bytes.len() as u64;
        sparse.parts.push((start, bytes));
    }
    // The rest of the file is not needed; the caller's stream skips it.
    Ok(sparse)
}

/// Reads the program headers into `prefix` and returns the sorted, merged file ranges to keep
/// after it.
fn plan<H: FileHeader<Endian = Endianness>, R: Read>(
    reader: &mut R,
    prefix: &mut Vec<u8>,
    size: u64,
) -> io::Result<Vec<Range<u64>>> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let header = H::parse(prefix.as_slice()).map_err(|_| bad("bad ELF header"))?;
    let endian = header.endian().map_err(|_| bad("bad ELF byte order"))?;
    let phoff: u64 = header.e_phoff(endian).into();
    let ph_end = phoff
        .saturating_add(u64::from(header.e_phentsize(endian)) * u64::from(header.e_phnum(endian)));
    if ph_end > MAX_HEADERS || ph_end > size {
        return Err(bad("program headers out of range"));
    }
    if ph_end > prefix.len() as u64 {
        let more = ph_end - prefix.len() as u64;
        reader.take(more).read_to_end(prefix)?;
    }
    let header = H::parse(prefix.as_slice()).map_err(|_| bad("bad ELF header"))?;
    let segments = header
        .program_headers(endian, prefix.as_slice())
        .map_err(|_| bad("bad program headers"))?;
    let mut keep: Vec<Range<u64>> = Vec::new();
    for s in segments {
        let range = || {
            let start: u64 = s.p_offset(endian).into();
            let len: u64 = s.p_filesz(endian).into();
            start..start.saturating_add(len).min(size)
        };
        let p_type = s.p_type(endian);
        if p_type == elf::PT_LOAD {
            // The segment that starts with the headers holds the dynamic symbol strings and the
            // version tables; the others hold code, read-only data and writable data.
            let r = range();
            if r.start == 0 {
                keep.push(r);
            }
        } else if p_type == elf::PT_DYNAMIC || p_type == elf::PT_NOTE || p_type == elf::PT_INTERP {
            keep.push(range());
        }
    }
    let shoff: u64 = header.e_shoff(endian).into();
    if shoff != 0 && shoff < size {
        let shnum = match u64::from(header.e_shnum(endian)) {
            // An extended count is stored in the first section header.
            0 => 1,
            n => n,
        };
        let sh_end = shoff
            .saturating_add(u64::from(header.e_shentsize(endian)) * shnum)
            .min(size);
        keep.push(shoff.saturating_sub(TAIL_WINDOW)..sh_end);
    }
    keep.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::new();
    for r in keep {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    Ok(merged)
}
