//! Environment markers as text, the way Python's `packaging` library keeps and prints them.
//!
//! `pep508_rs` evaluates markers, but it stores them as a decision diagram: it simplifies them
//! (`sys_platform == "win32" and sys_platform == "linux"` becomes "never") and prints them in its
//! own normal form. Thoth's documents record markers as `packaging` prints them and rewrite the
//! `extra` clauses textually, so this module keeps the marker's syntax tree: the flat
//! `atom (and|or atom)*` lists `packaging` builds, with parenthesised groups nested.

use std::fmt::Write as _;

/// Why a marker could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid marker at byte {position}: {message}")]
pub struct MarkerSyntaxError {
    /// Byte offset into the marker text.
    pub position: usize,
    /// What was expected.
    pub message: String,
}

/// A marker expression `packaging`-style: a flat list of atoms joined by `and`/`or` (precedence
/// is left to the evaluator, as in `packaging`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MarkerList {
    first: Atom,
    rest: Vec<(BoolOp, Atom)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BoolOp {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Expr(Expr),
    Group(Box<MarkerList>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Expr {
    left: Operand,
    op: String,
    right: Operand,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Operand {
    Variable(String),
    Value(String),
}

impl Operand {
    fn write(&self, out: &mut String) {
        match self {
            Self::Variable(name) => out.push_str(name),
            // `packaging` always prints double quotes; a value holding one needs single quotes.
            Self::Value(value) if value.contains('"') => {
                let _ = write!(out, "'{value}'");
            }
            Self::Value(value) => {
                let _ = write!(out, "\"{value}\"");
            }
        }
    }
}

/// The marker variables PEP 508 defines, with the PEP 345 dotted spellings `packaging` also
/// accepts (`os.name`, `sys.platform`, `platform.machine`, ...) and `python_implementation`.
fn canonical_variable(word: &str) -> Option<&'static str> {
    Some(match word.replace('.', "_").as_str() {
        "python_version" => "python_version",
        "python_full_version" => "python_full_version",
        "os_name" => "os_name",
        "sys_platform" => "sys_platform",
        "platform_release" => "platform_release",
        "platform_system" => "platform_system",
        "platform_version" => "platform_version",
        "platform_machine" => "platform_machine",
        "platform_python_implementation" | "python_implementation" => {
            "platform_python_implementation"
        }
        "implementation_name" => "implementation_name",
        "implementation_version" => "implementation_version",
        "extra" => "extra",
        _ => return None,
    })
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn error<T>(&self, message: impl Into<String>) -> Result<T, MarkerSyntaxError> {
        Err(MarkerSyntaxError {
            position: self.pos,
            message: message.into(),
        })
    }

    fn skip_ws(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// The identifier-like word at the cursor (letters, digits, `_`, `.`), not consumed.
    fn peek_word(&self) -> &'a str {
        let rest = self.rest();
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        &rest[..end]
    }

    fn list(&mut self) -> Result<MarkerList, MarkerSyntaxError> {
        let first = self.atom()?;
        let mut rest = Vec::new();
        loop {
            self.skip_ws();
            let op = match self.peek_word() {
                "and" => BoolOp::And,
                "or" => BoolOp::Or,
                _ => break,
            };
            self.pos += if op == BoolOp::And { 3 } else { 2 };
            rest.push((op, self.atom()?));
        }
        Ok(MarkerList { first, rest })
    }

    fn atom(&mut self) -> Result<Atom, MarkerSyntaxError> {
        self.skip_ws();
        if self.rest().starts_with('(') {
            self.pos += 1;
            let inner = self.list()?;
            self.skip_ws();
            if !self.rest().starts_with(')') {
                return self.error("expected `)`");
            }
            self.pos += 1;
            return Ok(Atom::Group(Box::new(inner)));
        }
        let left = self.operand()?;
        self.skip_ws();
        let op = self.operator()?;
        let right = self.operand()?;
        Ok(Atom::Expr(Expr { left, op, right }))
    }

    fn operand(&mut self) -> Result<Operand, MarkerSyntaxError> {
        self.skip_ws();
        let rest = self.rest();
        if let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let Some(end) = rest[1..].find(quote) else {
                return self.error("unterminated string");
            };
            let value = rest[1..1 + end].to_owned();
            self.pos += end + 2;
            return Ok(Operand::Value(value));
        }
        let word = self.peek_word();
        match canonical_variable(word) {
            Some(name) => {
                self.pos += word.len();
                Ok(Operand::Variable(name.to_owned()))
            }
            None if word.is_empty() => self.error("expected a marker variable or a quoted string"),
            None => self.error(format!("unknown marker variable `{word}`")),
        }
    }

    fn operator(&mut self) -> Result<String, MarkerSyntaxError> {
        let rest = self.rest();
        for op in ["===", "==", "!=", "<=", ">=", "~=", "<", ">"] {
            if rest.starts_with(op) {
                self.pos += op.len();
                return Ok(op.to_owned());
            }
        }
        match self.peek_word() {
            "in" => {
                self.pos += 2;
                Ok("in".to_owned())
            }
            "not" => {
                self.pos += 3;
                self.skip_ws();
                if self.peek_word() == "in" {
                    self.pos += 2;
                    Ok("not in".to_owned())
                } else {
                    self.error("expected `in` after `not`")
                }
            }
            _ => self.error("expected a comparison operator"),
        }
    }
}

impl MarkerList {
    /// Parses marker text (what follows `;` in a requirement).
    pub(crate) fn parse(text: &str) -> Result<Self, MarkerSyntaxError> {
        let mut parser = Parser { text, pos: 0 };
        let list = parser.list()?;
        parser.skip_ws();
        if parser.pos != text.len() {
            return parser.error("unexpected text after the marker");
        }
        Ok(list)
    }

    /// Prints the marker as `packaging.markers.Marker.__str__` does: double-quoted values, single
    /// spaces, and parentheses only around groups of more than one atom inside a longer list.
    pub(crate) fn to_packaging_string(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, true);
        out
    }

    fn write(&self, out: &mut String, first: bool) {
        if self.rest.is_empty() {
            // `packaging`: a one-item list prints its item without parentheses.
            Self::write_atom(&self.first, out, true);
            return;
        }
        if !first {
            out.push('(');
        }
        Self::write_atom(&self.first, out, false);
        for (op, atom) in &self.rest {
            out.push_str(match op {
                BoolOp::And => " and ",
                BoolOp::Or => " or ",
            });
            Self::write_atom(atom, out, false);
        }
        if !first {
            out.push(')');
        }
    }

    fn write_atom(atom: &Atom, out: &mut String, first: bool) {
        match atom {
            Atom::Group(list) => list.write(out, first),
            Atom::Expr(expr) => {
                expr.left.write(out);
                out.push(' ');
                out.push_str(&expr.op);
                out.push(' ');
                expr.right.write(out);
            }
        }
    }

    /// Thoth's `_marker_reduction`: every comparison involving `extra` becomes
    /// `python_version >= "0.0"` (always true), and the extra names compared against are
    /// collected (first-seen order, no duplicates). The extras then no longer decide the outcome:
    /// the marker says whether the requirement applies to the environment when the extra is asked
    /// for.
    pub(crate) fn without_extras(&self, extras: &mut Vec<String>) -> Self {
        let reduce = |atom: &Atom, extras: &mut Vec<String>| match atom {
            Atom::Group(list) => Atom::Group(Box::new(list.without_extras(extras))),
            Atom::Expr(expr) => {
                let value = match (&expr.left, &expr.right) {
                    (Operand::Variable(v), Operand::Value(value))
                    | (Operand::Value(value), Operand::Variable(v))
                        if v == "extra" =>
                    {
                        Some(value.clone())
                    }
                    (Operand::Variable(v), _) | (_, Operand::Variable(v)) if v == "extra" => {
                        Some(String::new())
                    }
                    _ => None,
                };
                match value {
                    None => Atom::Expr(expr.clone()),
                    Some(value) => {
                        if !value.is_empty() && !extras.contains(&value) {
                            extras.push(value);
                        }
                        Atom::Expr(Expr {
                            left: Operand::Variable("python_version".to_owned()),
                            op: ">=".to_owned(),
                            right: Operand::Value("0.0".to_owned()),
                        })
                    }
                }
            }
        };
        MarkerList {
            first: reduce(&self.first, extras),
            rest: self
                .rest
                .iter()
                .map(|(op, atom)| (*op, reduce(atom, extras)))
                .collect(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        MarkerList::parse(text).unwrap().to_packaging_string()
    }

    #[test]
    fn prints_like_packaging() {
        assert_eq!(
            fmt(r#"(sys_platform == "win32") and (sys_platform == "linux") and extra == 'ssl'"#),
            r#"sys_platform == "win32" and sys_platform == "linux" and extra == "ssl""#
        );
        assert_eq!(
            fmt(r#"(python_version >= "2.0")"#),
            r#"python_version >= "2.0""#
        );
        assert_eq!(
            fmt(r#"(os_name=='nt' or os_name == "posix")and extra=="x""#),
            r#"(os_name == "nt" or os_name == "posix") and extra == "x""#
        );
        assert_eq!(fmt(r#"(os.name == "1")"#), r#"os_name == "1""#);
        assert_eq!(
            fmt(r#"'linux' not   in sys_platform"#),
            r#""linux" not in sys_platform"#
        );
        assert_eq!(
            fmt(r#"((python_version < "3"))"#),
            r#"python_version < "3""#
        );
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "",
            "python_version",
            "python_version >= ",
            r#"python_version >= "3"  and"#,
            r#"(python_version >= "3""#,
            r#"colour == "red""#,
            r#"python_version >= "3" xor"#,
            r#"os_name == 'nt"#,
            r#"os_name not == "nt""#,
        ] {
            assert!(MarkerList::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn extra_reduction() {
        let list = MarkerList::parse(
            r#"extra == 'a' or ("b" == extra and os_name == "nt") or extra == "a""#,
        )
        .unwrap();
        let mut extras = Vec::new();
        let reduced = list.without_extras(&mut extras);
        assert_eq!(extras, ["a", "b"]);
        assert_eq!(
            reduced.to_packaging_string(),
            r#"python_version >= "0.0" or (python_version >= "0.0" and os_name == "nt") or python_version >= "0.0""#
        );
    }
}
