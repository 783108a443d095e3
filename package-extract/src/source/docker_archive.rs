//! Docker archives as every tool writes them: `manifest.json` listing, per image, its config
//! file, tags and layer files (in any key casing: Jib writes `config`/`repoTags`/`layers`);
//! layer members that are links to other members (Bazel, go-containerregistry); configs named by
//! anything (kaniko's `sha256:<hex>`, Jib's `config.json`), identified by their content as
//! `docker load` does; and the legacy layout before Docker 1.10 (`repositories`, `<id>/json`,
//! `<id>/layer.tar`, no `manifest.json`). One reader for `docker-archive:` and the engine's
//! `docker save` stream (`docker-daemon:`).

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

use super::archive::TarIndex;
use super::bounded::MAX_DOCUMENT;
use super::layout::LayoutFs;
use super::{BlobStore, Image, LayerDescriptor, SourceError, diff_ids, parse_json};
use crate::digest::Digest;

/// Parents followed in a legacy archive before it is called a loop.
const MAX_LEGACY_DEPTH: usize = 512;

/// Blobs of a docker archive, found by their member path.
pub struct DockerBlobs(pub TarIndex);

impl BlobStore for DockerBlobs {
    fn open(&self, layer: &LayerDescriptor) -> std::io::Result<Box<dyn Read + Send + '_>> {
        LayoutFs::open(&self.0, &layer.locator)
    }
}

/// A key of `manifest.json`, whatever its casing.
fn field<'a>(entry: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    entry
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `tag` is what the user named: the full tag, the name without registry, or the name
/// without `:latest`.
fn tag_matches(tag: &str, wanted: &str) -> bool {
    let short = tag.rsplit_once('/').map_or(tag, |(_, n)| n);
    [tag, short]
        .iter()
        .any(|t| *t == wanted || t.strip_suffix(":latest") == Some(wanted))
}

/// The digest a member's name claims for its content (`<hex>.json`, `sha256:<hex>`,
/// `blobs/sha256/<hex>`), if it claims one.
fn named_digest(member: &str) -> Option<Digest> {
    let base = member.rsplit('/').next().unwrap_or(member);
    let stem = base.strip_suffix(".json").unwrap_or(base);
    let hex = stem.strip_prefix("sha256:").unwrap_or(stem);
    Digest::parse(&format!("sha256:{hex}")).ok()
}

/// Reads the image named `reference` (a tag; or the only one) from an indexed docker archive.
pub fn open(
    index: TarIndex,
    reference: Option<&str>,
    name: String,
) -> Result<(Image, DockerBlobs), SourceError> {
    if !index.has("manifest.json") {
        if index.has("repositories") {
            return open_legacy(index, reference, name);
        }
        let hint = if index.has("index.json") {
            " (it is an OCI archive: use oci-archive:)"
        } else {
            ""
        };
        return Err(SourceError::Input(format!(
            "{} holds neither manifest.json nor repositories: not a docker archive{hint}",
            index.shown().display()
        )));
    }
    let manifest = parse_json(&index.read("manifest.json", MAX_DOCUMENT)?, "manifest.json")?;
    let images: Vec<&Map<String, Value>> = manifest
        .as_array()
        .ok_or_else(|| SourceError::Input("manifest.json is not a list of images".into()))?
        .iter()
        .filter_map(Value::as_object)
        .collect();
    let tags = |m: &Map<String, Value>| strings(field(m, "RepoTags"));
    let chosen = match reference {
        Some(r) => images
            .iter()
            .find(|m| tags(m).iter().any(|t| tag_matches(t, r)))
            .ok_or_else(|| {
                let all: Vec<String> = images.iter().flat_map(|m| tags(m)).collect();
                SourceError::Input(format!(
                    "the archive has no image tagged {r:?} (tags: {})",
                    all.join(", ")
                ))
            })?,
        None if images.len() == 1 => &images[0],
        None => {
            let all: Vec<String> = images.iter().flat_map(|m| tags(m)).collect();
            return Err(SourceError::Input(format!(
                "the archive holds {} images; name one as docker-archive:FILE:TAG (tags: {})",
                images.len(),
                all.join(", ")
            )));
        }
    };
    let config_path = field(chosen, "Config")
        .and_then(Value::as_str)
        .ok_or_else(|| SourceError::Input("manifest.json names no config for the image".into()))?;
    let config_bytes = index.read(config_path, MAX_DOCUMENT)?;
    let mut notes = Vec::new();
    // docker load and go-containerregistry derive the image ID from the config's content; a
    // file name that claims another digest is only a name.
    let content = Digest::of(&config_bytes);
    if let Some(claimed) = named_digest(config_path) {
        if claimed != content {
            notes.push(format!(
                "the config file {config_path} is named for {claimed}, but its content hashes to {content}; the image was identified by its content, as docker does"
            ));
        }
    }
    let config = parse_json(&config_bytes, "the image config")?;
    let ids = diff_ids(&config);
    let layer_files = strings(field(chosen, "Layers"));
    if layer_files.is_empty() {
        return Err(SourceError::Input("manifest.json lists no layers".into()));
    }
    let layers = layer_files
        .iter()
        .enumerate()
        .map(|(i, rel)| {
            // Docker 25+ stores layers as content-addressed blobs; their name is their digest.
            let digest = rel
                .strip_prefix("blobs/sha256/")
                .and_then(|hex| Digest::parse(&format!("sha256:{hex}")).ok());
            describe_layer(&index, i, rel, digest, ids.get(i).cloned().flatten())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let image = Image {
        name,
        manifest_digest: None,
        manifest_size: 0,
        config_size: config_bytes.len() as u64,
        config,
        layers,
        repo_tags: tags(chosen),
        notes,
    };
    Ok((image, DockerBlobs(index)))
}

fn describe_layer(
    index: &TarIndex,
    i: usize,
    rel: &str,
    digest: Option<Digest>,
    diff_id: Option<Digest>,
) -> Result<LayerDescriptor, SourceError> {
    let (_, size) = index.locate(rel).ok_or_else(|| {
        SourceError::Input(format!(
            "manifest.json names layer {i} as {rel}, which the archive does not hold (or a link that leads nowhere inside it)"
        ))
    })?;
    Ok(LayerDescriptor {
        digest,
        diff_id,
        size,
        size_known: true,
        media_type: String::new(),
        annotations: None,
        locator: rel.to_owned(),
    })
}

/// The pre-1.10 format: `repositories` maps names and tags to the top layer's ID; each
/// `<id>/json` names its `parent`; layers are applied from the root of that chain.
fn open_legacy(
    index: TarIndex,
    reference: Option<&str>,
    name: String,
) -> Result<(Image, DockerBlobs), SourceError> {
    let repositories = parse_json(
        &index.read("repositories", MAX_DOCUMENT)?,
        "the legacy archive's repositories file",
    )?;
    let mut tagged: Vec<(String, String)> = Vec::new();
    for (repo, tags) in repositories.as_object().into_iter().flatten() {
        for (tag, id) in tags.as_object().into_iter().flatten() {
            if let Some(id) = id.as_str() {
                tagged.push((format!("{repo}:{tag}"), id.to_owned()));
            }
        }
    }
    let (tag, top) = match reference {
        Some(r) => tagged
            .iter()
            .find(|(t, _)| tag_matches(t, r) || t.rsplit_once(':').map(|(_, t)| t) == Some(r))
            .cloned(),
        None if tagged.len() == 1 => tagged.first().cloned(),
        None => {
            return Err(SourceError::Input(format!(
                "the legacy docker archive holds {} tagged images; name one as docker-archive:FILE:TAG (tags: {})",
                tagged.len(),
                tagged.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    .ok_or_else(|| {
        SourceError::Input(format!(
            "the legacy docker archive has no image tagged {:?} (tags: {})",
            reference.unwrap_or_default(),
            tagged.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let mut chain = Vec::new();
    let mut config = None;
    let mut config_size = 0;
    let mut id = Some(top);
    while let Some(current) = id {
        if chain.len() >= MAX_LEGACY_DEPTH || chain.contains(&current) {
            return Err(SourceError::Input(format!(
                "the legacy archive's layer parents loop or nest too deeply at {current}"
            )));
        }
        let bytes = index.read(&format!("{current}/json"), MAX_DOCUMENT)?;
        let json = parse_json(&bytes, &format!("{current}/json"))?;
        id = json
            .get("parent")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if config.is_none() {
            config_size = bytes.len() as u64;
            config = Some(json);
        }
        chain.push(current);
    }
    chain.reverse();
    let layers = chain
        .iter()
        .enumerate()
        .map(|(i, id)| describe_layer(&index, i, &format!("{id}/layer.tar"), None, None))
        .collect::<Result<Vec<_>, _>>()?;
    let image = Image {
        name,
        manifest_digest: None,
        manifest_size: 0,
        config_size,
        config: config.unwrap_or(Value::Null),
        layers,
        repo_tags: vec![tag],
        notes: vec![
            "a legacy docker archive (before Docker 1.10, no manifest.json): its layers carry no digests to verify".into(),
        ],
    };
    Ok((image, DockerBlobs(index)))
}

/// `docker-archive:FILE[:REF]`.
pub fn open_file(
    file: &Path,
    reference: Option<&str>,
    max_inflated: u64,
) -> Result<(Image, DockerBlobs), SourceError> {
    let index = TarIndex::build(file, max_inflated)?;
    open(
        index,
        reference,
        format!("docker-archive:{}", file.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_claimed_digests() {
        assert!(tag_matches(
            "bazel/v1/tarball:test_image",
            "tarball:test_image"
        ));
        assert!(tag_matches("test_image_1", "test_image_1"));
        assert!(tag_matches("extraction.test:latest", "extraction.test"));
        assert!(!tag_matches("a:1", "a:2"));
        let hex = "05b5ec12".repeat(8);
        assert_eq!(
            named_digest(&format!("sha256:{hex}")).map(|d| d.hex().to_owned()),
            Some(hex.clone())
        );
        assert!(named_digest(&format!("{hex}.json")).is_some());
        assert!(named_digest("config.json").is_none());
    }
}
