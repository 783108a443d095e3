//! Finding an interpreter's version in its bytes, without running it.
//!
//! CPython keeps `PY_VERSION` (`"3.11.2"`) as a NUL-terminated string constant; `sys.version`
//! is assembled at run time, so its `3.11.2 (main, ...` form appears only in some builds. A
//! shared build (`--enable-shared`, as on RHEL) keeps the constant in `libpython3.X.so`
//! instead, which names the minor version through the library it needs.

/// `"3.11"` from an interpreter's file name (`python3.11`, `python3.11d`), if it has one.
pub(super) fn minor_from_name(name: &str) -> Option<String> {
    let rest = name.strip_prefix("python")?;
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let mut parts = digits.split('.');
    let (major, minor) = (parts.next()?, parts.next()?);
    (!major.is_empty() && !minor.is_empty()).then(|| format!("{major}.{minor}"))
}

/// `"3.11"` from the `libpython3.11.so.1.0` an ELF interpreter needs.
pub(super) fn minor_from_libpython(bytes: &[u8]) -> Option<String> {
    const NEEDLE: &[u8] = b"libpython";
    let start = memchr::memmem::find(bytes, NEEDLE)? + NEEDLE.len();
    let tail = bytes.get(start..)?;
    let end = tail
        .iter()
        .position(|b| !(b.is_ascii_digit() || *b == b'.'))
        .unwrap_or(tail.len());
    let text = std::str::from_utf8(tail.get(..end)?).ok()?;
    let mut parts = text.split('.').filter(|p| !p.is_empty());
    let (major, minor) = (parts.next()?, parts.next()?);
    Some(format!("{major}.{minor}"))
}

pub(super) fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

/// The full version (`"3.11.2"`, `"3.13.0rc1"`) among the binary's strings. With `minor`
/// known, the first string of that minor version wins; without it, only an unambiguous
/// answer is given (a lone candidate), since libraries linked in carry version strings too.
pub(super) fn full_version(bytes: &[u8], minor: Option<&str>) -> Option<String> {
    let mut candidates: Vec<&str> = Vec::new();
    // Only the NUL-terminated strings that hold `2.` or `3.` at their start or after a space
    // can give a version (the constant, `sys.version`'s form, or a version merged into the
    // tail of a longer string): those places are found with memmem, and only their strings
    // are read, in file order. A binary of several MiB has millions of NULs but few of these.
    let mut hits: Vec<usize> = memchr::memmem::find_iter(bytes, b"3.")
        .chain(memchr::memmem::find_iter(bytes, b"2."))
        .filter(|&at| at == 0 || matches!(bytes[at - 1], 0 | b' '))
        .collect();
    hits.sort_unstable();
    let mut read_up_to = 0;
    for at in hits {
        if at < read_up_to {
            continue;
        }
        let start = memchr::memrchr(0, &bytes[..at]).map_or(0, |nul| nul + 1);
        let end = memchr::memchr(0, &bytes[at..]).map_or(bytes.len(), |nul| at + nul);
        read_up_to = end + 1;
        let chunk = &bytes[start..end];
        if chunk.len() > 200 {
            continue;
        }
        let Ok(text) = std::str::from_utf8(chunk) else {
            continue;
        };
        // `sys.version` form, and a constant whose storage the linker merged into the tail
        // of a longer string.
        let text = text.split_once(" (").map_or(text, |(v, _)| v);
        let token = if is_version(text) {
            text
        } else if minor.is_some() {
            match text.rsplit_once(' ') {
                Some((_, last)) if is_version(last) => last,
                _ => continue,
            }
        } else {
            continue;
        };
        let major_ok = token.starts_with("2.") || token.starts_with("3.");
        let minor_ok = minor.is_none_or(|m| {
            token
                .strip_prefix(m)
                .is_some_and(|rest| rest.starts_with('.'))
        });
        if major_ok && minor_ok && !candidates.contains(&token) {
            candidates.push(token);
        }
    }
    match (minor, candidates.as_slice()) {
        (Some(_), [first, ..]) => Some((*first).to_owned()),
        (None, [only]) => Some((*only).to_owned()),
        _ => None,
    }
}

/// `X.Y.Z`, optionally followed by a pre-release (`a1`, `b2`, `rc1`) and `+` (dev builds).
fn is_version(text: &str) -> bool {
    let text = text.strip_suffix('+').unwrap_or(text);
    let mut parts = text.splitn(3, '.');
    let (Some(major), Some(minor), Some(patch)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let patch_digits: String = patch.chars().take_while(char::is_ascii_digit).collect();
    let pre = &patch[patch_digits.len()..];
    let pre_ok = pre.is_empty()
        || ["a", "b", "rc"]
            .iter()
            .any(|p| pre.strip_prefix(p).is_some_and(digits));
    digits(major) && digits(minor) && !patch_digits.is_empty() && pre_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_libraries_give_the_minor_version() {
        assert_eq!(minor_from_name("python3.11").as_deref(), Some("3.11"));
        assert_eq!(minor_from_name("python3.13t").as_deref(), Some("3.13"));
        assert_eq!(minor_from_name("python3"), None);
        assert_eq!(minor_from_name("pypy3.9"), None);
        assert_eq!(
            minor_from_libpython(b"\x7fELF\0libc.so.6\0libpython3.8.so.1.0\0").as_deref(),
            Some("3.8")
        );
        assert_eq!(minor_from_libpython(b"libpython"), None);
    }

    #[test]
    fn finds_the_constant_among_other_strings() {
        let bytes = b"\x7fELF\0zlib 1.2.13\0\x001.2.13\0strict\x003.11.2\0<prefix>/lib/pythonX.X\0";
        assert_eq!(full_version(bytes, Some("3.11")).as_deref(), Some("3.11.2"));
        // Without the minor version, 1.2.13 is not a Python version, 3.11.2 is the only one.
        assert_eq!(full_version(bytes, None).as_deref(), Some("3.11.2"));
        assert_eq!(full_version(bytes, Some("3.12")), None);
    }

    #[test]
    fn sys_version_form_and_pre_releases() {
        let bytes = b"\0\x003.13.0rc1 (main, Oct  1 2024, 12:00:00) [GCC 12.2.0]\0";
        assert_eq!(
            full_version(bytes, Some("3.13")).as_deref(),
            Some("3.13.0rc1")
        );
        let ambiguous = b"\x003.8.10\0\x003.9.1\0";
        assert_eq!(full_version(ambiguous, None), None);
        assert_eq!(
            full_version(ambiguous, Some("3.9")).as_deref(),
            Some("3.9.1")
        );
        assert!(!is_version("3.11"));
        assert!(!is_version("3.11.x"));
        assert!(is_version("3.12.0a7+"));
    }
}
