//! Facts about the machine the analyzer runs on, for the document's metadata: its os-release,
//! the `distro.info()`-shaped distribution, and its host name.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;

/// The os-release keys Thoth's metadata kept (the rest of the file is not about the analyzer).
const METADATA_OS_RELEASE_KEYS: &[&str] = &[
    "id",
    "name",
    "platform_id",
    "redhat_bugzilla_product",
    "redhat_bugzilla_product_version",
    "redhat_support_product",
    "redhat_support_product_version",
    "variant_id",
    "version",
    "version_id",
];

/// Parses an os-release file: `KEY=value` lines, values optionally quoted, keys lowercased.
/// Lines that are not assignments are ignored, as systemd does.
pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        fields.insert(key.to_ascii_lowercase(), unquote(value.trim()));
    }
    fields
}

/// Removes one level of shell quoting and its backslash escapes.
fn unquote(value: &str) -> String {
    let quoted = value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"'))
            || (value.starts_with('\'') && value.ends_with('\'')));
    if !quoted {
        return value.to_owned();
    }
    let inner = &value[1..value.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads the os-release of a root: `etc/os-release`, falling back to `usr/lib/os-release`.
pub fn read_os_release(root: &Path) -> Option<BTreeMap<String, String>> {
    ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|rel| std::fs::read_to_string(root.join(rel)).ok())
        .map(|text| parse_os_release(&text))
}

/// `metadata.os_release`: the running machine's os-release, filtered to Thoth's keys.
pub fn metadata_os_release(fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .iter()
        .filter(|(k, _)| METADATA_OS_RELEASE_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `metadata.distribution`, shaped like Python's `distro.info()`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Distribution {
    pub codename: String,
    pub id: String,
    pub like: String,
    pub version: String,
    pub version_parts: VersionParts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct VersionParts {
    pub build_number: String,
    pub major: String,
    pub minor: String,
}

impl Distribution {
    pub fn from_os_release(fields: &BTreeMap<String, String>) -> Self {
        let get = |key: &str| fields.get(key).cloned().unwrap_or_default();
        let version = get("version_id");
        let mut parts = version.splitn(3, '.').map(str::to_owned);
        let version_parts = VersionParts {
            major: parts.next().unwrap_or_default(),
            minor: parts.next().unwrap_or_default(),
            build_number: parts.next().unwrap_or_default(),
        };
        // distro takes the codename from VERSION_CODENAME, else from "VERSION (codename)".
        let codename = fields
            .get("version_codename")
            .cloned()
            .or_else(|| {
                let v = fields.get("version")?;
                let start = v.find('(')?;
                let end = v[start..].find(')')? + start;
                Some(v[start + 1..end].trim().to_owned())
            })
            .unwrap_or_default();
        Self {
            codename,
            id: get("id"),
            like: get("id_like"),
            version,
            version_parts,
        }
    }
}

/// The host name as `platform.node()` gives it (in a cluster: the pod name).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEDORA: &str = r#"NAME=Fedora
VERSION="32 (Container Image)"
ID=fedora
VERSION_ID=32
PLATFORM_ID="platform:f32"
PRETTY_NAME="Fedora 32 (Container Image)"
REDHAT_BUGZILLA_PRODUCT="Fedora"
VARIANT_ID=container
# a comment
not an assignment
"#;

    #[test]
    fn parses_and_filters_like_thoth() {
        let fields = parse_os_release(FEDORA);
        assert_eq!(fields["version"], "32 (Container Image)");
        assert_eq!(fields["pretty_name"], "Fedora 32 (Container Image)");
        let meta = metadata_os_release(&fields);
        assert!(!meta.contains_key("pretty_name"));
        assert_eq!(meta["platform_id"], "platform:f32");
        assert_eq!(meta.len(), 7);
    }

    #[test]
    fn distribution_matches_distro_info() {
        let d = Distribution::from_os_release(&parse_os_release(FEDORA));
        assert_eq!(d.id, "fedora");
        assert_eq!(d.version, "32");
        assert_eq!(d.version_parts.major, "32");
        assert_eq!(d.version_parts.minor, "");
        assert_eq!(d.codename, "Container Image");
        let debian = parse_os_release(
            "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID_LIKE=\"\"\n",
        );
        let d = Distribution::from_os_release(&debian);
        assert_eq!(d.codename, "bookworm");
        let rhel = parse_os_release("ID=rhel\nID_LIKE=fedora\nVERSION_ID=\"8.2\"\n");
        let d = Distribution::from_os_release(&rhel);
        assert_eq!(
            (
                d.version_parts.major.as_str(),
                d.version_parts.minor.as_str()
            ),
            ("8", "2")
        );
        assert_eq!(d.like, "fedora");
    }

    #[test]
    fn unquotes_escapes() {
        let f = parse_os_release(r#"NAME="say \"hi\"""#);
        assert_eq!(f["name"], r#"say "hi""#);
        let f = parse_os_release("NAME='single'");
        assert_eq!(f["name"], "single");
    }
}
