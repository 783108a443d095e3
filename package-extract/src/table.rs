//! The report for people: a short header (image, OS, layers, counts per ecosystem) and a
//! package table (name, version, type, layer), as syft prints one. Written at a terminal
//! instead of the document, or anywhere with `--format table`; the closing stderr line says the
//! same counts in one line.
//!
//! Every string comes from the image, so it is hostile: control characters (a terminal escape
//! sequence in a package name) are shown escaped, never sent to the terminal.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use common::Summary;
use common::summary::printable as clean;

use crate::catalog::Package;
use crate::report::Report;

/// The summary of `report` for the image the user named (`reference`, without credentials).
pub fn summary(report: &Report, reference: &str) -> Summary {
    Summary::line(counts_line(report)).with_human(render(report, reference))
}

/// `412 packages (deb 97, python 301) in 6 layers`.
pub fn counts_line(report: &Report) -> String {
    let counts = per_ecosystem(&report.packages);
    let layers = layer_count(report);
    let mut line = format!(
        "{} package{}",
        report.packages.len(),
        plural(report.packages.len())
    );
    if !counts.is_empty() {
        let parts: Vec<String> = counts.iter().map(|(e, n)| format!("{e} {n}")).collect();
        let _ = write!(line, " ({})", parts.join(", "));
    }
    match layers {
        Some(n) => {
            let _ = write!(line, " in {n} layer{}", plural(n));
        }
        None => line.push_str(" in a root filesystem"),
    }
    line
}

/// The header and the table.
pub fn render(report: &Report, reference: &str) -> String {
    let mut out = String::new();
    let facts = &report.image;
    let inspect = facts.skopeo_inspect.as_ref();
    let mut header: Vec<(&str, String)> = Vec::new();
    let mut image = clean(reference);
    if let Some(digest) = inspect.and_then(|i| i.digest.as_deref()) {
        let _ = write!(image, " ({})", clean(digest));
    }
    header.push(("Image", image));
    let mut os = report
        .catalogs
        .get("operating-system")
        .and_then(|v| v.get("pretty_name").or_else(|| v.get("name")))
        .and_then(|v| v.as_str())
        .map_or_else(|| "unknown (no os-release)".to_owned(), clean);
    if let Some(i) = inspect.filter(|i| !i.os.is_empty()) {
        let _ = write!(os, ", {}/{}", clean(&i.os), clean(&i.architecture));
        if let Some(v) = i.variant.as_deref() {
            let _ = write!(os, "/{}", clean(v));
        }
    }
    header.push(("OS", os));
    header.push((
        "Layers",
        match layer_count(report) {
            Some(n) => format!(
                "{n} ({} compressed, {} uncompressed)",
                size(facts.image_size),
                size(facts.image_size_uncompressed)
            ),
            None => format!(
                "none: a root filesystem ({} of files)",
                size(facts.image_size_uncompressed)
            ),
        },
    ));
    let counts = per_ecosystem(&report.packages);
    header.push((
        "Packages",
        if counts.is_empty() {
            "none found".to_owned()
        } else {
            let parts: Vec<String> = counts.iter().map(|(e, n)| format!("{n} {e}")).collect();
            format!("{} ({})", report.packages.len(), parts.join(", "))
        },
    ));
    if !facts.warnings.is_empty() {
        header.push((
            "Warnings",
            format!("{} (listed in the JSON document)", facts.warnings.len()),
        ));
    }
    for (key, value) in &header {
        let _ = writeln!(out, "{key:<9} {value}");
    }
    if report.packages.is_empty() {
        return out;
    }
    out.push('\n');
    out.push_str(&table(&report.packages, layer_count(report).is_some()));
    out
}

/// One row per package, system packages first, then by name: NAME VERSION TYPE LAYER, and
/// WHERE when some package sits in a place of its own (a site directory, a conda prefix).
fn table(packages: &[Package], has_layers: bool) -> String {
    let mut sorted: Vec<&Package> = packages.iter().collect();
    sorted.sort_by(|a, b| {
        (rank(a.ecosystem), &a.name, &a.version, &a.location).cmp(&(
            rank(b.ecosystem),
            &b.name,
            &b.version,
            &b.location,
        ))
    });
    let with_where = sorted.iter().any(|p| p.location.is_some());
    let mut rows: Vec<Vec<String>> = vec![
        ["NAME", "VERSION", "TYPE", "LAYER", "WHERE"]
            .into_iter()
            .map(str::to_owned)
            .collect(),
    ];
    for p in sorted {
        rows.push(vec![
            clean(&p.name),
            clean(&p.version),
            label(p.ecosystem).to_owned(),
            if has_layers {
                p.layer.to_string()
            } else {
                "-".to_owned()
            },
            p.location.as_deref().map_or_else(String::new, clean),
        ]);
    }
    if !with_where {
        for row in &mut rows {
            row.truncate(4);
        }
    }
    common::summary::columns(&rows)
}

/// Packages per ecosystem, in table order.
fn per_ecosystem(packages: &[Package]) -> Vec<(&'static str, usize)> {
    let mut counts: BTreeMap<(u8, &'static str), usize> = BTreeMap::new();
    for p in packages {
        *counts
            .entry((rank(p.ecosystem), label(p.ecosystem)))
            .or_default() += 1;
    }
    counts.into_iter().map(|((_, e), n)| (e, n)).collect()
}

/// The image's layers; `None` for a root filesystem (`dir:`), which has none.
fn layer_count(report: &Report) -> Option<usize> {
    report
        .image
        .skopeo_inspect
        .as_ref()
        .map(|_| report.image.layers.len())
}

/// System package managers first (what the image is built on), then the language ones.
fn rank(ecosystem: &str) -> u8 {
    match ecosystem {
        "rpm" => 0,
        "deb" => 1,
        "apk" => 2,
        "conda" => 3,
        "pypi" => 4,
        _ => 5,
    }
}

/// The purl type, as people say it (`pypi` packages are Python distributions).
fn label(ecosystem: &'static str) -> &'static str {
    match ecosystem {
        "pypi" => "python",
        other => other,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Bytes in binary units, one decimal.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    // Precision is irrelevant at a decimal place; the cast only loses bits beyond 2^53.
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(ecosystem: &'static str, name: &str, version: &str, layer: usize) -> Package {
        let mut p = Package::new(ecosystem, name, version, format!("pkg:{ecosystem}/{name}"));
        p.layer = layer;
        p
    }

    #[test]
    fn rows_are_grouped_system_first_and_aligned() {
        let packages = vec![
            pkg("pypi", "numpy", "2.1.0", 2),
            pkg("deb", "zlib1g", "1:1.2.13", 0),
            pkg("deb", "bash", "5.2.15-2", 0),
        ];
        let text = table(&packages, true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "NAME    VERSION   TYPE    LAYER");
        assert_eq!(lines[1], "bash    5.2.15-2  deb     0");
        assert_eq!(lines[2], "zlib1g  1:1.2.13  deb     0");
        assert_eq!(lines[3], "numpy   2.1.0     python  2");
        assert_eq!(per_ecosystem(&packages), vec![("deb", 2), ("python", 1)]);
    }

    #[test]
    fn hostile_names_cannot_reach_the_terminal_raw() {
        let text = table(&[pkg("deb", "evil\x1b[2Jname", "1\r", 0)], false);
        assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
        assert!(text.contains("evil\\u{1b}[2Jname"), "{text}");
        assert!(
            text.lines().nth(1).is_some_and(|l| l.ends_with('-')),
            "{text}"
        );
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(145 * 1024 * 1024), "145.0 MiB");
    }
}
