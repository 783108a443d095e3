//! Paths inside an image, normalised so they can never leave the image root.

use std::fmt;

/// An absolute, normalised path inside the image: starts with `/`, has no `.`/`..`/empty
/// components and no trailing slash (except the root itself).
///
/// `..` at the root stays at the root, as it does inside a container (a layer entry named
/// `../../etc/passwd` lands on `/etc/passwd` of the image, never outside it).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImagePath(String);

impl ImagePath {
    pub fn root() -> Self {
        Self("/".to_owned())
    }

    /// Normalises a path from a tar entry or a link target, relative to the root.
    /// Returns the path and whether normalisation had to clamp a `..` at the root.
    pub fn normalize(raw: &str) -> (Self, bool) {
        Self::root().join_clamped(raw)
    }

    /// `self` joined with `rel` (absolute `rel` restarts at the root), normalised; the bool
    /// says whether a `..` tried to climb above the root.
    pub fn join_clamped(&self, rel: &str) -> (Self, bool) {
        let mut parts: Vec<&str> = if rel.starts_with('/') {
            Vec::new()
        } else {
            self.components().collect()
        };
        let mut clamped = false;
        for part in rel.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        clamped = true;
                    }
                }
                p => parts.push(p),
            }
        }
        (Self(format!("/{}", parts.join("/"))), clamped)
    }

    /// `text` as a path when it already is normalised (what [`Self::normalize`] would give
    /// back unchanged), without copying it; the text back otherwise.
    pub fn from_normalized(text: String) -> Result<Self, String> {
        let normal = text == "/"
            || (text.starts_with('/')
                && text[1..]
                    .split('/')
                    .all(|part| !matches!(part, "" | "." | "..")));
        if normal { Ok(Self(text)) } else { Err(text) }
    }

    /// Joins a single relative name, for building paths in code (`dir.child("METADATA")`).
    pub fn child(&self, name: &str) -> Self {
        self.join_clamped(name).0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    pub fn components(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.0.split('/').filter(|p| !p.is_empty())
    }

    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }

    pub fn parent(&self) -> Option<Self> {
        if self.is_root() {
            return None;
        }
        match self.0.rfind('/') {
            Some(0) => Some(Self::root()),
            Some(i) => Some(Self(self.0[..i].to_owned())),
            None => None,
        }
    }

    /// Whether `self` is `dir` or lies below it.
    pub fn starts_with(&self, dir: &ImagePath) -> bool {
        dir.is_root()
            || self.0 == dir.0
            || (self.0.starts_with(&dir.0) && self.0.as_bytes().get(dir.0.len()) == Some(&b'/'))
    }

    /// The prefix that every path strictly below `self` starts with.
    pub fn descendant_prefix(&self) -> String {
        if self.is_root() {
            "/".to_owned()
        } else {
            format!("{}/", self.0)
        }
    }
}

impl fmt::Display for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ImagePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl serde::Serialize for ImagePath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_normalized_takes_exactly_what_normalize_leaves_unchanged() {
        for text in [
            "/",
            "/etc",
            "/etc/os-release",
            "",
            "etc",
            "/etc/",
            "//etc",
            "/./etc",
            "/etc/..",
            "/a/../b",
            "/a/.b",
            "/..a",
            "/a//b",
            "/a/b/.",
        ] {
            let unchanged = ImagePath::normalize(text).0.as_str() == text;
            assert_eq!(
                ImagePath::from_normalized(text.to_owned()).is_ok(),
                unchanged,
                "{text:?}"
            );
        }
    }

    fn n(raw: &str) -> String {
        ImagePath::normalize(raw).0.to_string()
    }

    #[test]
    fn normalises_tar_names() {
        assert_eq!(n("./usr/lib/"), "/usr/lib");
        assert_eq!(n("usr//lib/./x"), "/usr/lib/x");
        assert_eq!(n("/etc/os-release"), "/etc/os-release");
        assert_eq!(n("."), "/");
        assert_eq!(n(""), "/");
    }

    #[test]
    fn dotdot_never_leaves_the_root() {
        let (p, clamped) = ImagePath::normalize("../../etc/passwd");
        assert_eq!(p.as_str(), "/etc/passwd");
        assert!(clamped);
        let (p, clamped) = ImagePath::normalize("a/b/../../../../x");
        assert_eq!(p.as_str(), "/x");
        assert!(clamped);
        let (p, clamped) = ImagePath::normalize("a/b/../c");
        assert_eq!(p.as_str(), "/a/c");
        assert!(!clamped);
    }

    #[test]
    fn joins_relative_and_absolute_link_targets() {
        let dir = ImagePath::normalize("/usr/bin").0;
        assert_eq!(
            dir.join_clamped("python3.11").0.as_str(),
            "/usr/bin/python3.11"
        );
        assert_eq!(dir.join_clamped("../lib/x").0.as_str(), "/usr/lib/x");
        assert_eq!(dir.join_clamped("/etc/alt").0.as_str(), "/etc/alt");
        assert_eq!(dir.join_clamped("../../../../host").0.as_str(), "/host");
    }

    #[test]
    fn ancestry() {
        let p = ImagePath::normalize("/usr/lib/x").0;
        assert!(p.starts_with(&ImagePath::normalize("/usr").0));
        assert!(!p.starts_with(&ImagePath::normalize("/us").0));
        assert!(p.starts_with(&ImagePath::root()));
        assert_eq!(p.parent().map(|p| p.to_string()), Some("/usr/lib".into()));
        assert_eq!(
            ImagePath::normalize("/usr").0.parent(),
            Some(ImagePath::root())
        );
        assert_eq!(p.file_name(), "x");
    }
}
