//! The requirements to solve, as Thoth's templates and users give them: separated by newlines or
//! by the two characters `\n` (Thoth's `THOTH_SOLVER_PACKAGES`), or read from a requirements
//! file with `@FILE`.

use std::path::{Path, PathBuf};

use common::AnalyzerError;

use crate::requirements_file::{RequirementFiles, Role};

/// One requirement string per entry, comments and blank lines dropped. `@FILE`, or a value
/// that names an existing file (pip's `-r FILE` habit), reads the file.
pub fn requirements(arg: &str) -> Result<Vec<String>, AnalyzerError> {
    let text = match file_argument(arg)? {
        Some(path) => std::fs::read_to_string(&path).map_err(|e| {
            AnalyzerError::input(format!(
                "cannot read the requirements file {}: {e}",
                path.display()
            ))
        })?,
        None => arg.to_owned(),
    };
    let requirements: Vec<String> = text
        .replace("\\n", "\n")
        .lines()
        // `#` starts a comment in requirements files; in a PEP 508 string it only appears in URLs
        // after whitespace-free text, so a ` #` or a leading `#` is a comment.
        .map(|line| {
            let line = line.trim();
            if line.starts_with('#') {
                ""
            } else {
                line.split_once(" #").map_or(line, |(r, _)| r).trim()
            }
        })
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(option) = requirements.iter().find(|r| r.starts_with('-')) {
        return Err(AnalyzerError::input(format!(
            "{option:?} is a pip option, not a requirement: give indexes with -i/--index"
        )));
    }
    if requirements.is_empty() {
        return Err(AnalyzerError::input("no requirements specified")
            .with_hint("pass -r 'flask>=2\\nclick' or -r @requirements.txt"));
    }
    Ok(requirements)
}

/// The file a `-r` value names: `@FILE`, or an existing regular file; None when the value is
/// requirement text. A value that looks like a file name (`requirements.in`, `deps/ci.txt`) but
/// names no file is an error, not a project called `requirements-in`.
pub fn file_argument(arg: &str) -> Result<Option<PathBuf>, AnalyzerError> {
    let trimmed = arg.trim();
    if let Some(path) = trimmed.strip_prefix('@') {
        return Ok(Some(PathBuf::from(path)));
    }
    if Path::new(trimmed).is_file() {
        return Ok(Some(PathBuf::from(trimmed)));
    }
    if looks_like_file_name(trimmed) {
        return Err(AnalyzerError::input(format!(
            "the requirements file {trimmed} does not exist"
        ))
        .with_hint("give the path of an existing requirements file, or requirements themselves"));
    }
    Ok(None)
}

/// A single word ending like a requirements file (`.txt`, `.in`), or a path to one.
fn looks_like_file_name(arg: &str) -> bool {
    let lower = arg.to_ascii_lowercase();
    !arg.is_empty()
        && !arg.contains(char::is_whitespace)
        && !arg.contains("\\n")
        && !arg.contains("://")
        && !arg.contains([';', '<', '>', '=', '!', '~', '@', '['])
        && (lower.ends_with(".txt") || lower.ends_with(".in"))
}

/// What `resolve` is asked: requirement arguments, `-r` files or text, `-c` files.
pub fn gather(
    packages: &[String],
    requirement_args: &[String],
    constraint_files: &[PathBuf],
) -> Result<RequirementFiles, AnalyzerError> {
    let mut gathered = RequirementFiles::default();
    for package in packages {
        let name = package.trim();
        if Path::new(name).is_file() || looks_like_file_name(name) {
            return Err(AnalyzerError::usage(format!(
                "{name} is a file name, not a requirement: did you mean -r {name}?"
            ))
            .with_hint("requirements files are read with -r FILE (pip's and uv's option)"));
        }
        gathered.requirements.push(name.to_owned());
    }
    for arg in requirement_args {
        match file_argument(arg)? {
            Some(path) => gathered.read(&path, Role::Requirements)?,
            None => gathered.requirements.extend(requirements(arg)?),
        }
    }
    for path in constraint_files {
        gathered.read(path, Role::Constraints)?;
    }
    if gathered.requirements.is_empty() {
        return Err(AnalyzerError::usage("no requirements given").with_hint(
            "name them (solver resolve 'flask>=2' click) or read a file (solver resolve -r requirements.in)",
        ));
    }
    Ok(gathered)
}

/// A comma-separated list of index URLs, empty entries dropped.
pub fn index_list(arg: &str) -> Vec<String> {
    arg.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// An index URL as the documents' package entries record it: [`public_url`] without the
/// trailing slash, as thoth-python normalises a source's URL, so that this solver's documents
/// and Thoth's own name one index in Thoth's database, not two.
pub fn document_index_url(url: &str) -> String {
    public_url(url).trim_end_matches('/').to_owned()
}

/// An index URL as documents record it: without user-info (`https://user:token@host/simple`
/// becomes `https://host/simple`), so credentials given in `-i` never reach an output. The
/// boundary scrubber redacts what slips through; this keeps it from being needed.
pub fn public_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let rest = &url[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..authority_start], &rest[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_urls_lose_their_userinfo() {
        assert_eq!(
            public_url("http://USER:PASS@127.0.0.1:8080/simple"),
            "http://127.0.0.1:8080/simple"
        );
        assert_eq!(public_url("https://tok%40en@host/a@b"), "https://host/a@b");
        assert_eq!(public_url("https://host/simple"), "https://host/simple");
        assert_eq!(public_url("not a url"), "not a url");
    }

    #[test]
    fn thoth_separators_newlines_and_comments() {
        assert_eq!(
            requirements("flask>=2\\nclick<8\n# a comment\n\nrequests # why\n").expect("ok"),
            ["flask>=2", "click<8", "requests"]
        );
        assert!(requirements(" \\n ").is_err());
        assert!(requirements("--index-url x").is_err());
    }

    #[test]
    fn from_a_file() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("r.txt");
        std::fs::write(&path, "a==1\nb\n").expect("write");
        assert_eq!(
            requirements(&format!("@{}", path.display())).expect("ok"),
            ["a==1", "b"]
        );
        assert!(requirements("@/nonexistent/requirements.txt").is_err());
        // pip's habit: a -r value that is an existing file is read as one.
        assert_eq!(
            requirements(&path.display().to_string()).expect("ok"),
            ["a==1", "b"]
        );
        let err = requirements("requirements.in").expect_err("no such file");
        assert!(err.message.contains("does not exist"), "{}", err.message);
    }

    #[test]
    fn file_names_are_not_requirements() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("requirements.in");
        std::fs::write(&path, "a==1\n-c c.txt\n").expect("write");
        std::fs::write(dir.path().join("c.txt"), "b<2\n").expect("write");
        for arg in [
            "requirements.in",
            "deps/ci.txt",
            &path.display().to_string(),
        ] {
            let err = gather(&[arg.to_owned()], &[], &[]).expect_err(arg);
            assert_eq!(err.kind, common::ErrorKind::Usage);
            assert!(
                err.message.contains(&format!("did you mean -r {arg}?")),
                "{}",
                err.message
            );
        }
        let gathered = gather(
            &["c>=1".to_owned()],
            &[path.display().to_string(), "d\\ne".to_owned()],
            &[],
        )
        .expect("gathered");
        assert_eq!(gathered.requirements, ["c>=1", "a==1", "d", "e"]);
        assert_eq!(gathered.constraints, ["b<2"]);
        assert!(gather(&[], &[], &[]).is_err());
        // Requirements that only look a little like file names stay requirements.
        for requirement in [
            "zope.interface",
            "backports.zoneinfo>=0.2",
            "a.in; python_version>'3'",
        ] {
            assert!(!looks_like_file_name(requirement), "{requirement}");
        }
    }
}
