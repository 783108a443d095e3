//! rpm's NDB backend (`Packages.db`, SUSE), as rpm's `backend/ndb/rpmpkg.c` writes it; all
//! numbers little-endian.
//!
//! The file starts with slot pages (4096 bytes each). The first 32 bytes are the database
//! header: magic `RpmP`, version 0, generation, number of slot pages. The rest of the slot
//! pages are 16-byte slots: magic `Slot`, package index (0 = free), block offset and block
//! count (blocks are 16 bytes). A package's blob starts at its block offset with a 16-byte
//! header (magic `BlbS`, package index, checksum, length) followed by the header blob.

const PAGE: usize = 4096;
const SLOT: usize = 16;
const BLOCK: usize = 16;
const DB_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
/// The 32-byte database header takes the first two slots of page 0.
const HEADER_SLOTS: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdbError {
    #[error("{0} bytes: too short for an NDB header")]
    TooShort(usize),
    #[error("not an rpm NDB database (no RpmP magic)")]
    BadMagic,
    #[error("NDB version {0} (only 0 is known)")]
    BadVersion(u32),
    #[error("NDB header claims {0} slot pages, beyond the file")]
    BadSlotPages(u32),
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Blobs by package index and notes on unreadable slots.
pub type Blobs = (Vec<(u32, Vec<u8>)>, Vec<String>);

/// Every `(package index, header blob)` of the database in slot order, and a note for each
/// slot that could not be read.
pub fn read(file: &[u8]) -> Result<Blobs, NdbError> {
    if file.len() < HEADER_SLOTS * SLOT {
        return Err(NdbError::TooShort(file.len()));
    }
    if &file[0..4] != DB_MAGIC {
        return Err(NdbError::BadMagic);
    }
    let version = le32(file, 4).unwrap_or(0);
    if version != 0 {
        return Err(NdbError::BadVersion(version));
    }
    let slot_pages = le32(file, 12).unwrap_or(0);
    let slots_end = (slot_pages as usize)
        .checked_mul(PAGE)
        .filter(|&end| slot_pages > 0 && end <= file.len())
        .ok_or(NdbError::BadSlotPages(slot_pages))?;
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (n, slot) in file[..slots_end]
        .chunks_exact(SLOT)
        .enumerate()
        .skip(HEADER_SLOTS)
    {
        if &slot[0..4] != SLOT_MAGIC {
            notes.push(format!("slot {n}: bad magic"));
            continue;
        }
        let pkg = le32(slot, 4).unwrap_or(0);
        if pkg == 0 {
            continue;
        }
        let blk_offset = le32(slot, 8).unwrap_or(0) as usize;
        let blk_count = le32(slot, 12).unwrap_or(0) as usize;
        match blob(file, pkg, blk_offset, blk_count) {
            Ok(b) => out.push((pkg, b.to_vec())),
            Err(why) => notes.push(format!("package {pkg}: {why}")),
        }
    }
    Ok((out, notes))
}

fn blob(file: &[u8], pkg: u32, blk_offset: usize, blk_count: usize) -> Result<&[u8], &'static str> {
    let start = blk_offset
        .checked_mul(BLOCK)
        .ok_or("block offset overflows")?;
    let span = blk_count
        .checked_mul(BLOCK)
        .ok_or("block count overflows")?;
    let area = file
        .get(start..start.checked_add(span).ok_or("blob overflows")?)
        .ok_or("blob past the end of the file")?;
    if area.get(0..4) != Some(&BLOB_MAGIC[..]) {
        return Err("blob without its BlbS magic");
    }
    if le32(area, 4) != Some(pkg) {
        return Err("blob belongs to another package");
    }
    let len = le32(area, 12).ok_or("short blob header")? as usize;
    area.get(16..16usize.checked_add(len).ok_or("blob length overflows")?)
        .ok_or("blob longer than its blocks")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// One slot page and one blob.
    pub(crate) fn db(blob_bytes: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; PAGE];
        f[0..4].copy_from_slice(DB_MAGIC);
        f[12..16].copy_from_slice(&1u32.to_le_bytes());
        for slot in f[32..].chunks_exact_mut(SLOT) {
            slot[0..4].copy_from_slice(SLOT_MAGIC);
        }
        let blocks = (16 + blob_bytes.len() + 12).div_ceil(BLOCK);
        f[32 + 4..32 + 8].copy_from_slice(&7u32.to_le_bytes());
        f[32 + 8..32 + 12].copy_from_slice(&((PAGE / BLOCK) as u32).to_le_bytes());
        f[32 + 12..32 + 16].copy_from_slice(&(blocks as u32).to_le_bytes());
        let mut b = Vec::new();
        b.extend_from_slice(BLOB_MAGIC);
        b.extend_from_slice(&7u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&(blob_bytes.len() as u32).to_le_bytes());
        b.extend_from_slice(blob_bytes);
        b.resize(blocks * BLOCK, 0);
        f.extend_from_slice(&b);
        f
    }

    #[test]
    fn reads_a_blob_and_survives_every_truncation() {
        let f = db(b"hello header");
        let (pkgs, notes) = read(&f).unwrap();
        assert_eq!(pkgs, [(7, b"hello header".to_vec())]);
        assert!(notes.is_empty());
        for cut in 0..f.len() {
            let _ = read(&f[..cut]);
        }
        assert_eq!(read(b"RpmX").unwrap_err(), NdbError::TooShort(4));
    }
}
