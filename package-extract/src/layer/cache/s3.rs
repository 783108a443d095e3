//! A cache bucket shared by many pods: each entry is one object, written whole by one PUT, so
//! concurrent writers of the same layer leave one whole entry. Size is bounded by the bucket's
//! own lifecycle rules (expire objects under the prefix after N days), not by this client.

use common::AnalyzerError;
use common::output::{ObjectStore, S3Location};

/// The largest entry read back (an entry holds a layer's captured files, bounded by the walk's
/// limits; this bounds what a hostile bucket can make the run hold).
const MAX_ENTRY: u64 = 2 << 30;

pub struct S3Cache {
    store: ObjectStore,
    bucket: String,
    prefix: String,
}

impl std::fmt::Debug for S3Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S3Cache(s3://{}/{})", self.bucket, self.prefix)
    }
}

impl S3Cache {
    /// `location` is `s3://BUCKET[/PREFIX]`; the endpoint, region and credentials come from
    /// the environment and profile files, as for `-o s3://`.
    pub fn open(location: &str) -> Result<Self, String> {
        let rest = location
            .get(..5)
            .filter(|s| s.eq_ignore_ascii_case("s3://"))
            .map(|_| &location[5..])
            .ok_or_else(|| format!("{location:?} is not s3://BUCKET/PREFIX"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // Parsed as an object location to check the bucket name the same way as -o does.
        S3Location::parse(&format!("s3://{bucket}/x"))?;
        let store = ObjectStore::from_env().map_err(|e| {
            format!(
                "the S3 layer cache: {}{}",
                e.message,
                e.hint.map(|h| format!(" ({h})")).unwrap_or_default()
            )
        })?;
        Ok(Self {
            store,
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        })
    }

    fn location(&self, name: &str) -> S3Location {
        let key = if self.prefix.is_empty() {
            format!("{name}{}", super::dir::SUFFIX)
        } else {
            format!("{}/{name}{}", self.prefix, super::dir::SUFFIX)
        };
        S3Location {
            bucket: self.bucket.clone(),
            key,
        }
    }

    pub fn get(&self, name: &str) -> Result<Option<Vec<u8>>, AnalyzerError> {
        self.store.get(&self.location(name), MAX_ENTRY)
    }

    pub fn put(&self, name: &str, bytes: &[u8]) -> Result<(), AnalyzerError> {
        self.store
            .put(&self.location(name), bytes, "application/octet-stream")
    }
}
