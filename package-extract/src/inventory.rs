//! From an image reference to the merged file tree: open the source, walk every layer in
//! parallel as a stream, overlay the results.

use rayon::prelude::*;

use common::AnalyzerError;

use crate::catalog::keeps_history;
use crate::layers::{Expected, LayerError, Limits, index_layer_pipelined};
use crate::source::platform::Platform;
use crate::source::{BlobStore, Image, ImageRef, archive, layout, rootfs};
use crate::tree::{FileTree, LayerIndex};

/// How to read the image.
#[derive(Debug, Clone)]
pub struct Options {
    pub platform: Platform,
    pub limits: Limits,
    pub python_files: bool,
    pub registry: crate::source::registry::RegistryOptions,
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
}

pub fn walk(reference: &ImageRef, opts: &Options) -> Result<Walked, AnalyzerError> {
    match reference {
        ImageRef::RootFs(dir) => {
            let index = rootfs::index_dir(dir, &opts.limits, opts.python_files)?;
            Ok(assemble(None, vec![index]))
        }
        ImageRef::OciLayout { dir, reference } => {
            let (image, blobs) = layout::open_dir(dir, reference.as_deref(), &opts.platform)?;
            walk_layers(image, &blobs, opts)
        }
        ImageRef::OciArchive { file, reference } => {
            let (image, blobs) = archive::open_oci(file, reference.as_deref(), &opts.platform)?;
            walk_layers(image, &blobs, opts)
        }
        ImageRef::DockerArchive { file, reference } => {
            let (image, blobs) = archive::open_docker(file, reference.as_deref())?;
            walk_layers(image, &blobs, opts)
        }
        ImageRef::Registry(r) => crate::source::registry::walk(r, opts),
        ImageRef::Daemon(name) => crate::source::daemon::walk(name, opts),
    }
}

/// Walks every layer of `image` in parallel and overlays them.
pub fn walk_layers(
    image: Image,
    blobs: &dyn BlobStore,
    opts: &Options,
) -> Result<Walked, AnalyzerError> {
    let bar = common::progress::bar(image.layers.len() as u64, "layers");
    let indexes = image
        .layers
        .par_iter()
        .enumerate()
        .map(|(i, layer)| {
            let blob = blobs.open(layer).map_err(|e| {
                let what = layer.digest.as_ref().map_or(layer.locator.clone(), ToString::to_string);
                if e.kind() == std::io::ErrorKind::NotFound {
                    AnalyzerError::input(format!(
                        "layer {i} ({what}) is named by the manifest but missing from the image: {e}"
                    ))
                } else {
                    AnalyzerError::input(format!("cannot open layer {i} ({what}): {e}"))
                }
            })?;
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
            bar.inc(1);
            tracing::info!(layer = i, entries = index.entries.len(), bytes = index.uncompressed_size, "layer walked");
            Ok(index)
        })
        .collect::<Result<Vec<_>, AnalyzerError>>()?;
    bar.finish_and_clear();
    Ok(assemble(Some(image), indexes))
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
    let tree = FileTree::overlay(indexes, keeps_history);
    Walked {
        image,
        tree,
        layers,
    }
}
