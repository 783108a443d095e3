//! From an image reference to the merged file tree: open the source, walk every layer in
//! parallel as a stream, overlay the results.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use common::AnalyzerError;

use crate::catalog::keeps_history;
use crate::layer::cache::{Cached, LayerCache};
use crate::layer::{Expected, LayerError, Limits, index_layer_pipelined};
use crate::source::bounded::SizedReader;
use crate::source::local::Local;
use crate::source::platform::Platform;
use crate::source::{
    BlobStore, Image, ImageRef, LayerDescriptor, archive, daemon, docker_archive, layout, local,
    registry, rootfs,
};
use crate::tree::{FileTree, LayerIndex};

/// How to read the image.
#[derive(Debug, Clone)]
pub struct Options {
    pub platform: Platform,
    /// `--platform` was given; otherwise `platform` is the machine's, and a layout holding
    /// one platform only is read as that one.
    pub platform_given: bool,
    pub limits: Limits,
    pub python_files: bool,
    pub registry: crate::source::registry::RegistryOptions,
    /// `--layer-cache`: walked layers are looked up here first and stored here after.
    pub cache: Option<Arc<LayerCache>>,
}

/// What one layer contributed, for the report.
#[derive(Debug, Clone)]
pub struct LayerSummary {
    pub uncompressed_size: u64,
    pub warnings: Vec<String>,
}

/// The walked image.
pub struct Walked {
    /// `None` for a root filesystem (`dir:`), which has no manifest or config.
    pub image: Option<Image>,
    pub tree: FileTree,
    pub layers: Vec<LayerSummary>,
    /// What the source chose or noticed on the user's behalf (for `warnings`).
    pub warnings: Vec<String>,
}

pub fn walk(reference: &ImageRef, opts: &Options) -> Result<Walked, AnalyzerError> {
    let inflate_cap = opts.limits.max_layer_bytes;
    match reference {
        ImageRef::RootFs(dir) => {
            let index = rootfs::index_dir(dir, &opts.limits, opts.python_files)?;
            Ok(assemble(None, vec![index]))
        }
        ImageRef::OciLayout { dir, reference } => {
            let (image, blobs) = layout::open_dir(
                dir,
                reference.as_deref(),
                &opts.platform,
                opts.platform_given,
            )?;
            walk_layers(image, &blobs, opts)
        }
        ImageRef::OciArchive { file, reference } => {
            let (image, blobs) = archive::open_oci(
                file,
                reference.as_deref(),
                &opts.platform,
                opts.platform_given,
                inflate_cap,
            )?;
            walk_layers(image, &blobs, opts)
        }
        ImageRef::DockerArchive { file, reference } => {
            let (image, blobs) =
                docker_archive::open_file(file, reference.as_deref(), inflate_cap)?;
            walk_layers(image, &blobs, opts)
        }
        ImageRef::Registry(r) => {
            let (image, blobs) =
                registry::open(r, &opts.registry, &opts.platform, opts.platform_given)?;
            walk_layers(image, &blobs, opts)
        }
        ImageRef::Daemon(name) => {
            let (image, blobs) = daemon::open(name, inflate_cap)?;
            walk_layers(image, &blobs, opts)
        }
        ImageRef::ContainersStorage(spec) => {
            let (image, blobs) = crate::source::containers_storage::open(spec)?;
            walk_layers(image, &blobs, opts)
        }
        ImageRef::LocalPath(path) => match local::recognise(path, inflate_cap)? {
            Local::Ref(r) => walk(&r, opts),
            Local::Archive(index) if Local::is_docker_archive(&index) => {
                let name = format!("docker-archive:{}", path.display());
                let (image, blobs) = docker_archive::open(index, None, name)?;
                walk_layers(image, &blobs, opts)
            }
            Local::Archive(index) => {
                let (image, blobs) =
                    archive::open_oci_index(index, None, &opts.platform, opts.platform_given)?;
                walk_layers(image, &blobs, opts)
            }
        },
    }
}

/// Walks every layer of `image` in parallel and overlays them. Each blob is held to the size
/// its descriptor declares (more or fewer bytes end the run), or to the layer size limit when
/// no size is declared. With a layer cache, a layer found there is neither opened nor walked:
/// only the others are asked of `blobs`.
pub fn walk_layers(
    mut image: Image,
    blobs: &dyn BlobStore,
    opts: &Options,
) -> Result<Walked, AnalyzerError> {
    let cache = opts.cache.as_deref();
    // A layer is cached under its blob digest, or its diff_id when the blob has none.
    let cache_key =
        |layer: &LayerDescriptor| layer.digest.clone().or_else(|| layer.diff_id.clone());
    let mut hits: Vec<Option<Cached>> = match cache {
        Some(cache) => image
            .layers
            .par_iter()
            .enumerate()
            .map(|(i, layer)| {
                let hit = cache.get(&cache_key(layer)?, i)?;
                // The digest pins the bytes, so a declared size that differs is the manifest's
                // error: walk the layer to report it as without a cache.
                (!layer.size_known || hit.blob_size == layer.size).then_some(hit)
            })
            .collect(),
        None => vec![None; image.layers.len()],
    };
    let missing: Vec<&LayerDescriptor> = image
        .layers
        .iter()
        .zip(&hits)
        .filter(|(_, hit)| hit.is_none())
        .map(|(layer, _)| layer)
        .collect();
    blobs.prefetch(&missing);
    // Progress in compressed bytes read, from the readers' own counters; the total is the
    // declared sizes' sum when every layer declares one.
    let counters: Vec<Arc<AtomicU64>> = image.layers.iter().map(|_| Arc::default()).collect();
    let declared = image.layers.iter().try_fold(0u64, |sum, l| {
        l.size_known.then(|| sum.checked_add(l.size)).flatten()
    });
    let progress = common::progress::follow(
        common::progress::bytes(declared, format!("{} layers", image.layers.len())),
        counters.clone(),
    );
    let walked = image
        .layers
        .par_iter()
        .zip(hits.par_iter_mut())
        .enumerate()
        .map(|(i, (layer, hit))| {
            if let Some(Cached { index, blob_size }) = hit.take() {
                // A cached layer counts as read: the bar's total is the images' declared bytes.
                counters[i].store(blob_size, Ordering::Relaxed);
                tracing::info!(
                    layer = i,
                    entries = index.entries.len(),
                    "layer from the cache"
                );
                return Ok((index, blob_size));
            }
            let (index, read) = walk_one(i, layer, blobs, opts, Arc::clone(&counters[i]))?;
            if let (Some(cache), Some(key)) = (cache, cache_key(layer)) {
                cache.put(&key, &index, read);
            }
            Ok((index, read))
        })
        .collect::<Result<Vec<_>, AnalyzerError>>()?;
    drop(progress);
    // `image_size` adds what was read: the sizes are now true, whatever was declared.
    let (indexes, read): (Vec<_>, Vec<_>) = walked.into_iter().unzip();
    for (layer, bytes) in image.layers.iter_mut().zip(read) {
        layer.size = bytes;
        layer.size_known = true;
    }
    if image.total_size().is_none() {
        return Err(AnalyzerError::input(
            "the image's sizes add up to more than 2^64 bytes",
        ));
    }
    Ok(assemble(Some(image), indexes))
}

/// Opens and walks layer `i`; returns its index and the bytes of its blob.
fn walk_one(
    i: usize,
    layer: &LayerDescriptor,
    blobs: &dyn BlobStore,
    opts: &Options,
    read: Arc<AtomicU64>,
) -> Result<(LayerIndex, u64), AnalyzerError> {
    let what = layer
        .digest
        .as_ref()
        .map_or(layer.locator.clone(), ToString::to_string);
    let blob = blobs.open(layer).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            AnalyzerError::input(format!(
                "layer {i} ({what}) is named by the manifest but missing from the image: {e}"
            ))
        } else {
            AnalyzerError::input(format!("cannot open layer {i} ({what}): {e}"))
        }
    })?;
    let blob = if layer.size_known {
        SizedReader::new(blob, layer.size, &what)
    } else {
        SizedReader::at_most(blob, opts.limits.max_layer_bytes, &what)
    }
    .counting(Arc::clone(&read));
    // The blob's own digest already pins the bytes, and decompression is deterministic:
    // hashing the uncompressed tar as well (over a gigabyte in a data-science image)
    // would check nothing more. Layers known only by their diff_id still get it checked.
    let expected = Expected {
        uncompressed: layer.diff_id.clone().filter(|_| layer.digest.is_none()),
        compressed: layer.digest.clone(),
        compressed_verified_upstream: blobs.verifies_digests(),
    };
    let index = index_layer_pipelined(i, blob, &expected, &opts.limits, opts.python_files)
        .map_err(layer_error)?;
    tracing::info!(
        layer = i,
        entries = index.entries.len(),
        bytes = index.uncompressed_size,
        "layer walked"
    );
    Ok((index, read.load(Ordering::Relaxed)))
}

pub fn layer_error(e: LayerError) -> AnalyzerError {
    let hint = match &e {
        LayerError::DigestMismatch { .. } => {
            "the blob was corrupted or tampered with; pull the image again"
        }
        LayerError::Limit { .. } => {
            "the limits protect against hostile images; raise them only for images you trust"
        }
        LayerError::Corrupt { .. } => {
            "the layer is damaged or truncated; pull or export the image again"
        }
    };
    AnalyzerError::input(e.to_string()).with_hint(hint)
}

/// Overlays the layers' indexes (in manifest order) into the image's file tree.
pub fn assemble(image: Option<Image>, indexes: Vec<LayerIndex>) -> Walked {
    let layers = indexes
        .iter()
        .map(|i| LayerSummary {
            uncompressed_size: i.uncompressed_size,
            warnings: i.warnings.clone(),
        })
        .collect();
    let warnings = image.as_ref().map(|i| i.notes.clone()).unwrap_or_default();
    let tree = FileTree::overlay(indexes, keeps_history);
    Walked {
        image,
        tree,
        layers,
        warnings,
    }
}
