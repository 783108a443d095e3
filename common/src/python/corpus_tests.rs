//! Tests on the real third-party files in `shared/corpus/python-metadata` (provenance in
//! `shared/corpus/SOURCES.md`). A missing file fails the test: the corpus is part of the checkout.

use super::*;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/python-metadata"
);

/// Every file of the corpus folder, each asserted on below.
const FILES: [&str; 27] = [
    "syft/Pygments-2.6.1.dist-info/METADATA",
    "syft/Pygments-2.6.1.dist-info/RECORD",
    "syft/Pygments-2.6.1.dist-info/direct_url.json",
    "syft/Pygments-2.6.1.dist-info/top_level.txt",
    "syft/Python-2.7.egg-info",
    "syft/dicttoxml.egg-info/installed-files.txt",
    "syft/empty-1.0.0-py3.8.egg-info",
    "syft/malformed-record/METADATA",
    "syft/malformed-record/RECORD",
    "syft/no-version-py3.8.egg-info",
    "syft/requests-2.22.0.egg-info/PKG-INFO",
    "syft/requests-2.22.0.egg-info/PKG-INFO-INVALID",
    "syft/requests-2.22.0.egg-info/RECORD",
    "trivy/asyncssh-2.14.2.METADATA",
    "trivy/distlib-0.3.1-py3.9.egg-info",
    "trivy/distlib-0.3.1.METADATA",
    "trivy/iniconfig-2.0.0.METADATA",
    "trivy/networkx-3.0.METADATA",
    "trivy/pyphen-0.14.0.METADATA",
    "trivy/sample_package.egg",
    "trivy/setuptools-51.3.3-py3.8.egg-info.PKG-INFO",
    "trivy/setuptools-51.3.3.dist-info/METADATA",
    "trivy/setuptools-51.3.3.egg-info/PKG-INFO",
    "trivy/simple-0.1.0.METADATA",
    "trivy/typing_extensions-4.4.0.dist-info/METADATA",
    "trivy/unidecode-egg-info.PKG-INFO",
    "trivy/zipp-3.12.1.METADATA",
];

fn read(path: &str) -> Vec<u8> {
    let full = format!("{CORPUS}/{path}");
    std::fs::read(&full).unwrap_or_else(|err| panic!("corpus file {full} is missing: {err}"))
}

fn metadata(path: &str) -> CoreMetadata {
    CoreMetadata::parse(&read(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// Name, version, metadata version, and counts of Requires-Dist, Classifier, Provides-Extra,
/// Project-URL.
type Facts<'a> = (
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    [usize; 4],
);

fn facts(m: &CoreMetadata) -> Facts<'_> {
    (
        m.name(),
        m.version(),
        m.metadata_version(),
        [
            m.requires_dist().len(),
            m.get_all("Classifier").len(),
            m.get_all("Provides-Extra").len(),
            m.get_all("Project-URL").len(),
        ],
    )
}

#[test]
fn corpus_folder_holds_exactly_the_files_tested() {
    fn walk(dir: &std::path::Path, base: &std::path::Path, out: &mut Vec<String>) {
        let entries = std::fs::read_dir(dir)
            .unwrap_or_else(|err| panic!("corpus folder {} is missing: {err}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                out.push(
                    path.strip_prefix(base)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    let base = std::path::Path::new(CORPUS);
    let mut found = Vec::new();
    walk(base, base, &mut found);
    found.sort();
    let mut expected: Vec<String> = FILES.iter().map(|f| (*f).to_owned()).collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn clean_dist_info_metadata() {
    let cases: [(&str, Facts<'_>); 9] = [
        (
            "syft/Pygments-2.6.1.dist-info/METADATA",
            (Some("Pygments"), Some("2.6.1"), Some("2.1"), [3, 16, 2, 0]),
        ),
        (
            "syft/malformed-record/METADATA",
            (Some("Pygments"), Some("2.6.1"), Some("2.1"), [0, 16, 0, 0]),
        ),
        (
            "trivy/asyncssh-2.14.2.METADATA",
            (Some("asyncssh"), Some("2.14.2"), Some("2.1"), [9, 16, 7, 3]),
        ),
        (
            "trivy/distlib-0.3.1.METADATA",
            (Some("distlib"), Some("0.3.1"), Some("1.1"), [0, 14, 0, 0]),
        ),
        (
            "trivy/iniconfig-2.0.0.METADATA",
            (Some("iniconfig"), Some("2.0.0"), Some("2.1"), [0, 15, 0, 1]),
        ),
        (
            "trivy/networkx-3.0.METADATA",
            (Some("networkx"), Some("3.0"), Some("2.1"), [20, 15, 5, 3]),
        ),
        (
            "trivy/pyphen-0.14.0.METADATA",
            (Some("pyphen"), Some("0.14.0"), Some("2.1"), [5, 16, 2, 6]),
        ),
        (
            "trivy/setuptools-51.3.3.dist-info/METADATA",
            (
                Some("setuptools"),
                Some("51.3.3"),
                Some("2.1"),
                [0, 9, 4, 1],
            ),
        ),
        (
            "trivy/zipp-3.12.1.METADATA",
            (Some("zipp"), Some("3.12.1"), Some("2.1"), [18, 5, 2, 0]),
        ),
    ];
    for (path, expected) in cases {
        let m = metadata(path);
        assert_eq!(facts(&m), expected, "{path}");
        assert!(m.warnings.is_empty(), "{path}: {:?}", m.warnings);
        for requirement in m.requires_dist() {
            Requirement::parse(requirement).unwrap_or_else(|err| panic!("{path}: {err}"));
        }
    }
}

#[test]
fn pygments_details_and_json_shape() {
    let m = metadata("syft/Pygments-2.6.1.dist-info/METADATA");
    assert_eq!(
        m.requires_dist(),
        [
            "soupsieve (>1.2)",
            "html5lib ; extra == 'html5lib'",
            "lxml ; extra == 'lxml'"
        ]
    );
    assert_eq!(m.requires_python(), Some(">=3.5"));
    // `LicenseFile` (sic) is not a core metadata field: kept as written, not taken as a licence.
    assert_eq!(m.get("LicenseFile"), Some("LICENSE.txt"));
    assert_eq!(
        m.license(),
        Some(License::Classifiers(vec![
            "License :: OSI Approved :: BSD License".into()
        ]))
    );
    assert!(
        m.description()
            .is_some_and(|d| d.contains("Pygments is a syntax highlighting package"))
    );
    let json = m.to_json_map();
    assert_eq!(json["Name"], "Pygments");
    assert_eq!(json["Platform"], serde_json::json!(["any"]));
    assert_eq!(json["Classifier"].as_array().map(Vec::len), Some(16));
    assert_eq!(json["Requires-Dist"][0], "soupsieve (>1.2)");
    assert_eq!(json["Home-page"], "https://pygments.org/");

    let env = TargetEnvironment::from_shorthand("3.8", "linux-x86_64").unwrap();
    let html5lib = Requirement::parse(m.requires_dist()[1]).unwrap();
    let thoth = html5lib.thoth_marker_evaluation(&env);
    assert_eq!(thoth.extra, ["html5lib"]);
    assert!(thoth.result);
    assert!(!html5lib.evaluate_marker(&env, &[]));
}

#[test]
fn licenses_across_the_corpus() {
    assert_eq!(
        metadata("trivy/iniconfig-2.0.0.METADATA").license(),
        Some(License::Expression("MIT".into()))
    );
    assert_eq!(
        metadata("trivy/asyncssh-2.14.2.METADATA").license(),
        Some(License::Text("Eclipse Public License v2.0".into()))
    );
    assert_eq!(
        metadata("trivy/pyphen-0.14.0.METADATA")
            .license()
            .map(|l| match l {
                License::Classifiers(c) => c.len(),
                _ => 0,
            }),
        Some(3)
    );
    let typing = metadata("trivy/typing_extensions-4.4.0.dist-info/METADATA");
    assert_eq!(typing.get_all("License-File"), ["licenses/LICENSE.txt"]);
    assert_eq!(
        facts(&typing),
        (
            Some("typing_extensions"),
            Some("4.4.0"),
            Some("2.1"),
            [0, 11, 0, 6]
        )
    );
    assert!(
        typing
            .get("Author-email")
            .is_some_and(|a| a.contains("Łukasz Langa"))
    );
    assert!(
        typing
            .description()
            .is_some_and(|d| d.starts_with("# Typing Extensions"))
    );
}

#[test]
fn legacy_pkg_info_with_folded_descriptions() {
    let requests = metadata("syft/requests-2.22.0.egg-info/PKG-INFO");
    assert_eq!(
        facts(&requests),
        (Some("requests"), Some("2.22.0"), Some("2.1"), [0, 13, 2, 0])
    );
    assert_eq!(
        requests.requires_python(),
        Some(">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*, !=3.4.*")
    );
    assert_eq!(requests.license(), Some(License::Text("Apache 2.0".into())));
    let description = requests.description().unwrap_or_default();
    assert!(description.starts_with("Requests: HTTP for Humans™\n=========================="));
    assert!(
        description.contains("\n>>> import requests\n"),
        "continuation indentation is removed"
    );
    assert!(requests.warnings.is_empty(), "{:?}", requests.warnings);

    let unidecode = metadata("trivy/unidecode-egg-info.PKG-INFO");
    assert_eq!(
        facts(&unidecode),
        (Some("Unidecode"), Some("0.4.1"), Some("1.1"), [0, 0, 0, 0])
    );
    assert_eq!(unidecode.get("Provides"), Some("unidecode"));
    assert_eq!(unidecode.license(), None, "License: UNKNOWN is no licence");
    assert!(
        unidecode
            .description()
            .is_some_and(|d| d.contains("\tfrom unidecode import unidecode"))
    );
}

#[test]
fn whitespace_stripped_egg_info_keeps_its_later_headers() {
    // These files have truly empty lines inside the Description (their trailing whitespace was
    // stripped); Python's email parser would end the headers there and lose the classifiers.
    let python = metadata("syft/Python-2.7.egg-info");
    assert_eq!(
        facts(&python),
        (Some("Python"), Some("2.7.13"), Some("1.1"), [0, 6, 0, 0])
    );
    assert_eq!(python.get("Platform"), Some("Many"));
    assert!(
        python
            .description()
            .is_some_and(|d| d.contains("\n\nPython combines remarkable power"))
    );
    assert_eq!(python.warnings.len(), 1, "{:?}", python.warnings);

    let distlib = metadata("trivy/distlib-0.3.1-py3.9.egg-info");
    assert_eq!(
        facts(&distlib),
        (Some("distlib"), Some("0.3.1"), Some("1.1"), [0, 18, 0, 0])
    );
    assert_eq!(
        distlib.license(),
        Some(License::Text("Python license".into()))
    );
    assert_eq!(
        distlib.description(),
        Some(
            "Low-level components of distutils2/packaging, augmented with higher-level APIs for making packaging easier."
        )
    );
    assert!(
        distlib
            .warnings
            .iter()
            .any(|w| w.contains("part of the Description field"))
    );

    let setuptools = metadata("trivy/setuptools-51.3.3-py3.8.egg-info.PKG-INFO");
    assert_eq!(
        facts(&setuptools),
        (
            Some("setuptools"),
            Some("51.3.3"),
            Some("2.1"),
            [0, 9, 4, 1]
        )
    );
    assert!(setuptools.description().is_some_and(|d| d.starts_with(".. image:: https://img.shields.io/pypi/v/setuptools.svg\n   :target: `PyPI link`_\n\n.. image::")));
    assert_eq!(
        setuptools.license(),
        Some(License::Classifiers(vec![
            "License :: OSI Approved :: MIT License".into()
        ]))
    );
}

#[test]
fn pkg_info_without_separator_line() {
    // The last header is followed directly by the description, with no empty line between.
    let m = metadata("trivy/setuptools-51.3.3.egg-info/PKG-INFO");
    assert_eq!(
        facts(&m),
        (
            Some("setuptools"),
            Some("51.3.3"),
            Some("2.1"),
            [0, 9, 4, 1]
        )
    );
    assert!(
        m.description().is_some_and(
            |d| d.starts_with(".. image:: https://img.shields.io/pypi/v/setuptools.svg")
        )
    );
    assert_eq!(m.warnings.len(), 1);
    assert!(
        m.warnings[0].starts_with("line 25 (\".. image:: "),
        "{:?}",
        m.warnings
    );
}

#[test]
fn invalid_pkg_info_is_read_with_warnings() {
    // A multi-line Summary whose lines are not indented: the headers resume after it.
    let m = metadata("syft/requests-2.22.0.egg-info/PKG-INFO-INVALID");
    assert_eq!(
        facts(&m),
        (Some("mxnet"), Some("1.8.0"), Some("1.1"), [0, 21, 0, 0])
    );
    assert!(
        m.summary()
            .is_some_and(|s| s.starts_with("<!--- Licensed to the Apache Software Foundation"))
    );
    assert!(
        m.summary()
            .is_some_and(|s| s.contains("MXNet Python Package"))
    );
    assert_eq!(
        m.get("Home-page"),
        Some("https://github.com/apache/incubator-mxnet")
    );
    assert_eq!(m.description(), Some("UNKNOWN"));
    assert_eq!(m.warnings.len(), 1, "{:?}", m.warnings);
    assert!(m.warnings[0].contains("from line 5 on") && m.warnings[0].contains("Summary"));
}

#[test]
fn edge_case_egg_infos() {
    assert_eq!(
        CoreMetadata::parse(&read("syft/empty-1.0.0-py3.8.egg-info")).unwrap_err(),
        MetadataError::Empty
    );

    let m = metadata("syft/no-version-py3.8.egg-info");
    assert_eq!(m.name(), Some("no-version"));
    assert_eq!(m.version(), None);
    assert!(
        m.warnings
            .iter()
            .any(|w| w == "the required field Version is missing")
    );

    let simple = metadata("trivy/simple-0.1.0.METADATA");
    assert_eq!(
        simple.name(),
        Some("simple"),
        "the trailing space after the name is trimmed"
    );
    assert_eq!(simple.version(), Some("0.1.0"));
    assert_eq!(simple.description(), None);

    let egg = read("trivy/sample_package.egg");
    assert_eq!(
        CoreMetadata::parse(&egg).unwrap_err(),
        MetadataError::ZipArchive
    );
}

#[test]
fn records() {
    let pygments = parse_record(&read("syft/Pygments-2.6.1.dist-info/RECORD"));
    assert_eq!(pygments.entries.len(), 7);
    assert!(pygments.warnings.is_empty(), "{:?}", pygments.warnings);
    assert_eq!(pygments.entries[0].path, "../../../bin/pygmentize");
    assert_eq!(pygments.entries[0].size, Some(220));
    assert_eq!(pygments.entries[3].hash, None);
    assert_eq!(
        pygments.entries[5]
            .hash
            .as_ref()
            .and_then(RecordHash::to_hex)
            .map(|h| h.len()),
        Some(64)
    );
    // Padded base64 (`...gKI=`) is accepted.
    assert!(
        pygments.entries[6]
            .hash
            .as_ref()
            .is_some_and(|h| h.to_hex().is_some())
    );

    let requests = parse_record(&read("syft/requests-2.22.0.egg-info/RECORD"));
    assert_eq!(requests.entries.len(), 6);
    assert!(requests.warnings.is_empty());
    assert_eq!(requests.entries[5].size, Some(30049));

    let malformed = parse_record(&read("syft/malformed-record/RECORD"));
    assert_eq!(malformed.entries.len(), 4, "{:?}", malformed.entries);
    assert_eq!(malformed.warnings.len(), 4, "{:?}", malformed.warnings);
    assert!(malformed.warnings[0].starts_with("line 2 is a git merge-conflict marker"));
    assert!(malformed.warnings[1].starts_with("line 4 is a git merge-conflict marker"));
    assert!(malformed.warnings[2].starts_with("line 6 is a git merge-conflict marker"));
    assert!(malformed.warnings[3].starts_with("line 8 has 1 field(s)"));
}

#[test]
fn line_lists_and_direct_url() {
    assert_eq!(
        parse_line_list(&read("syft/Pygments-2.6.1.dist-info/top_level.txt")),
        ["pygments", "something_else"]
    );
    let installed = parse_line_list(&read("syft/dicttoxml.egg-info/installed-files.txt"));
    assert_eq!(installed.len(), 6);
    assert_eq!(installed[1], "../dicttoxml.py");
    let direct = parse_direct_url(&read("syft/Pygments-2.6.1.dist-info/direct_url.json")).unwrap();
    assert_eq!(direct.url, "https://github.com/python-test/test.git");
    let vcs = direct.vcs_info.unwrap();
    assert_eq!((vcs.vcs.as_str(), vcs.commit_id.len()), ("git", 40));
}
