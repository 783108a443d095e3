//! Registries (`docker://REF` and bare references), through `oci-client`.
//!
//! Manifests are fetched raw and verified here, and indexes resolved with the same platform
//! selection as layouts. Every layer download starts at once, each into a small bounded channel,
//! so downloads overlap with the parallel layer walk while memory stays bounded.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use common::AnalyzerError;
use futures_util::StreamExt;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::Value;

use super::auth::{self, Credentials};
use super::platform::{self, Platform};
use super::{
    BlobStore, Image, LayerDescriptor, SourceError, layers_from_manifest, parse_json, verify,
};
use crate::digest::Digest;
use crate::inventory::{Options, Walked, walk_layers};

/// How to talk to a registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    pub credentials: Option<common::Secret>,
    pub no_tls_verify: bool,
}

const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// Chunks buffered per layer download before it waits for the walker.
const CHUNKS_IN_FLIGHT: usize = 32;

pub fn walk(text: &str, opts: &Options) -> Result<Walked, AnalyzerError> {
    let reference: Reference = text
        .parse()
        .map_err(|e| AnalyzerError::usage(format!("{text:?} is not an image reference: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AnalyzerError::internal(format!("cannot start the network runtime: {e}")))?;
    let registry = reference.resolve_registry().to_owned();
    let auth = registry_auth(&registry, &opts.registry)?;
    let client = Arc::new(Client::new(ClientConfig {
        protocol: if is_loopback(&registry) {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        accept_invalid_certificates: opts.registry.no_tls_verify,
        platform_resolver: None,
        ..ClientConfig::default()
    }));
    let image = runtime.block_on(fetch_image(
        &client,
        &reference,
        &auth,
        &opts.platform,
        text,
    ))?;
    let blobs = RegistryBlobs::start(&runtime, &client, &reference, &image.layers);
    let walked = walk_layers(image, &blobs, opts);
    drop(blobs);
    runtime.shutdown_background();
    walked
}

fn is_loopback(registry: &str) -> bool {
    let host = registry
        .strip_prefix('[')
        .and_then(|r| r.split_once(']').map(|(h, _)| h))
        .unwrap_or_else(|| registry.split(':').next().unwrap_or(registry));
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn registry_auth(registry: &str, opts: &RegistryOptions) -> Result<RegistryAuth, AnalyzerError> {
    let creds = match &opts.credentials {
        Some(secret) => Some(auth::from_flag(secret).map_err(AnalyzerError::usage)?),
        None => auth::lookup(registry).map(|(c, from)| {
            tracing::info!(registry, from, "using stored registry credentials");
            c
        }),
    };
    Ok(match creds {
        None => RegistryAuth::Anonymous,
        Some(Credentials::Basic { username, password }) => {
            RegistryAuth::Basic(username, password.expose().to_owned())
        }
        Some(Credentials::Token(t)) => RegistryAuth::Bearer(t.expose().to_owned()),
    })
}

async fn fetch_image(
    client: &Client,
    reference: &Reference,
    auth: &RegistryAuth,
    platform: &Platform,
    name: &str,
) -> Result<Image, SourceError> {
    let mut current = reference.clone();
    for _ in 0..4 {
        let (bytes, digest_text) = client
            .pull_manifest_raw(&current, auth, MANIFEST_TYPES)
            .await
            .map_err(|e| registry_error(&e, name))?;
        // A manifest pulled by tag is checked against the digest the registry announced; by
        // digest, against the digest asked for.
        let want = current.digest().unwrap_or(&digest_text);
        let digest = Digest::parse(want).map_err(SourceError::Input)?;
        verify(&bytes, &digest, "the manifest")?;
        let doc = parse_json(&bytes, "the manifest")?;
        let media_type = doc
            .get("mediaType")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if platform::is_index(media_type, &doc) {
            let chosen = platform::select(&doc, platform).map_err(SourceError::Input)?;
            let next = chosen
                .get("digest")
                .and_then(Value::as_str)
                .ok_or_else(|| SourceError::Input("an index entry has no digest".into()))?;
            current = Reference::with_digest(
                current.registry().to_owned(),
                current.repository().to_owned(),
                next.to_owned(),
            );
            continue;
        }
        if doc.get("schemaVersion").and_then(Value::as_u64) == Some(1) {
            return Err(SourceError::Input(
                "the registry serves a Docker schema 1 manifest, which is not supported; push the image again with a current tool".into(),
            ));
        }
        let config_digest = doc
            .pointer("/config/digest")
            .and_then(Value::as_str)
            .ok_or_else(|| SourceError::Input("the manifest names no config".into()))?;
        let mut config_bytes = Vec::new();
        client
            .pull_blob(&current, config_digest, &mut config_bytes)
            .await
            .map_err(|e| registry_error(&e, name))?;
        verify(
            &config_bytes,
            &Digest::parse(config_digest).map_err(SourceError::Input)?,
            "the image config",
        )?;
        let config = parse_json(&config_bytes, "the image config")?;
        let layers = layers_from_manifest(&doc, &config)?;
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
        });
    }
    Err(SourceError::Input("image indexes nest too deeply".into()))
}

fn registry_error(e: &oci_client::errors::OciDistributionError, name: &str) -> SourceError {
    use oci_client::errors::OciDistributionError as E;
    let text = common::secret::redact_url(&e.to_string());
    match e {
        E::AuthenticationFailure(_) | E::UnauthorizedError { .. } => SourceError::Input(format!(
            "the registry refused the credentials for {name}: {text} (give -c USER:PASSWORD or log in with podman/docker)"
        )),
        E::ImageManifestNotFoundError(_) => {
            SourceError::Input(format!("{name} was not found in the registry: {text}"))
        }
        E::RegistryError { envelope, .. } => {
            use oci_client::errors::OciErrorCode as C;
            let codes: Vec<&C> = envelope.errors.iter().map(|e| &e.code).collect();
            if codes.iter().any(|c| {
                matches!(
                    c,
                    C::ManifestUnknown
                        | C::NameUnknown
                        | C::NotFound
                        | C::BlobUnknown
                        | C::ManifestBlobUnknown
                )
            }) {
                SourceError::Input(format!("{name} was not found in the registry: {text}"))
            } else if codes
                .iter()
                .any(|c| matches!(c, C::Unauthorized | C::Denied))
            {
                SourceError::Input(format!(
                    "the registry refused access to {name}: {text} (give -c USER:PASSWORD or log in with podman/docker)"
                ))
            } else {
                SourceError::Network(format!("the registry failed for {name}: {text}"))
            }
        }
        E::ServerError { .. } => {
            SourceError::Network(format!("the registry failed for {name}: {text}"))
        }
        E::RequestError(re) => SourceError::Network(format!(
            "cannot reach the registry for {name}: {}",
            common::http::describe_error(re)
        )),
        _ => SourceError::Network(format!("registry error for {name}: {text}")),
    }
}

type Chunks = tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>;

/// Layer downloads already under way, handed to the walker as readers.
struct RegistryBlobs {
    pending: Mutex<HashMap<String, Chunks>>,
}

impl RegistryBlobs {
    fn start(
        runtime: &tokio::runtime::Runtime,
        client: &Arc<Client>,
        reference: &Reference,
        layers: &[LayerDescriptor],
    ) -> Self {
        let mut pending = HashMap::new();
        for layer in layers {
            let (tx, rx) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
            let client = Arc::clone(client);
            let reference = reference.clone();
            let digest = layer.locator.clone();
            runtime.spawn(async move {
                let stream = match client.pull_blob_stream(&reference, digest.as_str()).await {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx
                            .send(Err(std::io::Error::other(common::secret::redact_url(
                                &e.to_string(),
                            ))))
                            .await;
                        return;
                    }
                };
                let mut stream = stream.stream;
                while let Some(chunk) = stream.next().await {
                    if tx.send(chunk).await.is_err() {
                        return; // the walker stopped reading
                    }
                }
            });
            pending.insert(layer.locator.clone(), rx);
        }
        Self {
            pending: Mutex::new(pending),
        }
    }
}

impl BlobStore for RegistryBlobs {
    fn open(&self, layer: &LayerDescriptor) -> std::io::Result<Box<dyn Read + Send + '_>> {
        let rx = self
            .pending
            .lock()
            .map_err(|_| std::io::Error::other("download table poisoned"))?
            .remove(&layer.locator)
            .ok_or_else(|| {
                std::io::Error::other(format!("layer {} opened twice", layer.locator))
            })?;
        Ok(Box::new(ChannelReader {
            rx,
            current: bytes::Bytes::new(),
        }))
    }

    /// oci-client's blob stream hashes the bytes as they arrive and ends in an error when they
    /// do not match the digest the download was asked for.
    fn verifies_digests(&self) -> bool {
        true
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
