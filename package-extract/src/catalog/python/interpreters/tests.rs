use super::*;
use crate::tree::build::LayerBuilder;

fn tree(layer: LayerBuilder) -> FileTree {
    FileTree::overlay(vec![layer.index], |_| false)
}

fn summary(found: &[PythonInterpreter]) -> Vec<(&str, Option<&str>, Option<&str>)> {
    found
        .iter()
        .map(|i| (i.path.as_str(), i.link.as_deref(), i.version.as_deref()))
        .collect()
}

const FAKE_ELF: &[u8] = b"\x7fELF\x02\x01\x01\0libm.so.6\0zlib 1.2.13\0\x003.11.2\0strict\0";

#[test]
fn symlink_chains_on_merged_usr() {
    let t = tree(
        LayerBuilder::new(0)
            .file("/usr/bin/python3.11", FAKE_ELF)
            .symlink("/usr/bin/python3", "python3.11")
            .symlink("/usr/local/bin/python", "/usr/bin/python3")
            .symlink("/bin", "usr/bin")
            .file("/usr/bin/python3-config", b"#!/bin/sh")
            .symlink("/usr/local/bin/python2", "/nowhere/python2"),
    );
    let (found, warnings) = interpreters(&t);
    assert_eq!(
        summary(&found),
        [
            (
                "/usr/bin/python3",
                Some("/usr/bin/python3.11"),
                Some("Python 3.11.2")
            ),
            (
                "/usr/bin/python3.11",
                Some("/usr/bin/python3.11"),
                Some("Python 3.11.2")
            ),
            (
                "/usr/local/bin/python",
                Some("/usr/bin/python3.11"),
                Some("Python 3.11.2")
            ),
            ("/usr/local/bin/python2", None, None),
        ]
    );
    assert_eq!(found[0].version_source, Some(VersionSource::Binary));
    assert_eq!(
        warnings,
        ["/usr/local/bin/python2: dangling or looping link"]
    );
}

#[test]
fn venv_versions_come_from_pyvenv_cfg() {
    let t = tree(
        LayerBuilder::new(0)
            .file("/usr/local/bin/python3.12", b"\x7fELF no version here")
            .file(
                "/opt/venv/pyvenv.cfg",
                b"home = /usr/local/bin\ninclude-system-site-packages = false\nversion = 3.12.1\n",
            )
            .symlink("/opt/venv/bin/python", "/usr/local/bin/python3.12")
            .symlink("/opt/venv/bin/python3", "python")
            .file(
                "/srv/app/.venv/pyvenv.cfg",
                b"home = /usr/bin\nimplementation = CPython\nversion_info = 3.11.4.final.0\nvirtualenv = 20.24.0\n",
            )
            .symlink("/srv/app/.venv/bin/python", "/usr/bin/python3.11"),
    );
    let (found, _) = interpreters(&t);
    assert_eq!(
        summary(&found),
        [
            (
                "/opt/venv/bin/python",
                Some("/usr/local/bin/python3.12"),
                Some("Python 3.12.1")
            ),
            (
                "/opt/venv/bin/python3",
                Some("/usr/local/bin/python3.12"),
                Some("Python 3.12.1")
            ),
            ("/srv/app/.venv/bin/python", None, Some("Python 3.11.4")),
            (
                "/usr/local/bin/python3.12",
                Some("/usr/local/bin/python3.12"),
                Some("Python 3.12")
            ),
        ]
    );
    assert_eq!(found[0].venv.as_deref(), Some("/opt/venv"));
    assert_eq!(found[0].version_source, Some(VersionSource::PyvenvCfg));
    assert_eq!(found[2].venv.as_deref(), Some("/srv/app/.venv"));
    assert_eq!(found[3].venv, None);
    assert_eq!(found[3].version_source, Some(VersionSource::FileName));
}

#[test]
fn shared_builds_name_their_libpython() {
    let t = tree(
        LayerBuilder::new(0)
            .file(
                "/opt/app-root/bin/python",
                b"\x7fELF\0libpython3.8.so.1.0\0libc.so.6\0",
            )
            .file(
                "/opt/conda/bin/python3",
                b"\x7fELF\0\x003.10.9 (main, Jan 11 2023)\0",
            ),
    );
    let (found, _) = interpreters(&t);
    assert_eq!(
        summary(&found),
        [
            (
                "/opt/app-root/bin/python",
                Some("/opt/app-root/bin/python"),
                Some("Python 3.8")
            ),
            (
                "/opt/conda/bin/python3",
                Some("/opt/conda/bin/python3"),
                Some("Python 3.10.9")
            ),
        ]
    );
    assert_eq!(found[0].version_source, Some(VersionSource::Libpython));
}

#[test]
fn thoth_json_shape() {
    let t = tree(LayerBuilder::new(0).file("/usr/bin/python3.8", b"#!/bin/sh\n"));
    let (found, _) = interpreters(&t);
    assert_eq!(
        serde_json::to_value(&found).unwrap(),
        serde_json::json!([{
            "path": "/usr/bin/python3.8", "link": "/usr/bin/python3.8",
            "version": "Python 3.8", "version_source": "file-name"
        }])
    );
}

/// The interpreter of this machine (Debian's python3.11, also in CI): its version constant is
/// found among 6 MB of real ELF bytes.
#[test]
fn real_python_binary_of_this_machine() {
    let bytes = std::fs::read("/usr/bin/python3.11").expect("/usr/bin/python3.11 on this machine");
    let t = tree(
        LayerBuilder::new(0)
            .file("/usr/bin/python3.11", &bytes)
            .symlink("/usr/bin/python3", "python3.11"),
    );
    let (found, _) = interpreters(&t);
    assert_eq!(found.len(), 2);
    for interpreter in &found {
        let version = interpreter.version.as_deref().unwrap();
        let patch = version.strip_prefix("Python 3.11.").unwrap();
        assert!(patch.bytes().all(|b| b.is_ascii_digit()), "{version}");
        assert_eq!(interpreter.version_source, Some(VersionSource::Binary));
    }
    // Without the file name's hint the answer is the same or none, never another version.
    let unhinted = full_version(&bytes, None);
    assert!(unhinted.is_none() || unhinted.as_deref().is_some_and(|v| v.starts_with("3.11.")));
}

#[test]
fn pyvenv_cfg_forms() {
    assert_eq!(
        pyvenv_version(b"version = 3.11.2\n").as_deref(),
        Some("3.11.2")
    );
    assert_eq!(
        pyvenv_version(b"version_info = 3.9.7.final.0").as_deref(),
        Some("3.9.7")
    );
    assert_eq!(pyvenv_version(b"home = /usr/bin\n"), None);
    assert_eq!(pyvenv_version(b"version = junk\n"), None);
}
