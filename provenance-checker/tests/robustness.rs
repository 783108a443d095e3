//! The lock readers on mutated locks, in the test suite: the fuzz targets' own harness
//! (`fuzz/fuzz_targets/provenance_lock/mod.rs`: no panic, at most 64 indexes, only PEP 508
//! names become request path segments, every `$ref` resolves) run on seeds of each format with
//! random byte edits, so CI exercises what the libFuzzer targets check without a nightly
//! toolchain.

#[path = "../../fuzz/fuzz_targets/provenance_lock/mod.rs"]
mod provenance_lock;

use proptest::prelude::*;
use provenance_checker::LockFormat;

const PIPFILE_LOCK: &str = r#"{"_meta": {"hash": {"sha256": "0"}, "pipfile-spec": 6, "requires": {}, "sources": [{"name": "pypi", "url": "http://u:p@127.0.0.1:9/simple", "verify_ssl": true}, {"name": "b", "url": "http://127.0.0.1:8/simple", "verify_ssl": false}]}, "default": {"six": {"hashes": ["sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"], "index": "pypi", "version": "==1.16.0"}, "../x": {"version": "==1"}, "git": {"git": "https://127.0.0.1/x.git", "ref": "abc"}}, "develop": {"b~/c": {"version": "==2.0", "hashes": ["sha256:00"]}}}"#;
const PIPFILE: &str = "[[source]]\nname = \"pypi\"\nurl = \"http://127.0.0.1:9/simple\"\nverify_ssl = true\n\n[packages]\nsix = \"*\"\n";
const REQUIREMENTS: &str = "-i http://u:p@127.0.0.1:9/simple/\n--extra-index-url http://v:q@127.0.0.1:8/x/\n--trusted-host 127.0.0.1:8\nfoo[bar]==1.0 ; python_version >= \"3.8\" \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\nbaz>=2\nqux @ https://127.0.0.1/qux-1.0.tar.gz\n";
const PYLOCK: &str = "lock-version = \"1.0\"\ncreated-by = \"x\"\n\n[[packages]]\nname = \"foo\"\nversion = \"1.0\"\nindex = \"http://u:p@127.0.0.1:9/simple/\"\nsdist = { url = \"http://127.0.0.1:9/f/foo-1.0.tar.gz\", hashes = { sha256 = \"00\" } }\n\n[[packages.wheels]]\nname = \"foo-1.0-py3-none-any.whl\"\nurl = \"http://127.0.0.1:9/f/foo-1.0-py3-none-any.whl?token=t\"\nhashes = { sha256 = \"11\" }\n\n[[packages]]\nname = \"bar\"\nvcs = { type = \"git\", url = \"https://127.0.0.1/bar\", commit-id = \"abc\" }\n";
const POETRY_LOCK: &str = "[[package]]\nname = \"foo\"\nversion = \"1.0\"\nfiles = [{ file = \"foo-1.0.tar.gz\", hash = \"sha256:00\" }]\n\n[package.source]\ntype = \"legacy\"\nurl = \"http://127.0.0.1:9/simple\"\nreference = \"private\"\n\n[[package]]\nname = \"bar\"\nversion = \"2.0\"\nfiles = []\n\n[metadata]\ncontent-hash = \"x\"\n";
const PYPROJECT: &str = "[[tool.poetry.source]]\nname = \"private\"\nurl = \"http://127.0.0.1:9/simple\"\npriority = \"primary\"\n";
const UV_LOCK: &str = "version = 1\nrequires-python = \">=3.9\"\n\n[[package]]\nname = \"foo\"\nversion = \"1.0\"\nsource = { registry = \"http://127.0.0.1:9/simple/\" }\nsdist = { url = \"http://127.0.0.1:9/files/foo-1.0.tar.gz\", hash = \"sha256:00\", size = 10 }\nwheels = [\n    { url = \"http://u:p@127.0.0.1:9/files/foo-1.0-py3-none-any.whl\", hash = \"sha256:11\", size = 12 },\n]\n\n[[package]]\nname = \"proj\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n";

fn seeds() -> Vec<(LockFormat, Vec<u8>)> {
    let joined = |a: &str, b: &str| [a.as_bytes(), b"\0", b.as_bytes()].concat();
    vec![
        (LockFormat::Pipenv, PIPFILE_LOCK.as_bytes().to_vec()),
        (LockFormat::Pipenv, joined(PIPFILE_LOCK, PIPFILE)),
        (LockFormat::Requirements, REQUIREMENTS.as_bytes().to_vec()),
        (LockFormat::Pylock, PYLOCK.as_bytes().to_vec()),
        (LockFormat::Poetry, joined(POETRY_LOCK, PYPROJECT)),
        (LockFormat::Uv, UV_LOCK.as_bytes().to_vec()),
    ]
}

/// Byte edits: (where, what, how) — 0 replaces, 1 inserts, 2 removes.
fn mutate(mut bytes: Vec<u8>, edits: &[(prop::sample::Index, u8, u8)]) -> Vec<u8> {
    for (at, byte, how) in edits {
        if bytes.is_empty() {
            bytes.push(*byte);
            continue;
        }
        let i = at.index(bytes.len());
        match how {
            0 => bytes[i] = *byte,
            1 => bytes.insert(i, *byte),
            _ => {
                bytes.remove(i);
            }
        }
    }
    bytes
}

#[test]
fn every_seed_is_read_unmutated() {
    for (format, bytes) in seeds() {
        provenance_lock::run(format, &bytes);
    }
}

/// 768 cases per property in the suite (a fraction of a second); `PROPTEST_CASES` asks for a
/// longer run (fuzz/RUNS.md records one).
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(768),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mutated_locks_end_in_a_lock_or_an_error(
        seed in 0..6usize,
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(b"{}[]\"=\n\\:/.,#@ ~0aZ-".to_vec()), 0u8..3), 0..12),
    ) {
        let (format, bytes) = seeds().swap_remove(seed);
        provenance_lock::run(format, &mutate(bytes, &edits));
    }

    #[test]
    fn arbitrary_text_is_any_format(format in 0..5usize, text in "\\PC{0,300}") {
        let format = [
            LockFormat::Pipenv,
            LockFormat::Requirements,
            LockFormat::Pylock,
            LockFormat::Poetry,
            LockFormat::Uv,
        ][format];
        provenance_lock::run(format, text.as_bytes());
    }
}
