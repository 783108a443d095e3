//! requirements.txt with `--hash` options (`pip-compile --generate-hashes`, micropipenv), and the
//! index options it carries: `-i/--index-url`, `--extra-index-url`, `--trusted-host`.

use common::AnalyzerError;
use common::python::Requirement;
use serde_json::Value;

use super::{Lock, LockFormat, LockedEntry, LockedPackage, dedup};

/// Reads a requirements file. Without index options in the file, the indexes come from pip's
/// configuration ([`IndexUrls::discover`]).
pub fn read_requirements(text: &str) -> Result<Lock, AnalyzerError> {
    let mut index_url: Option<String> = None;
    let mut extra: Vec<String> = Vec::new();
    let mut trusted: Vec<String> = Vec::new();
    let mut packages = Vec::new();
    for (number, line) in logical_lines(text) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = tokens.first() else {
            continue;
        };
        if first.starts_with('-') {
            let (option, value) = match first.split_once('=') {
                Some((o, v)) => (o, Some(v.to_owned())),
                None => (*first, tokens.get(1).map(|s| (*s).to_owned())),
            };
            match option {
                "-i" | "--index-url" => index_url = value,
                "--extra-index-url" => extra.extend(value),
                "--trusted-host" => trusted.extend(value),
                "--no-index" => index_url = None,
                "-r" | "--requirement" | "-c" | "--constraint" => {
                    return Err(AnalyzerError::input(format!(
                        "line {number}: `{option}` includes another file; give the checker one complete, hashed requirements file"
                    )));
                }
                _ => {}
            }
            continue;
        }
        // The requirement ends where the first option begins.
        let spec_end = line
            .find(" --")
            .or_else(|| line.find("\t--"))
            .unwrap_or(line.len());
        let spec = line[..spec_end].trim();
        let hashes: Vec<String> = line[spec_end..]
            .split_whitespace()
            .filter_map(|t| {
                t.strip_prefix("--hash=")
                    .or_else(|| t.strip_prefix("--hash:"))
            })
            .map(str::to_owned)
            .collect();
        check_name(number, spec)?;
        let requirement = Requirement::parse(spec).map_err(|e| {
            AnalyzerError::input(format!("line {number}: {spec:?} is not a requirement: {e}"))
        })?;
        let version = requirement.version_specifiers().and_then(|specs| {
            let specs: Vec<_> = specs.iter().collect();
            match specs.as_slice() {
                [one]
                    if matches!(
                        one.operator(),
                        common::python::Operator::Equal | common::python::Operator::ExactEqual
                    ) =>
                {
                    Some(one.version().to_string())
                }
                _ => None,
            }
        });
        let mut entry = serde_json::Map::new();
        entry.insert("requirement".into(), Value::String(spec.to_owned()));
        entry.insert("hashes".into(), hashes.clone().into());
        packages.push(LockedPackage {
            name: requirement.name().to_owned(),
            version,
            hashes,
            index: None,
            artifacts: Vec::new(),
            direct: requirement.url().is_some(),
            locked: LockedEntry::inline(requirement.name(), Value::Object(entry)),
        });
    }
    let mut sources = Vec::new();
    for url in index_url.iter().chain(&extra) {
        Lock::source_for_url(&mut sources, url)?;
    }
    let (packages, duplicates) = dedup(packages);
    let mut lock = Lock {
        format: LockFormat::Requirements,
        sources,
        packages,
        lock_hash: None,
        requirements: Value::Null,
        requirements_locked: Value::String(text.to_owned()),
        duplicates,
        // Without `--index-url`, pip asks its configured index (and any extra ones).
        needs_default_index: index_url.is_none(),
        trusted_hosts: trusted,
    };
    // Sources the file names are subject to its --trusted-host lines too.
    lock.add_default_indexes(&[])?;
    lock.needs_default_index = index_url.is_none();
    Ok(lock)
}

/// A line whose name or extras are not PEP 508 names is an input error naming the line (the
/// requirement parser would reject it less clearly).
fn check_name(number: usize, spec: &str) -> Result<(), AnalyzerError> {
    common::python::check_leading_names(spec).map_err(|e| {
        AnalyzerError::input(format!("line {number}: {spec:?} is not a requirement: {e}"))
    })
}

/// Lines joined at trailing backslashes, comments removed, with their first line number.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = i + 1;
        }
        // A comment starts at `#` at the line start or after white space.
        let line = match raw.find(" #").or_else(|| raw.starts_with('#').then_some(0)) {
            Some(pos) => &raw[..pos],
            None => raw,
        };
        match line.trim_end().strip_suffix('\\') {
            Some(cont) => {
                current.push_str(cont);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                if !current.trim().is_empty() {
                    out.push((start, current.trim().to_owned()));
                }
                current.clear();
            }
        }
    }
    if !current.trim().is_empty() {
        out.push((start, current.trim().to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_hashes_continuations_and_comments() {
        let lock = read_requirements(
            "-i http://127.0.0.1:9/simple/\n--extra-index-url=http://10.0.0.1:9/x/ # a comment\n--trusted-host 10.0.0.1:9\n\nFoo[bar]==1.0 ; python_version >= \"3.8\" \\\n    --hash=sha256:AA \\\n    --hash=sha256:bb\n    # via x\nbaz>=2\nqux @ https://127.0.0.1/qux-1.0.tar.gz\n",
        )
        .expect("reads");
        assert_eq!(lock.sources.len(), 2);
        assert!(lock.sources[0].verify_ssl);
        assert!(!lock.sources[1].verify_ssl, "--trusted-host");
        assert!(!lock.needs_default_index);
        let foo = &lock.packages[0];
        assert_eq!(
            (foo.name.as_str(), foo.version.as_deref()),
            ("Foo", Some("1.0"))
        );
        assert_eq!(foo.sha256s(), ["aa", "bb"]);
        assert_eq!(lock.packages[1].version, None, "a range is not a pin");
        assert!(lock.packages[2].direct);
    }

    #[test]
    fn includes_and_bad_lines_are_input_errors() {
        let err = read_requirements("-r base.txt\n").expect_err("include");
        assert!(err.message.contains("line 1"), "{}", err.message);
        let err = read_requirements("ok==1\nnot a requirement!!\n").expect_err("bad line");
        assert!(err.message.contains("line 2"), "{}", err.message);
        // pep508_rs panics on these; they are input errors here.
        for line in [
            "baz->=2",
            "baz_==1",
            "baz.[x]==1",
            "foo[ba.]==1",
            "foo[a, b-]",
        ] {
            let text = format!("ok==1\n{line}\n");
            let err = read_requirements(&text).expect_err(line);
            assert!(err.message.contains("line 2"), "{}", err.message);
        }
        assert!(
            read_requirements("a==1\n")
                .expect("reads")
                .needs_default_index
        );
    }
}
