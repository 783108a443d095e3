//! The most bytes the index client reads for each kind of answer. Each cap is enforced while the
//! body streams ([`crate::http::read_capped`]), so a hostile or broken index costs at most the
//! cap in memory; each can be raised through an environment variable that every analyzer
//! honours, named in the error.

use crate::http::{BodyCap, ByteBudget};

/// Raises the cap on one project page.
pub const PAGE_ENV: &str = "THOTH_INDEX_MAX_PAGE_BYTES";
/// Raises the cap on one PEP 658 metadata file.
pub const METADATA_ENV: &str = "THOTH_INDEX_MAX_METADATA_BYTES";
/// Raises the cap on one file (a whole download, or a range answered with the whole file).
pub const FILE_ENV: &str = "THOTH_INDEX_MAX_FILE_BYTES";
/// Raises the budget of all bodies in flight at once.
pub const INFLIGHT_ENV: &str = "THOTH_INDEX_MAX_INFLIGHT_BYTES";

const MIB: u64 = 1 << 20;

/// Caps on answer bodies, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexLimits {
    /// A project page (HTML or JSON). 64 MiB by default: several times the largest pages real
    /// indexes serve for projects with tens of thousands of files.
    pub page: u64,
    /// A PEP 658 metadata file: 16 MiB by default.
    pub metadata: u64,
    /// A whole file: 160 MiB by default (the in-flight budget: a file alone may fill it). A
    /// range answer never exceeds the range asked for.
    pub file: u64,
    /// All bodies one client holds at once (pages, metadata files and files together), and the
    /// memory pages take while they are parsed: 160 MiB by default, so 16 requests in flight
    /// cannot add up to 16 times a cap, and the process stays under 256 MiB whatever the
    /// index sends (`common/tests/hostile.rs` measures it). A page of up to ~30 MiB with
    /// digests fits it together with its parsed files.
    pub inflight: u64,
}

impl Default for IndexLimits {
    fn default() -> Self {
        Self {
            page: 64 * MIB,
            metadata: 16 * MIB,
            file: 160 * MIB,
            inflight: 160 * MIB,
        }
    }
}

impl IndexLimits {
    /// The defaults, each replaced by its variable when that is set to a size (`1048576`,
    /// `512KiB`, `128MiB`, `2GiB`; `K`, `M`, `G` mean the same). An unreadable value keeps the
    /// default and says so in the log.
    pub fn from_env() -> Self {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// [`Self::from_env`] with the environment given (for tests).
    pub fn from_lookup(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let mut limits = Self::default();
        for (name, slot) in [
            (PAGE_ENV, &mut limits.page),
            (METADATA_ENV, &mut limits.metadata),
            (FILE_ENV, &mut limits.file),
            (INFLIGHT_ENV, &mut limits.inflight),
        ] {
            let Some(text) = env(name) else { continue };
            match parse_size(&text) {
                Some(bytes) => *slot = bytes,
                None => tracing::warn!(
                    "{name}={text:?} is not a size (such as 128MiB); keeping {} bytes",
                    *slot
                ),
            }
        }
        limits
    }

    pub fn page_cap(&self) -> BodyCap {
        BodyCap::new(self.page, "an index page", Some(PAGE_ENV))
    }

    pub fn metadata_cap(&self) -> BodyCap {
        BodyCap::new(self.metadata, "a metadata file", Some(METADATA_ENV))
    }

    /// The budget shared by every body of one client.
    pub fn inflight_budget(&self) -> ByteBudget {
        ByteBudget::new(self.inflight, Some(INFLIGHT_ENV))
    }

    pub fn file_cap(&self) -> BodyCap {
        BodyCap::new(self.file, "a file from an index", Some(FILE_ENV))
    }
}

/// `123`, `64KiB`, `64MiB`, `2GiB` (or `K`, `M`, `G`, `KB`... all powers of 1024) to bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let shift = match text[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return None,
    };
    number.checked_mul(1 << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_variables() {
        assert_eq!(parse_size("1048576"), Some(MIB));
        assert_eq!(parse_size("128MiB"), Some(128 * MIB));
        assert_eq!(parse_size(" 2G "), Some(2048 * MIB));
        assert_eq!(parse_size("512 kb"), Some(512 * 1024));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("-1"), None);
        assert_eq!(parse_size("99999999999999GiB"), None);
        let limits = IndexLimits::from_lookup(&|name| match name {
            PAGE_ENV => Some("1MiB".to_owned()),
            FILE_ENV => Some("many".to_owned()),
            INFLIGHT_ENV => Some("32MiB".to_owned()),
            _ => None,
        });
        assert_eq!(limits.page, MIB);
        assert_eq!(limits.metadata, IndexLimits::default().metadata);
        assert_eq!(limits.file, IndexLimits::default().file, "unreadable: kept");
        assert_eq!(limits.page_cap().option, Some(PAGE_ENV));
        assert_eq!(limits.inflight, 32 * MIB);
        assert_eq!(limits.inflight_budget().total(), 32 * MIB);
    }
}
