//! Checks of the Argo Workflows manifests in `deploy/argo/`, for the binaries' tests: each
//! manifest against Argo's JSON Schema, and each analyzer template's container step run for
//! real, the way a pod would run it.
//!
//! A step is taken from its template with the input parameters replaced by sample values (or
//! their defaults), then its command runs the built binary with only the template's
//! environment; every `/mnt/...` path (the pod's volumes and artifact locations) is moved under
//! a temporary directory, input artifacts are placed where the template says, and the output
//! artifact is read back from the path the template uploads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::golden::workspace_root;

/// `deploy/argo/` under the workspace root.
pub fn manifests_dir() -> PathBuf {
    workspace_root().join("deploy/argo")
}

/// Every manifest in `deploy/argo/`, by file name, parsed from YAML.
pub fn manifests() -> BTreeMap<String, Value> {
    let dir = manifests_dir();
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.insert(name, load(&path));
        }
    }
    assert!(!out.is_empty(), "no manifests in {}", dir.display());
    out
}

/// One manifest of `deploy/argo/`.
pub fn manifest(name: &str) -> Value {
    load(&manifests_dir().join(name))
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()))
}

/// Argo's JSON Schema for each kind (`Workflow`, `WorkflowTemplate`), printed by
/// `deploy/argo/schema.py` from the published models (hera-workflows, in .ci/pip-requirements).
pub fn schemas() -> Value {
    let script = manifests_dir().join("schema.py");
    let out = Command::new("python3")
        .arg(&script)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{} failed (pip install -r .ci/pip-requirements): {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("schema.py prints JSON")
}

/// The schema violations of `doc` (empty when it is valid), by the schema of its `kind`.
pub fn violations(schemas: &Value, doc: &Value) -> Vec<String> {
    let kind = doc["kind"].as_str().unwrap_or_default();
    let schema = schemas
        .get(kind)
        .unwrap_or_else(|| panic!("no Argo schema for kind {kind:?}"));
    let validator = jsonschema::validator_for(schema).expect("the schema itself is valid");
    validator
        .iter_errors(doc)
        .map(|e| {
            let text = e.to_string();
            let short: String = text.chars().take(300).collect();
            format!("{short} at {}", e.instance_path())
        })
        .collect()
}

/// A template of a manifest by name.
pub fn template<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["spec"]["templates"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["name"] == name))
        .unwrap_or_else(|| panic!("no template {name:?} in {}", doc["metadata"]["name"]))
}

/// A template's container step with its parameters replaced.
#[derive(Debug, Clone)]
pub struct Step {
    /// `command` then `args`.
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Input artifacts: name and path.
    pub inputs: Vec<(String, String)>,
    /// The `outputdocument` artifact's path.
    pub output: String,
    /// Where the output artifact goes in S3.
    pub output_key: String,
}

/// Replaces every `{{inputs.parameters.NAME}}` in `text`; panics on any other placeholder or an
/// unknown parameter.
fn substitute(text: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find("}}")
            .unwrap_or_else(|| panic!("unclosed placeholder in {text:?}"))
            + start;
        let expr = rest[start + 2..end].trim();
        let name = expr
            .strip_prefix("inputs.parameters.")
            .unwrap_or_else(|| panic!("placeholder {expr:?} in {text:?} is not an input"));
        let value = params
            .get(name)
            .unwrap_or_else(|| panic!("{text:?} uses undeclared parameter {name:?}"));
        out.push_str(value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The container step of template `name`, with `samples` for its input parameters (those
/// without a sample take their default; one with neither fails the test).
pub fn container_step(doc: &Value, name: &str, samples: &[(&str, &str)]) -> Step {
    let t = template(doc, name);
    let samples: BTreeMap<&str, &str> = samples.iter().copied().collect();
    let mut params = BTreeMap::new();
    for p in t["inputs"]["parameters"].as_array().into_iter().flatten() {
        let pname = p["name"].as_str().expect("parameter name");
        let value = samples
            .get(pname)
            .map(|s| (*s).to_owned())
            .or_else(|| p["value"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("{name}: parameter {pname} has no default: give a sample"));
        params.insert(pname.to_owned(), value);
    }
    for s in samples.keys() {
        assert!(
            params.contains_key(*s),
            "{name}: no parameter {s} to sample"
        );
    }
    let c = &t["container"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|s| substitute(s.as_str().expect("a string"), &params))
            .collect()
    };
    let mut argv = strings(&c["command"]);
    argv.extend(strings(&c["args"]));
    let env = c["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let n = e["name"].as_str().expect("env name").to_owned();
            let v = e["value"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: env {n} has no literal value"));
            (n, substitute(v, &params))
        })
        .collect();
    let inputs = t["inputs"]["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["name"].as_str().expect("artifact name").to_owned(),
                substitute(a["path"].as_str().expect("artifact path"), &params),
            )
        })
        .collect();
    let out = t["outputs"]["artifacts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["name"] == "outputdocument"))
        .unwrap_or_else(|| panic!("{name}: no output artifact `outputdocument`"));
    Step {
        argv,
        env,
        inputs,
        output: substitute(out["path"].as_str().expect("output path"), &params),
        output_key: substitute(out["s3"]["key"].as_str().expect("output S3 key"), &params),
    }
}

/// What running a step came to.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stderr: String,
    /// The output artifact, parsed.
    pub document: Value,
}

/// Runs `step` with `binary` as its command, the given files as its input artifacts (by
/// artifact name), and nothing of this machine's environment but `PATH`.
pub fn run_step(step: &Step, binary: &Path, artifacts: &[(&str, &Path)]) -> Run {
    let root = tempfile::tempdir().expect("tempdir");
    let pod = |p: &str| -> String {
        match p.strip_prefix("/mnt/") {
            Some(rel) => root.path().join("mnt").join(rel).display().to_string(),
            None => p.to_owned(),
        }
    };
    let relocate = |text: &str| text.replace("/mnt/", &format!("{}/mnt/", root.path().display()));
    for (name, path) in &step.inputs {
        let source = artifacts
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no file given for input artifact {name}"))
            .1;
        let target = PathBuf::from(pod(path));
        std::fs::create_dir_all(target.parent().expect("a parent")).expect("mkdir");
        std::fs::copy(source, &target).expect("copy the artifact");
    }
    let output = PathBuf::from(pod(&step.output));
    std::fs::create_dir_all(output.parent().expect("a parent")).expect("mkdir");
    let out = Command::new(binary)
        .args(step.argv.iter().skip(1).map(|a| relocate(a)))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", root.path())
        .envs(step.env.iter().map(|(k, v)| (k, relocate(v))))
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let text = std::fs::read_to_string(&output).unwrap_or_else(|e| {
        panic!(
            "no document at the output artifact's path {} ({e}); stderr:\n{stderr}",
            step.output
        )
    });
    Run {
        code: out.status.code(),
        stderr,
        document: serde_json::from_str(&text).expect("the output artifact is JSON"),
    }
}

impl Run {
    /// The step's command line and environment were accepted (whatever the analysis came to, it
    /// was not a usage error), and the document carries the step's document id and deployment.
    pub fn assert_accepted(&self, document_id: &str, deployment: &str) {
        assert_ne!(self.code, Some(2), "usage error: {}", self.stderr);
        assert_ne!(
            self.document["result"]["error_kind"], "usage",
            "{}",
            self.stderr
        );
        let meta = &self.document["metadata"];
        assert_eq!(meta["document_id"], document_id, "{}", self.stderr);
        assert_eq!(meta["thoth_deployment_name"], deployment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_replaced_or_refused() {
        let params = BTreeMap::from([("A".to_owned(), "x".to_owned())]);
        assert_eq!(
            substitute("/mnt/{{inputs.parameters.A}}/y", &params),
            "/mnt/x/y"
        );
        assert_eq!(substitute("{{ inputs.parameters.A }}", &params), "x");
        assert!(
            std::panic::catch_unwind(|| substitute("{{inputs.parameters.B}}", &params)).is_err()
        );
        assert!(std::panic::catch_unwind(|| substitute("{{workflow.name}}", &params)).is_err());
    }
}
