//! `docker-daemon:NAME[:TAG]`: an image in the local Docker or Podman engine, read through the
//! engine's API (`GET /images/NAME/get`, the `docker save` stream). The stream is spooled to a
//! temporary file (bounded) and read by the docker-archive reader `docker-archive:` uses.

use std::io::Read;

use common::AnalyzerError;

use super::Image;
use super::archive::TarIndex;
use super::docker_archive::{self, DockerBlobs};
use super::engine_http::{self, Endpoint};

/// The engine to ask: `DOCKER_HOST`, `CONTAINER_HOST`, then the usual sockets.
pub fn endpoint() -> Result<Endpoint, AnalyzerError> {
    for var in ["DOCKER_HOST", "CONTAINER_HOST"] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() {
                return Endpoint::parse(&v)
                    .map_err(|e| AnalyzerError::usage(format!("{var}: {e}")));
            }
        }
    }
    let mut candidates = vec![std::path::PathBuf::from("/var/run/docker.sock")];
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        candidates.push(std::path::PathBuf::from(d).join("podman/podman.sock"));
    }
    candidates.push("/run/podman/podman.sock".into());
    candidates
        .iter()
        .find(|p| p.exists())
        .map(|p| Endpoint::Unix(p.clone()))
        .ok_or_else(|| {
            AnalyzerError::input(format!(
                "no container engine socket found (tried {})",
                candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            ))
            .with_hint("start one (`podman system service`, or the Docker daemon), or set DOCKER_HOST=unix:///path/to.sock")
        })
}

/// Asks the engine for `name` as a `docker save` stream, spools it (at most `max_bytes`) into
/// a temporary file, and reads that with the docker-archive reader: the engine's stream may put
/// `manifest.json` last, and one reader serves both transports.
pub fn open(name: &str, max_bytes: u64) -> Result<(Image, DockerBlobs), AnalyzerError> {
    let endpoint = endpoint()?;
    let path = format!("/images/{}/get", escape(name));
    let response = engine_http::get(&endpoint, &path).map_err(|e| {
        AnalyzerError::network(format!(
            "cannot talk to the container engine at {endpoint}: {e}"
        ))
        .with_hint("check that the engine runs and that you may use its socket")
    })?;
    match response.status {
        200 => {}
        404 => {
            return Err(AnalyzerError::input(format!(
                "the engine at {endpoint} has no image {name:?}"
            ))
            .with_hint("list its images with `podman images` or `docker images`"));
        }
        status => {
            let mut text = String::new();
            let _ = response.body.take(4096).read_to_string(&mut text);
            return Err(AnalyzerError::network(format!(
                "the engine at {endpoint} answered {status}: {}",
                common::secret::redact_url(text.trim())
            )));
        }
    }
    let mut spool = tempfile::NamedTempFile::new()
        .map_err(|e| AnalyzerError::internal(format!("cannot create a temporary file: {e}")))?;
    let progress = common::progress::bytes(None, "image from the engine");
    let copied = std::io::copy(
        &mut progress.wrap_read(response.body.take(max_bytes.saturating_add(1))),
        spool.as_file_mut(),
    )
    .map_err(|e| AnalyzerError::network(format!("reading the image from the engine: {e}")))?;
    progress.finish_and_clear();
    if copied > max_bytes {
        return Err(AnalyzerError::input(format!(
            "the engine's image stream for {name:?} is larger than {max_bytes} bytes (--max-layer-size)"
        )));
    }
    let path = spool.into_temp_path();
    let index = TarIndex::from_spool(path)?;
    Ok(docker_archive::open(
        index,
        None,
        format!("docker-daemon:{name}"),
    )?)
}

/// Path-escapes an image name for the API URL (`localhost/app:1` → `localhost%2Fapp:1`).
fn escape(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' | b'@' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_names_for_the_api_path() {
        assert_eq!(escape("localhost/sample:1.0"), "localhost%2Fsample:1.0");
        assert_eq!(escape("app@sha256:ab"), "app@sha256:ab");
        assert_eq!(escape("a b"), "a%20b");
    }
}
