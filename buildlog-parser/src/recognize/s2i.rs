//! The OpenShift s2i build and the Thoth s2i assemble script (THOTH-DOCUMENTS 4.2, 4.5), and
//! thamos' debug lines.

use std::sync::LazyLock;

use crate::collector::{Collector, Line, Role};
use crate::pattern::Pattern;

/// A configuration printed by the assemble script is small; a runaway block is not kept whole.
const MAX_CONFIG_BYTES: usize = 1 << 20;

const CONFIG_START: &str = ">>> Thoth's configuration file after hardware and software discovery:";

static BUILDER: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^Using (\S+) as the s2i builder image$"));
static PUSHING: LazyLock<Pattern> = LazyLock::new(|| Pattern::new(r"^Pushing image (\S+) \.\.\.$"));
static THAMOS: LazyLock<Pattern> = LazyLock::new(|| Pattern::new(r"Thamos version: '(\S+)'$"));
static S2I_VERSION: LazyLock<Pattern> =
    LazyLock::new(|| Pattern::new(r"^>>> Thoth s2i builder image version: (\S+)"));

#[derive(Debug, Default)]
pub struct S2i {
    /// Lines of Thoth's configuration while inside that block.
    config: Option<String>,
}

impl S2i {
    pub fn line(&mut self, line: &Line<'_>, c: &mut Collector) -> Role {
        let text = line.text;
        if let Some(config) = &mut self.config {
            if !text.starts_with(">>> ") {
                if config.len() + text.len() < MAX_CONFIG_BYTES {
                    config.push_str(text);
                    config.push('\n');
                }
                return Role::Owned;
            }
            self.finish(c);
        }
        if text == CONFIG_START {
            self.config = Some(String::new());
            return Role::Owned;
        }
        if let Some(m) = BUILDER.captures(text).and_then(|m| m.get(1)) {
            c.set_s2i_builder_image(m.as_str());
            return Role::Progress;
        }
        if let Some(m) = PUSHING.captures(text).and_then(|m| m.get(1)) {
            c.set_push_destination(m.as_str());
            c.in_progress = None;
            return Role::Progress;
        }
        if text == "Push successful" {
            c.info.push_successful = true;
            return Role::Progress;
        }
        if let Some(m) = THAMOS.captures(text).and_then(|m| m.get(1)) {
            if c.info.thamos_version.is_none() {
                c.info.thamos_version = Some(m.as_str().to_owned());
            }
            c.tool("thamos", Some(m.as_str()));
            return Role::Unknown;
        }
        if c.adviser_id.is_none() && text.starts_with("adviser-") {
            c.adviser_id = text.split_whitespace().next().map(str::to_owned);
        }
        // Older s2i images print the markers without `>>> `.
        let marker = text.strip_prefix(">>> ").unwrap_or(text);
        match marker {
            "Asking Thoth for advise..." => c.info.adviser_run = true,
            "Asking Thoth for provenance check..." => c.info.provenance_check_run = true,
            _ => {}
        }
        if let Some(m) = S2I_VERSION.captures(text).and_then(|m| m.get(1)) {
            c.tool("s2i-thoth", Some(m.as_str()));
        }
        if text.starts_with("---> Installing dependencies via micropipenv") {
            c.tool("micropipenv", None);
        }
        if text.starts_with(">>> ") || text.starts_with("---> ") {
            return Role::Progress;
        }
        Role::Unknown
    }

    /// Ends an open configuration block (at the next marker or at the end of the log).
    pub fn finish(&mut self, c: &mut Collector) {
        if let Some(text) = self.config.take() {
            c.thoth_config = parse_config(&text);
        }
    }
}

/// YAML (the 2020 images) or JSON (newer images); the raw text when neither parses, as Thoth did.
pub fn parse_config(text: &str) -> Option<serde_json::Value> {
    if text.trim().is_empty() {
        return None;
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        return Some(value);
    }
    match serde_norway::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Null) => None,
        Ok(value) => Some(value),
        Err(_) => Some(serde_json::Value::String(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_str;

    #[test]
    fn reads_thoth_info() {
        let r = parse_str(
            "Using quay.io/thoth-station/s2i-thoth-ubi8-py36@sha256:abc as the s2i builder image\n\
             2020-04-02 20:06:50,579 [16] DEBUG    thamos: Thamos version: '0.9.1'\n\
             >>> Thoth's configuration file after hardware and software discovery:\n\
             host: example\n\
             tls_verify: false\n\
             >>> Asking Thoth for advise...\n\
             adviser-75b40eaf\n\
             Pushing image registry:5000/ns/app:latest ...\n\
             Pushing image registry:5000/ns/app ...\n\
             Push successful\n",
        );
        let builder = r
            .info
            .s2i_builder_image
            .as_ref()
            .map(|b| (b.image.as_str(), b.sha256.as_deref()));
        assert_eq!(
            builder,
            Some(("quay.io/thoth-station/s2i-thoth-ubi8-py36", Some("abc")))
        );
        assert_eq!(r.info.thamos_version.as_deref(), Some("0.9.1"));
        assert!(r.info.adviser_run && !r.info.provenance_check_run && r.info.push_successful);
        let push = r
            .info
            .push_destination
            .as_ref()
            .map(|p| (p.image.as_str(), p.tag.as_deref()));
        assert_eq!(push, Some(("registry:5000/ns/app", None)));
        assert_eq!(r.adviser_id.as_deref(), Some("adviser-75b40eaf"));
        assert_eq!(
            r.thoth_config,
            Some(serde_json::json!({"host": "example", "tls_verify": false}))
        );
    }

    #[test]
    fn config_json_yaml_or_raw() {
        assert_eq!(
            parse_config("{\"a\": 1}\n"),
            Some(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            parse_config("a: [1, 2]\n"),
            Some(serde_json::json!({"a": [1, 2]}))
        );
        assert_eq!(parse_config("  \n"), None);
        assert_eq!(
            parse_config("a: b\n- c\n"),
            Some(serde_json::Value::String("a: b\n- c\n".into()))
        );
        // A scanner error in PyYAML crashed Thoth; here it is the raw text.
        assert_eq!(
            parse_config("a: 'unterminated\n"),
            Some(serde_json::Value::String("a: 'unterminated\n".into()))
        );
    }
}
