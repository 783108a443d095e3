//! The store's catalogues: `<driver>-images/images.json` (names, ids, digests, big-data keys)
//! and `<driver>-layers/layers.json` (the parent chain and each layer's uncompressed digest),
//! and finding an image by the names podman accepts.

use std::collections::HashMap;

use serde::Deserialize;

use crate::source::reference::edit_distance;

/// One entry of `images.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ImageRecord {
    pub id: String,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub digests: Vec<String>,
    #[serde(default)]
    pub names: Vec<String>,
    /// The top layer; its parents are the rest.
    #[serde(default)]
    pub layer: Option<String>,
    #[serde(default, rename = "big-data-names")]
    pub big_data_names: Vec<String>,
}

/// One entry of `layers.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct LayerRecord {
    pub id: String,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default, rename = "diff-digest")]
    pub diff_digest: Option<String>,
    #[serde(default, rename = "diff-size")]
    pub diff_size: Option<u64>,
}

/// At most this many layers in one chain (OCI images stop near 127; this bounds a cycle).
const MAX_CHAIN: usize = 1000;

/// The layers under `top`, base first.
pub fn chain<'a>(layers: &'a [LayerRecord], top: &str) -> Result<Vec<&'a LayerRecord>, String> {
    let by_id: HashMap<&str, &LayerRecord> = layers.iter().map(|l| (l.id.as_str(), l)).collect();
    let mut out = Vec::new();
    let mut next = Some(top);
    while let Some(id) = next {
        let layer = by_id.get(id).ok_or_else(|| {
            format!("layer {id} is named by the image but missing from layers.json")
        })?;
        if out.len() >= MAX_CHAIN {
            return Err(format!(
                "the layer chain under {top} is longer than {MAX_CHAIN} (a cycle?)"
            ));
        }
        out.push(*layer);
        next = layer.parent.as_deref().filter(|p| !p.is_empty());
    }
    out.reverse();
    Ok(out)
}

/// What the user asked for, split as podman does: a repository, a tag, a digest.
#[derive(Debug, PartialEq, Eq)]
struct Wanted<'a> {
    repository: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn split(text: &str) -> Wanted<'_> {
    let (name, digest) = match text.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (text, None),
    };
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(colon) => Wanted {
            repository: &name[..slash + colon],
            tag: Some(&name[slash + colon + 1..]),
            digest,
        },
        None => Wanted {
            repository: name,
            tag: None,
            digest,
        },
    }
}

/// Whether the first component names a registry (`host.tld/`, `host:port/`, `localhost/`).
fn has_domain(repository: &str) -> bool {
    repository.split_once('/').is_some_and(|(first, _)| {
        first.contains('.') || first.contains(':') || first == "localhost"
    })
}

/// The fully qualified repositories a short name may stand for, in podman's order:
/// `localhost/` first (what `podman build -t name` stores), then Docker Hub's normalisation.
fn qualified(repository: &str) -> Vec<String> {
    if let Some(official) = repository
        .strip_prefix("docker.io/")
        .filter(|r| !r.contains('/'))
    {
        return vec![format!("docker.io/library/{official}")];
    }
    if has_domain(repository) {
        return vec![repository.to_owned()];
    }
    let mut out = vec![format!("localhost/{repository}")];
    if !repository.contains('/') {
        out.push(format!("docker.io/library/{repository}"));
    }
    out.push(format!("docker.io/{repository}"));
    out
}

impl ImageRecord {
    fn has_digest(&self, digest: &str) -> bool {
        self.digest.as_deref() == Some(digest)
            || self.digests.iter().any(|d| d == digest)
            || self
                .big_data_names
                .iter()
                .any(|k| k.strip_prefix("manifest-") == Some(digest))
    }

    /// Whether one of the image's names is `repository` (and `tag`, when given).
    fn named(&self, repository: &str, tag: Option<&str>, suffix: bool) -> bool {
        self.names.iter().any(|n| {
            let w = split(n);
            let repo_matches = if suffix {
                w.repository.ends_with(&format!("/{repository}"))
            } else {
                w.repository == repository
            };
            repo_matches && (tag.is_none() || w.tag == tag)
        })
    }
}

/// Finds `text` among `images` as podman does: a full id, an id prefix, `sha256:ID`, a name
/// (short names tried under `localhost/` then `docker.io/library/`, then as the last path
/// components of a stored name), `NAME@DIGEST`, or a bare `@DIGEST`.
pub fn find<'a>(images: &'a [ImageRecord], text: &str) -> Result<&'a ImageRecord, String> {
    let id_text = text.strip_prefix("sha256:").unwrap_or(text);
    if id_text.len() >= 3 && id_text.len() <= 64 && id_text.bytes().all(|b| b.is_ascii_hexdigit()) {
        let hits: Vec<_> = images
            .iter()
            .filter(|i| i.id.starts_with(id_text))
            .collect();
        match hits.as_slice() {
            [one] => return Ok(one),
            [] => {}
            many => {
                return Err(format!(
                    "the id prefix {id_text} is ambiguous: it starts {} images; give more of it",
                    many.len()
                ));
            }
        }
    }
    let wanted = split(text);
    // A digest pins the manifest; the tag then does not matter, as in podman.
    let tag = match wanted.digest {
        Some(_) => None,
        None => Some(wanted.tag.unwrap_or("latest")),
    };
    let digest_ok = |i: &&ImageRecord| wanted.digest.is_none_or(|d| i.has_digest(d));
    if wanted.repository.is_empty() {
        if let Some(found) = images.iter().find(digest_ok) {
            return Ok(found);
        }
    } else {
        for repository in qualified(wanted.repository) {
            if let Some(found) = images
                .iter()
                .filter(digest_ok)
                .find(|i| i.named(&repository, tag, false))
            {
                return Ok(found);
            }
        }
        if !has_domain(wanted.repository) {
            let hits: Vec<_> = images
                .iter()
                .filter(digest_ok)
                .filter(|i| i.named(wanted.repository, tag, true))
                .collect();
            if let [one] = hits.as_slice() {
                return Ok(one);
            }
            if hits.len() > 1 {
                return Err(format!(
                    "the short name {text:?} matches {} images; give the full name",
                    hits.len()
                ));
            }
        }
    }
    Err(not_found(images, text))
}

fn not_found(images: &[ImageRecord], text: &str) -> String {
    let mut names: Vec<(usize, &str)> = images
        .iter()
        .flat_map(|i| i.names.iter())
        .map(|n| (nearness(text, n), n.as_str()))
        .collect();
    names.sort();
    let nearest: Vec<&str> = names.iter().take(5).map(|(_, n)| *n).collect();
    if nearest.is_empty() {
        format!("the store holds no image {text:?} (it holds no named images)")
    } else {
        format!(
            "the store holds no image {text:?}; the nearest of its {} names: {}",
            names.len(),
            nearest.join(", ")
        )
    }
}

/// How far a stored name is from what was asked: the edit distance to the name, or to its
/// last path component when the user gave a short name.
fn nearness(asked: &str, stored: &str) -> usize {
    let short = stored.rsplit('/').next().unwrap_or(stored);
    edit_distance(asked, stored).min(edit_distance(asked, short))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, names: &[&str], digest: &str) -> ImageRecord {
        ImageRecord {
            id: id.into(),
            digest: Some(digest.into()),
            digests: vec![],
            names: names.iter().map(|n| (*n).to_owned()).collect(),
            layer: None,
            big_data_names: vec![],
        }
    }

    #[test]
    fn finds_images_as_podman_does() {
        let a = "a".repeat(64);
        let b = format!("b{}", "0".repeat(63));
        let images = vec![
            image(&a, &["docker.io/library/alpine:3.10"], "sha256:11"),
            image(
                &b,
                &["localhost/del:latest", "quay.io/org/tool:2"],
                "sha256:22",
            ),
        ];
        let id = |t: &str| find(&images, t).map(|i| i.id.clone());
        assert_eq!(id("alpine:3.10"), Ok(a.clone()));
        assert_eq!(id("docker.io/alpine:3.10"), Ok(a.clone()));
        assert!(id("quay.io/alpine:3.10").is_err());
        assert_eq!(id("docker.io/library/alpine:3.10"), Ok(a.clone()));
        assert_eq!(id("del"), Ok(b.clone()));
        assert_eq!(id("localhost/del:latest"), Ok(b.clone()));
        assert_eq!(id("tool:2"), Ok(b.clone()));
        assert_eq!(id("org/tool:2"), Ok(b.clone()));
        assert_eq!(id("aaaa"), Ok(a.clone()));
        assert_eq!(id(&format!("sha256:{b}")), Ok(b.clone()));
        assert_eq!(id("alpine@sha256:11"), Ok(a.clone()));
        assert_eq!(id("@sha256:22"), Ok(b.clone()));
        let e = id("alpine@sha256:22").expect_err("digest of another image");
        assert!(e.contains("no image"), "{e}");
        let e = id("alpine").expect_err("no latest tag");
        assert!(e.contains("docker.io/library/alpine:3.10"), "{e}");
        let e = id("alpne:3.10").expect_err("typo");
        assert!(e.starts_with("the store holds no image \"alpne:3.10\"; the nearest of its 3 names: docker.io/library/alpine:3.10"), "{e}");
    }

    #[test]
    fn follows_parent_chains_base_first() {
        let l = |id: &str, parent: Option<&str>| LayerRecord {
            id: id.into(),
            parent: parent.map(Into::into),
            diff_digest: None,
            diff_size: None,
        };
        let layers = vec![
            l("top", Some("mid")),
            l("base", None),
            l("mid", Some("base")),
        ];
        let ids: Vec<_> = chain(&layers, "top")
            .expect("chain")
            .iter()
            .map(|l| l.id.clone())
            .collect();
        assert_eq!(ids, ["base", "mid", "top"]);
        let cycle = vec![l("x", Some("y")), l("y", Some("x"))];
        assert!(chain(&cycle, "x").expect_err("cycle").contains("cycle"));
        assert!(
            chain(&layers, "gone")
                .expect_err("missing")
                .contains("missing")
        );
    }
}
