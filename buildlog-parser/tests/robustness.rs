//! Any input gives a report or a clear error, never a panic; JSON input rules.

use buildlog_parser::{InputError, parse_reader, parse_str};
use proptest::prelude::*;

/// Real line shapes from every producer, mixed at random by the property tests.
const LINES: &[&str] = &[
    "Collecting foo==1.0 (from -r /tmp/requirements.txt (line 2))",
    "  Downloading https://files.example/foo-1.0-py3-none-any.whl (1.2MB)",
    "     ━━━━━━━━━━━━━━━━ 1.2/1.2 MB 3.4 MB/s eta 0:00:00",
    "Installing collected packages: foo",
    "Successfully installed foo-1.0",
    "Failed to install 'foo', will try in next installation round...",
    "Failed to install requirements, dependency 'foo' could not be installed",
    "---------------------------------- Pipfile.lock ----------------------------------",
    "---------------------------------- pip freeze ----------------------------------",
    "{\"_meta\": {}}",
    ">>> Thoth's configuration file after hardware and software discovery:",
    "host: x: y: [",
    ">>> Asking Thoth for advise...",
    "Using quay.io/x@sha256:abc as the s2i builder image",
    "Pushing image registry:5000/a/b:latest ...",
    "ERROR: Could not find a version that satisfies the requirement foo==9 (from versions: 1.0)",
    "ERROR: No matching distribution found for foo==9",
    "The conflict is caused by:",
    "    foo 1.0 depends on bar<2",
    "  × No solution found when resolving dependencies:",
    "  ╰─▶ Because foo==1.0 depends on bar<2 and you require bar>=2, we can conclude that your requirements are unsatisfiable.",
    "    Expected sha256 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "         Got        bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "Expected:",
    "  sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "Traceback (most recent call last):",
    "OSError: [Errno 28] No space left on device",
    "      src/x.c:1:10: fatal error: Python.h: No such file or directory",
    "  error: command '/usr/bin/gcc' failed with exit code 1",
    "Killed",
    " + requests==2.31.0",
    "Resolved 3 packages in 10ms",
    "  - Installing idna (3.6): Failed",
    "STEP 2/3: RUN pip install .",
    "#8 12.3 Collecting x",
    "2024-01-01T00:00:00Z \x1b[31mERROR:\x1b[0m boom",
    "a\rb\rc",
    "",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = parse_reader(bytes.as_slice(), None).expect("plain text never fails");
        let _ = parse_reader(bytes.as_slice(), Some("$.log"));
    }

    #[test]
    fn mixtures_of_real_lines_never_panic(picks in proptest::collection::vec(0..LINES.len(), 0..200)) {
        let text: Vec<&str> = picks.iter().map(|&i| LINES[i]).collect();
        let text = text.join("\n");
        let r = parse_str(&text);
        for e in &r.errors {
            prop_assert!(e.first_line >= 1 && e.first_line <= e.last_line);
        }
        prop_assert!(r.failed.iter().all(|p| !r.recovered.contains(p)));
        // The streaming path sees the same document.
        let streamed = parse_reader(text.as_bytes(), None).expect("plain text");
        prop_assert_eq!(streamed, r);
    }

    #[test]
    fn arbitrary_strings_never_panic(text in "\\PC*") {
        let _ = parse_str(&text);
    }
}

#[test]
fn gzip_and_utf16_are_read_transparently() {
    use std::io::Write;
    let log = "Collecting foo==1.0\nSuccessfully installed foo-1.0\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(log.as_bytes()).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let mut utf16le = vec![0xff, 0xfe];
    utf16le.extend(log.encode_utf16().flat_map(u16::to_le_bytes));
    let mut utf16be = vec![0xfe, 0xff];
    utf16be.extend(log.encode_utf16().flat_map(u16::to_be_bytes));
    let mut utf8bom = vec![0xef, 0xbb, 0xbf];
    utf8bom.extend_from_slice(log.as_bytes());
    let expected = parse_str(log);
    assert_eq!(expected.installed.len(), 1);
    for input in [gz, utf16le, utf16be, utf8bom] {
        assert_eq!(
            parse_reader(input.as_slice(), None).expect("readable"),
            expected
        );
    }
    // Invalid UTF-8 is replaced, not fatal.
    let r = parse_reader(
        &b"Collecting foo==1.0\n\xff\xfe\xfdbad\nSuccessfully installed foo-1.0\n"[..],
        None,
    )
    .expect("lossy");
    assert_eq!(r.installed, expected.installed);
}

#[test]
fn jsonpath_selects_exactly_one_string() {
    let doc = br#"{"log": "Collecting foo==1.0\nSuccessfully installed foo-1.0\n", "n": 1, "a": ["x", "y"]}"#;
    let r = parse_reader(&doc[..], Some("$.log")).expect("one string");
    assert_eq!(r.installed.len(), 1);
    assert!(matches!(
        parse_reader(&doc[..], Some("$.missing")),
        Err(InputError::NoMatch { .. })
    ));
    assert!(matches!(
        parse_reader(&doc[..], Some("$.a[*]")),
        Err(InputError::SeveralMatches { count: 2, .. })
    ));
    assert!(matches!(
        parse_reader(&doc[..], Some("$.n")),
        Err(InputError::NotAString {
            found: "number",
            ..
        })
    ));
    assert!(matches!(
        parse_reader(&doc[..], Some("log")),
        Err(InputError::JsonPath { .. })
    ));
    assert!(matches!(
        parse_reader(&b"not json"[..], Some("$.log")),
        Err(InputError::Json(_))
    ));
    let msg = parse_reader(&doc[..], Some("$.missing"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(msg.contains("$.log"), "the message says what to do: {msg}");
}

#[test]
fn a_huge_line_is_bounded_and_parsing_continues() {
    let mut log = "x".repeat(3 << 20);
    log.push_str("\nSuccessfully installed foo-1.0\n");
    let r = parse_reader(log.as_bytes(), None).expect("readable");
    assert_eq!(r.installed.len(), 1);
}
