//! ELF facts agree with `readelf --dynamic --version-info` on every ELF file of a real Debian
//! root filesystem: this machine's own `/usr/bin`, `/usr/sbin` and `/usr/lib/x86_64-linux-gnu`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Default, PartialEq)]
struct Facts {
    soname: Option<String>,
    needed: Vec<String>,
    runpath: Vec<String>,
    rpath: Vec<String>,
    defined: Vec<String>,
    required: BTreeMap<String, Vec<String>>,
}

fn bracketed(line: &str) -> Option<String> {
    let start = line.find('[')?;
    let end = line.rfind(']')?;
    Some(line[start + 1..end].to_owned())
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = &line[line.find(key)? + key.len()..];
    rest.split_whitespace().next()
}

fn readelf(path: &Path) -> Facts {
    let out = Command::new("readelf")
        .args(["--dynamic", "--version-info", "-W"])
        .arg(path)
        .output()
        .expect("readelf runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut f = Facts::default();
    let mut section = "";
    let mut current_file = String::new();
    for line in text.lines() {
        if line.starts_with("Dynamic section") {
            section = "dynamic";
        } else if line.starts_with("Version definition section") {
            section = "verdef";
        } else if line.starts_with("Version needs section") {
            section = "verneed";
        } else if line.starts_with("Version symbols section") {
            section = "";
        }
        match section {
            "dynamic" => {
                let split = |s: String| {
                    s.split(':')
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                };
                if line.contains("(NEEDED)") {
                    f.needed.extend(bracketed(line));
                } else if line.contains("(SONAME)") {
                    f.soname = bracketed(line);
                } else if line.contains("(RUNPATH)") {
                    f.runpath
                        .extend(bracketed(line).map(split).unwrap_or_default());
                } else if line.contains("(RPATH)") {
                    f.rpath
                        .extend(bracketed(line).map(split).unwrap_or_default());
                }
            }
            "verdef" if line.contains(" Rev: ") && !line.contains("Flags: BASE") => {
                if let Some(name) = field(line, "Name: ") {
                    f.defined.push(name.to_owned());
                }
            }
            "verneed" if line.contains(" File: ") => {
                current_file = field(line, "File: ").unwrap_or_default().to_owned();
                f.required.entry(current_file.clone()).or_default();
            }
            "verneed" if line.contains(" Name: ") => {
                if let Some(name) = field(line, "Name: ") {
                    f.required
                        .entry(current_file.clone())
                        .or_default()
                        .push(name.to_owned());
                }
            }
            _ => {}
        }
    }
    f
}

fn elf_files(dirs: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            let p = e.path();
            let Ok(meta) = p.symlink_metadata() else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let mut head = [0u8; 4];
            if std::fs::File::open(&p)
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
                .is_ok()
                && package_extract::elf::is_elf(&head)
            {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_elf_file_agrees_with_readelf() {
    support::require("readelf");
    let files = elf_files(&["/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu"]);
    assert!(files.len() > 200, "only {} ELF files found", files.len());
    let mut mismatches = Vec::new();
    let mut with_versions = 0;
    let (mut kept, mut total) = (0u64, 0u64);
    for path in &files {
        let data = std::fs::read(path).expect("read");
        let ours = match package_extract::elf::parse(&data) {
            Ok(f) => f,
            Err(e) => {
                mismatches.push(format!("{}: we failed to parse: {e}", path.display()));
                continue;
            }
        };
        // The walk reads ELF objects from a stream, keeping only the parts the facts need:
        // those facts must be the whole file's.
        let mut file = std::fs::File::open(path).expect("open");
        let sparse = package_extract::elf::read_sparse(&mut file, data.len() as u64, u64::MAX)
            .unwrap_or_else(|e| panic!("{}: sparse read: {e}", path.display()));
        kept += sparse.kept();
        total += data.len() as u64;
        match package_extract::elf::parse_from(&sparse) {
            Ok(from_stream) if from_stream == ours => {}
            other => mismatches.push(format!(
                "{}: the sparse read gives {other:?}",
                path.display()
            )),
        }
        let theirs = readelf(path);
        let ours = Facts {
            soname: ours.soname,
            needed: ours.needed,
            runpath: ours.runpath,
            rpath: ours.rpath,
            defined: ours.defined_versions,
            required: ours.required_versions,
        };
        if !ours.required.is_empty() || !ours.defined.is_empty() {
            with_versions += 1;
        }
        if ours != theirs {
            mismatches.push(format!(
                "{}:\n  ours   {ours:?}\n  readelf {theirs:?}",
                path.display()
            ));
        }
    }
    assert!(
        with_versions > 100,
        "only {with_versions} files had version information"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} files differ:\n{}",
        mismatches.len(),
        files.len(),
        mismatches
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!(
        "{} ELF files agree with readelf; the stream reader kept {kept} of {total} bytes",
        files.len()
    );
    assert!(
        kept * 2 < total,
        "the sparse reader kept {kept} of {total} bytes"
    );
}

/// Thoth's `system-symbols`, from a root filesystem of this machine's real libraries, agrees with
/// `nm -D | grep ' A '` (what Thoth ran) for every library.
#[test]
fn system_symbols_match_nm() {
    support::require("nm");
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    let libdir = root.join("usr/lib/x86_64-linux-gnu");
    std::fs::create_dir_all(&libdir).expect("mkdir");
    std::fs::create_dir_all(root.join("etc/ld.so.conf.d")).expect("mkdir");
    std::fs::write(
        root.join("etc/ld.so.conf"),
        "include /etc/ld.so.conf.d/*.conf\n",
    )
    .expect("write");
    std::fs::write(
        root.join("etc/ld.so.conf.d/x86_64-linux-gnu.conf"),
        "/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n",
    )
    .expect("write");
    std::os::unix::fs::symlink("usr/lib", root.join("lib")).expect("symlink");
    let libs = [
        "libc.so.6",
        "libz.so.1",
        "libm.so.6",
        "libexpat.so.1",
        "libgcc_s.so.1",
    ];
    for lib in libs {
        let src = std::fs::canonicalize(Path::new("/lib/x86_64-linux-gnu").join(lib))
            .expect("library on a Debian machine");
        std::fs::copy(&src, libdir.join(lib)).expect("copy");
    }
    let (out, doc) = support::extract(&["-i", &format!("dir:{}", root.display())], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let symbols = &doc.expect("document")["result"]["system-symbols"];
    for lib in libs {
        let path = libdir.join(lib);
        let nm = Command::new("nm")
            .arg("-D")
            .arg(&path)
            .output()
            .expect("nm runs");
        let mut expected: Vec<String> = String::from_utf8_lossy(&nm.stdout)
            .lines()
            .filter_map(|l| {
                let parts: Vec<&str> = l.split_whitespace().collect();
                (parts.len() == 3 && parts[1] == "A")
                    .then(|| parts[2].trim_start_matches('@').to_owned())
            })
            .collect();
        expected.sort();
        expected.dedup();
        let key = format!("/usr/lib/x86_64-linux-gnu/{lib}");
        let ours: Vec<String> = symbols[&key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} missing from {symbols}"))
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        assert_eq!(ours, expected, "{lib}");
    }
}
