#![no_main]
use std::collections::HashMap;
use std::io::Read;

use libfuzzer_sys::fuzz_target;
use package_extract::digest::Digest;
use package_extract::source::layout::{self, LayoutFs};
use package_extract::source::platform::{self, Platform, Wanted};
use package_extract::source::registry::scope;
use package_extract::source::{SourceError, artifact, layers_from_manifest};

/// A layout in memory: `index.json` and blobs under their digest.
struct MemFs(HashMap<String, Vec<u8>>);

impl LayoutFs for MemFs {
    fn read(&self, rel: &str, limit: u64) -> Result<Vec<u8>, SourceError> {
        let b = self
            .0
            .get(rel)
            .ok_or_else(|| SourceError::Input(rel.into()))?;
        if b.len() as u64 > limit {
            return Err(SourceError::Input("too large".into()));
        }
        Ok(b.clone())
    }
    fn open(&self, rel: &str) -> std::io::Result<Box<dyn Read + Send + '_>> {
        self.0
            .get(rel)
            .map(|b| Box::new(&b[..]) as Box<dyn Read + Send>)
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
    fn has(&self, rel: &str) -> bool {
        self.0.contains_key(rel)
    }
}

// Registry and layout documents (index.json, image indexes, manifests, configs), as a hostile
// registry or layout would send them: the input is split at 0xFF bytes into index.json and
// blobs stored under their own digest (seeds are real layouts, so the digests in them resolve).
// Every part also goes through the platform choice, the artifact check and the layer
// descriptors directly, as the registry client does with what a registry answers (index or
// manifest, then config); and each part, as text, through the registry's `WWW-Authenticate`
// challenge parser and the digest parser. Each must end in an image or an error, never a panic
// or a hang.
fuzz_target!(|data: &[u8]| {
    let parts: Vec<&[u8]> = data.split(|b| *b == 0xff).collect();
    let mut files = HashMap::new();
    files.insert("index.json".to_owned(), parts[0].to_vec());
    for p in &parts {
        files.insert(format!("blobs/sha256/{}", Digest::of(p).hex()), p.to_vec());
    }
    let fs = MemFs(files);
    let host: Platform = "linux/amd64".parse().expect("platform");
    for reference in [None, Some("latest"), Some("1")] {
        let _ = layout::open(&fs, "fuzz", reference, &host, false);
        let _ = layout::open(&fs, "fuzz", reference, &host, true);
    }
    for p in &parts {
        if let Ok(text) = std::str::from_utf8(p) {
            let _ = scope::parse_challenge(text);
            let _ = Digest::parse(text);
        }
        let Ok(doc) = serde_json::from_slice::<serde_json::Value>(p) else {
            continue;
        };
        let media_type = doc
            .get("mediaType")
            .and_then(|m| m.as_str())
            .unwrap_or_default();
        let _ = platform::is_index(media_type, &doc);
        let all = |_: &str| true;
        let _ = platform::select(
            &doc,
            &Wanted {
                platform: &host,
                given: false,
                present: &all,
            },
        );
        let _ = artifact::refuse_artifact(&doc);
        let _ = layers_from_manifest(&doc, &doc);
    }
});
