//! Registries (`docker://REF` and bare references).
//!
//! Manifests are fetched raw (at most 4 MiB), verified and resolved through indexes with the
//! same platform selection as layouts; the config is read to the size its descriptor declares
//! and no further. No layer is fetched until the walk asks for it (a layer in the layer cache
//! is never downloaded); then every layer it needs starts at once, each into a small bounded
//! channel, so downloads overlap with the parallel layer walk while memory stays bounded; the
//! walk holds each layer to its declared size and digest.

mod client;
pub mod scope;

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use oci_client::Reference;
use serde_json::Value;

use self::client::RegistryClient;
use super::auth::{self, Credentials};
use super::bounded::MAX_CONFIG;
use super::platform::{Platform, Wanted};
use super::{BlobStore, Image, LayerDescriptor, SourceError, parse_json, verify};
use crate::digest::Digest;

/// How to talk to a registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    pub credentials: Option<common::Secret>,
    pub no_tls_verify: bool,
}

/// Chunks buffered per layer download before it waits for the walker.
const CHUNKS_IN_FLIGHT: usize = 32;

/// Opens `text` in its registry: the image for `platform`, and its layer downloads under way.
pub fn open(
    text: &str,
    opts: &RegistryOptions,
    platform: &Platform,
    platform_given: bool,
) -> Result<(Image, RegistryBlobs), SourceError> {
    let reference: Reference = text.parse().map_err(|e| {
        SourceError::Usage(format!(
            "{:?} is not an image reference: {e}",
            super::reference::redact(text)
        ))
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| SourceError::Network(format!("cannot start the network runtime: {e}")))?;
    let registry = reference.resolve_registry().to_owned();
    let credentials = credentials_for(&registry, opts)?;
    let mut client = RegistryClient::new(
        &registry,
        reference.repository(),
        is_loopback(&registry),
        opts.no_tls_verify,
    )?;
    let image = runtime.block_on(async {
        client.authenticate(credentials.as_ref()).await?;
        let wanted = Wanted {
            platform,
            given: platform_given,
            present: &|_: &str| true,
        };
        fetch_image(&client, &reference, &wanted, text).await
    })?;
    let blobs = RegistryBlobs {
        pending: Mutex::new(HashMap::new()),
        client: Arc::new(client),
        runtime: Some(runtime),
    };
    Ok((image, blobs))
}

pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn is_loopback(registry: &str) -> bool {
    let host = registry
        .strip_prefix('[')
        .and_then(|r| r.split_once(']').map(|(h, _)| h))
        .unwrap_or_else(|| registry.split(':').next().unwrap_or(registry));
    is_loopback_host(host)
}

fn credentials_for(
    registry: &str,
    opts: &RegistryOptions,
) -> Result<Option<Credentials>, SourceError> {
    Ok(match &opts.credentials {
        Some(secret) => Some(auth::from_flag(secret).map_err(SourceError::Usage)?),
        None => auth::lookup(registry).map(|(c, from)| {
            tracing::info!(registry, from, "using stored registry credentials");
            c
        }),
    })
}

async fn fetch_image(
    client: &RegistryClient,
    reference: &Reference,
    wanted: &Wanted<'_>,
    name: &str,
) -> Result<Image, SourceError> {
    let mut notes = Vec::new();
    let mut current = reference
        .digest()
        .or(reference.tag())
        .unwrap_or("latest")
        .to_owned();
    let mut pinned = reference.digest().map(str::to_owned);
    for _ in 0..4 {
        let (bytes, announced) = client.manifest(&current, name).await?;
        // A manifest pulled by digest is checked against that digest; by tag, against the
        // digest the registry announced, or else named by its own hash.
        let digest = match pinned.as_deref().or(announced.as_deref()) {
            Some(want) => {
                let want = Digest::parse(want).map_err(SourceError::Input)?;
                verify(&bytes, &want, "the manifest")?;
                want
            }
            None => Digest::of(&bytes),
        };
        let doc = parse_json(&bytes, "the manifest")?;
        let media_type = doc
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if super::platform::is_index(media_type, &doc) {
            let chosen = super::platform::select(&doc, wanted).map_err(SourceError::Input)?;
            notes.extend(chosen.note);
            let next = chosen
                .descriptor
                .get("digest")
                .and_then(Value::as_str)
                .ok_or_else(|| SourceError::Input("an index entry has no digest".into()))?;
            current = next.to_owned();
            pinned = Some(next.to_owned());
            continue;
        }
        if doc.get("schemaVersion").and_then(Value::as_u64) == Some(1) {
            return Err(SourceError::Input(
                "the registry serves a Docker schema 1 manifest, which is not supported; push the image again with a current tool".into(),
            ));
        }
        super::artifact::refuse_artifact(&doc)?;
        let config_descriptor = doc
            .get("config")
            .ok_or_else(|| SourceError::Input("the manifest names no config".into()))?;
        let config_digest = config_descriptor
            .get("digest")
            .and_then(Value::as_str)
            .ok_or_else(|| SourceError::Input("the manifest names no config digest".into()))
            .and_then(|d| Digest::parse(d).map_err(SourceError::Input))?;
        let declared = config_descriptor
            .get("size")
            .and_then(Value::as_u64)
            .unwrap_or(MAX_CONFIG);
        let what = format!("the image config {config_digest}");
        if declared > MAX_CONFIG {
            return Err(SourceError::Input(format!(
                "{what} declares {declared} bytes, more than the {MAX_CONFIG} accepted"
            )));
        }
        let response = client.blob(&config_digest.to_string(), name).await?;
        let config_bytes = client::read_capped(response, declared, &what).await?;
        verify(&config_bytes, &config_digest, "the image config")?;
        let config = parse_json(&config_bytes, "the image config")?;
        let layers = super::layers_from_manifest(&doc, &config)?;
        return Ok(Image {
            name: name.to_owned(),
            manifest_digest: Some(digest),
            manifest_size: bytes.len() as u64,
            config_size: config_bytes.len() as u64,
            config,
            layers,
            repo_tags: reference
                .tag()
                .map(|t| vec![t.to_owned()])
                .unwrap_or_default(),
            notes,
        });
    }
    Err(SourceError::Input("image indexes nest too deeply".into()))
}

type Chunks = tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>;

/// Layer downloads, started when the walk names the layers it needs and handed to it as
/// readers. Owns the runtime they run on: dropping it stops them.
pub struct RegistryBlobs {
    /// Per digest, one download per time it was asked for (a layer may repeat).
    pending: Mutex<HashMap<String, Vec<Chunks>>>,
    client: Arc<RegistryClient>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl RegistryBlobs {
    /// Starts downloading `digest` into a bounded channel.
    fn start(&self, digest: &str) -> Option<Chunks> {
        let runtime = self.runtime.as_ref()?;
        let (tx, rx) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
        let client = Arc::clone(&self.client);
        let digest = digest.to_owned();
        runtime.spawn(async move {
            let mut response = match client.blob(&digest, &digest).await {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
            loop {
                let chunk = match response.chunk().await {
                    Ok(Some(c)) => Ok(c),
                    Ok(None) => return,
                    Err(e) => Err(std::io::Error::other(common::http::describe_error(&e))),
                };
                let failed = chunk.is_err();
                if tx.send(chunk).await.is_err() || failed {
                    return; // the walker stopped reading, or the download failed
                }
            }
        });
        Some(rx)
    }
}

impl Drop for RegistryBlobs {
    fn drop(&mut self) {
        if let Some(r) = self.runtime.take() {
            r.shutdown_background();
        }
    }
}

impl BlobStore for RegistryBlobs {
    fn prefetch(&self, layers: &[&LayerDescriptor]) {
        let Ok(mut pending) = self.pending.lock() else {
            return;
        };
        for layer in layers {
            if let Some(rx) = self.start(&layer.locator) {
                pending.entry(layer.locator.clone()).or_default().push(rx);
            }
        }
    }

    fn open(&self, layer: &LayerDescriptor) -> std::io::Result<Box<dyn Read + Send + '_>> {
        let prefetched = self
            .pending
            .lock()
            .map_err(|_| std::io::Error::other("download table poisoned"))?
            .get_mut(&layer.locator)
            .and_then(Vec::pop);
        // A layer not announced by `prefetch` starts downloading now.
        let rx = prefetched
            .or_else(|| self.start(&layer.locator))
            .ok_or_else(|| std::io::Error::other("the download runtime is gone"))?;
        Ok(Box::new(ChannelReader {
            rx,
            current: bytes::Bytes::new(),
        }))
    }
}

/// Reads a download's chunks from a walker thread (blocking while the network catches up).
struct ChannelReader {
    rx: Chunks,
    current: bytes::Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_use_plain_http() {
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("localhost:5000"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("registry.test:5000"));
        assert!(!is_loopback("10.0.0.1"));
    }
}
