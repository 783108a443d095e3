//! Picking one image from an image index / manifest list by platform.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// `os/arch[/variant]`, as `--platform` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// The machine the analyzer runs on, in OCI's names.
    pub fn host() -> Self {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Self {
            os: "linux".into(),
            architecture: architecture.into(),
            variant: None,
        }
    }

    fn matches(&self, p: &Value) -> bool {
        let field = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default();
        field("os") == self.os
            && field("architecture") == self.architecture
            && self
                .variant
                .as_deref()
                .is_none_or(|v| field("variant") == v)
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Self {
                os: (*os).into(),
                architecture: (*arch).into(),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Self {
                    os: (*os).into(),
                    architecture: (*arch).into(),
                    variant: Some((*variant).into()),
                })
            }
            _ => Err(format!(
                "platform {s:?} is not os/arch[/variant], e.g. linux/amd64 or linux/arm/v7"
            )),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Whether a manifest's media type is an index / manifest list.
pub fn is_index(media_type: &str, doc: &Value) -> bool {
    media_type.contains("image.index")
        || media_type.contains("manifest.list")
        || (media_type.is_empty() && doc.get("manifests").is_some() && doc.get("layers").is_none())
}

/// The descriptor in `index.manifests` for `platform`; the message lists what is there.
pub fn select<'a>(index: &'a Value, platform: &Platform) -> Result<&'a Value, String> {
    let manifests = index
        .get("manifests")
        .and_then(Value::as_array)
        .ok_or("the image index lists no manifests")?;
    manifests
        .iter()
        .find(|m| m.get("platform").is_some_and(|p| platform.matches(p)))
        .ok_or_else(|| {
            let available: Vec<String> = manifests
                .iter()
                .filter_map(|m| m.get("platform"))
                .map(|p| {
                    let f = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default();
                    let v = f("variant");
                    if v.is_empty() {
                        format!("{}/{}", f("os"), f("architecture"))
                    } else {
                        format!("{}/{}/{v}", f("os"), f("architecture"))
                    }
                })
                .collect();
            format!(
                "the image has no {platform} variant; it has: {}. Choose one with --platform",
                available.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_selects() {
        let p: Platform = "linux/arm64".parse().expect("valid");
        assert_eq!(p.to_string(), "linux/arm64");
        assert!("linux".parse::<Platform>().is_err());
        let index = serde_json::json!({"manifests": [
            {"digest": "a", "platform": {"os": "linux", "architecture": "amd64"}},
            {"digest": "b", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
        ]});
        assert_eq!(
            select(&index, &"linux/arm/v7".parse().expect("p")).expect("found")["digest"],
            "b"
        );
        assert_eq!(
            select(&index, &"linux/arm".parse().expect("p")).expect("found")["digest"],
            "b"
        );
        let err = select(&index, &"linux/s390x".parse().expect("p")).expect_err("absent");
        assert!(err.contains("linux/amd64, linux/arm/v7"), "{err}");
    }
}
