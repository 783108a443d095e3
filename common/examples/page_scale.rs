//! Parses a generated project page of N files (PEP 503 HTML or PEP 691 JSON) and walks it as
//! the solver does (every version, then its files), printing the time of each step. Run by
//! `bench/index-pages/run.sh` under GNU time for the peak memory.
//!
//! `page_scale html|json|wheels N` (`wheels`: the HTML page of `bench/solver/many_versions.py`,
//! N wheels without hashes). Also prints the resident memory after each step (`VmRSS`).

use std::fmt::Write as _;
use std::time::Instant;

use common::index::{ProjectPage, parse_page};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(format), Some(n)) = (
        args.get(1),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: page_scale html|json|wheels N");
        std::process::exit(2);
    };
    let started = Instant::now();
    let (body, content_type) = page(format, n);
    let generated = started.elapsed();
    let url = reqwest::Url::parse("http://127.0.0.1:1/simple/foo/").expect("url");
    let started = Instant::now();
    let files = match parse_page(body.as_bytes(), content_type, &url, "foo", usize::MAX) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("the page does not parse: {e:?}");
            std::process::exit(1);
        }
    };
    let rss_parsed = rss_mib();
    drop(body);
    let page = ProjectPage::new("foo".into(), url.to_string(), files);
    let parsed = started.elapsed();
    let rss_page = rss_mib();
    let started = Instant::now();
    // The solver's walk: each version, then the files of that version.
    let mut seen = 0;
    for v in page.versions() {
        seen += page.files_of(v).filter(|f| !f.is_yanked()).count();
    }
    let walked = started.elapsed();
    assert_eq!(seen, n, "every file is found under its version");
    println!(
        "{format} files={n} generate_s={:.3} parse_s={:.3} walk_s={:.3} rss_after_parse_mib={rss_parsed} rss_page_only_mib={rss_page} file_struct_bytes={}",
        generated.as_secs_f64(),
        parsed.as_secs_f64(),
        walked.as_secs_f64(),
        std::mem::size_of::<common::index::IndexFile>()
    );
}

/// This process's resident memory now, in MiB (`VmRSS` of /proc/self/status).
fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

/// A page of `n` sdists of distinct versions, with hashes and `requires-python`, as real
/// pages carry them.
fn page(format: &str, n: usize) -> (String, &'static str) {
    let digest = "0".repeat(64);
    let mut out = String::with_capacity(n * 160);
    if format == "wheels" {
        out.push_str("<!DOCTYPE html><html><body>\n");
        for i in 1..=n {
            let _ = writeln!(
                out,
                r#"<a href="../../files/x-{i}.0-py3-none-any.whl">x-{i}.0-py3-none-any.whl</a><br/>"#
            );
        }
        out.push_str("</body></html>");
        return (out, "text/html");
    }
    if format == "json" {
        out.push_str(r#"{"meta": {"api-version": "1.1"}, "name": "foo", "files": ["#);
        for i in 0..n {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(
                out,
                r#"{sep}{{"filename": "foo-{}.{}.tar.gz", "url": "../../files/foo-{}.{}.tar.gz", "hashes": {{"sha256": "{digest}"}}, "requires-python": ">=3.8", "size": 1000}}"#,
                i / 1000,
                i % 1000,
                i / 1000,
                i % 1000
            );
        }
        out.push_str("]}");
        (out, common::index::JSON_CONTENT_TYPE)
    } else {
        out.push_str("<!DOCTYPE html>\n<html><body>\n");
        for i in 0..n {
            let _ = writeln!(
                out,
                r#"<a href="../../files/foo-{a}.{b}.tar.gz#sha256={digest}" data-requires-python="&gt;=3.8">foo-{a}.{b}.tar.gz</a><br/>"#,
                a = i / 1000,
                b = i % 1000
            );
        }
        out.push_str("</body></html>\n");
        (out, "text/html")
    }
}
