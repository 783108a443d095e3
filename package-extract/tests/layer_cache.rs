//! `--layer-cache`: the same document with and without the cache (byte for byte under
//! `--reproducible`), from a directory, from S3 (moto on loopback) and from a registry whose
//! layer blobs are gone after the first run; damaged entries of every kind are warned about,
//! ignored and rewritten; concurrent writers on one directory; eviction under a small bound.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use common::moto::Moto;
use serde_json::Value;
use support::{Registry, extract, sample_layout};

fn sample_ref() -> String {
    format!("oci:{}:latest", sample_layout().display())
}

/// Layers of the sample image (each one cache entry).
fn sample_layers() -> usize {
    let layout = sample_layout();
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).expect("index.json"))
            .expect("json");
    let digest = index["manifests"][0]["digest"].as_str().expect("digest");
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).expect("manifest"),
    )
    .expect("json");
    manifest["layers"].as_array().expect("layers").len()
}

/// A run with `-v` (the cache logs its hits at info level) and `--reproducible`; returns the
/// output, whose stdout is the document.
fn run(image: &str, cache: Option<&str>, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["-v", "--reproducible", "-i", image];
    if let Some(c) = cache {
        args.extend(["--layer-cache", c]);
    }
    args.extend(extra);
    let (out, _) = extract(&args, env);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn hits(out: &Output) -> usize {
    stderr(out).matches("layer cache: hit").count()
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("cache dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "layer"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_directory_cache_gives_the_same_document_cold_and_warm() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path().join("cache");
    let dir_s = dir.to_str().expect("utf-8");
    let image = sample_ref();
    let layers = sample_layers();
    let without = run(&image, None, &[], &[]);
    let cold = run(&image, Some(dir_s), &[], &[]);
    assert_eq!(hits(&cold), 0, "{}", stderr(&cold));
    assert_eq!(entries(&dir).len(), layers);
    let warm = run(&image, Some(dir_s), &[], &[]);
    assert_eq!(hits(&warm), layers, "{}", stderr(&warm));
    assert!(!stderr(&warm).contains("layer walked"), "{}", stderr(&warm));
    assert_eq!(without.stdout, cold.stdout);
    assert_eq!(without.stdout, warm.stdout);
    // Where the cache is is no part of the document.
    let doc: Value = serde_json::from_slice(&warm.stdout).expect("json");
    assert!(
        !doc["metadata"]["arguments"]
            .to_string()
            .contains("layer_cache"),
        "{}",
        doc["metadata"]["arguments"]
    );

    // Options that shape a walk are part of the key: other options miss, and agree with a
    // run without the cache.
    let other = run(&image, Some(dir_s), &["--no-python-files"], &[]);
    assert_eq!(hits(&other), 0, "{}", stderr(&other));
    assert_eq!(
        other.stdout,
        run(&image, None, &["--no-python-files"], &[]).stdout
    );
    assert_eq!(entries(&dir).len(), 2 * layers);

    // The environment variable names the cache too.
    let by_env = run(
        &image,
        None,
        &[],
        &[("THOTH_PACKAGE_EXTRACT_LAYER_CACHE", dir_s)],
    );
    assert_eq!(hits(&by_env), layers);
    assert_eq!(by_env.stdout, without.stdout);
}

/// Each kind of damage, applied to every entry: the run warns, walks the layers, reports what
/// a run without the cache reports, and leaves good entries that the next run uses silently.
#[test]
fn damaged_entries_are_warned_about_ignored_and_rewritten() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path();
    let dir_s = dir.to_str().expect("utf-8");
    let image = sample_ref();
    let layers = sample_layers();
    let reference = run(&image, Some(dir_s), &[], &[]).stdout;
    let good: Vec<Vec<u8>> = entries(dir)
        .iter()
        .map(|p| std::fs::read(p).expect("entry"))
        .collect();
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage, &str); 4] = [
        (
            "a flipped byte",
            |b| {
                let i = b.len() - 3;
                b[i] ^= 0x40;
            },
            "checksum mismatch",
        ),
        (
            "truncated",
            |b| b.truncate(b.len() / 2),
            "checksum mismatch",
        ),
        (
            "a foreign file",
            |b| *b = b"{\"not\": \"an entry\"}".to_vec(),
            "foreign",
        ),
        (
            "an older format",
            |b| b[8..12].copy_from_slice(&0u32.to_le_bytes()),
            "format version 0",
        ),
    ];
    for (what, damage, message) in damages {
        for path in entries(dir) {
            let mut bytes = std::fs::read(&path).expect("entry");
            damage(&mut bytes);
            std::fs::write(&path, bytes).expect("damage");
        }
        let out = run(&image, Some(dir_s), &[], &[]);
        let log = stderr(&out);
        assert_eq!(
            log.matches("ignored and rewritten").count(),
            layers,
            "{what}: {log}"
        );
        assert!(log.contains(message), "{what}: {log}");
        assert_eq!(hits(&out), 0, "{what}: {log}");
        assert_eq!(out.stdout, reference, "{what}");
        // Rewritten: the same bytes as the first time, used by the next run without a word.
        let now: Vec<Vec<u8>> = entries(dir)
            .iter()
            .map(|p| std::fs::read(p).expect("entry"))
            .collect();
        assert_eq!(now, good, "{what}");
        let again = run(&image, Some(dir_s), &[], &[]);
        assert_eq!(hits(&again), layers, "{what}: {}", stderr(&again));
        assert!(
            !stderr(&again).contains("WARN"),
            "{what}: {}",
            stderr(&again)
        );
        assert_eq!(again.stdout, reference, "{what}");
    }
}

/// Eight processes start on one empty directory at once: every one succeeds with the same
/// document, and they leave whole entries (the next run hits every layer) and no temporary
/// files.
#[test]
fn concurrent_writers_leave_whole_entries() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path();
    let image = sample_ref();
    let layers = sample_layers();
    let (out, _) = extract(&["--reproducible", "-i", &image], &[]);
    let reference = out.stdout;
    let home = tempfile::tempdir().expect("home");
    let children: Vec<Child> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_package-extract"))
                .args([
                    "extract-image",
                    "--reproducible",
                    "-i",
                    &image,
                    "--layer-cache",
                ])
                .arg(dir)
                .env("HOME", home.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("package-extract starts")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("runs");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(
            out.stdout == reference,
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!stderr(&out).contains("WARN"), "{}", stderr(&out));
    }
    let names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), layers, "{names:?}");
    let warm = run(&image, Some(dir.to_str().expect("utf-8")), &[], &[]);
    assert_eq!(hits(&warm), layers, "{}", stderr(&warm));
    assert_eq!(warm.stdout, run(&image, None, &[], &[]).stdout);
}

/// With a bound below the sum of the entries, the directory stays within it (the entry just
/// written is the last to go), and the least recently used entries are the ones removed.
#[test]
fn a_small_bound_evicts_the_least_recently_used_entries() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = cache.path();
    let dir_s = dir.to_str().expect("utf-8");
    let image = sample_ref();
    let reference = run(&image, Some(dir_s), &[], &[]).stdout;
    let sizes: Vec<u64> = entries(dir)
        .iter()
        .map(|p| std::fs::metadata(p).expect("entry").len())
        .collect();
    assert!(sizes.len() >= 2, "the sample image has several layers");
    let largest = *sizes.iter().max().expect("entries");
    let total: u64 = sizes.iter().sum();
    let bound = largest;
    assert!(bound < total);
    std::fs::remove_dir_all(dir).expect("empty the cache");
    let bound_s = bound.to_string();
    let out = run(
        &image,
        Some(dir_s),
        &["--layer-cache-max-bytes", &bound_s],
        &[],
    );
    assert_eq!(out.stdout, reference);
    let left = entries(dir);
    let kept: u64 = left
        .iter()
        .map(|p| std::fs::metadata(p).expect("entry").len())
        .sum();
    assert!(kept <= bound, "{kept} bytes kept, bound {bound}");
    assert!(!left.is_empty() && left.len() < sizes.len(), "{left:?}");
    // Another run under the same bound still reports the same.
    let again = run(
        &image,
        Some(dir_s),
        &["--layer-cache-max-bytes", &bound_s],
        &[],
    );
    assert_eq!(again.stdout, reference);
}

const BUCKET: &str = "layer-cache";

#[test]
fn an_s3_cache_gives_the_same_document_cold_and_warm() {
    let moto = Moto::start(BUCKET);
    let env = [
        ("AWS_ENDPOINT_URL_S3", moto.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", moto.key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", moto.secret.as_str()),
        ("AWS_REGION", "us-east-1"),
    ];
    let image = sample_ref();
    let layers = sample_layers();
    let location = format!("s3://{BUCKET}/pods/cache");
    let without = run(&image, None, &[], &[]);
    let cold = run(&image, Some(&location), &[], &env);
    assert_eq!(hits(&cold), 0, "{}", stderr(&cold));
    assert!(!stderr(&cold).contains("WARN"), "{}", stderr(&cold));
    let warm = run(&image, Some(&location), &[], &env);
    assert_eq!(hits(&warm), layers, "{}", stderr(&warm));
    assert_eq!(without.stdout, cold.stdout);
    assert_eq!(without.stdout, warm.stdout);

    // A bucket that refuses the credentials costs time, not the result: a warning per layer
    // and the document of a run without the cache.
    let wrong = [
        ("AWS_ENDPOINT_URL_S3", moto.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", moto.key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", "not-the-secret"),
        ("AWS_REGION", "us-east-1"),
    ];
    let refused = run(&image, Some(&location), &[], &wrong);
    assert!(
        stderr(&refused).contains("SignatureDoesNotMatch"),
        "{}",
        stderr(&refused)
    );
    assert!(!stderr(&refused).contains("not-the-secret"));
    assert_eq!(refused.stdout, without.stdout);
}

/// The registry's layer blobs are deleted after a first run fills the cache: a warm run still
/// succeeds (only the manifest and config are fetched), while a run without the cache fails,
/// which shows the deletion bites.
#[test]
fn a_warm_run_from_a_registry_fetches_no_layer_blob() {
    let registry = Registry::start(None);
    registry.push(&sample_ref(), "sample:1.0", &[]);
    let image = format!("docker://{}/sample:1.0", registry.addr);
    let cache = tempfile::tempdir().expect("tempdir");
    let dir_s = cache.path().to_str().expect("utf-8");
    let layers = sample_layers();
    let cold = run(&image, Some(dir_s), &[], &[]);
    assert_eq!(hits(&cold), 0);
    let layer_digests: Vec<String> = entries(cache.path())
        .iter()
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            name.split('-').nth(1).expect("sha256-HEX-KEY").to_owned()
        })
        .collect();
    assert_eq!(layer_digests.len(), layers);
    let blobs = registry.storage().join("docker/registry/v2/blobs/sha256");
    for hex in &layer_digests {
        std::fs::remove_dir_all(blobs.join(&hex[..2]).join(hex)).expect("delete a layer blob");
    }
    let warm = run(&image, Some(dir_s), &[], &[]);
    assert_eq!(hits(&warm), layers, "{}", stderr(&warm));
    assert_eq!(warm.stdout, cold.stdout);
    let (out, _) = extract(&["--reproducible", "-i", &image], &[]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "the layers are gone from the registry, yet a run without the cache read them"
    );
}
