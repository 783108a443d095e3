//! Berkeley DB hash databases (rpm's `Packages` up to RHEL/CentOS 8), read from the on-disk
//! format without the library.
//!
//! Page 0 is the hash metadata page: the generic `DBMETA` header (magic `0x061561` at byte 12
//! in the file's byte order, page size at 20, page type 8 at 25, encryption algorithm at 24)
//! followed by the hash fields. Every other page starts with a 26-byte header (page number at
//! 8, next page at 16, entry count at 20, `hf_offset` at 22, type at 25), 32 bytes when the
//! database keeps page checksums. Hash pages (types 2 and 13) hold an array of 2-byte item
//! offsets after that header; items alternate key, value. An item is either `H_KEYDATA` (type
//! byte 1 then the bytes, its length given by the previous item's offset) or `H_OFFPAGE`
//! (type 3, 3 unused bytes, first overflow page, total length): the value continues on a chain
//! of overflow pages (type 7) each carrying `hf_offset` bytes after its header.
//!
//! Rather than follow bucket chains, every hash page is visited in file order, as rpm's own
//! `bdb_ro` backend and go-rpmdb do: each key/value pair lives on exactly one hash page.

/// Hash database magic number.
const HASH_MAGIC: u32 = 0x061561;
/// B-tree magic (a database of the wrong kind).
const BTREE_MAGIC: u32 = 0x053162;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
const PAGE_HEADER: usize = 26;
/// `DBMETA_CHKSUM`: pages carry a checksum after their header.
const META_CHKSUM: u8 = 0x01;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BdbError {
    #[error("{0} bytes: too short for a Berkeley DB metadata page")]
    TooShort(usize),
    #[error("a Berkeley DB B-tree database, not a hash database")]
    Btree,
    #[error("not a Berkeley DB hash database (magic {0:#x})")]
    BadMagic(u32),
    #[error("page size {0} is not a power of two from 512 to 65536")]
    BadPageSize(u32),
    #[error("encrypted database")]
    Encrypted,
    #[error("page 0 has type {0}, not hash metadata")]
    NotHashMeta(u8),
}

#[derive(Debug, Clone, Copy)]
struct Layout {
    big_endian: bool,
    page_size: usize,
    /// Where a page's item offsets start.
    items_at: usize,
}

impl Layout {
    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        let s = b.get(at..at.checked_add(2)?)?;
        let a = [s[0], s[1]];
        Some(if self.big_endian {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }

    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        let s = b.get(at..at.checked_add(4)?)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if self.big_endian {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }
}

fn read_layout(file: &[u8]) -> Result<Layout, BdbError> {
    if file.len() < 512 {
        return Err(BdbError::TooShort(file.len()));
    }
    let raw = [file[12], file[13], file[14], file[15]];
    let big_endian = match (u32::from_le_bytes(raw), u32::from_be_bytes(raw)) {
        (HASH_MAGIC, _) => false,
        (_, HASH_MAGIC) => true,
        (BTREE_MAGIC, _) | (_, BTREE_MAGIC) => return Err(BdbError::Btree),
        (le, _) => return Err(BdbError::BadMagic(le)),
    };
    let mut layout = Layout {
        big_endian,
        page_size: 0,
        items_at: PAGE_HEADER,
    };
    let page_size = layout.u32(file, 20).unwrap_or(0);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(BdbError::BadPageSize(page_size));
    }
    layout.page_size = page_size as usize;
    if file[24] != 0 {
        return Err(BdbError::Encrypted);
    }
    if file[25] != P_HASHMETA {
        return Err(BdbError::NotHashMeta(file[25]));
    }
    if file[26] & META_CHKSUM != 0 {
        layout.items_at = PAGE_HEADER + 6;
    }
    Ok(layout)
}

/// Key/value pairs and notes on unreadable items.
pub type Pairs = (Vec<(Vec<u8>, Vec<u8>)>, Vec<String>);

/// Every `(key, value)` pair of the database, in page order, and a note for each item that
/// could not be read (a broken overflow chain, an item outside its page).
pub fn read(file: &[u8]) -> Result<Pairs, BdbError> {
    let layout = read_layout(file)?;
    let mut pairs = Vec::new();
    let mut notes = Vec::new();
    for (pgno, page) in file.chunks_exact(layout.page_size).enumerate().skip(1) {
        if !matches!(page[25], P_HASH | P_HASH_UNSORTED) {
            continue;
        }
        let entries = usize::from(layout.u16(page, 20).unwrap_or(0));
        // Keys at even indexes, values at odd ones.
        for i in (0..entries.saturating_sub(1)).step_by(2) {
            let key = item(file, page, &layout, i);
            let value = item(file, page, &layout, i + 1);
            match (key, value) {
                (Ok(k), Ok(v)) => pairs.push((k, v)),
                (Err(why), _) | (_, Err(why)) => {
                    notes.push(format!("page {pgno}, item {i}: {why}"));
                }
            }
        }
    }
    Ok((pairs, notes))
}

/// The bytes of item `i` of a hash page (following overflow pages).
fn item(file: &[u8], page: &[u8], layout: &Layout, i: usize) -> Result<Vec<u8>, &'static str> {
    let offset_at = |j: usize| {
        layout
            .u16(page, layout.items_at + 2 * j)
            .map(usize::from)
            .ok_or("item offset outside the page")
    };
    let start = offset_at(i)?;
    let end = if i == 0 {
        page.len()
    } else {
        offset_at(i - 1)?
    };
    let bytes = page
        .get(start..end)
        .filter(|b| !b.is_empty())
        .ok_or("item outside its page")?;
    match bytes[0] {
        H_KEYDATA => Ok(bytes[1..].to_vec()),
        H_OFFPAGE => {
            let first = layout.u32(bytes, 4).ok_or("short off-page item")?;
            let total = layout.u32(bytes, 8).ok_or("short off-page item")? as usize;
            overflow(file, layout, first, total)
        }
        _ => Err("duplicate items are not rpm records"),
    }
}

/// Reads `total` bytes from the overflow chain starting at page `pgno`.
fn overflow(
    file: &[u8],
    layout: &Layout,
    mut pgno: u32,
    total: usize,
) -> Result<Vec<u8>, &'static str> {
    if total > file.len() {
        return Err("overflow item longer than the file");
    }
    let mut out = Vec::with_capacity(total);
    let pages = file.len() / layout.page_size;
    // A chain can visit each page at most once.
    for _ in 0..pages {
        if out.len() >= total {
            break;
        }
        let at = (pgno as usize)
            .checked_mul(layout.page_size)
            .ok_or("overflow page number overflows")?;
        let page = file
            .get(at..at + layout.page_size)
            .ok_or("overflow page past the end of the file")?;
        if pgno == 0 || page[25] != P_OVERFLOW {
            return Err("overflow chain reaches a page that is not an overflow page");
        }
        let len = usize::from(layout.u16(page, 22).unwrap_or(0));
        let data = page
            .get(layout.items_at..layout.items_at + len)
            .ok_or("overflow page claims more bytes than it holds")?;
        let want = total - out.len();
        out.extend_from_slice(&data[..len.min(want)]);
        pgno = layout.u32(page, 16).unwrap_or(0);
        if pgno == 0 {
            break;
        }
    }
    if out.len() != total {
        return Err("overflow chain ends before the item does");
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_a_hash_database() {
        assert_eq!(read(&[0; 8]).unwrap_err(), BdbError::TooShort(8));
        assert!(matches!(read(&[0; 4096]), Err(BdbError::BadMagic(0))));
        let mut btree = vec![0u8; 4096];
        btree[12..16].copy_from_slice(&BTREE_MAGIC.to_le_bytes());
        assert_eq!(read(&btree).unwrap_err(), BdbError::Btree);
        let mut odd = vec![0u8; 4096];
        odd[12..16].copy_from_slice(&HASH_MAGIC.to_be_bytes());
        odd[20..24].copy_from_slice(&1000u32.to_be_bytes());
        assert_eq!(read(&odd).unwrap_err(), BdbError::BadPageSize(1000));
    }
}
