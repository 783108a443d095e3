//! The package-extract result: Thoth's keys with Thoth's meaning, plus new keys.
//!
//! The catalogers' keys (`deb`, `python-packages`, `conda-packages`, ...) come from the
//! registry ([`crate::catalog::CATALOGERS`]), and so does their schema; this module adds what
//! describes the image itself.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalog::{CATALOGERS, Package, registry};
use crate::inspect::SkopeoInspect;
use crate::inventory::Walked;
use crate::source::Image;

#[derive(Debug, Serialize)]
pub struct Report {
    /// Every cataloger's keys.
    #[serde(flatten)]
    pub catalogs: Map<String, Value>,
    #[serde(flatten)]
    pub image: ImageFacts,
    /// Every package of every ecosystem (what the SBOMs are written from).
    #[serde(skip)]
    pub packages: Vec<Package>,
}

/// What the result says about the image rather than about what is installed in it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ImageFacts {
    /// Layer digests in manifest order, without `sha256:` (as Thoth listed them).
    pub layers: Vec<String>,
    /// Compressed bytes: layer blobs, config and manifest (as Thoth measured).
    pub image_size: u64,
    /// Bytes of the uncompressed layer tars.
    pub image_size_uncompressed: u64,
    /// The fields `skopeo inspect` prints; null for a root filesystem (`dir:`).
    #[serde(rename = "skopeo-inspect")]
    pub skopeo_inspect: Option<SkopeoInspect>,
    /// Problems that did not stop the analysis (clamped paths, oversized files, damaged
    /// database entries, ...), from the layer walk and every cataloger.
    pub warnings: Vec<String>,
}

impl JsonSchema for Report {
    fn schema_name() -> Cow<'static, str> {
        "Report".into()
    }

    /// The image facts' object schema with every cataloger's properties merged in.
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = ImageFacts::json_schema(generator);
        schema.insert(
            "description".into(),
            "Each cataloger's keys (`deb`, `python-packages`, `conda-packages`, ...), from the \
             registry of catalogers, and the facts of the image itself."
                .into(),
        );
        for cataloger in CATALOGERS {
            let part = (cataloger.schema)(generator);
            merge_object(&mut schema, &part);
        }
        schema
    }
}

/// Adds `part`'s `properties` and `required` to `into` (both object schemas).
fn merge_object(into: &mut Schema, part: &Schema) {
    let Some(target) = into.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(props)) = part.get("properties") {
        let entry = target
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(existing) = entry {
            existing.extend(props.clone());
        }
    }
    if let Some(Value::Array(required)) = part.get("required") {
        let entry = target
            .entry("required")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(existing) = entry {
            existing.extend(required.iter().cloned());
            existing.sort_by_key(|v| v.as_str().map(str::to_owned));
            existing.dedup();
        }
    }
}

/// Runs every cataloger over the overlaid tree and gathers their results.
pub fn build(walked: &Walked) -> Report {
    let image = walked.image.as_ref();
    let layers = image
        .map(|i| {
            i.layers
                .iter()
                .map(|l| {
                    l.digest
                        .as_ref()
                        .or(l.diff_id.as_ref())
                        .map(|d| d.hex().to_owned())
                        .unwrap_or_default()
                })
                .collect()
        })
        // A root filesystem has no layers; Thoth's ingestion keys the image by its last layer,
        // so `dir:` gets one identity computed from the tree itself.
        .unwrap_or_else(|| vec![crate::identity::rootfs_digest(&walked.tree)]);
    // Checked: sizes come from the bytes read, and a sum that overflows is no size at all.
    let image_size = image.and_then(Image::total_size).unwrap_or(0);
    let catalogued = registry::run(&walked.tree);
    // The source's own notes first (the platform chosen, a config named for another digest).
    let mut warnings: Vec<String> = walked.warnings.clone();
    warnings.extend(
        walked
            .layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.warnings.iter().map(move |w| format!("layer {i}: {w}"))),
    );
    warnings.extend(catalogued.warnings);
    Report {
        catalogs: catalogued.keys,
        image: ImageFacts {
            layers,
            image_size,
            image_size_uncompressed: walked.layers.iter().map(|l| l.uncompressed_size).sum(),
            skopeo_inspect: image.map(SkopeoInspect::from_image),
            warnings,
        },
        packages: catalogued.packages,
    }
}
