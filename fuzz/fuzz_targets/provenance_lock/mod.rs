//! Shared by the `provenance_*` targets: one lock format's reader on arbitrary text, then the
//! checks on what it read (no index answers), the document serialised. Any input must end in
//! a lock or an input error, never a panic; what is read stays bounded by the input.

use provenance_checker::LockFormat;
use provenance_checker::checks::check;
use provenance_checker::fetch::{Answers, checked_names};
use provenance_checker::lock;

pub fn run(format: LockFormat, data: &[u8]) {
    // The lock, and (after the first NUL) the Pipfile / pyproject.toml beside it.
    let (lock_bytes, requirements) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], std::str::from_utf8(&data[at + 1..]).ok()),
        None => (data, None),
    };
    let Ok(text) = std::str::from_utf8(lock_bytes) else {
        return;
    };
    let Ok(lock) = lock::read(format, text, requirements) else {
        return;
    };
    assert!(lock.sources.len() <= lock::MAX_SOURCES);
    // Every package costs at least a few bytes of input.
    assert!(lock.packages.len() <= data.len() + 1);
    for name in checked_names(&lock) {
        // Only PEP 508 names, normalised, become path segments.
        assert!(
            name.bytes().all(|b| b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b == b'-'
                || b == b'.'
                || b == b'_'),
            "{name:?}"
        );
        assert!(!name.contains(".."), "{name:?}");
    }
    let findings = check(&lock, &Answers::new(), &[]);
    let doc = serde_json::to_value(&findings).expect("findings serialise");
    // References point at a finding that carries the entry, or into the lock as recorded.
    for f in doc.as_array().into_iter().flatten() {
        for entry in f["package_locked"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            let Some(r) = entry.get("$ref").and_then(|r| r.as_str()) else {
                continue;
            };
            if let Some(pointer) = r.strip_prefix("#/result/parameters/project/requirements_locked")
            {
                assert!(lock.requirements_locked.pointer(pointer).is_some(), "{r}");
            } else {
                let index: usize = r
                    .strip_prefix("#/result/report/")
                    .and_then(|r| r.split('/').next())
                    .and_then(|i| i.parse().ok())
                    .expect("a report index");
                assert!(doc[index]["package_locked"].is_object(), "{r}");
            }
        }
    }
}
