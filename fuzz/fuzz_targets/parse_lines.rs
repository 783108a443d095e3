//! Text straight to the normaliser, recognisers, collector and classifier (no input layer), so
//! the fuzzer spends its time on line shapes; `fuzz/dict` gives it the words real logs use.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let report = buildlog_parser::parse_str(text);
    // The report always serialises, and its line ranges stay inside the input.
    let lines = text.split('\n').count();
    for e in &report.errors {
        assert!(e.first_line <= e.last_line, "{e:?}");
        assert!(e.last_line <= lines.max(1), "{e:?} beyond {lines} lines");
    }
    serde_json::to_string(&report).expect("serialises");
});
