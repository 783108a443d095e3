//! pip's and uv's requirements files (`-r requirements.in`): one requirement a line, `#`
//! comments, `\` line continuations, nested `-r FILE` / `-c FILE` relative to the file that
//! names them, and the index lines `--index-url` / `--extra-index-url`. What the solver cannot
//! honour without building or installing (editables, URLs and paths, `--find-links`, ...) is
//! refused with an error naming the file and line, never skipped in silence.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::AnalyzerError;

/// The largest requirements file read (a hostile file must not fill memory).
pub const MAX_FILE_BYTES: u64 = 4 << 20;
/// How deep `-r` / `-c` includes may nest.
pub const MAX_DEPTH: usize = 16;
/// How many files one run may read in all.
pub const MAX_FILES: usize = 256;

/// What a set of requirements files says.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RequirementFiles {
    /// Requirement strings (PEP 508), in file order.
    pub requirements: Vec<String>,
    /// Constraint strings (`-c FILE`): a name and a specifier, applied when the project is
    /// needed at all.
    pub constraints: Vec<String>,
    /// The last `--index-url` / `-i` line.
    pub index_url: Option<String>,
    /// Every `--extra-index-url` line, in order.
    pub extra_index_urls: Vec<String>,
    /// `--pre` appeared.
    pub pre: bool,
    /// Files read so far (canonical paths), against include cycles and the file count limit.
    seen: BTreeSet<PathBuf>,
}

/// Whether the lines of a file are requirements or constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Requirements,
    Constraints,
}

impl RequirementFiles {
    /// Reads `path` (and what it includes) into `self`.
    pub fn read(&mut self, path: &Path, role: Role) -> Result<(), AnalyzerError> {
        self.read_nested(path, role, 0)
    }

    fn read_nested(&mut self, path: &Path, role: Role, depth: usize) -> Result<(), AnalyzerError> {
        let shown = path.display().to_string();
        if depth > MAX_DEPTH {
            return Err(AnalyzerError::input(format!(
                "{shown}: requirements files nest more than {MAX_DEPTH} deep"
            )));
        }
        let canonical = std::fs::canonicalize(path).map_err(|e| not_readable(&shown, &e))?;
        if !self.seen.insert(canonical.clone()) {
            // pip reads a file included twice twice; the second reading adds nothing, and an
            // include cycle would never end.
            return Ok(());
        }
        if self.seen.len() > MAX_FILES {
            return Err(AnalyzerError::input(format!(
                "{shown}: more than {MAX_FILES} requirements files are included"
            )));
        }
        let meta = std::fs::metadata(&canonical).map_err(|e| not_readable(&shown, &e))?;
        if !meta.is_file() {
            return Err(
                AnalyzerError::input(format!("{shown} is not a regular file")).with_hint(
                    "-r takes a requirements file; give requirements themselves as arguments",
                ),
            );
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(AnalyzerError::input(format!(
                "{shown} is {} bytes, over the {MAX_FILE_BYTES}-byte limit of a requirements file",
                meta.len()
            )));
        }
        let bytes = std::fs::read(&canonical).map_err(|e| not_readable(&shown, &e))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| AnalyzerError::input(format!("{shown} is not UTF-8 text")))?;
        let base = canonical.parent().map(Path::to_owned).unwrap_or_default();
        for (number, line) in logical_lines(&text) {
            let at = || format!("{shown}:{number}");
            self.line(&line, role, &base, depth, &at)?;
        }
        Ok(())
    }

    fn line(
        &mut self,
        line: &str,
        role: Role,
        base: &Path,
        depth: usize,
        at: &dyn Fn() -> String,
    ) -> Result<(), AnalyzerError> {
        if !line.starts_with('-') {
            let requirement = requirement_part(line, at)?;
            check_requirement(&requirement, role, at)?;
            match role {
                Role::Requirements => self.requirements.push(requirement),
                Role::Constraints => self.constraints.push(requirement),
            }
            return Ok(());
        }
        let (option, value) = split_option(line);
        let value = || {
            value
                .map(str::to_owned)
                .ok_or_else(|| AnalyzerError::input(format!("{}: {option} needs a value", at())))
        };
        match option {
            "-r" | "--requirement" => {
                let nested = base.join(value()?);
                // A file included from a constraints file is a constraints file too (pip).
                self.read_nested(&nested, role, depth + 1)
            }
            "-c" | "--constraint" => {
                let nested = base.join(value()?);
                self.read_nested(&nested, Role::Constraints, depth + 1)
            }
            "-i" | "--index-url" => {
                self.index_url = Some(expand_variables(&value()?));
                Ok(())
            }
            "--extra-index-url" => {
                self.extra_index_urls.push(expand_variables(&value()?));
                Ok(())
            }
            "--pre" => {
                self.pre = true;
                Ok(())
            }
            "-e" | "--editable" => Err(AnalyzerError::input(format!(
                "{}: editable requirements (-e) name a local project or a URL, which the solver cannot read without building it",
                at()
            ))
            .with_hint("resolve the project's own dependencies instead: list them, or name the project by version from an index")),
            _ => Err(AnalyzerError::input(format!(
                "{}: the option {option} is not supported in requirements files read by the solver",
                at()
            ))
            .with_hint("supported: -r, -c, --index-url, --extra-index-url, --pre, and --hash after a requirement")),
        }
    }
}

fn not_readable(shown: &str, e: &std::io::Error) -> AnalyzerError {
    AnalyzerError::input(format!("cannot read the requirements file {shown}: {e}"))
}

/// The file's logical lines with their first physical line number: `\` at the end of a line
/// joins the next one, comments (a `#` at the start or after whitespace) and blank lines go.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (index, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = index + 1;
        }
        let line = strip_comment(raw);
        match line.strip_suffix('\\') {
            Some(joined) => {
                current.push_str(joined);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                let done = std::mem::take(&mut current);
                let done = done.trim();
                if !done.is_empty() {
                    out.push((start, done.to_owned()));
                }
            }
        }
    }
    let rest = current.trim();
    if !rest.is_empty() {
        out.push((start, rest.to_owned()));
    }
    out
}

/// `line` without its comment: pip's rule is a `#` at the start of the line or preceded by
/// whitespace (a `#` inside a URL fragment stays).
fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') {
        return "";
    }
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return line[..i].trim_end();
        }
    }
    line.trim_end()
}

/// `--option=value`, `--option value` or `-r value`.
fn split_option(line: &str) -> (&str, Option<&str>) {
    let (option, value) = match line.split_once('=') {
        Some((o, v)) if o.starts_with("--") && !o.contains(char::is_whitespace) => (o, Some(v)),
        _ => match line.split_once(char::is_whitespace) {
            Some((o, v)) => (o, Some(v)),
            None => (line, None),
        },
    };
    (option, value.map(str::trim).filter(|v| !v.is_empty()))
}

/// The requirement of a requirement line: per-requirement options after it are only
/// `--hash=...`, which matters to installers, not to resolution.
fn requirement_part(line: &str, at: &dyn Fn() -> String) -> Result<String, AnalyzerError> {
    let mut words = line.split(" --");
    let requirement = words.next().unwrap_or_default().trim().to_owned();
    for option in words {
        if !option.starts_with("hash") {
            return Err(AnalyzerError::input(format!(
                "{}: the per-requirement option --{} is not supported",
                at(),
                option.trim()
            ))
            .with_hint("only --hash may follow a requirement"));
        }
    }
    Ok(requirement)
}

/// Refuses what the solver cannot resolve from an index: direct URLs and local paths.
fn check_requirement(
    requirement: &str,
    role: Role,
    at: &dyn Fn() -> String,
) -> Result<(), AnalyzerError> {
    let looks_like_path = requirement.starts_with('.')
        || requirement.starts_with('/')
        || requirement.contains("://")
        || requirement.starts_with("git+");
    let parsed = common::python::Requirement::parse(requirement);
    let direct = match &parsed {
        Ok(r) => r.url().is_some(),
        Err(_) => looks_like_path,
    };
    if direct || looks_like_path {
        return Err(AnalyzerError::input(format!(
            "{}: {requirement:?} is a URL or a local path; the solver resolves names and versions from indexes",
            at()
        ))
        .with_hint("name the project and its version (name==1.2.3), served by an index given with -i"));
    }
    let parsed = parsed.map_err(|e| {
        AnalyzerError::input(format!(
            "{}: {requirement:?} is not a PEP 508 requirement: {e}",
            at()
        ))
    })?;
    if role == Role::Constraints && !parsed.extras().is_empty() {
        return Err(AnalyzerError::input(format!(
            "{}: a constraint takes a name and a specifier, not extras ({requirement:?})",
            at()
        )));
    }
    Ok(())
}

/// pip's `${NAME}` expansion in index lines (names of capitals, digits and `_`), so a token
/// stays in the environment instead of the file. An unset variable is left as written.
fn expand_variables(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end)
                if end > 0
                    && after[..end]
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') =>
            {
                let name = &after[..end];
                match std::env::var(name) {
                    Ok(v) => out.push_str(&v),
                    Err(_) => out.push_str(&rest[start..start + 3 + end]),
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn comments_continuations_includes_constraints_and_indexes() {
        let dir = tempfile::tempdir().expect("tmp");
        write(dir.path(), "sub/base.txt", "click<9  # why\n-c pins.txt\n");
        write(dir.path(), "sub/pins.txt", "click==8.1.7\n");
        let top = write(
            dir.path(),
            "requirements.in",
            "# top\nflask>=2 \\\n  ; python_version >= '3'\n-r sub/base.txt\n--index-url http://127.0.0.1:1/simple\n--extra-index-url=http://127.0.0.1:2/simple\nsix==1.16.0 --hash=sha256:aa \\\n  --hash=sha256:bb\n-r sub/base.txt\n",
        );
        let mut files = RequirementFiles::default();
        files.read(&top, Role::Requirements).expect("read");
        assert_eq!(
            files.requirements,
            [
                "flask>=2    ; python_version >= '3'",
                "click<9",
                "six==1.16.0"
            ]
        );
        assert_eq!(files.constraints, ["click==8.1.7"]);
        assert_eq!(
            files.index_url.as_deref(),
            Some("http://127.0.0.1:1/simple")
        );
        assert_eq!(files.extra_index_urls, ["http://127.0.0.1:2/simple"]);
    }

    #[test]
    fn refusals_name_file_and_line() {
        let dir = tempfile::tempdir().expect("tmp");
        for (text, expected) in [
            ("a\n-e ./project\n", "requirements.txt:2: editable"),
            ("pkg @ https://host/pkg.whl\n", "is a URL or a local path"),
            ("./local/project\n", "is a URL or a local path"),
            ("--find-links /wheels\n", "--find-links is not supported"),
            (
                "a==1 --no-binary :all:\n",
                "--no-binary :all: is not supported",
            ),
            ("-r missing.txt\n", "cannot read the requirements file"),
            ("not a requirement!\n", "is not a PEP 508 requirement"),
        ] {
            let path = write(dir.path(), "requirements.txt", text);
            let err = RequirementFiles::default()
                .read(&path, Role::Requirements)
                .expect_err(text);
            assert!(err.message.contains(expected), "{text:?}: {}", err.message);
        }
        let pins = write(dir.path(), "c.txt", "a[x]==1\n");
        let err = RequirementFiles::default()
            .read(&pins, Role::Constraints)
            .expect_err("extras in a constraint");
        assert!(err.message.contains("not extras"), "{}", err.message);
    }

    #[test]
    fn include_cycles_end_and_depth_is_bounded() {
        let dir = tempfile::tempdir().expect("tmp");
        write(dir.path(), "a.txt", "x\n-r b.txt\n");
        let b = write(dir.path(), "b.txt", "y\n-r a.txt\n");
        let mut files = RequirementFiles::default();
        files.read(&b, Role::Requirements).expect("cycle");
        assert_eq!(files.requirements, ["y", "x"]);
        for i in 0..=MAX_DEPTH + 1 {
            write(
                dir.path(),
                &format!("d{i}.txt"),
                &format!("-r d{}.txt\n", i + 1),
            );
        }
        let err = RequirementFiles::default()
            .read(&dir.path().join("d0.txt"), Role::Requirements)
            .expect_err("too deep");
        assert!(err.message.contains("nest more than"), "{}", err.message);
    }

    #[test]
    fn index_lines_expand_variables() {
        // SAFETY-free: a variable no other test reads.
        let name = "SOLVER_REQFILE_TEST_TOKEN";
        assert_eq!(
            expand_variables(&format!("http://u:${{{name}}}@127.0.0.1/simple")),
            format!("http://u:${{{name}}}@127.0.0.1/simple"),
            "unset: left as written"
        );
        assert_eq!(
            expand_variables("http://h/${lower}/x"),
            "http://h/${lower}/x"
        );
        assert_eq!(expand_variables("${"), "${");
    }
}
