//! `-o` never destroys what it writes to (issue 13): a character device, a FIFO, a socket and a
//! symlink to `/proc/self/fd/1` are written through in place and are still what they were
//! afterwards; a symlink to a regular file keeps being a link while its file is replaced; a
//! directory stays an error. Run through a real process (`examples/harness.rs`), as root, on
//! scratch nodes made in a temporary directory — never on the machine's `/dev`.

use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn harness(output: &Path) -> Command {
    let exe = std::env::current_exe().expect("test exe");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target profile dir");
    let path: PathBuf = profile_dir.join("examples").join("harness");
    assert!(
        path.exists(),
        "{} is missing: cargo test builds examples",
        path.display()
    );
    let mut cmd = Command::new(path);
    cmd.env_remove("THOTH_HARNESS_OUTPUT")
        .args(["run", "-o"])
        .arg(output);
    cmd
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("harness runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `mknod`, which needs root: the suite runs as root in CI (`.ci/run`), and fails (never skips)
/// elsewhere.
fn mknod(path: &Path, kind: &str, major: &str, minor: &str) {
    let out = Command::new("mknod")
        .arg(path)
        .args([kind, major, minor])
        .output()
        .expect("mknod runs");
    assert!(
        out.status.success(),
        "mknod {} {kind} {major} {minor} (these tests run as root): {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_character_device_stays_a_device() {
    let dir = tempfile::tempdir().expect("tempdir");
    let null = dir.path().join("null");
    mknod(&null, "c", "1", "3");
    run(&mut harness(&null));
    let meta = std::fs::symlink_metadata(&null).expect("still there");
    assert!(meta.file_type().is_char_device(), "{:?}", meta.file_type());
    let leftovers = std::fs::read_dir(dir.path()).expect("list").count();
    assert_eq!(leftovers, 1, "no temporary file is left next to the device");
}

#[test]
fn a_fifo_is_written_through_to_its_reader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo");
    let out = Command::new("mkfifo")
        .arg(&fifo)
        .output()
        .expect("mkfifo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::fs::File::open(reader_path)
            .expect("open the FIFO for reading")
            .read_to_string(&mut text)
            .expect("read the FIFO");
        text
    });
    run(&mut harness(&fifo));
    // Checked before the reader is joined: a FIFO replaced by a file never gets a writer.
    let meta = std::fs::symlink_metadata(&fifo).expect("still there");
    assert!(meta.file_type().is_fifo(), "{:?}", meta.file_type());
    let text = reader.join().expect("reader");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("the document came through");
    assert_eq!(doc["result"]["items"], serde_json::json!(["a", "b"]));
}

#[test]
fn a_socket_is_written_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
    let reader = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        let mut text = String::new();
        stream.read_to_string(&mut text).expect("read");
        text
    });
    run(&mut harness(&socket));
    let meta = std::fs::symlink_metadata(&socket).expect("still there");
    assert!(meta.file_type().is_socket(), "{:?}", meta.file_type());
    assert!(reader.join().expect("reader").contains("\"items\""));
}

#[test]
fn a_symlink_to_proc_self_fd_1_writes_to_stdout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("stdout");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).expect("symlink");
    let out = run(&mut harness(&link));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("document on stdout");
    assert_eq!(doc["result"]["items"], serde_json::json!(["a", "b"]));
    assert_eq!(
        std::fs::read_link(&link).expect("still a link"),
        Path::new("/proc/self/fd/1")
    );
}

#[test]
fn a_symlink_to_a_regular_file_replaces_the_file_and_keeps_the_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real.json");
    std::fs::write(&real, "old").expect("write");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    run(&mut harness(&link));
    assert_eq!(std::fs::read_link(&link).expect("still a link"), real);
    let text = std::fs::read_to_string(&real).expect("the file");
    assert!(text.contains("\"items\""), "{text}");
}

#[test]
fn a_directory_stays_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = harness(dir.path()).output().expect("harness runs");
    assert_eq!(out.status.code(), Some(3), "an output error");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a directory"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().is_dir());
}
