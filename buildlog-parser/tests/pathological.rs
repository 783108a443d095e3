//! Inputs made to be expensive: each must parse, and the report must stay bounded (the caps
//! hold), so memory does not grow with the input. Time is not asserted here (machines differ):
//! `bench/buildlog/run.sh` measures it. The inputs are sized so that a quadratic step (say, a
//! scan of every entry per line) would take hours, while the linear parse takes seconds even in
//! a debug build.

use buildlog_parser::parse_reader;
use buildlog_parser::{collector::MAX_ENTRY_LOG_LINES, parse_str};

fn lines(line: &str, n: usize) -> String {
    let mut text = String::with_capacity((line.len() + 1) * n);
    for _ in 0..n {
        text.push_str(line);
        text.push('\n');
    }
    text
}

#[test]
fn endless_collecting_of_one_package() {
    let text = lines("Collecting a", 200_000);
    let report = parse_reader(text.as_bytes(), None).expect("parses");
    assert!(report.installation.len() <= buildlog_parser::collector::MAX_ENTRIES);
    assert!(report.installation.iter().all(|e| e.package_name == "a"));
    // The log ends mid-installation: one truncation error, not one per line.
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors.first());
    assert!(!report.installation_successful);
}

#[test]
fn many_distinct_packages_then_successes_of_unknown_ones() {
    // Marking a package that has no entry must not scan every entry (that was quadratic).
    let mut text = String::new();
    for i in 0..50_000 {
        text.push_str(&format!("Collecting pkg{i}\n"));
    }
    for _ in 0..50_000 {
        text.push_str("Successfully installed zzz-1.0\n");
    }
    let report = parse_str(&text);
    assert!(report.installation.len() <= buildlog_parser::collector::MAX_ENTRIES);
    assert!(report.installed.len() <= buildlog_parser::collector::MAX_DISTINCT);
}

#[test]
fn one_entry_with_endless_output() {
    let mut text = String::from("Collecting a\n  Building wheel for a (setup.py): started\n");
    text.push_str(&lines("    gcc -O2 -c src/x.c -o build/x.o", 50_000));
    let report = parse_str(&text);
    let log = &report.installation[0].installation_log;
    assert!(
        log.lines().count() <= MAX_ENTRY_LOG_LINES + 1,
        "{}",
        log.len()
    );
    assert!(
        log.ends_with("more lines not kept]"),
        "{}",
        &log[log.len() - 80..]
    );
}

#[test]
fn very_long_lines() {
    let long = "x".repeat(8 * 1024 * 1024);
    let text = format!(
        "Collecting a\nERROR: {long}\n{long}\nTraceback (most recent call last):\nValueError: {long}\n"
    );
    let report = parse_reader(text.as_bytes(), None).expect("parses");
    for e in &report.errors {
        assert!(e.message.chars().count() <= 501, "{}", e.message.len());
        assert!(e.cause.as_ref().is_none_or(|c| c.chars().count() <= 501));
    }
    let log = &report.installation[0].installation_log;
    assert!(log.len() <= 64 * 1024 + 100, "{}", log.len());
}

#[test]
fn repeated_error_blocks() {
    let block = "Collecting foo==1.0\n\
        ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.\n\
        \x20   Expected sha256 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n\
        \x20        Got        bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n\
        The conflict is caused by:\n\
        \x20   a 1.0 depends on c<2\n\
        \x20   b 2.0 depends on c>=2\n\
        ERROR: No matching distribution found for foo==1.0\n";
    let mut text = block.repeat(5_000);
    // And one block that never closes: every line is relevant.
    text.push_str(&lines(
        "    Expected sha256 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        20_000,
    ));
    text.push_str(&lines("    x 1.0 depends on y<2", 20_000));
    let report = parse_str(&text);
    assert!(report.errors.len() <= 1_000, "{}", report.errors.len());
    for e in &report.errors {
        assert!(e.expected_hashes.len() <= 50, "{}", e.expected_hashes.len());
        assert!(e.conflicts.len() <= 50, "{}", e.conflicts.len());
    }
}

#[test]
fn endless_container_steps_and_indexes() {
    let mut text = String::new();
    for i in 0..12_000 {
        text.push_str(&format!(
            "STEP {i}/12000: RUN true\nLooking in indexes: https://idx{i}.example/simple\n"
        ));
    }
    let report = parse_str(&text);
    assert!(report.steps.len() <= buildlog_parser::collector::MAX_DISTINCT);
    assert!(report.indexes.len() <= buildlog_parser::collector::MAX_DISTINCT);
}
