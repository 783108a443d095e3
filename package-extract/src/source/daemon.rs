//! `docker-daemon:NAME[:TAG]`: an image in the local Docker or Podman engine, read through the
//! engine's API (`GET /images/NAME/get`, the `docker save` stream). The engine sends a
//! docker-archive whose `manifest.json` may come last, so every layer member is walked as it
//! streams by and the layers are put in order once the manifest has arrived: one pass, nothing
//! written to disk.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};

use common::AnalyzerError;
use serde_json::Value;

use super::engine_http::{self, Endpoint};
use super::{Image, LayerDescriptor, diff_ids, parse_json};
use crate::digest::Digest;
use crate::inventory::{Options, Walked, assemble, layer_error};
use crate::layers::{Expected, index_layer};
use crate::path::ImagePath;
use crate::tree::LayerIndex;

/// JSON members (manifest, config) larger than this are not what they claim to be.
const MAX_DOCUMENT: u64 = 16 << 20;

/// The engine to ask: `DOCKER_HOST`, `CONTAINER_HOST`, then the usual sockets.
pub fn endpoint() -> Result<Endpoint, AnalyzerError> {
    for var in ["DOCKER_HOST", "CONTAINER_HOST"] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() {
                return Endpoint::parse(&v)
                    .map_err(|e| AnalyzerError::usage(format!("{var}: {e}")));
            }
        }
    }
    let mut candidates = vec![std::path::PathBuf::from("/var/run/docker.sock")];
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        candidates.push(std::path::PathBuf::from(d).join("podman/podman.sock"));
    }
    candidates.push("/run/podman/podman.sock".into());
    candidates
        .iter()
        .find(|p| p.exists())
        .map(|p| Endpoint::Unix(p.clone()))
        .ok_or_else(|| {
            AnalyzerError::input(format!(
                "no container engine socket found (tried {})",
                candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            ))
            .with_hint("start one (`podman system service`, or the Docker daemon), or set DOCKER_HOST=unix:///path/to.sock")
        })
}

pub fn walk(name: &str, opts: &Options) -> Result<Walked, AnalyzerError> {
    let endpoint = endpoint()?;
    let path = format!("/images/{}/get", escape(name));
    let response = engine_http::get(&endpoint, &path).map_err(|e| {
        AnalyzerError::network(format!(
            "cannot talk to the container engine at {endpoint}: {e}"
        ))
        .with_hint("check that the engine runs and that you may use its socket")
    })?;
    match response.status {
        200 => {}
        404 => {
            return Err(AnalyzerError::input(format!(
                "the engine at {endpoint} has no image {name:?}"
            ))
            .with_hint("list its images with `podman images` or `docker images`"));
        }
        status => {
            let mut text = String::new();
            let _ = response.body.take(4096).read_to_string(&mut text);
            return Err(AnalyzerError::network(format!(
                "the engine at {endpoint} answered {status}: {}",
                text.trim()
            )));
        }
    }
    let archive = read_archive(response.body, opts)?;
    let (image, layers) = archive.into_image(name)?;
    Ok(assemble(Some(image), layers))
}

/// Path-escapes an image name for the API URL (`localhost/app:1` → `localhost%2Fapp:1`).
fn escape(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'@' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// What one pass over the archive kept.
#[derive(Default)]
struct Archive {
    documents: HashMap<String, Vec<u8>>,
    layers: HashMap<String, (LayerIndex, u64)>,
}

fn read_archive(body: Box<dyn Read + Send>, opts: &Options) -> Result<Archive, AnalyzerError> {
    let bad = |e: std::io::Error| {
        AnalyzerError::input(format!(
            "the engine's image stream is not a valid archive: {e}"
        ))
    };
    let mut archive = tar::Archive::new(body);
    let mut kept = Archive::default();
    for (n, entry) in archive.entries().map_err(bad)?.enumerate() {
        let entry = entry.map_err(bad)?;
        if !matches!(
            entry.header().entry_type(),
            tar::EntryType::Regular | tar::EntryType::Continuous
        ) {
            continue;
        }
        let name = ImagePath::normalize(&String::from_utf8_lossy(&entry.path_bytes()))
            .0
            .as_str()
            .trim_start_matches('/')
            .to_owned();
        let size = entry.size();
        let mut reader = BufReader::with_capacity(64 << 10, entry);
        let looks_json = matches!(reader.fill_buf().map_err(bad)?.first(), Some(b'{' | b'['));
        if (looks_json && size <= MAX_DOCUMENT)
            || size == 0
            || name.ends_with("VERSION")
            || name == "repositories"
        {
            let mut bytes = Vec::new();
            reader
                .take(MAX_DOCUMENT)
                .read_to_end(&mut bytes)
                .map_err(bad)?;
            kept.documents.insert(name, bytes);
            continue;
        }
        // Content-addressed members are checked against their name as they stream.
        let compressed = name
            .strip_prefix("blobs/sha256/")
            .and_then(|hex| Digest::parse(&format!("sha256:{hex}")).ok());
        let expected = Expected {
            compressed,
            uncompressed: None,
            compressed_verified_upstream: false,
        };
        let index = index_layer(n, reader, &expected, &opts.limits, opts.python_files)
            .map_err(layer_error)?;
        tracing::info!(member = %name, entries = index.entries.len(), "layer walked");
        kept.layers.insert(name, (index, size));
    }
    Ok(kept)
}

impl Archive {
    fn into_image(mut self, name: &str) -> Result<(Image, Vec<LayerIndex>), AnalyzerError> {
        let manifest = self
            .documents
            .get("manifest.json")
            .ok_or_else(|| AnalyzerError::input("the engine's image stream has no manifest.json"))
            .and_then(|b| parse_json(b, "manifest.json").map_err(AnalyzerError::from))?;
        let entry = manifest
            .as_array()
            .and_then(|a| a.first())
            .ok_or_else(|| AnalyzerError::input("manifest.json lists no image"))?;
        let config_path = entry
            .get("Config")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let config_bytes = self.documents.get(config_path).ok_or_else(|| {
            AnalyzerError::input(format!("the stream has no config {config_path}"))
        })?;
        let config = parse_json(config_bytes, "the image config")?;
        let config_size = config_bytes.len() as u64;
        let ids = diff_ids(&config);
        let members: Vec<&str> = entry
            .get("Layers")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut descriptors = Vec::with_capacity(members.len());
        let mut indexes = Vec::with_capacity(members.len());
        for (i, member) in members.iter().enumerate() {
            let key = ImagePath::normalize(member)
                .0
                .as_str()
                .trim_start_matches('/')
                .to_owned();
            let (mut index, size) = self.layers.remove(&key).ok_or_else(|| {
                AnalyzerError::input(format!(
                    "manifest.json names layer {member}, which the stream did not hold"
                ))
            })?;
            let diff_id = ids.get(i).cloned().flatten();
            // Classic members (`<id>/layer.tar`) are uncompressed, so their digest is the
            // diff_id; content-addressed `blobs/` members were checked against their name.
            if let (Some(want), Some(got)) = (&diff_id, &index.blob_digest) {
                if want != got && !key.starts_with("blobs/") {
                    return Err(AnalyzerError::input(format!(
                        "layer {i} ({member}): digest mismatch: the config's diff_id is {want}, the layer hashes to {got}"
                    )));
                }
            }
            index.renumber(i);
            descriptors.push(LayerDescriptor {
                digest: index.blob_digest.clone(),
                diff_id,
                size,
                media_type: "application/vnd.docker.image.rootfs.diff.tar".into(),
                annotations: None,
                locator: (*member).to_owned(),
            });
            indexes.push(index);
        }
        let repo_tags = entry
            .get("RepoTags")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let image = Image {
            name: format!("docker-daemon:{name}"),
            manifest_digest: None,
            manifest_size: 0,
            config,
            config_size,
            layers: descriptors,
            repo_tags,
        };
        Ok((image, indexes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_names_for_the_api_path() {
        assert_eq!(escape("localhost/sample:1.0"), "localhost%2Fsample:1.0");
        assert_eq!(escape("app@sha256:ab"), "app@sha256:ab");
        assert_eq!(escape("a b"), "a%20b");
    }
}
