//! The path patterns catalogers declare: absolute paths whose components may hold `*` and `?`,
//! and `**` for any number of components (`/**/conda-meta/*.json`).

use crate::path::ImagePath;

/// A compiled pattern: its components, `**` kept as its own component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    parts: Vec<String>,
}

impl Glob {
    pub fn new(pattern: &str) -> Self {
        Self {
            parts: pattern
                .split('/')
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// The path when the pattern has no wildcard: it names one file, looked up directly (and
    /// through the image's symlinks) instead of searched for.
    pub fn literal(&self) -> Option<ImagePath> {
        let wild = self.parts.iter().any(|p| p.contains(['*', '?']));
        (!wild).then(|| ImagePath::normalize(&self.parts.join("/")).0)
    }

    /// Whether a path named `name` can match: the cheap test that rejects nearly every path
    /// of an image before its components are looked at.
    pub fn may_match_name(&self, name: &str) -> bool {
        match self.parts.last() {
            Some(last) if last != "**" => wildcard(last.as_bytes(), name.as_bytes()),
            _ => true,
        }
    }

    /// Whether `components` (a path split on `/`) matches.
    pub fn matches(&self, components: &[&str]) -> bool {
        match components.last() {
            Some(name) if !self.may_match_name(name) => false,
            _ => match_parts(&self.parts, components),
        }
    }

    pub fn matches_path(&self, path: &ImagePath) -> bool {
        let components: Vec<&str> = path.components().collect();
        self.matches(&components)
    }

    /// The pattern under the other half of a merged `/usr` (`/lib/x` and `/usr/lib/x`): the
    /// layer walk cannot follow symlinks another layer may add, so both spellings are kept and
    /// the catalogers resolve the declared path through the image's links afterwards.
    pub fn usr_merge_twin(&self) -> Option<Self> {
        const MERGED: [&str; 5] = ["bin", "sbin", "lib", "lib64", "lib32"];
        match self.parts.as_slice() {
            [usr, top, ..] if usr == "usr" && MERGED.contains(&top.as_str()) => Some(Self {
                parts: self.parts[1..].to_vec(),
            }),
            [top, ..] if MERGED.contains(&top.as_str()) => {
                let mut parts = vec!["usr".to_owned()];
                parts.extend(self.parts.iter().cloned());
                Some(Self { parts })
            }
            _ => None,
        }
    }
}

fn match_parts(parts: &[String], components: &[&str]) -> bool {
    match parts.split_first() {
        None => components.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=components.len()).any(|skip| match_parts(rest, &components[skip..]))
        }
        Some((first, rest)) => match components.split_first() {
            Some((c, tail)) => wildcard(first.as_bytes(), c.as_bytes()) && match_parts(rest, tail),
            None => false,
        },
    }
}

/// One component: `*` any run of bytes, `?` one byte, anything else itself.
pub fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard(&pattern[1..], text) || (!text.is_empty() && wildcard(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => wildcard(&pattern[1..], &text[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        Glob::new(pattern).matches_path(&ImagePath::normalize(path).0)
    }

    #[test]
    fn wildcards() {
        assert!(wildcard(b"*.conf", b"x86_64-linux-gnu.conf"));
        assert!(!wildcard(b"*.conf", b"README"));
        assert!(wildcard(b"lib?.so", b"libz.so"));
    }

    #[test]
    fn components_and_double_stars() {
        assert!(m("/var/lib/dpkg/status", "/var/lib/dpkg/status"));
        assert!(!m("/var/lib/dpkg/status", "/var/lib/dpkg/status-old"));
        assert!(m(
            "/var/lib/dpkg/info/*.list",
            "/var/lib/dpkg/info/zlib1g:amd64.list"
        ));
        assert!(!m(
            "/var/lib/dpkg/info/*.list",
            "/var/lib/dpkg/info/x/y.list"
        ));
        assert!(m(
            "/**/conda-meta/*.json",
            "/opt/conda/conda-meta/zlib-1.3-h0.json"
        ));
        assert!(m("/**/conda-meta/*.json", "/conda-meta/a.json"));
        assert!(m(
            "/**/conda-meta/*.json",
            "/opt/conda/envs/ml/conda-meta/numpy-2.0-py312.json"
        ));
        assert!(!m("/**/conda-meta/*.json", "/opt/conda/conda-meta/history"));
        assert!(m(
            "/**/*.dist-info/METADATA",
            "/usr/lib/python3/site-packages/a-1.dist-info/METADATA"
        ));
        assert!(m("/**", "/anything/at/all"));
    }

    #[test]
    fn literals_and_usr_merge_twins() {
        let g = Glob::new("/lib/apk/db/installed");
        assert_eq!(
            g.literal().map(|p| p.to_string()).as_deref(),
            Some("/lib/apk/db/installed")
        );
        assert_eq!(
            g.usr_merge_twin(),
            Some(Glob::new("/usr/lib/apk/db/installed"))
        );
        assert_eq!(
            Glob::new("/usr/lib/apk/db/installed").usr_merge_twin(),
            Some(Glob::new("/lib/apk/db/installed"))
        );
        assert_eq!(
            Glob::new("/usr/lib/sysimage/rpm/Packages").usr_merge_twin(),
            Some(Glob::new("/lib/sysimage/rpm/Packages"))
        );
        assert_eq!(Glob::new("/var/lib/rpm/Packages").usr_merge_twin(), None);
        assert_eq!(Glob::new("/**/x.json").literal(), None);
    }
}
