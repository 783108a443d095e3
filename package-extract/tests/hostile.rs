//! Hostile images: each ends in a clear error or a correct result, in bounded memory, with
//! nothing written anywhere.

mod support;

use package_extract::layer::fixture::{Item, gzip, layout, tar};
use serde_json::Value;
use support::extract;

fn run(dir: &std::path::Path, extra: &[&str]) -> (std::process::Output, Value) {
    let image = format!("oci:{}:latest", dir.display());
    let mut args = vec!["-i", image.as_str()];
    args.extend_from_slice(extra);
    let (out, doc) = extract(&args, &[]);
    let doc = doc.unwrap_or_else(|| {
        panic!(
            "no document; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, doc)
}

/// Where a layout keeps the blob with these bytes.
fn blob_file(layout: &std::path::Path, bytes: &[u8]) -> std::path::PathBuf {
    layout
        .join("blobs/sha256")
        .join(package_extract::digest::Digest::of(bytes).hex())
}

fn input_error(out: &std::process::Output, doc: &Value, needle: &str) {
    let msg = support::input_error(out, doc);
    assert!(msg.contains(needle), "{needle:?} not in {msg:?}");
}

#[test]
fn escaping_paths_and_links_stay_inside_the_image() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let canary = tmp.path().join("canary-written-outside");
    let escape = format!("../../../../../../..{}", canary.display());
    let abs = canary.display().to_string();
    let blob = gzip(&tar(&[
        Item::File(&escape, b"ID=escaped\n"),
        Item::File(&abs, b"ID=absolute\n"),
        Item::File("usr/lib/os-release", b"ID=inside\nVERSION_ID=1\n"),
        Item::Symlink("etc/os-release", "../../../../../../usr/lib/os-release"),
        Item::Symlink("usr/bin/python3", "/../../../../usr/bin/python3.11"),
        Item::Hardlink("var/lib/dpkg/status", "../../../../etc/shadow"),
    ]));
    let dir = layout(tmp.path(), &[blob]);
    let (out, doc) = run(&dir, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!canary.exists(), "a file was written outside the image");
    let warnings = doc["result"]["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .is_some_and(|w| w.contains("climbs above the image root"))),
        "{warnings:?}"
    );
    // The symlink chain resolves inside the image: the os-release read is the image's own.
    if let Some(os) = doc["result"].get("operating-system") {
        assert_eq!(os["id"], "inside");
    }
}

#[test]
fn a_gzip_bomb_stops_with_a_clear_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // 64 MiB of zeros compress to ~64 KiB: a 1000x expansion.
    let zeros = vec![0u8; 64 << 20];
    let blob = gzip(&tar(&[Item::File("bomb", &zeros)]));
    let dir = layout(tmp.path(), &[blob]);
    let (out, doc) = run(&dir, &["--max-expansion-ratio", "100"]);
    // The grace size (256 MiB) is above this layer; the size limit catches it instead.
    if out.status.code() == Some(0) {
        let (out, doc) = run(&dir, &["--max-layer-size", "16777216"]);
        input_error(&out, &doc, "layer size limit");
    } else {
        input_error(&out, &doc, "decompression bomb");
    }
    let big_zeros = vec![0u8; 300 << 20];
    let blob = gzip(&tar(&[Item::File("bomb", &big_zeros)]));
    let tmp2 = tempfile::tempdir().expect("tempdir");
    let dir = layout(tmp2.path(), &[blob]);
    let (out, doc) = run(&dir, &[]);
    input_error(&out, &doc, "decompression bomb");
    assert!(
        doc["result"]["hint"]
            .as_str()
            .is_some_and(|h| h.contains("limits"))
    );
}

#[test]
fn a_truncated_layer_is_an_input_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let full = gzip(&tar(&[Item::File("etc/os-release", &[b'x'; 100_000])]));
    let dir = layout(tmp.path(), std::slice::from_ref(&full));
    // Cut the blob after the manifest recorded its digest.
    std::fs::write(blob_file(&dir, &full), &full[..full.len() / 2]).expect("truncate");
    let (out, doc) = run(&dir, &[]);
    input_error(&out, &doc, "layer 0");
}

#[test]
fn a_blob_that_does_not_match_its_digest_is_rejected() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = gzip(&tar(&[Item::File("etc/os-release", b"ID=good\n")]));
    let dir = layout(tmp.path(), std::slice::from_ref(&good));
    let evil = gzip(&tar(&[Item::File("etc/os-release", b"ID=evil\n")]));
    std::fs::write(blob_file(&dir, &good), &evil).expect("tamper");
    let (out, doc) = run(&dir, &[]);
    input_error(&out, &doc, "digest mismatch");
}

#[test]
fn a_manifest_naming_a_missing_blob_is_rejected() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let blob = gzip(&tar(&[Item::File("a", b"a")]));
    let dir = layout(tmp.path(), std::slice::from_ref(&blob));
    std::fs::remove_file(blob_file(&dir, &blob)).expect("remove");
    let (out, doc) = run(&dir, &[]);
    input_error(&out, &doc, "missing from the image");
}

#[test]
fn a_layer_with_a_million_entries_is_read_or_refused_by_the_limit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let names: Vec<String> = (0..1_000_000)
        .map(|i| format!("d{}/f{i}", i % 1000))
        .collect();
    let items: Vec<Item<'_>> = names.iter().map(|n| Item::File(n, b"")).collect();
    let blob = gzip(&tar(&items));
    drop(items);
    drop(names);
    let dir = layout(tmp.path(), &[blob]);
    let (out, doc) = run(&dir, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        doc["result"]["image_size_uncompressed"],
        (1_000_000u64 + 2) * 512
    );
    // The bound for hostile layouts: under 1 GiB, measured on the child by GNU time.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_package-extract"));
    cmd.args(["extract-image", "-P", "-o"])
        .arg(tmp.path().join("million.json"))
        .arg("-i")
        .arg(format!("oci:{}:latest", dir.display()))
        .env_remove("THOTH_ANALYZER_OUTPUT");
    let measured = common::hostile::measure(&cmd);
    assert_eq!(measured.output.status.code(), Some(0));
    eprintln!(
        "a million entries: peak RSS {} MiB, {:.1} s",
        measured.peak_rss_mib(),
        measured.wall.as_secs_f64()
    );
    assert!(
        measured.peak_rss_mib() < 1024,
        "a million entries: peak RSS {} MiB",
        measured.peak_rss_mib()
    );
    let (out, doc) = run(&dir, &["--max-entries", "500000"]);
    input_error(&out, &doc, "more than 500000 entries");
}
