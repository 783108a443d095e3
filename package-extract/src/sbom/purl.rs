//! Package URLs (purl), the identifiers both SBOM formats use.

/// Percent-encodes what the purl spec does not allow bare in a segment.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS`, qualifiers sorted by key as the spec asks.
pub fn purl(
    kind: &str,
    namespace: Option<&str>,
    name: &str,
    version: &str,
    qualifiers: &[(&str, &str)],
) -> String {
    let mut out = format!("pkg:{kind}/");
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        out.push_str(&encode(&ns.to_ascii_lowercase()));
        out.push('/');
    }
    out.push_str(&encode(name));
    out.push('@');
    out.push_str(&encode(version));
    let mut q: Vec<&(&str, &str)> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    q.sort();
    for (i, (k, v)) in q.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_the_spec_examples() {
        assert_eq!(
            purl(
                "deb",
                Some("debian"),
                "curl",
                "7.50.3-1",
                &[("distro", "debian-12"), ("arch", "i386")]
            ),
            "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=debian-12"
        );
        assert_eq!(
            purl("deb", Some("debian"), "x", "1:2.3+dfsg", &[]),
            "pkg:deb/debian/x@1%3A2.3%2Bdfsg"
        );
        assert_eq!(
            purl("pypi", None, "django-allauth", "12.23", &[]),
            "pkg:pypi/django-allauth@12.23"
        );
    }
}
