//! `package_license`: the licence a distribution declares, in the shape Thoth's license-solver
//! gave (`license.{full_name, identifier_spdx, identifier}`, `license_version`, `classifier`,
//! `warning`), read from `License-Expression`, the `License` field and the trove classifiers.

use common::python::{CoreMetadata, License};
use schemars::JsonSchema;
use serde::Serialize;

const UNDETECTED: &str = "UNDETECTED";
const WITHOUT_VERSION: &str = "LICENSE-WITHOUT-VERSION";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PackageLicense {
    pub license: LicenseName,
    pub license_version: String,
    /// `[full name, short name]` of each licence classifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classifier: Option<Vec<[String; 2]>>,
    /// The licence could not be identified with confidence.
    pub warning: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LicenseName {
    pub full_name: String,
    pub identifier_spdx: String,
    pub identifier: String,
}

/// A licence the detector knows: SPDX id, full name, Thoth's short identifier, version, and the
/// spellings it is recognised by (lower case; classifier last components and common texts).
struct Known {
    spdx: &'static str,
    full_name: &'static str,
    identifier: &'static str,
    version: &'static str,
    spellings: &'static [&'static str],
}

const KNOWN: &[Known] = &[
    Known {
        spdx: "MIT",
        full_name: "MIT License",
        identifier: "MIT",
        version: WITHOUT_VERSION,
        spellings: &[
            "mit",
            "mit license",
            "the mit license",
            "mit licence",
            "expat",
        ],
    },
    Known {
        spdx: "Apache-2.0",
        full_name: "Apache License 2.0",
        identifier: "Apache",
        version: "2.0",
        spellings: &[
            "apache-2.0",
            "apache 2.0",
            "apache 2",
            "apache license 2.0",
            "apache license, version 2.0",
            "apache software license",
            "apache software license 2.0",
            "apache license version 2.0",
            "apache",
        ],
    },
    Known {
        spdx: "BSD-3-Clause",
        full_name: "BSD 3-Clause \"New\" or \"Revised\" License",
        identifier: "BSD",
        version: WITHOUT_VERSION,
        spellings: &[
            "bsd-3-clause",
            "bsd",
            "bsd license",
            "new bsd",
            "new bsd license",
            "3-clause bsd",
            "bsd 3-clause",
            "modified bsd",
            "bsd-3",
        ],
    },
    Known {
        spdx: "BSD-2-Clause",
        full_name: "BSD 2-Clause \"Simplified\" License",
        identifier: "BSD",
        version: WITHOUT_VERSION,
        spellings: &[
            "bsd-2-clause",
            "simplified bsd",
            "2-clause bsd",
            "bsd 2-clause",
        ],
    },
    Known {
        spdx: "ISC",
        full_name: "ISC License",
        identifier: "ISC",
        version: WITHOUT_VERSION,
        spellings: &["isc", "isc license", "isc license (iscl)"],
    },
    Known {
        spdx: "MPL-2.0",
        full_name: "Mozilla Public License 2.0",
        identifier: "MPL",
        version: "2.0",
        spellings: &[
            "mpl-2.0",
            "mpl 2.0",
            "mozilla public license 2.0 (mpl 2.0)",
            "mozilla public license 2.0",
        ],
    },
    Known {
        spdx: "PSF-2.0",
        full_name: "Python Software Foundation License 2.0",
        identifier: "PSF",
        version: "2.0",
        spellings: &[
            "psf-2.0",
            "psf",
            "python software foundation license",
            "psf license",
        ],
    },
    Known {
        spdx: "GPL-2.0-only",
        full_name: "GNU General Public License v2.0 only",
        identifier: "GPL",
        version: "2.0",
        spellings: &[
            "gpl-2.0",
            "gpl-2.0-only",
            "gplv2",
            "gpl v2",
            "gnu general public license v2 (gplv2)",
        ],
    },
    Known {
        spdx: "GPL-2.0-or-later",
        full_name: "GNU General Public License v2.0 or later",
        identifier: "GPL",
        version: "2.0+",
        spellings: &[
            "gpl-2.0-or-later",
            "gplv2+",
            "gnu general public license v2 or later (gplv2+)",
        ],
    },
    Known {
        spdx: "GPL-3.0-only",
        full_name: "GNU General Public License v3.0 only",
        identifier: "GPL",
        version: "3.0",
        spellings: &[
            "gpl-3.0",
            "gpl-3.0-only",
            "gplv3",
            "gpl v3",
            "gnu general public license v3 (gplv3)",
        ],
    },
    Known {
        spdx: "GPL-3.0-or-later",
        full_name: "GNU General Public License v3.0 or later",
        identifier: "GPL",
        version: "3.0+",
        spellings: &[
            "gpl-3.0-or-later",
            "gplv3+",
            "gnu general public license v3 or later (gplv3+)",
        ],
    },
    Known {
        spdx: "LGPL-2.1-only",
        full_name: "GNU Lesser General Public License v2.1 only",
        identifier: "LGPL",
        version: "2.1",
        spellings: &[
            "lgpl-2.1",
            "lgpl-2.1-only",
            "lgplv2.1",
            "gnu lesser general public license v2 (lgplv2)",
        ],
    },
    Known {
        spdx: "LGPL-3.0-only",
        full_name: "GNU Lesser General Public License v3.0 only",
        identifier: "LGPL",
        version: "3.0",
        spellings: &[
            "lgpl-3.0",
            "lgpl-3.0-only",
            "lgplv3",
            "gnu lesser general public license v3 (lgplv3)",
        ],
    },
    Known {
        spdx: "LGPL-3.0-or-later",
        full_name: "GNU Lesser General Public License v3.0 or later",
        identifier: "LGPL",
        version: "3.0+",
        spellings: &[
            "lgpl-3.0-or-later",
            "lgplv3+",
            "gnu lesser general public license v3 or later (lgplv3+)",
        ],
    },
    Known {
        spdx: "Unlicense",
        full_name: "The Unlicense",
        identifier: "Unlicense",
        version: WITHOUT_VERSION,
        spellings: &["unlicense", "the unlicense (unlicense)", "the unlicense"],
    },
    Known {
        spdx: "0BSD",
        full_name: "BSD Zero Clause License",
        identifier: "0BSD",
        version: WITHOUT_VERSION,
        spellings: &["0bsd", "bsd zero clause license"],
    },
    Known {
        spdx: "Zlib",
        full_name: "zlib License",
        identifier: "Zlib",
        version: WITHOUT_VERSION,
        spellings: &["zlib", "zlib/libpng license"],
    },
];

fn lookup(text: &str) -> Option<&'static Known> {
    let key = text.trim().to_ascii_lowercase();
    let key = key
        .strip_suffix(" license")
        .map_or(key.as_str(), |k| k)
        .to_owned();
    KNOWN.iter().find(|k| {
        k.spdx.eq_ignore_ascii_case(&key)
            || k.spellings
                .iter()
                .any(|s| *s == key || s.strip_suffix(" license") == Some(key.as_str()))
    })
}

/// `[full, short]` of a `License :: ...` classifier: its last component and the short name in
/// parentheses when it has one (e.g. `GNU General Public License v3 (GPLv3)` → `GPLv3`).
fn classifier_names(classifier: &str) -> [String; 2] {
    let last = classifier.rsplit("::").next().unwrap_or(classifier).trim();
    let short = last
        .rfind('(')
        .and_then(|open| last[open + 1..].strip_suffix(')'))
        .map_or_else(|| last.to_owned(), str::to_owned);
    [last.to_owned(), short]
}

fn detected(known: &Known, classifier: Option<Vec<[String; 2]>>) -> PackageLicense {
    PackageLicense {
        license: LicenseName {
            full_name: known.full_name.to_owned(),
            identifier_spdx: known.spdx.to_owned(),
            identifier: known.identifier.to_owned(),
        },
        license_version: known.version.to_owned(),
        classifier,
        warning: false,
    }
}

fn undetected(classifier: Option<Vec<[String; 2]>>) -> PackageLicense {
    PackageLicense {
        license: LicenseName {
            full_name: UNDETECTED.to_owned(),
            identifier_spdx: UNDETECTED.to_owned(),
            identifier: UNDETECTED.to_owned(),
        },
        license_version: UNDETECTED.to_owned(),
        classifier,
        warning: true,
    }
}

/// Detects the licence of a distribution from its core metadata.
pub fn detect(metadata: &CoreMetadata) -> PackageLicense {
    let classifiers: Vec<[String; 2]> = metadata
        .get_all("Classifier")
        .into_iter()
        .filter(|c| c.starts_with("License ::") && c.matches("::").count() >= 2)
        .map(classifier_names)
        .collect();
    let from_classifiers = classifiers
        .iter()
        .find_map(|[full, short]| lookup(full).or_else(|| lookup(short)));
    let classifier = (!classifiers.is_empty()).then(|| classifiers.clone());
    let from_field = match metadata.license() {
        Some(License::Expression(e)) => match lookup(&e) {
            Some(k) => Some(k),
            // An SPDX expression the table does not know is still an exact answer.
            None => {
                return PackageLicense {
                    license: LicenseName {
                        full_name: e.clone(),
                        identifier_spdx: e.clone(),
                        identifier: e,
                    },
                    license_version: WITHOUT_VERSION.to_owned(),
                    classifier,
                    warning: false,
                };
            }
        },
        // Long texts (a whole licence pasted in) are matched by their first line.
        Some(License::Text(t)) => lookup(t.lines().next().unwrap_or_default()),
        _ => None,
    };
    match (from_field, from_classifiers) {
        (Some(f), Some(c)) if f.spdx != c.spdx && f.identifier != c.identifier => {
            // The field and the classifiers disagree: report the field, but warn.
            PackageLicense {
                warning: true,
                ..detected(f, classifier)
            }
        }
        (Some(k), _) | (None, Some(k)) => detected(k, classifier),
        (None, None) => undetected(classifier),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(text: &str) -> CoreMetadata {
        CoreMetadata::parse(
            format!("Metadata-Version: 2.1\nName: p\nVersion: 1\n{text}").as_bytes(),
        )
        .expect("metadata")
    }

    #[test]
    fn from_classifiers() {
        let l = detect(&meta(
            "Classifier: License :: OSI Approved :: MIT License\n",
        ));
        assert_eq!(l.license.identifier_spdx, "MIT");
        assert_eq!(l.license_version, WITHOUT_VERSION);
        assert_eq!(
            l.classifier,
            Some(vec![["MIT License".to_owned(), "MIT License".to_owned()]])
        );
        assert!(!l.warning);
    }

    #[test]
    fn from_the_field_and_expression() {
        let l = detect(&meta("License: Apache 2.0\n"));
        assert_eq!(
            (l.license.identifier.as_str(), l.license_version.as_str()),
            ("Apache", "2.0")
        );
        let l = detect(&meta("License-Expression: BSD-3-Clause\n"));
        assert_eq!(l.license.identifier_spdx, "BSD-3-Clause");
        let l = detect(&meta("License-Expression: MIT OR Apache-2.0\n"));
        assert_eq!(l.license.identifier_spdx, "MIT OR Apache-2.0");
    }

    #[test]
    fn gpl_short_names_and_disagreement() {
        let l = detect(&meta(
            "Classifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)\n",
        ));
        assert_eq!(l.license.identifier_spdx, "GPL-3.0-only");
        assert_eq!(
            l.classifier.as_ref().map(|c| c[0][1].as_str()),
            Some("GPLv3")
        );
        let l = detect(&meta(
            "License: MIT\nClassifier: License :: OSI Approved :: Apache Software License\n",
        ));
        assert!(l.warning);
    }

    #[test]
    fn nothing_known_is_undetected() {
        let l = detect(&meta("License: Proprietary, all rights reserved\n"));
        assert_eq!(l.license.full_name, UNDETECTED);
        assert!(l.warning);
        assert_eq!(detect(&meta("")).license_version, UNDETECTED);
    }
}
