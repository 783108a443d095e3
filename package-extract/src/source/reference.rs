//! The image argument, with skopeo's transport prefixes.

use std::path::PathBuf;

/// What `-i/--image` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// `docker://REF` or a bare reference: pull from a registry.
    Registry(String),
    /// `oci:DIR[:REF]`: an OCI image layout directory.
    OciLayout {
        dir: PathBuf,
        reference: Option<String>,
    },
    /// `oci-archive:FILE[:REF]`: a tar of an OCI image layout.
    OciArchive {
        file: PathBuf,
        reference: Option<String>,
    },
    /// `docker-archive:FILE[:REF]`: `docker save` / `podman save` output.
    DockerArchive {
        file: PathBuf,
        reference: Option<String>,
    },
    /// `dir:DIR`: a root filesystem on disk.
    RootFs(PathBuf),
    /// `docker-daemon:NAME[:TAG]`: an image in the local Docker or Podman engine.
    Daemon(String),
}

impl ImageRef {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the image reference is empty".into());
        }
        let Some((transport, rest)) = text.split_once(':') else {
            return Ok(Self::Registry(text.to_owned()));
        };
        let path_and_ref = |rest: &str| -> (PathBuf, Option<String>) {
            match rest.split_once(':') {
                Some((p, r)) if !r.is_empty() => (PathBuf::from(p), Some(r.to_owned())),
                Some((p, _)) => (PathBuf::from(p), None),
                None => (PathBuf::from(rest), None),
            }
        };
        let need = |what: &str| format!("{transport}: needs {what}, e.g. {transport}:./image");
        match transport {
            "docker" => {
                let r = rest.trim_start_matches("//");
                if r.is_empty() {
                    return Err(
                        "docker:// needs a reference, e.g. docker://registry.local:5000/app:1.0"
                            .into(),
                    );
                }
                Ok(Self::Registry(r.to_owned()))
            }
            "oci" | "oci-archive" | "docker-archive" => {
                if rest.is_empty() {
                    return Err(need("a path"));
                }
                let (p, r) = path_and_ref(rest);
                Ok(match transport {
                    "oci" => Self::OciLayout {
                        dir: p,
                        reference: r,
                    },
                    "oci-archive" => Self::OciArchive {
                        file: p,
                        reference: r,
                    },
                    _ => Self::DockerArchive {
                        file: p,
                        reference: r,
                    },
                })
            }
            "dir" => {
                if rest.is_empty() {
                    return Err(need("a directory"));
                }
                Ok(Self::RootFs(PathBuf::from(rest)))
            }
            "docker-daemon" => {
                if rest.is_empty() {
                    return Err(
                        "docker-daemon: needs an image name, e.g. docker-daemon:app:latest".into(),
                    );
                }
                Ok(Self::Daemon(rest.to_owned()))
            }
            // `registry.local:5000/app`, `app:tag`: a bare registry reference; the registry
            // client rejects malformed ones with its own message.
            _ => Ok(Self::Registry(text.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_transports() {
        assert_eq!(
            ImageRef::parse("docker://127.0.0.1:5000/app:1.0"),
            Ok(ImageRef::Registry("127.0.0.1:5000/app:1.0".into()))
        );
        assert_eq!(
            ImageRef::parse("registry.local:5000/app:1.0"),
            Ok(ImageRef::Registry("registry.local:5000/app:1.0".into()))
        );
        assert_eq!(
            ImageRef::parse("ubuntu:22.04"),
            Ok(ImageRef::Registry("ubuntu:22.04".into()))
        );
        assert_eq!(
            ImageRef::parse("alpine"),
            Ok(ImageRef::Registry("alpine".into()))
        );
        assert_eq!(
            ImageRef::parse("localhost:5000/x"),
            Ok(ImageRef::Registry("localhost:5000/x".into()))
        );
        assert_eq!(
            ImageRef::parse("oci:./layout:latest"),
            Ok(ImageRef::OciLayout {
                dir: "./layout".into(),
                reference: Some("latest".into())
            })
        );
        assert_eq!(
            ImageRef::parse("oci:/tmp/l"),
            Ok(ImageRef::OciLayout {
                dir: "/tmp/l".into(),
                reference: None
            })
        );
        assert_eq!(
            ImageRef::parse("docker-archive:img.tar"),
            Ok(ImageRef::DockerArchive {
                file: "img.tar".into(),
                reference: None
            })
        );
        assert_eq!(
            ImageRef::parse("oci-archive:img.tar:v1"),
            Ok(ImageRef::OciArchive {
                file: "img.tar".into(),
                reference: Some("v1".into())
            })
        );
        assert_eq!(
            ImageRef::parse("dir:/srv/root"),
            Ok(ImageRef::RootFs("/srv/root".into()))
        );
        assert_eq!(
            ImageRef::parse("docker-daemon:app:latest"),
            Ok(ImageRef::Daemon("app:latest".into()))
        );
        assert!(ImageRef::parse("").is_err());
        assert!(ImageRef::parse("oci:").is_err());
        assert!(ImageRef::parse("docker://").is_err());
    }
}
