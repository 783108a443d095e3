//! `skopeo-inspect`: the fields `skopeo inspect` prints, taken from the manifest and config.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::source::Image;

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct SkopeoInspect {
    pub name: String,
    pub digest: Option<String>,
    pub repo_tags: Vec<String>,
    pub created: Option<String>,
    pub docker_version: String,
    pub labels: BTreeMap<String, String>,
    pub architecture: String,
    pub variant: Option<String>,
    pub os: String,
    pub layers: Vec<String>,
    pub layers_data: Vec<LayerData>,
    pub env: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LayerData {
    #[serde(rename = "MIMEType")]
    pub mime_type: String,
    pub digest: String,
    pub size: u64,
    pub annotations: Option<BTreeMap<String, String>>,
}

impl SkopeoInspect {
    pub fn from_image(image: &Image) -> Self {
        let c = &image.config;
        let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let string_map = |v: Option<&Value>| -> BTreeMap<String, String> {
            v.and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let layer_digest = |l: &crate::source::LayerDescriptor| {
            l.digest
                .as_ref()
                .or(l.diff_id.as_ref())
                .map(ToString::to_string)
                .unwrap_or_default()
        };
        Self {
            name: image.name.clone(),
            digest: image.manifest_digest.as_ref().map(ToString::to_string),
            repo_tags: image.repo_tags.clone(),
            created: s(c.get("created")),
            docker_version: s(c.get("docker_version")).unwrap_or_default(),
            labels: string_map(c.pointer("/config/Labels")),
            architecture: s(c.get("architecture")).unwrap_or_default(),
            variant: s(c.get("variant")),
            os: s(c.get("os")).unwrap_or_default(),
            layers: image.layers.iter().map(layer_digest).collect(),
            layers_data: image
                .layers
                .iter()
                .map(|l| LayerData {
                    mime_type: l.media_type.clone(),
                    digest: layer_digest(l),
                    size: l.size,
                    annotations: l.annotations.as_ref().map(|a| string_map(Some(a))),
                })
                .collect(),
            env: c
                .pointer("/config/Env")
                .and_then(Value::as_array)
                .map(|e| {
                    e.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}
