//! Every lock file of `../shared/corpus/lockfiles`, read and checked: its URLs rewritten to a
//! loopback index that publishes, for each locked package, files announcing the locked digests;
//! and pipenv's `_meta.hash` recomputed for every Pipfile/Pipfile.lock pair.

mod support;

use std::path::{Path, PathBuf};

use common::golden::corpus;
use common::testindex::{PageFormat, TestFile, TestIndex};
use provenance_checker::LockFormat;
use provenance_checker::lock;
use serde_json::Value;

/// The pairs whose lock was made from another version of the Pipfile (per SOURCES.md and the
/// corpus README, "the stale ones stay stale").
const STALE_PAIRS: &[&str] = &[
    "micropipenv/install-pipenv_error_hash",
    "pipenv/thoth-python-provenance2",
    "pipenv/thoth-python-requirements",
];

#[test]
fn pipenv_hash_agrees_with_every_consistent_pair() {
    let root = corpus("lockfiles");
    let mut agreed = 0;
    for dir in ["micropipenv", "pipenv"]
        .iter()
        .flat_map(|d| subdirs(&root.join(d)))
    {
        let (pipfile, lock) = (dir.join("Pipfile"), dir.join("Pipfile.lock"));
        if !pipfile.exists() || !lock.exists() {
            continue;
        }
        let rel = dir
            .strip_prefix(&root)
            .expect("below root")
            .display()
            .to_string();
        let pipfile = read(&pipfile);
        let lock: Value = serde_json::from_str(&read(&lock)).expect("lock JSON");
        let recorded = lock["_meta"]["hash"]["sha256"]
            .as_str()
            .expect("recorded hash");
        let computed = provenance_checker::pipenv_hash::pipfile_hash(
            &serde_json::to_value(toml::from_str::<toml::Table>(&pipfile).expect("Pipfile TOML"))
                .expect("json"),
        );
        if STALE_PAIRS.contains(&rel.as_str()) {
            assert_ne!(recorded, computed, "{rel} is stale");
        } else {
            assert_eq!(recorded, computed, "{rel}");
            agreed += 1;
        }
    }
    assert_eq!(agreed, 6, "six consistent pairs in the corpus");
}

/// The lock files: every Pipfile*.lock, requirements*.txt with pins, *.pylock.toml, poetry.lock.
fn lock_files() -> Vec<(PathBuf, Option<PathBuf>)> {
    let root = corpus("lockfiles");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("list")
            .filter_map(Result::ok)
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let companion = |n: &str| Some(dir.join(n)).filter(|p| p.exists());
            if name.starts_with("Pipfile") && name.ends_with(".lock") {
                out.push((path, companion("Pipfile")));
            } else if name == "poetry.lock" {
                out.push((path, companion("pyproject.toml")));
            } else if name.ends_with(".pylock.toml") || name.ends_with(".txt") {
                out.push((path, None));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_corpus_lock_is_read_and_checked_against_a_local_index() {
    let files = lock_files();
    assert!(files.len() >= 25, "{} lock files", files.len());
    let mut checked_packages = 0;
    for (lock_path, companion) in &files {
        let index = TestIndex::start(PageFormat::Json);
        let rewrite = |text: &str| rewrite_hosts(text, &index.origin());
        let lock_text = rewrite(&read(lock_path));
        let companion_text = companion.as_deref().map(|p| rewrite(&read(p)));
        let name = lock_path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned);
        let format = LockFormat::detect(name.as_deref(), &lock_text).expect("format detected");
        let mut parsed = lock::read(format, &lock_text, companion_text.as_deref())
            .unwrap_or_else(|e| panic!("{}: {}", lock_path.display(), e.message));
        if parsed.needs_default_index {
            parsed
                .add_default_indexes(&[index.url()])
                .expect("one index");
        }
        // Publish what the lock pins, announcing its digests.
        for package in &parsed.packages {
            let (Some(version), false) = (&package.version, package.direct) else {
                continue;
            };
            let stem = package.name.replace(['-', '.'], "_");
            let files: Vec<TestFile> = package
                .sha256s()
                .into_iter()
                .enumerate()
                .map(|(i, d)| TestFile {
                    announced_sha256: Some(d),
                    ..TestFile::new(&format!("{stem}-{version}-{i}-py3-none-any.whl"), b"")
                })
                .chain(
                    package
                        .artifacts
                        .iter()
                        .filter(|a| a.url.is_some())
                        .map(|a| TestFile {
                            url: a.url.clone(),
                            announced_sha256: Some("00".repeat(32)),
                            ..TestFile::new(&a.filename, b"")
                        }),
                )
                .collect();
            index.add_project(&package.name, files);
        }

        let dir = tempfile::tempdir().expect("tempdir");
        let lock_name = name.clone().unwrap_or_default();
        std::fs::write(dir.path().join(&lock_name), &lock_text).expect("write");
        let mut args = vec!["-l".to_owned(), lock_name];
        if let (Some(c), Some(text)) = (companion, &companion_text) {
            let cname = c
                .file_name()
                .and_then(|n| n.to_str())
                .expect("name")
                .to_owned();
            std::fs::write(dir.path().join(&cname), text).expect("write");
            args.extend(["-r".to_owned(), cname]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let url = index.url();
        let (code, doc) = support::run(dir.path(), &args, &[("PIP_INDEX_URL", url.as_str())]);
        let what = lock_path.display();
        assert!(code == 0 || code == 1, "{what}: exit {code}\n{doc:#}");
        assert_eq!(doc["result"]["error"], false, "{what}");
        // Rewriting the URLs changed the Pipfiles, so pipenv locks report their hash; nothing
        // else may be an error: every locked digest is on the index the lock names.
        let errors: Vec<&Value> = doc["result"]["report"]
            .as_array()
            .expect("report")
            .iter()
            .filter(|f| f["type"] == "ERROR" && f["id"] != "INVALID-LOCK-HASH")
            .collect();
        assert!(errors.is_empty(), "{what}: {errors:#?}");
        let checked = doc["result"]["statistics"]["packages_checked"]
            .as_u64()
            .expect("count");
        checked_packages += checked;
        assert_eq!(
            doc["result"]["statistics"]["index_requests"].as_u64(),
            Some(checked * parsed.sources.len() as u64),
            "{what}: one request per package and index"
        );
    }
    assert!(
        checked_packages > 500,
        "{checked_packages} packages checked over the corpus"
    );
}

/// Replaces the scheme and host of every http(s) URL with `origin`, keeping the path.
fn rewrite_hosts(text: &str, origin: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("http") {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let scheme_len = if tail.starts_with("https://") {
            8
        } else if tail.starts_with("http://") {
            7
        } else {
            out.push_str("http");
            rest = &tail[4..];
            continue;
        };
        let host_end = tail[scheme_len..]
            .find(['/', '"', '\'', ' ', '\n', '#', '?'])
            .map_or(tail.len(), |e| scheme_len + e);
        out.push_str(origin);
        rest = &tail[host_end..];
    }
    out.push_str(rest);
    out
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
