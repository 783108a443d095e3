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

/// What a platform selection needs to know besides the index.
pub struct Wanted<'p> {
    pub platform: &'p Platform,
    /// The user asked for this platform (`--platform`); otherwise it is the machine's own,
    /// and a layout that holds one image only is read as that image.
    pub given: bool,
    /// Whether the blob a descriptor names is at hand (a layout may hold only some).
    pub present: &'p dyn Fn(&str) -> bool,
}

/// The descriptor chosen from an index, and what was chosen on the user's behalf.
pub struct Choice<'a> {
    pub descriptor: &'a Value,
    pub note: Option<String>,
}

/// `os/arch[/variant]` of a descriptor's `platform`, if it has one.
pub fn describe(descriptor: &Value) -> Option<String> {
    let p = descriptor.get("platform")?;
    let f = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default();
    let v = f("variant");
    Some(if v.is_empty() {
        format!("{}/{}", f("os"), f("architecture"))
    } else {
        format!("{}/{}/{v}", f("os"), f("architecture"))
    })
}

fn digest_of(descriptor: &Value) -> &str {
    descriptor
        .get("digest")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Attestation manifests (`unknown/unknown`) ride along in buildx indexes; they are not images.
fn is_attestation(descriptor: &Value) -> bool {
    describe(descriptor).as_deref() == Some("unknown/unknown")
        || descriptor
            .pointer("/annotations/vnd.docker.reference.type")
            .is_some()
}

/// The descriptor in `index.manifests` for the wanted platform; the message lists what is
/// there (platforms, or digests of entries without one).
pub fn select<'a>(index: &'a Value, wanted: &Wanted<'_>) -> Result<Choice<'a>, String> {
    let manifests = index
        .get("manifests")
        .and_then(Value::as_array)
        .ok_or("the image index lists no manifests")?;
    let images: Vec<&Value> = manifests.iter().filter(|m| !is_attestation(m)).collect();
    let platform = wanted.platform;
    if let Some(found) = images
        .iter()
        .find(|m| m.get("platform").is_some_and(|p| platform.matches(p)))
    {
        if (wanted.present)(digest_of(found)) {
            return Ok(Choice {
                descriptor: found,
                note: None,
            });
        }
    }
    let present: Vec<&&Value> = images
        .iter()
        .filter(|m| (wanted.present)(digest_of(m)))
        .collect();
    let label = |m: &Value| describe(m).unwrap_or_else(|| format!("no platform, {}", digest_of(m)));
    // One image at hand: an index of one entry (containerd takes an entry without a platform
    // when it is the only one), or a single-platform export of a multi-platform index.
    let unplatformed_single = images.len() == 1 && images[0].get("platform").is_none();
    if !wanted.given || unplatformed_single {
        if let [only] = present.as_slice() {
            let note = if images.len() == 1 && only.get("platform").is_none() {
                format!(
                    "the image index names one manifest, {}, without a platform; it was read",
                    digest_of(only)
                )
            } else {
                format!(
                    "the image holds only {} of the {} platforms its index lists; it was read as that platform (choose with --platform)",
                    label(only),
                    images.len()
                )
            };
            return Ok(Choice {
                descriptor: only,
                note: Some(note),
            });
        }
    }
    let artifacts: Vec<&str> = manifests
        .iter()
        .filter_map(|m| m.get("artifactType").and_then(Value::as_str))
        .filter(|t| !super::artifact::IMAGE_CONFIGS.contains(t))
        .collect();
    if !artifacts.is_empty() && artifacts.len() == manifests.len() {
        return Err(format!(
            "the index lists OCI artifacts ({}), not container images: nothing to inventory",
            artifacts.join(", ")
        ));
    }
    let listed: Vec<String> = images.iter().map(|m| label(m)).collect();
    let absent = images
        .iter()
        .find(|m| m.get("platform").is_some_and(|p| platform.matches(p)))
        .filter(|m| !(wanted.present)(digest_of(m)));
    if let Some(m) = absent {
        let here: Vec<String> = present.iter().map(|m| label(m)).collect();
        return Err(format!(
            "the index lists {platform} (manifest {}), but its blob is not here; the images present are: {}",
            digest_of(m),
            if here.is_empty() {
                "none".into()
            } else {
                here.join(", ")
            }
        ));
    }
    if images.iter().all(|m| m.get("platform").is_none()) {
        return Err(format!(
            "the index entries carry no platform, so --platform cannot choose; name one by digest as oci:DIR@DIGEST (digests: {})",
            images
                .iter()
                .map(|m| digest_of(m))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Err(format!(
        "the image has no {platform} variant; it has: {}. Choose one with --platform (or by digest, oci:DIR@DIGEST)",
        listed.join(", ")
    ))
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
        let all = |_: &str| true;
        let pick = |p: &str, given: bool, present: &dyn Fn(&str) -> bool| {
            let platform: Platform = p.parse().expect("p");
            select(
                &index,
                &Wanted {
                    platform: &platform,
                    given,
                    present,
                },
            )
            .map(|c| (c.descriptor["digest"].clone(), c.note))
        };
        assert_eq!(pick("linux/arm/v7", true, &all).expect("found").0, "b");
        assert_eq!(pick("linux/arm", true, &all).expect("found").0, "b");
        let err = pick("linux/s390x", true, &all).expect_err("absent");
        assert!(err.contains("linux/amd64, linux/arm/v7"), "{err}");
        // A single-platform export: only b is at hand.
        let only_b = |d: &str| d == "b";
        let (d, note) = pick("linux/amd64", false, &only_b).expect("the one present");
        assert_eq!(d, "b");
        assert!(note.expect("a note").contains("linux/arm/v7"));
        let err = pick("linux/amd64", true, &only_b).expect_err("asked for amd64");
        assert!(err.contains("present are: linux/arm/v7"), "{err}");
        let bare = serde_json::json!({"manifests": [{"digest": "x"}, {"digest": "y"}]});
        let platform: Platform = "linux/amd64".parse().expect("p");
        let err = select(
            &bare,
            &Wanted {
                platform: &platform,
                given: true,
                present: &all,
            },
        )
        .err()
        .expect("no platforms");
        assert!(err.contains("digests: x, y"), "{err}");
    }
}
