//! CycloneDX 1.6 JSON.

use serde_json::{Value, json};

use super::{Package, Subject, local_id, stable_uuid};

pub fn document(
    subject: &Subject,
    packages: &[Package],
    timestamp: &str,
    tool_version: &str,
) -> Value {
    let components: Vec<Value> = packages
        .iter()
        .map(|p| {
            let mut properties =
                vec![json!({"name": "package-extract:layer", "value": p.layer.to_string()})];
            if let Some(l) = &p.location {
                properties.push(json!({"name": "package-extract:location", "value": l}));
            }
            if let Some(o) = &p.owner {
                properties.push(json!({"name": "package-extract:system-package", "value": o}));
            }
            let mut c = json!({
                "type": "library",
                "bom-ref": local_id(p),
                "name": p.name,
                "version": p.version,
                "purl": p.purl,
                "properties": properties,
            });
            if let Some(license) = &p.license {
                c["licenses"] = json!([{"license": {"name": license}}]);
            }
            c
        })
        .collect();
    let ids: std::collections::BTreeSet<String> = packages.iter().map(local_id).collect();
    let mut dependencies: Vec<Value> = packages
        .iter()
        .map(|p| {
            let on: Vec<&String> = p.depends_on.iter().filter(|d| ids.contains(*d)).collect();
            json!({"ref": local_id(p), "dependsOn": on})
        })
        .collect();
    dependencies.push(
        json!({"ref": "image", "dependsOn": packages.iter().map(local_id).collect::<Vec<_>>()}),
    );
    let mut image = json!({"type": "container", "bom-ref": "image", "name": subject.name});
    if let Some(d) = &subject.digest {
        image["version"] = json!(d);
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", stable_uuid(&format!("{}{:?}", subject.name, subject.digest))),
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {"components": [{"type": "application", "name": "package-extract", "version": tool_version}]},
            "component": image,
        },
        "components": components,
        "dependencies": dependencies,
    })
}
