//! The checks: Thoth's (lock hash, index report, sources) and the new ones, from the lock and
//! what the indexes answered. Pure: no I/O, so every rule is tested on built answers.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::index::{IndexFile, ProjectPage};
use common::python::Version;
use serde_json::{Value, json};

use crate::fetch::{Answer, Answers};
use common::secret::{RedactedUrl, redact_url};

use crate::lock::{Lock, LockedEntry, LockedPackage, Source, pointer_token};
use crate::report::{Finding, Severity};

/// Most findings about single artifacts (`INVALID-ARTIFACT-HASH`, `ARTIFACT-URL-MISMATCH`) one
/// report lists one by one; beyond it, each package gets one finding with the count. A real lock
/// has a few unknown digests at most; a hostile one a finding per hash, and the document (held
/// twice in memory while written) would grow with the lock without bound.
pub const MAX_ARTIFACT_FINDINGS: usize = 10_000;

/// Every finding, in a stable order: the lock hash, each package in lock order, the sources,
/// the unreachable indexes.
pub fn check(lock: &Lock, answers: &Answers, whitelist: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some((recorded, computed)) = &lock.lock_hash
        && recorded != computed
    {
        out.push(Finding::new(
            Severity::Error,
            "INVALID-LOCK-HASH",
            format!("Hash recorded in the lockfile ('{recorded}') does not correspond to the hash computed ('{computed}')"),
        ));
    }
    let mut budget = MAX_ARTIFACT_FINDINGS;
    for package in &lock.packages {
        let mut found = check_package(lock, package, answers, &mut budget);
        refer_to_entry(&mut found, package, out.len());
        refer_to_sources(&mut found, out.len());
        out.extend(found);
    }
    out.extend(check_sources(&lock.sources, whitelist));
    out.extend(unreachable(lock, answers));
    out
}

/// Gives a package's findings their `package_locked`: a JSON Reference to the lock entry where
/// the document records it (`{name: {"$ref": "#/result/parameters/project/requirements_locked/default/<name>"}}`),
/// or, for a lock recorded as text, the entry itself on the first finding and a reference to
/// that on the others. A package's entry (all its hashes and artifact URLs) thus appears once in
/// the document however many findings it has: one per unknown digest, each repeating every
/// digest, would grow with the square of the hashes.
fn refer_to_entry(found: &mut [Finding], package: &LockedPackage, first_index: usize) {
    let reference = |key: &str, pointer: &str| json!({ key: { "$ref": pointer } });
    match &package.locked {
        LockedEntry::At { key, pointer } => {
            let value = reference(key, pointer);
            for finding in found.iter_mut() {
                finding.package_locked = Some(value.clone());
            }
        }
        LockedEntry::Inline(entry) => {
            let Some((first, rest)) = found.split_first_mut() else {
                return;
            };
            first.package_locked = Some(entry.clone());
            let key = entry
                .as_object()
                .and_then(|m| m.keys().next())
                .cloned()
                .unwrap_or_default();
            let value = reference(
                &key,
                &format!(
                    "#/result/report/{first_index}/package_locked/{}",
                    pointer_token(&key)
                ),
            );
            for finding in rest {
                finding.package_locked = Some(value.clone());
            }
        }
    }
}

/// Gives each of a package's findings after the first that names a source the same source as an
/// earlier one a JSON Reference to that finding's `source` (`{"$ref": "#/result/report/<i>/source"}`):
/// a lock with thousands of unknown digests of one package gets a finding per digest, and each
/// repeating the source's name, URL and `verify_ssl` would be most of the document.
fn refer_to_sources(found: &mut [Finding], first_index: usize) {
    // A package's findings name a few sources at most (the lock's indexes).
    let mut first_named: Vec<(Value, usize)> = Vec::new();
    for (i, finding) in found.iter_mut().enumerate() {
        let Some(source) = finding.source.as_ref().filter(|s| s.is_object()) else {
            continue;
        };
        match first_named.iter().find(|(named, _)| named == source) {
            Some((_, at)) => {
                finding.source = Some(json!({ "$ref": format!("#/result/report/{at}/source") }));
            }
            None => first_named.push((source.clone(), first_index + i)),
        }
    }
}

/// A package's context: the answers about it, per source in the lock's order.
struct Seen<'a> {
    package: &'a LockedPackage,
    version: Option<Version>,
    /// Sources whose page lists files of the locked version, with those files.
    report: Vec<(&'a Source, Vec<&'a IndexFile>)>,
    /// Sources that have the project at all (any version), with their page.
    pages: Vec<(&'a Source, &'a ProjectPage)>,
    unreachable: bool,
    pinned: Option<&'a Source>,
}

impl Seen<'_> {
    fn base(&self, severity: Severity, id: &'static str, justification: String) -> Finding {
        // `package_locked` is set by `refer_to_entry` once the package's findings are known.
        Finding {
            package_name: Some(redact_url(&self.package.name)),
            package_version: self.package.pinned().map(|v| redact_url(&v)),
            ..Finding::new(severity, id, justification)
        }
    }

    fn source_value(&self) -> Value {
        self.pinned.map_or(Value::Null, Source::to_value)
    }

    fn hashes_on(&self, url: &RedactedUrl) -> BTreeSet<String> {
        self.report
            .iter()
            .filter(|(s, _)| s.url == *url)
            .flat_map(|(_, files)| files.iter().filter_map(|f| f.sha256().map(str::to_owned)))
            .collect()
    }

    /// Thoth's `{url: [{"name", "sha256"}]}`.
    fn index_report(&self) -> Value {
        self.report_value(|f| json!({"name": f.filename, "sha256": f.sha256()}))
    }

    /// Thoth's `{url: [[name, sha256]]}` of ARTIFACT-(POSSIBLE-)DIFFERENT-SOURCE.
    fn tuple_report(&self) -> Value {
        self.report_value(|f| json!([f.filename, f.sha256()]))
    }

    fn report_value(&self, file: impl Fn(&IndexFile) -> Value) -> Value {
        let map: serde_json::Map<String, Value> = self
            .report
            .iter()
            .map(|(s, files)| (s.url.to_string(), files.iter().map(|f| file(f)).collect()))
            .collect();
        Value::Object(map)
    }
}

fn check_package(
    lock: &Lock,
    package: &LockedPackage,
    answers: &Answers,
    budget: &mut usize,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let project = package.project();
    let mut seen = Seen {
        package,
        version: package.version.as_deref().and_then(|v| v.parse().ok()),
        report: Vec::new(),
        pages: Vec::new(),
        unreachable: false,
        pinned: package.index.as_deref().and_then(|i| lock.source_named(i)),
    };
    let name = match project {
        Ok(name) => name,
        Err(reason) => {
            // Never looked up: the name would become a path segment of the index URL.
            out.push(Finding {
                reason: Some(redact_url(&reason)),
                ..seen.base(
                    Severity::Error,
                    "INVALID-PACKAGE-NAME",
                    format!(
                        "Package name '{}' is not a valid PEP 508 name: it was not looked up on any index",
                        package.name.escape_debug()
                    ),
                )
            });
            return out;
        }
    };
    if package.direct {
        return out;
    }
    if package.version.is_none() {
        out.push(seen.base(
            Severity::Warning,
            "UNPINNED-PACKAGE",
            format!("Package '{}' is not pinned to one version: the lock does not say which artifact is installed", package.name),
        ));
        return out;
    }
    if package.hashes.is_empty() {
        out.push(seen.base(
            Severity::Warning,
            "MISSING-HASHES",
            format!("Package '{}' is locked without artifact hashes: what gets installed cannot be verified", package.name),
        ));
    }
    for source in &lock.sources {
        match answers.get(&(source.name.clone(), name.clone())) {
            Some(Answer::Page(page)) => {
                seen.pages.push((source, page));
                let files: Vec<&IndexFile> = match &seen.version {
                    Some(v) => page.files_of(v).collect(),
                    None => Vec::new(),
                };
                if !files.is_empty() {
                    seen.report.push((source, files));
                }
            }
            Some(Answer::Unreachable(_)) => seen.unreachable = true,
            Some(Answer::NotFound) | None => {}
        }
    }
    let locked: BTreeSet<String> = package.sha256s().into_iter().collect();
    let urls = |sources: &mut dyn Iterator<Item = &Source>| -> Vec<String> {
        sources.map(|s| s.url.to_string()).collect()
    };

    match seen.pinned {
        None if seen.report.len() > 1 => {
            let first = seen.hashes_on(&seen.report[0].0.url);
            let all: BTreeSet<String> = seen
                .report
                .iter()
                .flat_map(|(s, _)| seen.hashes_on(&s.url))
                .collect();
            if all != first {
                let indexes = urls(&mut seen.report.iter().map(|(s, _)| *s));
                out.push(Finding {
                    indexes: Some(indexes.clone()),
                    sources: Some(seen.index_report()),
                    ..seen.base(
                        Severity::Warning,
                        "DIFFERENT-ARTIFACTS-ON-SOURCES",
                        format!("Configured sources ({}) have different artifacts available, specify explicitly source to be used", indexes.join(", ")),
                    )
                });
            }
        }
        Some(pinned) => {
            let on_pinned = seen.report.iter().any(|(s, _)| s.url == pinned.url);
            if !on_pinned && !seen.unreachable {
                out.push(Finding {
                    source: Some(pinned.to_value()),
                    sources: Some(seen.index_report()),
                    ..seen.base(
                        Severity::Error,
                        "MISSING-PACKAGE",
                        format!("Source index '{}' explicitly assigned to package '{}' but there was not found any record for the given package", pinned.name, package.name),
                    )
                });
            } else if on_pinned && seen.report.len() > 1 {
                let pinned_hashes = seen.hashes_on(&pinned.url);
                let others: Vec<&Source> = seen
                    .report
                    .iter()
                    .map(|(s, _)| *s)
                    .filter(|s| s.url != pinned.url)
                    .collect();
                let other_urls = urls(&mut others.iter().copied());
                let elsewhere: BTreeSet<String> =
                    others.iter().flat_map(|s| seen.hashes_on(&s.url)).collect();
                let finding = |severity, id, justification: String| Finding {
                    source: Some(pinned.to_value()),
                    indexes: Some(other_urls.clone()),
                    sources: Some(seen.tuple_report()),
                    ..seen.base(severity, id, justification)
                };
                if !locked.is_subset(&pinned_hashes) {
                    out.push(finding(
                        Severity::Error,
                        "ARTIFACT-DIFFERENT-SOURCE",
                        format!("Artifacts are installed from different sources ({}) not respecting configuration", other_urls.join(", ")),
                    ));
                } else if !locked.is_disjoint(&elsewhere) {
                    out.push(finding(
                        Severity::Info,
                        "ARTIFACT-POSSIBLE-DIFFERENT-SOURCE",
                        format!("Artifacts can be installed from different sources ({}) not respecting configuration that expects '{}'", other_urls.join(", "), pinned.name),
                    ));
                }
            }
        }
        None => {}
    }

    let known: BTreeSet<String> = seen
        .report
        .iter()
        .flat_map(|(s, _)| seen.hashes_on(&s.url))
        .collect();
    // A digest missing from an index that could not be asked proves nothing.
    if !seen.unreachable {
        let unknown: Vec<&String> = locked.difference(&known).collect();
        let listed = unknown.len().min(*budget);
        *budget -= listed;
        for digest in &unknown[..listed] {
            out.push(Finding {
                source: Some(seen.source_value()),
                digest: Some((*digest).clone()),
                ..seen.base(
                    Severity::Error,
                    "INVALID-ARTIFACT-HASH",
                    "Hash for the given artifact was not found".to_owned(),
                )
            });
        }
        if let Some(rest) = unlisted(unknown.len() - listed) {
            out.push(Finding {
                source: Some(seen.source_value()),
                reason: Some(rest.clone()),
                ..seen.base(
                    Severity::Error,
                    "INVALID-ARTIFACT-HASH",
                    format!(
                        "Hashes for {} further artifacts were not found",
                        unknown.len() - listed
                    ),
                )
            });
        }
    }
    out.extend(yanked(&seen, &locked));
    out.extend(confusion(&seen, &locked));
    out.extend(url_mismatch(&seen, budget));
    out
}

/// YANKED-RELEASE: a locked artifact (or, without hashes, any file of the version on the
/// source it comes from) is yanked.
fn yanked(seen: &Seen, locked: &BTreeSet<String>) -> Option<Finding> {
    let (source, file) = seen
        .report
        .iter()
        .filter(|(s, _)| seen.pinned.is_none_or(|p| p.url == s.url))
        .flat_map(|(s, files)| files.iter().map(move |f| (*s, *f)))
        .find(|(_, f)| {
            f.is_yanked() && (locked.is_empty() || f.sha256().is_some_and(|d| locked.contains(d)))
        })?;
    let reason = file.yanked.as_ref().and_then(|y| y.reason.clone());
    Some(Finding {
        source: Some(source.to_value()),
        url: Some(redact_url(&file.url)),
        reason: reason.clone(),
        ..seen.base(
            Severity::Warning,
            "YANKED-RELEASE",
            format!(
                "Release {} of '{}' is yanked on '{}'{}",
                seen.package.version.as_deref().unwrap_or_default(),
                seen.package.name,
                source.name,
                reason.map(|r| format!(": {r}")).unwrap_or_default()
            ),
        )
    })
}

/// DEPENDENCY-CONFUSION: the package is meant for one index (pinned to it, or its locked
/// artifacts are only there) and its name also exists on another configured index; an error
/// when that index offers a higher version, which an unpinned install would take.
fn confusion(seen: &Seen, locked: &BTreeSet<String>) -> Option<Finding> {
    let home = match seen.pinned {
        Some(p) => p,
        None => {
            let holders: Vec<&Source> = seen
                .report
                .iter()
                .filter(|(s, _)| !locked.is_empty() && locked.is_subset(&seen.hashes_on(&s.url)))
                .map(|(s, _)| *s)
                .collect();
            match holders.as_slice() {
                [only] => *only,
                _ => return None,
            }
        }
    };
    let locked_version = seen.version.as_ref()?;
    let mut others = Vec::new();
    let mut highest: Option<&Version> = None;
    for (source, page) in &seen.pages {
        if source.url == home.url {
            continue;
        }
        others.push(source.url.to_string());
        if let Some(top) = page.versions().last().copied()
            && highest.is_none_or(|h| top > h)
        {
            highest = Some(top);
        }
    }
    let higher = highest.filter(|h| *h > locked_version);
    // Without a pin, the same name elsewhere is only a risk when it offers a higher version.
    if others.is_empty() || (seen.pinned.is_none() && higher.is_none()) {
        return None;
    }
    let (severity, tail) = match higher {
        Some(v) => (
            Severity::Error,
            format!(", with a higher version ({v}) than the locked {locked_version}"),
        ),
        None => (Severity::Warning, String::new()),
    };
    Some(Finding {
        source: Some(home.to_value()),
        indexes: Some(others.clone()),
        ..seen.base(
            severity,
            "DEPENDENCY-CONFUSION",
            format!(
                "Package '{}' is meant to come from '{}' but the name also exists on {}{tail}",
                seen.package.name,
                home.name,
                others.join(", ")
            ),
        )
    })
}

/// ARTIFACT-URL-MISMATCH: an artifact URL the lock names is not the URL its index gives for
/// that file.
fn url_mismatch(seen: &Seen, budget: &mut usize) -> Vec<Finding> {
    let mut out = Vec::new();
    let pages: Vec<&(&Source, &ProjectPage)> = seen
        .pages
        .iter()
        .filter(|(s, _)| seen.pinned.is_none_or(|p| p.url == s.url))
        .collect();
    if pages.is_empty() {
        return out;
    }
    // Files by name, once: a lock with many artifacts against a page with many files stays
    // linear.
    let mut by_name: HashMap<&str, Vec<(&Source, &IndexFile)>> = HashMap::new();
    for (s, page) in &pages {
        for f in &page.files {
            by_name.entry(&*f.filename).or_default().push((*s, f));
        }
    }
    let mut unlisted_urls = 0usize;
    for artifact in &seen.package.artifacts {
        let Some(url) = &artifact.url else { continue };
        let listed: &[(&Source, &IndexFile)] = by_name
            .get(artifact.filename.as_str())
            .map_or(&[], Vec::as_slice);
        if listed.iter().any(|(_, f)| same_url(&f.url, url)) {
            continue;
        }
        let (source, justification) = match listed.first() {
            Some((s, f)) => (
                *s,
                format!(
                    "Artifact '{}' is locked at a URL its index '{}' does not give (the index gives {})",
                    artifact.filename,
                    s.name,
                    redact_url(&f.url)
                ),
            ),
            None => (
                pages[0].0,
                format!(
                    "Artifact '{}' is locked at a URL outside its index '{}', which does not list it",
                    artifact.filename, pages[0].0.name
                ),
            ),
        };
        if *budget == 0 {
            unlisted_urls += 1;
            continue;
        }
        *budget -= 1;
        out.push(Finding {
            source: Some(source.to_value()),
            url: Some(url.clone()),
            ..seen.base(Severity::Error, "ARTIFACT-URL-MISMATCH", justification)
        });
    }
    if let Some(rest) = unlisted(unlisted_urls) {
        out.push(Finding {
            reason: Some(rest),
            ..seen.base(
                Severity::Error,
                "ARTIFACT-URL-MISMATCH",
                format!(
                    "{unlisted_urls} further artifacts are locked at URLs their index does not give"
                ),
            )
        });
    }
    out
}

/// The `reason` of the one finding that counts what the report no longer lists.
fn unlisted(count: usize) -> Option<String> {
    (count > 0).then(|| {
        format!(
            "{count} not listed one by one: a report lists at most {MAX_ARTIFACT_FINDINGS} findings about single artifacts"
        )
    })
}

/// The lock's (redacted) artifact URL and the index's, compared without fragments and with the
/// index's redacted the same way.
fn same_url(index: &str, locked: &str) -> bool {
    let index = redact_url(index);
    let strip = |u: &str| u.split('#').next().unwrap_or(u).to_owned();
    strip(&index) == strip(locked)
}

/// SOURCE-NOT-WHITELISTED and INSECURE-SOURCE, as Thoth checked each source.
fn check_sources(sources: &[Source], whitelist: &[String]) -> Vec<Finding> {
    let trim = |u: &str| u.trim_end_matches('/').to_owned();
    let allowed: BTreeSet<String> = whitelist.iter().map(|u| trim(u)).collect();
    let mut out = Vec::new();
    for source in sources {
        let finding = if !allowed.is_empty() && !allowed.contains(&trim(&source.url.to_string())) {
            Finding::new(
                Severity::Error,
                "SOURCE-NOT-WHITELISTED",
                format!(
                    "Provided index '{}' is not stated in the whitelisted package sources listing",
                    source.name
                ),
            )
        } else if !source.verify_ssl {
            Finding::new(
                Severity::Warning,
                "INSECURE-SOURCE",
                format!("Source '{}' does not use SSL/TLS verification", source.name),
            )
        } else {
            continue;
        };
        out.push(Finding {
            source: Some(source.to_value()),
            ..finding
        });
    }
    out
}

/// INDEX-UNREACHABLE: once per index that could not be asked, with the first error.
fn unreachable(lock: &Lock, answers: &Answers) -> Vec<Finding> {
    let mut first: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    let mut keys: Vec<&(String, String)> = answers.keys().collect();
    keys.sort();
    for key in keys {
        if let Some(Answer::Unreachable(message)) = answers.get(key) {
            let entry = first.entry(key.0.as_str()).or_insert((message.as_str(), 0));
            entry.1 += 1;
        }
    }
    lock.sources
        .iter()
        .filter_map(|source| {
            let (message, count) = first.get(source.name.as_str())?;
            Some(Finding {
                source: Some(source.to_value()),
                reason: Some(redact_url(message)),
                ..Finding::new(
                    Severity::Error,
                    "INDEX-UNREACHABLE",
                    format!("Index '{}' could not be asked about {count} package(s): their provenance on it is unknown", source.name),
                )
            })
        })
        .collect()
}
