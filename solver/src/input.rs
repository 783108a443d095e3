//! The requirements to solve, as Thoth's templates and users give them: separated by newlines or
//! by the two characters `\n` (Thoth's `THOTH_SOLVER_PACKAGES`), or read from a requirements
//! file with `@FILE`.

use common::AnalyzerError;

/// One requirement string per entry, comments and blank lines dropped.
pub fn requirements(arg: &str) -> Result<Vec<String>, AnalyzerError> {
    let text = match arg.trim().strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            AnalyzerError::input(format!("cannot read the requirements file {path}: {e}"))
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

/// A comma-separated list of index URLs, empty entries dropped.
pub fn index_list(arg: &str) -> Vec<String> {
    arg.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
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
    }
}
