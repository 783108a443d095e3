//! rpm's SQLite backend (`rpmdb.sqlite`, Fedora 33+, RHEL 9): table `Packages(hnum, blob)`.
//!
//! The captured bytes are handed to SQLite's deserialize interface (rusqlite's `serialize`
//! feature): the database is read from memory, read-only; nothing is written to disk.
//! A database in WAL mode is opened as a rollback-journal one (bytes 18 and 19 of the header
//! set to 1), since an in-memory database has no WAL file; transactions still in an
//! `rpmdb.sqlite-wal` file are not seen.

use rusqlite::{Connection, MAIN_DB, OpenFlags};

/// Every `(hnum, blob)` row of `Packages`, by `hnum`.
pub fn read(bytes: &[u8]) -> Result<Vec<(u32, Vec<u8>)>, String> {
    if bytes.len() < 100 || !bytes.starts_with(b"SQLite format 3\0") {
        return Err("not an SQLite database".to_owned());
    }
    let mut image = bytes.to_vec();
    if image[18] == 2 || image[19] == 2 {
        image[18] = 1;
        image[19] = 1;
    }
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| e.to_string())?;
    let len = image.len();
    conn.deserialize_read_exact(MAIN_DB, &image[..], len, true)
        .map_err(|e| format!("cannot open: {e}"))?;
    drop(image);
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(|e| format!("no Packages table: {e}"))?;
    let rows = stmt
        .query_map([], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
        })
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for row in rows {
        let (hnum, blob) = row.map_err(|e| format!("reading Packages: {e}"))?;
        let hnum = u32::try_from(hnum).map_err(|_| format!("header number {hnum}"))?;
        out.push((hnum, blob));
    }
    Ok(out)
}
