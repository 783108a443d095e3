//! The solver's readers of untrusted archives: a wheel's zip directory and members (as range
//! requests deliver them), an sdist's PKG-INFO from a tar.gz, a tar or a zip. Any input must
//! end in a value or an error, never a panic, and never more than the limits allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use solver::zip_directory;

fuzz_target!(|data: &[u8]| {
    // The first byte picks a tail length, as if only the file's end had been fetched.
    let Some((&split, bytes)) = data.split_first() else {
        return;
    };
    let tail_offset = (bytes.len() * usize::from(split) / 256) as u64;
    if let Ok(location) = zip_directory::locate_directory(&bytes[tail_offset as usize..], tail_offset) {
        let directory = usize::try_from(location.offset)
            .ok()
            .zip(usize::try_from(location.offset.saturating_add(location.size)).ok())
            .and_then(|(a, b)| bytes.get(a..b));
        if let Some(directory) = directory {
            for member in zip_directory::read_directory(directory, location.entries).unwrap_or_default() {
                let local = usize::try_from(member.local_header_offset).ok().and_then(|at| bytes.get(at..));
                if let Some(local) = local {
                    if let Ok(at) = zip_directory::data_offset(local) {
                        if let Some(data) = usize::try_from(at).ok().and_then(|at| local.get(at..)) {
                            let _ = zip_directory::extract(&member, data, 1 << 20);
                        }
                    }
                }
            }
        }
    }
    for name in ["p-1.0.tar.gz", "p-1.0.tar", "p-1.0.zip"] {
        // The sdist's metadata members, then every static source of dependencies they hold.
        if let Ok(files) = solver::acquire::sdist_files(bytes, name) {
            if let Some(pkg_info) = &files.pkg_info {
                let _ = common::python::CoreMetadata::parse(pkg_info);
            }
            let _ = solver::static_metadata::read(&files);
        }
    }
});
