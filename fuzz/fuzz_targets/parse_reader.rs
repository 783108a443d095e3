//! Arbitrary bytes through the whole input layer (gzip sniffing, BOMs, lossy UTF-8, JSONPath):
//! the first byte picks plain text, `$.log`, or a JSONPath expression taken from the first line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            // Plain text never fails: every byte sequence is a log.
            buildlog_parser::parse_reader(rest, None).expect("plain text always parses");
        }
        1 => {
            let _ = buildlog_parser::parse_reader(rest, Some("$.log"));
        }
        _ => {
            let split = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let expr = String::from_utf8_lossy(&rest[..split]);
            let doc = rest.get(split + 1..).unwrap_or_default();
            let _ = buildlog_parser::parse_reader(doc, Some(&expr));
        }
    }
});
