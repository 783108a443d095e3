//! SPDX 2.3 JSON.

use serde_json::{Value, json};

use super::{Package, Subject, local_id, stable_uuid};

/// SPDX identifiers allow letters, digits, `.` and `-` only.
fn spdx_id(text: &str) -> String {
    let body: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("SPDXRef-{body}")
}

pub fn document(
    subject: &Subject,
    packages: &[Package],
    created: &str,
    tool_version: &str,
) -> Value {
    // Identifiers must be unique; a hash suffix keeps long purls apart after sanitising.
    let id_of = |p: &Package| {
        let id = local_id(p);
        format!(
            "{}-{}",
            spdx_id(&format!("{}-{}", p.ecosystem, p.name)),
            &stable_uuid(&id)[..8]
        )
    };
    let mut spdx_packages = vec![json!({
        "SPDXID": "SPDXRef-Image",
        "name": subject.name,
        "versionInfo": subject.digest.clone().unwrap_or_else(|| "NOASSERTION".into()),
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "licenseConcluded": "NOASSERTION",
        "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "primaryPackagePurpose": "CONTAINER",
    })];
    let mut relationships = vec![
        json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-Image"}),
    ];
    let ids: std::collections::BTreeMap<String, String> =
        packages.iter().map(|p| (p.local_id(), id_of(p))).collect();
    for p in packages {
        let id = id_of(p);
        let mut pkg = json!({
            "SPDXID": id,
            "name": p.name,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p.purl}],
        });
        if let Some(l) = &p.license {
            // Stated licences are often not SPDX expressions; they go to the comment.
            pkg["licenseComments"] = json!(format!("declared: {l}"));
        }
        let mut comment = match &p.location {
            Some(l) => format!("installed in {l}; layer {}", p.layer),
            None => format!("layer {}", p.layer),
        };
        if let Some(owner) = &p.owner {
            comment.push_str(&format!("; installed by the system package {owner}"));
        }
        pkg["comment"] = json!(comment);
        spdx_packages.push(pkg);
        relationships.push(json!({"spdxElementId": "SPDXRef-Image", "relationshipType": "CONTAINS", "relatedSpdxElement": id}));
        for d in &p.depends_on {
            if let Some(target) = ids.get(d.as_str()) {
                relationships.push(json!({"spdxElementId": id, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": target}));
            }
        }
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": subject.name,
        "documentNamespace": format!("https://spdx.org/spdxdocs/package-extract-{}", stable_uuid(&format!("{}{:?}", subject.name, subject.digest))),
        "creationInfo": {"created": created, "creators": [format!("Tool: package-extract-{tool_version}")]},
        "packages": spdx_packages,
        "relationships": relationships,
    })
}
