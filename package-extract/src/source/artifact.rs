//! Manifests that are not container images. OCI 1.1 artifacts (SBOMs, signatures, Helm charts,
//! WASM modules) use the image manifest format with their own config and layer media types;
//! walking their blobs as tars would only report a parse error on something that was never a
//! filesystem. They are refused up front, by name.

use serde_json::Value;

use super::SourceError;

/// Config media types of runnable images (OCI, Docker schema 2). An absent media type is
/// accepted: old writers leave it out.
pub const IMAGE_CONFIGS: &[&str] = &[
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];

/// Whether a layer media type describes a filesystem changeset (tar, compressed or not,
/// distributable or foreign). An absent one is accepted (docker archives carry none).
pub fn is_filesystem_layer(media_type: &str) -> bool {
    media_type.is_empty()
        || media_type.starts_with("application/vnd.oci.image.layer.")
        || media_type.starts_with("application/vnd.docker.image.rootfs.")
}

/// Fails with an error that names the artifact type when `manifest` is not an image.
pub fn refuse_artifact(manifest: &Value) -> Result<(), SourceError> {
    let text = |p: &str| {
        manifest
            .pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    // apko writes the image config type as `artifactType`: that is an image.
    let artifact_type = Some(text("/artifactType"))
        .filter(|t| !IMAGE_CONFIGS.contains(&t.as_str()))
        .unwrap_or_default();
    let config_type = text("/config/mediaType");
    let foreign_layer = manifest
        .get("layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| l.get("mediaType").and_then(Value::as_str))
        .find(|t| !is_filesystem_layer(t));
    let config_is_image = config_type.is_empty() || IMAGE_CONFIGS.contains(&config_type.as_str());
    if artifact_type.is_empty() && config_is_image && foreign_layer.is_none() {
        return Ok(());
    }
    let kind = if artifact_type.is_empty() {
        if config_is_image {
            foreign_layer.unwrap_or_default().to_owned()
        } else {
            config_type.clone()
        }
    } else {
        artifact_type
    };
    let mut detail = vec![format!("config {}", or_none(&config_type))];
    if let Some(l) = foreign_layer {
        detail.push(format!("layer media type {l}"));
    }
    Err(SourceError::Input(format!(
        "the manifest is an OCI artifact of type {kind} ({}), not a container image: it holds no filesystem to inventory",
        detail.join(", ")
    )))
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "none" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn images_pass_and_artifacts_are_named() {
        let image = json!({"config": {"mediaType": "application/vnd.oci.image.config.v1+json"},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"},
                       {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"}]});
        assert!(refuse_artifact(&image).is_ok());
        let sbom = json!({"artifactType": "application/example.sbom",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json"},
            "layers": [{"mediaType": "application/example.sbom.breakfast"}]});
        let e = refuse_artifact(&sbom).expect_err("artifact").to_string();
        assert!(e.contains("application/example.sbom ("), "{e}");
        assert!(e.contains("application/example.sbom.breakfast"), "{e}");
        let helm = json!({"config": {"mediaType": "application/vnd.cncf.helm.config.v1+json"},
            "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip"}]});
        let e = refuse_artifact(&helm).expect_err("artifact").to_string();
        assert!(
            e.contains("type application/vnd.cncf.helm.config.v1+json"),
            "{e}"
        );
    }
}
