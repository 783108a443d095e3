//! PEP 508 requirements (`Requires-Dist` values, requirement-file lines) and their markers.

use std::str::FromStr;

use pep508_rs::{ExtraName, MarkerTree, MarkerWarningKind, VersionOrUrl};
use serde::Serialize;

use super::environment::TargetEnvironment;
use super::marker::{MarkerList, MarkerSyntaxError};
use super::name::normalize_name;

/// Why a requirement string could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RequirementError {
    /// `pep508_rs` rejected it.
    #[error("invalid requirement {input:?}: {message}")]
    Pep508 {
        /// The requirement as given.
        input: String,
        /// `pep508_rs`'s explanation (with a caret under the offending part).
        message: String,
    },
    /// The marker part could not be read as `packaging` reads markers.
    #[error("invalid marker in requirement {input:?}: {source}")]
    Marker {
        /// The requirement as given.
        input: String,
        /// Where and why.
        source: MarkerSyntaxError,
    },
}

/// A parsed PEP 508 requirement, e.g. `selinon[postgresql,redis] (==1.1.0); extra == 'workflow'`.
///
/// Keeps both the `pep508_rs` view (for evaluation) and the textual forms Thoth's documents
/// record: the name as written, the specifier as `packaging` prints it, and the marker as
/// `packaging` prints it (see [`Self::marker`]).
#[derive(Debug, Clone)]
pub struct Requirement {
    name: String,
    normalized_name: String,
    extras: Vec<String>,
    specifier: Option<String>,
    url: Option<String>,
    marker_text: Option<MarkerList>,
    parsed: pep508_rs::Requirement,
}

/// The result of Thoth's way of evaluating a requirement's marker (its solver's
/// `parse_requirement_str`): `extra` clauses are taken as satisfied, the rest is evaluated
/// against the target environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThothMarkerEvaluation {
    /// The marker as written (`packaging`'s form), `None` when there is none.
    pub marker: Option<String>,
    /// The marker with each `extra` comparison replaced by `python_version >= "0.0"`; `None`
    /// when there is no marker.
    pub marker_evaluated: Option<String>,
    /// The extra names the marker compared against, as written, first-seen order.
    pub extra: Vec<String>,
    /// Whether `marker_evaluated` holds in the environment; `true` without a marker, `false`
    /// when `error` is set.
    pub result: bool,
    /// Why the marker could not be evaluated (e.g. a version comparison against something that
    /// is not a version, which `packaging` refuses).
    pub error: Option<String>,
}

/// The requirement's leading name and its extras must be PEP 508 names before `pep508_rs` sees
/// them: its parser (0.9) reads name characters, then validates them with an `expect`, so a name
/// or an extra that ends in a separator (`baz->=2`, `foo[ba.]==1`, `q[x. url`) panics inside it.
/// Fuzzing the lock readers found all three.
pub fn check_leading_names(input: &str) -> Result<(), String> {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let spec = input.trim_start();
    let name_end = spec.find(|c| !is_name_char(c)).unwrap_or(spec.len());
    pep508_rs::PackageName::from_str(&spec[..name_end]).map_err(|e| e.to_string())?;
    if let Some(extras) = spec[name_end..].trim_start().strip_prefix('[') {
        let extras = extras.split(']').next().unwrap_or_default();
        for extra in extras.split(',').map(str::trim_start) {
            // The parser reads the name characters, then validates them, whatever follows.
            let token = &extra[..extra.find(|c| !is_name_char(c)).unwrap_or(extra.len())];
            if !token.is_empty() {
                pep508_rs::ExtraName::from_str(token).map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

/// `pep508_rs`'s own message with its caret line, when it can be printed: its `Display` (0.9)
/// slices the input at the error's byte offsets and panics when they fall inside a multi-byte
/// character (found by fuzzing the requirements reader); then the message and the offset alone.
fn describe_pep508_error(err: &pep508_rs::Pep508Error<pep508_rs::VerbatimUrl>) -> String {
    let input = &err.input;
    let end = err.start.saturating_add(err.len);
    let printable = if err.start == input.len() {
        err.len <= 1
    } else {
        end <= input.len() && input.is_char_boundary(err.start) && input.is_char_boundary(end)
    };
    if printable {
        err.to_string()
    } else {
        format!("{} (at byte {} of {input:?})", err.message, err.start)
    }
}

impl FromStr for Requirement {
    type Err = RequirementError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

impl Requirement {
    /// Parses a PEP 508 requirement string. Legacy parenthesised specifiers (`foo (>=1.0)`), as
    /// older `Requires-Dist` values use, are accepted.
    pub fn parse(input: &str) -> Result<Self, RequirementError> {
        check_leading_names(input).map_err(|message| RequirementError::Pep508 {
            input: input.to_owned(),
            message,
        })?;
        let parsed =
            pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(input).map_err(|err| {
                RequirementError::Pep508 {
                    input: input.to_owned(),
                    message: describe_pep508_error(&err),
                }
            })?;
        let trimmed = input.trim_start();
        let name_len = trimmed
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(trimmed.len());
        let name = trimmed[..name_len].to_owned();
        let (specifier, url) = match &parsed.version_or_url {
            None => (None, None),
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
                // `packaging` prints a specifier set as its members' strings, sorted, joined by
                // `,`; Thoth records that form.
                let mut parts: Vec<String> = specifiers.iter().map(ToString::to_string).collect();
                parts.sort();
                ((!parts.is_empty()).then(|| parts.join(",")), None)
            }
            Some(VersionOrUrl::Url(url)) => (None, Some(url.to_string())),
        };
        let marker_text = match marker_part(input, url.is_some()) {
            None => None,
            Some(text) => {
                Some(
                    MarkerList::parse(text).map_err(|source| RequirementError::Marker {
                        input: input.to_owned(),
                        source,
                    })?,
                )
            }
        };
        Ok(Self {
            normalized_name: normalize_name(&name),
            name,
            extras: parsed.extras.iter().map(ToString::to_string).collect(),
            specifier,
            url,
            marker_text,
            parsed,
        })
    }

    /// The project name as written (`pyOpenSSL`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PEP 503 normalised name (`pyopenssl`).
    pub fn normalized_name(&self) -> &str {
        &self.normalized_name
    }

    /// The extras requested in brackets, normalised (PEP 685) and in the order written.
    pub fn extras(&self) -> &[String] {
        &self.extras
    }

    /// The version specifier set as `packaging` prints it (members sorted, joined by `,`, e.g.
    /// `<2,>=1.0`); `None` when there is none or the requirement is a URL.
    pub fn specifier(&self) -> Option<&str> {
        self.specifier.as_deref()
    }

    /// The PEP 440 specifiers, empty when there are none.
    pub fn version_specifiers(&self) -> Option<&pep440_rs::VersionSpecifiers> {
        match &self.parsed.version_or_url {
            Some(VersionOrUrl::VersionSpecifier(specifiers)) => Some(specifiers),
            _ => None,
        }
    }

    /// The direct URL of a `name @ url` requirement.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The marker as `packaging` prints it (double quotes, redundant parentheses dropped), e.g.
    /// `sys_platform == "win32" and extra == "ssl"`; `None` without a marker.
    pub fn marker(&self) -> Option<String> {
        self.marker_text
            .as_ref()
            .map(MarkerList::to_packaging_string)
    }

    /// The `pep508_rs` view of the requirement.
    pub fn as_pep508(&self) -> &pep508_rs::Requirement {
        &self.parsed
    }

    /// Whether the requirement applies in `env` when `extras` are requested of the project that
    /// declares it (PEP 508 evaluation). Extra names are compared normalised; a string that is
    /// not a valid extra name can match no marker and is ignored.
    pub fn evaluate_marker(&self, env: &TargetEnvironment, extras: &[&str]) -> bool {
        let extras: Vec<ExtraName> = extras.iter().filter_map(|e| e.parse().ok()).collect();
        self.parsed.marker.evaluate(env.markers(), &extras)
    }

    /// Evaluates the marker the way Thoth's solver does: each `extra == "x"` clause is replaced
    /// by `python_version >= "0.0"` (always true) and the extra names are collected, then the
    /// rest is evaluated against `env`. This answers "does this dependency apply on this
    /// platform, for some choice of extras", which is what a solver records.
    pub fn thoth_marker_evaluation(&self, env: &TargetEnvironment) -> ThothMarkerEvaluation {
        let Some(marker) = &self.marker_text else {
            return ThothMarkerEvaluation {
                marker: None,
                marker_evaluated: None,
                extra: Vec::new(),
                result: true,
                error: None,
            };
        };
        let mut extra = Vec::new();
        let evaluated = marker.without_extras(&mut extra).to_packaging_string();
        let mut problems = Vec::new();
        let mut reporter = |kind: MarkerWarningKind, message: String| {
            // What `packaging` would raise on; other `pep508_rs` warnings (lexicographic string
            // comparisons, deprecated names) are answers in `packaging` too.
            if matches!(kind, MarkerWarningKind::Pep440Error) {
                problems.push(message);
            }
        };
        let (result, error) = match MarkerTree::parse_reporter(&evaluated, &mut reporter) {
            Err(err) => (false, Some(err.to_string())),
            Ok(tree) => {
                let (result, warnings) = tree.evaluate_collect_warnings(env.markers(), &[]);
                problems.extend(
                    warnings
                        .into_iter()
                        .filter(|(kind, _)| matches!(kind, MarkerWarningKind::Pep440Error))
                        .map(|(_, message)| message),
                );
                if problems.is_empty() {
                    (result, None)
                } else {
                    (false, Some(problems.join("; ")))
                }
            }
        };
        ThothMarkerEvaluation {
            marker: Some(marker.to_packaging_string()),
            marker_evaluated: Some(evaluated),
            extra,
            result,
            error,
        }
    }
}

/// The text after the `;` that starts a requirement's marker. Names, extras and version
/// specifiers cannot contain `;`; a URL can, so after `@` PEP 508 requires whitespace before the
/// `;`.
fn marker_part(input: &str, has_url: bool) -> Option<&str> {
    let start = if has_url {
        let at = input.find('@')?;
        let bytes = input.as_bytes();
        (at..input.len())
            .find(|&i| bytes[i] == b';' && i > 0 && bytes[i - 1].is_ascii_whitespace())?
    } else {
        input.find(';')?
    };
    let text = input[start + 1..].trim();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn linux() -> TargetEnvironment {
        TargetEnvironment::from_shorthand("3.11", "linux-x86_64").unwrap()
    }

    #[test]
    fn thoth_wincertstore() {
        let req = Requirement::parse(
            r#"wincertstore (==0.2) ; (sys_platform == "win32") and (sys_platform == "linux") and extra == 'ssl'"#,
        )
        .unwrap();
        assert_eq!(req.name(), "wincertstore");
        assert_eq!(req.normalized_name(), "wincertstore");
        assert_eq!(req.specifier(), Some("==0.2"));
        assert!(req.extras().is_empty());
        let eval = req.thoth_marker_evaluation(&linux());
        assert_eq!(
            eval,
            ThothMarkerEvaluation {
                marker: Some(
                    r#"sys_platform == "win32" and sys_platform == "linux" and extra == "ssl""#
                        .into()
                ),
                marker_evaluated: Some(
                    r#"sys_platform == "win32" and sys_platform == "linux" and python_version >= "0.0""#
                        .into()
                ),
                extra: vec!["ssl".into()],
                result: false,
                error: None,
            }
        );
    }

    #[test]
    fn thoth_selinon() {
        let req =
            Requirement::parse("selinon[postgresql,redis] (==1.1.0); extra == 'workflow'").unwrap();
        assert_eq!(req.specifier(), Some("==1.1.0"));
        let mut extras = req.extras().to_vec();
        extras.sort();
        assert_eq!(extras, ["postgresql", "redis"]);
        let eval = req.thoth_marker_evaluation(&linux());
        assert_eq!(eval.extra, ["workflow"]);
        assert_eq!(eval.marker.as_deref(), Some(r#"extra == "workflow""#));
        assert_eq!(
            eval.marker_evaluated.as_deref(),
            Some(r#"python_version >= "0.0""#)
        );
        assert!(eval.result);
        assert_eq!(eval.error, None);
    }

    #[test]
    fn thoth_no_marker_and_xonsh() {
        let req = Requirement::parse("delegator-py (<=0.0)").unwrap();
        assert_eq!(req.normalized_name(), "delegator-py");
        assert_eq!(req.specifier(), Some("<=0.0"));
        let eval = req.thoth_marker_evaluation(&linux());
        assert!(eval.result);
        assert_eq!(eval.marker, None);
        assert_eq!(eval.marker_evaluated, None);
        assert_eq!(eval.error, None);

        let req = Requirement::parse(r#"xonsh ; (python_version >= "2.0")"#).unwrap();
        assert_eq!(req.specifier(), None);
        let eval = req.thoth_marker_evaluation(&linux());
        assert_eq!(eval.marker.as_deref(), Some(r#"python_version >= "2.0""#));
        assert_eq!(
            eval.marker_evaluated.as_deref(),
            Some(r#"python_version >= "2.0""#)
        );
        assert!(eval.result);
    }

    #[test]
    fn fields_and_specifier_form() {
        let req =
            Requirement::parse("pyOpenSSL[Security] >=1.0, <2 ; python_version < '3.8'").unwrap();
        assert_eq!(req.name(), "pyOpenSSL");
        assert_eq!(req.normalized_name(), "pyopenssl");
        assert_eq!(req.extras(), ["security"]);
        assert_eq!(req.specifier(), Some("<2,>=1.0"));
        assert_eq!(req.version_specifiers().map(|s| s.len()), Some(2));
        assert_eq!(req.marker().as_deref(), Some(r#"python_version < "3.8""#));
        assert!(!req.evaluate_marker(&linux(), &[]));

        let url =
            Requirement::parse("pip @ https://example.invalid/a;b/pip-1.0.zip ; os_name == 'nt'")
                .unwrap();
        assert_eq!(url.url(), Some("https://example.invalid/a;b/pip-1.0.zip"));
        assert_eq!(url.specifier(), None);
        assert_eq!(url.marker().as_deref(), Some(r#"os_name == "nt""#));
    }

    #[test]
    fn evaluation_with_extras_and_platforms() {
        let req = Requirement::parse(
            r#"pytest-black (>=0.3.7) ; (platform_python_implementation != "PyPy") and extra == 'testing'"#,
        )
        .unwrap();
        let env = linux();
        assert!(!req.evaluate_marker(&env, &[]));
        assert!(req.evaluate_marker(&env, &["testing"]));
        assert!(req.evaluate_marker(&env, &["Testing", "not a valid extra!"]));
        let pypy = TargetEnvironment::from_shorthand("pypy3.10", "linux").unwrap();
        assert!(!req.evaluate_marker(&pypy, &["testing"]));
        let thoth = req.thoth_marker_evaluation(&pypy);
        assert!(!thoth.result);
        assert_eq!(thoth.extra, ["testing"]);

        let win = Requirement::parse("pywin32 ; sys_platform == 'win32'").unwrap();
        let windows = TargetEnvironment::from_shorthand("3.11", "windows-amd64").unwrap();
        assert!(win.evaluate_marker(&windows, &[]));
        assert!(!win.evaluate_marker(&env, &[]));
    }

    #[test]
    fn errors_are_clear() {
        let err = Requirement::parse("not a requirement ((").unwrap_err();
        assert!(matches!(err, RequirementError::Pep508 { .. }), "{err}");
        assert!(err.to_string().contains("not a requirement"));
        assert!(Requirement::parse("foo ; colour == 'red'").is_err());
        assert!(Requirement::parse("").is_err());
    }

    #[test]
    fn errors_inside_multibyte_characters_are_described_not_panics() {
        // Found by the provenance_requirements fuzz target: pep508_rs's caret line slices here.
        let err = Requirement::parse("t[0\t\t\u{3ff}requir[/var&").expect_err("invalid");
        assert!(err.to_string().contains("at byte"), "{err}");
    }

    #[test]
    fn names_ending_in_a_separator_are_errors_not_panics() {
        for input in ["baz->=2", "foo[ba.]==1.0", "q[x. https://h/x.whl", "a_[x]"] {
            assert!(Requirement::parse(input).is_err(), "{input}");
        }
        assert!(Requirement::parse("foo[bar,baz]>=1").is_ok());
    }
}
